/**
 * `dpf destroy`: delete the environment's stacks in reverse order, keeping the data unless
 * asked, and list — never hide — what could not be deleted.
 *
 * Steps (phase 'operations'):
 *   operations.destroy.copies          the databases and file systems dpf made OUTSIDE the stacks
 *                                      for this environment — `dpf restore db|fs` copies
 *                                      (<db>-restore-<stamp>, restored EFS) and what a DR drill
 *                                      left — found by their tags (dpf:env + dpf:operation /
 *                                      dpf:drill / dpf:purpose), their names and the ledger. With
 *                                      --delete-data they are deleted (before the storage stack:
 *                                      they use its DB subnet group and the network's security
 *                                      groups); without, listed as left behind (exit 3) — or as
 *                                      retained when the platform was switched to one (--promote)
 *   operations.destroy.final-snapshot  (data kept) CreateDBSnapshot <db>-final-<stamp>, wait until
 *                                      available — before any stack is deleted; and deletion
 *                                      protection off so the stack can delete the instance (the
 *                                      template's DeletionPolicy Snapshot takes another one: found
 *                                      after the storage stack is gone and recorded as well)
 *   operations.destroy.delete-db       (--delete-data) deletion protection off, delete the instance
 *                                      with no final snapshot, wait until gone
 *   operations.destroy.<phase>         monitoring, identity → storage, compute → network
 *                                      → bootstrap (only with --delete-state): DeleteStack, wait,
 *                                      DELETE_FAILED resources listed; then the world is checked
 *                                      through describe calls (an emulator's stack can vanish while
 *                                      its VPC leaks) and the phase's ledger steps go back to
 *                                      'pending' with evidence.destroyedAt
 * The identity phase also deletes the FreeIPA host keytab secrets (made by the IPA server, not
 * by the stack).
 * Retained on purpose unless --delete-data: data lake and access-log buckets, EFS, KMS key,
 * backup vault, the final snapshots. With --delete-data the buckets are emptied and deleted, the
 * file system deleted, and the backup vault's recovery points and then the vault deleted;
 * whatever could not be deleted is listed (exit 3). The KMS key (dpf has no KMS port; it may
 * still encrypt snapshots) and manual RDS snapshots taken earlier (dpf backup, earlier final
 * snapshots) are kept and listed. A later `destroy --delete-data` after a data-kept destroy
 * deletes the data that destroy retained (its names are in the ledger).
 */
import type { AwsPorts } from '../aws/ports.js';
import type { OpsPorts } from '../aws/ops-ports.js';
import type { CloudFormationPort } from '../aws/cloudformation.js';
import type { EnvContext, StepContext, StepDef, DeployPhase } from '../steps/types.js';
import type { Ledger } from '../state/ledger.js';
import { stackName } from '../steps/kinds/stack.js';
import { derivedNames as names } from '../config/normalise.js';
import { buildSteps } from '../steps/phases.js';
import { errorMessage } from '../errors.js';
import { opStep, operationsOf, optionalOutput, stepOf, waitFor, stepError, type Operation } from './operation.js';
import { restoreName, RESTORE_STEPS } from './restore.js';
import { deleteFileSystem, deleteStack } from './reap.js';
import { deleteVaultAndPoints } from './backup.js';

export const DESTROY_ORDER: DeployPhase[] = ['monitoring', 'identity', 'storage', 'compute', 'network', 'bootstrap'];
export const DESTROY_STEPS = {
  copies: 'operations.destroy.copies',
  finalSnapshot: 'operations.destroy.final-snapshot',
  deleteDb: 'operations.destroy.delete-db',
  phase: (p: DeployPhase) => `operations.destroy.${p}`,
} as const;

/** What must be gone before a phase's stacks are deleted. */
const AFTER: Record<DeployPhase, DeployPhase[]> = {
  monitoring: [],
  identity: [],
  golive: [],
  storage: ['monitoring', 'identity'],
  compute: ['monitoring', 'identity'],
  network: ['storage', 'compute', 'identity', 'monitoring'],
  bootstrap: ['network', 'storage', 'compute', 'identity', 'monitoring'],
};

export interface DestroyOptions {
  deleteData: boolean;
  deleteState: boolean;
  /** Phases that have something to delete (from the ledger and/or existing stacks). */
  phases: DeployPhase[];
  /** Stack names per phase (ledger evidence, else dpf's derived name). */
  stacks: Partial<Record<DeployPhase, string[]>>;
  /** Outputs of a phase destroyed earlier with its data kept (retainedData), for --delete-data. */
  retained?: Partial<Record<DeployPhase, Record<string, string>>>;
}

export interface Leftover {
  resource: string;
  /** Kept on purpose (data kept) rather than leaked. */
  retained: boolean;
  detail: string;
}

