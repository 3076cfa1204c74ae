import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  EC2Client,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  DescribeSubnetsCommand,
  DescribeNatGatewaysCommand,
  CreateImageCommand,
  DescribeImagesCommand,
  CreateSnapshotCommand,
  DescribeSnapshotsCommand,
  CreateSecurityGroupCommand,
  RevokeSecurityGroupEgressCommand,
  DeleteSecurityGroupCommand,
} from '@aws-sdk/client-ec2';
import { createEc2Port } from '../../src/aws/sdk-ec2.js';
import { awsError, cfg } from './helpers.js';

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());
const port = () => createEc2Port(cfg);

describe('EC2 adapter', () => {
  it('describeInstances maps filters, follows NextToken and flattens reservations', async () => {
    const launch = new Date('2025-01-01T00:00:00Z');
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        NextToken: 't1',
        Reservations: [
          {
            Instances: [
              {
                InstanceId: 'i-1',
                State: { Name: 'running' },
                InstanceType: 't3.large',
                SubnetId: 'subnet-1',
                Placement: { AvailabilityZone: 'eu-west-1a' },
                PrivateIpAddress: '10.0.1.5',
                PublicIpAddress: '1.2.3.4',
                ImageId: 'ami-1',
                LaunchTime: launch,
                Tags: [
                  { Key: 'dpf:env', Value: 'dev' },
                  { Key: 'Name', Value: 'web' },
                ],
                SecurityGroups: [{ GroupId: 'sg-1' }, { GroupId: 'sg-2' }],
                MetadataOptions: { HttpTokens: 'required' },
                BlockDeviceMappings: [
                  { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-1' } },
                  { DeviceName: '/dev/xvdb', Ebs: { VolumeId: 'vol-2' } },
                ],
              },
            ],
          },
          { Instances: [{ InstanceId: 'i-2', State: { Name: 'stopped' }, InstanceType: 't3.small' }] },
        ],
      })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-3' }] }] });

    const out = await port().describeInstances({ 'tag:dpf:env': ['dev'], 'instance-state-name': ['running', 'stopped'] });

    const calls = ec2.commandCalls(DescribeInstancesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.args[0].input).toEqual({
      Filters: [
        { Name: 'tag:dpf:env', Values: ['dev'] },
        { Name: 'instance-state-name', Values: ['running', 'stopped'] },
      ],
      NextToken: undefined,
    });
    expect(calls[1]!.args[0].input.NextToken).toBe('t1');
    expect(out.map((i) => i.instanceId)).toEqual(['i-1', 'i-2', 'i-3']);
    expect(out[0]).toEqual({
      instanceId: 'i-1',
      state: 'running',
      instanceType: 't3.large',
      subnetId: 'subnet-1',
      availabilityZone: 'eu-west-1a',
      privateIp: '10.0.1.5',
      publicIp: '1.2.3.4',
      imageId: 'ami-1',
      tags: { 'dpf:env': 'dev', Name: 'web' },
      securityGroupIds: ['sg-1', 'sg-2'],
      httpTokens: 'required',
      volumeIds: ['vol-1', 'vol-2'],
      launchTime: launch,
    });
    expect(out[2]).toMatchObject({ instanceId: 'i-3', state: 'unknown', instanceType: '', tags: {}, securityGroupIds: [], volumeIds: [] });
  });

  it('describeInstances with no filters sends none; a not-found error gives []', async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound'));
    expect(await port().describeInstances({})).toEqual([]);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toBeUndefined();
  });

  it('other errors propagate', async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError('UnauthorizedOperation', 403));
    await expect(port().describeInstances({})).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });

  it('describeVolumes maps volumes; [] ids make no call; missing ids are left out one by one', async () => {
    expect(await port().describeVolumes([])).toEqual([]);
    expect(ec2.commandCalls(DescribeVolumesCommand)).toHaveLength(0);

    ec2.on(DescribeVolumesCommand, { VolumeIds: ['vol-1', 'vol-x'] }).rejects(awsError('InvalidVolume.NotFound'));
    ec2.on(DescribeVolumesCommand, { VolumeIds: ['vol-1'] }).resolves({
      Volumes: [{ VolumeId: 'vol-1', Encrypted: true, Size: 100, State: 'in-use', Attachments: [{ InstanceId: 'i-1' }], Tags: [{ Key: 'a', Value: 'b' }] }],
    });
    ec2.on(DescribeVolumesCommand, { VolumeIds: ['vol-x'] }).rejects(awsError('InvalidVolume.NotFound'));
    expect(await port().describeVolumes(['vol-1', 'vol-x'])).toEqual([
      { volumeId: 'vol-1', encrypted: true, sizeGb: 100, state: 'in-use', attachedTo: 'i-1', tags: { a: 'b' } },
    ]);
  });

  it('describeSecurityGroups maps ingress and egress rules', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [
        {
          GroupId: 'sg-1',
          GroupName: 'db',
          VpcId: 'vpc-1',
          Tags: [{ Key: 'dpf:env', Value: 'dev' }],
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-app' }] },
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/16' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
          ],
          IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        },
      ],
    });
    const [g] = await port().describeSecurityGroups({ 'vpc-id': ['vpc-1'] });
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0]!.args[0].input.Filters).toEqual([{ Name: 'vpc-id', Values: ['vpc-1'] }]);
    expect(g).toEqual({
      groupId: 'sg-1',
      groupName: 'db',
      vpcId: 'vpc-1',
      tags: { 'dpf:env': 'dev' },
      ingress: [
        { protocol: 'tcp', fromPort: 5432, toPort: 5432, cidrs: [], groupIds: ['sg-app'] },
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['10.0.0.0/16', '::/0'], groupIds: [] },
      ],
      egress: [{ protocol: '-1', fromPort: undefined, toPort: undefined, cidrs: ['0.0.0.0/0'], groupIds: [] }],
    });
  });

  it('describeVpcs / describeSubnets / describeNatGateways map and paginate (NAT uses `Filter`)', async () => {
    ec2
      .on(DescribeVpcsCommand)
      .resolvesOnce({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.0.0.0/16' }], NextToken: 'n' })
      .resolvesOnce({ Vpcs: [{ VpcId: 'vpc-2', CidrBlock: '10.1.0.0/16', Tags: [{ Key: 'k', Value: 'v' }] }] });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 's-1', VpcId: 'vpc-1', CidrBlock: '10.0.1.0/24', AvailabilityZone: 'eu-west-1a' }] });
    ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [{ NatGatewayId: 'nat-1', SubnetId: 's-1', State: 'available' }] });
    const p = port();
    expect(await p.describeVpcs({ 'tag:dpf:env': ['dev'] })).toEqual([
      { vpcId: 'vpc-1', cidr: '10.0.0.0/16', tags: {} },
      { vpcId: 'vpc-2', cidr: '10.1.0.0/16', tags: { k: 'v' } },
    ]);
    expect(await p.describeSubnets({ 'vpc-id': ['vpc-1'] })).toEqual([
      { subnetId: 's-1', vpcId: 'vpc-1', cidr: '10.0.1.0/24', availabilityZone: 'eu-west-1a', tags: {} },
    ]);
    expect(await p.describeNatGateways({ 'vpc-id': ['vpc-1'] })).toEqual([{ natGatewayId: 'nat-1', subnetId: 's-1', state: 'available' }]);
    expect(ec2.commandCalls(DescribeNatGatewaysCommand)[0]!.args[0].input).toEqual({ Filter: [{ Name: 'vpc-id', Values: ['vpc-1'] }], NextToken: undefined });
  });

  it('createImage tags the image and its snapshots; describeImages maps, missing → []', async () => {
    ec2.on(CreateImageCommand).resolves({ ImageId: 'ami-new' });
    expect(await port().createImage('i-1', 'dpf-dev-web-2025', { 'dpf:env': 'dev' }, true)).toBe('ami-new');
    expect(ec2.commandCalls(CreateImageCommand)[0]!.args[0].input).toEqual({
      InstanceId: 'i-1',
      Name: 'dpf-dev-web-2025',
      NoReboot: true,
      TagSpecifications: [
        { ResourceType: 'image', Tags: [{ Key: 'dpf:env', Value: 'dev' }] },
        { ResourceType: 'snapshot', Tags: [{ Key: 'dpf:env', Value: 'dev' }] },
      ],
    });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-new', Name: 'n', State: 'pending', CreationDate: '2025-01-01T00:00:00.000Z' }] });
    expect(await port().describeImages(['ami-new'])).toEqual([
      { imageId: 'ami-new', name: 'n', state: 'pending', creationDate: '2025-01-01T00:00:00.000Z', tags: {} },
    ]);
    ec2.on(DescribeImagesCommand).rejects(awsError('InvalidAMIID.NotFound'));
    expect(await port().describeImages(['ami-gone'])).toEqual([]);
  });

  it('createSnapshot / describeSnapshots', async () => {
    ec2.on(CreateSnapshotCommand).resolves({ SnapshotId: 'snap-1' });
    expect(await port().createSnapshot('vol-1', 'before upgrade', {})).toBe('snap-1');
    expect(ec2.commandCalls(CreateSnapshotCommand)[0]!.args[0].input).toEqual({
      VolumeId: 'vol-1',
      Description: 'before upgrade',
      TagSpecifications: undefined,
    });
    const t = new Date('2025-02-01T00:00:00Z');
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-1', VolumeId: 'vol-1', State: 'completed', StartTime: t }] });
    expect(await port().describeSnapshots(['snap-1'])).toEqual([{ snapshotId: 'snap-1', volumeId: 'vol-1', state: 'completed', startTime: t, tags: {} }]);
    ec2.on(DescribeSnapshotsCommand).rejects(awsError('InvalidSnapshot.NotFound'));
    expect(await port().describeSnapshots(['snap-x'])).toEqual([]);
  });

  it('security group lifecycle: create, ingress from a group (duplicate ok), revoke all egress, delete (gone ok)', async () => {
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-new' });
    const p = port();
    expect(await p.createSecurityGroup('vpc-1', 'dpf-dev-db', 'db access', { 'dpf:env': 'dev' })).toBe('sg-new');
    expect(ec2.commandCalls(CreateSecurityGroupCommand)[0]!.args[0].input).toEqual({
      VpcId: 'vpc-1',
      GroupName: 'dpf-dev-db',
      Description: 'db access',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'dpf:env', Value: 'dev' }] }],
    });

    const egress = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    ec2.on(DescribeSecurityGroupsCommand, { GroupIds: ['sg-new'] }).resolves({ SecurityGroups: [{ GroupId: 'sg-new', IpPermissionsEgress: egress }] });
    ec2.on(RevokeSecurityGroupEgressCommand).resolves({});
    await p.revokeAllEgress('sg-new');
    expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand)[0]!.args[0].input).toEqual({ GroupId: 'sg-new', IpPermissions: egress });

    ec2.on(DescribeSecurityGroupsCommand, { GroupIds: ['sg-none'] }).resolves({ SecurityGroups: [{ GroupId: 'sg-none', IpPermissionsEgress: [] }] });
    await p.revokeAllEgress('sg-none');
    expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand)).toHaveLength(1);

    ec2.on(DeleteSecurityGroupCommand).rejects(awsError('InvalidGroup.NotFound'));
    await expect(p.deleteSecurityGroup('sg-new')).resolves.toBeUndefined();
    ec2.on(DeleteSecurityGroupCommand).rejects(awsError('DependencyViolation'));
    await expect(p.deleteSecurityGroup('sg-new')).rejects.toMatchObject({ name: 'DependencyViolation' });
  });

  it("GIVEN a vendor's public image WHEN one port looks it up twice THEN it asks once, newest first; this account's images are asked every time", async () => {
    ec2.on(DescribeImagesCommand).resolves({
      Images: [
        { ImageId: 'ami-old', Name: 'Rocky-9-1', State: 'available', CreationDate: '2025-01-01T00:00:00Z' },
        { ImageId: 'ami-new', Name: 'Rocky-9-2', State: 'available', CreationDate: '2026-01-01T00:00:00Z' },
      ],
    });
    const p = port();
    const [a, b] = await Promise.all([p.findImages(['792107900819'], 'Rocky-9-*'), p.findImages(['792107900819'], 'Rocky-9-*')]);
    expect(a.map((i) => i.imageId)).toEqual(['ami-new', 'ami-old']);
    expect(b).toEqual(a);
    await p.findImages(['self'], 'dpf-patch-*');
    await p.findImages(['self'], 'dpf-patch-*');
    expect(ec2.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input.Owners)).toEqual([['792107900819'], ['self'], ['self']]);
  });
});
