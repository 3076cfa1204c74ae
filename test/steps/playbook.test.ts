import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { FakeSsm, MemoryObjectStore } from '../fakes/fake-ssm.js';
import { tempLedger } from './engine-helpers.js';
import { playbookStep, renderExtraVariables, parseRecap, playbookDocument, PLAYBOOK_RUN_READS, type PlaybookStepSpec } from '../../src/steps/kinds/playbook.js';
import { runSteps, makeContext } from '../../src/steps/engine.js';
import { buildBundle, ensureBundleUploaded } from '../../src/ansible/bundle.js';
import { environmentSchema } from '../../src/config/schema.js';
import type { AwsPorts } from '../../src/aws/ports.js';
import type { OpsPorts } from '../../src/aws/ops-ports.js';
import type { EnvContext, StepDef } from '../../src/steps/types.js';
import { StepFailedError } from '../../src/errors.js';
import { testSettings, THIS_PROCESS } from '../fakes/fake-settings.js';

const BUCKET = 'dataplatform-dev-state';
const RECAP = (changed: number) =>
  `PLAY [Mount the shared EFS file system on /shared] ***\nTASK [nfs_client : Mount] ***\nok: [localhost]\nPLAY RECAP ***\nlocalhost : ok=7 changed=${changed} unreachable=0 failed=0 skipped=1 rescued=0 ignored=0`;

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** Nodes of dev (and one of prod, which must never be touched). */
const NODES = [
  { instanceId: 'i-0master', role: 'master' },
  { instanceId: 'i-0worker1', role: 'worker' },
  { instanceId: 'i-0worker2', role: 'worker' },
  { instanceId: 'i-0dev', role: 'dev' },
];

async function harness(ssmConfig: Partial<{ maxConcurrency: string; maxErrors: string; timeoutSeconds: number; onlineTimeoutSeconds: number }> = {}) {
  const clock = new FakeClock().autoAdvance();
  const objects = new MemoryObjectStore();
  const ssm = new FakeSsm({ clock, outputStore: objects });
  for (const n of NODES) ssm.registerInstance({ instanceId: n.instanceId, tags: { 'dpf:env': 'dev', 'dpf:role': n.role, Name: `dp-dev-${n.role}` } });
  ssm.registerInstance({ instanceId: 'i-0prodworker', tags: { 'dpf:env': 'prod', 'dpf:role': 'worker' } });
  ssm.script('*', { stdout: RECAP(1) });
  const io = new FakeIoHost();
  const abort = new AbortController();
  const { ledger, cleanup } = await tempLedger(clock.now());
  cleanups.push(cleanup);
  await ledger.updateStep('bootstrap.state', 'bootstrap', { status: 'done', outputs: { StateBucketName: BUCKET } }, clock.now());
  const env = environmentSchema.parse({ ssm: { maxConcurrency: '100%', maxErrors: '0', timeoutSeconds: 1800, ...ssmConfig } });
  const envCtx: EnvContext = { project: 'dataplatform', name: 'dev', env, region: 'us-west-2', accountId: '123456789012', operator: 'alice', runId: 'run-1' };
  const unused = (what: string) => async () => {
    throw new Error(`${what} is not used by playbook steps`);
  };
  const ops = { ec2: ssm.ec2(), ssm } as unknown as OpsPorts;
  const aws: AwsPorts = {
    region: 'us-west-2',
    cfn: unused('cfn') as AwsPorts['cfn'],
    identity: unused('identity') as AwsPorts['identity'],
    leaseStore: unused('leaseStore') as AwsPorts['leaseStore'],
    objects: async () => objects,
    ops: async () => ops,
  };
  const deploy = (steps: StepDef[], force = false, check = false) =>
    runSteps({ steps, ledger, envCtx, aws, io, clock, signal: abort.signal, settings: testSettings(), command: 'deploy', force, check });
  const bundleCount = () => objects.puts.filter((p) => p.key.startsWith('bundles/')).length;
  return { clock, objects, ssm, io, abort, ledger, envCtx, aws, deploy, bundleCount };
}

