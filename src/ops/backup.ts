/**
 * `dpf backup`: an on-demand RDS snapshot and an AWS Backup job for EFS, in parallel, then the
 * recovery points with their age against the RPO targets.
 *
 * Steps (phase 'operations'):
 *   operations.backup.rds-snapshot     CreateDBSnapshot <db>-dpf-<stamp>, wait until available
 *   operations.backup.efs-backup       StartBackupJob (EFS → the platform's vault), wait COMPLETED
 *   operations.backup.recovery-points  list what can be restored, newest age vs RPO
 * Where the endpoint has no AWS Backup (the emulator), the EFS step is done with status
 * "unavailable" and the reason; the RDS part does not depend on it.
 */
import type { OpsPorts, BackupPort, DbSnapshotInfo, RecoveryPointInfo } from '../aws/ops-ports.js';
import type { EnvContext, StepContext, StepDef, StepResult } from '../steps/types.js';
import type { Ledger } from '../state/ledger.js';
import { opStep, optionalOutput, unavailableOnEndpoint, waitFor, stepError, endpointName, noVaultReason, type Operation } from './operation.js';
import { errorMessage } from '../errors.js';
import { isCustomEndpoint } from '../aws/endpoint.js';
import { fmt } from './rto-rpo.js';
import { clientToken } from '../steps/tokens.js';
import { stepKey } from './step.js';

export const BACKUP_STEPS = {
  rds: 'operations.backup.rds-snapshot',
  efs: 'operations.backup.efs-backup',
  points: 'operations.backup.recovery-points',
} as const;

/** The recovery-points step's evidence: the listing against the RPO. */
export const POINTS_STEP = stepKey<{ listing: RecoveryListing }>(BACKUP_STEPS.points);

export interface BackupOptions {
  /** Give up waiting for the snapshot / the backup job after this long. Default 120 min. */
  timeoutMinutes: number;
}

/** The platform's DB instance identifier (storage.stack output). */
export function dbIdentifier(ledger: Ledger): string | undefined {
  return optionalOutput(ledger, 'storage.stack', 'DbInstanceIdentifier');
}

export function efsArn(envCtx: Pick<EnvContext, 'region' | 'accountId'>, fsId: string): string {
  return `arn:aws:elasticfilesystem:${envCtx.region}:${envCtx.accountId}:file-system/${fsId}`;
}

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
      if (!db) {
        if (!o.requireDatabase) return { changed: false, summary: 'no database deployed (storage.stack): nothing to snapshot', evidence: { snapshotId: null } };
        throw stepError('BackupNoDatabase', 'The ledger has no DbInstanceIdentifier for storage.stack.', {
          hint: `Deploy storage first: dpf deploy --env ${ctx.envCtx.name} --phase storage`,
        });
      }
      const snapshotId = String(mine.snapshotId ?? `${db}-${o.label}-${op.stamp}`);
      const existing = await ops.rds.describeSnapshots({ snapshotId });
      if (!existing.length) {
        ctx.progress(`creating snapshot ${snapshotId} of ${db}`);
        await ops.rds.createSnapshot(db, snapshotId, { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, 'dpf:operation': op.id });
      } else ctx.progress(`snapshot ${snapshotId} already requested (${existing[0]!.status}); waiting for it`);
      await ctx.evidence({ snapshotId, dbInstance: db });
      const snap = await waitFor<DbSnapshotInfo | undefined>(ctx, {
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
      return {
        changed: true,
        summary: `snapshot ${snapshotId} available`,
        outputs: { SnapshotId: snapshotId, DbInstanceIdentifier: db, SnapshotCreated: snap?.created?.toISOString() ?? ctx.clock.now().toISOString() },
        evidence: { snapshotId, dbInstance: db, status: snap?.status, created: snap?.created?.toISOString(), encrypted: snap?.encrypted },
      };
    },
  });
}

