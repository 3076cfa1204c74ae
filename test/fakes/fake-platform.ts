/**
 * FakePlatform: the read side of a deployed environment, in memory, behind the OpsPorts the
 * go-live checks and `dpf status` use — EC2 instances, volumes and security groups, the worker
 * Auto Scaling group, RDS, EFS, AWS Backup (plans, recovery points, on-demand jobs), CloudWatch
 * alarms and metrics, SNS subscriptions, bucket settings. State is plain public fields the test
 * sets; reads return copies, filtered the way the real API filters them (EC2 by tag:/vpc-id/
 * instance-id, alarms by names or prefix, recovery points by resource ARN).
 *
 * Reachability Analyzer is a FakeReachability (its spec is in fake-reachability.ts).
 * SSM is a FakeSsm (test/fakes/FAKE-SSM.md): addInstance registers the node there too, so tag
 * targeting, Run Command and DescribeInstanceInformation agree with EC2. `failOn('ssm.describeInstanceInformation', err)`
 * makes one operation throw every time (e.g. the emulator's HTTP 500); every call is recorded
 * in `calls` as "<port>.<method>". Operations the checks never use throw "not implemented".
 */
import type {
  AlarmInfo,
  AutoScalingGroupInfo,
  BackupPort,
  BucketSecurity,
  DbInstanceInfo,
  FileSystemInfo,
  InstanceInfo,
  OpsPorts,
  RecoveryPointInfo,
  SecurityGroupInfo,
  VolumeInfo,
} from '../../src/aws/ops-ports.js';
import { FakeSsm } from './fake-ssm.js';
import { FakeSecrets } from './fake-secrets.js';
import { FakeReachability } from './fake-reachability.js';

export interface FakeNodeInput extends Partial<InstanceInfo> {
  instanceId: string;
  role: string;
  env?: string;
  /** SSM agent ping status. Default 'Online'. */
  pingStatus?: string;
}

export class FakePlatform {
  readonly ssm: FakeSsm;
  readonly secrets = new FakeSecrets();
  readonly reachability = new FakeReachability();
  mountTargets: Array<{ mountTargetId: string; fileSystemId: string; subnetId: string; state: string; ipAddress?: string }> = [];
  readonly calls: string[] = [];
  instances: InstanceInfo[] = [];
  volumes: VolumeInfo[] = [];
  securityGroups: SecurityGroupInfo[] = [];
  vpcs: Array<{ vpcId: string; cidr: string; tags: Record<string, string> }> = [];
  subnets: Array<{ subnetId: string; vpcId: string; cidr: string; availabilityZone: string; tags: Record<string, string> }> = [];
  groups: AutoScalingGroupInfo[] = [];
  databases: DbInstanceInfo[] = [];
  fileSystems: FileSystemInfo[] = [];
  buckets: Record<string, BucketSecurity> = {};
  alarms: AlarmInfo[] = [];
  subscriptions: Record<string, Array<{ arn: string; protocol: string; endpoint: string; pendingConfirmation: boolean }>> = {};
  /** Metric series: namespace/metric/dimensions → datapoints (any order). */
  metrics: Array<{ namespace: string; metric: string; dimensions: Record<string, string>; points: Array<{ timestamp: Date; value: number }> }> = [];
  plans: Record<string, { planId: string; name: string; rules: Array<{ name: string; schedule?: string; deleteAfterDays?: number }> }> = {};
  recoveryPoints: Record<string, RecoveryPointInfo[]> = {};
  backupJobs: Array<{ jobId: string; vault: string; resourceArn: string; iamRoleArn: string }> = [];
  #failures = new Map<string, unknown>();

  constructor(opts: { clock: { now(): Date } }) {
    this.ssm = new FakeSsm({ clock: opts.clock });
  }

  addInstance(n: FakeNodeInput): this {
    const tags = { 'dpf:env': n.env ?? 'dev', 'dpf:role': n.role, Name: `dp-${n.env ?? 'dev'}-${n.role}`, ...(n.tags ?? {}) };
    const { role: _r, env: _e, pingStatus, ...rest } = n;
    this.instances.push({ state: 'running', instanceType: 'm5.large', securityGroupIds: [], volumeIds: [], httpTokens: 'required', ...rest, tags });
    this.ssm.registerInstance({ instanceId: n.instanceId, tags, state: n.state ?? 'running', pingStatus: pingStatus ?? 'Online' });
    return this;
  }

  /** Make `op` ("ec2.describeVolumes", "ssm.describeInstanceInformation", …) throw `err` from now on. */
  failOn(op: string, err: unknown): this {
    this.#failures.set(op, err);
    return this;
  }

