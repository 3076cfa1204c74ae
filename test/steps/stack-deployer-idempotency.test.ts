/**
 * Nothing doubled: the deployer's tokens, and what it does with change sets a dead run left
 * behind (REVIEW_IN_PROGRESS stacks included), against FakeCloudFormation (which keeps AWS's
 * token and change-set rules: FAKE-CLOUDFORMATION.md).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeCloudFormation } from '../fakes/fake-cloudformation.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { deployStack, type DeployStackRequest } from '../../src/steps/stack-deployer.js';
import { BUCKET_AND_DB, templateBody } from './engine-helpers.js';

const STACK = 'dataplatform-dev-storage';
const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

function harness() {
  const clock = new FakeClock().autoAdvance();
  const cfn = new FakeCloudFormation({ clock });
  const io = new FakeIoHost(true);
  const evidence: Array<Record<string, unknown>> = [];
  const deploy = (over: Partial<DeployStackRequest> = {}) =>
    deployStack(
      {
        stepId: 'storage.stack',
        stackName: STACK,
        templateBody: templateBody(BUCKET_AND_DB),
        parameters: {},
        tags: { 'dpf:env': 'dev' },
        templateOutputs: {},
        changeSetName: 'dpf-r2-storage',
        tokens: { create: 'dpf-create-2', execute: 'dpf-execute-2', delete: 'dpf-delete-2' },
        inputHash: HASH_A,
        ...over,
      },
      { cfn, clock, io, signal: new AbortController().signal, onEvidence: async (e) => void evidence.push(e) },
    );
  /** What a run killed right after CreateChangeSet leaves: a pending change set, the stack REVIEW_IN_PROGRESS when new. */
  const leftBehind = async (name: string, hash: string, type: 'CREATE' | 'UPDATE' = 'CREATE') => {
    await cfn.createChangeSet({
      stackName: STACK,
      changeSetName: name,
      changeSetType: type,
      templateBody: templateBody(BUCKET_AND_DB),
      parameters: [],
      tags: [{ key: 'dpf:env', value: 'dev' }],
      capabilities: [],
      description: `dpf storage.stack inputs:${hash.slice(0, 16)}`,
      clientToken: `tok-${name}`,
    });
    await cfn.settle();
  };
  const progress = () =>
    io
      .ofType('step-progress')
      .map((e) => e.message)
      .join('\n');
  return { clock, cfn, io, deploy, leftBehind, progress, evidence };
}

describe('GIVEN the tokens of this attempt', () => {
  it('WHEN a stack is created THEN CreateChangeSet carries the ClientToken and ExecuteChangeSet the ClientRequestToken, recorded before each call', async () => {
    const h = harness();
    await h.deploy();
    const create = h.cfn.calls.find((c) => c.op === 'createChangeSet')!.input as { clientToken?: string; description?: string };
    expect(create.clientToken).toBe('dpf-create-2');
    expect(create.description).toBe(`dpf storage.stack inputs:${HASH_A.slice(0, 16)}`);
    expect(h.cfn.calls.find((c) => c.op === 'executeChangeSet')!.input).toMatchObject({ clientRequestToken: 'dpf-execute-2' });
    expect(h.evidence[0]).toEqual({ changeSetName: 'dpf-r2-storage', changeSetToken: 'dpf-create-2' });
    expect(h.evidence.at(-1)).toEqual({ changeSetName: 'dpf-r2-storage', executeToken: 'dpf-execute-2' });
  });

  it('WHEN CreateChangeSet is retried with the same ClientToken (a lost answer) THEN the same change set comes back; without it, AlreadyExists', async () => {
    const h = harness();
    const input = {
      stackName: STACK,
      changeSetName: 'cs1',
      changeSetType: 'CREATE' as const,
      templateBody: templateBody(BUCKET_AND_DB),
      parameters: [],
      tags: [],
      capabilities: [],
      clientToken: 't1',
    };
    const first = await h.cfn.createChangeSet(input);
    expect(await h.cfn.createChangeSet(input)).toEqual(first);
    await expect(h.cfn.createChangeSet({ ...input, clientToken: undefined })).rejects.toMatchObject({ name: 'AlreadyExistsException' });
    expect(await h.cfn.listChangeSets(STACK)).toHaveLength(1);
  });

  it('WHEN ExecuteChangeSet is retried with the same ClientRequestToken THEN it is not executed twice; without it, InvalidChangeSetStatus', async () => {
    const h = harness();
    await h.leftBehind('cs1', HASH_A);
    await h.cfn.executeChangeSet(STACK, 'cs1', 'e1');
    await h.cfn.executeChangeSet(STACK, 'cs1', 'e1');
    await h.cfn.settle();
    expect(h.cfn.inspect(STACK)!.status).toBe('CREATE_COMPLETE');
    await expect(h.cfn.executeChangeSet(STACK, 'cs1')).rejects.toMatchObject({ name: 'InvalidChangeSetStatusException' });
  });
});

