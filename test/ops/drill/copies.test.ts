/** The drill's isolated database and file system copies and their validation (src/ops/drill/copies.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { restoreDbStep, restoreFsStep, validateStep } from '../../../src/ops/drill/copies.js';
import { DRILL_STEPS } from '../../../src/ops/drill/keys.js';
import { emulatorSettings } from '../../fakes/fake-settings.js';
import { fails } from '../helpers.js';
import { stepHarness, warnings, type StepHarness } from '../step-harness.js';

let h: StepHarness;
afterEach(() => h?.close());

const NAME = 'dataplatform-dev-drill-20250104030000';
const SOURCE = 'dataplatform-dev-metadata';
const FS_ARN = 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main';
const VAULT = 'dataplatform-dev-vault';

/** A drill whose canary and isolation are done. */
async function drill(o: Parameters<typeof stepHarness>[0] = {}, canary: Record<string, string> = {}) {
  h = await stepHarness(o);
  await h.seed(DRILL_STEPS.canary, { CanaryAt: h.w.clock.now().toISOString(), Database: 'ok', ...canary });
  await h.seed(DRILL_STEPS.isolate, { SecurityGroupId: 'sg-drill' });
  return h;
}

const rdsOps = () => h.w.rds.calls.map((c) => c.op).filter((op) => op !== 'describeInstance');

describe('restoreDbStep', () => {
  it("GIVEN a source that has shipped its logs THEN the copy is restored to the latest restorable time into the platform's subnet and parameter groups, with the drill group only", async () => {
    await drill();
    h.w.rds.lagMs = 0;
    const r = await h.run(restoreDbStep(h.op));
    const restore = h.w.rds.calls.find((c) => c.op === 'restoreToPointInTime')!.input;
    expect(restore).toMatchObject({
      source: SOURCE,
      targetIdentifier: `${NAME}-db`,
      subnetGroup: 'dbsubnets',
      securityGroupIds: ['sg-drill'],
      parameterGroup: 'dbparams',
      multiAz: false,
      useLatestRestorableTime: true,
      tags: { 'dpf:env': 'dev', 'dpf:drill': h.op.id, 'dpf:purpose': 'drill' },
    });
    expect(r.outputs).toMatchObject({ DbInstanceIdentifier: `${NAME}-db`, Source: SOURCE, RestorePoint: '2025-01-04T03:00:00.000Z' });
    expect(r.outputs!.RpoPoint).toBe('2025-01-04T03:00:00.000Z');
    expect(h.w.rds.instanceIds()).toContain(`${NAME}-db`);
  });

  it('GIVEN the copy was already requested by this drill (resumed) THEN it is waited for, not restored twice, and its recorded restore point kept', async () => {
    await drill();
    await h.w.rds.restoreToPointInTime(SOURCE, { targetIdentifier: `${NAME}-db`, subnetGroup: 'dbsubnets', securityGroupIds: ['sg-drill'] });
    await h.seed(DRILL_STEPS.restoreDb, {}, { restorePoint: '2025-01-04T02:58:00.000Z', rpoPoint: '2025-01-04T02:55:00.000Z' }, { status: 'running' });
    h.w.rds.calls.length = 0;
    const r = await h.run(restoreDbStep(h.op));
    expect(rdsOps()).toEqual([]);
    expect(r.outputs).toMatchObject({ RestorePoint: '2025-01-04T02:58:00.000Z', RpoPoint: '2025-01-04T02:55:00.000Z' });
    expect(h.w.io.ofType('step-progress').map((e) => e.message)).toContain(`${NAME}-db already requested by this drill; waiting for it`);
  });

  it('GIVEN the source has no latest restorable time (automated backups off) THEN DrillNoRestorableTime, and nothing is restored', async () => {
    await drill();
    const describe = h.w.rds.describeInstance.bind(h.w.rds);
    h.w.rds.describeInstance = async (id) => {
      const i = await describe(id);
      return i && { ...i, latestRestorableTime: undefined };
    };
    const err = await fails(h.run(restoreDbStep(h.op)));
    expect(err.code).toBe('DrillNoRestorableTime');
    expect(err.hint).toContain('storage.rds.backupRetentionDays');
    expect(rdsOps()).toEqual([]);
  });

  it('GIVEN the platform database is gone THEN NoDatabase names it, and nothing is restored', async () => {
    await drill();
    await h.w.rds.deleteInstance(SOURCE, { skipFinalSnapshot: true });
    await h.w.clock.advance(60_000);
    const err = await fails(h.run(restoreDbStep(h.op)));
    expect(err.code).toBe('NoDatabase');
    expect(err.message).toContain(SOURCE);
    expect(h.w.rds.calls.some((c) => c.op === 'restoreToPointInTime')).toBe(false);
  });

  it('GIVEN the copy ends incompatible-network THEN the step fails with RestoreFailed naming the copy and its status', async () => {
    await drill();
    h.w.rds.lagMs = 0;
    const describe = h.w.rds.describeInstance.bind(h.w.rds);
    h.w.rds.describeInstance = async (id) => {
      const i = await describe(id);
      return i && id.endsWith('-db') && id !== SOURCE ? { ...i, status: 'incompatible-network' } : i;
    };
    const err = await fails(h.run(restoreDbStep(h.op)));
    expect(err.code).toBe('RestoreFailed');
    expect(err.message).toBe(`DB instance ${NAME}-db ended incompatible-network.`);
  });
});

