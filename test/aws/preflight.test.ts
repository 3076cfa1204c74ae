import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  EC2Client,
  GetEbsDefaultKmsKeyIdCommand,
  DescribeImagesCommand,
  RunInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeAddressesCommand,
  DescribeVpcsCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { KMSClient, DescribeKeyCommand, GetKeyPolicyCommand, ListGrantsCommand } from '@aws-sdk/client-kms';
import { ServiceQuotasClient, ListServiceQuotasCommand, ListAWSDefaultServiceQuotasCommand } from '@aws-sdk/client-service-quotas';
import { CloudTrailClient, DescribeTrailsCommand, GetTrailStatusCommand, GetEventSelectorsCommand } from '@aws-sdk/client-cloudtrail';
import { IAMClient, GetRoleCommand, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { createPreflightPort } from '../../src/aws/sdk-preflight.js';
import { NotImplementedByEndpointError } from '../../src/aws/endpoint.js';
import { awsError, cfg } from './helpers.js';

const ec2 = mockClient(EC2Client);
const kms = mockClient(KMSClient);
const quotas = mockClient(ServiceQuotasClient);
const trail = mockClient(CloudTrailClient);
const iam = mockClient(IAMClient);
beforeEach(() => [ec2, kms, quotas, trail, iam].forEach((m) => m.reset()));
const port = () => createPreflightPort(cfg);

describe('preflight adapter: EBS default encryption and KMS', () => {
  it('GIVEN EBS answers THEN the default key is read (alias/aws/ebs when EBS names none)', async () => {
    ec2.on(GetEbsDefaultKmsKeyIdCommand).resolvesOnce({ KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k1' }).resolvesOnce({});
    expect(await port().ebsDefaultKmsKeyId()).toBe('arn:aws:kms:eu-west-1:111122223333:key/k1');
    expect(await port().ebsDefaultKmsKeyId()).toBe('alias/aws/ebs');
  });

  it('GIVEN an endpoint that does not offer the call THEN NotImplementedByEndpointError names it', async () => {
    ec2.on(GetEbsDefaultKmsKeyIdCommand).rejects(awsError('NotImplemented', 501));
    await expect(port().ebsDefaultKmsKeyId()).rejects.toBeInstanceOf(NotImplementedByEndpointError);
    await expect(port().ebsDefaultKmsKeyId()).rejects.toThrow(/GetEbsDefaultKmsKeyId is not offered/);
  });

  it('GIVEN a key THEN describeKey maps the manager, keyPolicy parses the default policy, keyGrants follows the marker', async () => {
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', Arn: 'arn:k1', KeyManager: 'CUSTOMER', KeyState: 'Enabled' } });
    kms.on(GetKeyPolicyCommand).resolves({ Policy: '{"Statement":[{"Effect":"Allow"}]}' });
    kms
      .on(ListGrantsCommand)
      .resolvesOnce({ Truncated: true, NextMarker: 'm', Grants: [{ GranteePrincipal: 'arn:slr', Operations: ['Decrypt'] }] })
      .resolvesOnce({ Grants: [{ GranteePrincipal: 'arn:other', Operations: ['Encrypt'] }] });
    expect(await port().describeKey('alias/aws/ebs')).toEqual({ arn: 'arn:k1', manager: 'CUSTOMER', state: 'Enabled' });
    expect(await port().keyPolicy('arn:k1')).toEqual({ Statement: [{ Effect: 'Allow' }] });
    expect(kms.commandCalls(GetKeyPolicyCommand)[0]!.args[0].input).toEqual({ KeyId: 'arn:k1', PolicyName: 'default' });
    expect(await port().keyGrants('arn:k1')).toEqual([
      { grantee: 'arn:slr', operations: ['Decrypt'] },
      { grantee: 'arn:other', operations: ['Encrypt'] },
    ]);
    expect(kms.commandCalls(ListGrantsCommand)[1]!.args[0].input.Marker).toBe('m');
  });
});

describe('preflight adapter: images and the Marketplace dry run', () => {
  it('GIVEN an image THEN its product codes are read; an unknown image id gives []', async () => {
    ec2
      .on(DescribeImagesCommand)
      .resolvesOnce({
        Images: [
          {
            ImageId: 'ami-1',
            Name: 'Rocky',
            OwnerId: '679593333241',
            State: 'available',
            ProductCodes: [{ ProductCodeId: 'abc', ProductCodeType: 'marketplace' }],
          },
        ],
      })
      .rejectsOnce(awsError('InvalidAMIID.NotFound'));
    expect(await port().describeImages(['ami-1'])).toEqual([
      { imageId: 'ami-1', name: 'Rocky', ownerId: '679593333241', state: 'available', productCodes: [{ id: 'abc', type: 'marketplace' }] },
    ]);
    expect(await port().describeImages(['ami-x'])).toEqual([]);
  });

  it.each([
    ['DryRunOperation (the launch would be accepted)', awsError('DryRunOperation', 412), { ok: true }],
    [
      'OptInRequired (no subscription)',
      awsError('OptInRequired', 401, 'In order to use this AWS Marketplace product you need to accept terms and subscribe.'),
      { ok: false, code: 'OptInRequired' },
    ],
    ['another refusal', awsError('InvalidSubnetID.NotFound'), { ok: false, code: 'InvalidSubnetID.NotFound' }],
  ])('GIVEN RunInstances answers %s THEN the outcome says so', async (_what, err, outcome) => {
    ec2.on(RunInstancesCommand).rejects(err);
    expect(await port().dryRunLaunch('ami-1', 't3.medium', 'subnet-1')).toMatchObject(outcome);
    expect(ec2.commandCalls(RunInstancesCommand)[0]!.args[0].input).toEqual({
      DryRun: true,
      ImageId: 'ami-1',
      InstanceType: 't3.medium',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: 'subnet-1',
    });
  });

  it('GIVEN an endpoint that ignores DryRun and launches THEN it is not read as subscribed', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-1' }] });
    expect(await port().dryRunLaunch('ami-1', 't3.medium')).toMatchObject({ ok: false, code: 'DryRunIgnored' });
  });
});

describe('preflight adapter: instance types and usage', () => {
  it('GIVEN offerings over two pages THEN each type maps to the zones asked for that offer it', async () => {
    ec2
      .on(DescribeInstanceTypeOfferingsCommand)
      .resolvesOnce({ NextToken: 'n', InstanceTypeOfferings: [{ InstanceType: 'm5.large', Location: 'eu-west-1a' }] })
      .resolvesOnce({
        InstanceTypeOfferings: [
          { InstanceType: 'm5.large', Location: 'eu-west-1b' },
          { InstanceType: 'm5.large', Location: 'eu-west-1z' },
        ],
      });
    expect(await port().instanceTypeOfferings(['m5.large', 'x9.huge'], ['eu-west-1a', 'eu-west-1b'])).toEqual({
      'm5.large': ['eu-west-1a', 'eu-west-1b'],
      'x9.huge': [],
    });
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)[0]!.args[0].input).toMatchObject({
      LocationType: 'availability-zone',
      Filters: [
        { Name: 'location', Values: ['eu-west-1a', 'eu-west-1b'] },
        { Name: 'instance-type', Values: ['m5.large', 'x9.huge'] },
      ],
    });
  });

  it('GIVEN an unknown instance type among known ones THEN the others are read one by one', async () => {
    ec2.on(DescribeInstanceTypesCommand, { InstanceTypes: ['m5.large', 'x9.huge'] }).rejects(awsError('InvalidInstanceType'));
    ec2
      .on(DescribeInstanceTypesCommand, { InstanceTypes: ['m5.large'] })
      .resolves({ InstanceTypes: [{ InstanceType: 'm5.large', VCpuInfo: { DefaultVCpus: 2 } }] });
    ec2.on(DescribeInstanceTypesCommand, { InstanceTypes: ['x9.huge'] }).rejects(awsError('InvalidInstanceType'));
    expect(await port().instanceTypeVcpus(['m5.large', 'x9.huge'])).toEqual({ 'm5.large': 2 });
  });

  it('GIVEN the account THEN running types, addresses, VPCs, gateways and NAT gateways per zone are counted', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceType: 'm5.large' }, { InstanceType: 't3.micro' }] }] });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{}, {}, {}] });
    ec2
      .on(DescribeVpcsCommand)
      .resolvesOnce({ NextToken: 'v', Vpcs: [{}] })
      .resolvesOnce({ Vpcs: [{}] });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [{}] });
    ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [{ SubnetId: 's1' }, { SubnetId: 's1' }, { SubnetId: 's2' }] });
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: [
        { SubnetId: 's1', AvailabilityZone: 'eu-west-1a' },
        { SubnetId: 's2', AvailabilityZone: 'eu-west-1b' },
      ],
    });
    const p = port();
    expect(await p.runningInstanceTypes()).toEqual(['m5.large', 't3.micro']);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toEqual([{ Name: 'instance-state-name', Values: ['pending', 'running'] }]);
    expect(await p.countAddresses()).toBe(3);
    expect(await p.countVpcs()).toBe(2);
    expect(await p.countInternetGateways()).toBe(1);
    expect(await p.natGatewaysPerZone()).toEqual({ 'eu-west-1a': 2, 'eu-west-1b': 1 });
    expect(ec2.commandCalls(DescribeNatGatewaysCommand)[0]!.args[0].input.Filter).toEqual([{ Name: 'state', Values: ['pending', 'available'] }]);
  });
});

