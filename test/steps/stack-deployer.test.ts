import { describe, expect, it } from 'vitest';
import { BUCKET_AND_DB, BUCKET_AND_DB_OUTPUTS, cfnHarness, mutatingOps, ops, templateBody, until, type Resources } from './engine-helpers.js';
import { rootCause, summarizeChanges } from '../../src/steps/stack-deployer.js';
import { NotConfirmedError, StepFailedError, ExitCode } from '../../src/errors.js';
import type { StackEvent } from '../../src/aws/cloudformation.js';

const STACK = 'dataplatform-dev-storage';

/** The resource events (not the stack's own) as "Logical STATUS". */
function resourceTrace(io: { resourceEvents(): Array<{ logicalId: string; status: string }> }): string[] {
  return io
    .resourceEvents()
    .filter((r) => r.logicalId !== STACK)
    .map((r) => `${r.logicalId} ${r.status}`);
}

const bigger = (r: Resources): Resources => ({ ...r, Db: { ...r.Db!, Properties: { ...r.Db!.Properties, AllocatedStorage: '50' } } });

describe('deployStack: create', () => {
  it('GIVEN no stack WHEN deployed THEN it asks once, shows the change set, streams resource progress in order and returns outputs', async () => {
    const { cfn, io, deploy } = cfnHarness();
    const evidence: Array<Record<string, unknown>> = [];
    const r = await deploy(STACK, BUCKET_AND_DB, { outputs: BUCKET_AND_DB_OUTPUTS, onEvidence: async (e) => void evidence.push(e) });

    expect(r).toMatchObject({ status: 'CREATE_COMPLETE', changed: true, action: 'create' });
    expect(r.outputs).toEqual({ LogsBucketName: 'dp-logs', DbEndpoint: 'dp-db.Endpoint.Address' });
    expect(r.changes.map((c) => `${c.action} ${c.logicalId}`)).toEqual(['Add Logs', 'Add Db']);

    expect(io.questions).toHaveLength(1);
    expect(io.questions[0]!.question).toBe(`Create stack ${STACK}: 2 to add, 0 to modify, 0 to remove. Execute?`);
    expect(io.ofType('changeset')).toEqual([
      {
        type: 'changeset',
        stepId: 'storage.stack',
        stackName: STACK,
        changes: [
          { action: 'Add', logicalId: 'Logs', resourceType: 'AWS::S3::Bucket', replacement: undefined },
          { action: 'Add', logicalId: 'Db', resourceType: 'AWS::RDS::DBInstance', replacement: undefined },
        ],
      },
    ]);
    // The changeset is shown before anything is executed, and progress follows.
    const types = io.trace();
    expect(types.indexOf('changeset')).toBeLessThan(types.lastIndexOf('step-progress'));
    expect(resourceTrace(io)).toEqual(['Logs CREATE_IN_PROGRESS', 'Logs CREATE_COMPLETE', 'Db CREATE_IN_PROGRESS', 'Db CREATE_COMPLETE']);
    const stackEvents = io
      .resourceEvents()
      .filter((e) => e.logicalId === STACK)
      .map((e) => e.status);
    expect(stackEvents).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(
      io
        .ofType('step-progress')
        .filter((e) => e.resource)
        .map((e) => e.state),
    ).toContain('complete');

    // The change set's name is in the ledger before CreateChangeSet is sent (a run that dies then can find it), its ids after.
    expect(evidence).toEqual([
      { changeSetName: 'dpf-run-1', changeSetToken: undefined },
      { changeSetId: expect.stringContaining(':changeSet/dpf-run-1/'), stackId: r.stackId },
      { changeSetName: 'dpf-run-1', executeToken: undefined },
    ]);
    expect(mutatingOps(cfn)).toEqual(['createChangeSet', 'executeChangeSet']);
  });

  it('GIVEN a deployed stack WHEN the same template is deployed again THEN nothing changes and nothing is executed', async () => {
    const { cfn, io, deploy } = cfnHarness();
    await deploy(STACK, BUCKET_AND_DB, { outputs: BUCKET_AND_DB_OUTPUTS });
    const before = cfn.mutatingCalls().length;

    const r = await deploy(STACK, BUCKET_AND_DB, { outputs: BUCKET_AND_DB_OUTPUTS });

    expect(r).toMatchObject({ changed: false, action: 'none', status: 'CREATE_COMPLETE', changes: [] });
    expect(r.outputs).toEqual({ LogsBucketName: 'dp-logs', DbEndpoint: 'dp-db.Endpoint.Address' });
    expect(
      cfn
        .mutatingCalls()
        .slice(before)
        .map((c) => c.op),
    ).toEqual(['createChangeSet', 'deleteChangeSet']);
    expect(io.questions).toHaveLength(1);
    expect(io.ofType('step-progress').map((e) => e.message)).toContain('no changes');
    expect(cfn.inspect(STACK)!.changeSets).toEqual(['dpf-run-1']);
  });

  it('GIVEN a changed template WHEN deployed THEN it updates only the changed resource', async () => {
    const { io, deploy } = cfnHarness();
    await deploy(STACK, BUCKET_AND_DB);
    const start = io.events.length;
    const r = await deploy(STACK, bigger(BUCKET_AND_DB));
    expect(r).toMatchObject({ action: 'update', status: 'UPDATE_COMPLETE', changed: true });
    expect(r.changes).toEqual([expect.objectContaining({ action: 'Modify', logicalId: 'Db', replacement: 'False' })]);
    expect(io.questions[1]!.question).toContain('Update stack');
    const trace = io.events
      .slice(start)
      .flatMap((e) => (e.type === 'step-progress' && e.resource && e.resource.logicalId !== STACK ? [`${e.resource.logicalId} ${e.resource.status}`] : []));
    expect(trace).toEqual(['Db UPDATE_IN_PROGRESS', 'Db UPDATE_COMPLETE']);
  });
});