/** The stacks dpf knows for each phase: names recorded in the ledger, and the derived names. */
export function knownStacks(ledger: Ledger, envCtx: Pick<EnvContext, 'project' | 'name'>): Partial<Record<DeployPhase, string[]>> {
  const out: Partial<Record<DeployPhase, string[]>> = {};
  // Within a phase, the stacks deployed last are deleted first (the dns stack's records before the identity stack's zone).
  const deployOrder = buildSteps().map((s) => s.id);
  const later = (id: string) => deployOrder.indexOf(id);
  for (const p of DESTROY_ORDER) {
    // A stack in another region (the DR vault) is reported as kept, not deleted here.
    const recorded = Object.values(ledger.data.steps)
      .filter((s) => s.phase === p && typeof s.evidence.stackName === 'string' && s.evidence.region === undefined)
      .sort((a, b) => later(b.id) - later(a.id))
      .map((s) => s.evidence.stackName as string);
    out[p] = [...new Set([...recorded, stackName(envCtx, p)])];
  }
  return out;
}

/** Which phases have a stack that exists, or steps the ledger does not show as pending. */
export async function phasesToDestroy(cfn: CloudFormationPort, ledger: Ledger, stacks: Partial<Record<DeployPhase, string[]>>, deleteState: boolean): Promise<DeployPhase[]> {
  const out: DeployPhase[] = [];
  for (const p of DESTROY_ORDER) {
    if (p === 'bootstrap' && !deleteState) continue;
    const inLedger = Object.values(ledger.data.steps).some((s) => s.phase === p && s.status !== 'pending');
    let exists = false;
    for (const s of stacks[p] ?? []) if (await cfn.describeStack(s)) exists = true;
    if (inLedger || exists) out.push(p);
  }
  return out;
}

/**
 * The storage outputs of an earlier destroy that kept the data, if any of it was retained: what a
 * later `destroy --delete-data` must delete although no stack is left.
 */
export function retainedData(ledger: Ledger): Record<string, string> | undefined {
  const r = ledger.get(DESTROY_STEPS.phase('storage'));
  const outputs = r?.evidence.outputs as Record<string, string> | undefined;
  const leftovers = (r?.evidence.leftovers as Leftover[] | undefined) ?? [];
  if (r?.status !== 'done' || !outputs || !leftovers.some((l) => l.retained || /^(bucket|EFS|backup vault|recovery point) /.test(l.resource))) return undefined;
  return outputs;
}

/** The platform database's identifier: the ledger's output, else the template's fixed name. */
function dbIdentifierOf(ctx: StepContext, mine: Record<string, unknown>): string {
  return optionalOutput(ctx.ledger, 'storage.stack', 'DbInstanceIdentifier') ?? (mine.dbInstance as string | undefined) ?? `${ctx.envCtx.project}-${ctx.envCtx.name}-metadata`;
}

export interface DestroyPlan {
  phases: DeployPhase[];
  stacks: Partial<Record<DeployPhase, string[]>>;
  /** The data an earlier destroy kept (deleted by a later --delete-data). */
  retained?: Record<string, string>;
  /** Databases and file systems dpf restored outside the stacks (the step looks again when it runs). */
  copies: DpfCopy[];
}

/** What a destroy would delete: the phases whose stacks exist, the retained data, the copies outside the stacks. */
export async function planDestroy(aws: AwsPorts, ledger: Ledger, envCtx: EnvContext, o: { deleteData: boolean; deleteState: boolean }): Promise<DestroyPlan> {
  const stacks = knownStacks(ledger, envCtx);
  let phases = await phasesToDestroy(await aws.cfn(), ledger, stacks, o.deleteState);
  // The data an earlier destroy kept is deleted by a later --delete-data, although no stack is left.
  const retained = o.deleteData && !phases.includes('storage') ? retainedData(ledger) : undefined;
  if (retained) phases = DESTROY_ORDER.filter((p) => p === 'storage' || phases.includes(p));
  const copies = await findCopies(await aws.ops(), ledger, envCtx, platformData(ledger, envCtx, retained));
  return { phases, stacks, retained, copies };
}

export function buildDestroySteps(op: Operation, o: DestroyOptions): StepDef[] {
  const steps: StepDef[] = [copiesStep(op, o)];
  const storage = o.phases.includes('storage');
  let dataStep: string | undefined;
  if (storage) {
    dataStep = o.deleteData ? DESTROY_STEPS.deleteDb : DESTROY_STEPS.finalSnapshot;
    steps.push(o.deleteData ? deleteDbStep(op) : finalSnapshotStep(op));
  }
  for (const p of o.phases) {
    const deps = AFTER[p].filter((d) => o.phases.includes(d)).map((d) => DESTROY_STEPS.phase(d));
    if (p === 'storage' && dataStep) deps.push(dataStep);
    // Restore copies sit in the storage stack's DB subnet group and the network's security groups.
    if (p === 'storage' || p === 'network') deps.push(DESTROY_STEPS.copies);
    steps.push(
      opStep(op, {
        id: DESTROY_STEPS.phase(p),
        title: `Delete ${p}${p === 'storage' && !o.deleteData ? ' (data kept)' : ''}`,
        kind: 'stack',
        dependsOn: deps,
        input: { stacks: o.stacks[p], deleteData: o.deleteData },
        estimateSeconds: p === 'storage' ? 900 : 300,
        run: (ctx, mine) => destroyPhase(ctx, op, p, o, mine),
      }),
    );
  }
  return steps;
}

