/** The hosts dpf patch finds and the units it expects on them (src/ops/patch/hosts.ts; planWaves: plan.test.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { HOSTS, stepHarness, world, type World } from '../helpers.js';
import { deployedServices, discoverHosts, planWaves, workerIds } from '../../../src/ops/patch/hosts.js';
import type { OpsPorts } from '../../../src/aws/ops-ports.js';

let w: World;
afterEach(() => w?.cleanup());

/** The world's EC2, and a worker group whose instances are in these lifecycle states. */
const opsWith = (x: World, lifecycle: Record<string, string>) =>
  ({
    ec2: x.ec2,
    autoscaling: {
      describeGroup: async (name: string) => ({
        name,
        instances: Object.entries(lifecycle).map(([instanceId, lifecycleState]) => ({ instanceId, lifecycleState, healthStatus: 'Healthy' })),
      }),
    },
  }) as unknown as OpsPorts;

describe('discoverHosts', () => {
  it('GIVEN identity servers (one terminated) and workers in several lifecycle states THEN compute hosts, identity servers by Name, and in-service workers only', async () => {
    w = world();
    w.ec2.addInstance('i-ipa-b', { 'dpf:env': 'dev', 'dpf:role': 'identity', Name: 'ipa-2' });
    w.ec2.addInstance('i-ipa-a', { 'dpf:env': 'dev', 'dpf:role': 'identity', Name: 'ipa-1' });
    w.ec2.addInstance('i-ipa-old', { 'dpf:env': 'dev', 'dpf:role': 'identity', Name: 'ipa-0' }, 'terminated');
    w.ec2.addInstance('i-ipa-prod', { 'dpf:env': 'prod', 'dpf:role': 'identity', Name: 'ipa-0' });
    const h = await stepHarness(w);
    const ops = opsWith(w, { 'i-w1': 'InService', 'i-w2': 'Terminating', 'i-w3': 'Pending', 'i-w4': 'InService' });
    expect(await discoverHosts(ops, h.ledger, h.session.envCtx)).toEqual([
      { instanceId: HOSTS.bastion, role: 'bastion' },
      { instanceId: HOSTS.master, role: 'master' },
      { instanceId: HOSTS.dev, role: 'dev' },
      { instanceId: 'i-ipa-a', role: 'identity' },
      { instanceId: 'i-ipa-b', role: 'identity' },
      { instanceId: 'i-w1', role: 'worker' },
      { instanceId: 'i-w4', role: 'worker' },
    ]);
  });

  it('GIVEN the ledger has no worker group THEN there are no workers and the group is never asked for', async () => {
    w = world();
    const h = await stepHarness(w);
    await h.ledger.updateStep('compute.stack', 'compute', { outputs: { BastionInstanceId: HOSTS.bastion } }, w.clock.now());
    const ops = { autoscaling: { describeGroup: async () => expect.unreachable('no group to describe') } } as unknown as OpsPorts;
    expect(await workerIds(ops, h.ledger)).toEqual([]);
  });
});

describe('planWaves', () => {
  it('GIVEN no worker yet THEN the workers wave is still planned: its hosts are resolved from the group when it runs', () => {
    expect(planWaves([{ instanceId: 'i-b', role: 'bastion' }])).toEqual([
      { name: 'bastion', role: 'bastion', hosts: ['i-b'], rolling: false },
      { name: 'workers', role: 'worker', hosts: [], rolling: true },
    ]);
  });
});

describe('deployedServices', () => {
  it.each([
    [[], { identity: undefined, monitoring: false }],
    [['identity.ipa-server'], { identity: 'freeipa', monitoring: false }],
    [['monitoring.stack'], { identity: undefined, monitoring: true }],
  ])('GIVEN %j done THEN the units to expect follow: %j', async (done, want) => {
    w = world();
    const h = await stepHarness(w);
    for (const id of done) await h.ledger.updateStep(id, id.split('.')[0]!, { status: 'done' }, w.clock.now());
    const envCtx = { ...h.session.envCtx, env: { ...h.session.envCtx.env, identity: { ...h.session.envCtx.env.identity, provider: 'freeipa' as const } } };
    expect(deployedServices(h.ledger, envCtx)).toEqual(want);
  });

  it('GIVEN an identity step that failed THEN its units are not expected', async () => {
    w = world();
    const h = await stepHarness(w);
    await h.ledger.updateStep('identity.ipa-server', 'identity', { status: 'failed' }, w.clock.now());
    expect(deployedServices(h.ledger, h.session.envCtx).identity).toBeUndefined();
  });
});