describe('deployStack: failed create', () => {
  const failingCreate = () => {
    // Two at a time: when Logs fails, Db (still in progress) is cancelled at the same instant.
    const h = cfnHarness({ concurrency: 2 });
    h.cfn.failResource(STACK, 'Logs', 'Resource handler returned message: "Bucket name dp-logs is already taken"', { onCreate: true });
    return h;
  };

  it('GIVEN a resource that fails WHEN deployed THEN StepFailedError names the root cause, not a cancelled resource', async () => {
    const { cfn, io, deploy } = failingCreate();
    const err = (await deploy(STACK, BUCKET_AND_DB).catch((e: unknown) => e)) as StepFailedError;

    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.message).toContain(`Stack ${STACK} ended in ROLLBACK_COMPLETE`);
    expect(err.details[0]).toBe('root cause: Logs (AWS::S3::Bucket) CREATE_FAILED: Resource handler returned message: "Bucket name dp-logs is already taken"');
    expect(err.hint).toMatch(/deleted and recreated after confirmation/);
    // The cancellation was there to be mistaken for the cause.
    expect(io.resourceEvents()).toContainEqual(expect.objectContaining({ logicalId: 'Db', status: 'CREATE_FAILED', reason: 'Resource creation cancelled' }));
    expect(cfn.inspect(STACK)!.status).toBe('ROLLBACK_COMPLETE');
  });

  it('GIVEN a ROLLBACK_COMPLETE stack and the cause fixed WHEN deployed again THEN it asks, deletes, recreates and succeeds', async () => {
    const { cfn, io, deploy } = failingCreate();
    await deploy(STACK, BUCKET_AND_DB).catch(() => undefined);
    const oldId = cfn.inspect(STACK)!.stackId;
    cfn.clearFailures();
    const from = cfn.calls.length;

    const r = await deploy(STACK, BUCKET_AND_DB, { outputs: BUCKET_AND_DB_OUTPUTS });

    expect(r).toMatchObject({ status: 'CREATE_COMPLETE', action: 'create' });
    expect(r.stackId).not.toBe(oldId);
    expect(io.questions.slice(1).map((q) => q.question)).toEqual([
      `Stack ${STACK} is ROLLBACK_COMPLETE: its first creation failed and it cannot be updated. Delete it and create it again?`,
      `Create stack ${STACK}: 2 to add, 0 to modify, 0 to remove. Execute?`,
    ]);
    expect(ops(cfn, from).filter((op) => ['deleteStack', 'createChangeSet', 'executeChangeSet'].includes(op))).toEqual([
      'deleteStack',
      'createChangeSet',
      'executeChangeSet',
    ]);
  });

  it.each<[string, boolean | 'no-tty', string]>([
    ['the operator says no', false, 'Declined'],
    ['there is no terminal', 'no-tty', 'ConfirmationRequired'],
  ])('GIVEN a ROLLBACK_COMPLETE stack WHEN %s to recreating THEN NotConfirmedError and nothing is deleted', async (_what, answer, code) => {
    const { cfn, io, deploy } = failingCreate();
    await deploy(STACK, BUCKET_AND_DB).catch(() => undefined);
    cfn.clearFailures();
    io.answer = answer;
    const from = cfn.calls.length;

    const err = await deploy(STACK, BUCKET_AND_DB).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(NotConfirmedError);
    expect(err).toMatchObject({ code, exitCode: ExitCode.NotConfirmed });
    expect(cfn.calls.slice(from).filter((c) => ['deleteStack', 'createChangeSet', 'executeChangeSet'].includes(c.op))).toEqual([]);
    expect(cfn.inspect(STACK)!.status).toBe('ROLLBACK_COMPLETE');
  });
});

