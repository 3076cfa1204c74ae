/**
 * A whole environment on fakes for the day-2 command tests: a config file and a deployed
 * ledger in a temp dir, and a CommandContext whose AWS ports are FakeRds / FakeBackup / FakeEfs
 * / FakeEc2 / FakeSsm / FakeCloudFormation on one auto-advancing FakeClock.
 * The environment lives in us-west-2; `w.dr` holds a second set of fakes for us-east-1 (the DR
 * region of full drills), whose FakeRds is linked to the primary one (cross-region snapshot copies).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { FakeSecrets } from '../fakes/fake-secrets.js';
import { FakeSsm, MemoryObjectStore } from '../fakes/fake-ssm.js';
import { FakeRds } from '../fakes/fake-rds.js';
import { FakeBackup, FakeEfs } from '../fakes/fake-backup.js';
import { FakeEc2 } from '../fakes/fake-ec2.js';
import { FakeCloudFormation, type FakeCloudFormationOptions } from '../fakes/fake-cloudformation.js';
import { Ledger, emptyLedger, serializeLedger, type LedgerData } from '../../src/state/ledger.js';
import type { AwsPorts } from '../../src/aws/ports.js';
import type { CommandContext } from '../../src/context.js';
import type { AlarmInfo, OpsPorts } from '../../src/aws/ops-ports.js';
import type { LeaseStore } from '../../src/aws/ports.js';
import { testSettings, THIS_PROCESS } from '../fakes/fake-settings.js';
import { localLedgerPath } from '../../src/state/store.js';
import type { DpfError } from '../../src/errors.js';
import type { Settings } from '../../src/settings.js';
import type { StepRecord } from '../../src/state/ledger.js';
import type { StepContext, StepDef, StepResult } from '../../src/steps/types.js';
import { makeContext } from '../../src/steps/engine/step.js';
import { openSession } from '../../src/session.js';
import { stampOf, type Operation } from '../../src/ops/operation.js';

export const ACCOUNT = '123456789012';
export const WORKERS = ['i-worker1', 'i-worker2'];
export const HOSTS = { bastion: 'i-bastion', master: 'i-master', dev: 'i-dev' };

/** Instance ids of an environment: the first environment of a world gets the plain ids. */
export function idsOf(env: string, first: boolean) {
  const sfx = first ? '' : `-${env}`;
  return { hosts: Object.fromEntries(Object.entries(HOSTS).map(([r, id]) => [r, `${id}${sfx}`])) as typeof HOSTS, workers: WORKERS.map((id) => `${id}${sfx}`) };
}

export function deployedLedger(env: string, now: Date, first = true): LedgerData {
  const ids = idsOf(env, first);
  const d = emptyLedger('dataplatform', env, now);
  const step = (id: string, outputs: Record<string, string>) =>
    (d.steps[id] = {
      id,
      phase: id.split('.')[0]!,
      status: 'done',
      outputs,
      attempts: 1,
      evidence: { stackName: `dataplatform-${env}-${id.split('.')[0]}` },
      inputHash: 'x',
    });
  step('bootstrap.state', { StateBucketName: `dataplatform-${env}-dpf-state-${ACCOUNT}`, LockTableName: `dataplatform-${env}-dpf-lock` });
  step('network.stack', {
    VpcId: 'vpc-1',
    DatabaseSecurityGroupId: 'sg-db',
    EfsSecurityGroupId: 'sg-efs',
    ComputeSecurityGroupId: 'sg-compute',
    PrivateSubnet1Id: 'subnet-p1',
  });
  step('compute.stack', {
    BastionInstanceId: ids.hosts.bastion,
    MasterInstanceId: ids.hosts.master,
    DevInstanceId: ids.hosts.dev,
    WorkerAutoScalingGroupName: `dataplatform-${env}-workers`,
  });
  step('storage.stack', {
    DbInstanceIdentifier: `dataplatform-${env}-metadata`,
    DbSubnetGroupName: 'dbsubnets',
    DbParameterGroupName: 'dbparams',
    EfsFileSystemId: 'fs-main',
    BackupVaultName: `dataplatform-${env}-vault`,
    BackupRoleArn: 'arn:aws:iam::123456789012:role/backup',
    DataKmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/k1',
    DataLakeBucketName: `dataplatform-${env}-datalake-${ACCOUNT}`,
  });
  return d;
}