// ---------- copies dpf made outside the stacks ----------

/** A database or file system dpf restored outside the stacks (dpf restore, a DR drill). */
export interface DpfCopy {
  kind: 'db' | 'fs';
  id: string;
  status: string;
  /** What made it, e.g. "dpf restore db (operation restore-db-…)". */
  origin: string;
  /** The platform was switched to it (dpf restore --promote): it holds the environment's data. */
  promoted: boolean;
  deletionProtection?: boolean;
}

const PURPOSE_TAGS = ['dpf:purpose', 'dpf:operation', 'dpf:drill'];
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The platform's own database and file system (never a copy): the ledger's outputs, else what a destroy recorded. */
export function platformData(ledger: Ledger, envCtx: Pick<EnvContext, 'project' | 'name'>, retained?: Record<string, string>): { db: string; fs?: string } {
  const destroyed = (ledger.get(DESTROY_STEPS.phase('storage'))?.evidence.outputs as Record<string, string> | undefined) ?? {};
  return {
    db: optionalOutput(ledger, 'storage.stack', 'DbInstanceIdentifier') ?? retained?.DbInstanceIdentifier ?? destroyed.DbInstanceIdentifier ?? `${envCtx.project}-${envCtx.name}-metadata`,
    fs: optionalOutput(ledger, 'storage.stack', 'EfsFileSystemId') ?? retained?.EfsFileSystemId ?? destroyed.EfsFileSystemId,
  };
}

/** What the ledger says dpf restored (restore operations, the last restore and drill steps) and promoted. */
function recordedCopies(ledger: Ledger): { db: Map<string, string>; fs: Map<string, string>; promoted: Set<string> } {
  const db = new Map<string, string>();
  const fs = new Map<string, string>();
  const promoted = new Set<string>();
  for (const o of operationsOf(ledger.data)) {
    const s = (o.summary ?? {}) as { instance?: unknown; fileSystemId?: unknown; promoted?: unknown };
    if (o.kind === 'restore-db' && typeof s.instance === 'string' && s.instance) {
      db.set(s.instance, `dpf restore db (operation ${o.id})`);
      if (s.promoted === true) promoted.add(s.instance);
    }
    if (o.kind === 'restore-fs' && typeof s.fileSystemId === 'string' && s.fileSystemId) {
      fs.set(s.fileSystemId, `dpf restore fs (operation ${o.id})`);
      if (s.promoted === true) promoted.add(s.fileSystemId);
    }
  }
  const rec = (stepId: string, key: string) => {
    const r = ledger.get(stepId);
    const v = r?.outputs[key] || (r?.evidence[key === 'DbInstanceIdentifier' ? 'target' : 'fileSystemId'] as string | undefined);
    return v ? { id: v, op: r?.scope ?? '?' } : undefined;
  };
  for (const [stepId, what] of [[RESTORE_STEPS.db, 'dpf restore db'], ['operations.drill.restore-db', 'dpf dr-drill']] as const) {
    const r = rec(stepId, 'DbInstanceIdentifier');
    if (r && !db.has(r.id)) db.set(r.id, `${what} (operation ${r.op})`);
  }
  for (const [stepId, what] of [[RESTORE_STEPS.fs, 'dpf restore fs'], ['operations.drill.restore-fs', 'dpf dr-drill']] as const) {
    const r = rec(stepId, 'FileSystemId');
    if (r && !fs.has(r.id)) fs.set(r.id, `${what} (operation ${r.op})`);
  }
  return { db, fs, promoted };
}

function originOf(tags: Record<string, string>, fallback: string): string {
  if (tags['dpf:drill']) return `dpf dr-drill (operation ${tags['dpf:drill']})`;
  if (tags['dpf:operation']) return `${/^restore-fs-/.test(tags['dpf:operation']) ? 'dpf restore fs' : /^restore-db-/.test(tags['dpf:operation']) ? 'dpf restore db' : 'dpf'} (operation ${tags['dpf:operation']})`;
  return fallback;
}

/**
 * The RDS instances and EFS file systems dpf made for this environment outside its stacks: tagged
 * dpf:env=<env> (and the project) with a tag saying which dpf operation made them, named as dpf
 * names restore and drill copies, or recorded in the ledger. Never the platform's own database or
 * file system.
 */
