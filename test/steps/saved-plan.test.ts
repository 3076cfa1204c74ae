/**
 * planDrift (`dpf deploy --plan`): what refuses a saved plan before anything runs — and what
 * does not: a run of the same plan that was interrupted (the ledger names the saved change set
 * it executed) is carried on, not refused as drift; a plan applied in full is not applied twice.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeCloudFormation } from '../fakes/fake-cloudformation.js';
import { planDrift, PLAN_FORMAT, type SavedPlan } from '../../src/steps/saved-plan.js';
import type { StepDef } from '../../src/steps/types.js';
import { BUCKET_AND_DB, templateBody } from './engine-helpers.js';

const STACK = 'dataplatform-dev-storage';
const SAVED = 'dpf-plan-r1-storage';

function plan(): SavedPlan {
  return {
    format: PLAN_FORMAT,
    project: 'dataplatform',
    env: 'dev',
    region: 'us-west-2',
    accountId: '123456789012',
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'arn:aws:iam::123456789012:user/op',
    eta: { criticalPathSeconds: 0, path: [], sequentialSeconds: 0 },
    steps: [
      {
        id: 'storage.stack',
        title: 'storage',
        phase: 'storage',
        status: 'pending',
        action: 'run',
        summary: '2 change(s)',
        estimateSeconds: 60,
        inputHash: 'h1',
        changeSet: { stackName: STACK, changeSetName: SAVED, changeSetType: 'CREATE' },
      },
    ],
  };
}

async function harness(ledger: { status?: string; changeSetName?: string }) {
  const cfn = new FakeCloudFormation({ clock: new FakeClock().autoAdvance() });
  await cfn.createChangeSet({
    stackName: STACK,
    changeSetName: SAVED,
    changeSetType: 'CREATE',
    templateBody: templateBody(BUCKET_AND_DB),
    parameters: [],
    tags: [],
    capabilities: [],
    clientToken: 'plan-1',
  });
  await cfn.settle();
  const step = { id: 'storage.stack', prepare: async () => ({ inputHash: 'h1' }) } as unknown as StepDef;
  const check = () =>
    planDrift(plan(), 'plan.json', [step], {
      env: 'dev',
      region: 'us-west-2',
      accountId: '123456789012',
      cfn,
      prepare: async () => ({ inputHash: 'h1' }),
      statusOf: () => ledger.status,
      changeSetOf: () => ledger.changeSetName,
    });
  return { cfn, check };
}

describe('GIVEN a saved plan with one CREATE change set', () => {
  it('WHEN nothing moved THEN there is no drift', async () => {
    const h = await harness({});
    expect(await h.check()).toEqual([]);
  });

  it('WHEN another run executed the saved change set THEN it is drift, naming the stack', async () => {
    const h = await harness({});
    await h.cfn.executeChangeSet(STACK, SAVED, 'other');
    await h.cfn.settle();
    expect((await h.check()).join('\n')).toMatch(/storage\.stack \(stack dataplatform-dev-storage\): the stack is CREATE_COMPLETE; it was REVIEW_IN_PROGRESS/);
  });

  it('WHEN a run of this plan died while executing it (the ledger has the step running with the saved change set) THEN it is not drift: the rerun carries on', async () => {
    const h = await harness({ status: 'running', changeSetName: SAVED });
    await h.cfn.executeChangeSet(STACK, SAVED, 'dpf-execute-1');
    expect(await h.check()).toEqual([]);
  });

  it('WHEN another run deployed the step (its own change set in the ledger) THEN it is drift', async () => {
    const h = await harness({ status: 'done', changeSetName: 'dpf-r7-storage' });
    expect((await h.check()).join('\n')).toMatch(/another run has deployed it since the plan was made/);
  });

  it('WHEN the whole plan was applied already THEN it is refused: a plan is applied once', async () => {
    const h = await harness({ status: 'done', changeSetName: SAVED });
    expect((await h.check()).join('\n')).toMatch(/plan\.json was applied already/);
  });
});
