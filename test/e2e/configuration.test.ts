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
import { SecretsManagerClient, CreateSecretCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import {
  SSMClient,
  ListCommandsCommand,
  DescribeDocumentCommand,
  GetDocumentCommand,
  ListAssociationsCommand,
  DescribeInstanceAssociationsStatusCommand,
  DescribeInstanceInformationCommand,
} from '@aws-sdk/client-ssm';
import { AutoScalingClient, SetDesiredCapacityCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
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

const DOCUMENT = `dpf-dataplatform-${ENV}-ApplyAnsiblePlaybooks`;
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

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
  it("THEN the SSM commands used dpf's own document with the S3 bundle, tag targets, rate control and S3 output", async () => {
    const ssm = new SSMClient(sdkConfig(em));
    const cmds = (await ssm.send(new ListCommandsCommand({}))).Commands ?? [];
    const ours = cmds.filter((c) => c.DocumentName === DOCUMENT);
    expect(cmds.filter((c) => c.DocumentName === 'AWS-ApplyAnsiblePlaybooks')).toEqual([]);
    expect(ours.length).toBeGreaterThanOrEqual(9);
    const playbooks = new Set(ours.map((c) => c.Parameters?.PlaybookFile?.[0]));
    for (const pb of [
      'ipa-server.yml',
      'ipa-replica.yml',
      'freeipa-policy.yml',
      'freeipa-enrol.yml',
      'bastion.yml',
      'master.yml',
      'worker.yml',
      'dev.yml',
      'monitoring.yml',
    ])
      expect(playbooks).toContain(pb);
    // The configure playbooks mount /shared and enrol their hosts themselves (issue 14): no separate run of those roles.
    for (const pb of ['nfs.yml', 'freeipa-client.yml']) expect(playbooks).not.toContain(pb);
    const bucket = `dataplatform-${ENV}-dpf-state-123456789012`;
    const sources = new Set<string>();
    for (const c of ours) {
      expect(c.MaxConcurrency).toBe('50%');
      expect(c.MaxErrors).toBe('1');
      expect(c.OutputS3BucketName).toBe(bucket);
      expect(c.OutputS3KeyPrefix).toMatch(new RegExp(`^ssm-output/${ENV}/`));
      expect(c.Parameters?.SourceType).toEqual(['S3']);
      expect(c.Parameters?.Check).toEqual(['False']);
      expect(c.Parameters?.InstallDependencies).toBeUndefined(); // the document installs Ansible itself
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
            if ((k === 'ansible.builtin.import_role' || k === 'ansible.builtin.include_role') && typeof (v as any).name === 'string')
              roles.add((v as any).name);
            if (k === 'roles' && Array.isArray(v)) for (const r of v) roles.add(typeof r === 'string' ? r : (r.role ?? r.name));
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
    const res = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:dpf:env', Values: [ENV] },
          { Name: 'tag:dpf:role', Values: ['identity'] },
        ],
      }),
    );
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
    const { createCloudWatchPort } = await import(path.join(ROOT, 'dist', 'aws', 'sdk-cloudwatch.js'));
    const cw = createCloudWatchPort(sdkConfig(em), { url: em.endpoint, services: {} });
    const alarms = await cw.describeAlarms(undefined, `dataplatform-${ENV}`);
    const ledgerNames = (readLedger(dir, ENV).steps['monitoring.stack'].outputs.AlarmNames ?? '').split(',').filter(Boolean);
    const names = alarms.map((a: any) => a.name);
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const n of ledgerNames) expect(names).toContain(n);
    expect(alarms.find((a: any) => a.metricName === 'CPUUtilization' && a.threshold === 90)).toBeDefined();
  });

  it('THEN the Ansible document exists (compute stack), versioned, and installs Ansible on both OS families', async () => {
    const ssm = new SSMClient(sdkConfig(em));
    const d = (await ssm.send(new DescribeDocumentCommand({ Name: DOCUMENT }))).Document!;
    expect(d).toMatchObject({ Name: DOCUMENT, DocumentType: 'Command', DocumentFormat: 'YAML', DocumentVersion: '1', TargetType: '/AWS::EC2::Instance' });
    const content = parse((await ssm.send(new GetDocumentCommand({ Name: DOCUMENT }))).Content!) as any;
    expect(Object.keys(content.parameters).sort()).toEqual([
      'AnsibleCoreVersion',
      'Check',
      'ExtraVariables',
      'PlaybookFile',
      'SourceInfo',
      'SourceType',
      'TimeoutSeconds',
      'Verbose',
    ]);
    const script = content.mainSteps[1].inputs.runCommand.join('\n');
    expect(script).toMatch(/amzn:2023\|rocky:9\|almalinux:9\|rhel:9/);
  });

  it('THEN every node was Online in SSM when its playbooks were sent (DescribeInstanceInformation, and the wait in the ledger)', async () => {
    const ssm = new SSMClient(sdkConfig(em));
    const res = await new EC2Client(sdkConfig(em)).send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:dpf:env', Values: [ENV] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      }),
    );
    const ids = (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
    expect(ids.length).toBe(7); // bastion, master, dev, 2 workers, 2 IPA servers
    const info = (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ids }] }))).InstanceInformationList ?? [];
    expect(info.map((i) => i.PingStatus)).toEqual(ids.map(() => 'Online'));
    expect(new Set(info.map((i) => i.PlatformName))).toEqual(new Set(['Amazon Linux', 'Rocky Linux']));
    const ledger = readLedger(dir, ENV);
    for (const id of ['identity.configure-master', 'identity.ipa-server', 'identity.configure-worker', 'monitoring.agent'])
      expect(ledger.steps[id].evidence.onlineWaitSeconds, id).toBeTypeOf('number');
  });

  it('THEN the worker association exists on dpf:role=worker with worker-launch.yml from the same bundle, and has run on every worker', async () => {
    const ssm = new SSMClient(sdkConfig(em));
    const [a] =
      (await ssm.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: 'AssociationName', value: `dataplatform-${ENV}-worker-launch` }] })))
        .Associations ?? [];
    expect(a).toBeDefined();
    expect(a!.Name).toBe(DOCUMENT);
    expect(a!.Targets).toEqual([
      { Key: 'tag:dpf:env', Values: [ENV] },
      { Key: 'tag:dpf:role', Values: ['worker'] },
    ]);
    const { DescribeAssociationCommand } = await import('@aws-sdk/client-ssm');
    const desc = (await ssm.send(new DescribeAssociationCommand({ AssociationId: a!.AssociationId }))).AssociationDescription!;
    expect(desc.Parameters?.PlaybookFile).toEqual(['worker-launch.yml']);
    expect(desc.Parameters?.ExtraVariables?.[0]).toMatch(/dpf_role=worker .*ipa_keytab_wait=true/);
    expect(desc.Parameters?.ExtraVariables?.[0]).toMatch(/data_volume_device=\/dev\/sdf/);
    expect(desc.OutputLocation?.S3Location?.OutputS3KeyPrefix).toBe(`ssm-output/${ENV}/association/worker-launch`);
    const cmdBundle = JSON.parse(
      ((await ssm.send(new ListCommandsCommand({}))).Commands ?? []).find((c) => c.DocumentName === DOCUMENT)!.Parameters!.SourceInfo![0]!,
    ).path;
    expect(JSON.parse(desc.Parameters!.SourceInfo![0]!).path).toBe(cmdBundle);
    // The EventBridge rule that has the first IPA server mint a launched worker's keytab.
    const rules = await aws(['events', 'list-rules', '--name-prefix', `dataplatform-${ENV}-worker-ipa`]);
    expect(rules.Rules.map((r: any) => r.Name).sort()).toEqual([`dataplatform-${ENV}-worker-ipa-enrol`, `dataplatform-${ENV}-worker-ipa-unenrol`]);
    const targets = await aws(['events', 'list-targets-by-rule', '--rule', `dataplatform-${ENV}-worker-ipa-enrol`]);
    expect(targets.Targets[0].Arn).toMatch(new RegExp(`:document/${DOCUMENT}$`));
    expect(targets.Targets[0].RunCommandParameters.RunCommandTargets).toEqual([
      { Key: 'tag:dpf:env', Values: [ENV] },
      { Key: 'tag:dpf:ipa-role', Values: ['server'] },
    ]);
  });

  it('WHEN deploy runs again THEN every stack and playbook step is skipped (bundle hash and targets unchanged)', async () => {
    const r = await dpf(em, ['deploy', '--env', ENV, '--yes', '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const ev = events(r.stdout);
    // Golive verdicts stay fresh for 15 minutes; a rerun inside that window measures nothing again,
    // except a check that landed in a new 15-minute bucket (rare): nothing else may start.
    expect(ev.filter((e) => e.type === 'step-start' && !String(e.stepId).startsWith('golive.'))).toEqual([]);
    expect(ev.filter((e) => e.type === 'step-skipped' && !String(e.stepId).startsWith('golive.')).length).toBe(17);
  });

  it('WHEN deploy --check runs a phase THEN Ansible runs with Check=True, the results are reported and the ledger is not written', async () => {
    const before = readLedger(dir, ENV);
    const r = await dpf(em, ['deploy', '--env', ENV, '--phase', 'identity', '--check', '--yes', '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(readLedger(dir, ENV)).toEqual(before);
    expect(events(r.stdout).find((e) => e.type === 'step-done' && e.stepId === 'identity.configure-master')?.summary).toMatch(/^check: master\.yml/);
    const cmds = (await new SSMClient(sdkConfig(em)).send(new ListCommandsCommand({}))).Commands ?? [];
    expect(cmds.some((c) => c.Parameters?.Check?.[0] === 'True' && c.Parameters?.PlaybookFile?.[0] === 'master.yml')).toBe(true);
  });

  it('WHEN the group scales out THEN the new worker is configured by the association, and dpf status counts it', async () => {
    const asg = new AutoScalingClient(sdkConfig(em));
    const name = `dataplatform-${ENV}-workers`;
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 3 }));
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups![0]!;
    const ledger = readLedger(dir, ENV);
    const known = Object.keys(ledger.steps['identity.configure-worker'].evidence.hosts);
    const added = g.Instances!.map((i) => i.InstanceId!).filter((id) => !known.includes(id));
    expect(added).toHaveLength(1);
    const ssm = new SSMClient(sdkConfig(em));
    const runs = (await ssm.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: added[0] }))).InstanceAssociationStatusInfos ?? [];
    expect(runs.find((r) => r.AssociationName === `dataplatform-${ENV}-worker-launch`)?.Status).toBe('Success');
    const st = await dpf(em, ['status', '--env', ENV, '--json'], { cwd: dir });
    expect(st.code, st.all).toBe(0);
    expect(JSON.parse(st.stdout).live.workers).toMatchObject({ desired: 3, inService: 3, configured: 3, notConfigured: [] });
    // (Last in this file: a later deploy would find the new worker and configure it through the steps too.)
  });

  it('WHEN dpf destroy --yes THEN the worker association and enrolment rules go with their stack, and the host keytab secrets are deleted', async () => {
    // What the first IPA server would have published (the emulator runs no playbook).
    const sm = new SecretsManagerClient(sdkConfig(em));
    const keytab = `dataplatform/${ENV}/freeipa/host-keytab/ip-10-0-11-10.dataplatform.internal`;
    await sm.send(new CreateSecretCommand({ Name: keytab, SecretString: '{"keytab_b64":"AA=="}', Tags: [{ Key: 'dpf:env', Value: ENV }] }));
    const r = await dpf(em, ['destroy', '--env', ENV, '--yes'], { cwd: dir, timeout: 300000 });
    expect([0, 3], r.all).toContain(r.code); // 3: moto leaks the VPC (listed), see day2.test.ts
    const left = (await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`dataplatform/${ENV}/freeipa/host-keytab/`] }] }))).SecretList ?? [];
    expect(left.map((x) => x.Name)).toEqual([]);
    expect(readLedger(dir, ENV).steps['operations.destroy.identity'].evidence.deleted).toContain(`secret ${keytab}`);
    const ssm = new SSMClient(sdkConfig(em));
    expect(
      (await ssm.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: 'AssociationName', value: `dataplatform-${ENV}-worker-launch` }] })))
        .Associations,
    ).toEqual([]);
    const rules = await aws(['events', 'list-rules', '--name-prefix', `dataplatform-${ENV}-worker-ipa`]);
    expect(rules.Rules).toEqual([]);
  }, 400000);
});

