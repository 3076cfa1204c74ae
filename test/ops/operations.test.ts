/**
 * The day-2 commands end to end on fakes (FakeRds, FakeBackup, FakeEc2, FakeSsm, FakeClock):
 * the behaviour the emulator cannot show — timeouts, failing gates, interruption, RPO misses,
 * the change rules.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { world, healthy, HOSTS, WORKERS, type World, fails } from './helpers.js';
import { runPatch } from '../../src/commands/patch.js';
import { runRestoreDb, runRestoreFs } from '../../src/commands/restore.js';
import { runDrDrill } from '../../src/commands/dr-drill.js';
import { runBackup } from '../../src/commands/backup.js';
import { runDestroy } from '../../src/commands/destroy.js';
import { ExitCode } from '../../src/errors.js';
import { operationsOf } from '../../src/ops/operation.js';

let w: World;
afterEach(() => w?.cleanup());

describe('dpf patch', () => {
  it('GIVEN the master reports sshd failed after its wave WHEN patching THEN the gate halts with the host, the reason and the AMI; workers are untouched', async () => {
    w = world();
    healthy(w);
    w.ssm.script(HOSTS.master, { stdout: 'dpf-svc amazon-ssm-agent=active\ndpf-svc sshd=failed\ndpf-svc chronyd=active' }, { document: 'AWS-RunShellScript' });
    const err = await fails(runPatch({}, w.ctx()));
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.code).toBe('HealthGateFailed');
    const line = err.details.find((d) => d.includes(HOSTS.master))!;
    expect(line).toMatch(/i-master \(master\): services: not active: sshd=failed; roll back to ami-\d+/);
    const images = w.ec2.calls.filter((c) => c.op === 'createImage').map((c) => c.input as { instanceId: string; noReboot: boolean });
    expect(images.map((i) => i.instanceId).sort()).toEqual([HOSTS.bastion, HOSTS.dev, HOSTS.master].sort());
    expect(images.every((i) => i.noReboot)).toBe(true);
    const sent = w.ssm.sentCommands().filter((c) => c.input.documentName === 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks');
    expect(sent.map((c) => c.targets)).toEqual([[HOSTS.bastion], [HOSTS.master, HOSTS.dev]]);
    expect(sent[0]!.input.parameters.PlaybookFile).toEqual(['patch.yml']);
    const l = await w.ledger();
    expect(l.get('operations.patch.master-dev.gate')?.status).toBe('failed');
    expect(l.get('operations.patch.workers')).toBeUndefined();
    expect(operationsOf(l.data).at(-1)).toMatchObject({ kind: 'patch', status: 'failed' });

    // WHEN the host is fixed and the command rerun THEN it resumes at the gate and finishes the workers (rolling, by tag).
    w.ssm.clearScripts();
    healthy(w);
    await runPatch({}, w.ctx());
    const all = w.ssm.sentCommands().filter((c) => c.input.documentName === 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks');
    expect(all).toHaveLength(3);
    expect(all[2]!.input.targets).toEqual({ 'dpf:env': ['dev'], 'dpf:role': ['worker'] });
    expect(all[2]!.input).toMatchObject({ maxConcurrency: '50%', maxErrors: '1' });
    expect(all[2]!.targets.sort()).toEqual(WORKERS);
    expect(w.ec2.calls.filter((c) => c.op === 'createImage')).toHaveLength(3); // recovery point not taken twice
    expect(operationsOf((await w.ledger()).data).at(-1)).toMatchObject({ kind: 'patch', status: 'done' });
  });

  it('GIVEN the playbook schedules a reboot on the master THEN dpf waits for it to come back to SSM before the gate', async () => {
    w = world();
    healthy(w);
    w.ssm.script(
      HOSTS.master,
      { stdout: 'ok: 2 package(s) updated; running kernel 6.1.1, next boot 6.1.2; reboot: yes' },
      { document: 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks' },
    );
    await runPatch({ wave: 'master-dev' }, w.ctx());
    const l = await w.ledger();
    const wave = l.get('operations.patch.master-dev')!;
    expect(wave.evidence).toMatchObject({ rebooted: [HOSTS.master], rebootWait: 'back online' });
    const sent = new Date(String(l.get('operations.patch.master-dev')!.evidence.sentAt)).getTime();
    const waited = w.ssm.callsOf('describeInstanceInformation').find((c) => (c.input as { instanceIds?: string[] }).instanceIds?.join() === HOSTS.master)!;
    expect(waited.at.getTime() - sent).toBeGreaterThanOrEqual(75_000); // shutdown -r +1, then back
    const info = w.ssm.callsOf('describeInstanceInformation');
    expect((info.at(-1)!.input as { instanceIds: string[] }).instanceIds.sort()).toEqual([HOSTS.dev, HOSTS.master].sort()); // the gate, after the wait
    expect(info.indexOf(waited)).toBeLessThan(info.length - 1);
  });

  it('GIVEN SSM cannot tell the health (no output) THEN the gate fails unless --accept-unknown-health', async () => {
    w = world();
    const err = await fails(runPatch({ wave: 'bastion' }, w.ctx()));
    expect(err.code).toBe('HealthGateFailed');
    expect(err.hint).toContain('--accept-unknown-health');
    await runPatch({ wave: 'bastion', acceptUnknownHealth: true }, w.ctx());
    const gate = (await w.ledger()).get('operations.patch.bastion.gate')!;
    expect(gate.status).toBe('done');
    expect((gate.evidence.accepted as unknown[]).length).toBeGreaterThan(0);
  });

  it('GIVEN rolling workers one at a time and a 15-min patch THEN the second worker is still delivered (the delivery timeout covers the batch before it)', async () => {
    w = world();
    healthy(w);
    w.ssm.script(
      WORKERS[0]!,
      { stdout: 'ok: 3 package(s) updated; reboot: no', durationMs: 15 * 60_000 },
      { document: 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks' },
    );
    await runPatch({ wave: 'workers' }, w.ctx());
    const sent = w.ssm.sentCommands().find((c) => c.input.documentName === 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks')!;
    expect(sent.input.timeoutSeconds).toBe(600 + 3600); // two batches at 50 % of 2 hosts
    const hosts = (await w.ledger()).get('operations.patch.workers')!.evidence.hosts as Array<{ instanceId: string; status: string }>;
    expect(hosts.map((h) => h.status)).toEqual(['Success', 'Success']);
  });

  it('GIVEN patching.method patch-baseline and a 20-min install THEN dpf waits for AWS-RunPatchBaseline (its own 2 h timeout), not 11 min', async () => {
    w = world();
    writeFileSync(w.config, readFileSync(w.config, 'utf8').replace('  dev: {}', '  dev:\n    patching:\n      method: patch-baseline'));
    healthy(w);
    w.ssm.script(HOSTS.bastion, { stdout: 'Installed: 3', durationMs: 20 * 60_000 }, { document: 'AWS-RunPatchBaseline' });
    await runPatch({ wave: 'bastion' }, w.ctx());
    const wave = (await w.ledger()).get('operations.patch.bastion')!;
    expect(wave.status).toBe('done');
    expect((wave.evidence.hosts as Array<{ status: string }>)[0]!.status).toBe('Success');
    expect(w.ssm.sentCommands()[0]!.input).toMatchObject({ documentName: 'AWS-RunPatchBaseline', parameters: { Operation: ['Install'] } });
  });

  it('GIVEN prod on a Wednesday THEN patching is refused (exit 8) with the next window', async () => {
    w = world({ envs: ['prod', 'staging'], start: '2025-01-08T12:00:00Z' });
    const err = await fails(runPatch({}, w.ctx({ env: 'prod' })));
    expect(err.exitCode).toBe(ExitCode.Blocked);
    expect(err.message).toMatch(/outside its maintenance window.*2025-01-11T02:00:00.000Z/);
    expect(w.ssm.sentCommands()).toHaveLength(0);
  });

  it('GIVEN prod inside the window but staging never patched THEN refused; once staging is patched THEN allowed', async () => {
    w = world({ envs: ['prod', 'staging'] });
    healthy(w, 'prod');
    healthy(w, 'staging');
    const err = await fails(runPatch({}, w.ctx({ env: 'prod' })));
    expect(err.exitCode).toBe(ExitCode.Blocked);
    expect(err.message).toMatch(/staging has no successful full patch/);
    expect(err.hint).toContain('dpf patch --env staging');
    await runPatch({}, w.ctx({ env: 'staging' }));
    await runPatch({}, w.ctx({ env: 'prod' }));
    expect(operationsOf((await w.ledger('prod')).data).at(-1)).toMatchObject({ kind: 'patch', status: 'done' });
  });

  it('GIVEN no local staging ledger THEN the staging rule reads its state-bucket mirror', async () => {
    w = world({ envs: ['prod', 'staging'] });
    healthy(w, 'prod');
    healthy(w, 'staging');
    await runPatch({}, w.ctx({ env: 'staging' }));
    const staging = readFileSync(`${w.dir}/.dpf/staging/ledger.json`, 'utf8');
    rmSync(`${w.dir}/.dpf/staging`, { recursive: true });
    await w.objects.putText('dataplatform-staging-dpf-state-123456789012', 'ledger/staging/ledger.json', staging);
    await runPatch({}, w.ctx({ env: 'prod' }));
    const op = operationsOf((await w.ledger('prod')).data).at(-1)!;
    expect((op.params.rules as string[]).join(' ')).toMatch(/staging was patched successfully .* within 7 day/);
  });

  it('GIVEN prod outside the window WHEN --emergency "reason" THEN it runs and the reason is in the ledger', async () => {
    w = world({ envs: ['prod'], start: '2025-01-08T12:00:00Z' });
    healthy(w, 'prod');
    await runPatch({ emergency: 'CVE-2025-1234 in openssh' }, w.ctx({ env: 'prod' }));
    const op = operationsOf((await w.ledger('prod')).data).at(-1)!;
    expect(op).toMatchObject({ kind: 'patch', status: 'done', params: { emergency: 'CVE-2025-1234 in openssh' } });
    expect((op.params.rules as string[]).join(' ')).toMatch(/EMERGENCY change overrides maintenance-window and staging-first/);
    expect(w.io.ofType('warning').some((e) => e.message.includes('EMERGENCY'))).toBe(true);
  });
});

describe('operations in the ledger', () => {
  it('GIVEN a finished backup WHEN run again THEN a new operation runs every step again; both are in the history', async () => {
    w = world();
    await runBackup({}, w.ctx());
    await w.clock.advance(60_000);
    await runBackup({}, w.ctx());
    const l = await w.ledger();
    const ops = operationsOf(l.data).filter((o) => o.kind === 'backup');
    expect(ops.map((o) => o.status)).toEqual(['done', 'done']);
    expect(ops[0]!.id).not.toBe(ops[1]!.id);
    expect(w.rds.calls.filter((c) => c.op === 'createSnapshot')).toHaveLength(2);
    expect(l.get('operations.backup.rds-snapshot')?.scope).toBe(ops[1]!.id);
  });

  it('GIVEN an unfinished patch WHEN rerun with other options THEN refused; --new abandons it', async () => {
    w = world();
    await fails(runPatch({ wave: 'bastion' }, w.ctx()));
    const err = await fails(runPatch({ wave: 'workers' }, w.ctx()));
    expect(err.code).toBe('OperationUnfinished');
    expect(err.hint).toContain('--new');
    await fails(runPatch({ wave: 'workers', new: true }, w.ctx()));
    const ops = operationsOf((await w.ledger()).data);
    expect(ops.map((o) => o.status)).toEqual(['abandoned', 'failed']);
  });

  it('GIVEN --dry-run THEN each host is scanned in Check mode and its pending updates listed; nothing is imaged', async () => {
    w = world();
    w.ssm.script('*', { stdout: 'ok: 4 package(s) updated; running kernel 6.1' }, { document: 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks', check: true });
    await runPatch({ dryRun: true }, w.ctx({ json: true }));
    const r = JSON.parse(w.out.at(-1)!);
    expect(r.hosts).toHaveLength(5);
    expect(r.hosts.every((h: { pending: number }) => h.pending === 4)).toBe(true);
    expect(w.ssm.sentCommands().every((c) => c.input.parameters.Check?.[0] === 'True')).toBe(true);
    expect(w.ec2.calls.filter((c) => c.op === 'createImage')).toHaveLength(0);
  });
});

describe('dpf restore db', () => {
  it('GIVEN a restore that never becomes available WHEN the timeout passes THEN it fails with RestoreTimedOut and a rerun keeps waiting on the same copy', async () => {
    w = world();
    w.rds.stuck.add('*');
    const err = await fails(runRestoreDb({ latest: true, timeoutMinutes: 30 }, w.ctx()));
    expect(err.code).toBe('RestoreTimedOut');
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.details.join('\n')).toMatch(/dataplatform-dev-metadata-restore-\d{14} is still creating after 30 min/);
    expect(err.hint).toMatch(/Keep waiting: dpf restore db --latest --env dev/);
    w.rds.stuck.clear();
    await runRestoreDb({ latest: true }, w.ctx());
    expect(w.rds.calls.filter((c) => c.op === 'restoreToPointInTime')).toHaveLength(1);
    const restored = w.rds.calls.find((c) => c.op === 'restoreToPointInTime')!.input as Record<string, unknown>;
    expect(restored).toMatchObject({ subnetGroup: 'dbsubnets', securityGroupIds: ['sg-db'], parameterGroup: 'dbparams', useLatestRestorableTime: true });
    expect(w.out.join('\n')).toContain('Not promoted');
  });

  it('GIVEN --promote THEN the endpoint parameter is switched after the confirmation, the old value kept', async () => {
    w = world();
    await w.ssm.putParameter('/dataplatform/dev/rds/endpoint', 'old.endpoint', false);
    await runRestoreDb({ latest: true, promote: true }, w.ctx());
    expect(w.io.questions.some((q) => q.question.includes('/dataplatform/dev/rds/endpoint'))).toBe(true);
    expect(await w.ssm.getParameter('/dataplatform/dev/rds/endpoint')).toMatch(/restore-\d{14}\.fake/);
    const l = await w.ledger();
    expect(l.get('operations.restore.db-promote')?.evidence).toMatchObject({ previous: 'old.endpoint' });
  });
});

describe('dpf restore fs', () => {
  it('GIVEN a recovery point THEN a new encrypted file system is restored with the data key; --promote is refused while it has no mount targets', async () => {
    w = world();
    const rp = w.backup.addRecoveryPoint({
      created: new Date('2025-01-03T05:00:00Z'),
      resourceArn: 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main',
      vault: 'dataplatform-dev-vault',
    });
    const err = await fails(runRestoreFs({ recoveryPoint: rp, promote: true }, w.ctx()));
    expect(err.code).toBe('PromoteNoMountTargets');
    expect(err.hint).toContain('aws efs create-mount-target --file-system-id fs-restored1 --subnet-id subnet-p1 --security-groups sg-efs');
    const call = w.backup.calls.find((c) => c.op === 'startRestoreJob')!.input as { metadata: Record<string, string>; resourceType: string };
    expect(call).toMatchObject({
      resourceType: 'EFS',
      metadata: { newFileSystem: 'true', Encrypted: 'true', KmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/k1', 'file-system-id': 'fs-main' },
    });
    expect((await w.ledger()).get('operations.restore.fs-validate')?.status).toBe('done');
    expect(await w.ssm.getParameter('/dataplatform/dev/efs/file-system-id')).toBeUndefined();
  });
});

describe('dpf restore fs: --recovery-point', () => {
  it('GIVEN an ARN that is not an AWS Backup recovery point THEN refused before anything starts (exit 2)', async () => {
    w = world();
    for (const bad of ['arn:aws:s3:::dataplatform-dev-datalake', 'arn:aws:rds:us-west-2:123456789012:snapshot:s1', 'rp-1']) {
      const err = await fails(runRestoreFs({ recoveryPoint: bad }, w.ctx()));
      expect(err.code).toBe('BadRecoveryPoint');
      expect(err.exitCode).toBe(ExitCode.Usage);
    }
    expect(w.backup.calls).toEqual([]);
  });
});

describe('dpf dr-drill', () => {
  const drillCtx = () => w.ctx({ json: true });

  it('GIVEN the source lags 20 min WHEN drilling THEN the database misses its 15 min RPO and the report says so', async () => {
    w = world();
    w.rds.lagMs = 20 * 60_000;
    w.backup.addRecoveryPoint({
      created: new Date('2025-01-03T05:00:00Z'),
      resourceArn: 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main',
      vault: 'dataplatform-dev-vault',
    });
    await runDrDrill({}, drillCtx());
    const r = JSON.parse(w.out.at(-1)!);
    expect(r.type).toBe('result');
    expect(r.passed).toBe(false);
    const db = r.stores.find((s: { name: string }) => s.name === 'database');
    expect(db).toMatchObject({ passed: false, rpoPassed: false, rpoTargetSeconds: 900 });
    expect(db.rpoSeconds).toBeGreaterThan(19 * 60); // lag at restore time, minus the seconds the drill took to get there
    expect(r.verdict).toMatch(/NOT PASSED: database: RPO 19m \d+s exceeds the target 15m/);
    const fs = r.stores.find((s: { name: string }) => s.name === 'fileSystem');
    expect(fs).toMatchObject({ passed: true, rpoTargetSeconds: 86400 });
    expect(readFileSync(r.report, 'utf8')).toContain('MISSED');
    expect(existsSync(r.reportJson)).toBe(true);
    expect(w.objects.puts.some((p) => p.key.startsWith('reports/dev/dr-drill-'))).toBe(true);
    // isolation: own group, egress revoked, no ingress ever granted
    expect(w.ec2.calls.some((c) => c.op === 'revokeAllEgress')).toBe(true);
    expect(w.rds.calls.find((c) => c.op === 'restoreToPointInTime')!.input).toMatchObject({
      subnetGroup: 'dbsubnets',
      parameterGroup: 'dbparams',
      useLatestRestorableTime: true,
    });
    // torn down
    expect(w.rds.instanceIds()).toEqual(['dataplatform-dev-metadata']);
    expect(w.ec2.groups.size).toBe(0);
    expect([...w.efs.fileSystems.keys()]).toEqual(['fs-main']);
  });

  it('GIVEN a drill interrupted while restoring WHEN rerun THEN it resumes the same drill, measures it and tears it down', async () => {
    w = world();
    w.rds.restoreMs = 10 * 60_000;
    w.io.onEvent = (e) => {
      if (e.type === 'step-progress' && e.stepId === 'operations.drill.restore-db' && e.message.endsWith(': creating')) w.abort.abort();
    };
    const err = await fails(runDrDrill({}, drillCtx()));
    expect(err.exitCode).toBe(ExitCode.Interrupted);
    let l = await w.ledger();
    const op = operationsOf(l.data).at(-1)!;
    expect(op).toMatchObject({ kind: 'dr-drill', status: 'interrupted' });
    expect(l.get('operations.drill.restore-db')?.status).toBe('running');
    expect(w.rds.instanceIds()).toHaveLength(2);

    w.io.onEvent = undefined;
    w.abort = new AbortController();
    await runDrDrill({}, drillCtx());
    l = await w.ledger();
    expect(operationsOf(l.data).at(-1)).toMatchObject({ id: op.id, status: 'done' });
    expect(w.rds.calls.filter((c) => c.op === 'restoreToPointInTime')).toHaveLength(1);
    expect(w.rds.instanceIds()).toEqual(['dataplatform-dev-metadata']);
    expect(w.ec2.groups.size).toBe(0);
    const r = JSON.parse(w.out.at(-1)!);
    expect(r.operationId).toBe(op.id);
    // SSM gave no output, so the canary write is unconfirmed: the database is measured (RTO and
    // RPO reported, within target) but not passed.
    expect(r.stores[0]).toMatchObject({
      name: 'database',
      passed: null,
      rtoPassed: true,
      rpoPassed: true,
      reason: expect.stringMatching(/^the canary could not be confirmed: /),
    });
    expect(r.stores[0].rtoSeconds).toBeGreaterThan(0);
    expect(r.stores[1]).toMatchObject({ name: 'fileSystem', passed: null });
    expect(r.passed).toBe(null);
  });

  it('GIVEN the source lags 3 min (RDS ships logs every ~5 min) THEN the restore waits until its latest restorable time passes the canary: the copy holds the canary, and the RPO is still measured from drill start', async () => {
    w = world();
    w.rds.lagMs = 3 * 60_000;
    w.backup.addRecoveryPoint({
      created: new Date('2025-01-03T05:00:00Z'),
      resourceArn: 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main',
      vault: 'dataplatform-dev-vault',
    });
    w.ssm.script('*', { stdout: 'dpf-canary-db=ok\ndpf-canary-fs=ok' }, { document: 'AWS-RunShellScript' });
    await runDrDrill({}, drillCtx());
    const r = JSON.parse(w.out.at(-1)!);
    const l = await w.ledger();
    const canaryAt = new Date(l.get('operations.drill.canary')!.outputs.CanaryAt!).getTime();
    const restorePoint = new Date(l.get('operations.drill.restore-db')!.outputs.RestorePoint!).getTime();
    expect(restorePoint).toBeGreaterThanOrEqual(canaryAt);
    expect(r.checks).toContainEqual(expect.objectContaining({ name: 'database: canary covered', status: 'ok' }));
    // RPO: what a disaster at drill start would have lost (the 3-minute lag), not the later restore point.
    expect(store(r, 'database').rpoSeconds).toBeGreaterThanOrEqual(170);
    expect(store(r, 'database').rpoSeconds).toBeLessThan(15 * 60);
    expect(store(r, 'database')).toMatchObject({ passed: true });
  });

  it('GIVEN the canary row is confirmed and the restore point covers it THEN the database store passes; unconfirmed it is "not measured", failed it fails', async () => {
    w = world();
    w.rds.lagMs = 0; // the source's latest restorable time is "now": the restore point covers the canary row
    w.backup.addRecoveryPoint({
      created: new Date('2025-01-03T05:00:00Z'),
      resourceArn: 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main',
      vault: 'dataplatform-dev-vault',
    });
    w.ssm.script('*', { stdout: 'dpf-canary-db=ok\ndpf-canary-fs=ok' }, { document: 'AWS-RunShellScript' });
    await runDrDrill({}, drillCtx());
    const r = JSON.parse(w.out.at(-1)!);
    expect(r.checks).toContainEqual(expect.objectContaining({ name: 'database: canary covered', status: 'ok' }));
    expect(store(r, 'database')).toMatchObject({ passed: true, rtoPassed: true, rpoPassed: true });
    expect(store(r, 'database').reason).toBeUndefined();
    expect(r.stores.map((s: { passed: unknown }) => s.passed)).toEqual([true, true]);
    expect(r.passed).toBe(true);
    expect(r.verdict).toMatch(/^PASSED/);

    // The same drill with the row not written: the store fails, and so does the drill.
    w.cleanup();
    w = world();
    w.backup.addRecoveryPoint({
      created: new Date('2025-01-03T05:00:00Z'),
      resourceArn: 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main',
      vault: 'dataplatform-dev-vault',
    });
    w.ssm.script('*', { stdout: 'dpf-canary-db=failed\ndpf-canary-fs=ok' }, { document: 'AWS-RunShellScript' });
    await runDrDrill({}, drillCtx());
    const f = JSON.parse(w.out.at(-1)!);
    expect(store(f, 'database')).toMatchObject({ passed: false, reason: expect.stringMatching(/canary covered \(the canary row could not be written\)/) });
    expect(f.passed).toBe(false);

    // And with no SSM output at all: not measured, with the reason, although within its targets.
    w.cleanup();
    w = world();
    w.backup.addRecoveryPoint({
      created: new Date('2025-01-03T05:00:00Z'),
      resourceArn: 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main',
      vault: 'dataplatform-dev-vault',
    });
    await runDrDrill({}, drillCtx());
    const u = JSON.parse(w.out.at(-1)!);
    expect(store(u, 'database')).toMatchObject({
      passed: null,
      rtoPassed: true,
      rpoPassed: true,
      reason: expect.stringMatching(/^the canary could not be confirmed: the canary write was not confirmed/),
    });
    expect(store(u, 'fileSystem').passed).toBe(true);
    expect(u.passed).toBe(null);
    expect(u.verdict).toMatch(/^NOT FULLY MEASURED \(not a pass\): database: the canary could not be confirmed/);
    expect(readFileSync(u.report, 'utf8')).toMatch(/## Not measured[\s\S]*\*\*database\*\*: the canary could not be confirmed/);
  });

  it('GIVEN a restore slower than the time cap THEN the drill aborts, tears down and reports why', async () => {
    w = world();
    w.rds.restoreMs = 3 * 3600_000; // cap is 120 min
    const err = await fails(runDrDrill({}, drillCtx()));
    expect(err.code).toBe('DrillAborted');
    expect(err.message).toMatch(/time cap of 120 min/);
    expect(w.rds.instanceIds()).toEqual(['dataplatform-dev-metadata']);
    expect(w.ec2.groups.size).toBe(0);
    const op = operationsOf((await w.ledger()).data).at(-1)!;
    expect(op).toMatchObject({ status: 'aborted' });
    expect((op.summary as { passed: unknown }).passed).toBe(false);
  });

  const withDrRegion = () => writeFileSync(w.config, readFileSync(w.config, 'utf8').replace('  dev: {}', '  dev:\n    recovery:\n      drRegion: us-east-1'));
  const store = (r: { stores: Array<{ name: string }> }, name: string) =>
    r.stores.find((s) => s.name === name) as Record<string, unknown> & { rtoSeconds: number; rpoSeconds: number; reason?: string };

  it('GIVEN scope full THEN the stacks are recreated in the DR region, the newest snapshot is copied there with the DR key and restored isolated, measured, and everything is deleted', async () => {
    w = world();
    withDrRegion();
    w.rds.addSnapshot('dataplatform-dev-metadata', 'nightly', new Date(w.clock.now().getTime() - 10 * 60_000));
    await runDrDrill({ scope: 'full' }, drillCtx());
    const r = JSON.parse(w.out.at(-1)!);
    const l = await w.ledger();
    const drOut = l.get('operations.drill.dr-region')!.outputs;
    // The stacks: created in the DR region's CloudFormation, under drill names, then deleted.
    expect(r.environment.stacks).toEqual([
      expect.stringMatching(/^dataplatform-dev-d\d{8}-network$/),
      expect.stringMatching(/^dataplatform-dev-d\d{8}-storage$/),
    ]);
    for (const s of r.environment.stacks) {
      expect(w.dr.cfn.calls.some((c) => c.op === 'createChangeSet' && (c.input as { stackName: string }).stackName === s)).toBe(true);
      expect(await w.dr.cfn.describeStack(s)).toBeUndefined();
    }
    expect(w.cfn.calls.some((c) => c.op === 'createChangeSet')).toBe(false); // nothing in the primary region
    // The data: the newest snapshot, by ARN, copied INTO us-east-1 with the DR storage stack's key…
    const copy = w.dr.rds.calls.find((c) => c.op === 'copySnapshot')!.input as { source: string; targetSnapshotId: string; kmsKeyId: string };
    expect(copy.source).toBe('arn:aws:rds:us-west-2:123456789012:snapshot:nightly');
    expect(copy.targetSnapshotId).toBe(`${r.drillName}-dr`);
    expect(copy.kmsKeyId).toBe(drOut.DataKmsKeyArn);
    // …restored into the DR network with the drill's own group there (no ingress, egress revoked).
    const sg = w.dr.ec2.calls.find((c) => c.op === 'createSecurityGroup')!.input as { vpcId: string; name: string };
    expect(sg).toMatchObject({ vpcId: drOut.VpcId, name: r.drillName });
    const restored = w.dr.rds.calls.find((c) => c.op === 'restoreFromSnapshot')!.input as Record<string, unknown>;
    expect(restored).toMatchObject({
      snapshotId: `${r.drillName}-dr`,
      targetIdentifier: `${r.drillName}-dr-db`,
      subnetGroup: drOut.DbSubnetGroupName,
      parameterGroup: drOut.DbParameterGroupName,
      multiAz: false,
    });
    expect(w.dr.ec2.calls.filter((c) => c.op === 'revokeAllEgress')).toHaveLength(1);
    // Measured: RPO = drill start − the source snapshot's creation (10 min); RTO to its validation.
    const dr = store(r, 'drDatabase');
    expect(dr).toMatchObject({ passed: true, rpoSeconds: 600, rtoTargetSeconds: 7200, rpoTargetSeconds: 900 });
    expect(dr.rtoSeconds).toBeGreaterThanOrEqual(180); // copy (120 s) + restore (60 s)
    expect(r.checks.filter((c: { name: string }) => c.name.startsWith('DR database:')).map((c: { status: string }) => c.status)).toEqual(
      expect.arrayContaining(['ok']),
    );
    expect(r.checks.filter((c: { name: string; status: string }) => c.name.startsWith('DR database:') && c.status !== 'ok')).toEqual([]);
    expect(r.environment).toMatchObject({ region: 'us-east-1', rtoTargetSeconds: 8 * 3600, passed: true });
    expect(r.environment.rtoSeconds).toBeGreaterThanOrEqual(dr.rtoSeconds);
    // Torn down: the DR database, the copy, the DR group and vault; the existing backup is kept; the key is named.
    expect(w.dr.rds.instanceIds()).toEqual([]);
    expect(w.dr.rds.snapshotIds()).toEqual([]);
    expect(w.dr.ec2.groups.size).toBe(0);
    expect(w.dr.backup.deletedVaults.has(drOut.BackupVaultName!)).toBe(true);
    expect(w.rds.snapshotIds()).toEqual(['nightly']);
    expect(r.teardown.deleted).toEqual(
      expect.arrayContaining([
        `RDS instance ${r.drillName}-dr-db in us-east-1`,
        `RDS snapshot ${r.drillName}-dr in us-east-1 (the cross-region copy)`,
        ...r.environment.stacks.map((s: string) => `stack ${s} in us-east-1`),
      ]),
    );
    expect(r.teardown.left).toEqual([
      expect.stringMatching(new RegExp(`^KMS key ${drOut.DataKmsKeyArn!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in us-east-1 .*schedule-key-deletion`)),
    ]);
    expect(readFileSync(r.report, 'utf8')).toMatch(/\| drDatabase \|/);
  });

  it('GIVEN scope full and slow DR stacks THEN the primary stores are validated without waiting for them (their RTO excludes the DR region)', async () => {
    // The fake works on one resource at a time, for creates and deletes alike: 15 s each makes the
    // DR stacks take over 30 min to create while the teardown (same durations) stays under its
    // one-hour deadline per stack (the network stack alone has over 120 resources; at 30 s it
    // took longer than the deadline to delete, which AWS, deleting in parallel, never would).
    // Deterministic: the fake clock does not move while the ledger is being written (it used to
    // run ahead during each write, by as much as the machine's load allowed).
    w = world({ drCfn: { defaultResourceMs: 15_000 } });
    withDrRegion();
    await runDrDrill({ scope: 'full' }, drillCtx());
    const r = JSON.parse(w.out.at(-1)!);
    const l = await w.ledger();
    const stacksDone = new Date(l.get('operations.drill.dr-region')!.outputs.CompletedAt!).getTime();
    const stacksSeconds = (stacksDone - new Date(r.startedAt).getTime()) / 1000;
    expect(stacksSeconds).toBeGreaterThan(30 * 60);
    // The primary copies were validated while the DR stacks were still being created.
    expect(new Date(l.get('operations.drill.validate')!.outputs.DbValidatedAt!).getTime()).toBeLessThan(stacksDone);
    expect(store(r, 'database').rtoSeconds).toBeLessThan(stacksSeconds);
    expect(store(r, 'drDatabase').rtoSeconds).toBeGreaterThan(stacksSeconds);
    expect(r.environment.rtoSeconds).toBeGreaterThan(stacksSeconds);
  });

  it('GIVEN no snapshot exists THEN a full drill takes one at its start, copies it, says the RPO is optimistic, and deletes it afterwards', async () => {
    w = world();
    withDrRegion();
    await runDrDrill({ scope: 'full' }, drillCtx());
    const r = JSON.parse(w.out.at(-1)!);
    expect(w.rds.calls.find((c) => c.op === 'createSnapshot')!.input).toMatchObject({
      instance: 'dataplatform-dev-metadata',
      snapshotId: `${r.drillName}-src`,
    });
    expect((w.dr.rds.calls.find((c) => c.op === 'copySnapshot')!.input as { source: string }).source).toBe(
      `arn:aws:rds:us-west-2:123456789012:snapshot:${r.drillName}-src`,
    );
    expect(r.notes.join(' ')).toMatch(/RPO is optimistic/);
    expect(w.rds.snapshotIds()).toEqual([]);
    expect(r.teardown.deleted).toContain(`RDS snapshot ${r.drillName}-src`);
  });

  it('GIVEN the endpoint cannot copy snapshots across regions THEN the DR-region database is "not measured" with the reason, never passed', async () => {
    w = world();
    withDrRegion();
    w.dr.rds.copyUnavailable = true;
    await runDrDrill({ scope: 'full' }, drillCtx());
    const r = JSON.parse(w.out.at(-1)!);
    const dr = store(r, 'drDatabase');
    expect(dr).toMatchObject({ passed: null, rtoSeconds: null });
    expect(dr.reason).toMatch(/CopyDBSnapshot into us-east-1 is not available/);
    expect(r.environment.passed).toBe(null);
    expect(r.environment.reason).toMatch(/database could not be restored there/);
    expect(r.passed).not.toBe(true);
    expect(r.verdict).toMatch(/drDatabase: .*CopyDBSnapshot/);
    expect(w.dr.ec2.groups.size).toBe(0); // the DR group it had made is deleted
  });

  it('GIVEN the copy fails in the DR region THEN the drill aborts, tears everything down (copy included) and the verdict names it', async () => {
    w = world();
    withDrRegion();
    w.dr.rds.failCopies = true;
    const err = await fails(runDrDrill({ scope: 'full' }, drillCtx()));
    expect(err.code).toBe('DrillAborted');
    expect(err.message).toMatch(/operations\.drill\.dr-data failed: .*is failed/);
    expect(w.dr.rds.snapshotIds()).toEqual([]);
    expect(w.dr.ec2.groups.size).toBe(0);
    const op = operationsOf((await w.ledger()).data).at(-1)!;
    expect((op.summary as { passed: unknown }).passed).toBe(false);
  });

  it('GIVEN an EFS restore job that completes without naming its file system THEN the drill fails it (it never validates another file system)', async () => {
    w = world();
    w.backup.addRecoveryPoint({
      created: new Date('2025-01-03T05:00:00Z'),
      resourceArn: 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main',
      vault: 'dataplatform-dev-vault',
    });
    w.backup.omitCreatedResource = true;
    const err = await fails(runDrDrill({}, drillCtx()));
    expect(err.code).toBe('DrillAborted');
    expect(err.message).toMatch(/without naming the new file system/);
    const op = operationsOf((await w.ledger()).data).at(-1)!;
    const fs = (op.summary as { stores: Array<{ name: string; passed: unknown }> }).stores.find((s) => s.name === 'fileSystem');
    expect(fs?.passed).not.toBe(true);
  });

  it('GIVEN --keep THEN the copies stay for inspection until --teardown removes them', async () => {
    w = world();
    await runDrDrill({ keep: true }, drillCtx());
    const r = JSON.parse(w.out.at(-1)!);
    expect(r.teardown.kept).toBe(true);
    expect(w.rds.instanceIds()).toHaveLength(2);
    expect(w.ec2.groups.size).toBe(1);
    await runDrDrill({ teardown: true }, drillCtx());
    expect(w.rds.instanceIds()).toEqual(['dataplatform-dev-metadata']);
    expect(w.ec2.groups.size).toBe(0);
    const op = operationsOf((await w.ledger()).data).at(-1)!;
    expect(op).toMatchObject({ id: r.operationId, status: 'done', summary: { kept: false } });
    expect((await fails(runDrDrill({ teardown: true }, drillCtx()))).code).toBe('NoDrillToTearDown');
  });

  it('GIVEN a drill interrupted while restoring WHEN resumed with --keep THEN the flag is honoured: the copies are kept', async () => {
    w = world();
    w.rds.restoreMs = 10 * 60_000;
    w.io.onEvent = (e) => {
      if (e.type === 'step-progress' && e.stepId === 'operations.drill.restore-db' && e.message.endsWith(': creating')) w.abort.abort();
    };
    await fails(runDrDrill({}, drillCtx()));
    w.io.onEvent = undefined;
    w.abort = new AbortController();
    await runDrDrill({ keep: true }, drillCtx());
    const r = JSON.parse(w.out.at(-1)!);
    expect(r.teardown.kept).toBe(true);
    expect(w.rds.instanceIds()).toHaveLength(2);
  });

  it('GIVEN a cost estimate above the cap THEN the drill is refused before anything starts (exit 8)', async () => {
    w = world();
    const cfg = readFileSync(w.config, 'utf8').replace('  dev: {}', '  dev:\n    recovery:\n      drill:\n        maxCostUsd: 0.01');
    writeFileSync(w.config, cfg);
    const err = await fails(runDrDrill({}, drillCtx()));
    expect(err.exitCode).toBe(ExitCode.Blocked);
    expect(w.rds.calls.some((c) => c.op === 'restoreToPointInTime')).toBe(false);
  });
});

describe('dpf destroy', () => {
  async function stacks(w: World) {
    const { deployStack } = await import('../../src/steps/stack-deployer.js');
    const deploy = (name: string, resources: Record<string, unknown>) =>
      deployStack(
        {
          stepId: 'x',
          stackName: `dataplatform-dev-${name}`,
          templateBody: JSON.stringify({ Resources: resources }),
          parameters: {},
          tags: { 'dpf:env': 'dev' },
          templateOutputs: {},
          changeSetName: `cs-${name}`,
        },
        { cfn: w.cfn, clock: w.clock, io: w.io, signal: w.abort.signal },
      );
    await deploy('network', { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } } });
    await deploy('compute', { Master: { Type: 'AWS::EC2::Instance', Properties: { ImageId: 'ami-1' } } });
    await deploy('storage', { Db: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceIdentifier: 'dataplatform-dev-metadata' } } });
  }

  it("GIVEN the IPA server published host keytabs THEN destroying identity deletes them at once, and only this environment's", async () => {
    w = world();
    await stacks(w);
    const { deployStack } = await import('../../src/steps/stack-deployer.js');
    await deployStack(
      {
        stepId: 'x',
        stackName: 'dataplatform-dev-identity',
        templateBody: JSON.stringify({ Resources: { Zone: { Type: 'AWS::Route53::HostedZone', Properties: { Name: 'dataplatform.internal' } } } }),
        parameters: {},
        tags: {},
        templateOutputs: {},
        changeSetName: 'cs-identity',
      },
      { cfn: w.cfn, clock: w.clock, io: w.io, signal: w.abort.signal },
    );
    w.secrets.put(
      'dataplatform/dev/freeipa/host-keytab/ip-10-0-11-10.dataplatform.internal',
      'dataplatform/dev/freeipa/host-keytab/ip-10-0-12-10.dataplatform.internal',
      'dataplatform/prod/freeipa/host-keytab/ip-10-1-11-10.dataplatform.internal',
      'dataplatform/dev/freeipa/admin',
    );
    // (The fake world keeps other resources, reported as left behind: not what this test is about.)
    await runDestroy({}, w.ctx()).catch(() => undefined);
    expect(w.secrets.deleted).toEqual([
      'dataplatform/dev/freeipa/host-keytab/ip-10-0-11-10.dataplatform.internal',
      'dataplatform/dev/freeipa/host-keytab/ip-10-0-12-10.dataplatform.internal',
    ]);
    expect([...w.secrets.names].sort()).toEqual([
      'dataplatform/dev/freeipa/admin',
      'dataplatform/prod/freeipa/host-keytab/ip-10-1-11-10.dataplatform.internal',
    ]);
    const l = await w.ledger();
    const step = Object.values(l.data.steps).find((x) => x.id === 'operations.destroy.identity')!;
    expect(step.evidence.deleted).toContain('secret dataplatform/dev/freeipa/host-keytab/ip-10-0-11-10.dataplatform.internal');
  });

  it('GIVEN the VPC cannot be deleted THEN destroy stops at network naming the resource; the data is snapshotted first; a rerun resumes and lists what leaked', async () => {
    w = world();
    await stacks(w);
    w.cfn.failDelete('dataplatform-dev-network', 'Vpc', 'The vpc has dependencies and cannot be deleted.');
    const err = await fails(runDestroy({}, w.ctx()));
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.details.join('\n')).toMatch(/stack dataplatform-dev-network is DELETE_FAILED[\s\S]*Vpc \(AWS::EC2::VPC\).*has dependencies/);
    let l = await w.ledger();
    expect(l.get('storage.stack')).toMatchObject({ status: 'pending', evidence: { destroyedAt: expect.any(String) } });
    expect(l.get('compute.stack')?.status).toBe('pending');
    expect(l.get('network.stack')?.status).toBe('done');
    expect(l.get('bootstrap.state')?.status).toBe('done');
    const snap = l.get('operations.destroy.final-snapshot')!.outputs.SnapshotId!;
    expect((await w.rds.describeSnapshots({ snapshotId: snap }))[0]?.status).toBe('available');
    expect(await w.cfn.describeStack('dataplatform-dev-storage')).toBeUndefined();

    // The operator removes the dependency by hand, but the VPC itself stays (a leak): rerun.
    w.cfn.clearFailures();
    w.ec2.vpcs.push({ vpcId: 'vpc-1', cidr: '10.0.0.0/16', tags: { 'dpf:env': 'dev', 'dpf:project': 'dataplatform' } });
    const again = await fails(runDestroy({}, w.ctx()));
    expect(again.code).toBe('DestroyIncomplete');
    expect(again.details).toEqual([expect.stringMatching(/^network: VPC vpc-1 \(10\.0\.0\.0\/16\) — still exists/), `kept: final snapshot ${snap}`]);
    l = await w.ledger();
    expect(l.get('network.stack')?.status).toBe('pending');
    expect(operationsOf(l.data).filter((o) => o.kind === 'destroy')).toHaveLength(1);
    expect(operationsOf(l.data).at(-1)).toMatchObject({ kind: 'destroy', status: 'done', summary: { leaked: ['VPC vpc-1 (10.0.0.0/16)'] } });
  });

  const CFN_SNAPSHOT = 'dataplatform-dev-storage-dbinstance-1a2b3c';
  /** What the fake CloudFormation does not do to the other fakes: deleting the instances, the group and the database (with DeletionPolicy Snapshot). */
  function stackDeletesResources(w: World) {
    w.io.onEvent = (e) => {
      if (e.type !== 'step-progress') return;
      if (e.message.startsWith('deleting stack dataplatform-dev-compute')) {
        for (const i of w.ec2.instances.values()) i.state = 'terminated';
        w.deletedGroups.add('dataplatform-dev-workers');
      }
      if (e.message.startsWith('deleting stack dataplatform-dev-storage'))
        void w.rds.deleteInstance('dataplatform-dev-metadata', { skipFinalSnapshot: false, finalSnapshotId: CFN_SNAPSHOT });
    };
  }
  const VAULT = 'dataplatform-dev-vault';
  const DATALAKE = 'dataplatform-dev-datalake-123456789012';
  const FS_ARN = 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main';

  it('GIVEN data kept WHEN destroy --json THEN a final snapshot is taken and available before the storage stack is deleted, and every final snapshot id is reported and recorded', async () => {
    w = world();
    await stacks(w);
    w.buckets.add(DATALAKE);
    w.backup.addRecoveryPoint({ created: new Date('2025-01-03T05:00:00Z'), resourceArn: FS_ARN, vault: VAULT });
    // CloudFormation's DeletionPolicy Snapshot takes one more while it deletes the instance.
    stackDeletesResources(w);
    await runDestroy({}, w.ctx({ json: true }));
    const r = JSON.parse(w.out.at(-1)!);
    const l = await w.ledger();
    const snap = l.get('operations.destroy.final-snapshot')!.outputs.SnapshotId!;
    expect(snap).toMatch(/^dataplatform-dev-metadata-final-\d{14}$/);
    expect(w.rds.calls.find((c) => c.op === 'createSnapshot')!.input).toMatchObject({
      instance: 'dataplatform-dev-metadata',
      snapshotId: snap,
      tags: { 'dpf:final': 'true' },
    });
    const created = (await w.rds.describeSnapshots({ snapshotId: snap }))[0]!;
    expect(created.status).toBe('available');
    const storageDelete = w.cfn.calls.find((c) => c.op === 'deleteStack' && JSON.stringify(c.input).includes('dataplatform-dev-storage'))!;
    expect(storageDelete.at.getTime()).toBeGreaterThanOrEqual(created.created!.getTime() + w.rds.snapshotMs); // waited until available
    expect(r).toMatchObject({ finalSnapshot: snap, finalSnapshots: [snap, CFN_SNAPSHOT] });
    expect(operationsOf(l.data).at(-1)).toMatchObject({
      kind: 'destroy',
      status: 'done',
      summary: { finalSnapshot: snap, finalSnapshots: [snap, CFN_SNAPSHOT] },
    });
    expect(l.get('operations.destroy.storage')!.outputs.FinalSnapshots).toBe(`${snap},${CFN_SNAPSHOT}`);
    // Data kept: nothing of the vault, the buckets or EFS is deleted; all listed as retained.
    expect(w.backup.calls.filter((c) => /^delete/.test(c.op))).toEqual([]);
    expect(w.deletedBuckets).toEqual([]);
    expect(r.retained.map((x: { resource: string }) => x.resource)).toEqual(
      expect.arrayContaining([`backup vault ${VAULT}`, `bucket ${DATALAKE}`, 'EFS fs-main', `RDS snapshot ${snap}`]),
    );
  });

  it("GIVEN --delete-data THEN the vault's recovery points and then the vault are deleted; a point that cannot be deleted is reported (exit 3) and a rerun finishes the job", async () => {
    w = world();
    await stacks(w);
    w.buckets.add(DATALAKE);
    w.backup.addRecoveryPoint({ created: new Date('2025-01-02T05:00:00Z'), resourceArn: FS_ARN, vault: VAULT });
    const locked = w.backup.addRecoveryPoint({ created: new Date('2025-01-03T05:00:00Z'), resourceArn: FS_ARN, vault: VAULT });
    w.backup.lockedPoints.add(locked);
    stackDeletesResources(w);
    const err = await fails(runDestroy({ deleteData: true }, w.ctx()));
    expect(err.code).toBe('DestroyIncomplete');
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^storage: recovery point ${locked} — DeleteRecoveryPoint failed: .*locked`)),
        `storage: backup vault ${VAULT} — not deleted: it still holds the recovery points listed`,
      ]),
    );
    expect(w.backup.points.map((p) => p.arn)).toEqual([locked]);
    expect(w.backup.deletedVaults.size).toBe(0);
    expect(w.deletedBuckets).toEqual([DATALAKE]);
    expect(w.efs.fileSystems.has('fs-main')).toBe(false);
    expect(w.rds.calls.find((c) => c.op === 'deleteInstance')!.input).toMatchObject({ identifier: 'dataplatform-dev-metadata', skipFinalSnapshot: true });
    expect(w.rds.calls.some((c) => c.op === 'createSnapshot')).toBe(false);

    // The lock is lifted; the same command deletes what is left although the stack is gone.
    w.backup.lockedPoints.clear();
    await runDestroy({ deleteData: true }, w.ctx({ json: true }));
    const r = JSON.parse(w.out.at(-1)!);
    expect(w.backup.points).toEqual([]);
    expect(w.backup.deletedVaults.has(VAULT)).toBe(true);
    expect(r.phases).toEqual([
      { phase: 'storage', status: 'done', deleted: expect.arrayContaining(['1 recovery point(s) of vault dataplatform-dev-vault', `backup vault ${VAULT}`]) },
    ]);
    expect(r.leaked).toEqual([]);
  });

  it('GIVEN a destroy that kept the data WHEN destroy --delete-data later THEN the kept buckets, file system and vault are deleted (not "nothing to destroy")', async () => {
    w = world();
    await stacks(w);
    w.buckets.add(DATALAKE);
    w.backup.addRecoveryPoint({ created: new Date('2025-01-03T05:00:00Z'), resourceArn: FS_ARN, vault: VAULT });
    stackDeletesResources(w);
    await runDestroy({}, w.ctx());
    expect(w.deletedBuckets).toEqual([]);
    await runDestroy({ deleteData: true }, w.ctx({ json: true }));
    const r = JSON.parse(w.out.at(-1)!);
    expect(r.phases.map((p: { phase: string }) => p.phase)).toEqual(['storage']);
    expect(w.deletedBuckets).toEqual([DATALAKE]);
    expect(w.efs.fileSystems.has('fs-main')).toBe(false);
    expect(w.backup.deletedVaults.has(VAULT)).toBe(true);
    // Backups taken before (here the final snapshot of the first destroy) are listed, not hidden.
    expect(r.retained.map((x: { resource: string }) => x.resource)).toEqual([
      expect.stringMatching(/^RDS snapshot dataplatform-dev-metadata-final-\d{14}$/),
      `RDS snapshot ${CFN_SNAPSHOT}`,
      expect.stringMatching(/^KMS key /),
    ]);
  });

  /** An un-promoted `dpf restore db` copy, a promoted one, and an un-promoted `dpf restore fs` copy. */
  async function restoreCopies(w: World) {
    await runRestoreDb({ latest: true }, w.ctx());
    const unpromoted = w.rds.instanceIds().find((i) => /-restore-/.test(i))!;
    w.clock.advance(60_000);
    await runRestoreDb({ latest: true, promote: true }, w.ctx());
    const promoted = w.rds.instanceIds().find((i) => /-restore-/.test(i) && i !== unpromoted)!;
    const rp = w.backup.addRecoveryPoint({ created: new Date('2025-01-03T05:00:00Z'), resourceArn: FS_ARN, vault: VAULT });
    await runRestoreFs({ recoveryPoint: rp }, w.ctx());
    const fsCopy = [...w.efs.fileSystems.keys()].find((id) => id !== 'fs-main')!;
    return { unpromoted, promoted, fsCopy };
  }

  it('GIVEN restore copies dpf made outside the stacks WHEN destroy keeps the data THEN the un-promoted ones are listed as left behind (exit 3), the promoted one as retained, none deleted', async () => {
    w = world();
    await stacks(w);
    const { unpromoted, promoted, fsCopy } = await restoreCopies(w);
    // restore tags what it makes (the EFS restore takes no tags: dpf tags the new file system).
    expect((await w.rds.describeInstance(unpromoted))!.tags).toMatchObject({
      'dpf:env': 'dev',
      'dpf:project': 'dataplatform',
      'dpf:purpose': 'restore',
      'dpf:operation': expect.stringMatching(/^restore-db-/),
    });
    expect(w.efs.fileSystems.get(fsCopy)!.tags).toMatchObject({
      'dpf:env': 'dev',
      'dpf:project': 'dataplatform',
      'dpf:purpose': 'restore',
      'dpf:operation': expect.stringMatching(/^restore-fs-/),
    });
    stackDeletesResources(w);
    const err = await fails(runDestroy({}, w.ctx()));
    expect(err.code).toBe('DestroyIncomplete');
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^outside the stacks: RDS instance ${unpromoted} — made by dpf restore db \\(operation restore-db-\\d{14}-[0-9a-f]{4}\\), never promoted .*--delete-data`,
          ),
        ),
        expect.stringMatching(new RegExp(`^outside the stacks: EFS ${fsCopy} — made by dpf restore fs \\(operation restore-fs-.*never promoted`)),
      ]),
    );
    expect(err.details.join('\n')).not.toContain(promoted);
    expect(err.hint).toMatch(/dpf destroy --env dev --delete-data/);
    expect(w.rds.instanceIds()).toEqual(expect.arrayContaining([promoted, unpromoted]));
    expect(w.rds.calls.filter((c) => c.op === 'deleteInstance').map((c) => (c.input as { identifier: string }).identifier)).toEqual([
      'dataplatform-dev-metadata',
    ]); // by the stack
    expect(w.efs.fileSystems.has(fsCopy)).toBe(true);
    const op = operationsOf((await w.ledger()).data).at(-1)!;
    expect(op.summary).toMatchObject({
      leaked: expect.arrayContaining([`RDS instance ${unpromoted}`, `EFS ${fsCopy}`]),
      retained: expect.arrayContaining([`RDS instance ${promoted}`]),
    });
  });

  it('GIVEN restore copies and a kept drill WHEN destroy --delete-data THEN they are deleted before the storage stack, and none is left', async () => {
    w = world();
    await stacks(w);
    const { unpromoted, promoted, fsCopy } = await restoreCopies(w);
    await runDrDrill({ keep: true }, w.ctx({ json: true }));
    const drillDb = w.rds.instanceIds().find((i) => /-drill-\d{14}-db$/.test(i))!;
    const drillFs = [...w.efs.fileSystems.keys()].find((id) => id !== 'fs-main' && id !== fsCopy)!;
    expect(drillDb).toBeTruthy();
    expect(drillFs).toBeTruthy();
    expect(w.efs.fileSystems.get(drillFs)!.tags).toMatchObject({ 'dpf:env': 'dev', 'dpf:purpose': 'drill' });
    stackDeletesResources(w);
    await runDestroy({ deleteData: true }, w.ctx({ json: true }));
    const r = JSON.parse(w.out.at(-1)!);
    expect(r.leaked).toEqual([]);
    expect(r.copies.found.map((c: { id: string }) => c.id).sort()).toEqual([drillDb, drillFs, fsCopy, promoted, unpromoted].sort());
    expect(r.copies.deleted).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^RDS instance ${unpromoted} \\(dpf restore db`)),
        expect.stringMatching(new RegExp(`^RDS instance ${drillDb} \\(dpf dr-drill`)),
        `EFS ${fsCopy} (dpf restore fs (operation ${r.copies.found.find((c: { id: string }) => c.id === fsCopy).origin.match(/restore-fs-[^)]+/)[0]}))`,
      ]),
    );
    expect(w.rds.instanceIds()).toEqual([]);
    expect([...w.efs.fileSystems.keys()]).toEqual([]);
    for (const id of [unpromoted, promoted, drillDb])
      expect(w.rds.calls.find((c) => c.op === 'deleteInstance' && (c.input as { identifier: string }).identifier === id)!.input).toMatchObject({
        skipFinalSnapshot: true,
      });
    // Before the storage stack (the copies use its DB subnet group).
    const copyDeleted = w.rds.calls.findIndex((c) => c.op === 'deleteInstance' && (c.input as { identifier: string }).identifier === unpromoted);
    const platformDeleted = w.rds.calls.findIndex(
      (c) => c.op === 'deleteInstance' && (c.input as { identifier: string }).identifier === 'dataplatform-dev-metadata',
    );
    expect(copyDeleted).toBeGreaterThanOrEqual(0);
    expect(copyDeleted).toBeLessThan(platformDeleted);
  });

  it('GIVEN only a restore copy is left (the stacks are gone) THEN destroy still finds it: listed without --delete-data, deleted with it', async () => {
    w = world();
    await runRestoreDb({ latest: true }, w.ctx());
    const copy = w.rds.instanceIds().find((i) => /-restore-/.test(i))!;
    // The platform's stacks never existed in this fake CloudFormation; mark the ledger as destroyed.
    const l = await w.ledger();
    for (const id of ['network.stack', 'compute.stack', 'storage.stack']) await l.updateStep(id, id.split('.')[0]!, { status: 'pending' }, w.clock.now());
    await w.rds.deleteInstance('dataplatform-dev-metadata', { skipFinalSnapshot: true });
    w.clock.advance(3600_000);
    const err = await fails(runDestroy({}, w.ctx()));
    expect(err.code).toBe('DestroyIncomplete');
    expect(err.details).toEqual([expect.stringMatching(new RegExp(`^outside the stacks: RDS instance ${copy} — made by dpf restore db`))]);
    await runDestroy({ deleteData: true, new: true }, w.ctx({ json: true }));
    expect(w.rds.instanceIds()).toEqual([]);
    expect(JSON.parse(w.out.at(-1)!)).toMatchObject({ leaked: [], copies: { deleted: [expect.stringContaining(copy)] } });
    await runDestroy({ deleteData: true }, w.ctx());
    expect(w.out.at(-1)).toBe('Nothing of dev to destroy.');
  });

  it('GIVEN no TTY and no --yes THEN exit 6; a wrong typed name is declined', async () => {
    w = world();
    expect((await fails(runDestroy({}, w.ctx({ yes: false })))).exitCode).toBe(ExitCode.NotConfirmed);
    const err = await fails(runDestroy({ askText: async () => 'prod' }, w.ctx({ yes: false, isTTY: true })));
    expect(err.exitCode).toBe(ExitCode.NotConfirmed);
  });
});