describe('restoreFsStep', () => {
  const point = (created: string, status = 'COMPLETED') =>
    h.w.backup.addRecoveryPoint({ created: new Date(created), resourceArn: FS_ARN, vault: VAULT, status });

  it('GIVEN several recovery points THEN the newest COMPLETED one is restored into a new encrypted file system with the data key, tagged as the drill', async () => {
    await drill();
    point('2025-01-02T05:00:00Z');
    const newest = point('2025-01-03T05:00:00Z');
    point('2025-01-04T02:00:00Z', 'PARTIAL');
    const r = await h.run(restoreFsStep(h.op));
    const job = h.w.backup.calls.find((c) => c.op === 'startRestoreJob')!.input as { recoveryPointArn: string; metadata: Record<string, string> };
    expect(job.recoveryPointArn).toBe(newest);
    expect(job.metadata).toMatchObject({
      'file-system-id': 'fs-main',
      newFileSystem: 'true',
      Encrypted: 'true',
      CreationToken: NAME,
      KmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/k1',
    });
    const fsId = r.outputs!.FileSystemId!;
    expect(r.outputs).toMatchObject({ Status: 'restored', RecoveryPointArn: newest, RestorePoint: '2025-01-03T05:00:00.000Z' });
    expect(h.w.efs.fileSystems.get(fsId)?.tags).toMatchObject({ 'dpf:drill': h.op.id, 'dpf:env': 'dev' });
    expect(h.record(DRILL_STEPS.restoreFs)?.evidence).toMatchObject({ fileSystemId: fsId, recoveryPointArn: newest });
  });

  it.each([
    ['the ledger has no EfsFileSystemId', { EfsFileSystemId: '' }, {}, 'the ledger has no EfsFileSystemId'],
    ['the storage stack has no vault', { BackupVaultName: '' }, {}, 'the storage stack has no BackupVaultName output'],
    ['the storage stack has no backup role', { BackupRoleArn: '' }, {}, 'the storage stack has no BackupRoleArn output'],
    ['the vault holds no completed point of the file system', {}, {}, `vault ${VAULT} has no completed recovery point of fs-main`],
    ['the endpoint offers no AWS Backup', {}, { settings: emulatorSettings(), unavailable: true }, 'AWS Backup recovery points are not available on'],
  ])('GIVEN %s THEN the file system is "not measured" with the reason, a warning, and no restore job', async (_n, outputs, o, reason) => {
    await drill(o.settings ? { settings: o.settings } : {});
    const storage = h.record('storage.stack')!;
    await h.session.ledger.updateStep('storage.stack', 'storage', { outputs: { ...storage.outputs, ...outputs } }, h.w.clock.now());
    if ('unavailable' in o) h.w.backup.unavailable = true;
    else if (!Object.keys(outputs).length) point('2025-01-03T05:00:00Z', 'EXPIRED');
    const r = await h.run(restoreFsStep(h.op));
    expect(r).toMatchObject({ changed: false, outputs: { Status: 'unmeasured', Reason: expect.stringContaining(reason) } });
    expect(warnings(h.w)).toEqual([expect.stringContaining(`file system not restored, so not measured: ${reason}`)]);
    expect(h.w.backup.calls.some((c) => c.op === 'startRestoreJob')).toBe(false);
  });

  it.each(['listRecoveryPoints', 'startRestoreJob'] as const)(
    'GIVEN AWS Backup refuses %s (access denied) THEN the step fails: a refusal is an error, never "not measured"',
    async (call) => {
      await drill();
      point('2025-01-03T05:00:00Z');
      h.w.backup[call] = async () => {
        throw Object.assign(new Error('User is not authorized to perform backup action'), { name: 'AccessDeniedException' });
      };
      await expect(h.run(restoreFsStep(h.op))).rejects.toThrow(/not authorized/);
      expect(warnings(h.w)).toEqual([]);
    },
  );

  it('GIVEN a restore job this drill started (resumed) THEN it is waited for, not started again', async () => {
    await drill();
    const p = point('2025-01-03T05:00:00Z');
    const jobId = await h.w.backup.startRestoreJob(p, 'arn:aws:iam::123456789012:role/backup', {}, 'EFS');
    await h.seed(DRILL_STEPS.restoreFs, {}, { jobId, recoveryPointArn: p, recoveryPointCreated: '2025-01-03T05:00:00.000Z' }, { status: 'running' });
    h.w.backup.calls.length = 0;
    const r = await h.run(restoreFsStep(h.op));
    expect(h.w.backup.calls.filter((c) => c.op === 'startRestoreJob')).toEqual([]);
    expect(r.outputs).toMatchObject({ Status: 'restored', RecoveryPointArn: p, RestorePoint: '2025-01-03T05:00:00.000Z' });
  });

  it('GIVEN the restore job ends FAILED THEN RestoreFailed with its message', async () => {
    await drill();
    point('2025-01-03T05:00:00Z');
    h.w.backup.describeRestoreJob = async (jobId) => ({ jobId, status: 'FAILED', statusMessage: 'Access denied to KMS key', created: h.w.clock.now() });
    const err = await fails(h.run(restoreFsStep(h.op)));
    expect(err.code).toBe('RestoreFailed');
    expect(err.message).toMatch(/ended FAILED: Access denied to KMS key/);
  });
});