describe('preflight adapter: Service Quotas', () => {
  const q = (code: string, value: number) => ({ QuotaCode: code, Value: value });
  it.each([
    ['an applied quota', () => quotas.on(ListServiceQuotasCommand).resolves({ Quotas: [q('L-F678F1CE', 10)] }), 10, 0],
    [
      'no applied quota: the AWS default',
      () => {
        quotas.on(ListServiceQuotasCommand).resolves({ Quotas: [q('L-A4707A72', 7)] });
        quotas.on(ListAWSDefaultServiceQuotasCommand).resolves({ Quotas: [q('L-F678F1CE', 5)] });
      },
      5,
      1,
    ],
    [
      'neither (a service Service Quotas does not know: NoSuchResource)',
      () => {
        quotas.on(ListServiceQuotasCommand).rejects(awsError('NoSuchResourceException'));
        quotas.on(ListAWSDefaultServiceQuotasCommand).rejects(awsError('NoSuchResourceException'));
      },
      undefined,
      1,
    ],
  ])('GIVEN %s THEN the value is %s', async (_what, arrange, value, defaultReads) => {
    arrange();
    expect(await port().serviceQuota('vpc', 'L-F678F1CE')).toBe(value);
    expect(quotas.commandCalls(ListServiceQuotasCommand)[0]!.args[0].input).toEqual({ ServiceCode: 'vpc', MaxResults: 100 });
    expect(quotas.commandCalls(ListAWSDefaultServiceQuotasCommand)).toHaveLength(defaultReads);
  });

  it('GIVEN several quotas of one service asked at once THEN the service is listed once (every page), the defaults once', async () => {
    quotas
      .on(ListServiceQuotasCommand)
      .resolvesOnce({ Quotas: [q('L-F678F1CE', 5)], NextToken: 'p2' })
      .resolvesOnce({ Quotas: [q('L-A4707A72', 6)] });
    quotas.on(ListAWSDefaultServiceQuotasCommand).resolves({ Quotas: [q('L-FE5A380F', 5)] });
    const p = port();
    const values = await Promise.all([
      p.serviceQuota('vpc', 'L-F678F1CE'),
      p.serviceQuota('vpc', 'L-A4707A72'),
      p.serviceQuota('vpc', 'L-FE5A380F'),
      p.serviceQuota('vpc', 'L-NOTHING'),
    ]);
    expect(values).toEqual([5, 6, 5, undefined]);
    expect(quotas.commandCalls(ListServiceQuotasCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'p2']);
    expect(quotas.commandCalls(ListAWSDefaultServiceQuotasCommand)).toHaveLength(1);
  });

  it('GIVEN access denied THEN the error is raised (the check reports unknown with it)', async () => {
    quotas.on(ListServiceQuotasCommand).rejects(awsError('AccessDeniedException'));
    await expect(port().serviceQuota('ec2', 'L-1216C47A')).rejects.toThrow(/AccessDenied/);
  });
});

