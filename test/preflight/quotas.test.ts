/** The quota checks (src/preflight/quotas.ts) and what a deployment adds (src/preflight/needs.ts), over stubbed port answers. */
import { describe, expect, it } from 'vitest';
import { quotaChecks } from '../../src/preflight/quotas.js';
import { deploymentNeeds, knownVcpus, pendingPhases, phasesToCreate, vcpuQuotaOf } from '../../src/preflight/needs.js';
import { NotImplementedByEndpointError } from '../../src/aws/endpoint.js';
import { configSchema } from '../../src/config/schema.js';
import { ctx } from './context.js';

describe('quotas', () => {
  const usage = {
    countVpcs: async () => 4,
    countInternetGateways: async () => 1,
    countAddresses: async () => 4,
    natGatewaysPerZone: async () => ({ 'eu-west-1a': 5 }),
    runningInstanceTypes: async () => ['m5.xlarge', 'm5.xlarge'],
    instanceTypeVcpus: async () => ({ 'm5.xlarge': 4, 'm5.large': 2, 't3.micro': 2, 't3.medium': 2 }),
  };
  const quota = (values: Record<string, number | undefined>) => async (_s: string, code: string) => values[code];

  it('GIVEN a dev network and compute to add WHEN the account is near its limits THEN each limit passes or fails with the numbers and the increase command', async () => {
    const out = await quotaChecks(
      ctx({ ...usage, serviceQuota: quota({ 'L-F678F1CE': 5, 'L-A4707A72': 5, 'L-0263D0A3': 5, 'L-FE5A380F': 5, 'L-1216C47A': 32 }) }),
    );
    const by = (re: RegExp) => out.find((o) => re.test(o.detail))!;
    expect(by(/^VPCs/)).toMatchObject({ status: 'pass', detail: 'VPCs: 4 in use + 1 to add ≤ quota 5' });
    expect(by(/^Elastic IP/)).toMatchObject({ status: 'pass' });
    expect(by(/^NAT gateways in eu-west-1a/)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/5 in use \+ 1 to add > quota 5/),
      hint: expect.stringMatching(/request-service-quota-increase --service-code vpc --quota-code L-FE5A380F --desired-value 6/),
    });
    // 2 running m5.xlarge (8) + bastion 2 + master 2 + dev 2 + 6 workers × 4 + 2 IPA × 2 = 42 > 32.
    expect(by(/Standard.*vCPUs/)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/8 in use \+ 34 to add > quota 32/) });
  });

  it.each<[string, string[], string[]]>([
    ['only types whose vCPUs dpf knows (the defaults)', ['m5.xlarge'], []],
    ['a running type dpf does not know', ['m5.xlarge', 'c6g.large'], ['c6g.large']],
  ])('GIVEN %s WHEN the vCPU quota is checked THEN EC2 is asked only for the others', async (_what, running, asked) => {
    const seen: string[][] = [];
    const out = await quotaChecks(
      ctx({
        ...usage,
        runningInstanceTypes: async () => running,
        instanceTypeVcpus: async (types) => {
          seen.push(types);
          return Object.fromEntries(types.map((t) => [t, 2]));
        },
        serviceQuota: quota({ 'L-1216C47A': 64 }),
      }),
    );
    expect(seen.flat()).toEqual(asked);
    // bastion t3.micro 2 + master m5.large 2 + dev t3.medium 2 + 6 × m5.xlarge 4 + 2 IPA t3.medium 2 = 34.
    expect(out.find((o) => /Standard.*vCPUs/.test(o.detail))).toMatchObject({ status: 'pass', detail: expect.stringMatching(/\+ 34 to add/) });
  });

  it.each<[string, number | undefined]>([
    ['t3.micro', 2],
    ['t3a.2xlarge', 8],
    ['m5.large', 2],
    ['m5.xlarge', 4],
    ['r6i.24xlarge', 96],
    ['m7i.16xlarge', 64],
    ['m5.metal', undefined],
    ['m5.3xlarge', undefined],
    ['c5.large', undefined],
    ['m6g.large', undefined],
    ['t3.mediun', undefined],
  ])('GIVEN %s THEN dpf knows its vCPUs as %s (undefined: EC2 is asked)', (type, vcpus) => {
    expect(knownVcpus(type)).toBe(vcpus);
  });

  it('GIVEN prod (a NAT gateway per AZ) WHEN counted THEN three Elastic IPs and one NAT per zone are needed', () => {
    const n = deploymentNeeds(
      'prod',
      configSchema.parse({ environments: { prod: { region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] } } }).environments.prod!,
      new Set(['network']),
    );
    expect(n).toMatchObject({ vpcs: 1, elasticIps: 3, natPerZone: { 'eu-west-1a': 1, 'eu-west-1b': 1, 'eu-west-1c': 1 }, instances: [] });
  });

  it('GIVEN Service Quotas without a value WHEN checked THEN what is in use is not read (nothing to compare it with)', async () => {
    const read: string[] = [];
    const counted = (what: string, v: unknown) => async () => (read.push(what), v) as never;
    const out = await quotaChecks(
      ctx({
        countVpcs: counted('vpcs', 4),
        countInternetGateways: counted('igws', 1),
        countAddresses: counted('addresses', 4),
        natGatewaysPerZone: counted('nat', {}),
        runningInstanceTypes: counted('instances', ['m5.xlarge']),
        instanceTypeVcpus: counted('types', {}),
        serviceQuota: quota({ 'L-F678F1CE': 5 }),
      }),
    );
    expect(read).toEqual(['vpcs']);
    expect(out.find((o) => /Standard.*vCPUs/.test(o.detail))).toMatchObject({
      status: 'unknown',
      detail: expect.stringMatching(/34 to add; .*usage not read/),
    });
  });

  it('GIVEN Service Quotas without a value or not offered WHEN checked THEN unknown, never pass', async () => {
    const noValue = await quotaChecks(ctx({ ...usage, serviceQuota: async () => undefined }, { pending: ['network'] }));
    expect(noValue.every((o) => o.status === 'unknown')).toBe(true);
    const notOffered = await quotaChecks(
      ctx(
        { ...usage, serviceQuota: async () => Promise.reject(new NotImplementedByEndpointError('Service Quotas GetServiceQuota')) },
        { pending: ['network'] },
      ),
    );
    expect(notOffered.every((o) => o.status === 'unknown' && /not offered/.test(o.detail))).toBe(true);
  });

  it('GIVEN a resumed run whose network stack exists (stack id recorded, step not done) WHEN checked THEN its VPC is not counted again', async () => {
    const pending = pendingPhases((id) => (id === 'network.stack' ? 'failed' : undefined));
    const toCreate = phasesToCreate(pending, (id) =>
      id === 'network.stack' ? 'arn:aws:cloudformation:eu-west-1:111122223333:stack/dp-dev-network/1' : undefined,
    );
    expect(pending.has('network')).toBe(true);
    expect(toCreate.has('network')).toBe(false);
    expect(toCreate.has('compute')).toBe(true);
    // At the VPC quota (5 of 5): a first deploy is refused, the resume is not.
    const atQuota = { ...usage, countVpcs: async () => 5, natGatewaysPerZone: async () => ({}), serviceQuota: async () => 5 };
    const first = await quotaChecks(ctx(atQuota, { pending: ['network'] }));
    expect(first.find((o) => /^VPCs/.test(o.detail))).toMatchObject({ status: 'fail', detail: expect.stringMatching(/5 in use \+ 1 to add > quota 5/) });
    const resumed = await quotaChecks({ ...ctx(atQuota, { pending: ['network'] }), toCreate: new Set() });
    expect(resumed.filter((o) => o.status === 'fail')).toEqual([]);
  });

  it('GIVEN everything deployed WHEN checked THEN nothing is to add', async () => {
    expect(await quotaChecks(ctx({}, { pending: [] }))).toEqual([]);
    expect(pendingPhases((id) => (id === 'network.stack' ? 'done' : undefined))).toEqual(new Set(['compute', 'identity']));
  });

  it.each([
    ['m5.xlarge', 'L-1216C47A'],
    ['t3.micro', 'L-1216C47A'],
    ['g5.xlarge', 'L-DB2E81BA'],
    ['inf2.xlarge', 'L-1945791B'],
    ['u-6tb1.metal', undefined],
  ])('GIVEN %s THEN its vCPU quota is %s', (type, code) => {
    expect(vcpuQuotaOf(type)?.code).toBe(code);
  });
});
