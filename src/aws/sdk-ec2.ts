/** Ec2Port over the AWS SDK v3. Only translation happens here; "not found" reads give []. */
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
  DescribeAvailabilityZonesCommand,
  type Instance,
  type IpPermission,
  type SecurityGroup,
  type TagSpecification,
  type ResourceType,
} from '@aws-sdk/client-ec2';
import type {
  Ec2Port,
  InstanceInfo,
  VolumeInfo,
  SecurityGroupInfo,
  SecurityGroupRule,
  VpcInfo,
  SubnetInfo,
  NatGatewayInfo,
  ImageInfo,
  SnapshotInfo,
} from './ops-ports.js';
import { createdByEarlierAttempt, isError, tagsOf, tagList, toFilters } from './sdk-common.js';

const NOT_FOUND =
  /^Invalid[A-Za-z]*(ID|Id)?\.(NotFound|Malformed)$|^InvalidAMIID\.(NotFound|Malformed|Unavailable)$|^NatGatewayNotFound$|^InvalidGroup\.NotFound$/;

function tagSpecs(types: ResourceType[], tags: Record<string, string>): TagSpecification[] | undefined {
  const list = tagList(tags);
  return list.length ? types.map((ResourceType) => ({ ResourceType, Tags: list })) : undefined;
}

export function toInstanceInfo(i: Instance): InstanceInfo {
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'unknown',
    instanceType: i.InstanceType ?? '',
    subnetId: i.SubnetId,
    availabilityZone: i.Placement?.AvailabilityZone,
    privateIp: i.PrivateIpAddress,
    publicIp: i.PublicIpAddress,
    imageId: i.ImageId,
    tags: tagsOf(i.Tags),
    securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId).filter((g): g is string => Boolean(g)),
    httpTokens: i.MetadataOptions?.HttpTokens,
    volumeIds: (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => Boolean(v)),
    launchTime: i.LaunchTime,
  };
}

function toRules(perms: IpPermission[] | undefined): SecurityGroupRule[] {
  return (perms ?? []).map((p) => ({
    protocol: p.IpProtocol ?? '-1',
    fromPort: p.FromPort,
    toPort: p.ToPort,
    cidrs: [...(p.IpRanges ?? []).map((r) => r.CidrIp), ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)].filter((c): c is string => Boolean(c)),
    groupIds: (p.UserIdGroupPairs ?? []).map((g) => g.GroupId).filter((g): g is string => Boolean(g)),
  }));
}

function toGroupInfo(g: SecurityGroup): SecurityGroupInfo {
  return {
    groupId: g.GroupId ?? '',
    groupName: g.GroupName ?? '',
    vpcId: g.VpcId,
    tags: tagsOf(g.Tags),
    ingress: toRules(g.IpPermissions),
    egress: toRules(g.IpPermissionsEgress),
  };
}

export class SdkEc2 implements Ec2Port {
  constructor(private readonly client: EC2Client) {}

  /** Runs a read; a "not found" error gives []. */
  private async orEmpty<T>(read: () => Promise<T[]>): Promise<T[]> {
    try {
      return await read();
    } catch (err) {
      if (isError(err, NOT_FOUND)) return [];
      throw err;
    }
  }

  /**
   * Reads by ids: one missing id fails the whole EC2 call, so on "not found" with several ids
   * each id is read alone and the missing ones are left out.
   */
  private async byIds<T>(ids: string[], read: (ids: string[]) => Promise<T[]>): Promise<T[]> {
    if (!ids.length) return [];
    try {
      return await read(ids);
    } catch (err) {
      if (!isError(err, NOT_FOUND)) throw err;
      if (ids.length === 1) return [];
      const out: T[] = [];
      for (const id of ids) out.push(...(await this.orEmpty(() => read([id]))));
      return out;
    }
  }

  async describeInstances(filters: Record<string, string[]>): Promise<InstanceInfo[]> {
    return this.orEmpty(async () => {
      const out: InstanceInfo[] = [];
      let token: string | undefined;
      do {
        const r = await this.client.send(new DescribeInstancesCommand({ Filters: toFilters(filters), NextToken: token }));
        for (const res of r.Reservations ?? []) for (const i of res.Instances ?? []) out.push(toInstanceInfo(i));
        token = r.NextToken;
      } while (token);
      return out;
    });
  }