describe('preflight adapter: CloudTrail', () => {
  it('GIVEN trails THEN they are listed with shadow trails, and their status read', async () => {
    trail.on(DescribeTrailsCommand).resolves({ trailList: [{ Name: 'org', TrailARN: 'arn:t', HomeRegion: 'us-east-1', IsMultiRegionTrail: true }] });
    trail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    expect(await port().describeTrails()).toEqual([{ name: 'org', arn: 'arn:t', homeRegion: 'us-east-1', multiRegion: true }]);
    expect(trail.commandCalls(DescribeTrailsCommand)[0]!.args[0].input).toEqual({ includeShadowTrails: true });
    expect(await port().trailLogging('arn:t')).toBe(true);
  });

  it.each([
    ['no selectors (CloudTrail default)', {}, 'All'],
    ['classic WriteOnly', { EventSelectors: [{ ReadWriteType: 'WriteOnly' as const, IncludeManagementEvents: true }] }, 'WriteOnly'],
    ['classic without management events', { EventSelectors: [{ ReadWriteType: 'All' as const, IncludeManagementEvents: false }] }, 'none'],
    [
      'advanced, management write events',
      {
        AdvancedEventSelectors: [
          {
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Management'] },
              { Field: 'readOnly', Equals: ['false'] },
            ],
          },
        ],
      },
      'WriteOnly',
    ],
    ['advanced, data events only', { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }] }, 'none'],
  ])('GIVEN %s THEN management events are %s', async (_what, answer, management) => {
    trail.on(GetEventSelectorsCommand).resolves(answer);
    expect(await port().trailSelectors('t')).toEqual({ management });
  });
});