export function buildBackupSteps(op: Operation, o: BackupOptions): StepDef[] {
  const rds = rdsSnapshotStep(op, {
    id: BACKUP_STEPS.rds,
    title: 'RDS snapshot (on demand)',
    label: 'dpf',
    timeoutMinutes: o.timeoutMinutes,
    rerun: (env) => `dpf backup --env ${env}`,
    requireDatabase: true,
  });

  const efs = opStep({
    id: BACKUP_STEPS.efs,
    title: 'EFS backup job (AWS Backup)',
    estimateSeconds: 900,
    async run(ctx, mine): Promise<StepResult> {
      const ops = await ctx.aws.ops();
      const fsId = optionalOutput(ctx.ledger, 'storage.stack', 'EfsFileSystemId');
      const vault = optionalOutput(ctx.ledger, 'storage.stack', 'BackupVaultName');
      const role = optionalOutput(ctx.ledger, 'storage.stack', 'BackupRoleArn');
      const unavailable = (reason: string): StepResult => {
        ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `EFS backup not taken: ${reason}` });
        return {
          changed: false,
          summary: `EFS backup not available: ${reason}`,
          outputs: { Status: 'unavailable', Reason: reason },
          evidence: { status: 'unavailable', reason, fileSystemId: fsId, vault },
        };
      };
      // On AWS the storage stack always makes these: a missing one is a broken deploy, never "unavailable".
      const missing = !fsId ? 'EfsFileSystemId' : !vault ? 'BackupVaultName' : !role ? 'BackupRoleArn' : undefined;
      if (missing && !isCustomEndpoint(ctx.settings.endpoint))
        throw stepError('BackupNoVault', `The file system was NOT backed up: the ledger has no ${missing} output of storage.stack.`, {
          hint: `Deploy storage again (it makes the file system, the vault and the backup role): dpf deploy --env ${ctx.envCtx.name} --phase storage`,
        });
      if (!fsId) return unavailable('the ledger has no EfsFileSystemId for storage.stack');
      if (!vault || !role) return unavailable(noVaultReason(ctx, !vault ? 'BackupVaultName' : 'BackupRoleArn'));
      const resourceArn = efsArn(ctx.envCtx, fsId);
      let jobId = mine.jobId as string | undefined;
      if (!jobId) {
        try {
          // One token per operation and step: a resumed backup (the job id lost with a killed run) starts no second job.
          jobId = await ops.backup.startBackupJob(vault, resourceArn, role, clientToken(op.id, ctx.stepId, 1, 'backup'));
        } catch (err) {
          if (unavailableOnEndpoint(ctx, err)) return unavailable(`AWS Backup StartBackupJob is not available on ${endpointName(ctx)}`);
          throw err;
        }
        await ctx.evidence({ jobId, vault, resourceArn });
        ctx.progress(`backup job ${jobId} started for ${fsId} into vault ${vault}`);
      } else ctx.progress(`watching backup job ${jobId} started by an earlier run`);
      const job = await waitFor(ctx, {
        stepId: ctx.stepId,
        what: `backup job ${jobId}`,
        read: () => ops.backup.describeBackupJob(jobId!),
        state: (j) => (j.state === 'COMPLETED' ? 'done' : ['FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL'].includes(j.state) ? 'failed' : 'waiting'),
        describe: (j) => j.state,
        deadline: new Date(ctx.clock.now().getTime() + o.timeoutMinutes * 60000),
        onTimeout: (j) =>
          stepError('BackupTimedOut', `Backup job ${jobId} is still ${j.state} after ${o.timeoutMinutes} min.`, {
            hint: `It keeps going in AWS; rerun dpf backup --env ${ctx.envCtx.name} to keep waiting.`,
          }),
        onFailed: (j) => stepError('BackupFailed', `Backup job ${jobId} ended ${j.state}: ${j.statusMessage ?? 'no message'}.`),
      });
      return {
        changed: true,
        summary: `recovery point ${job.recoveryPointArn ?? '?'}`,
        outputs: { Status: 'completed', JobId: jobId, RecoveryPointArn: job.recoveryPointArn ?? '' },
        evidence: { status: 'completed', jobId, vault, resourceArn, recoveryPointArn: job.recoveryPointArn, completed: job.completed?.toISOString() },
      };
    },
  });

  const points = opStep({
    id: BACKUP_STEPS.points,
    title: 'Recovery points and their age against the RPO',
    dependsOn: [BACKUP_STEPS.rds, BACKUP_STEPS.efs],
    estimateSeconds: 5,
    async run(ctx) {
      const listing = await listRecoveryPoints(await ctx.aws.ops(), ctx.ledger, ctx.envCtx, ctx.clock.now(), ctx);
      for (const line of recoverySummaryLines(listing)) ctx.progress(line);
      return {
        changed: false,
        summary: recoverySummaryLines(listing).slice(0, 2).join('; '),
        outputs: { DatabaseWithinRpo: String(listing.database.withinRpo), FileSystemWithinRpo: String(listing.fileSystem.withinRpo) },
        evidence: { listing },
      };
    },
  });
  return [rds, efs, points];
}

// ---------- listing ----------