function nfsSpec(over: Partial<PlaybookStepSpec> = {}): PlaybookStepSpec {
  return {
    id: 'storage.nfs',
    phase: 'storage',
    title: 'Mount EFS on the nodes',
    after: {},
    playbook: 'nfs.yml',
    targets: (ctx) => ({ 'dpf:env': [ctx.envCtx.name], 'dpf:role': ['worker', 'master', 'dev'] }),
    extraVars: (ctx) => ({ dpf_env: ctx.envCtx.name, efs_file_system_id: 'fs-0123', efs_access_point_id: 'fsap-0456', data_volume_device: '' }),
    ...over,
  };
}

describe('playbookStep: run', () => {
  it('GIVEN the env config WHEN the step runs THEN SendCommand gets exactly the document, tag targets, rate control, S3 output and the bundle path', async () => {
    const h = await harness({ maxConcurrency: '2', maxErrors: '1' });
    const summary = await h.deploy([playbookStep(nfsSpec())]);
    expect(summary.status).toBe('done');
    const sha = buildBundle().sha256;
    const [sent] = h.ssm.sentCommands();
    expect(sent!.input).toEqual({
      // dpf's own document (named by the compute stack; derived when its output is absent)
      documentName: 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks',
      parameters: {
        SourceType: ['S3'],
        SourceInfo: [JSON.stringify({ path: `https://s3.us-west-2.amazonaws.com/${BUCKET}/bundles/${sha}.zip` })],
        PlaybookFile: ['nfs.yml'],
        ExtraVariables: ['dpf_env=dev efs_access_point_id=fsap-0456 efs_file_system_id=fs-0123'],
        Check: ['False'],
        Verbose: ['-v'],
        TimeoutSeconds: ['1800'],
      },
      targets: { 'dpf:env': ['dev'], 'dpf:role': ['dev', 'master', 'worker'] },
      maxConcurrency: '2',
      maxErrors: '1',
      timeoutSeconds: 1800,
      outputS3Bucket: BUCKET,
      outputS3KeyPrefix: 'ssm-output/dev/storage.nfs',
      comment: expect.stringMatching(/^dpf-m-[0-9a-f]{12} dpf storage\.nfs run nfs\.yml$/),
    });
    expect(sent!.targets.sort()).toEqual(NODES.map((n) => n.instanceId).sort());
    expect(h.objects.bytes(BUCKET, `bundles/${sha}.zip`)).toBeDefined();
  });

  it('GIVEN a successful run THEN the ledger holds the evidence: command, bundle, playbook, targets, per-host results, output prefix', async () => {
    const h = await harness();
    await h.deploy([playbookStep(nfsSpec())]);
    const rec = h.ledger.get('storage.nfs')!;
    const sha = buildBundle().sha256;
    expect(rec.status).toBe('done');
    expect(rec.evidence).toMatchObject({
      mode: 'run',
      commandId: h.ssm.sentCommands()[0]!.commandId,
      bundleHash: sha,
      bundleKey: `bundles/${sha}.zip`,
      playbook: 'nfs.yml',
      targets: { 'dpf:env': ['dev'], 'dpf:role': ['dev', 'master', 'worker'] },
      instanceIds: ['i-0dev', 'i-0master', 'i-0worker1', 'i-0worker2'],
      hosts: {
        'i-0master': { status: 'Success', responseCode: 0, label: 'master', changed: 1 },
        'i-0worker1': { status: 'Success', responseCode: 0, label: 'worker', changed: 1 },
      },
      outputS3Prefix: `s3://${BUCKET}/ssm-output/dev/storage.nfs/`,
    });
    const done = h.io.ofType('step-done')[0]!;
    expect(done).toMatchObject({ stepId: 'storage.nfs', changed: true, summary: 'nfs.yml: 4 host(s): 4 Success, changed on 4' });
  });

  it('GIVEN a run THEN each host’s status changes are step-progress events', async () => {
    const h = await harness();
    await h.deploy([playbookStep(nfsSpec())]);
    const lines = h.io
      .ofType('step-progress')
      .filter((e) => e.stepId === 'storage.nfs' && e.resource)
      .map((e) => e.message);
    for (const n of NODES)
      expect(lines.filter((l) => l.startsWith(`${n.instanceId} ${n.role}:`))).toEqual([
        `${n.instanceId} ${n.role}: Pending`,
        `${n.instanceId} ${n.role}: Pending → InProgress`,
        `${n.instanceId} ${n.role}: InProgress → Success`,
      ]);
  });

  it('GIVEN one host failing WHEN the step runs THEN StepFailedError names the host, its status, its last output lines and the S3 log', async () => {
    const h = await harness();
    h.ssm.script('i-0worker2', {
      status: 'Failed',
      stdout:
        'TASK [nfs_client : Mount /shared] ***\nfatal: [localhost]: FAILED! => {"msg": "mount.nfs4: Connection timed out"}\nPLAY RECAP ***\nlocalhost : ok=4 changed=0 unreachable=0 failed=1',
      responseCode: 2,
    });
    const summary = await h.deploy([playbookStep(nfsSpec())]);
    expect(summary.status).toBe('failed');
    const err = summary.failures[0]!.error as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.message).toBe('Playbook nfs.yml failed on 1 of 4 host(s): i-0worker2 (worker): Failed (exit 2).');
    expect(err.details[0]).toBe('i-0worker2 (worker): Failed (exit 2): fatal: [localhost]: FAILED! => {"msg": "mount.nfs4: Connection timed out"}');
    expect(err.details).toContain('  localhost : ok=4 changed=0 unreachable=0 failed=1');
    const cmd = h.ssm.sentCommands()[0]!.commandId;
    expect(err.hint).toContain(`i-0worker2: s3://${BUCKET}/ssm-output/dev/storage.nfs/${cmd}/i-0worker2/`);
    const rec = h.ledger.get('storage.nfs')!;
    expect(rec.status).toBe('failed');
    expect(rec.error).toMatchObject({ rootCause: err.details[0], hint: err.hint });
    expect(rec.evidence).toMatchObject({ commandId: cmd, hosts: { 'i-0worker2': { status: 'Failed', responseCode: 2 }, 'i-0master': { status: 'Success' } } });
    expect(h.io.ofType('step-failed')[0]).toMatchObject({ stepId: 'storage.nfs', rootCause: err.details[0] });
  });

  it('GIVEN MaxErrors 1 and two of four hosts failing WHEN the step runs THEN the rest are cancelled and every host is reported', async () => {
    const h = await harness({ maxConcurrency: '2', maxErrors: '1' });
    h.ssm.script('i-0master', { status: 'Failed', stdout: 'fatal: [localhost]: FAILED! => {"msg": "no space left on device"}' });
    h.ssm.script('i-0worker1', { status: 'Failed', stdout: 'fatal: [localhost]: FAILED! => {"msg": "dnf lock"}' });
    const summary = await h.deploy([playbookStep(nfsSpec())]);
    const err = summary.failures[0]!.error as StepFailedError;
    expect(err.message).toBe(
      'Playbook nfs.yml failed on 4 of 4 host(s): i-0master (master): Failed (exit 2), i-0worker1 (worker): Failed (exit 2), i-0dev (dev): Cancelled, i-0worker2 (worker): Cancelled.',
    );
    expect(err.details[0]).toBe('i-0master (master): Failed (exit 2): fatal: [localhost]: FAILED! => {"msg": "no space left on device"}');
    expect(err.details).toContain('i-0dev (dev): Cancelled — not started: more than MaxErrors (1) hosts had failed');
    expect(h.ledger.get('storage.nfs')!.evidence.hosts).toMatchObject({
      'i-0master': { status: 'Failed' },
      'i-0worker1': { status: 'Failed' },
      'i-0worker2': { status: 'Cancelled', responseCode: -1 },
      'i-0dev': { status: 'Cancelled' },
    });
  });

  it('GIVEN a playbook that outlives TimeoutSeconds WHEN the step runs THEN the hosts are reported TimedOut', async () => {
    const h = await harness({ timeoutSeconds: 120 });
    h.ssm.script('i-0worker1', { durationMs: 600_000, stdout: 'TASK [data_processing : Install Spark] ***' });
    const summary = await h.deploy([playbookStep(nfsSpec())]);
    const err = summary.failures[0]!.error as StepFailedError;
    expect(err.message).toContain('i-0worker1 (worker): TimedOut');
    expect(err.details[0]).toBe('i-0worker1 (worker): TimedOut: TASK [data_processing : Install Spark] ***');
  });

  it('GIVEN tags that match no node WHEN the step runs THEN it fails with "no instance matched the targets"', async () => {
    const h = await harness();
    const summary = await h.deploy([playbookStep(nfsSpec({ targets: () => ({ 'dpf:env': ['dev'], 'dpf:role': ['bastion'] }) }))]);
    const err = summary.failures[0]!.error as StepFailedError;
    expect(err.message).toContain('no instance matched the targets (tag dpf:env=dev and tag dpf:role=bastion)');
  });

  it('GIVEN targets without dpf:env = this environment WHEN prepared THEN the step is refused before anything is sent', async () => {
    const h = await harness();
    const summary = await h.deploy([playbookStep(nfsSpec({ targets: () => ({ 'dpf:role': ['worker'] }) }))]);
    expect((summary.failures[0]!.error as Error).message).toContain('must target tag dpf:env=dev');
    expect(h.ssm.callsOf('sendCommand')).toHaveLength(0);
  });

  it('GIVEN two playbook steps in one run THEN the bundle is uploaded once and both use the same SourceInfo', async () => {
    const h = await harness();
    const monitoring = playbookStep(
      nfsSpec({ id: 'monitoring.agent', phase: 'monitoring', playbook: 'monitoring.yml', extraVars: () => ({ dpf_env: 'dev' }) }),
    );
    const summary = await h.deploy([playbookStep(nfsSpec()), monitoring]);
    expect(summary.status).toBe('done');
    expect(h.bundleCount()).toBe(1);
    const [a, b] = h.ssm.sentCommands();
    expect(a!.input.parameters.SourceInfo).toEqual(b!.input.parameters.SourceInfo);
    expect(new Set(h.ssm.sentCommands().map((c) => c.input.parameters.PlaybookFile![0]))).toEqual(new Set(['nfs.yml', 'monitoring.yml']));
  });
});

