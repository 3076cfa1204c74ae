/** "Delete and verify gone" (src/ops/reap.ts): a stack, an EFS file system. */
import { describe, it, expect } from 'vitest';
import { deleteFileSystem, deleteSecurityGroup, deleteStack } from '../../src/ops/reap.js';
import { FakeCloudFormation } from '../fakes/fake-cloudformation.js';
import { FakeEfs } from '../fakes/fake-backup.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { testSettings } from '../fakes/fake-settings.js';
import { BUCKET_AND_DB, templateBody } from '../steps/engine-helpers.js';

function harness() {
  const clock = new FakeClock().autoAdvance();
  const io = new FakeIoHost();
  const progress: string[] = [];
  const ctx = {
    clock,
    signal: new AbortController().signal,
    progress: (m: string) => void progress.push(m),
    settings: testSettings(),
    io,
    stepId: 'operations.test',
  };
  return { clock, io, progress, ctx, cfn: new FakeCloudFormation({ clock, region: 'us-west-2' }) };
}

describe('deleteStack', () => {
  it('GIVEN no such stack THEN nothing is called and it did not exist', async () => {
    const h = harness();
    expect(await deleteStack(h.ctx, h.cfn, 'dp-x', { hint: 'h' })).toEqual({ existed: false, gone: true, problems: [], notes: [] });
    expect(h.cfn.mutatingCalls()).toEqual([]);
  });

  it('GIVEN a stack THEN it is deleted, waited for with progress, and gone', async () => {
    const h = harness();
    h.cfn.seedStack({ stackName: 'dp-x', templateBody: templateBody(BUCKET_AND_DB) });
    const r = await deleteStack(h.ctx, h.cfn, 'dp-x', { where: 'us-east-1', hint: 'h' });
    expect(r).toMatchObject({ existed: true, gone: true, problems: [] });
    expect(await h.cfn.describeStack('dp-x')).toBeUndefined();
    expect(h.progress).toEqual(expect.arrayContaining(['deleting stack dp-x in us-east-1 (CREATE_COMPLETE)', 'stack dp-x in us-east-1: DELETE_IN_PROGRESS']));
  });

  it('GIVEN a resource that cannot be deleted THEN DELETE_FAILED is reported with the root cause, the failed resource and what is left', async () => {
    const h = harness();
    h.cfn.seedStack({ stackName: 'dp-x', templateBody: templateBody(BUCKET_AND_DB) });
    h.cfn.failDelete('dp-x', 'Logs', 'The bucket you tried to delete is not empty');
    const r = await deleteStack(h.ctx, h.cfn, 'dp-x', { hint: 'h' });
    expect(r.gone).toBe(false);
    expect(r.problems[0]).toMatch(/^stack dp-x is DELETE_FAILED \(root cause Logs: The bucket you tried to delete is not empty\)$/);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}Logs \(AWS::S3::Bucket\) .*not empty/),
        expect.stringMatching(/^ {2}still in the stack: Logs \(AWS::S3::Bucket\)/),
      ]),
    );
  });
});

describe('deleteFileSystem', () => {
  it('GIVEN a file system with mount targets THEN they are deleted first, then the file system (EFS refuses otherwise)', async () => {
    const h = harness();
    const efs = new FakeEfs().add({ fileSystemId: 'fs-1' }, 2);
    await expect(efs.deleteFileSystem('fs-1')).rejects.toMatchObject({ name: 'FileSystemInUse' });
    await deleteFileSystem(h.ctx, efs, 'fs-1', { hint: 'h' });
    expect(efs.fileSystems.has('fs-1')).toBe(false);
    expect(efs.mountTargets.size).toBe(0);
  });

  it('GIVEN mount targets that never go away THEN it times out with the hint and the file system stays', async () => {
    const h = harness();
    const efs = new FakeEfs().add({ fileSystemId: 'fs-1' }, 1);
    efs.deleteMountTarget = async () => undefined;
    await expect(deleteFileSystem(h.ctx, efs, 'fs-1', { hint: 'rerun it', timeoutMs: 60_000 })).rejects.toMatchObject({
      code: 'EfsDeleteTimedOut',
      hint: 'rerun it',
    });
    expect(efs.fileSystems.has('fs-1')).toBe(true);
  });
});

describe('deleteSecurityGroup', () => {
  it.each([
    ['deleted at once', [undefined], undefined, 1],
    [
      'in use twice, then deleted',
      [new Error('resource sg-1 has a dependent object (DependencyViolation)'), new Error('DependencyViolation'), undefined],
      undefined,
      3,
    ],
    ['refused for another reason', [new Error('InvalidGroup.NotFound')], 'InvalidGroup.NotFound', 1],
    ['in use past the deadline', Array(10).fill(new Error('DependencyViolation: in use')), 'DependencyViolation: in use', 3],
  ] as const)('GIVEN a group %s THEN the answer says so', async (_n, answers, expected, calls) => {
    const h = harness();
    let n = 0;
    const ec2 = {
      deleteSecurityGroup: async () => {
        const a = answers[Math.min(n++, answers.length - 1)];
        if (a) throw a;
      },
    };
    expect(await deleteSecurityGroup(h.ctx, ec2, 'sg-1', new Date(h.clock.now().getTime() + 60_000))).toBe(expected);
    expect(n).toBe(calls);
  });
});