  async describeVolumes(volumeIds: string[]): Promise<VolumeInfo[]> {
    return this.byIds(volumeIds, async (ids) => {
      const out: VolumeInfo[] = [];
      let token: string | undefined;
      do {
        const r = await this.client.send(new DescribeVolumesCommand({ VolumeIds: ids, NextToken: token }));
        for (const v of r.Volumes ?? [])
          out.push({
            volumeId: v.VolumeId ?? '',
            encrypted: v.Encrypted ?? false,
            sizeGb: v.Size ?? 0,
            state: v.State ?? 'unknown',
            attachedTo: v.Attachments?.find((a) => a.InstanceId)?.InstanceId,
            tags: tagsOf(v.Tags),
          });
        token = r.NextToken;
      } while (token);
      return out;
    });
  }

  async describeSecurityGroups(filters: Record<string, string[]>): Promise<SecurityGroupInfo[]> {
    return this.orEmpty(async () => {
      const out: SecurityGroupInfo[] = [];
      let token: string | undefined;
      do {
        const r = await this.client.send(new DescribeSecurityGroupsCommand({ Filters: toFilters(filters), NextToken: token }));
        for (const g of r.SecurityGroups ?? []) out.push(toGroupInfo(g));
        token = r.NextToken;
      } while (token);
      return out;
    });
  }

  async describeVpcs(filters: Record<string, string[]>): Promise<VpcInfo[]> {
    return this.orEmpty(async () => {
      const out: VpcInfo[] = [];
      let token: string | undefined;
      do {
        const r = await this.client.send(new DescribeVpcsCommand({ Filters: toFilters(filters), NextToken: token }));
        for (const v of r.Vpcs ?? []) out.push({ vpcId: v.VpcId ?? '', cidr: v.CidrBlock ?? '', tags: tagsOf(v.Tags) });
        token = r.NextToken;
      } while (token);
      return out;
    });
  }

  async describeSubnets(filters: Record<string, string[]>): Promise<SubnetInfo[]> {
    return this.orEmpty(async () => {
      const out: SubnetInfo[] = [];
      let token: string | undefined;
      do {
        const r = await this.client.send(new DescribeSubnetsCommand({ Filters: toFilters(filters), NextToken: token }));
        for (const s of r.Subnets ?? [])
          out.push({
            subnetId: s.SubnetId ?? '',
            vpcId: s.VpcId ?? '',
            cidr: s.CidrBlock ?? '',
            availabilityZone: s.AvailabilityZone ?? '',
            tags: tagsOf(s.Tags),
          });
        token = r.NextToken;
      } while (token);
      return out;
    });
  }

