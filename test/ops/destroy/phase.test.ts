/** One phase destroyed: its stacks, what they leave outside, the ledger reset (src/ops/destroy/phase.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { collectOutputs, deleteHostKeytabs, destroyPhase, hostKeytabPrefix } from '../../../src/ops/destroy/phase.js';
import { DESTROY_STEPS, type DestroyOptions } from '../../../src/ops/destroy/keys.js';
import type { DeployPhase, StepResult } from '../../../src/steps/types.js';
import { fails, WORKERS, HOSTS } from '../helpers.js';
import { stepHarness, type StepHarness } from '../step-harness.js';

let h: StepHarness;
afterEach(() => h?.close());

const stack = (p: string) => `dataplatform-dev-${p}`;
const seedStack = (name: string, logicalId = 'Topic') =>
  h.w.cfn.seedStack({ stackName: name, templateBody: JSON.stringify({ Resources: { [logicalId]: { Type: 'AWS::SNS::Topic' } } }) });
const options = (p: DeployPhase, o: Partial<DestroyOptions> = {}): DestroyOptions => ({
  deleteData: false,
  deleteState: false,
  phases: [p],
  stacks: { [p]: [stack(p)] },
  ...o,
});

/** A destroy whose compute instances and worker group are already gone (nothing left outside). */
async function destroyOf() {
  h = await stepHarness({ kind: 'destroy' });
  for (const id of [...Object.values(HOSTS), ...WORKERS]) h.w.ec2.instances.get(id)!.state = 'terminated';
  h.w.deletedGroups.add('dataplatform-dev-workers');
}
async function destroy(p: DeployPhase, o: DestroyOptions = options(p), mine: Record<string, unknown> = {}): Promise<StepResult> {
  return destroyPhase(h.context(DESTROY_STEPS.phase(p)), h.op, p, o, mine);
}

