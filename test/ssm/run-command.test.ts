import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { FakeSsm, MemoryObjectStore } from '../fakes/fake-ssm.js';
import { runCommand, tailOf, type RunCommandOptions } from '../../src/ssm/run-command.js';
import type { SendCommandInput } from '../../src/aws/ops-ports.js';
import { AbortError } from '../../src/errors.js';

const WORKERS = { 'dpf:env': ['dev'], 'dpf:role': ['worker'] };

function setup(o: { hosts?: number; outputStore?: boolean } = {}) {
  const clock = new FakeClock().autoAdvance();
  const objects = new MemoryObjectStore();
  const ssm = new FakeSsm({ clock, outputStore: o.outputStore ? objects : undefined });
  for (let i = 1; i <= (o.hosts ?? 2); i++) ssm.registerInstance({ instanceId: `i-${i}`, tags: { 'dpf:env': 'dev', 'dpf:role': 'worker' } });
  ssm.registerInstance({ instanceId: 'i-prod', tags: { 'dpf:env': 'prod', 'dpf:role': 'worker' } });
  const io = new FakeIoHost();
  const abort = new AbortController();
  const input = (over: Partial<SendCommandInput> = {}): SendCommandInput & { expectedInstanceIds?: string[] } => ({
    documentName: 'AWS-RunShellScript',
    parameters: { commands: ['true'], executionTimeout: ['3600'] },
    targets: WORKERS,
    maxConcurrency: '50%',
    maxErrors: '0',
    timeoutSeconds: 600,
    outputS3Bucket: 'dpf-state',
    outputS3KeyPrefix: 'ssm-output/dev/test.step',
    ...over,
  });
  const run = (i = input(), opts: RunCommandOptions = {}, extra: { objects?: MemoryObjectStore } = {}) =>
    runCommand(ssm, { clock, io, signal: abort.signal, stepId: 'test.step', ...extra }, i, { labels: { 'i-1': 'worker', 'i-2': 'worker' }, ...opts });
  const progress = () => io.ofType('step-progress').map((e) => e.message);
  return { clock, ssm, io, abort, input, run, progress, objects };
}

