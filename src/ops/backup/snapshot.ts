/**
 * An on-demand RDS snapshot of the platform's database as a step: `dpf backup`'s, and the
 * recovery point `dpf patch` takes before its waves.
 */
import type { DbSnapshotInfo, OpsPorts } from '../../aws/ops-ports.js';
import type { StepContext, StepDef, StepResult } from '../../steps/types.js';
import { opStep, waitFor, stepError, type Operation } from '../operation.js';
import { dbIdentifier } from './keys.js';

const SNAPSHOT_FAILED = new Set(['failed', 'incompatible-restore', 'incompatible-parameters']);

export interface SnapshotStepOptions {
  id: string;
  title: string;
  /** Middle part of the snapshot id: `<db>-<label>-<stamp>`. */
  label: string;
  timeoutMinutes: number;
  /** The command to rerun for an environment (hints). */
  rerun: (env: string) => string;
  /** Without a database in the ledger: fail (true), or finish with nothing to snapshot (false). */
  requireDatabase: boolean;
}

/** CreateDBSnapshot of the platform's database and wait until it is available (resumes a requested one). */
export function rdsSnapshotStep(op: Operation, o: SnapshotStepOptions): StepDef {
  return opStep({
    id: o.id,
    title: o.title,
    estimateSeconds: 600,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const db = dbIdentifier(ctx.ledger);
      if (!db) return noDatabase(ctx, o);
      const snapshotId = String(mine.snapshotId ?? `${db}-${o.label}-${op.stamp}`);
      await requestSnapshot(ctx, ops, op, db, snapshotId);
      const snap = await waitForSnapshot(ctx, ops, snapshotId, o);
      return {
        changed: true,
        summary: `snapshot ${snapshotId} available`,
        outputs: { SnapshotId: snapshotId, DbInstanceIdentifier: db, SnapshotCreated: snap?.created?.toISOString() ?? ctx.clock.now().toISOString() },
        evidence: { snapshotId, dbInstance: db, status: snap?.status, created: snap?.created?.toISOString(), encrypted: snap?.encrypted },
      };
    },
  });
}

/** No database in the ledger: refused where one is required, nothing to snapshot otherwise. */
function noDatabase(ctx: StepContext, o: SnapshotStepOptions): StepResult {
  if (!o.requireDatabase) return { changed: false, summary: 'no database deployed (storage.stack): nothing to snapshot', evidence: { snapshotId: null } };
  throw stepError('BackupNoDatabase', 'The ledger has no DbInstanceIdentifier for storage.stack.', {
    hint: `Deploy storage first: dpf deploy --env ${ctx.envCtx.name} --phase storage`,
  });
}

/** CreateDBSnapshot unless an earlier run of this operation already asked for it; the id goes into the evidence before the wait. */
async function requestSnapshot(ctx: StepContext, ops: OpsPorts, op: Operation, db: string, snapshotId: string): Promise<void> {
  const existing = await ops.rds.describeSnapshots({ snapshotId });
  if (!existing.length) {
    ctx.progress(`creating snapshot ${snapshotId} of ${db}`);
    await ops.rds.createSnapshot(db, snapshotId, { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, 'dpf:operation': op.id });
  } else ctx.progress(`snapshot ${snapshotId} already requested (${existing[0]!.status}); waiting for it`);
  await ctx.evidence({ snapshotId, dbInstance: db });
}

function waitForSnapshot(ctx: StepContext, ops: OpsPorts, snapshotId: string, o: SnapshotStepOptions): Promise<DbSnapshotInfo | undefined> {
  return waitFor<DbSnapshotInfo | undefined>(ctx, {
    stepId: ctx.stepId,
    what: `snapshot ${snapshotId}`,
    read: async () => (await ops.rds.describeSnapshots({ snapshotId }))[0],
    state: (s) => (s?.status === 'available' ? 'done' : s && SNAPSHOT_FAILED.has(s.status) ? 'failed' : 'waiting'),
    describe: (s) => s?.status ?? 'not visible yet',
    deadline: new Date(ctx.clock.now().getTime() + o.timeoutMinutes * 60000),
    onTimeout: (s) =>
      stepError('BackupTimedOut', `Snapshot ${snapshotId} is still ${s?.status ?? 'not visible'} after ${o.timeoutMinutes} min.`, {
        hint: `It keeps going in AWS; rerun ${o.rerun(ctx.envCtx.name)} to keep waiting for it.`,
      }),
    onFailed: (s) => stepError('BackupFailed', `Snapshot ${snapshotId} ended ${s?.status}.`),
  });
}
