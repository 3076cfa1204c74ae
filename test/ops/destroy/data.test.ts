/** The platform's data on destroy: final snapshot, database deletion, --delete-data (src/ops/destroy/data.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { deleteData, deleteDbStep, finalSnapshotStep, finalSnapshotsOf } from '../../../src/ops/destroy/data.js';
import { DESTROY_STEPS } from '../../../src/ops/destroy/keys.js';
import { fails } from '../helpers.js';
import { stepHarness, type StepHarness } from '../step-harness.js';

let h: StepHarness;
afterEach(() => h?.close());

const DB = 'dataplatform-dev-metadata';
const FINAL = `${DB}-final-20250104030000`;
const destroy = async () => (h = await stepHarness({ kind: 'destroy' }));
const rdsOps = () => h.w.rds.calls.map((c) => c.op).filter((op) => op !== 'describeInstance');
/** A destroy of a database with deletion protection on, no call recorded yet. */
const protectedDb = async () => {
  await destroy();
  await h.w.rds.modifyDeletionProtection(DB, true);
  h.w.rds.calls.length = 0;
};
const gone = async () => {
  await h.w.rds.deleteInstance(DB, { skipFinalSnapshot: true });
  await h.w.clock.advance(h.w.rds.deleteMs);
};

describe('finalSnapshotStep', () => {
  it('GIVEN a protected database THEN the final snapshot is taken and available before its protection is turned off', async () => {
    await protectedDb();
    const r = await h.run(finalSnapshotStep(h.op));
    expect(rdsOps()).toEqual(['createSnapshot', 'modifyDeletionProtection']);
    expect(h.w.rds.calls.find((c) => c.op === 'createSnapshot')!.input).toEqual({
      instance: DB,
      snapshotId: FINAL,
      tags: { 'dpf:env': 'dev', 'dpf:project': 'dataplatform', 'dpf:operation': h.op.id, 'dpf:final': 'true' },
    });
    expect((await h.w.rds.describeSnapshots({ snapshotId: FINAL }))[0]!.status).toBe('available');
    expect(r).toMatchObject({ changed: true, outputs: { SnapshotId: FINAL, DbInstanceIdentifier: DB }, evidence: { deletionProtectionDisabled: true } });
  });

  it('GIVEN the snapshot was requested by an interrupted run THEN it is waited for, not taken twice', async () => {
    await destroy();
    await h.w.rds.createSnapshot(DB, FINAL, {});
    h.w.rds.calls.length = 0;
    const r = await h.run(finalSnapshotStep(h.op));
    expect(rdsOps()).toEqual([]);
    expect(r.outputs!.SnapshotId).toBe(FINAL);
  });

  it.each([
    ['its snapshot is recorded and available', true, { changed: false, summary: `${FINAL} available`, outputs: { SnapshotId: FINAL } }],
    ['nothing was snapshotted', false, { changed: false, summary: `no database ${DB} to snapshot` }],
  ])('GIVEN the database is already gone and %s THEN nothing is taken and the step says so', async (_n, taken, want) => {
    await destroy();
    if (taken) {
      await h.w.rds.createSnapshot(DB, FINAL, {});
      await h.seed(DESTROY_STEPS.finalSnapshot, {}, { snapshotId: FINAL }, { status: 'running' });
    }
    await gone();
    h.w.rds.calls.length = 0;
    const r = await h.run(finalSnapshotStep(h.op));
    expect(rdsOps()).toEqual([]);
    expect(r).toMatchObject(want);
  });

  it.each([
    ['fails', 'failed', 'FinalSnapshotFailed', `Final snapshot ${FINAL} failed; nothing was deleted.`],
    ['never becomes available', 'creating', 'FinalSnapshotTimedOut', `Final snapshot ${FINAL} is still creating after 2 h; nothing was deleted.`],
  ])('GIVEN the final snapshot %s THEN %s and the deletion protection stays on', async (_n, status, code, message) => {
    await protectedDb();
    const describe = h.w.rds.describeSnapshots.bind(h.w.rds);
    h.w.rds.describeSnapshots = async (f) => (await describe(f)).map((s) => ({ ...s, status }));
    const err = await fails(h.run(finalSnapshotStep(h.op)));
    expect({ code: err.code, message: err.message }).toEqual({ code, message });
    expect((await h.w.rds.describeInstance(DB))!.deletionProtection).toBe(true);
  });
});