export async function findCopies(ops: OpsPorts, ledger: Ledger, envCtx: Pick<EnvContext, 'project' | 'name'>, platform: { db: string; fs?: string }): Promise<DpfCopy[]> {
  const env = envCtx.name;
  const ours = (t: Record<string, string>) => t['dpf:env'] === env && (!t['dpf:project'] || t['dpf:project'] === envCtx.project) && PURPOSE_TAGS.some((k) => t[k]);
  const recorded = recordedCopies(ledger);
  // <db>-restore-<stamp> (dpf restore db) and <project>-<env>-drill-<stamp>-db (a drill's copy).
  const named = new RegExp(`^(${esc(restoreName(platform.db, '00000000000000').slice(0, -14))}\\d{14}|${esc(`${envCtx.project}-${env}-drill-`)}\\d{14}-db)$`);
  // Which copy the platform reads now (a copy promoted by hand, or by a run whose summary was lost).
  const param = async (name: string) => {
    try {
      return await ops.ssm.getParameter(`/${envCtx.project}/${env}/${name}`);
    } catch {
      return undefined;
    }
  };
  const [endpoint, fsParam] = await Promise.all([param('rds/endpoint'), param('efs/file-system-id')]);
  const out: DpfCopy[] = [];
  for (const d of await ops.rds.describeInstances()) {
    if (d.identifier === platform.db || d.status === 'deleted') continue;
    const fromLedger = recorded.db.get(d.identifier);
    if (!ours(d.tags) && !named.test(d.identifier) && !fromLedger) continue;
    out.push({
      kind: 'db',
      id: d.identifier,
      status: d.status,
      origin: originOf(d.tags, fromLedger ?? (/-drill-\d{14}-db$/.test(d.identifier) ? 'dpf dr-drill' : 'dpf restore db')),
      promoted: recorded.promoted.has(d.identifier) || Boolean(endpoint && d.endpoint && endpoint === d.endpoint),
      deletionProtection: d.deletionProtection,
    });
  }
  for (const f of await ops.efs.describeFileSystems()) {
    if (f.fileSystemId === platform.fs || /^delet/.test(f.state)) continue;
    const fromLedger = recorded.fs.get(f.fileSystemId);
    if (!ours(f.tags) && !fromLedger) continue;
    out.push({ kind: 'fs', id: f.fileSystemId, status: f.state, origin: originOf(f.tags, fromLedger ?? 'dpf restore fs'), promoted: recorded.promoted.has(f.fileSystemId) || fsParam === f.fileSystemId });
  }
  return out;
}

const copyName = (c: DpfCopy) => `${c.kind === 'db' ? 'RDS instance' : 'EFS'} ${c.id}`;

function copyLeftover(c: DpfCopy, env: string): Leftover {
  if (c.promoted)
    return { resource: copyName(c), retained: true, detail: `made by ${c.origin} and promoted: the platform's data; kept (data kept); dpf destroy --env ${env} --delete-data deletes it` };
  const how = c.kind === 'db'
    ? `aws rds delete-db-instance --db-instance-identifier ${c.id} --skip-final-snapshot`
    : `aws efs delete-file-system --file-system-id ${c.id} (after its mount targets)`;
  return { resource: copyName(c), retained: false, detail: `made by ${c.origin}, never promoted (${c.status}, billed while it exists): not deleted without --delete-data; delete it (${how}) or run dpf destroy --env ${env} --delete-data` };
}

function copiesStep(op: Operation, o: DestroyOptions): StepDef {
  return opStep(op, {
    id: DESTROY_STEPS.copies,
    title: o.deleteData ? 'Delete the restore and drill copies dpf made outside the stacks (--delete-data)' : 'Restore and drill copies dpf made outside the stacks',
    input: { deleteData: o.deleteData },
    estimateSeconds: o.deleteData ? 600 : 10,
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const env = ctx.envCtx.name;
      const found = await findCopies(ops, ctx.ledger, ctx.envCtx, platformData(ctx.ledger, ctx.envCtx, o.retained?.storage));
      await ctx.evidence({ found });
      if (!o.deleteData) {
        const leftovers = found.map((c) => copyLeftover(c, env));
        for (const l of leftovers) ctx.io.notify({ type: l.retained ? 'info' : 'warning', stepId: ctx.stepId, message: `${l.retained ? 'retained' : 'left behind'}: ${l.resource} — ${l.detail}` });
        return { changed: false, summary: found.length ? `${found.length} found, kept: ${found.map(copyName).join(', ')}` : 'none', outputs: { Found: String(found.length), Deleted: '0' }, evidence: { found, deleted: [], leftovers } };
      }
      const deleted: string[] = [];
      const leftovers: Leftover[] = [];
      const until = new Date(ctx.clock.now().getTime() + 90 * 60000);
      const dbs = found.filter((c) => c.kind === 'db');
      for (const c of dbs) {
        try {
          if (c.deletionProtection) await ops.rds.modifyDeletionProtection(c.id, false);
          if (c.status !== 'deleting') {
            ctx.progress(`deleting ${copyName(c)} (made by ${c.origin}; no final snapshot: --delete-data)`);
            await ops.rds.deleteInstance(c.id, { skipFinalSnapshot: true });
          }
        } catch (err) {
          leftovers.push({ resource: copyName(c), retained: false, detail: `DeleteDBInstance failed: ${errorMessage(err)}` });
        }
      }
      for (const c of dbs.filter((x) => !leftovers.some((l) => l.resource === copyName(x)))) {
        await waitFor(ctx, {
          stepId: ctx.stepId,
          what: copyName(c),
          read: async () => (await ops.rds.describeInstance(c.id))?.status,
          state: (s) => (s === undefined ? 'done' : 'waiting'),
          describe: (s) => s ?? 'gone',
          deadline: until,
          minMs: 10000,
          maxMs: 60000,
          onTimeout: (s) => stepError('DeleteCopyTimedOut', `${copyName(c)} is still ${s} after 90 min.`, { hint: `Rerun dpf destroy --env ${env} --delete-data to keep waiting.` }),
          onFailed: () => stepError('DeleteCopyFailed', `${copyName(c)} could not be deleted.`),
        });
        deleted.push(`${copyName(c)} (${c.origin})`);
      }
      for (const c of found.filter((x) => x.kind === 'fs')) {
        try {
          ctx.progress(`deleting ${copyName(c)} (made by ${c.origin}; --delete-data)`);
          await deleteFileSystem(ctx, ops.efs, c.id, { hint: `Rerun dpf destroy --env ${env} --delete-data to keep waiting.` });
          deleted.push(`${copyName(c)} (${c.origin})`);
        } catch (err) {
          leftovers.push({ resource: copyName(c), retained: false, detail: `not deleted: ${errorMessage(err)}` });
        }
      }
      // Verified through describe calls, not through what the calls answered.
      for (const c of await findCopies(ops, ctx.ledger, ctx.envCtx, platformData(ctx.ledger, ctx.envCtx, o.retained?.storage)))
        if (!leftovers.some((l) => l.resource === copyName(c)) && !/^delet/.test(c.status)) leftovers.push({ resource: copyName(c), retained: false, detail: `${c.status}: still exists after its deletion (made by ${c.origin})` });
      for (const l of leftovers) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `left behind: ${l.resource} — ${l.detail}` });
      return {
        changed: deleted.length > 0,
        summary: `${deleted.length ? `deleted ${deleted.join(', ')}` : 'none to delete'}${leftovers.length ? `; ${leftovers.length} LEFT BEHIND` : ''}`,
        outputs: { Found: String(found.length), Deleted: String(deleted.length) },
        evidence: { found, deleted, leftovers },
      };
    },
  });
}

