/**
 * Each AWS-side check on a healthy platform (pass) and on failing or unanswerable inputs:
 * fail where AWS says the criterion is not met, unknown (never pass) where it cannot be told,
 * and — only against an emulator endpoint with a placeholder account — unknown for the
 * negative answers the emulator is known to give wrongly.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkHarness, ALARMS, LAKE, TOPIC, type CheckHarness } from './helpers.js';
import { stacksCheck, nodesOnlineCheck, workersCheck, detectDrift } from '../../src/checks/infrastructure.js';
import { sshExposureCheck, ebsEncryptionCheck, dataEncryptionCheck, publicAccessCheck, imdsCheck, rdsPrivateCheck } from '../../src/checks/security.js';
import { alarmsCheck, subscriptionCheck, agentMetricsCheck, templateAlarmNames } from '../../src/checks/monitoring.js';
import { backupCheck } from '../../src/checks/backup.js';
import { efsMountCheck, databaseCheck, directoryCheck, dataLakeAccessCheck } from '../../src/checks/hosts.js';
import { emulatorIn } from '../../src/checks/common.js';
import { emulatorSettings } from '../fakes/fake-settings.js';
import type { CheckSpec } from '../../src/checks/types.js';
import { loadTemplate } from '../../src/templates/registry.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeCloudFormation } from '../fakes/fake-cloudformation.js';
import { section, healthyOutput, STATE } from './helpers.js';
import { sentinelKey, DATA_LAKE_PREFIXES } from '../../src/checks/hosts.js';

let h: CheckHarness;
beforeEach(async () => {
  h = await checkHarness();
});
afterEach(() => h.cleanup());

type Case = [string, 'fail' | 'unknown' | 'warn', CheckSpec, (h: CheckHarness) => void | Promise<void>, RegExp];

describe('GIVEN a healthy platform', () => {
  it.each([
    stacksCheck,
    nodesOnlineCheck,
    workersCheck,
    sshExposureCheck,
    ebsEncryptionCheck,
    dataEncryptionCheck,
    publicAccessCheck,
    imdsCheck,
    rdsPrivateCheck,
    alarmsCheck,
    subscriptionCheck,
    agentMetricsCheck,
    backupCheck,
    efsMountCheck,
    databaseCheck,
    directoryCheck,
    dataLakeAccessCheck,
  ])('WHEN $id runs THEN it passes with evidence', async (spec) => {
    const v = await h.check(spec);
    expect(v.status, v.summary).toBe('pass');
    expect(Object.keys(v.evidence).length).toBeGreaterThan(0);
    expect(v.checkedAt).toBe(h.clock.now().toISOString());
  });
});

describe('GIVEN one thing wrong', () => {
  it.each<Case>([
    [
      'a drifted stack',
      'fail',
      stacksCheck,
      (h) => h.cfn.setDrift('dataplatform-dev-network', 'DRIFTED'),
      /dataplatform-dev-network: CREATE_COMPLETE but DRIFTED/,
    ],
    [
      'a stack gone',
      'fail',
      stacksCheck,
      async (h) => {
        await h.cfn.deleteStack('dataplatform-dev-monitoring');
        await h.cfn.settle();
      },
      /dataplatform-dev-monitoring: the stack no longer exists/,
    ],
    [
      'drift detection unavailable',
      'unknown',
      stacksCheck,
      (h) => {
        h.cfn.detectStackDrift = async () => {
          throw new Error('500 Internal Server Error');
        };
      },
      /drift unknown \(drift detection is not available: 500/,
    ],
    [
      'a node whose agent lost its connection',
      'fail',
      nodesOnlineCheck,
      (h) => {
        h.platform.ssm.setPingStatus('i-0worker2', 'ConnectionLost');
      },
      /i-0worker2 \(worker\): SSM agent ConnectionLost/,
    ],
    [
      'a stopped node',
      'fail',
      nodesOnlineCheck,
      (h) => {
        h.platform.instances.find((i) => i.instanceId === 'i-0dev')!.state = 'stopped';
      },
      /i-0dev \(dev\): instance is stopped/,
    ],
    [
      'DescribeInstanceInformation not implemented',
      'unknown',
      nodesOnlineCheck,
      (h) => {
        h.platform.failOn(
          'ssm.describeInstanceInformation',
          Object.assign(new Error('SSM DescribeInstanceInformation is not offered by the AWS endpoint in use'), { name: 'NotImplementedByEndpoint' }),
        );
      },
      /not offered by the AWS endpoint/,
    ],
    [
      'a worker missing from the group',
      'fail',
      workersCheck,
      (h) => {
        h.platform.groups[0]!.instances.pop();
      },
      /1 healthy InService instance\(s\) of 2 desired/,
    ],
    [
      'group limits changed outside dpf',
      'warn',
      workersCheck,
      (h) => {
        h.platform.groups[0]!.max = 10;
      },
      /min\/max 2\/10 differ from the config's 2\/6/,
    ],
    [
      'a scaled-out worker whose association has not run yet',
      'fail',
      workersCheck,
      (h) => {
        h.platform.groups[0]!.desired = 3;
        h.platform.groups[0]!.instances.push({ instanceId: 'i-0worker3', lifecycleState: 'InService', healthStatus: 'Healthy' });
        h.platform.ssm.setAssociationStatus('i-0worker3', { associationName: 'dataplatform-dev-worker-launch', status: 'Pending' });
      },
      /2 of 3 desired worker\(s\) configured; i-0worker3: association dataplatform-dev-worker-launch is Pending on it/,
    ],
    [
      'a worker whose association failed',
      'fail',
      workersCheck,
      (h) => {
        h.platform.ssm.setAssociationStatus('i-0worker2', { associationName: 'dataplatform-dev-worker-launch', status: 'Failed' });
      },
      /1 of 2 desired worker\(s\) configured; i-0worker2: association dataplatform-dev-worker-launch is Failed/,
    ],
    [
      'SSH open to the world over IPv6',
      'fail',
      sshExposureCheck,
      (h) => {
        h.platform.securityGroups[1]!.ingress.push({ protocol: '-1', cidrs: ['::/0'], groupIds: [] });
      },
      /sg-compute \(dataplatform-dev-compute\): port 22 open to ::\/0/,
    ],
    [
      'an unencrypted volume',
      'fail',
      ebsEncryptionCheck,
      (h) => {
        h.platform.volumes[3]!.encrypted = false;
      },
      /vol-0worker1 on i-0worker1 \(worker\): NOT encrypted/,
    ],
    [
      'a node with no volume listed',
      'unknown',
      ebsEncryptionCheck,
      (h) => {
        h.platform.instances[0]!.volumeIds = [];
      },
      /i-0bastion \(bastion\): EC2 lists no EBS volume/,
    ],
    [
      'an unencrypted file system',
      'fail',
      dataEncryptionCheck,
      (h) => {
        h.platform.fileSystems[0]!.encrypted = false;
      },
      /EFS fs-0123abcd: NOT encrypted/,
    ],
    [
      'a bucket without default encryption',
      'fail',
      dataEncryptionCheck,
      (h) => {
        h.platform.buckets[LAKE]!.encryption = undefined;
      },
      /no default encryption/,
    ],
    [
      'a bucket without public access block',
      'fail',
      publicAccessCheck,
      (h) => {
        h.platform.buckets[LAKE]!.publicAccessBlocked = false;
      },
      /public access is NOT fully blocked/,
    ],
    [
      'IMDSv1 still allowed',
      'fail',
      imdsCheck,
      (h) => {
        h.platform.instances[1]!.httpTokens = 'optional';
      },
      /i-0master \(master\): HttpTokens optional/,
    ],
    [
      'a public database',
      'fail',
      rdsPrivateCheck,
      (h) => {
        h.platform.databases[0]!.publiclyAccessible = true;
      },
      /PubliclyAccessible is true/,
    ],
    [
      'an alarm in ALARM',
      'fail',
      alarmsCheck,
      (h) => {
        Object.assign(h.platform.alarms[0]!, { state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [97.0] > 90' });
      },
      /dataplatform-dev-master-cpu-high: in ALARM: Threshold Crossed/,
    ],
    [
      'a missing alarm',
      'fail',
      alarmsCheck,
      (h) => {
        h.platform.alarms.pop();
      },
      /workers-memory-high: alarm does not exist/,
    ],
    [
      'an alarm with no data yet',
      'warn',
      alarmsCheck,
      (h) => {
        h.platform.alarms[1]!.state = 'INSUFFICIENT_DATA';
      },
      /INSUFFICIENT_DATA/,
    ],
    [
      'the subscription pending confirmation',
      'fail',
      subscriptionCheck,
      (h) => {
        h.platform.subscriptions[TOPIC]![0]!.pendingConfirmation = true;
      },
      /PendingConfirmation/,
    ],
    [
      'no subscription at all',
      'fail',
      subscriptionCheck,
      (h) => {
        h.platform.subscriptions[TOPIC] = [];
      },
      /alarmEmail is not subscribed/,
    ],
    [
      'a node whose agent stopped sending',
      'fail',
      agentMetricsCheck,
      (h) => {
        h.platform.metrics[2]!.points = [{ timestamp: h.ago(40), value: 3 }];
      },
      /i-0dev \(dev\): last mem_used_percent at .*older than 15 min/,
    ],
    [
      'no backup plan output',
      'fail',
      backupCheck,
      (h) => {
        delete h.ledger.data.steps['storage.stack']!.outputs.BackupPlanId;
      },
      /no backup plan was created/,
    ],
    [
      'the recovery points unreadable',
      'unknown',
      backupCheck,
      (h) => {
        h.platform.failOn('backup.listRecoveryPoints', new Error('Unexpected token <'));
      },
      /ListRecoveryPointsByBackupVault .* could not be answered: the endpoint answered with a page that is not an AWS response/,
    ],
    [
      'the last recovery point older than the RPO',
      'warn',
      backupCheck,
      (h) => {
        const rp = h.platform.recoveryPoints['dataplatform-dev-vault']![0]!;
        rp.completed = h.ago(26 * 60);
      },
      /26 h old, older than the RPO of 24 h/,
    ],
    [
      'automated database backups off',
      'fail',
      backupCheck,
      (h) => {
        h.platform.databases[0]!.backupRetentionDays = 0;
      },
      /automated backups are off/,
    ],
    [
      '/shared not mounted on a worker',
      'fail',
      efsMountCheck,
      (h) => {
        h.platform.ssm.script('i-0worker2', { stdout: section('mount', [], 1) });
      },
      /i-0worker2 \(worker\): \/shared is not mounted/,
    ],
    [
      'the database unreachable from a worker',
      'fail',
      databaseCheck,
      (h) => {
        h.platform.ssm.script('i-0worker1', { stdout: section('pg', ['db:5432 - no response'], 2) });
      },
      /i-0worker1 \(worker\): pg_isready exit 2: no response/,
    ],
    [
      'a node that cannot resolve users',
      'fail',
      directoryCheck,
      (h) => {
        h.platform.ssm.script('i-0dev', { stdout: [section('id', ['id: admin: no such user'], 1), section('getent', [], 2)].join('\n') });
      },
      /i-0dev \(dev\): id admin does not resolve/,
    ],
    [
      'a node whose command failed',
      'unknown',
      directoryCheck,
      (h) => {
        h.platform.ssm.script('i-0dev', { status: 'Failed', stdout: 'boom' });
      },
      /i-0dev \(dev\): the command did not run there \(Failed/,
    ],
    // Partial data is never a pass: an output missing from the ledger, a node not running, a host or role not probed.
    [
      'no database identifier in the ledger',
      'unknown',
      backupCheck,
      (h) => {
        delete h.ledger.data.steps['storage.stack']!.outputs.DbInstanceIdentifier;
      },
      /RDS: the storage stack has no DbInstanceIdentifier output/,
    ],
    [
      'the data-lake bucket not in the ledger',
      'unknown',
      dataEncryptionCheck,
      (h) => {
        delete h.ledger.data.steps['storage.stack']!.outputs.DataLakeBucketName;
      },
      /storage\.stack DataLakeBucketName: no such output in the ledger/,
    ],
    [
      'the access-log bucket not in the ledger',
      'unknown',
      publicAccessCheck,
      (h) => {
        delete h.ledger.data.steps['storage.stack']!.outputs.AccessLogBucketName;
      },
      /storage\.stack AccessLogBucketName: no such output in the ledger/,
    ],
    [
      'an alarm notifying another topic',
      'warn',
      alarmsCheck,
      (h) => {
        h.platform.alarms[0]!.actions = ['arn:aws:sns:us-west-2:111122223333:somebody-else'];
      },
      /master-cpu-high: OK, but it does not notify the alert topic/,
    ],
    [
      'the master terminated',
      'fail',
      nodesOnlineCheck,
      (h) => {
        h.platform.instances = h.platform.instances.filter((i) => i.instanceId !== 'i-0master');
      },
      /i-0master \(master\): created by the stacks but not among the running or stopped nodes/,
    ],
    [
      'a stopped worker',
      'unknown',
      efsMountCheck,
      (h) => {
        h.platform.instances.find((i) => i.instanceId === 'i-0worker2')!.state = 'stopped';
      },
      /i-0worker2 \(worker\): instance is stopped: its host cannot be inspected/,
    ],
    [
      'the IPA server printing no ipactl status',
      'fail',
      directoryCheck,
      (h) => {
        h.platform.ssm.script('i-0ipa1', { stdout: healthyOutput('i-0ipa1', 'bastion') });
      },
      /i-0ipa1 \(identity\): ipactl is not installed on this FreeIPA server/,
    ],
    [
      'no state bucket in the ledger',
      'unknown',
      dataLakeAccessCheck,
      (h) => {
        delete h.ledger.data.steps['bootstrap.state']!.outputs.StateBucketName;
      },
      /dpf state bucket: bootstrap\.state has no StateBucketName output/,
    ],
    [
      'the only master stopped',
      'unknown',
      dataLakeAccessCheck,
      (h) => {
        h.platform.instances.find((i) => i.instanceId === 'i-0master')!.state = 'stopped';
      },
      /role master: no running master node to probe from \(i-0master stopped\)/,
    ],
    [
      'the dev node gone',
      'unknown',
      dataLakeAccessCheck,
      (h) => {
        h.platform.instances = h.platform.instances.filter((i) => i.instanceId !== 'i-0dev');
      },
      /role dev: the stacks created a dev node, but none is tagged dpf:env=dev any more/,
    ],
    [
      'a worker denied its own prefix',
      'fail',
      dataLakeAccessCheck,
      (h) => {
        h.platform.ssm.script('i-0worker1', {
          stdout: healthyOutput('i-0worker1', 'worker').replace(
            /(::dpf:begin put:[^\n]*raw\/_dpf-golive\/i-0worker1\.txt\n)"abc123"\n::dpf:end (\S+) rc=0/,
            '$1An error occurred (AccessDenied) when calling the PutObject operation: Access Denied\n::dpf:end $2 rc=254',
          ),
        });
      },
      /i-0worker1 \(worker\): cannot write s3:\/\/.*\/raw\/_dpf-golive\/i-0worker1\.txt \(AccessDenied\)/,
    ],
    [
      'the master able to read the ledger',
      'fail',
      dataLakeAccessCheck,
      (h) => {
        h.platform.ssm.script('i-0master', {
          stdout: healthyOutput('i-0master', 'master').replace(
            /(::dpf:begin get:[^\n]*ledger\/dev\/_dpf-golive-sentinel\.txt\n)[^\n]*\n::dpf:end (\S+) rc=254/,
            '$1{"ContentLength": 70}\n::dpf:end $2 rc=0',
          ),
        });
      },
      /i-0master \(master\): can read s3:\/\/.*\/ledger\/dev\/_dpf-golive-sentinel\.txt \(should be denied\)/,
    ],
    [
      'the bastion able to read the data lake',
      'fail',
      dataLakeAccessCheck,
      (h) => {
        h.platform.ssm.script('i-0bastion', {
          stdout: [section(`put:${LAKE}/raw/_dpf-golive/i-0bastion.txt`, ['"etag"'], 0), section(`get:${LAKE}/raw/_dpf-golive/i-0bastion.txt`, ['{}'], 0)].join(
            '\n',
          ),
        });
      },
      /can write s3:\/\/.*raw\/_dpf-golive\/i-0bastion\.txt \(should be denied\)/,
    ],
  ])('GIVEN %s WHEN the check runs THEN it says %s', async (_what, status, spec, mutate, summary) => {
    await mutate(h);
    const v = await h.check(spec);
    expect(v.status).toBe(status);
    expect(v.summary).toMatch(summary);
  });
});

describe('workers: configured by the deploy or by the association', () => {
  it('GIVEN workers configured by dpf deploy and no association run recorded yet THEN they count as configured', async () => {
    await h.ledger.updateStep(
      'identity.configure-worker',
      'identity',
      { status: 'done', outputs: {}, evidence: { hosts: { 'i-0worker1': { status: 'Success' }, 'i-0worker2': { status: 'Success' } } } },
      h.clock.now(),
    );
    for (const w of ['i-0worker1', 'i-0worker2']) h.platform.ssm.clearAssociationStatus(w);
    const out = await h.check(workersCheck);
    expect(out.status).toBe('pass');
    expect((out.evidence.workers as Array<{ detail: string }>).map((w) => w.detail)).toEqual([
      'configured by dpf deploy (identity.configure-worker)',
      'configured by dpf deploy (identity.configure-worker)',
    ]);
  });

  it('GIVEN SSM cannot list association runs THEN unknown with the reason, never pass', async () => {
    h.platform.failOn('ssm.describeInstanceAssociationsStatus', Object.assign(new Error('not offered'), { name: 'NotImplementedByEndpoint' }));
    const out = await h.check(workersCheck);
    expect(out.status).toBe('unknown');
    expect(out.summary).toMatch(/DescribeInstanceAssociationsStatus \(which workers are configured\) could not be answered/);
  });
});

describe('data lake access: what the probes read and write', () => {
  it('GIVEN the check runs THEN every object a read probe reads was placed before the probes ran, so AccessDenied on it means "may not read"', async () => {
    const v = await h.check(dataLakeAccessCheck);
    expect(v.status).toBe('pass');
    const scripts = h.platform.ssm.sentCommands().map((c) => c.input.parameters.commands!.join('\n'));
    expect(scripts).toHaveLength(5); // bastion, master, dev, worker, identity
    const reads = [...new Set(scripts.flatMap((sc) => [...sc.matchAll(/aws s3api get-object --bucket (\S+) --key (\S+)/g)].map((m) => `${m[1]}/${m[2]}`)))];
    expect(reads.sort()).toEqual([...DATA_LAKE_PREFIXES.map((p) => `${LAKE}/${sentinelKey(p)}`), `${STATE}/ledger/dev/_dpf-golive-sentinel.txt`].sort());
    for (const r of reads) expect(await h.objects.exists(r.split('/')[0]!, r.slice(r.indexOf('/') + 1)), r).toBe(true);
    expect((v.evidence.roles as Array<{ role: string }>).map((r) => r.role)).toEqual(['bastion', 'master', 'dev', 'worker', 'identity']);
  });
  it('GIVEN the read-probe objects cannot be placed THEN unknown with the reason (a read of a missing key proves nothing)', async () => {
    h.objects.putText = async () => {
      throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    };
    const v = await h.check(dataLakeAccessCheck);
    expect(v.status).toBe('unknown');
    expect(v.summary).toMatch(/Placing the objects the read probes read .* could not be answered: Access Denied \(HTTP 403\)/);
    expect(h.platform.ssm.sentCommands()).toEqual([]);
  });
});

describe('identity provider iam', () => {
  it('GIVEN no running node THEN unknown, never "sessions on 0 node(s)"', async () => {
    h.cleanup();
    h = await checkHarness({ env: { identity: { provider: 'iam' } } });
    h.ledger.data.steps['identity.stack']!.outputs = { OperatorsGroupName: 'ops' };
    for (const i of h.platform.instances) i.state = 'stopped';
    const v = await h.check(directoryCheck);
    expect(v.status).toBe('unknown');
    expect(v.summary).toMatch(/Session Manager: no running node tagged dpf:env=dev to reach/);
  });
  it('GIVEN the operators group exists and every agent is online THEN the directory check passes without any host command', async () => {
    h.cleanup();
    h = await checkHarness({ env: { identity: { provider: 'iam' } } });
    h.ledger.data.steps['identity.stack']!.outputs = { OperatorsGroupName: 'dataplatform-dev-platform-operators' };
    const v = await h.check(directoryCheck);
    expect(v).toMatchObject({ status: 'pass' });
    expect(v.summary).toMatch(/dataplatform-dev-platform-operators can start Session Manager sessions/);
    expect(h.platform.ssm.sentCommands()).toEqual([]);
  });
  it('GIVEN SSM cannot describe instances THEN unknown, never pass', async () => {
    h.cleanup();
    h = await checkHarness({ env: { identity: { provider: 'iam' } } });
    h.ledger.data.steps['identity.stack']!.outputs = { OperatorsGroupName: 'ops' };
    h.platform.failOn('ssm.describeInstanceInformation', new Error('not implemented'));
    expect((await h.check(directoryCheck)).status).toBe('unknown');
  });
});

describe('backup: the offer to start one', () => {
  const stale = (h: CheckHarness) => (h.platform.recoveryPoints['dataplatform-dev-vault'] = []);
  it('GIVEN no recovery point and an operator who says yes THEN an on-demand backup job is started and the check warns', async () => {
    stale(h);
    const v = await h.check(backupCheck);
    expect(v.status).toBe('warn');
    expect(h.io.questions[0]!.question).toMatch(/no completed recovery point.*Start an on-demand backup of arn:aws:elasticfilesystem:.*fs-0123abcd/);
    expect(h.platform.backupJobs).toEqual([
      { jobId: 'job-1', vault: 'dataplatform-dev-vault', resourceArn: h.efsArn, iamRoleArn: 'arn:aws:iam::111122223333:role/dataplatform-dev-backup' },
    ]);
    expect(v.summary).toMatch(/started backup job job-1/);
  });
  it('GIVEN no terminal THEN the check only reports', async () => {
    h.cleanup();
    h = await checkHarness({ answer: 'no-tty' });
    stale(h);
    const v = await h.check(backupCheck);
    expect(v.status).toBe('warn');
    expect(v.evidence.onDemandBackup).toMatchObject({ offered: true, started: false, reason: expect.stringMatching(/no terminal/) });
    expect(h.platform.backupJobs).toEqual([]);
  });
  it('GIVEN check mode THEN nothing is offered', async () => {
    stale(h);
    await h.check(backupCheck, false);
    expect(h.io.questions).toEqual([]);
  });
});

describe('against an emulator endpoint (placeholder account)', () => {
  const at = (url?: string) => ({ url, services: {} });
  it('GIVEN the emulator detection THEN it needs both a custom endpoint and a documentation account id', () => {
    expect(emulatorIn('123456789012', at('http://127.0.0.1:5000'))).toBe('http://127.0.0.1:5000');
    expect(emulatorIn('123456789012', at(undefined))).toBeUndefined();
    expect(emulatorIn('111122223333', at('https://vpce-123.ec2.us-west-2.vpce.amazonaws.com'))).toBeUndefined();
    expect(emulatorIn('123456789012', { services: { S3: 'http://127.0.0.1:5000' } })).toBe('custom endpoint');
  });
  it.each<[string, CheckSpec, (h: CheckHarness) => void]>([
    ['IMDSv2 not applied from the launch template', imdsCheck, (h) => (h.platform.instances[1]!.httpTokens = 'optional')],
    ['public access block ignored', publicAccessCheck, (h) => (h.platform.buckets[LAKE]!.publicAccessBlocked = false)],
    ['alarms skipped', alarmsCheck, (h) => (h.platform.alarms = [])],
    ['the subscription skipped', subscriptionCheck, (h) => (h.platform.subscriptions[TOPIC] = [])],
    ['no agent metrics', agentMetricsCheck, (h) => (h.platform.metrics = [])],
    ['an unencrypted default root volume', ebsEncryptionCheck, (h) => (h.platform.volumes[0]!.encrypted = false)],
    ['no backup plan output', backupCheck, (h) => delete h.ledger.data.steps['storage.stack']!.outputs.BackupPlanId],
  ])('GIVEN %s THEN the check is unknown with the emulator named, not fail', async (_what, spec, mutate) => {
    h.cleanup();
    h = await checkHarness({ accountId: '123456789012', settings: emulatorSettings('http://127.0.0.1:5000') });
    mutate(h);
    const v = await h.check(spec);
    expect(v.status).toBe('unknown');
    expect(v.summary).toMatch(/emulator \(http:\/\/127\.0\.0\.1:5000\)/);
  });
  it('GIVEN a real finding the emulator does answer (SSH open) THEN it still fails', async () => {
    h.cleanup();
    h = await checkHarness({ accountId: '123456789012', settings: emulatorSettings('http://127.0.0.1:5000') });
    h.platform.securityGroups[0]!.ingress[0]!.cidrs = ['0.0.0.0/0'];
    expect((await h.check(sshExposureCheck)).status).toBe('fail');
  });
});

describe('helpers', () => {
  it('GIVEN the bundled monitoring template THEN every alarm name is derived from ProjectName/EnvName', () => {
    const names = templateAlarmNames(loadTemplate('monitoring').template, 'dataplatform', 'dev');
    expect(names.length).toBeGreaterThanOrEqual(15);
    expect(names).toContain('dataplatform-dev-master-cpu-high');
    expect(names.every((n) => n.startsWith('dataplatform-dev-'))).toBe(true);
    expect(ALARMS.every((a) => names.includes(a))).toBe(true);
  });
  it('GIVEN drift detection that takes a while THEN it is polled until complete', async () => {
    const clock = new FakeClock().autoAdvance();
    const cfn = new FakeCloudFormation({ clock, driftDetectionMs: 7000 });
    cfn.seedStack({ stackName: 's', templateBody: JSON.stringify({ Resources: { A: { Type: 'AWS::SSM::Parameter', Properties: {} } } }) });
    cfn.setDrift('s', 'DRIFTED');
    const r = await detectDrift(cfn, 's', { clock, signal: new AbortController().signal, pollMs: 1000 });
    expect(r.drift).toBe('DRIFTED');
    expect(cfn.calls.filter((c) => c.op === 'describeStackDriftDetectionStatus').length).toBeGreaterThan(2);
  });
  it('GIVEN drift detection that never ends THEN unknown after the timeout', async () => {
    const clock = new FakeClock().autoAdvance();
    const cfn = new FakeCloudFormation({ clock, driftDetectionMs: 10 * 60_000 });
    cfn.seedStack({ stackName: 's', templateBody: JSON.stringify({ Resources: { A: { Type: 'AWS::SSM::Parameter', Properties: {} } } }) });
    const r = await detectDrift(cfn, 's', { clock, signal: new AbortController().signal, pollMs: 1000, timeoutMs: 60_000 });
    expect(r).toMatchObject({ drift: 'UNKNOWN', reason: 'drift detection still running after 60 s' });
  });
});