describe('GIVEN the iam identity provider', () => {
  it('THEN identity makes the operators group and no directory servers, and nodes are configured without FreeIPA', async () => {
    const d = workdir();
    expect((await dpf(em, ['init', '--env', 'iamenv', '--defaults', '--yes', '--identity-provider', 'iam'], { cwd: d })).code).toBe(0);
    const r = await dpf(em, ['deploy', '--env', 'iamenv', '--yes', '--json'], { cwd: d, timeout: 300000 });
    expect(r.code, r.all).toBe(0);
    const ids = events(r.stdout)
      .filter((e) => e.type === 'step-done')
      .map((e) => e.stepId);
    expect(ids).toContain('identity.stack');
    expect(ids).toContain('identity.configure-master');
    expect(ids.some((i) => i.startsWith('identity.ipa') || i.startsWith('identity.enrol'))).toBe(false);
    const group = await aws(['iam', 'get-group', '--group-name', 'dataplatform-iamenv-platform-operators']);
    expect(group.Group.GroupName).toBe('dataplatform-iamenv-platform-operators');
    const res = await new EC2Client(sdkConfig(em)).send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:dpf:env', Values: ['iamenv'] },
          { Name: 'tag:dpf:role', Values: ['identity'] },
        ],
      }),
    );
    expect((res.Reservations ?? []).flatMap((x) => x.Instances ?? [])).toHaveLength(0);
  });
});
