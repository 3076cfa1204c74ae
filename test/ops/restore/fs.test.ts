/** dpf restore fs's steps (src/ops/restore/fs.ts): an AWS Backup restore job to a new file system, then validated. */
import { afterEach, describe, expect, it } from 'vitest';
import { fails, priorRecord, stepHarness, world, type World } from '../helpers.js';
import { buildRestoreFsSteps, fsValidateStep, restoreFsStep } from '../../../src/ops/restore/fs.js';
import { RESTORE_STEPS, type RestoreFsOptions } from '../../../src/ops/restore/keys.js';
import { emulatorSettings } from '../../fakes/fake-settings.js';

let w: World;
afterEach(() => w?.cleanup());

const POINT = 'arn:aws:backup:us-west-2:123456789012:recovery-point:rp-1';
const KEY = 'arn:aws:kms:us-west-2:123456789012:key/k1';
const RERUN = `dpf restore fs --env dev --recovery-point ${POINT}`;
const options = (o: Partial<RestoreFsOptions> = {}): RestoreFsOptions => ({ recoveryPointArn: POINT, promote: false, timeoutMinutes: 60, rerun: RERUN, ...o });
const jobs = (x: World) => x.backup.calls.filter((c) => c.op === 'startRestoreJob');

describe('restoreFsStep', () => {
  it('GIVEN a recovery point WHEN restoring THEN one job makes a new encrypted file system with the data key, tagged as this operation', async () => {
    w = world();
    const h = await stepHarness(w);
    const r = await h.run(restoreFsStep(h.op, options()));
    expect(jobs(w)).toEqual([
      {
        op: 'startRestoreJob',
        input: {
          recoveryPointArn: POINT,
          iamRoleArn: 'arn:aws:iam::123456789012:role/backup',
          resourceType: 'EFS',
          metadata: {
            'file-system-id': 'fs-main',
            newFileSystem: 'true',
            Encrypted: 'true',
            PerformanceMode: 'generalPurpose',
            CreationToken: `dataplatform-dev-restore-${h.op.stamp}`,
            KmsKeyId: KEY,
          },
        },
      },
    ]);
    const fsId = r.outputs!.FileSystemId!;
    expect(w.efs.fileSystems.get(fsId)?.tags).toMatchObject({ 'dpf:operation': h.op.id, 'dpf:restored-from': 'fs-main' });
    expect(r.evidence).toMatchObject({ fileSystemId: fsId, tagged: true });
  });

  it.each([
    [
      'the job ends FAILED',
      (x: World) => (x.backup.restoreFailure = 'Access denied to elasticfilesystem:CreateFileSystem'),
      'RestoreFailed',
      /^Restore job restore-\d+ ended FAILED: Access denied to elasticfilesystem:CreateFileSystem\.$/,
    ],
    [
      'the job outlasts the timeout',
      (x: World) => (x.backup.jobMs = 3 * 3600_000),
      'RestoreTimedOut',
      /^Restore job restore-\d+ is still RUNNING after 60 min; dpf stopped waiting\.$/,
    ],
    [
      'the job completes without naming the file system',
      (x: World) => (x.backup.omitCreatedResource = true),
      'RestoreFailed',
      /^Restore job restore-\d+ completed without naming the new file system\.$/,
    ],
  ])('GIVEN %s WHEN restoring THEN %s, the job id kept for a rerun', async (_n, arrange, code, message) => {
    w = world();
    arrange(w);
    const h = await stepHarness(w);
    const err = await fails(h.run(restoreFsStep(h.op, options())));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(h.evidence(RESTORE_STEPS.fs).jobId).toMatch(/^restore-\d+$/);
  });

  it('GIVEN a run that died while the job ran WHEN rerun THEN it watches that job instead of starting a second', async () => {
    w = world();
    const jobId = await w.backup.startRestoreJob(POINT, 'role', { KmsKeyId: KEY }, 'EFS');
    const h = await stepHarness(w);
    const r = await h.run(restoreFsStep(h.op, options()), priorRecord(RESTORE_STEPS.fs, { jobId }));
    expect(jobs(w)).toHaveLength(1);
    expect(r.outputs!.JobId).toBe(jobId);
  });

  it('GIVEN the storage stack has no backup role THEN RestoreNoBackupRole before any job, pointing at the storage phase', async () => {
    w = world();
    const h = await stepHarness(w);
    await h.ledger.updateStep('storage.stack', 'storage', { outputs: { EfsFileSystemId: 'fs-main' } }, w.clock.now());
    const err = await fails(h.run(restoreFsStep(h.op, options())));
    expect(err.code).toBe('RestoreNoBackupRole');
    expect(err.message).toBe('The ledger lacks BackupRoleArn for storage.stack.');
    expect(err.hint).toBe('Deploy storage first: dpf deploy --env dev --phase storage');
    expect(jobs(w)).toEqual([]);
  });

  it('GIVEN an emulator without AWS Backup THEN RestoreUnavailable says nothing was restored', async () => {
    w = world();
    w.backup.unavailable = true;
    const h = await stepHarness(w, { settings: emulatorSettings() });
    const err = await fails(h.run(restoreFsStep(h.op, options())));
    expect(err.code).toBe('RestoreUnavailable');
    expect(err.message).toMatch(/not available on .*; nothing was restored\.$/);
  });

  it('GIVEN the new file system cannot be tagged THEN the restore still succeeds, with a warning naming the tags', async () => {
    w = world();
    w.efs.tagFileSystem = async () => {
      throw new Error('AccessDenied: elasticfilesystem:TagResource');
    };
    const h = await stepHarness(w);
    const r = await h.run(restoreFsStep(h.op, options()));
    expect(r.evidence!.tagged).toBe(false);
    expect(w.io.ofType('warning').map((e) => e.message)).toEqual([expect.stringMatching(/^could not tag fs-\S+ \(dpf:env=dev, .*\): AccessDenied/)]);
  });
});

