/**
 * Builds the OpsPorts adapters; imported lazily (factory.ts). Each service loads on its first
 * call, not before: asking EFS one question loads the EFS client, not the other ten.
 */
import type { OpsPorts } from './ops-ports.js';
import type { Endpoint } from './endpoint.js';

type Wrap = <T extends object>(p: T, what: string) => T;

/**
 * A port whose adapter (its SDK module and client) is made on the first call of any method.
 * Every method of an ops port is async, so a call can wait for the adapter.
 */
export function lazyPort<T extends object>(load: () => Promise<T>): T {
  let made: Promise<T> | undefined;
  const get = () =>
    (made ??= load().catch((err: unknown) => {
      made = undefined; // a failed load (a module not found) is tried again
      throw err;
    }));
  return new Proxy({} as T, {
    get: (_t, prop) => {
      if (prop === 'then') return undefined; // not a thenable: `await port` is the port
      return async (...args: unknown[]) => {
        const port = (await get()) as Record<PropertyKey, unknown>;
        const fn = port[prop];
        if (typeof fn !== 'function') throw new TypeError(`The port has no method ${String(prop)}.`);
        return (fn as (...a: unknown[]) => unknown).apply(port, args);
      };
    },
  });
}

export async function createOpsPorts(cfg: Record<string, unknown>, wrap: Wrap, endpoint: Endpoint): Promise<OpsPorts> {
  return {
    ec2: lazyPort(async () => wrap((await import('./sdk-ec2.js')).createEc2Port(cfg), 'EC2')),
    autoscaling: lazyPort(async () => wrap((await import('./sdk-autoscaling.js')).createAutoScalingPort(cfg), 'AutoScaling')),
    rds: lazyPort(async () => wrap((await import('./sdk-rds.js')).createRdsPort(cfg), 'RDS')),
    efs: lazyPort(async () => wrap((await import('./sdk-efs.js')).createEfsPort(cfg), 'EFS')),
    backup: lazyPort(async () => wrap((await import('./sdk-backup.js')).createBackupPort(cfg), 'Backup')),
    cloudwatch: lazyPort(async () => wrap((await import('./sdk-cloudwatch.js')).createCloudWatchPort(cfg, endpoint), 'CloudWatch')),
    sns: lazyPort(async () => wrap((await import('./sdk-cloudwatch.js')).createSnsPort(cfg), 'SNS')),
    buckets: lazyPort(async () => wrap((await import('./sdk-buckets.js')).createBucketInspectPort(cfg, endpoint), 'S3')),
    ssm: lazyPort(async () => wrap((await import('./sdk-ssm.js')).createSsmPort(cfg, endpoint), 'SSM')),
    secrets: lazyPort(async () => wrap((await import('./sdk-secrets.js')).createSecretsPort(cfg), 'SecretsManager')),
    reachability: lazyPort(async () => wrap((await import('./sdk-reachability.js')).createReachabilityPort(cfg, endpoint), 'EC2 Reachability Analyzer')),
  };
}
