/** Databases and file systems dpf made outside the stacks (dpf restore, DR drills): found, listed, deleted with --delete-data. */
import type { OpsPorts } from '../../aws/ops-ports.js';
import type { EnvContext, StepContext, StepDef, StepResult } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { errorMessage } from '../../errors.js';
import { opStep, operationsOf, optionalOutput, waitFor, stepError } from '../operation.js';
import { restoreName } from '../restore/copy.js';
import { RESTORE_STEPS } from '../restore/keys.js';
import { deleteFileSystem } from '../reap.js';
import type { DestroyOptions, Leftover } from './keys.js';
import { DESTROY_STEPS, PHASE_STEP } from './keys.js';

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

export const PURPOSE_TAGS = ['dpf:purpose', 'dpf:operation', 'dpf:drill'];
export const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The platform's own database and file system (never a copy): the ledger's outputs, else what a destroy recorded. */
export function platformData(ledger: Ledger, envCtx: Pick<EnvContext, 'project' | 'name'>, retained?: Record<string, string>): { db: string; fs?: string } {
  const destroyed = PHASE_STEP('storage').latest(ledger)?.evidence.outputs ?? {};
  return {
    db:
      optionalOutput(ledger, 'storage.stack', 'DbInstanceIdentifier') ??
      retained?.DbInstanceIdentifier ??
      destroyed.DbInstanceIdentifier ??
      `${envCtx.project}-${envCtx.name}-metadata`,
    fs: optionalOutput(ledger, 'storage.stack', 'EfsFileSystemId') ?? retained?.EfsFileSystemId ?? destroyed.EfsFileSystemId,
  };
}

/** What the ledger says dpf restored (restore operations, the last restore and drill steps) and promoted. */
export function recordedCopies(ledger: Ledger): { db: Map<string, string>; fs: Map<string, string>; promoted: Set<string> } {
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
  for (const [stepId, what] of [
    [RESTORE_STEPS.db, 'dpf restore db'],
    ['operations.drill.restore-db', 'dpf dr-drill'],
  ] as const) {
    const r = rec(stepId, 'DbInstanceIdentifier');
    if (r && !db.has(r.id)) db.set(r.id, `${what} (operation ${r.op})`);
  }
  for (const [stepId, what] of [
    [RESTORE_STEPS.fs, 'dpf restore fs'],
    ['operations.drill.restore-fs', 'dpf dr-drill'],
  ] as const) {
    const r = rec(stepId, 'FileSystemId');
    if (r && !fs.has(r.id)) fs.set(r.id, `${what} (operation ${r.op})`);
  }
  return { db, fs, promoted };
}

export function originOf(tags: Record<string, string>, fallback: string): string {
  if (tags['dpf:drill']) return `dpf dr-drill (operation ${tags['dpf:drill']})`;
  if (tags['dpf:operation'])
    return `${/^restore-fs-/.test(tags['dpf:operation']) ? 'dpf restore fs' : /^restore-db-/.test(tags['dpf:operation']) ? 'dpf restore db' : 'dpf'} (operation ${tags['dpf:operation']})`;
  return fallback;
}

/**
 * The RDS instances and EFS file systems dpf made for this environment outside its stacks: tagged
 * dpf:env=<env> (and the project) with a tag saying which dpf operation made them, named as dpf
 * names restore and drill copies, or recorded in the ledger. Never the platform's own database or
 * file system.
 */
export async function findCopies(
  ops: OpsPorts,
  ledger: Ledger,
  envCtx: Pick<EnvContext, 'project' | 'name'>,
  platform: { db: string; fs?: string },
): Promise<DpfCopy[]> {
  const env = envCtx.name;
  const ours = (t: Record<string, string>) =>
    t['dpf:env'] === env && (!t['dpf:project'] || t['dpf:project'] === envCtx.project) && PURPOSE_TAGS.some((k) => t[k]);
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
    out.push({
      kind: 'fs',
      id: f.fileSystemId,
      status: f.state,
      origin: originOf(f.tags, fromLedger ?? 'dpf restore fs'),
      promoted: recorded.promoted.has(f.fileSystemId) || fsParam === f.fileSystemId,
    });
  }
  return out;
}

export const copyName = (c: DpfCopy) => `${c.kind === 'db' ? 'RDS instance' : 'EFS'} ${c.id}`;