describe('validateStep', () => {
  const CANARY = '2025-01-04T03:00:00.000Z';
  async function restored(canary: Record<string, string>, restorePoint: string, copy = true) {
    await drill({}, canary);
    if (copy) h.w.rds.addInstance({ identifier: `${NAME}-db`, subnetGroup: 'dbsubnets', securityGroupIds: ['sg-drill'], parameterGroups: ['dbparams'] });
    await h.seed(DRILL_STEPS.restoreDb, { DbInstanceIdentifier: `${NAME}-db`, RestorePoint: restorePoint });
    await h.seed(DRILL_STEPS.restoreFs, { Status: 'unmeasured', Reason: 'no vault' });
  }
  const check = (r: Awaited<ReturnType<StepHarness['run']>>, name: string) => (r.evidence!.checks as Array<{ name: string }>).find((c) => c.name === name);

  it.each([
    ['the row confirmed and the restore point after it', 'ok', 'ok', '2025-01-04T03:05:00.000Z', /the copy contains it/],
    [
      'the row confirmed and the restore point before it',
      'failed',
      'ok',
      '2025-01-04T02:55:00.000Z',
      /is newer than the restore point 2025-01-04T02:55:00.000Z: the copy lacks it/,
    ],
    ['the row confirmed and no restore point recorded', 'failed', 'ok', '', /newer than the restore point unknown/],
    ['the row not written', 'failed', 'failed', '2025-01-04T03:05:00.000Z', /could not be written/],
    ['the write unconfirmed (no SSM output)', 'unknown', 'unknown', '2025-01-04T03:05:00.000Z', /not confirmed/],
  ])('GIVEN %s THEN the canary check is %s', async (_n, status, db, rp, detail) => {
    await restored({ Database: db, CanaryAt: CANARY }, rp);
    const r = await h.run(validateStep());
    expect(check(r, 'database: canary covered')).toMatchObject({ status, detail: expect.stringMatching(detail) });
    expect(r.outputs!.DbFailed).toBe(status === 'failed' ? '1' : '0');
  });

  it('GIVEN the copy is gone THEN "exists" fails, the summary names it, and the file system (not restored) adds no check', async () => {
    await restored({ Database: 'ok', CanaryAt: CANARY }, '2025-01-04T03:05:00.000Z', false);
    const r = await h.run(validateStep());
    expect(check(r, 'database: exists')).toEqual({ name: 'database: exists', status: 'failed', detail: `${NAME}-db not found` });
    expect(r.summary).toMatch(/FAILED: database: exists$/);
    expect(r.outputs).toMatchObject({ DbFailed: '1', FsFailed: '0', FsValidatedAt: '' });
  });

  it.each([
    ['exists, with the data key', true, []],
    ['is gone', false, ['file system: exists']],
  ])('GIVEN the restored file system %s THEN its checks are judged (mount targets left out) and FsValidatedAt set', async (_n, exists, failed) => {
    await restored({ Database: 'ok', CanaryAt: CANARY }, '2025-01-04T03:05:00.000Z');
    if (exists) h.w.efs.add({ fileSystemId: 'fs-copy', kmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/k1' });
    await h.seed(DRILL_STEPS.restoreFs, { Status: 'restored', FileSystemId: 'fs-copy' });
    const r = await h.run(validateStep());
    const fs = (r.evidence!.checks as Array<{ name: string; status: string }>).filter((c) => c.name.startsWith('file system:'));
    expect(fs.map((c) => c.name)).not.toContain('file system: mount targets');
    expect(fs.filter((c) => c.status === 'failed').map((c) => c.name)).toEqual(failed);
    expect(fs.length).toBeGreaterThan(0);
    expect(r.outputs!.FsValidatedAt).not.toBe('');
    expect(r.outputs!.FsFailed).toBe(String(failed.length));
  });
});