function finalSnapshotStep(op: Operation): StepDef {
  return opStep(op, {
    id: DESTROY_STEPS.finalSnapshot,
    title: 'Final RDS snapshot (data kept)',
    estimateSeconds: 600,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const db = dbIdentifierOf(ctx, mine);
      if (!(await ops.rds.describeInstance(db))) {
        // Resumed after the snapshot was taken and the instance deleted: still report the snapshot.
        const taken = mine.snapshotId ? (await ops.rds.describeSnapshots({ snapshotId: String(mine.snapshotId) }))[0] : undefined;
        if (taken?.status === 'available') return { changed: false, summary: `${taken.identifier} available`, outputs: { SnapshotId: taken.identifier, DbInstanceIdentifier: db }, evidence: { dbInstance: db, snapshotId: taken.identifier } };
        return { changed: false, summary: `no database ${db} to snapshot`, evidence: { dbInstance: db } };
      }
      const snapshotId = restoreName(db, op.stamp, 'final');
      if (!(await ops.rds.describeSnapshots({ snapshotId })).length) {
        ctx.progress(`creating final snapshot ${snapshotId}`);
        await ops.rds.createSnapshot(db, snapshotId, { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, 'dpf:operation': op.id, 'dpf:final': 'true' });
      }
      await ctx.evidence({ dbInstance: db, snapshotId });
      await waitFor(ctx, {
        stepId: ctx.stepId,
        what: `snapshot ${snapshotId}`,
        read: async () => (await ops.rds.describeSnapshots({ snapshotId }))[0],
        state: (s) => (s?.status === 'available' ? 'done' : s?.status === 'failed' ? 'failed' : 'waiting'),
        describe: (s) => s?.status ?? 'not visible yet',
        deadline: new Date(ctx.clock.now().getTime() + 120 * 60000),
        onTimeout: (s) => stepError('FinalSnapshotTimedOut', `Final snapshot ${snapshotId} is still ${s?.status} after 2 h; nothing was deleted.`, { hint: 'Rerun dpf destroy to keep waiting.' }),
        onFailed: () => stepError('FinalSnapshotFailed', `Final snapshot ${snapshotId} failed; nothing was deleted.`),
      });
      const inst = await ops.rds.describeInstance(db);
      if (inst?.deletionProtection) {
        ctx.progress(`turning off deletion protection of ${db} (the destroy was confirmed; the final snapshot is ${snapshotId})`);
        await ops.rds.modifyDeletionProtection(db, false);
      }
      return { changed: true, summary: `${snapshotId} available`, outputs: { SnapshotId: snapshotId, DbInstanceIdentifier: db }, evidence: { dbInstance: db, snapshotId, deletionProtectionDisabled: Boolean(inst?.deletionProtection) } };
    },
  });
}