describe('runCommand', () => {
  it('GIVEN two healthy workers WHEN the command runs THEN one progress event per host status change, ok, and the other env untouched', async () => {
    const { ssm, run, progress, io, input } = setup();
    ssm.script('*', { stdout: 'line 1\nline 2\nPLAY RECAP\nlocalhost : ok=3 changed=1 unreachable=0 failed=0' });
    const r = await run(input({ maxConcurrency: '2' }));
    expect(r.ok).toBe(true);
    expect(r.summary).toBe('2 host(s): 2 Success');
    expect(ssm.sentCommands()[0]!.targets).toEqual(['i-1', 'i-2']);
    const hostLines = progress().filter((m) => m.startsWith('i-'));
    expect(hostLines).toEqual([
      'i-1 worker: Pending',
      'i-2 worker: Pending',
      'i-1 worker: Pending → InProgress',
      'i-2 worker: Pending → InProgress',
      'i-1 worker: InProgress → Success',
      'i-2 worker: InProgress → Success',
    ]);
    const last = io
      .ofType('step-progress')
      .filter((e) => e.resource)
      .at(-1)!;
    expect(last).toMatchObject({
      stepId: 'test.step',
      state: 'complete',
      resource: { logicalId: 'i-2', type: 'AWS::SSM::CommandInvocation', status: 'Success' },
    });
    expect(r.hosts[0]).toEqual({
      instanceId: 'i-1',
      status: 'Success',
      responseCode: 0,
      tail: ['line 1', 'line 2', 'PLAY RECAP', 'localhost : ok=3 changed=1 unreachable=0 failed=0'],
      outputS3Url: `s3://dpf-state/ssm-output/dev/test.step/${r.commandId}/i-1/`,
      label: 'worker',
    });
  });

  it('GIVEN one host failing WHEN the command runs THEN ok is false and that host carries status, exit code, the last lines and the S3 log', async () => {
    const { ssm, run } = setup();
    const out = Array.from({ length: 40 }, (_, i) => `task ${i}`).join('\n') + '\nfatal: [localhost]: FAILED! => {"msg": "mount.nfs4: access denied"}';
    ssm.script('i-2', { status: 'Failed', stdout: out, stderr: 'ERROR: playbook failed' });
    const r = await run(undefined, { tailLines: 5 });
    expect(r.ok).toBe(false);
    expect(r.summary).toBe('2 host(s): 1 Success, 1 Failed');
    const bad = r.hosts.find((h) => h.instanceId === 'i-2')!;
    expect(bad).toMatchObject({ status: 'Failed', responseCode: 2, outputS3Url: `s3://dpf-state/ssm-output/dev/test.step/${r.commandId}/i-2/` });
    expect(bad.tail).toEqual([
      'task 37',
      'task 38',
      'task 39',
      'fatal: [localhost]: FAILED! => {"msg": "mount.nfs4: access denied"}',
      'stderr: ERROR: playbook failed',
    ]);
  });

  it.each([
    // maxConcurrency, maxErrors, failing hosts, expected statuses of i-1..i-4
    { conc: '2', maxErrors: '1', failing: ['i-1', 'i-2'], expected: ['Failed', 'Failed', 'Cancelled', 'Cancelled'] },
    { conc: '2', maxErrors: '2', failing: ['i-1', 'i-2'], expected: ['Failed', 'Failed', 'Success', 'Success'] },
    { conc: '1', maxErrors: '0', failing: ['i-2'], expected: ['Success', 'Failed', 'Cancelled', 'Cancelled'] },
    { conc: '4', maxErrors: '0', failing: ['i-1'], expected: ['Failed', 'Success', 'Success', 'Success'] },
    { conc: '25%', maxErrors: '25%', failing: ['i-1', 'i-3'], expected: ['Failed', 'Success', 'Failed', 'Cancelled'] },
  ])(
    'GIVEN MaxConcurrency $conc, MaxErrors $maxErrors and $failing failing WHEN run on 4 hosts THEN statuses are $expected',
    async ({ conc, maxErrors, failing, expected }) => {
      const { ssm, run, input } = setup({ hosts: 4 });
      for (const id of failing) ssm.script(id, { status: 'Failed', stdout: 'fatal: boom' });
      const r = await run(input({ maxConcurrency: conc, maxErrors }));
      expect(r.hosts.map((h) => h.status)).toEqual(expected);
      expect(r.ok).toBe(false);
      for (const h of r.hosts.filter((x) => x.status === 'Cancelled')) expect(h.tail).toEqual([]);
    },
  );

  it('GIVEN a host running longer than the execution timeout WHEN the command runs THEN it is reported TimedOut', async () => {
    const { ssm, run, input } = setup();
    ssm.script('i-1', { durationMs: 2 * 3600_000, stdout: 'still going' });
    const r = await run(input({ maxConcurrency: '100%', parameters: { commands: ['sleep 7200'], executionTimeout: ['600'] } }));
    expect(r.hosts.map((h) => [h.instanceId, h.status])).toEqual([
      ['i-1', 'TimedOut'],
      ['i-2', 'Success'],
    ]);
    expect(r.ok).toBe(false);
    expect(r.waitTimedOut).toBe(false);
  });

  it('GIVEN dpf’s own wait timeout shorter than the run WHEN it passes THEN the hosts still running are reported TimedOut with a note', async () => {
    const { ssm, run, clock, progress } = setup();
    ssm.script('i-2', { durationMs: 3600_000 });
    const t0 = clock.now().getTime();
    const r = await run(undefined, { timeoutSeconds: 120 });
    expect(clock.now().getTime() - t0).toBeLessThanOrEqual(121_000);
    expect(r.waitTimedOut).toBe(true);
    expect(r.hosts.find((h) => h.instanceId === 'i-2')).toMatchObject({
      status: 'TimedOut',
      note: expect.stringContaining('still InProgress when dpf stopped waiting'),
    });
    expect(r.hosts.find((h) => h.instanceId === 'i-1')!.status).toBe('Success');
    expect(progress()).toContain('i-2 worker: InProgress → TimedOut (dpf stopped waiting)');
  });

  it('GIVEN tags that match nothing WHEN the command runs THEN ok is false: no instance matched the targets', async () => {
    const { run, input } = setup();
    const r = await run(input({ targets: { 'dpf:env': ['dev'], 'dpf:role': ['bastion'] } }));
    expect(r).toMatchObject({ ok: false, hosts: [], summary: 'no instance matched the targets' });
  });

  it('GIVEN an instance EC2 lists but SSM does not target WHEN expected THEN it is reported NotTargeted', async () => {
    const { run, input } = setup();
    const r = await run({ ...input(), expectedInstanceIds: ['i-1', 'i-2', 'i-9'] });
    expect(r.ok).toBe(false);
    expect(r.hosts.map((h) => [h.instanceId, h.status])).toEqual([
      ['i-1', 'Success'],
      ['i-2', 'Success'],
      ['i-9', 'NotTargeted'],
    ]);
  });

  it('GIVEN an offline agent WHEN the delivery timeout passes THEN that host is DeliveryTimedOut', async () => {
    const { ssm, run, input } = setup();
    ssm.setPingStatus('i-2', 'ConnectionLost');
    const r = await run(input({ maxErrors: '1', timeoutSeconds: 300 }));
    expect(r.hosts.map((h) => [h.instanceId, h.status])).toEqual([
      ['i-1', 'Success'],
      ['i-2', 'DeliveryTimedOut'],
    ]);
  });

  describe('output over 24,000 characters', () => {
    const long =
      Array.from({ length: 3000 }, (_, i) => `TASK [step ${i}] ok`).join('\n') + '\nPLAY RECAP\nlocalhost : ok=3000 changed=2 unreachable=0 failed=1';

    it('GIVEN no object store WHEN the output is cut THEN the tail is the end of what the API returned, flagged truncated', async () => {
      const { ssm, run } = setup();
      ssm.script('i-1', { status: 'Failed', stdout: long });
      const r = await run(undefined, { tailLines: 3 });
      const h = r.hosts[0]!;
      expect(h.truncated).toBe(true);
      expect(h.tailFrom).toBe('api');
      expect(h.tail.join('\n')).not.toContain('PLAY RECAP');
      expect(h.tail.join('\n')).not.toContain('--output truncated--');
      expect(ssm.fullOutput(r.commandId, 'i-1')!.stdout).toBe(long);
    });

    it('GIVEN the S3 output location readable WHEN the output is cut THEN the tail comes from the full log', async () => {
      const { ssm, run, objects } = setup({ outputStore: true });
      ssm.script('i-1', { status: 'Failed', stdout: long });
      const r = await run(undefined, { tailLines: 2 }, { objects });
      expect(r.hosts[0]).toMatchObject({ truncated: true, tailFrom: 's3', tail: ['PLAY RECAP', 'localhost : ok=3000 changed=2 unreachable=0 failed=1'] });
    });
  });

  it('GIVEN a long run WHEN nothing changes THEN polling backs off from 2 s to 10 s, and is fast again after a change', async () => {
    const { ssm, run, input } = setup({ hosts: 1 });
    ssm.script('i-1', { durationMs: 120_000 });
    await run(input({ maxConcurrency: '1' }));
    const at = ssm.callsOf('listInvocations').map((c) => c.at.getTime());
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps[0]).toBe(2000);
    expect(Math.max(...gaps)).toBe(10_000);
    expect(gaps.filter((g) => g === 10_000).length).toBeGreaterThan(5);
  });

  it('GIVEN the run is aborted WHEN it is waiting THEN it rejects with AbortError', async () => {
    const { ssm, run, io, abort } = setup();
    ssm.script('*', { durationMs: 600_000 });
    io.onEvent = (e) => {
      if (e.type === 'step-progress' && e.message.includes('→ InProgress')) abort.abort();
    };
    await expect(run()).rejects.toBeInstanceOf(AbortError);
  });

  it('GIVEN ListCommandInvocations unavailable (emulator) WHEN instances are expected THEN it asks per instance and warns once', async () => {
    const { ssm, run, input, io } = setup();
    ssm.listInvocations = async () => {
      throw Object.assign(new Error('Not implemented'), { name: 'InternalFailure' });
    };
    const r = await run({ ...input(), expectedInstanceIds: ['i-1', 'i-2'] });
    expect(r.ok).toBe(true);
    expect(io.ofType('warning')).toHaveLength(1);
    expect(ssm.callsOf('getInvocation').length).toBeGreaterThan(2);
  });

  it('GIVEN a command sent by an earlier run WHEN attaching THEN nothing is sent again', async () => {
    const { ssm, run, input } = setup();
    const commandId = await ssm.sendCommand(input());
    const r = await run(input(), { attachTo: commandId });
    expect(r).toMatchObject({ commandId, ok: true });
    expect(ssm.callsOf('sendCommand')).toHaveLength(1);
  });
});

describe('tailOf', () => {
  it.each([
    { stdout: 'a\nb\nc\n', stderr: '', n: 2, tail: ['b', 'c'] },
    { stdout: 'a\r\nb\r\n\r\n', stderr: 'e1\ne2', n: 3, tail: ['b', 'stderr: e1', 'stderr: e2'] },
    { stdout: 'x\ny--output truncated--', stderr: '', n: 5, tail: ['x', 'y'] },
    { stdout: '', stderr: '', n: 5, tail: [] },
  ])('GIVEN $stdout / $stderr WHEN tailed to $n THEN $tail', ({ stdout, stderr, n, tail }) => {
    expect(tailOf(stdout, stderr, n)).toEqual(tail);
  });
});
