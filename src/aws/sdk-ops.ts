/** Builds every OpsPorts adapter; imported lazily (factory.ts), so the SDK loads only when needed. */
import type { OpsPorts } from './ops-ports.js';
import type { Endpoint } from './endpoint.js';

type Wrap = <T extends object>(p: T, what: string) => T;

export async function createOpsPorts(cfg: Record<string, unknown>, wrap: Wrap, endpoint: Endpoint): Promise<OpsPorts> {
  const [ec2, asg, rds, efs, backup, cw, ssm] = await Promise.all([
    import('./sdk-ec2.js'), import('./sdk-autoscaling.js'), import('./sdk-rds.js'), import('./sdk-efs.js'),
    import('./sdk-backup.js'), import('./sdk-cloudwatch.js'), import('./sdk-ssm.js'),
  ]);
  return {
    ec2: wrap(ec2.createEc2Port(cfg), 'EC2'),
    autoscaling: wrap(asg.createAutoScalingPort(cfg), 'AutoScaling'),
    rds: wrap(rds.createRdsPort(cfg), 'RDS'),
    efs: wrap(efs.createEfsPort(cfg), 'EFS'),
    backup: wrap(backup.createBackupPort(cfg), 'Backup'),
    cloudwatch: wrap(cw.createCloudWatchPort(cfg, endpoint), 'CloudWatch'),
    sns: wrap(cw.createSnsPort(cfg), 'SNS'),
    buckets: wrap((await import('./sdk-buckets.js')).createBucketInspectPort(cfg, endpoint), 'S3'),
    ssm: wrap(ssm.createSsmPort(cfg, endpoint), 'SSM'),
    secrets: wrap((await import('./sdk-secrets.js')).createSecretsPort(cfg), 'SecretsManager'),
    reachability: wrap((await import('./sdk-reachability.js')).createReachabilityPort(cfg, endpoint), 'EC2 Reachability Analyzer'),
  };
}