function deleteDbStep(op: Operation): StepDef {
  return opStep(op, {
    id: DESTROY_STEPS.deleteDb,
    title: 'Delete the database without a final snapshot (--delete-data)',
    estimateSeconds: 600,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const db = dbIdentifierOf(ctx, mine);
      await ctx.evidence({ dbInstance: db });
      const inst = await ops.rds.describeInstance(db);
      if (!inst) return { changed: false, summary: `no database ${db}`, evidence: { dbInstance: db } };
      if (inst.deletionProtection) await ops.rds.modifyDeletionProtection(db, false);
      if (inst.status !== 'deleting') await ops.rds.deleteInstance(db, { skipFinalSnapshot: true });
      await waitFor(ctx, {
        stepId: ctx.stepId,
        what: `DB instance ${db}`,
        read: async () => (await ops.rds.describeInstance(db))?.status,
        state: (s) => (s === undefined ? 'done' : 'waiting'),
        describe: (s) => s ?? 'gone',
        deadline: new Date(ctx.clock.now().getTime() + 90 * 60000),
        minMs: 10000,
        maxMs: 60000,
        onTimeout: (s) => stepError('DeleteDbTimedOut', `${db} is still ${s} after 90 min.`, { hint: 'Rerun dpf destroy --delete-data to keep waiting.' }),
        onFailed: () => stepError('DeleteDbFailed', `${db} could not be deleted.`),
      });
      return { changed: true, summary: `${db} deleted (no final snapshot)`, evidence: { dbInstance: db, deletedAt: ctx.clock.now().toISOString() } };
    },
  });
}

async function destroyPhase(ctx: StepContext, op: Operation, p: DeployPhase, o: DestroyOptions, mine: Record<string, unknown>) {
  const cfn = await ctx.aws.cfn();
  const ops = await ctx.aws.ops();
  // What the checks after deletion need, saved before the ledger forgets the phase's outputs
  // (or, for data an earlier destroy kept, what that destroy recorded).
  const outputs: Record<string, string> = (mine.outputs as Record<string, string> | undefined) ?? { ...o.retained?.[p], ...collectOutputs(ctx.ledger, p) };
  await ctx.evidence({ outputs });
  const deleted: string[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  for (const name of o.stacks[p] ?? []) {
    const r = await deleteStack(ctx, cfn, name, { hint: `Rerun dpf destroy --env ${ctx.envCtx.name} to keep waiting.` });
    notes.push(...r.notes);
    if (r.existed && r.gone) deleted.push(name);
    else failures.push(...r.problems);
  }
  const copiesLeft = ((stepOf(ctx.ledger, op, DESTROY_STEPS.copies)?.evidence.leftovers as Leftover[] | undefined) ?? []).map((l) => l.resource);
  if (failures.length && copiesLeft.length && (p === 'storage' || p === 'network'))
    failures.push(`  still using the ${p === 'storage' ? 'DB subnet group' : 'security groups and subnets'}, perhaps: ${copiesLeft.join(', ')} (made by dpf outside the stacks; dpf destroy --delete-data deletes them)`);
  if (failures.length)
    throw stepError('StackDeleteFailed', `CloudFormation could not delete the ${p} stack.`, {
      details: failures,
      hint: `Delete or detach the resources named above (or retain them: aws cloudformation delete-stack --stack-name NAME --retain-resources ID…), then rerun: dpf destroy --env ${ctx.envCtx.name}`,
    });

  const failedDeletes: Leftover[] = [];
  if (p === 'storage' && o.deleteData) failedDeletes.push(...(await deleteData(ctx, ops, outputs, deleted)));
  if (p === 'identity') failedDeletes.push(...(await deleteHostKeytabs(ctx, ops, deleted)));
  // The snapshots this destroy left: its own final one and the one CloudFormation took
  // (DeletionPolicy Snapshot), recorded by id.
  const finalSnapshots = p === 'storage' && !o.deleteData ? await finalSnapshotsOf(ops, outputs.DbInstanceIdentifier ?? dbIdentifierOf(ctx, mine), op) : [];
  if (p === 'bootstrap' && o.deleteState) {
    const bucket = outputs.StateBucketName;
    if (bucket) {
      ctx.progress(`emptying and deleting the state bucket ${bucket} (--delete-state; the local ledger stays)`);
      await ops.buckets.emptyAndDelete(bucket);
      deleted.push(`bucket ${bucket}`);
    }
  }
  const checked = await checkLeftovers(ctx, ops, p, outputs, o);
  const leftovers = [...failedDeletes, ...checked.filter((c) => !failedDeletes.some((f) => f.resource === c.resource))];
  const leaked = leftovers.filter((l) => !l.retained);
  for (const l of leaked) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `left behind: ${l.resource} — ${l.detail}` });
  for (const l of leftovers.filter((x) => x.retained)) ctx.io.notify({ type: 'info', stepId: ctx.stepId, message: `retained: ${l.resource} — ${l.detail}` });

  // The ledger: the phase is no longer deployed (the engine resets its records when this step is done).
  // Go-live checks describe a platform that no longer exists once its network is gone.
  const now = ctx.clock.now().toISOString();
  const stale = Object.values(ctx.ledger.data.steps).filter((x) => x.phase === p || (p === 'network' && x.phase === 'golive'));
  return {
    resets: { steps: stale.map((s) => s.id), evidence: { destroyedAt: now, destroyedBy: op.id, leftovers: leaked.map((l) => l.resource) } },
    changed: deleted.length > 0,
    summary: `${deleted.length ? `deleted ${deleted.join(', ')}` : 'nothing to delete'}${leaked.length ? `; ${leaked.length} LEFT BEHIND` : ''}${leftovers.length - leaked.length ? `; ${leftovers.length - leaked.length} retained` : ''}`,
    outputs: { Leaked: String(leaked.length), ...(finalSnapshots.length ? { FinalSnapshots: finalSnapshots.join(',') } : {}) },
    evidence: { outputs, deleted, leftovers, notes, destroyedAt: now, ...(finalSnapshots.length ? { finalSnapshots } : {}) },
  };
}

