/** The platform's data: the final snapshot, the database, and (--delete-data) buckets, EFS and the backup vault. */
import type { OpsPorts } from '../../aws/ops-ports.js';
import type { StepContext, StepDef } from '../../steps/types.js';
import { opStep, waitFor, stepError, type Operation } from '../operation.js';
import { restoreName } from '../restore/copy.js';
import { deleteFileSystem } from '../reap.js';
import { deleteVaultAndPoints } from '../backup/vault.js';
import type { Leftover } from './keys.js';
import { DESTROY_STEPS, dbIdentifierOf } from './keys.js';

export function finalSnapshotStep(op: Operation): StepDef {
  return opStep({
    id: DESTROY_STEPS.finalSnapshot,
    title: 'Final RDS snapshot (data kept)',
    estimateSeconds: 600,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const db = dbIdentifierOf(ctx, mine);
      if (!(await ops.rds.describeInstance(db))) {
        // Resumed after the snapshot was taken and the instance deleted: still report the snapshot.
        const taken = mine.snapshotId ? (await ops.rds.describeSnapshots({ snapshotId: String(mine.snapshotId) }))[0] : undefined;
        if (taken?.status === 'available')
          return {
            changed: false,
            summary: `${taken.identifier} available`,
            outputs: { SnapshotId: taken.identifier, DbInstanceIdentifier: db },
            evidence: { dbInstance: db, snapshotId: taken.identifier },
          };
        return { changed: false, summary: `no database ${db} to snapshot`, evidence: { dbInstance: db } };
      }
      const snapshotId = restoreName(db, op.stamp, 'final');
      if (!(await ops.rds.describeSnapshots({ snapshotId })).length) {
        ctx.progress(`creating final snapshot ${snapshotId}`);
        await ops.rds.createSnapshot(db, snapshotId, {
          'dpf:env': ctx.envCtx.name,
          'dpf:project': ctx.envCtx.project,
          'dpf:operation': op.id,
          'dpf:final': 'true',
        });
      }
      await ctx.evidence({ dbInstance: db, snapshotId });
      await waitFor(ctx, {
        stepId: ctx.stepId,
        what: `snapshot ${snapshotId}`,
        read: async () => (await ops.rds.describeSnapshots({ snapshotId }))[0],
        state: (s) => (s?.status === 'available' ? 'done' : s?.status === 'failed' ? 'failed' : 'waiting'),
        describe: (s) => s?.status ?? 'not visible yet',
        deadline: new Date(ctx.clock.now().getTime() + 120 * 60000),
        onTimeout: (s) =>
          stepError('FinalSnapshotTimedOut', `Final snapshot ${snapshotId} is still ${s?.status} after 2 h; nothing was deleted.`, {
            hint: 'Rerun dpf destroy to keep waiting.',
          }),
        onFailed: () => stepError('FinalSnapshotFailed', `Final snapshot ${snapshotId} failed; nothing was deleted.`),
      });
      const inst = await ops.rds.describeInstance(db);
      if (inst?.deletionProtection) {
        ctx.progress(`turning off deletion protection of ${db} (the destroy was confirmed; the final snapshot is ${snapshotId})`);
        await ops.rds.modifyDeletionProtection(db, false);
      }
      return {
        changed: true,
        summary: `${snapshotId} available`,
        outputs: { SnapshotId: snapshotId, DbInstanceIdentifier: db },
        evidence: { dbInstance: db, snapshotId, deletionProtectionDisabled: Boolean(inst?.deletionProtection) },
      };
    },
  });
}

export function deleteDbStep(): StepDef {
  return opStep({
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

export async function finalSnapshotsOf(ops: OpsPorts, db: string, op: Operation): Promise<string[]> {
  const snaps = await ops.rds.describeSnapshots({ instance: db });
  return snaps
    .filter((s) => s.type === 'manual' && s.created && s.created.getTime() >= op.startedAt.getTime() && s.status !== 'failed')
    .sort((a, b) => (a.created?.getTime() ?? 0) - (b.created?.getTime() ?? 0))
    .map((s) => s.identifier);
}

/** --delete-data: buckets, EFS, then the backup vault's recovery points and the vault. Returns what could not be deleted. */
export async function deleteData(ctx: StepContext, ops: OpsPorts, outputs: Record<string, string>, deleted: string[]): Promise<Leftover[]> {
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