describe('playbookStep: the outputs a run reads', () => {
  it('GIVEN a run WHEN the ledger outputs it reads are recorded THEN they are PLAYBOOK_RUN_READS, the edges src/steps/phases.ts gives every playbook step', async () => {
    const h = await harness();
    const reads: Record<string, string[]> = {};
    const outputs = h.ledger.outputs.bind(h.ledger);
    h.ledger.outputs = (stepId: string) =>
      new Proxy(outputs(stepId), {
        get(target, key) {
          if (typeof key === 'string') reads[stepId] = [...new Set([...(reads[stepId] ?? []), key])];
          return target[key as string];
        },
      });
    const summary = await h.deploy([playbookStep(nfsSpec())]);
    expect(summary.status).toBe('done');
    expect(reads).toEqual(Object.fromEntries(Object.entries(PLAYBOOK_RUN_READS).map(([k, v]) => [k, [...v]])));
  });
});

describe('playbookStep: resume', () => {
  it('GIVEN a done step with unchanged bundle and targets WHEN deployed again THEN the engine skips it without sending anything', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    await h.deploy([step]);
    const puts = h.objects.puts.length;
    const summary = await h.deploy([step]);
    expect(summary.outcomes['storage.nfs']).toBe('skipped');
    expect(h.io.ofType('step-skipped')).toEqual([{ type: 'step-skipped', stepId: 'storage.nfs', reason: 'done, inputs unchanged, verified in AWS' }]);
    expect(h.ssm.callsOf('sendCommand')).toHaveLength(1);
    expect(h.objects.puts.length).toBe(puts);
  });

  it('GIVEN a done step WHEN the Auto Scaling group added a worker THEN verify fails naming it and the playbook runs again', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    await h.deploy([step]);
    h.ssm.registerInstance({ instanceId: 'i-0worker3', tags: { 'dpf:env': 'dev', 'dpf:role': 'worker' } });
    const summary = await h.deploy([step]);
    expect(summary.outcomes['storage.nfs']).toBe('done');
    expect(h.io.ofType('warning').map((w) => w.message)).toContain('storage.nfs was done but new instance(s) i-0worker3; running it again.');
    expect(h.ssm.sentCommands()[1]!.targets).toContain('i-0worker3');
    expect(h.ledger.get('storage.nfs')!.evidence.instanceIds).toContain('i-0worker3');
  });

  it('GIVEN a done step WHEN a worker went away (scale-in) THEN verify still passes', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    await h.deploy([step]);
    h.ssm.setInstanceState('i-0worker2', 'terminated');
    const summary = await h.deploy([step]);
    expect(summary.outcomes['storage.nfs']).toBe('skipped');
  });

  it.each([
    { what: 'an extra variable', change: { extraVars: () => ({ dpf_env: 'dev', efs_file_system_id: 'fs-9999' }) } },
    { what: 'the targets', change: { targets: () => ({ 'dpf:env': ['dev'], 'dpf:role': ['worker'] }) } },
    { what: 'the playbook', change: { playbook: 'monitoring.yml' } },
  ])('GIVEN a done step WHEN $what changes THEN the input hash changes and it runs again', async ({ change }) => {
    const h = await harness();
    await h.deploy([playbookStep(nfsSpec())]);
    const summary = await h.deploy([playbookStep(nfsSpec(change as Partial<PlaybookStepSpec>))]);
    expect(summary.outcomes['storage.nfs']).toBe('done');
    expect(h.ssm.callsOf('sendCommand')).toHaveLength(2);
  });

  it('GIVEN a step left running by a dead process WHEN deployed again THEN it watches the earlier command instead of sending a new one', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    const ctx = makeContext(step, { ...h, signal: h.abort.signal, settings: testSettings() }, undefined);
    const prepared = await step.prepare(ctx);
    const commandId = await h.ssm.sendCommand({
      documentName: playbookDocument(h.envCtx),
      parameters: {},
      targets: { 'dpf:env': ['dev'] },
      maxConcurrency: '100%',
      maxErrors: '0',
      timeoutSeconds: 600,
    });
    await h.ledger.updateStep('storage.nfs', 'storage', { status: 'running', inputHash: prepared.inputHash, evidence: { commandId } }, h.clock.now());
    const summary = await h.deploy([step]);
    expect(summary.outcomes['storage.nfs']).toBe('done');
    expect(h.ssm.callsOf('sendCommand')).toHaveLength(1);
    expect(h.ledger.get('storage.nfs')!.evidence.commandId).toBe(commandId);
  });
});