function collectOutputs(ledger: Ledger, p: DeployPhase): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of Object.values(ledger.data.steps).filter((x) => x.phase === p)) Object.assign(out, s.outputs);
  return out;
}

/** Manual snapshots of the database taken since this destroy started (its own and CloudFormation's), oldest first. */
async function finalSnapshotsOf(ops: OpsPorts, db: string, op: Operation): Promise<string[]> {
  const snaps = await ops.rds.describeSnapshots({ instance: db });
  return snaps
    .filter((s) => s.type === 'manual' && s.created && s.created.getTime() >= op.startedAt.getTime() && s.status !== 'failed')
    .sort((a, b) => (a.created?.getTime() ?? 0) - (b.created?.getTime() ?? 0))
    .map((s) => s.identifier);
}

/** --delete-data: buckets, EFS, then the backup vault's recovery points and the vault. Returns what could not be deleted. */
async function deleteData(ctx: StepContext, ops: OpsPorts, outputs: Record<string, string>, deleted: string[]): Promise<Leftover[]> {
  for (const b of [outputs.DataLakeBucketName, outputs.AccessLogBucketName].filter(Boolean) as string[]) {
    ctx.progress(`emptying and deleting bucket ${b} (--delete-data)`);
    await ops.buckets.emptyAndDelete(b);
    deleted.push(`bucket ${b}`);
  }
  const fs = outputs.EfsFileSystemId;
  if (fs && (await ops.efs.describeFileSystems(fs)).length) {
    await deleteFileSystem(ctx, ops.efs, fs, { hint: `Rerun dpf destroy --env ${ctx.envCtx.name} --delete-data to keep waiting.` });
    deleted.push(`EFS ${fs}`);
  }
  const left: Leftover[] = [];
  const vault = outputs.BackupVaultName;
  if (vault) {
    ctx.progress(`deleting the recovery points of ${vault}, then the vault (--delete-data)`);
    const r = await deleteVaultAndPoints(ctx, ops.backup, vault);
    deleted.push(...r.deleted);
    left.push(...r.left.map((l) => ({ resource: l.resource, retained: false, detail: l.detail })));
  }
  return left;
}

/**
 * The FreeIPA host keytabs the first IPA server published (<project>/<env>/freeipa/host-keytab/*):
 * minted outside CloudFormation, worthless once the directory is gone, and a stale one would be
 * skipped by a rebuilt server's enrolment if it kept its installation tag. Deleted at once.
 */
export function hostKeytabPrefix(envCtx: Pick<EnvContext, 'project' | 'name'>): string {
  return `${envCtx.project}/${envCtx.name}/freeipa/host-keytab/`;
}

async function deleteHostKeytabs(ctx: StepContext, ops: OpsPorts, deleted: string[]): Promise<Leftover[]> {
  const prefix = hostKeytabPrefix(ctx.envCtx);
  let names: string[];
  try {
    names = await ops.secrets.listSecretNames(prefix);
  } catch (err) {
    return [{ resource: `secrets ${prefix}*`, retained: false, detail: `could not list them: ${errorMessage(err)} (aws secretsmanager list-secrets --filters Key=name,Values=${prefix})` }];
  }
  const left: Leftover[] = [];
  for (const name of names) {
    try {
      await ops.secrets.deleteSecretNow(name);
      deleted.push(`secret ${name}`);
    } catch (err) {
      left.push({ resource: `secret ${name}`, retained: false, detail: `DeleteSecret failed: ${errorMessage(err)}` });
    }
  }
  return left;
}

