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
import { ACCOUNT, ctx } from './context.js';
import { blockingFailures, preflightBlocked } from '../../src/preflight/index.js';
import type { AccountPreflightPort } from '../../src/aws/preflight.js';
import { NotImplementedByEndpointError } from '../../src/aws/endpoint.js';

const SLR = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;

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
