/**
 * The preflight checks over stubbed port answers: every pass / warn / fail / unknown branch.
 * (The SDK translation is tested in test/aws/preflight.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import {
  cloudTrailCheck,
  couldNotAsk,
  ebsDefaultKeyCheck,
  marketplaceCheck,
  offeringsCheck,
  permissionsCheck,
  principalOf,
  type AccountContext,
} from '../../src/preflight/checks.js';
import { quotaChecks } from '../../src/preflight/quotas.js';
import { deploymentNeeds, knownVcpus, pendingPhases, phasesToCreate, vcpuQuotaOf } from '../../src/preflight/needs.js';
import { blockingFailures, preflightBlocked } from '../../src/preflight/index.js';
import type { AccountPreflightPort } from '../../src/aws/preflight.js';
import type { OpsPorts } from '../../src/aws/ops-ports.js';
import { NotImplementedByEndpointError } from '../../src/aws/endpoint.js';
import { configSchema, type EnvironmentInput } from '../../src/config/schema.js';

const ACCOUNT = '111122223333';
const SLR = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;

function ctx(
  preflight: Partial<AccountPreflightPort>,
  o: {
    env?: EnvironmentInput;
    envName?: string;
    pending?: string[];
    ops?: Partial<OpsPorts['ec2']>;
    outputs?: Record<string, Record<string, string>>;
    actions?: string[];
    caller?: string;
  } = {},
): AccountContext {
  const envName = o.envName ?? 'dev';
  const env = configSchema.parse({
    environments: { [envName]: { region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], ...(o.env ?? {}) } },
  }).environments[envName]!;
  const missing = (name: string) => () => Promise.reject(new Error(`stub: ${name} not expected`));
  return {
    envName,
    env,
    region: 'eu-west-1',
    account: ACCOUNT,
    partition: 'aws',
    pending: new Set(o.pending ?? ['network', 'compute', 'identity', 'monitoring']),
    outputs: (id) => o.outputs?.[id] ?? {},
    preflight: new Proxy(preflight, { get: (t, p: string) => (t as Record<string, unknown>)[p] ?? missing(p) }) as AccountPreflightPort,
    ops: { ec2: { findImages: async () => [], ...(o.ops ?? {}) } } as unknown as OpsPorts,
    operatorActions: o.actions ?? ['ec2:RunInstances', 'cloudformation:CreateChangeSet'],
    callerArn: o.caller ?? `arn:aws:sts::${ACCOUNT}:assumed-role/platform-admin/alice`,
  };
}

describe('default EBS key (Auto Scaling service-linked role)', () => {
  const custom = {
    ebsDefaultKmsKeyId: async () => 'arn:aws:kms:eu-west-1:111122223333:key/k1',
    describeKey: async () => ({ arn: 'arn:aws:kms:eu-west-1:111122223333:key/k1', manager: 'CUSTOMER' as const, state: 'Enabled' }),
  };
  const rootOnly = { Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] };
  it.each<[string, Partial<AccountPreflightPort>, string, RegExp]>([
    [
      'the AWS managed key',
      {
        ebsDefaultKmsKeyId: async () => 'alias/aws/ebs',
        describeKey: async () => ({ arn: 'arn:aws:kms:eu-west-1:111122223333:key/aws', manager: 'AWS', state: 'Enabled' }),
      },
      'pass',
      /AWS managed key/,
    ],
    [
      'a customer key whose policy names only the account (the trap: worker launches fail)',
      { ...custom, keyPolicy: async () => rootOnly, keyGrants: async () => [] },
      'fail',
      /neither its key policy nor a grant lets .*AWSServiceRoleForAutoScaling/,
    ],
    [
      'a customer key whose policy lets the role in',
      {
        ...custom,
        keyPolicy: async () => ({
          Statement: [
            ...rootOnly.Statement,
            {
              Effect: 'Allow',
              Principal: { AWS: SLR },
              Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant'],
              Resource: '*',
            },
          ],
        }),
      },
      'pass',
      /key policy lets AWSServiceRoleForAutoScaling/,
    ],
    [
      'a customer key with a grant for the role',
      {
        ...custom,
        keyPolicy: async () => rootOnly,
        keyGrants: async () => [
          { grantee: SLR, operations: ['Encrypt', 'Decrypt', 'ReEncryptFrom', 'GenerateDataKeyWithoutPlaintext', 'DescribeKey', 'CreateGrant'] },
        ],
      },
      'pass',
      /a grant lets/,
    ],
    ['a disabled customer key', { ...custom, describeKey: async () => ({ arn: 'arn:k', manager: 'CUSTOMER', state: 'Disabled' }) }, 'fail', /is Disabled/],
  ])('GIVEN %s WHEN checked THEN %s', async (_what, answers, status, detail) => {
    const r = await ebsDefaultKeyCheck(ctx(answers));
    expect(r.status).toBe(status);
    expect(r.detail).toMatch(detail);
    if (status === 'fail') expect(r.hint).toBeTruthy();
  });
});

describe('FreeIPA image Marketplace subscription', () => {
  const image = (codes: Array<{ id: string; type: string }>) => async () => [{ imageId: 'ami-0123456789abcdef0', state: 'available', productCodes: codes }];
  const env = { identity: { imageId: 'ami-0123456789abcdef0' } };
  it.each<[string, Partial<AccountPreflightPort>, string, RegExp]>([
    ['a community image (no product code)', { describeImages: image([]) }, 'pass', /no subscription needed/],
    [
      'a Marketplace image the account is subscribed to',
      { describeImages: image([{ id: 'cvugziknvmxgqna9noibqnnsy', type: 'marketplace' }]), dryRunLaunch: async () => ({ ok: true as const }) },
      'pass',
      /subscribed/,
    ],
    [
      'a Marketplace image without subscription',
      {
        describeImages: image([{ id: 'cvugziknvmxgqna9noibqnnsy', type: 'marketplace' }]),
        dryRunLaunch: async () => ({ ok: false as const, code: 'OptInRequired', message: 'accept terms' }),
      },
      'fail',
      /not subscribed/,
    ],
    [
      'a dry run refused for another reason',
      {
        describeImages: image([{ id: 'x', type: 'marketplace' }]),
        dryRunLaunch: async () => ({ ok: false as const, code: 'VPCIdNotSpecified', message: 'no default VPC' }),
      },
      'unknown',
      /could not tell.*VPCIdNotSpecified/,
    ],
    ['an image that does not exist', { describeImages: async () => [] }, 'fail', /does not exist/],
  ])('GIVEN %s WHEN checked THEN %s', async (_what, answers, status, detail) => {
    const r = await marketplaceCheck(ctx(answers, { env }));
    expect(r.status).toBe(status);
    expect(r.detail).toMatch(detail);
  });

  it('GIVEN resolve:rocky-9 WHEN no RHEL-family image is visible THEN it fails naming what to set', async () => {
    const r = await marketplaceCheck(ctx({}, { ops: { findImages: async () => [] } }));
    expect(r).toMatchObject({ status: 'fail', hint: expect.stringMatching(/identity\.imageId/) });
  });

  it('GIVEN the network is deployed WHEN the dry run is made THEN it launches into the private subnet', async () => {
    let subnet: string | undefined;
    await marketplaceCheck(
      ctx(
        { describeImages: image([{ id: 'x', type: 'marketplace' }]), dryRunLaunch: async (_i, _t, s) => ((subnet = s), { ok: true as const }) },
        { env, outputs: { 'network.stack': { PrivateSubnet1Id: 'subnet-9' } } },
      ),
    );
    expect(subnet).toBe('subnet-9');
  });
});

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

describe('instance types in the zones', () => {
  it('GIVEN a type not offered in the master zone, and the worker type missing in one zone WHEN checked THEN fail for the master, warn for the group', async () => {
    const offered = {
      'm5.large': ['eu-west-1b'],
      'm5.xlarge': ['eu-west-1a', 'eu-west-1b'],
      't3.micro': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      't3.medium': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    };
    const out = await offeringsCheck(ctx({ instanceTypeOfferings: async () => offered }));
    expect(out.find((o) => o.detail.startsWith('master'))).toMatchObject({ status: 'fail', detail: 'master: m5.large is not offered in eu-west-1a' });
    expect(out.find((o) => o.detail.startsWith('workers'))).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/not offered in eu-west-1c; the group launches only in eu-west-1a, eu-west-1b/),
    });
    expect(out.find((o) => o.detail.startsWith('bastion'))).toMatchObject({ status: 'pass' });
  });

  it('GIVEN compute and identity deployed WHEN checked THEN it passes without asking', async () => {
    expect(await offeringsCheck(ctx({}, { pending: ['monitoring'] }))).toEqual([expect.objectContaining({ status: 'pass' })]);
  });
});

describe('CloudTrail', () => {
  const trails = (
    list: Array<{ name: string; homeRegion: string; multiRegion: boolean }>,
    logging = true,
    management: 'All' | 'WriteOnly' | 'ReadOnly' | 'none' = 'All',
  ) => ({
    describeTrails: async () => list.map((t) => ({ ...t, arn: `arn:${t.name}` })),
    trailLogging: async () => logging,
    trailSelectors: async () => ({ management }),
  });
  it.each<[string, ReturnType<typeof trails>, EnvironmentInput, string, RegExp]>([
    [
      'monitoring.cloudTrail existing and an organization trail logging every region',
      trails([{ name: 'org', homeRegion: 'us-east-1', multiRegion: true }]),
      { monitoring: { cloudTrail: 'existing' } },
      'pass',
      /recorded by org/,
    ],
    [
      'monitoring.cloudTrail existing and only a read-only trail',
      trails([{ name: 'ro', homeRegion: 'eu-west-1', multiRegion: false }], true, 'ReadOnly'),
      { monitoring: { cloudTrail: 'existing' } },
      'fail',
      /never fire/,
    ],
    [
      'monitoring.cloudTrail existing and a stopped trail',
      trails([{ name: 't', homeRegion: 'eu-west-1', multiRegion: false }], false),
      { monitoring: { cloudTrail: 'existing' } },
      'fail',
      /never fire/,
    ],
    [
      'dpf creating its trail while another already records management events',
      trails([{ name: 'org', homeRegion: 'us-east-1', multiRegion: true }]),
      {},
      'warn',
      /second copy is charged/,
    ],
    [
      'dpf creating its trail where five trails already live',
      trails(
        Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, homeRegion: 'eu-west-1', multiRegion: false })),
        true,
        'none',
      ),
      {},
      'fail',
      /quota is 5/,
    ],
    ['dpf creating its trail in an account without one', trails([]), {}, 'pass', /creates a multi-region trail/],
  ])('GIVEN %s WHEN checked THEN %s', async (_what, answers, env, status, detail) => {
    const r = await cloudTrailCheck(ctx(answers, { env }));
    expect(r.status).toBe(status);
    expect(r.detail).toMatch(detail);
  });
});

describe('permissions (IAM policy simulation)', () => {
  it('GIVEN an SSO role session WHEN simulated THEN the role ARN with its path is simulated and denied actions fail the check', async () => {
    let simulated = '';
    const c = ctx(
      {
        roleArn: async (n) => `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${n}`,
        simulate: async (arn, actions) => (
          (simulated = arn),
          actions.map((a) => ({ action: a, decision: a === 'ec2:RunInstances' ? 'implicitDeny' : 'allowed' }))
        ),
      },
      { caller: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_1/alice` },
    );
    const r = await permissionsCheck(c);
    expect(simulated).toBe(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1`);
    expect(r).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/denied 1 of the calls dpf makes itself: ec2:RunInstances/),
      hint: expect.stringMatching(/docs\/iam/),
    });
  });

  it('GIVEN only CloudFormation handler permissions denied WHEN simulated THEN a warning (some may never be needed), not a blocking fail', async () => {
    const c = {
      ...ctx(
        {
          roleArn: async () => 'arn:aws:iam::1:role/ops',
          simulate: async (_a, actions) => actions.map((action) => ({ action, decision: action === 's3tables:GetTableBucket' ? 'explicitDeny' : 'allowed' })),
        },
        { actions: ['ec2:RunInstances', 's3tables:GetTableBucket'] },
      ),
      directActions: new Set(['ec2:RunInstances']),
    };
    expect(await permissionsCheck(c)).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/1 CloudFormation handler permission\(s\).*s3tables:GetTableBucket/),
    });
  });

  it('GIVEN every action allowed WHEN simulated THEN pass', async () => {
    const r = await permissionsCheck(
      ctx({ roleArn: async () => 'arn:aws:iam::1:role/ops', simulate: async (_a, actions) => actions.map((action) => ({ action, decision: 'allowed' })) }),
    );
    expect(r.status).toBe('pass');
  });

  it.each([
    [`arn:aws:iam::${ACCOUNT}:root`, 'warn', /root user/],
    [`arn:aws:sts::${ACCOUNT}:federated-user/bob`, 'unknown', /cannot evaluate/],
  ])('GIVEN caller %s WHEN checked THEN %s', async (caller, status, detail) => {
    const r = await permissionsCheck(ctx({}, { caller }));
    expect(r.status).toBe(status);
    expect(r.detail).toMatch(detail);
  });

  it('GIVEN an IAM user WHEN resolved THEN its own ARN is simulated', async () => {
    expect(await principalOf(ctx({}), `arn:aws:iam::${ACCOUNT}:user/ops/alice`)).toEqual({ arn: `arn:aws:iam::${ACCOUNT}:user/ops/alice` });
  });
});

describe('unknown, never pass', () => {
  it.each([
    [new NotImplementedByEndpointError('EC2 GetEbsDefaultKmsKeyId'), /not offered/],
    [Object.assign(new Error('User is not authorized to perform: iam:SimulatePrincipalPolicy'), { name: 'AccessDenied' }), /not allowed to ask/],
    [new Error('socket closed'), /could not be answered: socket closed/],
  ])('GIVEN %s WHEN a check cannot ask THEN unknown with the reason', (err, detail) => {
    expect(couldNotAsk(err)).toMatchObject({ status: 'unknown', detail: expect.stringMatching(detail) });
  });

  it('GIVEN results WHEN a blocking check fails THEN deploy is blocked (exit 8) naming it; unknown and non-blocking fails do not block', () => {
    const results = [
      { id: 'permissions', check: 'permissions', status: 'unknown' as const, detail: 'x', blocking: true },
      { id: 'cloudtrail', check: 'CloudTrail', status: 'fail' as const, detail: 'y', blocking: false },
    ];
    expect(blockingFailures(results)).toEqual([]);
    expect(preflightBlocked(results, 'dev')).toBeUndefined();
    const blocked = preflightBlocked(
      [...results, { id: 'quotas', check: 'quotas', status: 'fail' as const, detail: 'VPCs: 5 in use + 1 to add > quota 5', blocking: true }],
      'dev',
    )!;
    expect(blocked.exitCode).toBe(8);
    expect(blocked.message).toMatch(/quotas: VPCs: 5 in use/);
  });
});