export function copyLeftover(c: DpfCopy, env: string): Leftover {
  if (c.promoted)
    return {
      resource: copyName(c),
      retained: true,
      detail: `made by ${c.origin} and promoted: the platform's data; kept (data kept); dpf destroy --env ${env} --delete-data deletes it`,
    };
  const how =
    c.kind === 'db'
      ? `aws rds delete-db-instance --db-instance-identifier ${c.id} --skip-final-snapshot`
      : `aws efs delete-file-system --file-system-id ${c.id} (after its mount targets)`;
  return {
    resource: copyName(c),
    retained: false,
    detail: `made by ${c.origin}, never promoted (${c.status}, billed while it exists): not deleted without --delete-data; delete it (${how}) or run dpf destroy --env ${env} --delete-data`,
  };
}

export function copiesStep(o: DestroyOptions): StepDef {
  return opStep({
    id: DESTROY_STEPS.copies,
    title: o.deleteData
      ? 'Delete the restore and drill copies dpf made outside the stacks (--delete-data)'
      : 'Restore and drill copies dpf made outside the stacks',
    input: { deleteData: o.deleteData },
    estimateSeconds: o.deleteData ? 600 : 10,
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const find = () => findCopies(ops, ctx.ledger, ctx.envCtx, platformData(ctx.ledger, ctx.envCtx, o.retained?.storage));
      const found = await find();
      await ctx.evidence({ found });
      if (!o.deleteData) return copiesKept(ctx, found);
      const deleted: string[] = [];
      const leftovers: Leftover[] = [];
      await deleteDbCopies(ctx, ops, found, deleted, leftovers);
      await deleteFsCopies(ctx, ops, found, deleted, leftovers);
      // Verified through describe calls, not through what the calls answered.
      for (const c of await find())
        if (!leftovers.some((l) => l.resource === copyName(c)) && !/^delet/.test(c.status))
          leftovers.push({ resource: copyName(c), retained: false, detail: `${c.status}: still exists after its deletion (made by ${c.origin})` });
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

/** Without --delete-data: every copy is listed (a promoted one retained, the others left behind with how to delete them). */
function copiesKept(ctx: StepContext, found: DpfCopy[]): StepResult {
  const leftovers = found.map((c) => copyLeftover(c, ctx.envCtx.name));
  for (const l of leftovers)
    ctx.io.notify({
      type: l.retained ? 'info' : 'warning',
      stepId: ctx.stepId,
      message: `${l.retained ? 'retained' : 'left behind'}: ${l.resource} — ${l.detail}`,
    });
  return {
    changed: false,
    summary: found.length ? `${found.length} found, kept: ${found.map(copyName).join(', ')}` : 'none',
    outputs: { Found: String(found.length), Deleted: '0' },
    evidence: { found, deleted: [], leftovers },
  };
}

/** DeleteDBInstance of each database copy (no final snapshot: --delete-data), then wait until each asked for is gone. */
async function deleteDbCopies(ctx: StepContext, ops: OpsPorts, found: DpfCopy[], deleted: string[], leftovers: Leftover[]): Promise<void> {
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
      onTimeout: (s) =>
        stepError('DeleteCopyTimedOut', `${copyName(c)} is still ${s} after 90 min.`, {
          hint: `Rerun dpf destroy --env ${ctx.envCtx.name} --delete-data to keep waiting.`,
        }),
      onFailed: () => stepError('DeleteCopyFailed', `${copyName(c)} could not be deleted.`),
    });
    deleted.push(`${copyName(c)} (${c.origin})`);
  }
}

/** Each file system copy deleted through the reaper (mount targets first); one that is not gone is left behind with why. */
async function deleteFsCopies(ctx: StepContext, ops: OpsPorts, found: DpfCopy[], deleted: string[], leftovers: Leftover[]): Promise<void> {
  for (const c of found.filter((x) => x.kind === 'fs')) {
    try {
      ctx.progress(`deleting ${copyName(c)} (made by ${c.origin}; --delete-data)`);
      await deleteFileSystem(ctx, ops.efs, c.id, { hint: `Rerun dpf destroy --env ${ctx.envCtx.name} --delete-data to keep waiting.` });
      deleted.push(`${copyName(c)} (${c.origin})`);
    } catch (err) {
      leftovers.push({ resource: copyName(c), retained: false, detail: `not deleted: ${errorMessage(err)}` });
    }
  }
}