describe('deleteDbStep', () => {
  it('GIVEN a protected database THEN protection off, deleted with no final snapshot, and waited until gone', async () => {
    await protectedDb();
    const r = await h.run(deleteDbStep());
    expect(h.w.rds.calls.filter((c) => c.op !== 'describeInstance')).toEqual([
      { op: 'modifyDeletionProtection', input: { identifier: DB, enabled: false } },
      { op: 'deleteInstance', input: { identifier: DB, skipFinalSnapshot: true } },
    ]);
    expect(await h.w.rds.describeInstance(DB)).toBeUndefined();
    expect(r).toMatchObject({ changed: true, summary: `${DB} deleted (no final snapshot)` });
  });

  it('GIVEN the database is already gone THEN nothing is called and the step is unchanged', async () => {
    await destroy();
    await gone();
    h.w.rds.calls.length = 0;
    expect(await h.run(deleteDbStep())).toMatchObject({ changed: false, summary: `no database ${DB}` });
    expect(rdsOps()).toEqual([]);
  });

  it('GIVEN the database is already deleting (an interrupted run) THEN it is waited for, not deleted twice', async () => {
    await destroy();
    await h.w.rds.deleteInstance(DB, { skipFinalSnapshot: true });
    h.w.rds.calls.length = 0;
    await h.run(deleteDbStep());
    expect(rdsOps()).toEqual([]);
    expect(await h.w.rds.describeInstance(DB)).toBeUndefined();
  });

  it('GIVEN the database never goes THEN DeleteDbTimedOut after 90 min, saying to rerun', async () => {
    await destroy();
    h.w.rds.deleteMs = 3 * 3600_000;
    const err = await fails(h.run(deleteDbStep()));
    expect(err.code).toBe('DeleteDbTimedOut');
    expect(err.message).toBe(`${DB} is still deleting after 90 min.`);
    expect(err.hint).toMatch(/Rerun dpf destroy --delete-data/);
  });
});

describe('finalSnapshotsOf', () => {
  it('GIVEN snapshots of several kinds THEN only the manual ones taken since the destroy started and not failed count, oldest first', async () => {
    await destroy();
    const at = (min: number) => new Date(h.op.startedAt.getTime() + min * 60_000);
    h.w.rds
      .addSnapshot(DB, 'earlier-backup', at(-60))
      .addSnapshot(DB, 'cfn-snapshot', at(20))
      .addSnapshot(DB, 'own-final', at(5))
      .addSnapshot(DB, 'automated', at(10), 'automated');
    const describe = h.w.rds.describeSnapshots.bind(h.w.rds);
    h.w.rds.describeSnapshots = async (f) => [
      ...(await describe(f)),
      { identifier: 'failed-one', dbInstanceIdentifier: DB, status: 'failed', created: at(6), type: 'manual', encrypted: true },
    ];
    expect(await finalSnapshotsOf(await h.session.aws.ops(), DB, h.op)).toEqual(['own-final', 'cfn-snapshot']);
  });
});

describe('deleteData', () => {
  const OUT = {
    DataLakeBucketName: 'lake',
    AccessLogBucketName: 'logs',
    EfsFileSystemId: 'fs-main',
    BackupVaultName: 'dataplatform-dev-vault',
  };
  async function run(outputs: Record<string, string> = OUT) {
    const ops = await h.session.aws.ops();
    const deleted: string[] = [];
    const left = await deleteData(h.context(DESTROY_STEPS.phase('storage')), ops, outputs, deleted);
    return { deleted, left };
  }

  it('GIVEN the data THEN buckets are emptied and deleted, the file system after its mount targets, the recovery points and then the vault', async () => {
    await destroy();
    h.w.buckets.add('lake').add('logs');
    h.w.backup.addRecoveryPoint({ created: h.w.clock.now(), resourceArn: 'arn:fs', vault: OUT.BackupVaultName });
    const { deleted, left } = await run();
    expect(left).toEqual([]);
    expect(h.w.deletedBuckets).toEqual(['lake', 'logs']);
    expect(h.w.efs.fileSystems.has('fs-main')).toBe(false);
    expect(h.w.efs.mountTargets.size).toBe(0);
    expect(h.w.backup.deletedVaults.has(OUT.BackupVaultName)).toBe(true);
    expect(deleted).toEqual([
      'bucket lake',
      'bucket logs',
      'EFS fs-main',
      `1 recovery point(s) of vault ${OUT.BackupVaultName}`,
      `backup vault ${OUT.BackupVaultName}`,
    ]);
  });

  it('GIVEN the file system is already gone THEN it is not deleted again and nothing fails', async () => {
    await destroy();
    h.w.efs.fileSystems.delete('fs-main');
    h.w.efs.mountTargets.clear();
    const { deleted, left } = await run();
    expect(deleted).not.toContain('EFS fs-main');
    expect(left).toEqual([]);
  });

  it('GIVEN a recovery point under a vault lock THEN it and the vault are listed as left behind, not retained', async () => {
    await destroy();
    const p = h.w.backup.addRecoveryPoint({ created: h.w.clock.now(), resourceArn: 'arn:fs', vault: OUT.BackupVaultName });
    h.w.backup.lockedPoints.add(p);
    const { left } = await run({ BackupVaultName: OUT.BackupVaultName });
    expect(left.map((l) => l.resource)).toEqual([`recovery point ${p}`, `backup vault ${OUT.BackupVaultName}`]);
    expect(left.every((l) => l.retained === false)).toBe(true);
    expect(h.w.backup.deletedVaults.has(OUT.BackupVaultName)).toBe(false);
  });

  it('GIVEN a bucket cannot be deleted THEN the error stops the step before the file system and the vault (a rerun resumes)', async () => {
    await destroy();
    const ops = await h.session.aws.ops();
    ops.buckets.emptyAndDelete = async (b: string) => {
      throw Object.assign(new Error(`Access Denied on ${b}`), { name: 'AccessDenied' });
    };
    await expect(run()).rejects.toThrow('Access Denied on lake');
    expect(h.w.efs.fileSystems.has('fs-main')).toBe(true);
    expect(h.w.backup.calls.some((c) => c.op === 'deleteBackupVault')).toBe(false);
  });
});