describe('GIVEN a stack left in REVIEW_IN_PROGRESS by a run killed after CreateChangeSet', () => {
  it('WHEN its pending change set has these inputs THEN it is adopted and executed: one change set, one stack, and the message says so', async () => {
    const h = harness();
    await h.leftBehind('dpf-r1-storage', HASH_A);
    const r = await h.deploy();
    expect(r).toMatchObject({ action: 'create', status: 'CREATE_COMPLETE' });
    expect(h.cfn.calls.filter((c) => c.op === 'createChangeSet')).toHaveLength(1); // the dead run's only
    expect(h.cfn.calls.filter((c) => c.op === 'executeChangeSet').map((c) => (c.input as { changeSetName: string }).changeSetName)).toEqual(['dpf-r1-storage']);
    expect(h.progress()).toMatch(
      /REVIEW_IN_PROGRESS: an earlier run created change set dpf-r1-storage and never executed it; its inputs are these: executing it \(adopted, not recreated\)/,
    );
  });

  it('WHEN its pending change set has other inputs THEN it is deleted and a new one created on the same stack, and the message says so', async () => {
    const h = harness();
    await h.leftBehind('dpf-r1-storage', HASH_B);
    const stackId = h.cfn.inspect(STACK)!.stackId;
    await h.deploy();
    expect(h.progress()).toMatch(
      /REVIEW_IN_PROGRESS with change set\(s\) dpf-r1-storage from an earlier run whose inputs differ: deleting them and creating a new one/,
    );
    expect(h.cfn.calls.filter((c) => c.op === 'deleteChangeSet').map((c) => (c.input as { changeSetName: string }).changeSetName)).toEqual(['dpf-r1-storage']);
    expect(h.cfn.inspect(STACK)).toMatchObject({ stackId, status: 'CREATE_COMPLETE' });
    expect((await h.cfn.listChangeSets(STACK)).map((c) => c.changeSetName)).toEqual(['dpf-r2-storage']);
  });

  it('WHEN a plan preview of another operator is pending on the stack THEN it is left alone', async () => {
    const h = harness();
    await h.leftBehind('dpf-r1-storage', HASH_A);
    await h.leftBehind('dpf-plan-r9-storage', HASH_B);
    await h.deploy();
    expect(h.cfn.calls.filter((c) => c.op === 'deleteChangeSet')).toEqual([]);
  });
});