describe('deployStack: failed update', () => {
  it('GIVEN an update that fails WHEN deployed THEN UPDATE_ROLLBACK_COMPLETE is explained, and the next deploy updates normally', async () => {
    const { cfn, deploy } = cfnHarness();
    await deploy(STACK, BUCKET_AND_DB);
    cfn.failResource(STACK, 'Db', 'Invalid storage size for engine name postgres', { onUpdate: true, times: 1 });

    const err = (await deploy(STACK, bigger(BUCKET_AND_DB)).catch((e: unknown) => e)) as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.message).toContain('ended in UPDATE_ROLLBACK_COMPLETE');
    expect(err.details).toEqual(['root cause: Db (AWS::RDS::DBInstance) UPDATE_FAILED: Invalid storage size for engine name postgres']);
    expect(err.hint).toMatch(/resume from this step/);

    const from = cfn.calls.length;
    const r = await deploy(STACK, bigger(BUCKET_AND_DB));
    expect(r).toMatchObject({ status: 'UPDATE_COMPLETE', action: 'update' });
    expect(ops(cfn, from)).not.toContain('deleteStack');
    expect(ops(cfn, from)).not.toContain('continueUpdateRollback');
  });

  it('GIVEN UPDATE_ROLLBACK_FAILED WHEN deployed again THEN it continues the rollback first, then updates', async () => {
    const { cfn, io, deploy } = cfnHarness();
    await deploy(STACK, BUCKET_AND_DB);
    cfn.failResource(STACK, 'Db', 'Invalid storage size', { onUpdate: true, times: 1 });
    cfn.failRollback(STACK, 'Db', 'Rollback of Db failed: instance is modifying');

    const err = (await deploy(STACK, bigger(BUCKET_AND_DB)).catch((e: unknown) => e)) as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.message).toContain('UPDATE_ROLLBACK_FAILED');
    expect(err.hint).toMatch(/continues the rollback first/);
    expect(cfn.inspect(STACK)!.status).toBe('UPDATE_ROLLBACK_FAILED');

    const from = cfn.calls.length;
    const r = await deploy(STACK, bigger(BUCKET_AND_DB));
    expect(r).toMatchObject({ status: 'UPDATE_COMPLETE', action: 'update' });
    const mutating = cfn.calls
      .slice(from)
      .filter((c) => ['continueUpdateRollback', 'createChangeSet', 'executeChangeSet'].includes(c.op))
      .map((c) => c.op);
    expect(mutating).toEqual(['continueUpdateRollback', 'createChangeSet', 'executeChangeSet']);
    expect(io.ofType('step-progress').map((e) => e.message)).toContain('stack is UPDATE_ROLLBACK_FAILED; continuing the rollback before updating');
  });

  it('GIVEN a stack found in UPDATE_ROLLBACK_FAILED WHEN deployed THEN the rollback is continued before the update', async () => {
    const { cfn, deploy } = cfnHarness();
    cfn.seedStack({ stackName: STACK, templateBody: templateBody(BUCKET_AND_DB), status: 'UPDATE_ROLLBACK_FAILED' });
    // continueUpdateRollback on a seeded stack goes straight to cleanup: it succeeds, then the update runs.
    const r = await deploy(STACK, bigger(BUCKET_AND_DB));
    expect(r.status).toBe('UPDATE_COMPLETE');
    expect(mutatingOps(cfn)[0]).toBe('continueUpdateRollback');
  });
});