export interface RecoveryListing {
  at: string;
  database: {
    instance?: string;
    latestRestorableTime?: string;
    snapshots: Array<{ id: string; type?: string; status: string; created?: string; ageSeconds?: number }>;
    /** Age of the newest restorable point (PITR or snapshot); null when there is none. */
    newestAgeSeconds: number | null;
    rpoTargetSeconds: number;
    withinRpo: boolean | null;
    note?: string;
  };
  fileSystem: {
    fileSystemId?: string;
    vault?: string;
    available: boolean;
    reason?: string;
    points: Array<{ arn: string; status: string; created?: string; ageSeconds?: number }>;
    newestAgeSeconds: number | null;
    rpoTargetSeconds: number;
    withinRpo: boolean | null;
  };
}

const age = (now: Date, t?: Date) => (t ? Math.max(0, Math.round((now.getTime() - t.getTime()) / 1000)) : undefined);

export async function listRecoveryPoints(
  ops: OpsPorts,
  ledger: Ledger,
  envCtx: EnvContext,
  now: Date,
  ctx: Pick<StepContext, 'settings'>,
): Promise<RecoveryListing> {
  const rec = envCtx.env.recovery;
  const db = dbIdentifier(ledger);
  const database: RecoveryListing['database'] = {
    instance: db,
    snapshots: [],
    newestAgeSeconds: null,
    rpoTargetSeconds: rec.rpoMinutes.database * 60,
    withinRpo: null,
  };
  if (db) {
    const [inst, snaps] = await Promise.all([ops.rds.describeInstance(db), ops.rds.describeSnapshots({ instance: db })]);
    const sorted = [...snaps].sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
    database.snapshots = sorted.map((s) => ({
      id: s.identifier,
      type: s.type,
      status: s.status,
      created: s.created?.toISOString(),
      ageSeconds: age(now, s.created),
    }));
    database.latestRestorableTime = inst?.latestRestorableTime?.toISOString();
    if (!inst) database.note = `instance ${db} not found`;
    const candidates = [inst?.latestRestorableTime, ...sorted.filter((s) => s.status === 'available').map((s) => s.created)].filter((d): d is Date =>
      Boolean(d),
    );
    const newest = candidates.sort((a, b) => b.getTime() - a.getTime())[0];
    database.newestAgeSeconds = age(now, newest) ?? null;
    database.withinRpo = database.newestAgeSeconds === null ? false : database.newestAgeSeconds <= database.rpoTargetSeconds;
  } else database.note = 'no DbInstanceIdentifier in the ledger';

  const fsId = optionalOutput(ledger, 'storage.stack', 'EfsFileSystemId');
  const vault = optionalOutput(ledger, 'storage.stack', 'BackupVaultName');
  const fileSystem: RecoveryListing['fileSystem'] = {
    fileSystemId: fsId,
    vault,
    available: false,
    points: [],
    newestAgeSeconds: null,
    rpoTargetSeconds: rec.rpoMinutes.fileSystem * 60,
    withinRpo: null,
  };
  if (!fsId) fileSystem.reason = 'no EfsFileSystemId in the ledger';
  else if (!vault) fileSystem.reason = noVaultReason(ctx, 'BackupVaultName');
  else {
    try {
      const pts: RecoveryPointInfo[] = await ops.backup.listRecoveryPoints(vault, efsArn(envCtx, fsId));
      fileSystem.available = true;
      const sorted = [...pts].sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
      fileSystem.points = sorted.map((p) => ({ arn: p.arn, status: p.status, created: p.created?.toISOString(), ageSeconds: age(now, p.created) }));
      const newest = sorted.find((p) => p.status === 'COMPLETED');
      fileSystem.newestAgeSeconds = age(now, newest?.created) ?? null;
      fileSystem.withinRpo = fileSystem.newestAgeSeconds === null ? false : fileSystem.newestAgeSeconds <= fileSystem.rpoTargetSeconds;
      if (!newest) fileSystem.reason = 'no completed recovery point in the vault';
    } catch (err) {
      if (!unavailableOnEndpoint(ctx, err)) throw err;
      fileSystem.reason = `AWS Backup ListRecoveryPointsByBackupVault is not available on ${endpointName(ctx)} (${errorMessage(err).split('\n')[0]})`;
    }
  }
  return { at: now.toISOString(), database, fileSystem };
}

export function recoverySummaryLines(l: RecoveryListing): string[] {
  const d = l.database;
  const f = l.fileSystem;
  const verdict = (w: boolean | null) => (w === true ? 'within RPO' : w === false ? 'OUTSIDE RPO' : 'unknown');
  return [
    `database ${d.instance ?? '?'}: newest restorable point ${d.newestAgeSeconds === null ? 'none' : `${fmt(d.newestAgeSeconds)} old`} (target ${fmt(d.rpoTargetSeconds)}): ${verdict(d.withinRpo)}; ${d.snapshots.length} snapshot(s)${d.latestRestorableTime ? `, point-in-time restore to ${d.latestRestorableTime}` : ''}`,
    `file system ${f.fileSystemId ?? '?'}: ${f.available ? `${f.points.length} recovery point(s), newest ${f.newestAgeSeconds === null ? 'none' : `${fmt(f.newestAgeSeconds)} old`} (target ${fmt(f.rpoTargetSeconds)}): ${verdict(f.withinRpo)}` : `not available: ${f.reason}`}`,
  ];
}