describe('GIVEN the ledger names the change set an interrupted run of this step created', () => {
  it('WHEN that change set was already executed THEN the stack is watched to the end and nothing is created or executed again', async () => {
    const h = harness();
    await h.leftBehind('dpf-r1-storage', HASH_A);
    await h.cfn.executeChangeSet(STACK, 'dpf-r1-storage', 'dpf-execute-1');
    const before = h.cfn.calls.length;
    const r = await h.deploy({ resumeChangeSetName: 'dpf-r1-storage' });
    expect(r).toMatchObject({ action: 'create', status: 'CREATE_COMPLETE', changed: true });
    expect(h.cfn.calls.slice(before).filter((c) => ['createChangeSet', 'executeChangeSet', 'deleteStack'].includes(c.op))).toEqual([]);
    expect(h.progress()).toMatch(/change set dpf-r1-storage of the interrupted run was already executed/);
  });

  it('WHEN that change set is still pending THEN it is executed, not created again', async () => {
    const h = harness();
    await h.leftBehind('dpf-r1-storage', HASH_A);
    const before = h.cfn.calls.length;
    await h.deploy({ resumeChangeSetName: 'dpf-r1-storage' });
    const mine = h.cfn.calls.slice(before);
    expect(mine.filter((c) => c.op === 'createChangeSet')).toEqual([]);
    expect(mine.filter((c) => c.op === 'executeChangeSet').map((c) => (c.input as { changeSetName: string }).changeSetName)).toEqual(['dpf-r1-storage']);
    expect(h.progress()).toMatch(/the interrupted run created change set dpf-r1-storage and did not execute it: using it/);
  });

  it('WHEN the stack exists and an earlier UPDATE change set was left unexecuted with other inputs THEN it is deleted before the new one', async () => {
    const h = harness();
    await h.deploy({ changeSetName: 'dpf-r0-storage', inputHash: HASH_B });
    await h.leftBehind('dpf-r1-storage', HASH_B, 'UPDATE');
    await h.cfn.settle();
    await h.deploy({
      inputHash: HASH_A,
      templateBody: templateBody({ ...BUCKET_AND_DB, Extra: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'dp-extra' } } }),
    });
    expect(h.progress()).toMatch(/deleting change set\(s\) dpf-r1-storage left unexecuted by an earlier run/);
    expect((await h.cfn.listChangeSets(STACK)).map((c) => c.changeSetName)).toEqual(['dpf-r2-storage']);
  });
});

describe('GIVEN dpf deploy --plan killed after executing a saved change set (the ledger names it)', () => {
  const saved = { name: 'dpf-plan-r1-storage', type: 'CREATE' as const };

  it('WHEN rerun with the same plan THEN the stack is watched to the end: not refused as drift, nothing created or executed again', async () => {
    const h = harness();
    await h.leftBehind(saved.name, HASH_A);
    await h.cfn.executeChangeSet(STACK, saved.name, 'dpf-execute-1');
    const before = h.cfn.calls.length;
    const r = await h.deploy({ savedChangeSet: saved, resumeChangeSetName: saved.name });
    expect(r).toMatchObject({ action: 'create', status: 'CREATE_COMPLETE', changed: true });
    expect(h.cfn.calls.slice(before).filter((c) => ['createChangeSet', 'executeChangeSet', 'deleteStack', 'deleteChangeSet'].includes(c.op))).toEqual([]);
  });

  it("WHEN the executed change set is not this run's (no ledger record) THEN it is drift: refused (exit 8), nothing created", async () => {
    const h = harness();
    await h.leftBehind(saved.name, HASH_A);
    await h.cfn.executeChangeSet(STACK, saved.name, 'dpf-execute-1');
    await h.cfn.settle();
    const before = h.cfn.calls.length;
    await expect(h.deploy({ savedChangeSet: saved })).rejects.toMatchObject({ exitCode: 8 });
    expect(h.cfn.calls.slice(before).filter((c) => c.op === 'createChangeSet')).toEqual([]);
  });

  it('WHEN the saved change set the ledger names is gone THEN it is refused (exit 8): no new change set is made without a new approval', async () => {
    const h = harness();
    await h.leftBehind(saved.name, HASH_A);
    await h.cfn.deleteChangeSet(STACK, saved.name);
    const before = h.cfn.calls.length;
    await expect(h.deploy({ savedChangeSet: saved, resumeChangeSetName: saved.name })).rejects.toMatchObject({
      exitCode: 8,
      message: expect.stringMatching(/saved change set dpf-plan-r1-storage, which is now gone/),
    });
    expect(h.cfn.calls.slice(before).filter((c) => ['createChangeSet', 'executeChangeSet'].includes(c.op))).toEqual([]);
  });
});