describe('deployStack: a stack already in progress', () => {
  it('GIVEN an update another run started WHEN deployed THEN it waits for it, then proceeds', async () => {
    const { cfn, io, deploy } = cfnHarness();
    await deploy(STACK, BUCKET_AND_DB);
    // Someone else's update, still running when we start.
    await cfn.createChangeSet({
      stackName: STACK,
      changeSetName: 'theirs',
      changeSetType: 'UPDATE',
      templateBody: templateBody(bigger(BUCKET_AND_DB)),
      parameters: [],
      tags: [{ key: 'dpf:env', value: 'dev' }],
      capabilities: [],
    });
    await until(() => cfn.inspect(STACK)!.status === 'CREATE_COMPLETE' && cfn.calls.length > 0 && cfn.pendingOperations === 0, 'their change set');
    await cfn.executeChangeSet(STACK, 'theirs');
    expect(cfn.inspect(STACK)!.status).toBe('UPDATE_IN_PROGRESS');

    const next: Resources = { ...bigger(BUCKET_AND_DB), Archive: { Type: 'AWS::S3::Bucket' } };
    const r = await deploy(STACK, next);

    expect(io.ofType('step-progress').map((e) => e.message)).toContain(
      'stack is UPDATE_IN_PROGRESS (an earlier run, or someone else); waiting for it to settle',
    );
    expect(r).toMatchObject({ status: 'UPDATE_COMPLETE', action: 'update' });
    expect(r.changes.map((c) => `${c.action} ${c.logicalId}`)).toEqual(['Add Archive']);
  });

  it('GIVEN a deploy started while our own execute is running WHEN deployed again THEN the second waits and finds no changes', async () => {
    const { cfn, io, deploy } = cfnHarness();
    const first = deploy(STACK, BUCKET_AND_DB);
    await until(() => cfn.calls.some((c) => c.op === 'executeChangeSet'), 'first execute');
    const second = await deploy(STACK, BUCKET_AND_DB);
    await first;
    expect(second).toMatchObject({ changed: false, action: 'none', status: 'CREATE_COMPLETE' });
    expect(io.ofType('step-progress').some((e) => e.message.startsWith('stack is CREATE_IN_PROGRESS'))).toBe(true);
    expect(cfn.calls.filter((c) => c.op === 'executeChangeSet')).toHaveLength(1);
  });

  it('GIVEN an earlier failed operation was waited for WHEN our own update then fails THEN the root cause is ours, not the earlier one', async () => {
    const { cfn, deploy } = cfnHarness();
    await deploy(STACK, BUCKET_AND_DB);
    cfn.failResource(STACK, 'Logs', 'their failure', { onUpdate: true, times: 1 });
    const theirs: Resources = { ...BUCKET_AND_DB, Logs: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'dp-logs', Tags: [{ Key: 'a', Value: 'b' }] } } };
    await cfn.createChangeSet({
      stackName: STACK,
      changeSetName: 'theirs',
      changeSetType: 'UPDATE',
      templateBody: templateBody(theirs),
      parameters: [],
      tags: [{ key: 'dpf:env', value: 'dev' }],
      capabilities: [],
    });
    await until(() => cfn.pendingOperations === 0, 'their change set');
    await cfn.executeChangeSet(STACK, 'theirs');
    cfn.failResource(STACK, 'Db', 'our failure', { onUpdate: true, times: 1 });

    const err = (await deploy(STACK, bigger(BUCKET_AND_DB)).catch((e: unknown) => e)) as StepFailedError;

    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.details).toEqual(['root cause: Db (AWS::RDS::DBInstance) UPDATE_FAILED: our failure']);
  });
});

