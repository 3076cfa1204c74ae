/** AutoScalingPort over the AWS SDK v3. Only translation happens here. */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
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
      subnetIds: (g.VPCZoneIdentifier ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  }
}

export function createAutoScalingPort(cfg: Record<string, unknown>): AutoScalingPort {
  return new SdkAutoScaling(new AutoScalingClient(cfg));
}
