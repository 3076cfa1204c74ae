/**
 * Identity, monitoring and node configuration end to end: bin/dpf deploys every phase against
 * the emulator; the SSM commands, the Ansible bundle and the identity/monitoring resources are
 * checked through the AWS APIs (SDK and the AWS CLI from the venv), not through dpf's ledger.
 *
 * What the emulator cannot show, and where it is covered instead:
 * - Ansible really running on hosts, per-host failure, MaxErrors, timeouts: moto's SSM runs
 *   nothing and reports Success with empty output → test/ssm/run-command.test.ts and
 *   test/steps/playbook.test.ts over test/fakes/fake-ssm.ts (FAKE-SSM.md).
 * - SNS e-mail subscriptions, S3 policies, Backup plans in templates: moto skips them →
 *   test/templates/monitoring.test.ts, storage.test.ts.
 * - Route 53 VPC association, IAM ManagedPolicyArns: ignored by moto → test/templates/identity.test.ts.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { parse } from 'yaml';
import { SSMClient, ListCommandsCommand } from '@aws-sdk/client-ssm';
import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { startEmulator, dpf, workdir, readLedger, sdkConfig, awsEnv, ROOT, type Emulator } from './harness.js';

let em: Emulator;
const ENV = 'conf';
let dir: string;

async function aws(args: string[]): Promise<any> {
  const r = await execa(path.join(ROOT, '.venv', 'bin', 'aws'), [...args, '--output', 'json'], { env: { ...awsEnv(em) }, reject: false });
  if (r.exitCode !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(String(r.stdout) || '{}');
}

const events = (stdout: string) => stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

beforeAll(async () => {
  em = await startEmulator();
  dir = workdir();
  // Exactly as a user would: defaults (identity.imageId: resolve:rocky-9 finds the newest public
  // Rocky Linux 9 image — the emulator wrapper publishes one, see docs/emulator.md).
  const init = await dpf(em, ['init', '--env', ENV, '--defaults', '--yes', '--alarm-email', 'ops@example.com'], { cwd: dir });
  expect(init.code, init.all).toBe(0);
  const r = await dpf(em, ['deploy', '--env', ENV, '--yes', '--json'], { cwd: dir, timeout: 300000 });
  expect(r.code, r.all).toBe(0);
}, 400000);
afterAll(async () => {
  await em?.stop();
});

describe('GIVEN every phase deployed with the FreeIPA provider', () => {
  it('THEN the SSM commands used AWS-ApplyAnsiblePlaybooks with the S3 bundle, tag targets, rate control and S3 output', async () => {
    const ssm = new SSMClient(sdkConfig(em));
    const cmds = (await ssm.send(new ListCommandsCommand({}))).Commands ?? [];
    const ours = cmds.filter((c) => c.DocumentName === 'AWS-ApplyAnsiblePlaybooks');
    expect(ours.length).toBeGreaterThanOrEqual(9);
    const playbooks = new Set(ours.map((c) => c.Parameters?.PlaybookFile?.[0]));
    for (const pb of ['nfs.yml', 'identity.yml', 'freeipa-enrol.yml', 'freeipa-client.yml', 'master.yml', 'worker.yml', 'dev.yml', 'monitoring.yml']) expect(playbooks).toContain(pb);
    const bucket = `dataplatform-${ENV}-dpf-state-123456789012`;
    const sources = new Set<string>();
    for (const c of ours) {
      expect(c.MaxConcurrency).toBe('50%');
      expect(c.MaxErrors).toBe('1');
      expect(c.OutputS3BucketName).toBe(bucket);
      expect(c.OutputS3KeyPrefix).toMatch(new RegExp(`^ssm-output/${ENV}/`));
      expect(c.Parameters?.SourceType).toEqual(['S3']);
      expect(c.Parameters?.Check).toEqual(['False']);
      const src = JSON.parse(c.Parameters!.SourceInfo![0]!).path as string;
      expect(src).toMatch(new RegExp(`https://s3\\.us-west-2\\.amazonaws\\.com/${bucket}/bundles/[0-9a-f]{64}\\.zip$`));
      sources.add(src);
      // Secrets never travel as extra vars: only names and ids.
      expect(c.Parameters?.ExtraVariables?.[0] ?? '').not.toMatch(/password=|secret_value/i);
      const tagTargets = (c.Targets ?? []).map((t) => t.Key);
      if (tagTargets.length) expect(tagTargets).toContain('tag:dpf:env');
    }
    expect(sources.size).toBe(1); // one content-addressed bundle for the whole run

    // The bundle in the bucket holds every playbook the commands name and every role those playbooks use.
    const key = new URL([...sources][0]!).pathname.split('/').slice(2).join('/');
    const obj = await new S3Client(sdkConfig(em)).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const files = unzipSync(new Uint8Array(await obj.Body!.transformToByteArray()));
    for (const pb of playbooks) {
      expect(Object.keys(files)).toContain(pb);
      const plays = parse(strFromU8(files[pb!]!)) as Array<Record<string, any>>;
      const roles = new Set<string>();
      const walk = (n: unknown): void => {
        if (Array.isArray(n)) return n.forEach(walk);
        if (n && typeof n === 'object') {
          for (const [k, v] of Object.entries(n)) {
            if ((k === 'ansible.builtin.import_role' || k === 'ansible.builtin.include_role') && typeof (v as any).name === 'string') roles.add((v as any).name);
            if (k === 'roles' && Array.isArray(v)) for (const r of v) roles.add(typeof r === 'string' ? r : r.role ?? r.name);
            walk(v);
          }
        }
      };
      walk(plays);
      for (const role of roles) expect(Object.keys(files), `${pb} uses role ${role}`).toContain(`roles/${role}/tasks/main.yml`);
    }
  });

  it('THEN the identity resources exist: developer role, private zone, two IPA servers in two AZs', async () => {
    const role = await aws(['iam', 'get-role', '--role-name', `dataplatform-${ENV}-DataEngineering-DeveloperRole`]);
    expect(role.Role.RoleName).toBe(`dataplatform-${ENV}-DataEngineering-DeveloperRole`);
    const zones = await aws(['route53', 'list-hosted-zones']);
    expect(zones.HostedZones.map((z: any) => String(z.Name).replace(/\.$/, ''))).toContain('dataplatform.internal');
    const ec2 = new EC2Client(sdkConfig(em));
    const res = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:dpf:env', Values: [ENV] }, { Name: 'tag:dpf:role', Values: ['identity'] }] }));
    const ipa = (res.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    expect(ipa).toHaveLength(2);
    expect(new Set(ipa.map((i) => i.SubnetId)).size).toBe(2);
    expect(new Set(ipa.map((i) => i.ImageId))).toEqual(new Set(['ami-0f9e1d2c3b4a59687'])); // the Rocky Linux 9 image, found by name and owner
  });

  it('THEN the monitoring resources exist: SNS topic, log groups with 30/365-day retention, alarms', async () => {
    const topics = await aws(['sns', 'list-topics']);
    expect(topics.Topics.length).toBeGreaterThan(0);
    const groups = await aws(['logs', 'describe-log-groups', '--log-group-name-prefix', `/dataplatform/${ENV}/`]);
    const retention = Object.fromEntries(groups.logGroups.map((g: any) => [g.logGroupName, g.retentionInDays]));
    expect(retention[`/dataplatform/${ENV}/system`]).toBe(30);
    expect(retention[`/dataplatform/${ENV}/audit`]).toBe(365);
    // CloudWatch through dpf's adapter: the SDK speaks JSON to CloudWatch, moto only query (see docs/emulator.md).
    process.env.AWS_ENDPOINT_URL = em.endpoint;
    const { createCloudWatchPort } = await import(path.join(ROOT, 'dist', 'aws', 'sdk-cloudwatch.js'));
    const cw = createCloudWatchPort(sdkConfig(em));
    const alarms = await cw.describeAlarms(undefined, `dataplatform-${ENV}`);
    const ledgerNames = (readLedger(dir, ENV).steps['monitoring.stack'].outputs.AlarmNames ?? '').split(',').filter(Boolean);
    const names = alarms.map((a: any) => a.name);
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const n of ledgerNames) expect(names).toContain(n);
    expect(alarms.find((a: any) => a.metricName === 'CPUUtilization' && a.threshold === 90)).toBeDefined();
  });

  it('WHEN deploy runs again THEN every stack and playbook step is skipped (bundle hash and targets unchanged)', async () => {
    const r = await dpf(em, ['deploy', '--env', ENV, '--yes', '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const ev = events(r.stdout);
    // Golive verdicts stay fresh for 15 minutes; a rerun inside that window measures nothing again,
    // except a check that landed in a new 15-minute bucket (rare): nothing else may start.
    expect(ev.filter((e) => e.type === 'step-start' && !String(e.stepId).startsWith('golive.'))).toEqual([]);
    expect(ev.filter((e) => e.type === 'step-skipped' && !String(e.stepId).startsWith('golive.')).length).toBe(15);
  });

  it('WHEN deploy --check runs a phase THEN Ansible runs with Check=True, the results are reported and the ledger is not written', async () => {
    const before = readLedger(dir, ENV);
    const r = await dpf(em, ['deploy', '--env', ENV, '--phase', 'identity', '--check', '--yes', '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(readLedger(dir, ENV)).toEqual(before);
    expect(events(r.stdout).find((e) => e.type === 'step-done' && e.stepId === 'identity.nfs')?.summary).toMatch(/^check: nfs\.yml/);
    const cmds = (await new SSMClient(sdkConfig(em)).send(new ListCommandsCommand({}))).Commands ?? [];
    expect(cmds.some((c) => c.Parameters?.Check?.[0] === 'True' && c.Parameters?.PlaybookFile?.[0] === 'nfs.yml')).toBe(true);
  });
});

describe('GIVEN the iam identity provider', () => {
  it('THEN identity makes the operators group and no directory servers, and nodes are configured without FreeIPA', async () => {
    const d = workdir();
    expect((await dpf(em, ['init', '--env', 'iamenv', '--defaults', '--yes', '--identity-provider', 'iam'], { cwd: d })).code).toBe(0);
    const r = await dpf(em, ['deploy', '--env', 'iamenv', '--yes', '--json'], { cwd: d, timeout: 300000 });
    expect(r.code, r.all).toBe(0);
    const ids = events(r.stdout).filter((e) => e.type === 'step-done').map((e) => e.stepId);
    expect(ids).toContain('identity.stack');
    expect(ids).toContain('identity.configure-master');
    expect(ids.some((i) => i.startsWith('identity.ipa') || i === 'identity.enrol')).toBe(false);
    const group = await aws(['iam', 'get-group', '--group-name', 'dataplatform-iamenv-platform-operators']);
    expect(group.Group.GroupName).toBe('dataplatform-iamenv-platform-operators');
    const res = await new EC2Client(sdkConfig(em)).send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:dpf:env', Values: ['iamenv'] }, { Name: 'tag:dpf:role', Values: ['identity'] }] }));
    expect((res.Reservations ?? []).flatMap((x) => x.Instances ?? [])).toHaveLength(0);
  });
});
