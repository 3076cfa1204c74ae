/** AutoScalingPort over the AWS SDK v3. Only translation happens here. */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribePoliciesCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import type { AutoScalingGroupInfo, AutoScalingPort } from './ops-ports.js';
import { tagsOf } from './sdk-common.js';

export class SdkAutoScaling implements AutoScalingPort {
  constructor(private readonly client: AutoScalingClient) {}

  async describeGroup(name: string): Promise<AutoScalingGroupInfo | undefined> {
    const r = await this.client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const g = r.AutoScalingGroups?.find((x) => x.AutoScalingGroupName === name) ?? r.AutoScalingGroups?.[0];
    if (!g) return undefined;
    return {
      name: g.AutoScalingGroupName ?? name,
      min: g.MinSize ?? 0,
      max: g.MaxSize ?? 0,
      desired: g.DesiredCapacity ?? 0,
      instances: (g.Instances ?? []).map((i) => ({
        instanceId: i.InstanceId ?? '',
        lifecycleState: i.LifecycleState ?? 'unknown',
        healthStatus: i.HealthStatus ?? 'unknown',
        availabilityZone: i.AvailabilityZone,
      })),
      tags: tagsOf(g.Tags),
      subnetIds: (g.VPCZoneIdentifier ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    };
  }

  async describePolicies(groupName: string): Promise<Array<{ name: string; type: string; arn?: string }>> {
    const out: Array<{ name: string; type: string; arn?: string }> = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(new DescribePoliciesCommand({ AutoScalingGroupName: groupName, NextToken: token }));
      for (const p of r.ScalingPolicies ?? []) out.push({ name: p.PolicyName ?? '', type: p.PolicyType ?? 'SimpleScaling', arn: p.PolicyARN });
      token = r.NextToken;
    } while (token);
    return out;
  }

  async setDesiredCapacity(name: string, desired: number): Promise<void> {
    await this.client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: desired, HonorCooldown: false }));
  }
}

export function createAutoScalingPort(cfg: Record<string, unknown>): AutoScalingPort {
  return new SdkAutoScaling(new AutoScalingClient(cfg));
}
