/**
 * A healthy deployed environment for the go-live checks: ledger outputs of every deployment
 * step, stacks in a FakeCloudFormation, the platform in a FakePlatform (with FakeSsm hosts
 * printing passing probe output), on an auto-advancing FakeClock.
 */
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeCloudFormation } from '../fakes/fake-cloudformation.js';
import { FakeIoHost, type ConfirmAnswer } from '../fakes/fake-io-host.js';
import { FakePlatform } from '../fakes/fake-platform.js';
import { MemoryObjectStore } from '../fakes/fake-ssm.js';
import { tempLedger } from '../steps/engine-helpers.js';
import { environmentSchema, type EnvironmentInput } from '../../src/config/schema.js';
import { makeContext, runSteps } from '../../src/steps/engine.js';
import { checkContext, evaluate } from '../../src/steps/kinds/check.js';
import type { AwsPorts } from '../../src/aws/ports.js';
import type { EnvContext, StepDef } from '../../src/steps/types.js';
import type { CheckSpec } from '../../src/checks/types.js';
import { accessProbes, DIRECTORY_USER } from '../../src/checks/hosts.js';
import { BEGIN, END, probeName } from '../../src/checks/parsers.js';
import { testSettings } from '../fakes/fake-settings.js';
import type { Settings } from '../../src/settings.js';

export const ENV = 'dev';
export const FS_ID = 'fs-0123abcd';
export const DB_ENDPOINT = 'dataplatform-dev-metadata.abc.us-west-2.rds.amazonaws.com';
export const LAKE = 'dataplatform-dev-datalake-111122223333';
export const STATE = 'dataplatform-dev-dpf-state-111122223333';
export const LOGS = `${LAKE}-logs`;
export const TOPIC = 'arn:aws:sns:us-west-2:111122223333:dataplatform-dev-alerts';
export const ALARMS = ['dataplatform-dev-master-cpu-high', 'dataplatform-dev-workers-memory-high'];
export const NODES = [
  { instanceId: 'i-0bastion', role: 'bastion' },
  { instanceId: 'i-0master', role: 'master' },
  { instanceId: 'i-0dev', role: 'dev' },
  { instanceId: 'i-0worker1', role: 'worker' },
  { instanceId: 'i-0worker2', role: 'worker' },
  { instanceId: 'i-0ipa1', role: 'identity' },
];

const STACK_TEMPLATE = JSON.stringify({ Resources: { Thing: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'x' } } } });

export const section = (name: string, lines: string[], rc: number) => [`${BEGIN} ${name}`, ...lines, `${END} ${name} rc=${rc}`].join('\n');

/** What a healthy node prints for every host probe that concerns its role. */
export function healthyOutput(instanceId: string, role: string): string {
  const out: string[] = [];
  if (['master', 'dev', 'worker'].includes(role)) {
    out.push(section('mount', ['nfs4   127.0.0.1:/'], 0));
    out.push(section('efs-state', [`${FS_ID}.shared.20049`, 'stunnel-config.fs-0123abcd.shared.20049'], 0));
    out.push(section('fstab', [`${FS_ID}:/ /shared efs _netdev,noresvport,tls,iam,accesspoint=fsap-0123abcd 0 0`], 0));
  }
  if (role === 'worker') out.push(section('pg', [`${DB_ENDPOINT}:5432 - accepting connections`], 0));
  out.push(section('id', [`uid=1234400000(${DIRECTORY_USER}) gid=1234400000(admins) groups=1234400000(admins)`], 0));
  out.push(section('getent', [`${DIRECTORY_USER}:*:1234400000:1234400000:Administrator:/home/admin:/bin/bash`], 0));
  if (role === 'identity')
    out.push(
      section(
        'ipactl',
        ['Directory Service: RUNNING', 'krb5kdc Service: RUNNING', 'httpd Service: RUNNING', 'ipa: INFO: The ipactl command was successful'],
        0,
      ),
    );
  for (const p of accessProbes(role, instanceId, LAKE, STATE, ENV))
    out.push(
      p.expect === 'allow'
        ? section(probeName(p), [p.op === 'put' ? '"abc123"' : '{"ContentLength": 17}'], 0)
        : section(
            probeName(p),
            [`An error occurred (AccessDenied) when calling the ${p.op === 'put' ? 'PutObject' : 'GetObject'} operation: Access Denied`],
            254,
          ),
    );
  return out.join('\n');
}