// ---------- deleting a vault ----------

export interface VaultDeletion {
  /** What was deleted ("12 recovery point(s) of vault v", "backup vault v"). */
  deleted: string[];
  /** What could not be deleted, with the reason (never silently kept). */
  left: Array<{ resource: string; detail: string }>;
}

/**
 * Delete every recovery point of a vault, wait until they are gone (DeleteRecoveryPoint is
 * asynchronous), then the vault; verified with DescribeBackupVault. A vault that does not exist
 * is nothing to do. Whatever could not be deleted is returned in `left` with the reason.
 */
export async function deleteVaultAndPoints(
  ctx: Pick<StepContext, 'clock' | 'signal' | 'progress' | 'stepId' | 'settings'>,
  backup: BackupPort,
  vault: string,
  waitMinutes = 60,
): Promise<VaultDeletion> {
  const deleted: string[] = [];
  const left: VaultDeletion['left'] = [];
  const unavailable = (what: string, err: unknown) => ({
    resource: `backup vault ${vault}`,
    detail: `AWS Backup ${what} is not available on ${endpointName(ctx)} (${errorMessage(err).split('\n')[0]}): the vault and its recovery points were not deleted`,
  });
  try {
    if (!(await backup.describeVault(vault))) return { deleted, left };
  } catch (err) {
    if (!unavailableOnEndpoint(ctx, err)) throw err;
    return { deleted, left: [unavailable('DescribeBackupVault', err)] };
  }
  let points: RecoveryPointInfo[];
  try {
    points = await backup.listRecoveryPoints(vault);
  } catch (err) {
    if (!unavailableOnEndpoint(ctx, err)) throw err;
    return { deleted, left: [unavailable('ListRecoveryPointsByBackupVault', err)] };
  }
  const refused = new Set<string>();
  for (const p of points.filter((x) => x.status !== 'DELETING')) {
    try {
      await backup.deleteRecoveryPoint(vault, p.arn);
    } catch (err) {
      refused.add(p.arn);
      left.push({ resource: `recovery point ${p.arn}`, detail: `DeleteRecoveryPoint failed: ${errorMessage(err)}` });
    }
  }
  if (points.length) ctx.progress(`deleting ${points.length - refused.size} recovery point(s) of ${vault}`);
  const remaining = async () => (await backup.listRecoveryPoints(vault)).filter((p) => !refused.has(p.arn));
  try {
    await waitFor(ctx, {
      stepId: ctx.stepId,
      what: `recovery points of ${vault}`,
      read: remaining,
      state: (r) => (r.length ? 'waiting' : 'done'),
      describe: (r) => `${r.length} left`,
      deadline: new Date(ctx.clock.now().getTime() + waitMinutes * 60000),
      onTimeout: (r) => stepError('RecoveryPointsNotDeleted', `${r.length} recovery point(s) of ${vault} are still there after ${waitMinutes} min.`),
      onFailed: () => stepError('RecoveryPointsNotDeleted', `recovery points of ${vault} could not be deleted`),
    });
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') throw err;
    for (const p of await remaining()) left.push({ resource: `recovery point ${p.arn}`, detail: `still ${p.status}: ${errorMessage(err)}` });
  }
  const gone = points.length - left.filter((l) => l.resource.startsWith('recovery point ')).length;
  if (gone > 0) deleted.push(`${gone} recovery point(s) of vault ${vault}`);
  if (left.length) {
    left.push({ resource: `backup vault ${vault}`, detail: 'not deleted: it still holds the recovery points listed' });
    return { deleted, left };
  }
  try {
    await backup.deleteBackupVault(vault);
  } catch (err) {
    left.push(
      unavailableOnEndpoint(ctx, err)
        ? unavailable('DeleteBackupVault', err)
        : { resource: `backup vault ${vault}`, detail: `DeleteBackupVault failed: ${errorMessage(err)}` },
    );
    return { deleted, left };
  }
  const after = await backup.describeVault(vault);
  if (after) left.push({ resource: `backup vault ${vault}`, detail: `still exists after DeleteBackupVault${after.locked ? ' (vault lock)' : ''}` });
  else deleted.push(`backup vault ${vault}`);
  return { deleted, left };
}