  async describeAvailabilityZones(): Promise<string[]> {
    const r = await this.client.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }] }));
    return (r.AvailabilityZones ?? []).map((z) => z.ZoneName ?? '').filter(Boolean);
  }

  async describeNatGateways(filters: Record<string, string[]>): Promise<NatGatewayInfo[]> {
    return this.orEmpty(async () => {
      const out: NatGatewayInfo[] = [];
      let token: string | undefined;
      do {
        // DescribeNatGateways names its filter parameter `Filter` (singular).
        const r = await this.client.send(new DescribeNatGatewaysCommand({ Filter: toFilters(filters), NextToken: token }));
        for (const n of r.NatGateways ?? []) out.push({ natGatewayId: n.NatGatewayId ?? '', subnetId: n.SubnetId, state: n.State ?? 'unknown' });
        token = r.NextToken;
      } while (token);
      return out;
    });
  }

  async createImage(instanceId: string, name: string, tags: Record<string, string>, noReboot: boolean): Promise<string> {
    try {
      const r = await this.client.send(
        new CreateImageCommand({ InstanceId: instanceId, Name: name, NoReboot: noReboot, TagSpecifications: tagSpecs(['image', 'snapshot'], tags) }),
      );
      if (!r.ImageId) throw new Error(`CreateImage for ${instanceId} returned no image id`);
      return r.ImageId;
    } catch (err) {
      // CreateImage has no ClientToken; the image name (chosen by dpf, unique per account) stands in for one.
      if (!createdByEarlierAttempt(err, 'InvalidAMIName.Duplicate')) throw err;
      const r = await this.client.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }));
      const id = r.Images?.[0]?.ImageId;
      if (!id) throw err;
      return id;
    }
  }

  async describeImages(imageIds: string[]): Promise<ImageInfo[]> {
    return this.byIds(imageIds, async (ids) => {
      const out: ImageInfo[] = [];
      let token: string | undefined;
      do {
        const r = await this.client.send(new DescribeImagesCommand({ ImageIds: ids, NextToken: token }));
        for (const i of r.Images ?? [])
          out.push({ imageId: i.ImageId ?? '', name: i.Name, state: i.State ?? 'unknown', creationDate: i.CreationDate, tags: tagsOf(i.Tags) });
        token = r.NextToken;
      } while (token);
      return out;
    });
  }

  /** Public images (a vendor's, not this account's) looked up in this process: the preflight and the identity stack ask the same question seconds apart. */
  private readonly publicImages = new Map<string, Promise<ImageInfo[]>>();

  async findImages(owners: string[], namePattern: string): Promise<ImageInfo[]> {
    if (owners.includes('self')) return this.describeImagesNamed(owners, namePattern);
    const key = JSON.stringify([owners, namePattern]);
    let p = this.publicImages.get(key);
    if (!p) {
      p = this.describeImagesNamed(owners, namePattern);
      this.publicImages.set(key, p);
      p.catch(() => this.publicImages.delete(key));
    }
    return p;
  }

  private async describeImagesNamed(owners: string[], namePattern: string): Promise<ImageInfo[]> {
    const r = await this.client.send(
      new DescribeImagesCommand({
        Owners: owners,
        Filters: [
          { Name: 'name', Values: [namePattern] },
          { Name: 'state', Values: ['available'] },
        ],
      }),
    );
    return (r.Images ?? [])
      .map((i) => ({ imageId: i.ImageId ?? '', name: i.Name, state: i.State ?? 'unknown', creationDate: i.CreationDate, tags: tagsOf(i.Tags) }))
      .sort((a, b) => (b.creationDate ?? '').localeCompare(a.creationDate ?? ''));
  }

  async createSnapshot(volumeId: string, description: string, tags: Record<string, string>): Promise<string> {
    const r = await this.client.send(
      new CreateSnapshotCommand({ VolumeId: volumeId, Description: description, TagSpecifications: tagSpecs(['snapshot'], tags) }),
    );
    if (!r.SnapshotId) throw new Error(`CreateSnapshot for ${volumeId} returned no snapshot id`);
    return r.SnapshotId;
  }

  async describeSnapshots(snapshotIds: string[]): Promise<SnapshotInfo[]> {
    return this.byIds(snapshotIds, async (ids) => {
      const out: SnapshotInfo[] = [];
      let token: string | undefined;
      do {
        const r = await this.client.send(new DescribeSnapshotsCommand({ SnapshotIds: ids, NextToken: token }));
        for (const s of r.Snapshots ?? [])
          out.push({ snapshotId: s.SnapshotId ?? '', volumeId: s.VolumeId, state: s.State ?? 'unknown', startTime: s.StartTime, tags: tagsOf(s.Tags) });
        token = r.NextToken;
      } while (token);
      return out;
    });
  }

  async createSecurityGroup(vpcId: string, name: string, description: string, tags: Record<string, string>): Promise<string> {
    try {
      const r = await this.client.send(
        new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: name, Description: description, TagSpecifications: tagSpecs(['security-group'], tags) }),
      );
      if (!r.GroupId) throw new Error(`CreateSecurityGroup ${name} returned no group id`);
      return r.GroupId;
    } catch (err) {
      // No ClientToken either: a group name is unique within its VPC.
      if (!createdByEarlierAttempt(err, 'InvalidGroup.Duplicate')) throw err;
      const r = await this.client.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: [name] },
          ],
        }),
      );
      const id = r.SecurityGroups?.[0]?.GroupId;
      if (!id) throw err;
      return id;
    }
  }

  /** Removes every egress rule the group has (a new VPC group allows all egress by default). */
  async revokeAllEgress(groupId: string): Promise<void> {
    const r = await this.client.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    const perms = r.SecurityGroups?.[0]?.IpPermissionsEgress ?? [];
    if (!perms.length) return;
    try {
      await this.client.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: perms }));
    } catch (err) {
      if (!isError(err, 'InvalidPermission.NotFound')) throw err;
    }
  }

  /** Deleting a group that is already gone counts as done. */
  async deleteSecurityGroup(groupId: string): Promise<void> {
    try {
      await this.client.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
    } catch (err) {
      if (!isError(err, 'InvalidGroup.NotFound')) throw err;
    }
  }
}

export function createEc2Port(cfg: Record<string, unknown>): Ec2Port {
  return new SdkEc2(new EC2Client(cfg));
}
