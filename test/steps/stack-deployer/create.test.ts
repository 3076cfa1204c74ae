/** A new stack made with CreateStack under --yes (src/steps/stack-deployer/create.ts), and when dpf keeps making change sets. */
import { describe, expect, it } from 'vitest';
import { BUCKET_AND_DB, BUCKET_AND_DB_OUTPUTS, cfnHarness, mutatingOps, ops, templateBody } from '../engine-helpers.js';
import { StepFailedError } from '../../../src/errors.js';

const STACK = 'dataplatform-dev-storage';
const TO_CREATE = [
  { logicalId: 'Logs', resourceType: 'AWS::S3::Bucket' },
  { logicalId: 'Db', resourceType: 'AWS::RDS::DBInstance' },
];
const TOKENS = { create: 'dpf-t-create', execute: 'dpf-t-execute', delete: 'dpf-t-delete' };

/** The harness with the CLI host's --yes: every confirmation answered without asking. */
function yesHarness() {
  const h = cfnHarness();
  h.io.confirmsAll = true;
  return h;
}

describe('deployStack: a new stack under --yes', () => {
  it('GIVEN a stack the ledger knows nothing of WHEN deployed under --yes THEN one CreateStack makes it (no change set), its resources shown first, its outputs returned', async () => {
    const { cfn, io, deploy } = yesHarness();
    const evidence: Array<Record<string, unknown>> = [];
    const r = await deploy(STACK, BUCKET_AND_DB, {
      outputs: BUCKET_AND_DB_OUTPUTS,
      presumedNew: true,
      resourcesToCreate: TO_CREATE,
      tokens: TOKENS,
      onEvidence: async (e) => void evidence.push(e),
    });

    expect(r).toMatchObject({ status: 'CREATE_COMPLETE', changed: true, action: 'create' });
    expect(r.changeSetId).toBeUndefined();
    expect(r.outputs).toEqual({ LogsBucketName: 'dp-logs', DbEndpoint: 'dp-db.Endpoint.Address' });
    expect(r.changes.map((c) => `${c.action} ${c.logicalId}`)).toEqual(['Add Logs', 'Add Db']);
    expect(mutatingOps(cfn)).toEqual(['createStack']);
    expect(ops(cfn).filter((o) => /ChangeSet/i.test(o))).toEqual([]);
    const create = cfn.calls.find((c) => c.op === 'createStack')!.input as Record<string, unknown>;
    expect(create).toMatchObject({
      stackName: STACK,
      clientRequestToken: 'dpf-t-create',
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      tags: [{ key: 'dpf:env', value: 'dev' }],
    });
    // The token is in the ledger before the call (a retry after a lost answer is the same creation); the id after.
    expect(evidence).toEqual([{ createToken: 'dpf-t-create' }, { stackId: r.stackId }]);
    expect(io.questions).toEqual([]);
    // What is about to be created is shown before anything happens, as a --yes run shows a change set.
    expect(io.ofType('changeset')).toEqual([
      {
        type: 'changeset',
        stepId: 'storage.stack',
        stackName: STACK,
        changes: [
          { action: 'Add', logicalId: 'Logs', resourceType: 'AWS::S3::Bucket' },
          { action: 'Add', logicalId: 'Db', resourceType: 'AWS::RDS::DBInstance' },
        ],
        source: 'template',
      },
    ]);
    expect(io.trace().indexOf('changeset')).toBeLessThan(io.trace().indexOf('step-progress'));
  });

  it.each<[string, { confirmsAll: boolean; presumedNew: boolean; toCreate: boolean }]>([
    ['a person answers the prompt (no --yes)', { confirmsAll: false, presumedNew: true, toCreate: true }],
    ['the ledger has a trace of the stack (not presumed new)', { confirmsAll: true, presumedNew: false, toCreate: true }],
    ['dpf could not render what the template creates', { confirmsAll: true, presumedNew: true, toCreate: false }],
  ])('GIVEN %s WHEN a new stack is deployed THEN a CREATE change set is made, described and executed', async (_what, o) => {
    const { cfn, io, deploy } = cfnHarness();
    io.confirmsAll = o.confirmsAll;
    const r = await deploy(STACK, BUCKET_AND_DB, {
      outputs: BUCKET_AND_DB_OUTPUTS,
      presumedNew: o.presumedNew,
      ...(o.toCreate ? { resourcesToCreate: TO_CREATE } : {}),
    });
    expect(r).toMatchObject({ status: 'CREATE_COMPLETE', action: 'create' });
    expect(mutatingOps(cfn)).toEqual(['createChangeSet', 'executeChangeSet']);
  });

  it('GIVEN a stack of that name exists after all (another operator) WHEN deployed under --yes THEN CreateStack is refused and dpf looks at the stack and updates it: no second stack', async () => {
    const { cfn, deploy } = yesHarness();
    cfn.seedStack({ stackName: STACK, templateBody: templateBody({ Logs: BUCKET_AND_DB.Logs! }) });
    const r = await deploy(STACK, BUCKET_AND_DB, { outputs: BUCKET_AND_DB_OUTPUTS, presumedNew: true, resourcesToCreate: TO_CREATE, tokens: TOKENS });
    expect(r).toMatchObject({ status: 'UPDATE_COMPLETE', action: 'update' });
    expect(mutatingOps(cfn)).toEqual(['createStack', 'createChangeSet', 'executeChangeSet']);
    // The update is another request than the refused creation: its own token.
    expect(cfn.calls.find((c) => c.op === 'createChangeSet')!.input).toMatchObject({ clientToken: 'dpf-t-create-x' });
  });

  it('GIVEN a resource that fails WHEN the stack is created THEN the step fails on ROLLBACK_COMPLETE, named by its root cause', async () => {
    const { cfn, deploy } = yesHarness();
    cfn.failResource(STACK, 'Db', 'DB quota exceeded', { onCreate: true });
    const err = await deploy(STACK, BUCKET_AND_DB, { outputs: BUCKET_AND_DB_OUTPUTS, presumedNew: true, resourcesToCreate: TO_CREATE }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as StepFailedError).message).toMatch(/ended in ROLLBACK_COMPLETE/);
    expect((err as StepFailedError).details.join('\n')).toMatch(/Db \(AWS::RDS::DBInstance\).*DB quota exceeded/);
    expect(cfn.inspect(STACK)!.status).toBe('ROLLBACK_COMPLETE');
  });

  it('GIVEN dpf plan (a preview) of a new stack under --yes THEN a change set is still made and nothing is created', async () => {
    const { cfn, io } = yesHarness();
    const { deployStack } = await import('../../../src/steps/stack-deployer.js');
    const r = await deployStack(
      {
        stepId: 'storage.stack',
        stackName: STACK,
        templateBody: templateBody(BUCKET_AND_DB, BUCKET_AND_DB_OUTPUTS),
        parameters: {},
        tags: {},
        templateOutputs: BUCKET_AND_DB_OUTPUTS,
        changeSetName: 'dpf-plan-1',
        previewOnly: true,
        presumedNew: true,
        resourcesToCreate: TO_CREATE,
      },
      { cfn, clock: cfn.clock, io, signal: new AbortController().signal },
    );
    expect(r.action).toBe('preview');
    expect(ops(cfn)).not.toContain('createStack');
    expect(cfn.inspect(STACK)).toBeUndefined();
  });
});