class MemoryLease implements LeaseStore {
  readonly where = 'memory';
  async tryAcquire() {
    return { ok: true as const };
  }
  async renew() {
    return true;
  }
  async release() {}
  async read() {
    return undefined;
  }
  async forceRelease() {}
}

/** The fakes of one extra region. */
export interface RegionFakes {
  region: string;
  rds: FakeRds;
  ec2: FakeEc2;
  efs: FakeEfs;
  backup: FakeBackup;
  cfn: FakeCloudFormation;
  objects: MemoryObjectStore;
  /** Buckets that exist (inspect / emptyAndDelete). */
  buckets: Set<string>;
  ports: AwsPorts;
}

export const DR_REGION = 'us-east-1';

export interface World {
  dir: string;
  config: string;
  clock: FakeClock;
  io: FakeIoHost;
  abort: AbortController;
  rds: FakeRds;
  backup: FakeBackup;
  efs: FakeEfs;
  ec2: FakeEc2;
  ssm: FakeSsm;
  secrets: FakeSecrets;
  cfn: FakeCloudFormation;
  objects: MemoryObjectStore;
  alarms: AlarmInfo[];
  /** Buckets that exist in us-west-2 (inspect says exists; emptyAndDelete removes them). */
  buckets: Set<string>;
  /** Buckets emptyAndDelete was called for, in order. */
  deletedBuckets: string[];
  /** Auto Scaling groups that no longer exist (describeGroup → undefined). */
  deletedGroups: Set<string>;
  /** The DR region's fakes (us-east-1). */
  dr: RegionFakes;
  out: string[];
  ledgerEnvs: string[];
  ctx(o?: { env?: string; json?: boolean; yes?: boolean; isTTY?: boolean }): CommandContext;
  ledger(env?: string): Promise<Ledger>;
  cleanup(): void;
}