describe('deployStack: no terminal, abort, polling', () => {
  it('GIVEN no terminal WHEN the change set needs confirming THEN NotConfirmedError and nothing is executed or left behind', async () => {
    const { cfn, deploy } = cfnHarness({}, 'no-tty');
    const err = await deploy(STACK, BUCKET_AND_DB).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotConfirmedError);
    expect(err).toMatchObject({ code: 'ConfirmationRequired', exitCode: ExitCode.NotConfirmed, hint: expect.stringContaining('--yes') });
    expect(mutatingOps(cfn)).not.toContain('executeChangeSet');
    await cfn.settle();
    expect(cfn.inspect(STACK)).toBeUndefined();
  });

  it('GIVEN an update and no terminal WHEN deployed THEN the change set is discarded and the stack untouched', async () => {
    const { cfn, io, deploy } = cfnHarness();
    await deploy(STACK, BUCKET_AND_DB);
    io.answer = 'no-tty';
    await expect(deploy(STACK, bigger(BUCKET_AND_DB))).rejects.toBeInstanceOf(NotConfirmedError);
    expect(cfn.calls.filter((c) => c.op === 'executeChangeSet')).toHaveLength(1);
    expect(cfn.inspect(STACK)).toMatchObject({ status: 'CREATE_COMPLETE', changeSets: ['dpf-run-1'] });
  });

  it('GIVEN a deploy being watched WHEN the signal aborts THEN it rejects with AbortError and the stack carries on to completion', async () => {
    const { cfn, io, abort, deploy } = cfnHarness();
    io.onEvent = (e) => {
      if (e.type === 'step-progress' && e.resource?.logicalId === 'Logs' && e.resource.status === 'CREATE_COMPLETE') abort.abort();
    };
    const err = await deploy(STACK, BUCKET_AND_DB).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AbortError' });
    const callsAtAbort = cfn.calls.length;

    await cfn.settle();
    expect(cfn.inspect(STACK)).toMatchObject({ status: 'CREATE_COMPLETE' });
    expect(cfn.inspect(STACK)!.resources.map((r) => `${r.logicalId} ${r.status}`)).toEqual(['Logs CREATE_COMPLETE', 'Db CREATE_COMPLETE']);
    expect(cfn.calls.length).toBe(callsAtAbort); // the deployer stopped polling
  });

  it('GIVEN an already aborted signal WHEN deploying THEN it stops before executing', async () => {
    const { cfn, abort, deploy } = cfnHarness();
    abort.abort();
    await expect(deploy(STACK, BUCKET_AND_DB)).rejects.toMatchObject({ name: 'AbortError' });
    expect(mutatingOps(cfn)).not.toContain('executeChangeSet');
  });

  it('GIVEN a resource quiet for 600 s WHEN watched THEN polling backs off to maxMs instead of polling every second', async () => {
    const { cfn, clock, deploy } = cfnHarness({ resourceDurationsMs: { 'AWS::RDS::DBInstance': 600_000 } });
    const start = clock.now().getTime();
    await deploy(STACK, { Db: BUCKET_AND_DB.Db! });
    const elapsedS = (clock.now().getTime() - start) / 1000;
    const polls = cfn.calls.filter((c) => c.op === 'describeStackEvents').length;
    expect(elapsedS).toBeGreaterThanOrEqual(600);
    // At maxMs = 10 s, 600 s need ~60 polls, plus a few while ramping up and at the ends.
    expect(polls).toBeLessThanOrEqual(80);
    expect(polls).toBeGreaterThanOrEqual(60);
    // And it notices the end within one maxMs.
    expect(elapsedS).toBeLessThan(600 + 2 + 10 + 5);
  });

  it('GIVEN a resource quiet for 30 s WHEN deployed THEN the change set and the stack are read on the poller schedule (the requests the benchmark counts)', async () => {
    const { cfn, clock, deploy } = cfnHarness({ resourceDurationsMs: { 'AWS::RDS::DBInstance': 30_000 } });
    const t0 = clock.now().getTime();
    await deploy(STACK, { Db: BUCKET_AND_DB.Db! });
    // The change set: 1 s, then ×1.5. The stack: one DescribeStackEvents a poll, 1 s after new
    // events and ×1.5 while none come; DescribeStacks on every 5th poll and once the stack's own
    // event says it ended.
    expect(cfn.calls.filter((c) => c.op.startsWith('describe')).map((c) => `${c.op} ${(c.at.getTime() - t0) / 1000}`)).toEqual([
      'describeStack 0',
      'describeChangeSet 0',
      'describeChangeSet 1',
      'describeChangeSet 2.5',
      'describeStackEvents 2.5',
      'describeStackEvents 3.5',
      'describeStackEvents 5',
      'describeStackEvents 7.25',
      'describeStackEvents 10.625',
      'describeStack 10.625',
      'describeStackEvents 15.688',
      'describeStackEvents 23.283',
      'describeStackEvents 33.283',
      'describeStack 33.283',
    ]);
  });

  it('GIVEN a poll setting WHEN watching THEN maxMs bounds the interval', async () => {
    const { cfn, deploy } = cfnHarness({ resourceDurationsMs: { 'AWS::RDS::DBInstance': 600_000 } });
    await deploy(STACK, { Db: BUCKET_AND_DB.Db! }, { poll: { minMs: 1000, maxMs: 60_000 } });
    expect(cfn.calls.filter((c) => c.op === 'describeStackEvents').length).toBeLessThanOrEqual(25);
  });

  it('GIVEN a stack that never settles WHEN the timeout passes THEN StepFailedError says how long it waited', async () => {
    const { cfn, deploy } = cfnHarness({ resourceDurationsMs: { 'AWS::RDS::DBInstance': 3 * 3600_000 } });
    const err = (await deploy(STACK, { Db: BUCKET_AND_DB.Db! }, { poll: { timeoutMs: 600_000 } }).catch((e: unknown) => e)) as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.message).toBe(`Stack ${STACK} is still CREATE_IN_PROGRESS after 10 minutes.`);
    expect(cfn.inspect(STACK)!.status).toBe('CREATE_IN_PROGRESS');
  });
});