describe('destroyPhase', () => {
  it("GIVEN the compute stack THEN it is deleted, the phase's records are reset with who destroyed them, and nothing is left", async () => {
    await destroyOf();
    seedStack(stack('compute'));
    const r = await destroy('compute');
    expect(await h.w.cfn.describeStack(stack('compute'))).toBeUndefined();
    expect(r).toMatchObject({ changed: true, summary: `deleted ${stack('compute')}`, outputs: { Leaked: '0' } });
    expect(r.resets).toEqual({ steps: ['compute.stack'], evidence: { destroyedAt: expect.any(String), destroyedBy: h.op.id, leftovers: [] } });
    expect(r.evidence).toMatchObject({ deleted: [stack('compute')], leftovers: [], outputs: { WorkerAutoScalingGroupName: 'dataplatform-dev-workers' } });
  });

  it('GIVEN the network phase THEN the go-live checks are reset with it (they describe a platform that is gone)', async () => {
    await destroyOf();
    await h.seed('golive.checks', {}, {}, { scope: undefined });
    const r = await destroy('network');
    expect(r.resets!.steps.sort()).toEqual(['golive.checks', 'network.stack']);
  });

  it('GIVEN the stack is already gone THEN nothing is deleted, the step is unchanged, and the records are still reset', async () => {
    await destroyOf();
    const r = await destroy('compute');
    expect(r).toMatchObject({ changed: false, summary: 'nothing to delete' });
    expect(r.resets!.steps).toEqual(['compute.stack']);
  });

  it('GIVEN compute instances still running after the stack is gone THEN they are reported as left behind, with warnings', async () => {
    await destroyOf();
    h.w.ec2.instances.get('i-master')!.state = 'running';
    const r = await destroy('compute');
    expect(r.outputs).toEqual({ Leaked: '1' });
    expect(r.summary).toBe('nothing to delete; 1 LEFT BEHIND');
    expect(r.resets!.evidence.leftovers).toEqual(['instance i-master (master)']);
    expect(h.w.io.ofType('warning').map((e) => e.message)).toEqual(['left behind: instance i-master (master) — running after the compute stack was deleted']);
  });

  it.each([
    ['storage', 'the DB subnet group'],
    ['network', 'the security groups and subnets'],
  ] as const)(
    'GIVEN the %s stack cannot be deleted while copies dpf made outside it remain THEN StackDeleteFailed names them as the likely cause',
    async (p, what) => {
      await destroyOf();
      seedStack(stack(p), 'Thing');
      h.w.cfn.failDelete(stack(p), 'Thing', 'resource in use');
      await h.seed(DESTROY_STEPS.copies, {}, { leftovers: [{ resource: 'RDS instance x-restore-1', retained: false, detail: '' }] });
      const err = await fails(destroy(p));
      expect(err.code).toBe('StackDeleteFailed');
      expect(err.message).toBe(`CloudFormation could not delete the ${p} stack.`);
      expect(err.details.join('\n')).toMatch(/resource in use/);
      expect(err.details.at(-1)).toContain(`still using ${what}, perhaps: RDS instance x-restore-1`);
      expect(h.session.ledger.get(`${p}.stack`)?.status).toBe('done');
    },
  );

  it('GIVEN a resumed run after the ledger forgot the outputs THEN the outputs saved by the first attempt are used for the checks', async () => {
    await destroyOf();
    await h.session.ledger.updateStep('storage.stack', 'storage', { outputs: {} }, h.w.clock.now());
    h.w.buckets.add('saved-lake');
    const r = await destroy('storage', options('storage'), { outputs: { DataLakeBucketName: 'saved-lake', DbInstanceIdentifier: 'gone-db' } });
    expect((r.evidence!.leftovers as Array<{ resource: string; retained: boolean }>).find((l) => l.resource === 'bucket saved-lake')).toMatchObject({
      retained: true,
    });
  });

  it('GIVEN storage with the data kept THEN the final snapshots taken since the destroy started are recorded', async () => {
    await destroyOf();
    await h.w.rds.createSnapshot('dataplatform-dev-metadata', 'dataplatform-dev-metadata-final-x', {});
    const r = await destroy('storage');
    expect(r.outputs).toMatchObject({ FinalSnapshots: 'dataplatform-dev-metadata-final-x' });
    expect(r.evidence).toMatchObject({ finalSnapshots: ['dataplatform-dev-metadata-final-x'] });
  });

  it.each([
    [true, ['bucket dataplatform-dev-dpf-state-123456789012']],
    [false, []],
  ])('GIVEN bootstrap with deleteState=%s THEN the state bucket is deleted only when asked', async (deleteState, deleted) => {
    await destroyOf();
    const r = await destroy('bootstrap', options('bootstrap', { deleteState }));
    expect(h.w.deletedBuckets).toEqual(deleted.map((d) => d.slice('bucket '.length)));
    expect((r.evidence!.deleted as string[]).filter((d) => d.startsWith('bucket '))).toEqual(deleted);
  });

  it('GIVEN collectOutputs THEN every step of the phase contributes its outputs', async () => {
    await destroyOf();
    await h.seed('monitoring.stack', { TopicArn: 'arn:t' });
    await h.seed('monitoring.worker-bootstrap', { AssociationId: 'a-1' });
    expect(collectOutputs(h.session.ledger, 'monitoring')).toEqual({ TopicArn: 'arn:t', AssociationId: 'a-1' });
  });
});

describe('deleteHostKeytabs', () => {
  const prefix = hostKeytabPrefix({ project: 'dataplatform', name: 'dev' });
  const run = async () => {
    const deleted: string[] = [];
    const left = await deleteHostKeytabs(h.context(DESTROY_STEPS.phase('identity')), await h.session.aws.ops(), deleted);
    return { deleted, left };
  };

  it('GIVEN one keytab cannot be deleted THEN the others are, and it is listed as left behind with the error', async () => {
    await destroyOf();
    h.w.secrets.put(`${prefix}a`, `${prefix}b`);
    const del = h.w.secrets.deleteSecretNow.bind(h.w.secrets);
    h.w.secrets.deleteSecretNow = async (n) => {
      if (n.endsWith('/a')) throw new Error('AccessDenied');
      return del(n);
    };
    const { deleted, left } = await run();
    expect(deleted).toEqual([`secret ${prefix}b`]);
    expect(left).toEqual([{ resource: `secret ${prefix}a`, retained: false, detail: 'DeleteSecret failed: AccessDenied' }]);
  });

  it('GIVEN the secrets cannot be listed THEN one leftover says so with the command to look by hand', async () => {
    await destroyOf();
    h.w.secrets.listSecretNames = async () => {
      throw new Error('throttled');
    };
    const { deleted, left } = await run();
    expect(deleted).toEqual([]);
    expect(left).toEqual([
      {
        resource: `secrets ${prefix}*`,
        retained: false,
        detail: `could not list them: throttled (aws secretsmanager list-secrets --filters Key=name,Values=${prefix})`,
      },
    ]);
  });
});