export function world(o: { start?: string; envs?: string[]; drCfn?: Omit<FakeCloudFormationOptions, 'clock' | 'region'> } = {}): World {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-ops-'));
  const envs = o.envs ?? ['dev'];
  const config = path.join(dir, 'dpf.config.yaml');
  writeFileSync(config, `version: 1\nproject: dataplatform\nenvironments:\n${envs.map((e) => `  ${e}: {}`).join('\n')}\n`);
  const clock = new FakeClock(o.start ?? '2025-01-04T03:00:00.000Z').autoAdvance(); // a Saturday, inside the default window
  for (const e of envs) {
    const file = localLedgerPath(dir, e);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, serializeLedger(deployedLedger(e, clock.now(), e === envs[0])));
  }
  const rds = new FakeRds(clock);
  const efs = new FakeEfs().add({ fileSystemId: 'fs-main', kmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/k1' }, 3);
  const backup = new FakeBackup(clock, efs);
  const ec2 = new FakeEc2(clock);
  const objects = new MemoryObjectStore();
  const ssm = new FakeSsm({ clock, outputStore: objects });
  const cfn = new FakeCloudFormation({ clock });
  const alarms: AlarmInfo[] = [];
  const buckets = new Set<string>();
  const deletedBuckets: string[] = [];
  const deletedGroups = new Set<string>();
  for (const e of envs) {
    rds.addInstance({ identifier: `dataplatform-${e}-metadata`, subnetGroup: 'dbsubnets', securityGroupIds: ['sg-db'], parameterGroups: ['dbparams'] });
    const ids = idsOf(e, e === envs[0]);
    for (const [role, id] of Object.entries(ids.hosts)) {
      ssm.registerInstance({ instanceId: id, tags: { 'dpf:env': e, 'dpf:role': role } });
      ec2.addInstance(id, { 'dpf:env': e, 'dpf:role': role });
    }
    for (const id of ids.workers) {
      ssm.registerInstance({ instanceId: id, tags: { 'dpf:env': e, 'dpf:role': 'worker' } });
      ec2.addInstance(id, { 'dpf:env': e, 'dpf:role': 'worker' });
    }
  }
  const secrets = new FakeSecrets();
  const ops: OpsPorts = {
    ec2,
    rds,
    efs,
    backup,
    ssm,
    secrets,
    autoscaling: {
      describeGroup: async (name: string) =>
        deletedGroups.has(name)
          ? undefined
          : {
              name,
              min: 2,
              max: 6,
              desired: 2,
              instances: idsOf(name.split('-')[1]!, name.split('-')[1] === envs[0]).workers.map((instanceId) => ({
                instanceId,
                lifecycleState: 'InService',
                healthStatus: 'Healthy',
              })),
              tags: {},
              subnetIds: [],
            },
    },
    cloudwatch: { describeAlarms: async () => alarms, getMetric: async () => [], listMetrics: async () => [] },
    sns: { listSubscriptions: async () => [] },
    buckets: {
      inspect: async (b: string) => ({ exists: buckets.has(b) }),
      emptyAndDelete: async (b: string) => {
        deletedBuckets.push(b);
        buckets.delete(b);
      },
    },
  };
  const ports: AwsPorts = {
    region: 'us-west-2',
    cfn: async () => cfn,
    identity: async () => ({ whoami: async () => ({ account: ACCOUNT, arn: 'arn:aws:iam::123456789012:user/tester', userId: 'AID' }) }),
    objects: async () => objects,
    leaseStore: async () => new MemoryLease(),
    ops: async () => ops,
  };
  const dr = regionFakes(DR_REGION, clock, rds, ports, o.drCfn);
  const io = new FakeIoHost(true);
  const abort = new AbortController();
  const out: string[] = [];
  const w: World = {
    dir,
    config,
    clock,
    io,
    abort,
    rds,
    backup,
    efs,
    ec2,
    ssm,
    secrets,
    cfn,
    objects,
    alarms,
    buckets,
    deletedBuckets,
    deletedGroups,
    dr,
    out,
    ledgerEnvs: envs,
    ctx: (c = {}) => ({
      globals: { env: c.env ?? envs[0], config, json: Boolean(c.json), yes: c.yes ?? true, verbose: false, color: false },
      settings: testSettings(),
      io,
      clock,
      signal: w.abort.signal,
      aws: (region: string) => (region === DR_REGION ? dr.ports : ports),
      stdout: (t) => out.push(t),
      isTTY: c.isTTY ?? false,
    }),
    ledger: (env = envs[0]!) => Ledger.open(localLedgerPath(dir, env), 'dataplatform', env, clock.now(), THIS_PROCESS),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return w;
}

/** A second region: its own RDS (linked to the primary's), EC2, EFS, Backup, CloudFormation and S3. */
function regionFakes(
  region: string,
  clock: FakeClock,
  primaryRds: FakeRds,
  primary: AwsPorts,
  cfnOptions: Omit<FakeCloudFormationOptions, 'clock' | 'region'> = {},
): RegionFakes {
  const rds = new FakeRds(clock, region).link(primaryRds);
  const ec2 = new FakeEc2(clock);
  const efs = new FakeEfs();
  const backup = new FakeBackup(clock, efs);
  const cfn = new FakeCloudFormation({ ...cfnOptions, clock, region });
  const objects = new MemoryObjectStore();
  const buckets = new Set<string>();
  const ops: OpsPorts = {
    ec2,
    rds,
    efs,
    backup,
    ssm: new FakeSsm({ clock, region }),
    secrets: new FakeSecrets(),
    autoscaling: { describeGroup: async () => undefined },
    cloudwatch: { describeAlarms: async () => [], getMetric: async () => [], listMetrics: async () => [] },
    sns: { listSubscriptions: async () => [] },
    buckets: { inspect: async (b: string) => ({ exists: buckets.has(b) }), emptyAndDelete: async (b: string) => void buckets.delete(b) },
  };
  const ports: AwsPorts = { ...primary, region, cfn: async () => cfn, objects: async () => objects, ops: async () => ops };
  return { region, rds, ec2, efs, backup, cfn, objects, buckets, ports };
}

/** Healthy hosts: systemctl output for every unit, and an OK alarm per host. */
export function healthy(w: World, env = 'dev'): void {
  w.ssm.script('*', { stdout: ['amazon-ssm-agent', 'sshd', 'chronyd'].map((u) => `dpf-svc ${u}=active`).join('\n') }, { document: 'AWS-RunShellScript' });
  w.ssm.script(
    '*',
    { stdout: 'ok: 3 package(s) updated; running kernel 6.1, next boot 6.1; reboot: no' },
    { document: 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks' },
  );
  const ids = idsOf(env, w.ledgerEnvs[0] === env);
  for (const id of [...Object.values(ids.hosts), ...ids.workers])
    w.alarms.push({ name: `dataplatform-${env}-${id}-cpu`, state: 'OK', dimensions: { InstanceId: id }, actions: [] });
  w.alarms.push({ name: `dataplatform-${env}-workers-cpu`, state: 'OK', dimensions: { AutoScalingGroupName: `dataplatform-${env}-workers` }, actions: [] });
}

/** The error a command fails with (the test fails when it does not). */
export async function fails(p: Promise<unknown>): Promise<DpfError> {
  try {
    await p;
  } catch (err) {
    return err as DpfError;
  }
  throw new Error('expected a failure');
}

/** A step record left by an earlier run of the operation (what `mine` is read from). */
export function priorRecord(id: string, evidence: Record<string, unknown>): StepRecord {
  return { id, phase: 'operations', status: 'running', outputs: {}, attempts: 1, evidence, inputHash: 'x' };
}

/**
 * One day-2 step at the unit layer: the world's environment opened as a command would (config,
 * ledger, ports), the engine's own step context, and the step's prepare + run — no run record,
 * no lock. Evidence goes to the ledger as the engine writes it.
 */
export async function stepHarness(w: World, o: { settings?: Settings; env?: string } = {}) {
  const cmd = w.ctx({ env: o.env });
  const settings = o.settings ?? cmd.settings;
  const session = await openSession({ ...cmd, settings }, { command: 'test', lock: false });
  const now = w.clock.now();
  const op: Operation = { id: 'op-1', kind: 'patch', key: '', startedAt: now, stamp: stampOf(now), params: {}, resumed: false, runId: 'r-1' };
  const context = (step: Pick<StepDef, 'id' | 'phase'>, previous?: StepRecord): StepContext =>
    makeContext(
      step as StepDef,
      { envCtx: session.envCtx, ledger: session.ledger, aws: session.aws, io: w.io, clock: w.clock, signal: w.abort.signal, settings },
      previous,
    );
  return {
    session,
    ledger: session.ledger,
    op,
    /** A context for helpers that take one (not a step's run). */
    context: (id = 'operations.test') => context({ id, phase: 'operations' }),
    async run(step: StepDef, previous?: StepRecord): Promise<StepResult> {
      const ctx = context(step, previous);
      return step.run(ctx, await step.prepare(ctx));
    },
    /** What the step recorded as evidence so far (a failed run's included). */
    evidence: (id: string) => session.ledger.get(id)?.evidence ?? {},
    /** An earlier step of the operation, done with these outputs. */
    done: (id: string, outputs: Record<string, string>) => session.ledger.updateStep(id, 'operations', { status: 'done', outputs }, w.clock.now()),
  };
}
