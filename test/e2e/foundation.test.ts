/**
 * The foundation, end to end: the built bin/dpf against the emulator.
 * (a) init → deploy bootstrap → status done; (b) kill -9 mid-step, rerun completes with no
 * second stack; (c) two deploys at once; (d) invalid config: exit 2, every field named, no
 * AWS call; (e) confirmation needed without a TTY: clear error, exit 6, no hang.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, readFileSync, cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, ListStacksCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { S3Client, GetBucketVersioningCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { startEmulator, dpf, dpfBackground, waitForEvent, workdir, readLedger, sdkConfig, type Emulator } from './harness.js';

let em: Emulator;
beforeAll(async () => {
  em = await startEmulator();
});
afterAll(async () => {
  await em?.stop();
});

async function liveStacks(name: string) {
  const cfn = new CloudFormationClient(sdkConfig(em));
  const r = await cfn.send(new ListStacksCommand({}));
  return (r.StackSummaries ?? []).filter((s) => s.StackName === name && s.StackStatus !== 'DELETE_COMPLETE');
}

describe('GIVEN a fresh directory and the emulator', () => {
  it('(a) WHEN init, deploy --phase bootstrap and status run THEN bootstrap is done, in AWS and in status --json', async () => {
    const dir = workdir();
    const init = await dpf(em, ['init', '--env', 'e2ea', '--defaults', '--yes'], { cwd: dir });
    expect(init.code, init.all).toBe(0);
    expect(existsSync(path.join(dir, 'dpf.config.yaml'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'dpf.schema.json'), 'utf8')).properties.environments).toBeDefined();

    const calls = em.requestCount();
    const deploy = await dpf(em, ['deploy', '--env', 'e2ea', '--phase', 'bootstrap', '--yes'], { cwd: dir });
    expect(deploy.code, deploy.all).toBe(0);
    expect(em.requestCount()).toBeGreaterThan(calls + 5); // the request counter sees real calls (used by (d))
    // CI sees progress as plain, timestamped lines.
    expect(deploy.stderr).toMatch(/\d\d:\d\d:\d\d bootstrap\.state\s+▶/);
    // Under --yes the new stack is made with CreateStack: what it creates is listed first.
    expect(deploy.stderr).toMatch(/to create in dataplatform-e2ea-bootstrap/);

    const status = await dpf(em, ['status', '--env', 'e2ea', '--json'], { cwd: dir });
    expect(status.code, status.all).toBe(0);
    const doc = JSON.parse(status.stdout);
    expect(doc.env).toBe('e2ea');
    const boot = doc.phases.find((p: any) => p.id === 'bootstrap');
    expect(boot.status).toBe('done');
    expect(boot.steps[0]).toMatchObject({ id: 'bootstrap.state', status: 'done' });
    expect(Date.parse(boot.steps[0].startedAt)).toBeLessThanOrEqual(Date.parse(boot.steps[0].finishedAt));
    expect(boot.steps[0].stack.status).toBe('CREATE_COMPLETE');

    // Checked through the AWS APIs, not the ledger: the state bucket is versioned, the lock table exists,
    // and the ledger is mirrored into the bucket.
    const bucket = 'dataplatform-e2ea-dpf-state-123456789012';
    const s3 = new S3Client(sdkConfig(em));
    // (moto ignores VersioningConfiguration in templates — AWS-EMULATOR-NOTES.md; test/templates/bootstrap.test.ts covers it.)
    await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ledger/e2ea/ledger.json' }));
    const ddb = new DynamoDBClient(sdkConfig(em));
    const table = await ddb.send(new DescribeTableCommand({ TableName: 'dataplatform-e2ea-dpf-lock' }));
    expect(table.Table?.KeySchema?.[0]?.AttributeName).toBe('lockId');

    // A rerun is a verified no-op.
    const again = await dpf(em, ['deploy', '--env', 'e2ea', '--phase', 'bootstrap', '--yes', '--json'], { cwd: dir });
    expect(again.code, again.all).toBe(0);
    const events = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.find((e) => e.type === 'step-skipped')?.stepId).toBe('bootstrap.state');
    expect(events.at(-1)).toMatchObject({ type: 'run-done', status: 'done' });
  });

  it('(b) WHEN dpf is killed with SIGKILL while a step runs THEN a rerun reconciles it: done, one stack, ledger intact', async () => {
    const dir = workdir();
    expect((await dpf(em, ['init', '--env', 'e2eb', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const child = dpfBackground(em, ['deploy', '--env', 'e2eb', '--phase', 'bootstrap', '--yes', '--json'], {
      cwd: dir,
      env: { DPF_TEST_HOLD_STEP: 'bootstrap.state' },
    });
    await waitForEvent(child, (e) => e.type === 'step-progress' && String(e.message).includes('test hook'));
    child.kill('SIGKILL');
    await child;
    const mid = readLedger(dir, 'e2eb');
    expect(mid.steps['bootstrap.state'].status).toBe('running');
    // Under --yes a new stack is made with CreateStack: its token, then its id, are in the ledger before the hold.
    expect(mid.steps['bootstrap.state'].evidence).toMatchObject({
      createToken: expect.any(String),
      stackId: expect.stringContaining(':stack/dataplatform-e2eb-bootstrap/'),
    });
    expect(existsSync(path.join(dir, '.dpf', 'e2eb', 'lock.json'))).toBe(true); // left behind by the dead process

    const rerun = await dpf(em, ['deploy', '--env', 'e2eb', '--phase', 'bootstrap', '--yes'], { cwd: dir });
    expect(rerun.code, rerun.all).toBe(0);
    expect(rerun.stderr).toMatch(/stale lock/i);
    expect(rerun.stderr).toMatch(/reconcil/i);
    const after = readLedger(dir, 'e2eb');
    expect(after.steps['bootstrap.state'].status).toBe('done');
    expect(after.steps['bootstrap.state'].outputs.StateBucketName).toBe('dataplatform-e2eb-dpf-state-123456789012');
    expect(after.revision).toBeGreaterThan(mid.revision);
    expect(await liveStacks('dataplatform-e2eb-bootstrap')).toHaveLength(1);
    expect(readdirSync(path.join(dir, '.dpf', 'e2eb')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('(c) WHEN two deploys run at once on one environment THEN one proceeds and the other fails fast naming the holder', async () => {
    const dir = workdir();
    expect((await dpf(em, ['init', '--env', 'e2ec', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    // Before bootstrap: the local lock file serves.
    const first = dpfBackground(em, ['deploy', '--env', 'e2ec', '--phase', 'bootstrap', '--yes', '--json'], {
      cwd: dir,
      env: { DPF_TEST_HOLD_STEP_START: 'bootstrap.state', DPF_TEST_HOLD_MS: '4000' },
    });
    await waitForEvent(first, (e) => e.type === 'step-progress' && String(e.message).includes('test hook'));
    const t0 = Date.now();
    const second = await dpf(em, ['deploy', '--env', 'e2ec', '--phase', 'bootstrap', '--yes'], { cwd: dir });
    expect(Date.now() - t0).toBeLessThan(15000);
    expect(second.code, second.all).toBe(4);
    expect(second.stderr).toMatch(/locked by arn:aws:sts::123456789012:user\/\S+ on \S+ \(pid \d+\) running "deploy --phase bootstrap"/);
    expect(second.stderr).toMatch(/dpf unlock --env e2ec/);
    const r1 = await first;
    expect(r1.exitCode, String(r1.stderr)).toBe(0);

    // After bootstrap: a second operator elsewhere (own directory, no local ledger) meets the DynamoDB lease.
    const other = workdir();
    cpSync(path.join(dir, 'dpf.config.yaml'), path.join(other, 'dpf.config.yaml'));
    // Held long enough for the second operator's process (node start, STS, S3, DynamoDB) to reach
    // the lease even on a loaded machine: with 4 s it sometimes arrived after the holder had finished.
    const holder = dpfBackground(em, ['deploy', '--env', 'e2ec', '--phase', 'bootstrap', '--yes', '--json', '--force'], {
      cwd: dir,
      env: { DPF_TEST_HOLD_STEP_START: 'bootstrap.state', DPF_TEST_HOLD_MS: '10000' },
    });
    await waitForEvent(holder, (e) => e.type === 'step-progress' && String(e.message).includes('test hook'));
    const blocked = await dpf(em, ['deploy', '--env', 'e2ec', '--yes'], { cwd: other });
    expect(blocked.code, blocked.all).toBe(4);
    expect(blocked.stderr).toMatch(/DynamoDB table dataplatform-e2ec-dpf-lock/);
    expect((await holder).exitCode).toBe(0);
  });

  it('(d) WHEN the config is invalid THEN exit 2, every bad field is named, and no AWS call is made', async () => {
    const dir = workdir();
    writeFileSync(
      path.join(dir, 'dpf.config.yaml'),
      [
        'version: 1',
        'project: dataplatform',
        'environments:',
        '  bad:',
        '    availabilityZones: [us-west-2a, us-west-2a, us-west-2c]',
        '    network:',
        '      vpcCidr: 10.0.0.0/16',
        '      flowLogRetentionDays: 13',
        '      adminCidrs: [0.0.0.0/0]',
        '      subnets:',
        '        private: [10.0.11.0/24, 10.0.11.0/24, 10.1.13.0/24]',
        '    compute:',
        '      workers: { min: 5, max: 3, desired: 4 }',
        '    monitoring: { alarmEmail: not-an-email, cpuCriticalPercent: 150 }',
      ].join('\n'),
    );
    const before = em.requestCount();
    const r = await dpf(em, ['deploy', '--env', 'bad', '--yes'], { cwd: dir });
    expect(r.code, r.all).toBe(2);
    for (const field of [
      'environments.bad.availabilityZones[1]',
      'environments.bad.network.flowLogRetentionDays',
      'environments.bad.network.adminCidrs[0]',
      'environments.bad.network.subnets.private[1]',
      'environments.bad.network.subnets.private[2]',
      'environments.bad.compute.workers.min',
      'environments.bad.monitoring.alarmEmail',
      'environments.bad.monitoring.cpuCriticalPercent',
    ])
      expect(r.stderr).toContain(`${field}:`);
    expect(em.requestCount()).toBe(before);
    expect(existsSync(path.join(dir, '.dpf'))).toBe(false);

    const json = await dpf(em, ['deploy', '--env', 'bad', '--yes', '--json'], { cwd: dir });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout.trim().split('\n').at(-1)!).error.code).toBe('ConfigInvalid');
  });

  it('(e) WHEN a confirmation is needed without a TTY and without --yes THEN a clear error, exit 6, not a hang, nothing created', async () => {
    const dir = workdir();
    expect((await dpf(em, ['init', '--env', 'e2ee', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const t0 = Date.now();
    const r = await dpf(em, ['deploy', '--env', 'e2ee', '--phase', 'bootstrap'], { cwd: dir, timeout: 60000 });
    expect(Date.now() - t0).toBeLessThan(30000);
    expect(r.code, r.all).toBe(6);
    expect(r.stderr).toMatch(/no terminal to ask on/);
    expect(r.stderr).toMatch(/--yes/);
    expect(await liveStacks('dataplatform-e2ee-bootstrap')).toHaveLength(0);
    const cfn = new CloudFormationClient(sdkConfig(em));
    await expect(cfn.send(new DescribeStacksCommand({ StackName: 'dataplatform-e2ee-bootstrap' }))).rejects.toThrow(/does not exist/);
    // ...and the lock was released: unlock finds nothing.
    const un = await dpf(em, ['unlock', '--env', 'e2ee', '--yes'], { cwd: dir });
    expect(un.code).toBe(0);
    expect(un.stdout).toMatch(/not locked/);
  });
});