describe('fsValidateStep', () => {
  async function validate(x: World, fsId: string) {
    const h = await stepHarness(x);
    await h.done(RESTORE_STEPS.fs, { FileSystemId: fsId });
    return h.run(fsValidateStep());
  }

  it.each([
    [0, 'no'],
    [2, 'yes'],
  ])('GIVEN a restored file system with %i mount target(s) THEN it is valid and MountTargets=%s (what --promote requires)', async (mounts, want) => {
    w = world();
    w.efs.add({ fileSystemId: 'fs-copy', kmsKeyId: KEY }, mounts);
    const r = await validate(w, 'fs-copy');
    expect(r.outputs).toEqual({ Valid: 'true', MountTargets: want });
  });

  it.each([
    ['gone', undefined, 'exists: fs-copy not found'],
    ['encrypted with another key', 'arn:aws:kms:us-west-2:123456789012:key/other', `KMS key: arn:aws:kms:us-west-2:123456789012:key/other (wanted ${KEY})`],
  ])('GIVEN the copy is %s THEN RestoreInvalid names the failed check', async (_n, kmsKeyId, detail) => {
    w = world();
    if (kmsKeyId) w.efs.add({ fileSystemId: 'fs-copy', kmsKeyId });
    const err = await fails(validate(w, 'fs-copy'));
    expect(err.code).toBe('RestoreInvalid');
    expect(err.details).toEqual([detail]);
  });
});

describe('buildRestoreFsSteps', () => {
  it.each([
    [false, [RESTORE_STEPS.fs, RESTORE_STEPS.fsValidate]],
    [true, [RESTORE_STEPS.fs, RESTORE_STEPS.fsValidate, RESTORE_STEPS.fsPromote]],
  ])('GIVEN promote %s THEN the steps are %j', (promote, ids) => {
    expect(buildRestoreFsSteps({ id: 'restore-fs-1' } as never, options({ promote })).map((s) => s.id)).toEqual(ids);
  });
});