describe('playbookStep: SendCommand exactly once (it has no idempotency token)', () => {
  it("GIVEN SendCommand's answer is lost after the command was created WHEN the step runs THEN the command is found by its marker and not sent again", async () => {
    const h = await harness();
    h.ssm.loseAnswers('sendCommand');
    const summary = await h.deploy([playbookStep(nfsSpec())]);
    expect(summary.outcomes['storage.nfs']).toBe('done');
    expect(h.ssm.sentCommands()).toHaveLength(1);
    expect(h.ssm.callsOf('findCommandByMarker')).toHaveLength(1);
    const rec = h.ledger.get('storage.nfs')!;
    expect(rec.evidence.commandId).toBe(h.ssm.sentCommands()[0]!.commandId);
    expect(h.ssm.sentCommands()[0]!.input.comment!.split(' ')[0]).toBe(rec.evidence.sendMarker);
    expect(
      h.io
        .ofType('warning')
        .map((w) => w.message)
        .join('\n'),
    ).toMatch(/answer was lost.*watching it instead of sending again/);
  });

  it('GIVEN the marker is in the ledger before the send WHEN the process dies before it learns the command id THEN the rerun adopts that command', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    const ctx = makeContext(step, { ...h, signal: h.abort.signal, settings: testSettings() }, undefined);
    const prepared = await step.prepare(ctx);
    // What a run killed right after SendCommand leaves: the marker and its time, no command id.
    const at = h.clock.now();
    const commandId = await h.ssm.sendCommand({
      documentName: playbookDocument(h.envCtx),
      parameters: {},
      targets: { 'dpf:env': ['dev'] },
      maxConcurrency: '100%',
      maxErrors: '0',
      timeoutSeconds: 600,
      comment: 'dpf-m-0123456789ab dpf storage.nfs run nfs.yml',
    });
    await h.ledger.updateStep(
      'storage.nfs',
      'storage',
      { status: 'running', inputHash: prepared.inputHash, attempts: 1, evidence: { sendMarker: 'dpf-m-0123456789ab', sendMarkerAt: at.toISOString() } },
      at,
    );
    const summary = await h.deploy([step]);
    expect(summary.outcomes['storage.nfs']).toBe('done');
    expect(h.ssm.sentCommands()).toHaveLength(1);
    expect(h.ledger.get('storage.nfs')!.evidence.commandId).toBe(commandId);
    expect(
      h.io
        .ofType('step-progress')
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/sent by an interrupted run \(marker dpf-m-0123456789ab\)/);
  });

  it('GIVEN a marker recorded but no command carries it (the send never arrived) WHEN rerun THEN the playbook is sent, once, with a new marker', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    const ctx = makeContext(step, { ...h, signal: h.abort.signal, settings: testSettings() }, undefined);
    const prepared = await step.prepare(ctx);
    await h.ledger.updateStep(
      'storage.nfs',
      'storage',
      {
        status: 'running',
        inputHash: prepared.inputHash,
        attempts: 1,
        evidence: { sendMarker: 'dpf-m-ffffffffffff', sendMarkerAt: h.clock.now().toISOString() },
      },
      h.clock.now(),
    );
    await h.deploy([step]);
    expect(h.ssm.sentCommands()).toHaveLength(1);
    const marker = h.ssm.sentCommands()[0]!.input.comment!.split(' ')[0];
    expect(marker).not.toBe('dpf-m-ffffffffffff');
    expect(h.ledger.get('storage.nfs')!.evidence.sendMarker).toBe(marker);
  });

  it('GIVEN the ledger WHEN SendCommand goes out THEN the marker was recorded before it', async () => {
    const h = await harness();
    const seen: unknown[] = [];
    const send = h.ssm.sendCommand.bind(h.ssm);
    h.ssm.sendCommand = async (input) => {
      seen.push(h.ledger.get('storage.nfs')?.evidence.sendMarker);
      return send(input);
    };
    await h.deploy([playbookStep(nfsSpec())]);
    expect(seen).toEqual([h.ssm.sentCommands()[0]!.input.comment!.split(' ')[0]]);
  });
});