describe('rootCause and summarizeChanges', () => {
  const ev = (s: number, logicalId: string, status: string, reason?: string): StackEvent => ({
    eventId: `${s}-${logicalId}-${status}`,
    stackName: 'S',
    logicalId,
    resourceType: logicalId === 'S' ? 'AWS::CloudFormation::Stack' : 'AWS::S3::Bucket',
    status,
    reason,
    timestamp: new Date(s * 1000),
  });

  it.each<[string, StackEvent[], string | undefined]>([
    ['a cancellation listed before the real failure', [ev(3, 'B', 'CREATE_FAILED', 'Resource creation cancelled'), ev(3, 'A', 'CREATE_FAILED', 'quota')], 'A'],
    ['events newest first', [ev(5, 'S', 'ROLLBACK_IN_PROGRESS'), ev(4, 'B', 'CREATE_FAILED', 'second'), ev(3, 'A', 'CREATE_FAILED', 'first')], 'A'],
    ['only cancellations', [ev(3, 'B', 'UPDATE_FAILED', 'Resource update cancelled')], 'B'],
    ['only the stack failed', [ev(3, 'S', 'UPDATE_ROLLBACK_FAILED', 'x')], 'S'],
    ['no failure', [ev(1, 'A', 'CREATE_COMPLETE')], undefined],
  ])('GIVEN %s WHEN diagnosed THEN the root cause is %s', (_what, events, expected) => {
    expect(rootCause(events, 'S')?.logicalId).toBe(expected);
  });

  it('GIVEN adds, modifies, replacements and removes WHEN summarised THEN the replacements are called out', () => {
    expect(
      summarizeChanges([
        { action: 'Add', logicalId: 'A', resourceType: 't' },
        { action: 'Modify', logicalId: 'B', resourceType: 't', replacement: 'True' },
        { action: 'Modify', logicalId: 'C', resourceType: 't', replacement: 'Conditional' },
        { action: 'Modify', logicalId: 'D', resourceType: 't', replacement: 'False' },
        { action: 'Remove', logicalId: 'E', resourceType: 't' },
      ]),
    ).toBe('1 to add, 3 to modify (1 REPLACED) (1 may be replaced), 1 to remove');
  });
});

describe('GIVEN a stack the ledger knows nothing of (issue 14: one call less per new stack)', () => {
  it('WHEN it does not exist THEN the CREATE change set is asked for without a DescribeStacks first, and the stack is created', async () => {
    const { cfn, deploy } = cfnHarness();
    const r = await deploy(STACK, BUCKET_AND_DB, { outputs: BUCKET_AND_DB_OUTPUTS, presumedNew: true });
    expect(r.action).toBe('create');
    expect(ops(cfn).slice(0, 2)).toEqual(['createChangeSet', 'describeChangeSet']);
  });

  it('WHEN it exists after all (another operator made it) THEN CloudFormation refuses the CREATE and the deploy looks at it and updates it', async () => {
    const { cfn, io, deploy } = cfnHarness();
    await deploy(STACK, BUCKET_AND_DB, { outputs: BUCKET_AND_DB_OUTPUTS });
    const from = cfn.calls.length;
    const r = await deploy(STACK, bigger(BUCKET_AND_DB), { outputs: BUCKET_AND_DB_OUTPUTS, presumedNew: true });
    expect(r.action).toBe('update');
    expect(ops(cfn, from).slice(0, 3)).toEqual(['createChangeSet', 'describeStack', 'listChangeSets']);
    expect(
      io
        .ofType('step-progress')
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/exists after all/);
  });
});