export async function checkHarness(o: { env?: EnvironmentInput; answer?: ConfirmAnswer; accountId?: string; settings?: Settings } = {}) {
  const settings = o.settings ?? testSettings();
  const clock = new FakeClock('2025-07-20T12:00:00.000Z').autoAdvance();
  const now = () => clock.now();
  const ago = (min: number) => new Date(clock.now().getTime() - min * 60_000);
  const platform = new FakePlatform({ clock });
  const cfn = new FakeCloudFormation({ clock });
  const objects = new MemoryObjectStore();
  const io = new FakeIoHost(o.answer ?? true);
  const abort = new AbortController();
  const { ledger, cleanup } = await tempLedger(now());
  const env = environmentSchema.parse(o.env ?? {});
  const envCtx: EnvContext = {
    project: 'dataplatform',
    name: ENV,
    env,
    region: 'us-west-2',
    accountId: o.accountId ?? '111122223333',
    operator: 'alice',
    runId: 'run-golive',
  };
  const aws: AwsPorts = {
    region: 'us-west-2',
    cfn: async () => cfn,
    identity: async () => ({ whoami: async () => ({ account: envCtx.accountId, arn: 'arn:aws:iam::111122223333:user/alice', userId: 'alice' }) }),
    objects: async () => objects,
    leaseStore: async () => {
      throw new Error('not used');
    },
    ops: async () => platform.ports(),
  };

  const outputs: Record<string, Record<string, string>> = {
    'bootstrap.state': { StateBucketName: STATE, LockTableName: 'dataplatform-dev-dpf-lock' },
    'network.stack': {
      VpcId: 'vpc-0aaa',
      PublicSubnet1Id: 'subnet-pub1',
      PrivateSubnet1Id: 'subnet-priv1',
      DatabaseSubnet1Id: 'subnet-db1',
      NatGateway1Id: 'nat-0aaa',
      DatabaseSecurityGroupId: 'sg-database',
    },
    'compute.stack': {
      BastionInstanceId: 'i-0bastion',
      MasterInstanceId: 'i-0master',
      DevInstanceId: 'i-0dev',
      WorkerAutoScalingGroupName: 'dataplatform-dev-workers',
    },
    'storage.stack': {
      DataLakeBucketName: LAKE,
      AccessLogBucketName: LOGS,
      EfsFileSystemId: FS_ID,
      DbInstanceIdentifier: 'dataplatform-dev-metadata',
      DbEndpointAddress: DB_ENDPOINT,
      BackupPlanId: 'plan-0001',
      BackupVaultName: 'dataplatform-dev-vault',
      BackupRoleArn: 'arn:aws:iam::111122223333:role/dataplatform-dev-backup',
    },
    'identity.stack': { IpaServerInstanceId: 'i-0ipa1', IpaServerFqdn: 'ipa1.dataplatform.internal', HostedZoneId: 'Z123' },
    'monitoring.stack': { AlarmTopicArn: TOPIC, AlarmNames: ALARMS.join(',') },
  };
  const stacks: Record<string, string> = {
    'bootstrap.state': 'bootstrap',
    'network.stack': 'network',
    'compute.stack': 'compute',
    'storage.stack': 'storage',
    'identity.stack': 'identity',
    'monitoring.stack': 'monitoring',
  };
  for (const [id, out] of Object.entries(outputs)) {
    const name = `dataplatform-dev-${stacks[id]}`;
    cfn.seedStack({ stackName: name, templateBody: STACK_TEMPLATE });
    await ledger.updateStep(
      id,
      id.split('.')[0]!,
      { status: 'done', startedAt: ago(600).toISOString(), finishedAt: ago(590).toISOString(), outputs: out, evidence: { stackName: name } },
      now(),
    );
  }
  for (const id of ['identity.configure-bastion', 'identity.configure-master', 'identity.configure-dev', 'identity.configure-worker', 'monitoring.agent'])
    await ledger.updateStep(
      id,
      id.split('.')[0]!,
      { status: 'done', startedAt: ago(500).toISOString(), finishedAt: ago(490).toISOString(), outputs: {}, evidence: {} },
      now(),
    );

  for (const n of NODES) {
    const vol = `vol-${n.instanceId.slice(2)}`;
    platform.addInstance({ ...n, volumeIds: [vol], privateIp: '10.0.11.10', instanceType: n.role === 'bastion' ? 't3.micro' : 'm5.large' });
    platform.volumes.push({ volumeId: vol, encrypted: true, sizeGb: 100, state: 'in-use', attachedTo: n.instanceId, tags: {} });
    platform.ssm.script(n.instanceId, { stdout: healthyOutput(n.instanceId, n.role) });
    platform.metrics.push({
      namespace: 'DataPlatform',
      metric: 'mem_used_percent',
      dimensions: { InstanceId: n.instanceId },
      points: [{ timestamp: ago(2), value: 41.5 }],
    });
  }
  platform.securityGroups.push(
    {
      groupId: 'sg-mgmt',
      groupName: 'management',
      vpcId: 'vpc-0aaa',
      tags: { Name: 'dataplatform-dev-management' },
      ingress: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['203.0.113.0/24'], groupIds: [] }],
      egress: [],
    },
    {
      groupId: 'sg-compute',
      groupName: 'compute',
      vpcId: 'vpc-0aaa',
      tags: { Name: 'dataplatform-dev-compute' },
      ingress: [
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: [], groupIds: ['sg-mgmt'] },
        { protocol: 'tcp', fromPort: 8080, toPort: 8090, cidrs: [], groupIds: ['sg-compute'] },
      ],
      egress: [],
    },
  );
  platform.vpcs.push({ vpcId: 'vpc-0aaa', cidr: '10.0.0.0/16', tags: { 'dpf:env': ENV } });
  platform.subnets.push({ subnetId: 'subnet-pub1', vpcId: 'vpc-0aaa', cidr: '10.0.1.0/24', availabilityZone: 'us-west-2a', tags: {} });
  platform.groups.push({
    name: 'dataplatform-dev-workers',
    min: 2,
    max: 6,
    desired: 2,
    tags: {},
    subnetIds: [],
    instances: ['i-0worker1', 'i-0worker2'].map((instanceId) => ({ instanceId, lifecycleState: 'InService', healthStatus: 'Healthy' })),
  });
  // Both workers configured: the worker association's run succeeded on them.
  for (const w of ['i-0worker1', 'i-0worker2']) platform.ssm.setAssociationStatus(w, { associationName: 'dataplatform-dev-worker-launch', status: 'Success' });
  platform.databases.push({
    identifier: 'dataplatform-dev-metadata',
    engine: 'postgres',
    engineVersion: '16',
    status: 'available',
    endpoint: DB_ENDPOINT,
    port: 5432,
    encrypted: true,
    publiclyAccessible: false,
    multiAz: false,
    securityGroupIds: [],
    parameterGroups: [],
    backupRetentionDays: 7,
    latestRestorableTime: ago(4),
    tags: {},
  });
  const efsArn = `arn:aws:elasticfilesystem:us-west-2:111122223333:file-system/${FS_ID}`;
  platform.fileSystems.push({
    fileSystemId: FS_ID,
    arn: efsArn,
    state: 'available',
    encrypted: true,
    kmsKeyId: 'arn:aws:kms:us-west-2:111122223333:key/k',
    tags: {},
  });
  platform.mountTargets.push({ mountTargetId: 'fsmt-1', fileSystemId: FS_ID, subnetId: 'subnet-priv1', state: 'available', ipAddress: '10.0.11.50' });
  platform.reachability.interfaces.push(
    { id: 'eni-efs1', privateIp: '10.0.11.50', subnetId: 'subnet-priv1' },
    { id: 'eni-rds1', groupIds: ['sg-database'], description: 'RDSNetworkInterface', subnetId: 'subnet-db1' },
  );
  platform.reachability.internetGateways['vpc-0aaa'] = 'igw-0aaa';
  platform.reachability.endpoints.push({ vpcId: 'vpc-0aaa', serviceName: 'com.amazonaws.us-west-2.s3', id: 'vpce-s3' });
  for (const b of [LAKE, LOGS, STATE])
    platform.buckets[b] = { exists: true, versioning: 'Enabled', encryption: 'aws:kms', publicAccessBlocked: true, policyDeniesInsecureTransport: true };
  platform.alarms = ALARMS.map((name) => ({ name, state: 'OK', dimensions: {}, actions: [TOPIC] }));
  platform.subscriptions[TOPIC] = [{ arn: `${TOPIC}:sub-1`, protocol: 'email', endpoint: env.monitoring.alarmEmail, pendingConfirmation: false }];
  platform.plans['plan-0001'] = {
    planId: 'plan-0001',
    name: 'dataplatform-dev-efs-daily',
    rules: [{ name: 'daily', schedule: 'cron(0 5 * * ? *)', deleteAfterDays: 35 }],
  };
  platform.recoveryPoints['dataplatform-dev-vault'] = [
    {
      arn: 'arn:aws:backup:us-west-2:111122223333:recovery-point:rp-1',
      resourceArn: efsArn,
      status: 'COMPLETED',
      created: ago(130),
      completed: ago(120),
      vault: 'dataplatform-dev-vault',
    },
  ];

  /** Evaluate one check directly (no engine). */
  const check = async (spec: CheckSpec, mayAct = true) => {
    const step = {
      id: spec.id,
      phase: 'golive' as const,
      title: spec.title,
      kind: 'check' as const,
      dependsOn: [],
      prepare: async () => ({ inputHash: 'h', estimateSeconds: 1 }),
      run: async () => ({ changed: false }),
    };
    const ctx = makeContext(step, { envCtx, ledger, aws, io, clock, signal: abort.signal, settings }, ledger.get(spec.id));
    return evaluate(spec, checkContext(ctx, mayAct));
  };
  const deploy = (steps: StepDef[], command = 'deploy --phase golive') =>
    runSteps({ steps, ledger, envCtx, aws, io, clock, signal: abort.signal, settings, command });
  return { clock, ago, platform, cfn, objects, io, abort, ledger, env, envCtx, aws, check, deploy, cleanup, efsArn };
}

export type CheckHarness = Awaited<ReturnType<typeof checkHarness>>;