describe('playbookStep: check mode', () => {
  it('GIVEN a done step WHEN checked THEN Check=True is sent, the result is returned as evidence and the ledger record is unchanged', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    await h.deploy([step]);
    const before = JSON.stringify(h.ledger.get('storage.nfs'));
    h.ssm.script('*', { stdout: RECAP(3) }, { check: true });
    const ctx = makeContext(step, { ...h, signal: h.abort.signal, settings: testSettings() }, h.ledger.get('storage.nfs'));
    const result = await step.check!(ctx, await step.prepare(ctx));
    const sent = h.ssm.sentCommands().at(-1)!.input;
    expect(sent.parameters.Check).toEqual(['True']);
    expect(result.changed).toBe(true); // would change
    expect(result.evidence).toMatchObject({ mode: 'check', ok: true, wouldChange: 12, playbook: 'nfs.yml' });
    expect(result.summary).toBe('nfs.yml: 4 host(s): 4 Success; would change 12 task(s)');
    expect(JSON.stringify(h.ledger.get('storage.nfs'))).toBe(before);
  });

  it('GIVEN a done step WHEN deploy --check runs it THEN Check=True is sent, the status stays done and the result lands in evidence.lastCheck', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    await h.deploy([step]);
    const before = h.ledger.get('storage.nfs')!;
    h.ssm.script('*', { stdout: RECAP(0) }, { check: true });
    const summary = await h.deploy([step], false, true);
    expect(summary.status).toBe('done');
    expect(h.ssm.sentCommands().at(-1)!.input.parameters.Check).toEqual(['True']);
    const after = h.ledger.get('storage.nfs')!;
    expect({ status: after.status, inputHash: after.inputHash, finishedAt: after.finishedAt, commandId: after.evidence.commandId }).toEqual({
      status: 'done',
      inputHash: before.inputHash,
      finishedAt: before.finishedAt,
      commandId: before.evidence.commandId,
    });
    expect(after.evidence.lastCheck).toMatchObject({
      changed: false,
      mode: 'check',
      ok: true,
      wouldChange: 0,
      summary: 'nfs.yml: 4 host(s): 4 Success; no changes',
    });
  });

  it('GIVEN this version of the bundle not in the state bucket WHEN checked THEN nothing is uploaded or sent, and the result says it was not checked', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    const ctx = makeContext(step, { ...h, signal: h.abort.signal, settings: testSettings() }, undefined);
    const result = await step.check!(ctx, await step.prepare(ctx));
    expect(h.bundleCount()).toBe(0);
    expect(h.ssm.sentCommands()).toEqual([]);
    expect(result).toMatchObject({ changed: true, evidence: { mode: 'check', checked: false } });
    expect(result.summary).toMatch(/^nfs\.yml: not checked — this version of the Ansible bundle .* --check uploads nothing/);
  });

  it('GIVEN a host failing in check mode WHEN checked THEN the failure is in the result, not thrown, and nothing is recorded', async () => {
    const h = await harness();
    const step = playbookStep(nfsSpec());
    await ensureBundleUploaded(h.objects, BUCKET, buildBundle(), 'us-west-2'); // a deploy put this version there
    h.ssm.script('i-0dev', { status: 'Failed', stdout: 'fatal: [localhost]: FAILED! => {"msg": "package nfs-utils not installed"}' }, { check: true });
    const ctx = makeContext(step, { ...h, signal: h.abort.signal, settings: testSettings() }, undefined);
    const result = await step.check!(ctx, await step.prepare(ctx));
    expect(result.evidence).toMatchObject({ ok: false, hosts: { 'i-0dev': { status: 'Failed' } } });
    expect(result.summary).toMatch(/^FAILED: Playbook nfs.yml failed on 1 of 4 host\(s\): i-0dev \(dev\): Failed/);
    expect(h.ledger.get('storage.nfs')).toBeUndefined();
  });
});

