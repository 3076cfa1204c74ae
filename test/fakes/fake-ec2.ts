/**
 * FakeEc2: the EC2 calls dpf's day-2 operations make, in memory, on an injected clock.
 *
 * - Instances are registered by the test (tags, state); describeInstances filters on
 *   tag:<key>, instance-state-name and instance-id.
 * - createImage: the AMI is `pending` for `imageMs` (default 60 s), then `available`; images of
 *   instances in `failImages` end `failed`. Calls are recorded (tags and NoReboot included).
 * - Security groups: createSecurityGroup in a VPC starts with one allow-all egress rule and no
 *   ingress (as AWS does); revokeAllEgress empties egress, and of a missing group throws
 *   InvalidGroup.NotFound (the adapter's DescribeSecurityGroups by GroupIds does, as AWS's
 *   API does for an unknown id); deleteSecurityGroup of a missing group is a no-op;
 *   describeSecurityGroups filters on group-id, group-name and vpc-id (a filter: an unknown id
 *   matches nothing, no error).
 * - VPCs and subnets are whatever the test adds; describeAvailabilityZones answers us-east-1a-c;
 *   findImages finds nothing; createSnapshot throws "not implemented".
 */
import { FakeAwsError } from './fake-cloudformation.js';
import type { Ec2Port, ImageInfo, InstanceInfo, SecurityGroupInfo, SubnetInfo, VpcInfo } from '../../src/aws/ops-ports.js';

export class FakeEc2 implements Ec2Port {
  readonly calls: Array<{ op: string; input: unknown }> = [];
  imageMs = 60_000;
  readonly failImages = new Set<string>();
  readonly instances = new Map<string, InstanceInfo>();
  readonly groups = new Map<string, SecurityGroupInfo>();
  readonly vpcs: VpcInfo[] = [];
  readonly subnets: SubnetInfo[] = [];
  readonly #images = new Map<string, { info: ImageInfo; readyAt: number; fail: boolean }>();
  #n = 0;
  constructor(private readonly clock: { now(): Date }) {}

  addInstance(instanceId: string, tags: Record<string, string>, state = 'running'): this {
    this.instances.set(instanceId, { instanceId, state, instanceType: 'm5.large', tags, securityGroupIds: [], volumeIds: [] });
    return this;
  }

  async describeInstances(filters: Record<string, string[]>) {
    return [...this.instances.values()].filter((i) =>
      Object.entries(filters).every(([k, v]) =>
        k.startsWith('tag:')
          ? v.includes(i.tags[k.slice(4)] ?? '\u0000')
          : k === 'instance-state-name'
            ? v.includes(i.state)
            : k === 'instance-id'
              ? v.includes(i.instanceId)
              : true,
      ),
    );
  }
  async describeVolumes() {
    return [];
  }
  async describeSecurityGroups(filters: Record<string, string[]>) {
    return [...this.groups.values()]
      .filter(
        (g) =>
          (!filters['group-id'] || filters['group-id'].includes(g.groupId)) &&
          (!filters['group-name'] || filters['group-name'].includes(g.groupName)) &&
          (!filters['vpc-id'] || filters['vpc-id'].includes(g.vpcId ?? '')),
      )
      .map((g) => structuredClone(g));
  }
  async describeVpcs(filters: Record<string, string[]>) {
    return this.vpcs.filter((v) => Object.entries(filters).every(([k, vals]) => !k.startsWith('tag:') || vals.includes(v.tags[k.slice(4)] ?? '\u0000')));
  }
  async describeSubnets(filters: Record<string, string[]>) {
    return this.subnets.filter((s) => !filters['vpc-id'] || filters['vpc-id'].includes(s.vpcId));
  }
  async describeNatGateways() {
    return [];
  }
  async createImage(instanceId: string, name: string, tags: Record<string, string>, noReboot: boolean) {
    this.calls.push({ op: 'createImage', input: { instanceId, name, tags, noReboot } });
    const imageId = `ami-${String(++this.#n).padStart(8, '0')}`;
    this.#images.set(imageId, {
      info: { imageId, name, state: 'pending', tags },
      readyAt: this.clock.now().getTime() + this.imageMs,
      fail: this.failImages.has(instanceId),
    });
    return imageId;
  }
  async describeImages(ids: string[]) {
    const t = this.clock.now().getTime();
    return ids
      .filter((id) => this.#images.has(id))
      .map((id) => {
        const x = this.#images.get(id)!;
        return { ...x.info, state: t < x.readyAt ? 'pending' : x.fail ? 'failed' : 'available' };
      });
  }
  async findImages() {
    return [];
  }
  async describeAvailabilityZones() {
    return ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  }
  async createSnapshot(): Promise<string> {
    throw new Error('FakeEc2.createSnapshot is not implemented');
  }
  async describeSnapshots() {
    return [];
  }
  async createSecurityGroup(vpcId: string, name: string, description: string, tags: Record<string, string>) {
    this.calls.push({ op: 'createSecurityGroup', input: { vpcId, name, description, tags } });
    const groupId = `sg-${String(++this.#n).padStart(8, '0')}`;
    this.groups.set(groupId, { groupId, groupName: name, vpcId, tags, ingress: [], egress: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], groupIds: [] }] });
    return groupId;
  }
  async revokeAllEgress(groupId: string) {
    this.calls.push({ op: 'revokeAllEgress', input: { groupId } });
    const g = this.groups.get(groupId);
    if (!g) throw new FakeAwsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    g.egress = [];
  }
  async deleteSecurityGroup(groupId: string) {
    this.calls.push({ op: 'deleteSecurityGroup', input: { groupId } });
    this.groups.delete(groupId);
  }
}
