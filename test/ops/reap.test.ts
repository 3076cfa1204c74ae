/** "Delete and verify gone" (src/ops/reap.ts): a stack, an EFS file system. */
import { describe, it, expect } from 'vitest';
import { deleteFileSystem, deleteSecurityGroup, deleteStack } from '../../src/ops/reap.js';
import { FakeCloudFormation } from '../fakes/fake-cloudformation.js';
import { FakeEfs } from '../fakes/fake-backup.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { testSettings } from '../fakes/fake-settings.js';
import { BUCKET_AND_DB, cfnHarness, templateBody } from '../steps/engine-helpers.js';
import { StepFailedError } from '../../src/errors.js';
import { clientToken } from '../../src/steps/tokens.js';

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
    envCtx: { runId: 'run-1' },
    attempt: 1,
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

describe("deleteStack: the deployer's deletion (src/steps/stack-deployer/delete.ts)", () => {
  it("GIVEN a stack THEN its DELETE events reach the IO host as they come, and DeleteStack carries a token of this step's attempt", async () => {
    const h = harness();
    h.cfn.seedStack({ stackName: 'dp-x', templateBody: templateBody(BUCKET_AND_DB) });
    await deleteStack(h.ctx, h.cfn, 'dp-x', { hint: 'h' });
    expect(h.io.resourceEvents('operations.test').map((e) => `${e.logicalId} ${e.status}`)).toEqual(
      expect.arrayContaining(['dp-x DELETE_IN_PROGRESS', 'Db DELETE_IN_PROGRESS', 'Db DELETE_COMPLETE', 'Logs DELETE_COMPLETE']),
    );
    const call = h.cfn.calls.find((c) => c.op === 'deleteStack')!;
    expect(call.input).toMatchObject({ stackName: 'dp-x', clientRequestToken: clientToken('run-1', 'operations.test', 1, 'delete  dp-x') });
  });

  it("GIVEN a stack whose earlier update failed WHEN it fails to delete THEN the root cause is this deletion's failed resource, not the old failure", async () => {
    const d = cfnHarness();
    const bigger = { ...BUCKET_AND_DB, Db: { ...BUCKET_AND_DB.Db!, Properties: { ...BUCKET_AND_DB.Db!.Properties, AllocatedStorage: 200 } } };
    await d.deploy('dp-x', BUCKET_AND_DB);
    d.cfn.failResource('dp-x', 'Db', 'Invalid storage size', { onUpdate: true, times: 1 });
    await d.deploy('dp-x', bigger).catch(() => undefined);
    expect(d.cfn.inspect('dp-x')!.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    d.cfn.failDelete('dp-x', 'Logs', 'The bucket you tried to delete is not empty');
    const ctx = { ...harness().ctx, clock: d.clock, io: d.io };
    const r = await deleteStack(ctx, d.cfn, 'dp-x', { hint: 'h' });
    expect(r.problems[0]).toBe('stack dp-x is DELETE_FAILED (root cause Logs: The bucket you tried to delete is not empty)');
    expect(r.problems.join('\n')).not.toContain('Invalid storage size');
  });

  it('GIVEN DeleteStack refused and the stack untouched THEN the refusal is the problem and nothing is waited for', async () => {
    const h = harness();
    h.cfn.seedStack({ stackName: 'dp-x', templateBody: templateBody(BUCKET_AND_DB) });
    h.cfn.deleteStack = async () => {
      throw Object.assign(new Error('User is not authorized to perform: cloudformation:DeleteStack'), { name: 'AccessDenied' });
    };
    const r = await deleteStack(h.ctx, h.cfn, 'dp-x', { hint: 'h' });
    expect(r).toEqual({
      existed: true,
      gone: false,
      notes: [],
      problems: ['stack dp-x: DeleteStack failed: User is not authorized to perform: cloudformation:DeleteStack'],
    });
  });

  it("GIVEN a deletion that never ends THEN it times out with the reaper's code and hint", async () => {
    const h = harness();
    h.cfn.seedStack({ stackName: 'dp-x', templateBody: templateBody(BUCKET_AND_DB), status: 'DELETE_IN_PROGRESS' });
    await expect(deleteStack(h.ctx, h.cfn, 'dp-x', { hint: 'rerun dpf destroy', timeoutMs: 3600_000 })).rejects.toMatchObject({
      code: 'StackDeleteTimedOut',
      message: 'Stack dp-x is still DELETE_IN_PROGRESS after 1 h.',
      hint: 'rerun dpf destroy',
    });
    expect(h.cfn.mutatingCalls()).toEqual([]); // already deleting: only waited for
  });

  /** The deletion events a run showed, the stack's own named STACK: what the two callers have in common. */
  const deletion = (events: Array<{ logicalId: string; status: string; reason?: string }>, stack: string) =>
    events
      .filter((e) => e.status.startsWith('DELETE_'))
      .map((e) => `${e.logicalId === stack ? 'STACK' : e.logicalId} ${e.status}${e.reason ? ` ${e.reason}` : ''}`);

  it.each([
    ['is deleted', undefined],
    ['fails to delete', 'The bucket you tried to delete is not empty'],
  ])(
    'GIVEN the same ROLLBACK_COMPLETE stack for the deployer (recreating it) and dpf destroy WHEN it %s THEN both stream the same deletion and name the same root cause',
    async (_n, failure) => {
      const d = cfnHarness();
      const r = harness();
      for (const cfn of [d.cfn, r.cfn]) {
        cfn.seedStack({ stackName: 'dp-x', templateBody: templateBody(BUCKET_AND_DB), status: 'ROLLBACK_COMPLETE' });
        if (failure) cfn.failDelete('dp-x', 'Logs', failure);
      }
      const deployed = await d.deploy('dp-x', BUCKET_AND_DB, { tokens: { delete: 'dpf-delete-1' } }).catch((e: unknown) => e);
      const reaped = await deleteStack(r.ctx, r.cfn, 'dp-x', { hint: 'h' });

      const byDeployer = deletion(d.io.resourceEvents(), 'dp-x');
      expect(byDeployer.length).toBeGreaterThan(2);
      expect(deletion(r.io.resourceEvents(), 'dp-x')).toEqual(byDeployer);
      for (const cfn of [d.cfn, r.cfn])
        expect(cfn.calls.find((c) => c.op === 'deleteStack')!.input).toMatchObject({ clientRequestToken: expect.stringMatching(/^dpf-/) });
      if (!failure) {
        expect(deployed).toMatchObject({ status: 'CREATE_COMPLETE', action: 'create' });
        expect(reaped).toMatchObject({ existed: true, gone: true });
        return;
      }
      expect(deployed).toBeInstanceOf(StepFailedError);
      expect(deployed).toMatchObject({
        message: 'Could not delete dp-x: it is DELETE_FAILED.',
        details: [`root cause: Logs (AWS::S3::Bucket) DELETE_FAILED: ${failure}`],
      });
      expect(reaped.problems[0]).toBe(`stack dp-x is DELETE_FAILED (root cause Logs: ${failure})`);
    },
  );
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