const ALIVE = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** What still exists after the phase's stacks are gone, checked through describe calls. */
async function checkLeftovers(ctx: StepContext, ops: OpsPorts, p: DeployPhase, out: Record<string, string>, o: DestroyOptions): Promise<Leftover[]> {
  const env = ctx.envCtx.name;
  const left: Leftover[] = [];
  const leak = (resource: string, detail: string) => left.push({ resource, retained: false, detail });
  const keep = (resource: string, detail: string) => left.push({ resource, retained: true, detail });
  const safe = async <T>(f: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      leak(`(could not check: ${errorMessage(err)})`, 'verify by hand');
      return fallback;
    }
  };
  if (p === 'network') {
    const vpcs = await safe(() => ops.ec2.describeVpcs({ 'tag:dpf:env': [env], 'tag:dpf:project': [ctx.envCtx.project] }), []);
    for (const v of vpcs) {
      leak(`VPC ${v.vpcId} (${v.cidr})`, 'still exists after the network stack was deleted');
      for (const s of await safe(() => ops.ec2.describeSubnets({ 'vpc-id': [v.vpcId] }), [])) leak(`subnet ${s.subnetId} (${s.cidr})`, `in ${v.vpcId}`);
      for (const n of (await safe(() => ops.ec2.describeNatGateways({ 'vpc-id': [v.vpcId] }), [])).filter((x) => !/deleted|deleting/.test(x.state))) leak(`NAT gateway ${n.natGatewayId}`, `${n.state}, in ${v.vpcId} (billed hourly)`);
      for (const g of (await safe(() => ops.ec2.describeSecurityGroups({ 'vpc-id': [v.vpcId] }), [])).filter((x) => x.groupName !== 'default')) leak(`security group ${g.groupId} (${g.groupName})`, `in ${v.vpcId}`);
    }
  }
  if (p === 'compute' || p === 'identity') {
    const roles = p === 'compute' ? ['bastion', 'master', 'dev', 'worker'] : ['identity'];
    const inst = await safe(() => ops.ec2.describeInstances({ 'tag:dpf:env': [env], 'tag:dpf:role': roles, 'instance-state-name': ALIVE }), []);
    for (const i of inst) leak(`instance ${i.instanceId} (${i.tags['dpf:role'] ?? '?'})`, `${i.state} after the ${p} stack was deleted`);
    if (p === 'compute' && out.WorkerAutoScalingGroupName) {
      const g = await safe(() => ops.autoscaling.describeGroup(out.WorkerAutoScalingGroupName!), undefined);
      if (g) leak(`Auto Scaling group ${g.name}`, `${g.instances.length} instance(s)`);
    }
  }
  if (p === 'storage') {
    const db = out.DbInstanceIdentifier ?? `${ctx.envCtx.project}-${env}-metadata`;
    const inst = db ? await safe(() => ops.rds.describeInstance(db), undefined) : undefined;
    if (inst && inst.status !== 'deleting') leak(`RDS instance ${db}`, `${inst.status} after the storage stack was deleted`);
    const snaps = db ? (await safe(() => ops.rds.describeSnapshots({ instance: db }), [])).filter((s) => s.type === 'manual') : [];
    for (const s of snaps)
      keep(`RDS snapshot ${s.identifier}`, o.deleteData
        ? `a manual snapshot (dpf backup or an earlier destroy): --delete-data does not delete backups taken before; delete it with aws rds delete-db-snapshot --db-snapshot-identifier ${s.identifier}`
        : 'data kept (restore with dpf restore db --snapshot after redeploying)');
    for (const b of [out.DataLakeBucketName, out.AccessLogBucketName].filter(Boolean) as string[]) {
      const i = await safe(() => ops.buckets.inspect(b), { exists: false });
      if (i.exists) (o.deleteData ? leak : keep)(`bucket ${b}`, o.deleteData ? 'still exists' : 'data kept (its DeletionPolicy retains it); dpf destroy --delete-data removes it');
    }
    if (out.EfsFileSystemId) {
      const fs = await safe(() => ops.efs.describeFileSystems(out.EfsFileSystemId), []);
      if (fs.length) (o.deleteData ? leak : keep)(`EFS ${out.EfsFileSystemId}`, o.deleteData ? `${fs[0]!.state}` : 'data kept (its DeletionPolicy retains it)');
    }
    if (out.BackupVaultName) {
      if (!o.deleteData) keep(`backup vault ${out.BackupVaultName}`, 'retained: it holds the recovery points; dpf destroy --delete-data deletes them and the vault');
      else {
        const v = await safe(() => ops.backup.describeVault(out.BackupVaultName!), undefined);
        if (v) leak(`backup vault ${out.BackupVaultName}`, `still exists${v.recoveryPoints ? ` with ${v.recoveryPoints} recovery point(s)` : ''}${v.locked ? ' (vault lock)' : ''}`);
      }
    }
    const dr = ctx.ledger.get('storage.dr-vault');
    if (typeof dr?.evidence.stackName === 'string')
      keep(`DR vault stack ${dr.evidence.stackName} (${String(dr.evidence.region)})`, `kept: it holds the cross-region copies of the backups; once they are not needed, delete its recovery points and run aws cloudformation delete-stack --region ${String(dr.evidence.region)} --stack-name ${dr.evidence.stackName}`);
    const key = out.DataKmsKeyArn || out.DataKmsKeyId;
    if (key) keep(`KMS key ${key}`, o.deleteData ? 'retained (its DeletionPolicy; it may still encrypt snapshots): aws kms schedule-key-deletion --key-id KEY --pending-window-in-days 30 once nothing needs it' : 'retained (it encrypts the kept data and snapshots)');
  }
  if (p === 'bootstrap' && !o.deleteState) keep(`state bucket ${names(ctx.envCtx).stateBucket}`, 'kept');
  return left;
}