describe('playbookStep: waiting for the targets to be Online in SSM', () => {
  it('GIVEN a worker whose agent registers 40 s after launch WHEN the step runs THEN it waits, says so, and sends to every target', async () => {
    const h = await harness();
    h.ssm.registerInstance({ instanceId: 'i-0worker3', tags: { 'dpf:env': 'dev', 'dpf:role': 'worker' }, onlineAfterMs: 40_000 });
    const before = h.clock.now().getTime();
    const summary = await h.deploy([playbookStep(nfsSpec())]);
    expect(summary.status).toBe('done');
    const [sent] = h.ssm.sentCommands();
    expect(sent!.targets).toContain('i-0worker3');
    expect(h.ssm.callsOf('sendCommand')[0]!.at.getTime() - before).toBeGreaterThanOrEqual(40_000);
    const progress = h.io.events.filter((e) => e.type === 'step-progress').map((e) => (e as { message: string }).message);
    expect(progress.some((m) => /waiting for 1 of 5 instance\(s\) to be Online in SSM: i-0worker3 \(worker\) not registered/.test(m))).toBe(true);
    expect(h.ledger.get('storage.nfs')!.evidence.onlineWaitSeconds).toBeGreaterThanOrEqual(40);
  });

  it.each([
    ['never registers', { pingStatus: 'NotRegistered' }, 'not registered'],
    ['lost its connection', { pingStatus: 'ConnectionLost' }, 'ConnectionLost'],
  ])('GIVEN a target that %s WHEN the step runs THEN it fails after ssm.onlineTimeoutSeconds naming it, and sends nothing', async (_what, over, status) => {
    const h = await harness({ onlineTimeoutSeconds: 120 });
    h.ssm.registerInstance({ instanceId: 'i-0ipa', tags: { 'dpf:env': 'dev', 'dpf:role': 'worker' }, ...over });
    const summary = await h.deploy([playbookStep(nfsSpec())]);
    expect(summary.status).toBe('failed');
    const rec = h.ledger.get('storage.nfs')!;
    expect(rec.error?.message).toContain(`1 of 5 instance(s) did not come Online in SSM within 120 s: i-0ipa (worker) ${status}`);
    expect(rec.error?.hint).toMatch(/amazon-ssm-agent.*AmazonSSMManagedInstanceCore.*443/s);
    expect(h.ssm.callsOf('sendCommand')).toEqual([]);
  });
});

