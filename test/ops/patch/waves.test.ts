/** A patch wave (src/ops/patch/waves.ts): sent, halted with the rollback named, reboots waited for, the window enforced. */
import { afterEach, describe, expect, it } from 'vitest';
import { fails, healthy, HOSTS, priorRecord, stepHarness, WORKERS, world, type World } from '../helpers.js';
import { DOC, patchOptions, RERUN, waveOf } from './helpers.js';
import { rollbackHint, waveStep } from '../../../src/ops/patch/waves.js';
import { PATCH_STEPS } from '../../../src/ops/patch/keys.js';
import { ExitCode } from '../../../src/errors.js';

let w: World;
afterEach(() => w?.cleanup());

const sentPatches = (x: World) => x.ssm.sentCommands().filter((c) => c.input.documentName === DOC);

describe('waveStep', () => {
  it.each([
    ['master-dev', HOSTS.master, 'master', /recovery point ami-master; log s3:\/\/.+/, /create-replace-root-volume-task/],
    ['workers', WORKERS[0]!, 'worker', /log s3:\/\/.+/, /terminate-instance-in-auto-scaling-group/],
  ])(
    'GIVEN a host of wave %s fails its playbook WHEN the wave runs THEN PatchFailed names the host, its exit code, output and rollback, and the evidence records it',
    async (name, host, role, where, rollback) => {
      w = world();
      healthy(w);
      w.ssm.script(host, { status: 'Failed', stdout: 'TASK [dnf upgrade]\nfatal: No space left on device', responseCode: 2 }, { document: DOC });
      const h = await stepHarness(w);
      await h.done(PATCH_STEPS.recoveryPoint, { [HOSTS.master]: 'ami-master' });
      const o = patchOptions();
      const err = await fails(h.run(waveStep(h.op, o, waveOf(o, name), [])));
      expect(err.code).toBe('PatchFailed');
      expect(err.exitCode).toBe(ExitCode.StepFailed);
      expect(err.message).toMatch(new RegExp(`^Wave ${name}: .*; the run is halted before the next wave\\.$`));
      const line = err.details.find((d) => d.startsWith(host))!;
      expect(line).toMatch(new RegExp(`^${host} \\(${role}\\): Failed \\(exit 2\\) — TASK \\[dnf upgrade\\] / fatal: No space left on device`));
      expect(line).toMatch(where);
      // MaxErrors 0 on named hosts: the host after a failure is never patched, and says so.
      expect(err.details.filter((d) => d !== line)).toEqual(name === 'master-dev' ? [expect.stringMatching(/^i-dev \(dev\): Cancelled/)] : []);
      expect(err.hint).toMatch(rollback);
      const hosts = h.evidence(PATCH_STEPS.wave(name)).hosts as Array<{ instanceId: string; status: string }>;
      expect(hosts.find((x) => x.instanceId === host)?.status).toBe('Failed');
    },
  );

  it('GIVEN the named hosts of a wave WHEN it runs THEN they are sent by id one at a time, never more than zero errors; outputs name them', async () => {
    w = world();
    healthy(w);
    const h = await stepHarness(w);
    const o = patchOptions();
    const r = await h.run(waveStep(h.op, o, waveOf(o, 'master-dev'), []));
    const [sent] = sentPatches(w);
    expect(sent!.input).toMatchObject({ instanceIds: [HOSTS.master, HOSTS.dev], maxConcurrency: '1', maxErrors: '0' });
    expect(sent!.input.comment).toMatch(new RegExp(`dpf patch master-dev ${h.op.id}$`));
    expect(r.outputs).toEqual({ CommandId: sent!.commandId, Hosts: `${HOSTS.master},${HOSTS.dev}` });
    expect(r.evidence).toMatchObject({ rebooted: [], rebootWait: 'none' });
  });

  it('GIVEN a run that died after sending WHEN the wave runs again THEN it attaches to the recorded command instead of patching twice', async () => {
    w = world();
    healthy(w);
    const h = await stepHarness(w);
    const o = patchOptions();
    const step = waveStep(h.op, o, waveOf(o, 'bastion'), []);
    const first = await h.run(step);
    const again = await h.run(step, priorRecord(step.id, { commandId: first.outputs!.CommandId }));
    expect(sentPatches(w)).toHaveLength(1);
    expect(again.outputs!.CommandId).toBe(first.outputs!.CommandId);
  });

  it('GIVEN the worker group has no instance in service WHEN the workers wave runs THEN nothing is sent', async () => {
    w = world();
    w.deletedGroups.add('dataplatform-dev-workers');
    const h = await stepHarness(w);
    const o = patchOptions();
    const r = await h.run(waveStep(h.op, o, waveOf(o, 'workers'), []));
    expect(r).toMatchObject({ changed: false, summary: 'no worker host in service' });
    expect(w.ssm.sentCommands()).toEqual([]);
  });

  it('GIVEN production outside its maintenance window WHEN a wave would start THEN it is refused (exit 8) with the next opening, nothing sent', async () => {
    w = world({ start: '2025-01-08T03:00:00.000Z' }); // a Wednesday
    healthy(w);
    const h = await stepHarness(w);
    const o = patchOptions({ enforceWindow: true });
    const err = await fails(h.run(waveStep(h.op, o, waveOf(o, 'bastion'), [])));
    expect(err.exitCode).toBe(ExitCode.Blocked);
    expect(err.message).toMatch(/is closed: wave bastion was not started/);
    expect(err.hint).toContain('2025-01-11T02:00:00.000Z');
    expect(err.hint).toContain(RERUN);
    expect(w.ssm.sentCommands()).toEqual([]);
  });

  it('GIVEN a host that schedules a reboot and never comes back WHEN the wave runs THEN PatchRebootTimedOut names it and its state', async () => {
    w = world();
    healthy(w);
    w.ssm.script(HOSTS.bastion, { stdout: 'ok: 1 package(s) updated; reboot: yes' }, { document: DOC });
    w.ec2.instances.get(HOSTS.bastion)!.state = 'stopped';
    const h = await stepHarness(w);
    const o = patchOptions();
    const err = await fails(h.run(waveStep(h.op, o, waveOf(o, 'bastion'), [])));
    expect(err.code).toBe('PatchRebootTimedOut');
    expect(err.message).toContain(`${HOSTS.bastion} stopped/Online`);
    expect(err.hint).toMatch(/get-console-output/);
  });

  it('GIVEN a host gives no output WHEN the wave runs THEN it passes with a warning that its reboot is unknown (the gate decides)', async () => {
    w = world();
    healthy(w);
    w.ssm.script(HOSTS.bastion, { stdout: '' }, { document: DOC });
    const h = await stepHarness(w);
    const o = patchOptions();
    await h.run(waveStep(h.op, o, waveOf(o, 'bastion'), []));
    const warnings = w.io.ofType('warning').map((e) => e.message);
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`no playbook output from ${HOSTS.bastion} .*whether they reboot is unknown`))]);
  });
});

describe('rollbackHint', () => {
  it.each([
    [true, /terminate-instance-in-auto-scaling-group .*--no-should-decrement-desired-capacity/, false],
    [false, /create-replace-root-volume-task --instance-id ID --image-id AMI/, true],
  ])('GIVEN a rolling wave %s THEN the hint is %s; it names the rerun: %s', (rolling, text, namesRerun) => {
    const hint = rollbackHint({ name: 'x', role: 'r', hosts: [], rolling }, RERUN);
    expect(hint).toMatch(text);
    expect(hint.includes(RERUN)).toBe(namesRerun);
  });
});