  ports(): OpsPorts {
    const p = this;
    const tagMatch = (tags: Record<string, string>, filters: Record<string, string[]>, extra: Record<string, string | undefined>) =>
      Object.entries(filters).every(([k, vs]) =>
        k.startsWith('tag:') ? vs.includes(tags[k.slice(4)] ?? '\u0000') : k in extra ? vs.includes(extra[k] ?? '\u0000') : true,
      );
    const ec2 = {
      describeInstances: async (f: Record<string, string[]>) =>
        p.instances.filter((i) => tagMatch(i.tags, f, { 'instance-id': i.instanceId, 'instance-state-name': i.state })).map((i) => ({ ...i })),
      describeVolumes: async (ids: string[]) => p.volumes.filter((v) => ids.includes(v.volumeId)).map((v) => ({ ...v })),
      describeSecurityGroups: async (f: Record<string, string[]>) =>
        p.securityGroups.filter((g) => tagMatch(g.tags, f, { 'vpc-id': g.vpcId, 'group-id': g.groupId })),
      describeVpcs: async (f: Record<string, string[]>) => p.vpcs.filter((v) => tagMatch(v.tags, f, { 'vpc-id': v.vpcId })),
      describeSubnets: async (f: Record<string, string[]>) => p.subnets.filter((s) => tagMatch(s.tags, f, { 'vpc-id': s.vpcId, 'subnet-id': s.subnetId })),
    };
    const autoscaling = { describeGroup: async (name: string) => p.groups.find((g) => g.name === name) };
    const rds = {
      describeInstance: async (id: string) => p.databases.find((d) => d.identifier === id),
      describeInstances: async () => [...p.databases],
    };
    const efs = {
      describeFileSystems: async (id?: string) => p.fileSystems.filter((f) => !id || f.fileSystemId === id),
      describeMountTargets: async (id: string) => p.mountTargets.filter((m) => m.fileSystemId === id).map((m) => ({ ...m })),
    };
    const backup: Partial<BackupPort> = {
      describePlan: async (id: string) => p.plans[id],
      listRecoveryPoints: async (vault: string, resourceArn?: string) =>
        (p.recoveryPoints[vault] ?? []).filter((r) => !resourceArn || r.resourceArn === resourceArn),
      startBackupJob: async (vault: string, resourceArn: string, iamRoleArn: string) => {
        const jobId = `job-${p.backupJobs.length + 1}`;
        p.backupJobs.push({ jobId, vault, resourceArn, iamRoleArn });
        return jobId;
      },
    };
    const cloudwatch = {
      describeAlarms: async (names?: string[], prefix?: string) =>
        p.alarms.filter((a) => (!names?.length || names.includes(a.name)) && (!prefix || a.name.startsWith(prefix))),
      listMetrics: async (ns: string, metric?: string) =>
        p.metrics.filter((m) => m.namespace === ns && (!metric || m.metric === metric)).map((m) => ({ metric: m.metric, dimensions: { ...m.dimensions } })),
      getMetric: async (ns: string, metric: string, dims: Record<string, string>) => {
        const same = (a: Record<string, string>, b: Record<string, string>) =>
          Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
        const s = p.metrics.find((m) => m.namespace === ns && m.metric === metric && same(m.dimensions, dims));
        return [...(s?.points ?? [])].sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime());
      },
    };
    const sns = { listSubscriptions: async (topic: string) => [...(p.subscriptions[topic] ?? [])] };
    const buckets = { inspect: async (b: string) => p.buckets[b] ?? { exists: false } };
    const wrap = <T extends object>(name: string, impl: Partial<T>): T =>
      new Proxy(impl as T, {
        get(target, prop) {
          if (typeof prop === 'symbol' || prop === 'then') return Reflect.get(target, prop);
          const op = `${name}.${String(prop)}`;
          const f = Reflect.get(target, prop) as ((...a: unknown[]) => Promise<unknown>) | undefined;
          return async (...args: unknown[]) => {
            p.calls.push(op);
            if (p.#failures.has(op)) throw p.#failures.get(op);
            if (!f) throw new Error(`FakePlatform: ${op} is not implemented by the fake`);
            return f.apply(target, args);
          };
        },
      });
    return {
      ec2: wrap('ec2', ec2),
      autoscaling: wrap('autoscaling', autoscaling),
      rds: wrap('rds', rds),
      efs: wrap('efs', efs),
      backup: wrap('backup', backup),
      cloudwatch: wrap('cloudwatch', cloudwatch),
      sns: wrap('sns', sns),
      buckets: wrap('buckets', buckets),
      ssm: wrap('ssm', p.ssm as unknown as Record<string, unknown>) as unknown as OpsPorts['ssm'],
      secrets: wrap('secrets', p.secrets as unknown as Record<string, unknown>) as unknown as OpsPorts['secrets'],
      reachability: wrap('reachability', p.reachability as unknown as Record<string, unknown>) as unknown as OpsPorts['reachability'],
    } as OpsPorts;
  }
}