describe('preflight adapter: IAM', () => {
  it('GIVEN a role name THEN its ARN (with path) is read', async () => {
    iam.on(GetRoleCommand).resolves({
      Role: {
        Arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1',
        RoleName: 'r',
        Path: '/',
        RoleId: 'x',
        CreateDate: new Date(),
      },
    });
    expect(await port().roleArn('AWSReservedSSO_Admin_1')).toMatch(/aws-reserved\/sso/);
  });

  it('GIVEN 150 actions THEN the simulation runs in chunks of 100, follows the marker and returns every decision', async () => {
    const actions = Array.from({ length: 150 }, (_, i) => `ec2:Action${i}`);
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: { ActionNames: string[]; Marker?: string }) => {
      const half = Math.ceil(input.ActionNames.length / 2);
      const part = input.Marker ? input.ActionNames.slice(half) : input.ActionNames.slice(0, half);
      return {
        IsTruncated: !input.Marker,
        Marker: input.Marker ? undefined : 'm',
        EvaluationResults: part.map((a) => ({ EvalActionName: a, EvalDecision: a === 'ec2:Action7' ? 'implicitDeny' : 'allowed' })),
      };
    });
    const out = await port().simulate('arn:aws:iam::111122223333:role/ops', actions);
    expect(out).toHaveLength(150);
    expect(out.filter((r) => r.decision !== 'allowed')).toEqual([{ action: 'ec2:Action7', decision: 'implicitDeny' }]);
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input.ActionNames!.length)).toEqual([100, 100, 50, 50]);
  });
});
