import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { createAutoScalingPort } from '../../src/aws/sdk-autoscaling.js';
import { cfg } from './helpers.js';

const asg = mockClient(AutoScalingClient);
beforeEach(() => asg.reset());

describe('Auto Scaling adapter', () => {
  it('describeGroup maps the group, its instances, tags and subnets', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'dpf-dev-workers',
          MinSize: 1,
          MaxSize: 4,
          DesiredCapacity: 2,
          VPCZoneIdentifier: 'subnet-a, subnet-b',
          Tags: [{ Key: 'dpf:env', Value: 'dev' }],
          CreatedTime: new Date(),
          HealthCheckType: 'EC2',
          DefaultCooldown: 300,
          AvailabilityZones: [],
          Instances: [{ InstanceId: 'i-1', LifecycleState: 'InService', HealthStatus: 'Healthy', AvailabilityZone: 'eu-west-1a', ProtectedFromScaleIn: false }],
        },
      ],
    });
    const g = await createAutoScalingPort(cfg).describeGroup('dpf-dev-workers');
    expect(asg.commandCalls(DescribeAutoScalingGroupsCommand)[0]!.args[0].input).toEqual({ AutoScalingGroupNames: ['dpf-dev-workers'] });
    expect(g).toEqual({
      name: 'dpf-dev-workers',
      min: 1,
      max: 4,
      desired: 2,
      tags: { 'dpf:env': 'dev' },
      subnetIds: ['subnet-a', 'subnet-b'],
      instances: [{ instanceId: 'i-1', lifecycleState: 'InService', healthStatus: 'Healthy', availabilityZone: 'eu-west-1a' }],
    });
  });

  it('describeGroup of a missing group is undefined', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    expect(await createAutoScalingPort(cfg).describeGroup('nope')).toBeUndefined();
  });
});