describe('ExtraVariables', () => {
  it.each<{ vars: Record<string, string>; error: string }>([
    { vars: { db_password: 'hunter2' }, error: 'db_password looks like a secret' },
    { vars: { api_token: 'ghp_abc123' }, error: 'api_token looks like a secret' },
    { vars: { ssh_private_key: 'AAAAB3Nza' }, error: 'ssh_private_key looks like a secret' },
    { vars: { ipa_admin_secret: 'Sup3rS3cret!' }, error: 'ipa_admin_secret looks like a secret' },
    {
      vars: { ipa_admin_secret_arn: 'arn:aws:secretsmanager:us-west-2:123456789012:secret:dp/dev/ipa-admin-AbCdEf' },
      error: 'contains ":", which the dpf Ansible document refuses',
    },
    { vars: { note: 'two words' }, error: 'contains whitespace' },
    { vars: { cmd: '$(reboot)' }, error: 'contains "(", which the dpf Ansible document refuses' },
    { vars: { tmpl: '{{lookup}}' }, error: 'contains "{", which the dpf Ansible document refuses (it is spliced into a shell command' },
    { vars: { quoted: 'a"b' }, error: 'contains """, which the dpf Ansible document refuses (it is spliced' },
    { vars: { 'bad-name': 'x' }, error: 'variable name "bad-name" is not a word' },
  ])('GIVEN $vars WHEN rendered THEN refused: $error', ({ vars, error }) => {
    expect(() => renderExtraVariables('identity.ipa', vars)).toThrow(error);
  });

  it.each<{ vars: Record<string, string>; out: string }>([
    { vars: { ipa_admin_secret_name: 'dataplatform/dev/ipa-admin' }, out: 'ipa_admin_secret_name=dataplatform/dev/ipa-admin' },
    {
      vars: { ipa_host_keytab_secret_prefix: 'dataplatform/dev/freeipa/host-keytab' },
      out: 'ipa_host_keytab_secret_prefix=dataplatform/dev/freeipa/host-keytab',
    },
    { vars: { rds_secret: 'rds!db-0f3c2a1b-7d4e-4a5b-9c8d-112233445566' }, out: 'rds_secret=rds!db-0f3c2a1b-7d4e-4a5b-9c8d-112233445566' },
    { vars: { kms_key: 'alias/dataplatform-dev' }, out: 'kms_key=alias/dataplatform-dev' },
    {
      vars: { ipa_enrol_hosts: 'w1.dataplatform.internal,w2.dataplatform.internal', dpf_role: 'worker' },
      out: 'dpf_role=worker ipa_enrol_hosts=w1.dataplatform.internal,w2.dataplatform.internal',
    },
    { vars: { ipa_ds_secret_arn: '', dpf_env: 'dev' }, out: 'dpf_env=dev' },
    { vars: {}, out: '' },
  ])('GIVEN $vars WHEN rendered THEN $out', ({ vars, out }) => {
    expect(renderExtraVariables('identity.ipa', vars)).toBe(out);
  });

  it('GIVEN a step whose extra vars hold a password WHEN deployed THEN it fails before uploading or sending anything', async () => {
    const h = await harness();
    const summary = await h.deploy([playbookStep(nfsSpec({ extraVars: () => ({ dpf_env: 'dev', rds_password: 'Pa55word' }) }))]);
    const err = summary.failures[0]!.error as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.message).toContain('rds_password looks like a secret');
    expect(err.hint).toContain('Secrets Manager');
    expect(h.ssm.callsOf('sendCommand')).toHaveLength(0);
    expect(h.objects.puts).toHaveLength(0);
  });
});

describe('parseRecap', () => {
  it.each([
    {
      lines: ['PLAY RECAP ***', 'localhost                  : ok=12   changed=3    unreachable=0    failed=0    skipped=2'],
      recap: { ok: 12, changed: 3, unreachable: 0, failed: 0 },
    },
    { lines: ['no recap here'], recap: undefined },
  ])('GIVEN $lines THEN $recap', ({ lines, recap }) => {
    expect(parseRecap(lines)).toEqual(recap);
  });
});
