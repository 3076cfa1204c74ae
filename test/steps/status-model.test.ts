import { describe, expect, it } from 'vitest';
import { buildStatus, phaseStatus, driftFromLedger, checkSummaries, type StepStatusView } from '../../src/steps/status-model.js';
import { gatherOpsFacts, type LiveFacts } from '../../src/status/facts.js';
import { liveLines } from '../../src/ui/status-view.js';
import { runStatus } from '../../src/commands/status.js';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger, serializeLedger } from '../../src/state/ledger.js';
import { makeChalk } from '../../src/ui/format.js';
import type { CommandContext } from '../../src/context.js';
import { FakePlatform } from '../fakes/fake-platform.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { MemoryObjectStore } from '../fakes/fake-ssm.js';
import type { AwsPorts } from '../../src/aws/ports.js';
import { emptyLedger, type LedgerData, type StepRecord } from '../../src/state/ledger.js';
import type { PhaseId, StepDef } from '../../src/steps/types.js';
import { testSettings } from '../fakes/fake-settings.js';
import { localLedgerPath } from '../../src/state/store.js';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const iso = (min: number) => new Date(T0.getTime() + min * 60_000).toISOString();

function def(id: string, dependsOn: string[] = []): StepDef {
  return {
    id,
    phase: id.split('.')[0] as PhaseId,
    title: `title of ${id}`,
    kind: 'stack',
    dependsOn,
    prepare: async () => ({ inputHash: 'h', estimateSeconds: 1 }),
    run: async () => ({ changed: false }),
  };
}

/** bootstrap → network → {compute.stack, compute.config, storage.stack} */
const STEPS = [
  def('bootstrap.state'),
  def('network.stack', ['bootstrap.state']),
  def('compute.stack', ['network.stack']),
  def('compute.config', ['compute.stack']),
  def('storage.stack', ['network.stack']),
];

function ledgerWith(records: Record<string, Partial<StepRecord> & { status: StepRecord['status'] }>): LedgerData {
  const d = emptyLedger('dataplatform', 'dev', T0);
  for (const [id, r] of Object.entries(records)) d.steps[id] = { id, phase: id.split('.')[0]!, outputs: {}, attempts: 1, evidence: {}, ...r };
  return d;
}

const view = (status: StepStatusView['status']): StepStatusView => ({ id: 'x.y', title: '', kind: 'stack', status, dependsOn: [] });

describe('phaseStatus', () => {
  it.each<[string, StepStatusView['status'][], ReturnType<typeof phaseStatus>]>([
    ['no steps', [], 'pending'],
    ['all pending', ['pending', 'pending'], 'pending'],
    ['all done', ['done', 'done'], 'done'],
    ['done and skipped', ['done', 'skipped'], 'done'],
    ['one done, one pending', ['done', 'pending'], 'partial'],
    ['one running', ['done', 'running'], 'running'],
    ['one failed, one running', ['failed', 'running'], 'failed'],
    ['one failed', ['done', 'failed'], 'failed'],
  ])('GIVEN %s WHEN summarised THEN the phase is %s', (_what, statuses, expected) => {
    expect(phaseStatus(statuses.map(view))).toBe(expected);
  });
});

describe('buildStatus', () => {
  it('GIVEN an empty ledger WHEN built THEN every phase is pending and only the first step is runnable', () => {
    const s = buildStatus(emptyLedger('dataplatform', 'dev', T0), STEPS);
    expect(s.phases.map((p) => [p.id, p.status])).toEqual([
      ['bootstrap', 'pending'],
      ['network', 'pending'],
      ['compute', 'pending'],
      ['storage', 'pending'],
      ['identity', 'pending'],
      ['monitoring', 'pending'],
      ['golive', 'pending'],
    ]);
    expect(s.next[0]).toEqual({ id: 'bootstrap.state', runnable: true, waitingFor: [] });
    expect(s.next.find((n) => n.id === 'network.stack')).toEqual({ id: 'network.stack', runnable: false, waitingFor: ['bootstrap.state'] });
    expect(s.progress).toEqual({ done: 0, total: 5, percent: 0 });
  });

  it('GIVEN a mid-deployment ledger WHEN built THEN phases are done/partial/failed/running as their steps say', () => {
    const ledger = ledgerWith({
      'bootstrap.state': { status: 'done', startedAt: iso(0), finishedAt: iso(2) },
      'network.stack': { status: 'done', startedAt: iso(3), finishedAt: iso(9) },
      'compute.stack': { status: 'done', startedAt: iso(10), finishedAt: iso(20) },
      'storage.stack': { status: 'failed', startedAt: iso(10), finishedAt: iso(15), error: { message: 'boom', rootCause: 'Db: quota' } },
    });
    const s = buildStatus(ledger, STEPS);
    const phase = (id: string) => s.phases.find((p) => p.id === id)!;
    expect(phase('bootstrap')).toMatchObject({ status: 'done', startedAt: iso(0), finishedAt: iso(2) });
    expect(phase('network')).toMatchObject({ status: 'done', startedAt: iso(3), finishedAt: iso(9) });
    expect(phase('compute')).toMatchObject({ status: 'partial', startedAt: iso(10), finishedAt: undefined });
    expect(phase('storage')).toMatchObject({ status: 'failed' });
    expect(phase('storage').steps[0]!.error).toEqual({ message: 'boom', rootCause: 'Db: quota' });
    expect(s.progress).toEqual({ done: 3, total: 5, percent: 60 });
  });

  it('GIVEN a step left running WHEN built THEN its phase is running', () => {
    const s = buildStatus(ledgerWith({ 'bootstrap.state': { status: 'done' }, 'network.stack': { status: 'running', startedAt: iso(1) } }), STEPS);
    expect(s.phases.find((p) => p.id === 'network')!.status).toBe('running');
  });

  it('GIVEN some steps done WHEN built THEN next lists the runnable steps first, then what the others wait for', () => {
    const ledger = ledgerWith({
      'bootstrap.state': { status: 'done' },
      'network.stack': { status: 'done' },
      'storage.stack': { status: 'failed' },
    });
    const s = buildStatus(ledger, STEPS);
    expect(s.next).toEqual([
      { id: 'compute.stack', runnable: true, waitingFor: [] },
      { id: 'storage.stack', runnable: true, waitingFor: [] },
      { id: 'compute.config', runnable: false, waitingFor: ['compute.stack'] },
    ]);
  });

  it('GIVEN every step done WHEN built THEN nothing is next and progress is 100%', () => {
    const ledger = ledgerWith(Object.fromEntries(STEPS.map((s) => [s.id, { status: 'done' as const }])));
    const s = buildStatus(ledger, STEPS);
    expect(s.next).toEqual([]);
    expect(s.progress.percent).toBe(100);
  });

  it('GIVEN a step with a stack and live facts WHEN built THEN the view shows the live stack status and drift', () => {
    const ledger = ledgerWith({
      'bootstrap.state': { status: 'done', evidence: { stackName: 'dp-dev-bootstrap' }, operator: 'alice', attempts: 2, durationSeconds: 61 },
    });
    const s = buildStatus(ledger, STEPS, { 'dp-dev-bootstrap': { status: 'UPDATE_COMPLETE', drift: 'DRIFTED' } });
    expect(s.phases[0]!.steps[0]).toMatchObject({
      id: 'bootstrap.state',
      title: 'title of bootstrap.state',
      kind: 'stack',
      status: 'done',
      operator: 'alice',
      attempts: 2,
      durationSeconds: 61,
      stack: { name: 'dp-dev-bootstrap', status: 'UPDATE_COMPLETE', drift: 'DRIFTED' },
    });
    expect(s.phases[1]!.steps[0]!.stack).toBeUndefined();
  });
});

describe('go-live facts in the status', () => {
  const CHECK: StepDef = { ...def('golive.stacks', ['network.stack']), kind: 'check', title: 'Stacks complete and without drift' };
  const verdict = (stacks: Record<string, { drift: string; reason?: string }>) => ({
    check: {
      status: 'fail',
      summary: 's',
      category: 'infrastructure',
      checkedAt: iso(30),
      evidence: { stacks: Object.fromEntries(Object.entries(stacks).map(([k, v]) => [k, { step: 'x', status: 'CREATE_COMPLETE', ...v }])) },
    },
  });

  it('GIVEN a golive drift verdict and no live detection WHEN built THEN each stack shows the drift from golive, with when', () => {
    const ledger = ledgerWith({
      'bootstrap.state': { status: 'done', evidence: { stackName: 'dp-dev-bootstrap' } },
      'network.stack': { status: 'done', evidence: { stackName: 'dp-dev-network' } },
      'golive.stacks': { status: 'failed', evidence: verdict({ 'dp-dev-bootstrap': { drift: 'IN_SYNC' }, 'dp-dev-network': { drift: 'DRIFTED' } }) },
    });
    expect(driftFromLedger(ledger)).toEqual({
      'dp-dev-bootstrap': { drift: 'IN_SYNC', checkedAt: iso(30) },
      'dp-dev-network': { drift: 'DRIFTED', checkedAt: iso(30) },
    });
    const s = buildStatus(ledger, [...STEPS, CHECK], { 'dp-dev-network': { status: 'UPDATE_COMPLETE' } });
    expect(s.phases[1]!.steps[0]!.stack).toEqual({
      name: 'dp-dev-network',
      status: 'UPDATE_COMPLETE',
      drift: 'DRIFTED',
      driftSource: 'golive',
      driftCheckedAt: iso(30),
    });
  });

  it('GIVEN live drift detection WHEN built THEN it wins over the golive verdict', () => {
    const ledger = ledgerWith({
      'network.stack': { status: 'done', evidence: { stackName: 'dp-dev-network' } },
      'golive.stacks': { status: 'failed', evidence: verdict({ 'dp-dev-network': { drift: 'DRIFTED' } }) },
    });
    const s = buildStatus(ledger, [...STEPS, CHECK], { 'dp-dev-network': { status: 'UPDATE_COMPLETE', drift: 'IN_SYNC' } });
    expect(s.phases[1]!.steps[0]!.stack).toMatchObject({ drift: 'IN_SYNC', driftSource: 'live' });
  });

  it('GIVEN check steps WHEN built THEN each carries its verdict and the checks list says which never ran', () => {
    const other: StepDef = { ...def('golive.alarms', ['network.stack']), kind: 'check', title: 'Alarms' };
    const ledger = ledgerWith({ 'golive.stacks': { status: 'failed', evidence: verdict({}) } });
    const s = buildStatus(ledger, [...STEPS, CHECK, other]);
    const golive = s.phases.find((p) => p.id === 'golive')!;
    expect(golive.status).toBe('failed');
    expect(golive.steps[0]!.verdict).toEqual({ status: 'fail', summary: 's', checkedAt: iso(30) });
    expect(checkSummaries(ledger, [...STEPS, CHECK, other])).toEqual([
      {
        id: 'golive.stacks',
        title: 'Stacks complete and without drift',
        category: 'infrastructure',
        status: 'fail',
        summary: 's',
        checkedAt: iso(30),
        stepStatus: 'failed',
      },
      { id: 'golive.alarms', title: 'Alarms', category: undefined, status: 'not-run', summary: undefined, checkedAt: undefined, stepStatus: 'pending' },
    ]);
    expect(s.checks).toHaveLength(2);
  });
});

describe('live operations facts (dpf status)', () => {
  it('GIVEN SSM, CloudWatch and Backup answering THEN nodes online, alarms in ALARM and the latest recovery point are reported', async () => {
    const clock = new FakeClock('2025-07-20T12:00:00.000Z');
    const p = new FakePlatform({ clock });
    p.addInstance({ instanceId: 'i-1', role: 'master' }).addInstance({ instanceId: 'i-2', role: 'worker', pingStatus: 'ConnectionLost' });
    p.alarms = [
      { name: 'dataplatform-dev-master-cpu-high', state: 'ALARM', reason: 'Threshold Crossed', dimensions: {}, actions: [] },
      { name: 'dataplatform-dev-x', state: 'OK', dimensions: {}, actions: [] },
    ];
    p.recoveryPoints.vault = [
      { arn: 'rp-1', status: 'COMPLETED', completed: new Date('2025-07-20T10:00:00Z'), vault: 'vault' },
      { arn: 'rp-0', status: 'COMPLETED', completed: new Date('2025-07-19T10:00:00Z'), vault: 'vault' },
    ];
    const ledger = ledgerWith({
      'compute.stack': { status: 'done' },
      'monitoring.stack': { status: 'done' },
      'storage.stack': { status: 'done', outputs: { BackupVaultName: 'vault' } },
    });
    const ports = { ops: async () => p.ports() } as unknown as AwsPorts;
    const f = await gatherOpsFacts(ports, ledger, { project: 'dataplatform', env: 'dev', rpoMinutes: 1440, now: clock.now() });
    expect(f.nodes).toEqual({ total: 2, online: 1, offline: [{ instanceId: 'i-2', role: 'worker', pingStatus: 'ConnectionLost' }] });
    expect(f.alarms).toEqual({ total: 2, inAlarm: [{ name: 'dataplatform-dev-master-cpu-high', reason: 'Threshold Crossed' }] });
    expect(f.recoveryPoint).toMatchObject({ arn: 'rp-1', ageMinutes: 120, withinRpo: true });
    expect(f.notes).toEqual([]);
  });

  it('GIVEN a scaled-out worker whose association has not run yet THEN only the configured workers count, and the other is named', async () => {
    const clock = new FakeClock('2025-07-20T12:00:00.000Z');
    const p = new FakePlatform({ clock });
    p.groups.push({
      name: 'dp-workers',
      min: 2,
      max: 6,
      desired: 3,
      tags: {},
      subnetIds: [],
      instances: ['i-w1', 'i-w2', 'i-w3'].map((instanceId) => ({ instanceId, lifecycleState: 'InService', healthStatus: 'Healthy' })),
    });
    p.ssm.setAssociationStatus('i-w2', { associationName: 'dataplatform-dev-worker-launch', status: 'Success' });
    p.ssm.setAssociationStatus('i-w3', { associationName: 'dataplatform-dev-worker-launch', status: 'InProgress' });
    const ledger = ledgerWith({
      'compute.stack': { status: 'done', outputs: { WorkerAutoScalingGroupName: 'dp-workers' } },
      'identity.configure-worker': { status: 'done', evidence: { hosts: { 'i-w1': { status: 'Success' } } } },
    });
    const f = await gatherOpsFacts({ ops: async () => p.ports() } as unknown as AwsPorts, ledger, {
      project: 'dataplatform',
      env: 'dev',
      rpoMinutes: 1440,
      now: clock.now(),
    });
    expect(f.workers).toEqual({
      group: 'dp-workers',
      desired: 3,
      inService: 3,
      configured: 2,
      notConfigured: [{ instanceId: 'i-w3', detail: 'association dataplatform-dev-worker-launch is InProgress on it' }],
    });
    const text = liveLines(
      makeChalk(false),
      { checkedAt: T0.toISOString(), drift: { source: 'none', stacks: {} }, nodes: null, alarms: null, recoveryPoint: null, notes: [], workers: f.workers },
      [],
      'dev',
    ).join('\n');
    expect(text).toContain(
      'Workers configured: 2/3 desired (3 InService) — not configured: i-w3 (association dataplatform-dev-worker-launch is InProgress on it)',
    );
  });

  it('GIVEN the emulator (SSM and Backup unanswered) THEN each becomes a note, never an error', async () => {
    const p = new FakePlatform({ clock: new FakeClock() });
    p.addInstance({ instanceId: 'i-1', role: 'master' });
    p.failOn('ssm.describeInstanceInformation', new Error('SSM DescribeInstanceInformation is not implemented by the AWS endpoint in use'));
    p.failOn('backup.listRecoveryPoints', new Error('Unexpected token <'));
    const ledger = ledgerWith({ 'compute.stack': { status: 'done' }, 'storage.stack': { status: 'done', outputs: { BackupVaultName: 'vault' } } });
    const f = await gatherOpsFacts({ ops: async () => p.ports() } as unknown as AwsPorts, ledger, {
      project: 'dataplatform',
      env: 'dev',
      rpoMinutes: 1440,
      now: new Date(),
    });
    expect(f).toMatchObject({ nodes: null, alarms: null, recoveryPoint: null });
    expect([...f.notes].sort()).toEqual([
      'nodes (SSM): SSM DescribeInstanceInformation is not implemented by the AWS endpoint in use',
      'recovery points (AWS Backup vault vault): Unexpected token <',
    ]);
  });
});

describe('live operations facts: what is compared with what', () => {
  it("GIVEN a newer database recovery point in the vault THEN the one shown against the file-system RPO is the file system's", async () => {
    const clock = new FakeClock('2025-07-20T12:00:00.000Z');
    const p = new FakePlatform({ clock });
    const efs = 'arn:aws:elasticfilesystem:us-west-2:111122223333:file-system/fs-0123abcd';
    p.recoveryPoints.vault = [
      {
        arn: 'rp-db',
        resourceArn: 'arn:aws:rds:us-west-2:111122223333:db:dp-dev-metadata',
        status: 'COMPLETED',
        completed: new Date('2025-07-20T11:00:00Z'),
        vault: 'vault',
      },
      { arn: 'rp-efs', resourceArn: efs, status: 'COMPLETED', completed: new Date('2025-07-18T12:00:00Z'), vault: 'vault' },
    ];
    const ledger = ledgerWith({ 'storage.stack': { status: 'done', outputs: { BackupVaultName: 'vault', EfsFileSystemId: 'fs-0123abcd' } } });
    const f = await gatherOpsFacts({ ops: async () => p.ports() } as unknown as AwsPorts, ledger, {
      project: 'dataplatform',
      env: 'dev',
      rpoMinutes: 1440,
      now: clock.now(),
    });
    expect(f.recoveryPoint).toMatchObject({ arn: 'rp-efs', resourceArn: efs, ageMinutes: 2880, withinRpo: false });
  });

  it('GIVEN the monitoring stack deployed but no alarm found THEN the text says so instead of "none in ALARM"', () => {
    const facts: LiveFacts = {
      checkedAt: T0.toISOString(),
      drift: { source: 'none', stacks: {} },
      nodes: null,
      workers: null,
      alarms: { total: 0, inAlarm: [] },
      recoveryPoint: null,
      notes: [],
    };
    const text = liveLines(makeChalk(false), facts, [], 'dev').join('\n');
    expect(text).toContain('Alarms: no alarm of this environment found, although the monitoring stack is deployed');
    expect(text).not.toContain('none in ALARM');
  });
});

describe('runStatus', () => {
  let dir: string;
  const out: string[] = [];
  const ctxWith = (aws: Partial<AwsPorts>, json = true): CommandContext => ({
    globals: { env: 'dev', config: path.join(dir, 'dpf.config.yaml'), json, yes: true, verbose: false, color: false },
    settings: testSettings(),
    io: undefined as never,
    clock: new FakeClock(T0),
    signal: new AbortController().signal,
    aws: () => ({ region: 'us-west-2', ...aws }) as AwsPorts,
    stdout: (t) => out.push(t),
    isTTY: false,
  });
  const setup = () => {
    out.length = 0;
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-status-'));
    writeFileSync(path.join(dir, 'dpf.config.yaml'), 'version: 1\nproject: dataplatform\nenvironments:\n  dev: {}\n');
    const file = localLedgerPath(dir, 'dev');
    mkdirSync(path.dirname(file), { recursive: true });
    const d = emptyLedger('dataplatform', 'dev', T0);
    d.steps['bootstrap.state'] = {
      id: 'bootstrap.state',
      phase: 'bootstrap',
      status: 'done',
      outputs: { StateBucketName: 'b' },
      attempts: 1,
      evidence: { stackName: 'dp-dev-bootstrap' },
    };
    writeFileSync(file, serializeLedger(d));
  };

  it('GIVEN AWS whose client never comes up THEN status still answers within the time box, with a note', async () => {
    setup();
    try {
      const never = () => new Promise<never>(() => undefined);
      await runStatus({ timeoutMs: 50 }, ctxWith({ identity: never, objects: never, cfn: never, ops: never }));
      const doc = JSON.parse(out[0]!);
      expect(doc.aws).toMatchObject({ reachable: false, note: expect.stringMatching(/AWS STS did not answer within 0\.05s/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 5000);

  it('GIVEN --drift with --offline THEN the JSON says the detection was not run (the flag is not silently ignored)', async () => {
    setup();
    try {
      await runStatus({ offline: true, drift: true }, ctxWith({}));
      const doc = JSON.parse(out[0]!);
      expect(doc.live.drift.source).toBe('none');
      expect(doc.live.notes).toContain('--drift: drift detection was not run (--offline makes no AWS call)');
      out.length = 0;
      await runStatus({ offline: true, drift: true }, ctxWith({}, false));
      expect(out[0]).toContain('note: --drift: drift detection was not run (--offline makes no AWS call)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('interrupted steps (a step left running that no process runs)', () => {
  it('GIVEN a running record marked evidence.interrupted WHEN built THEN the step says interrupted and keeps status running', () => {
    const s = buildStatus(
      ledgerWith({ 'bootstrap.state': { status: 'done' }, 'network.stack': { status: 'running', startedAt: iso(1), evidence: { interrupted: true } } }),
      STEPS,
    );
    const net = s.phases.find((p) => p.id === 'network')!;
    expect(net.steps[0]).toMatchObject({ id: 'network.stack', status: 'running', interrupted: true });
    expect(net).toMatchObject({ status: 'running', interrupted: true });
  });

  it.each<[string, boolean, boolean | undefined]>([
    ['no lock held', true, false],
    ['the lock held by a live process', false, true],
    ['the lock not known', false, undefined],
  ])('GIVEN a running record without the mark and %s WHEN built THEN interrupted: %s', (_what, expected, lockHeld) => {
    const s = buildStatus(ledgerWith({ 'bootstrap.state': { status: 'running', startedAt: iso(1) } }), STEPS, {}, { lockHeld });
    expect(s.phases[0]!.steps[0]!.interrupted === true).toBe(expected);
    expect(s.phases[0]!.steps[0]!.status).toBe('running');
  });

  it('GIVEN no lock held WHEN built THEN steps in other states are never interrupted', () => {
    const s = buildStatus(
      ledgerWith({ 'bootstrap.state': { status: 'done', evidence: { interrupted: true } }, 'network.stack': { status: 'failed' } }),
      STEPS,
      {},
      { lockHeld: false },
    );
    expect(s.phases.flatMap((p) => p.steps).filter((x) => x.interrupted)).toEqual([]);
  });
});

describe('runStatus: the human view fits one screen, --json keeps everything', () => {
  let dir: string;
  const out: string[] = [];
  const ctxWith = (aws: Partial<AwsPorts> | undefined, json: boolean): CommandContext => ({
    globals: { env: 'dev', config: path.join(dir, 'dpf.config.yaml'), json, yes: true, verbose: false, color: false },
    settings: testSettings(),
    io: undefined as never,
    clock: new FakeClock('2025-07-01T18:00:00.000Z'),
    signal: new AbortController().signal,
    aws: () => {
      if (!aws) throw new Error('offline test: no AWS');
      return { region: 'us-west-2', ...aws } as AwsPorts;
    },
    stdout: (t) => out.push(t),
    isTTY: false,
  });
  const at = (h: number, m: number) => new Date(Date.UTC(2025, 6, 1, h, m)).toISOString();
  const rec = (id: string, r: Partial<StepRecord> & { status: StepRecord['status'] }): StepRecord => ({
    id,
    phase: id.split('.')[0]!,
    outputs: {},
    attempts: 1,
    evidence: {},
    ...r,
  });
  /** bootstrap and network done, compute.stack left running by Ctrl-C, 3 go-live verdicts (1 pass, 1 unknown, 1 fail). */
  function deployed(): LedgerData {
    const d = emptyLedger('dataplatform', 'dev', T0);
    d.revision = 12;
    d.steps['bootstrap.state'] = rec('bootstrap.state', {
      status: 'done',
      startedAt: at(16, 39),
      finishedAt: at(16, 40),
      durationSeconds: 61,
      outputs: { StateBucketName: 'dataplatform-dev-dpf-state-111122223333' },
      evidence: { stackName: 'dataplatform-dev-bootstrap' },
    });
    d.steps['network.stack'] = rec('network.stack', {
      status: 'done',
      startedAt: at(16, 41),
      finishedAt: at(16, 45),
      durationSeconds: 240,
      evidence: { stackName: 'dataplatform-dev-network' },
    });
    d.steps['compute.stack'] = rec('compute.stack', {
      status: 'running',
      startedAt: at(16, 46),
      evidence: { stackName: 'dataplatform-dev-compute', interrupted: true, interruptedAt: at(16, 50) },
    });
    const verdict = (status: string, summary: string) => ({ check: { status, summary, category: 'security', checkedAt: at(17, 0), evidence: {} } });
    d.steps['golive.ssh-exposure'] = rec('golive.ssh-exposure', { status: 'done', evidence: verdict('pass', 'no security group opens port 22 to the world') });
    d.steps['golive.nodes-online'] = rec('golive.nodes-online', {
      status: 'done',
      evidence: verdict('unknown', `SSM DescribeInstanceInformation could not be answered: ${'x'.repeat(300)}`),
    });
    d.steps['golive.rds-private'] = rec('golive.rds-private', { status: 'failed', evidence: verdict('fail', 'the database is publicly accessible') });
    return d;
  }
  const setup = (d?: LedgerData) => {
    out.length = 0;
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-status-'));
    writeFileSync(path.join(dir, 'dpf.config.yaml'), 'version: 1\nproject: dataplatform\nenvironments:\n  dev: {}\n');
    if (d) {
      const file = localLedgerPath(dir, 'dev');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, serializeLedger(d));
    }
  };

  it('GIVEN a mid-deployment ledger WHEN shown to a human THEN no borders or row separators, done phases on one line, only the steps of phases not done, lines within the width', async () => {
    setup(deployed());
    try {
      await runStatus({ offline: true, width: 120 }, ctxWith(undefined, false));
      const text = out[0]!;
      const lines = text.split('\n');
      expect(text).not.toMatch(/[─│┼├┤┌┐└┘]/);
      expect(lines.find((l) => /^bootstrap\s/.test(l))).toMatch(/^bootstrap\s+done\s+1 step\s+16:39→16:40\s+1m$/);
      expect(lines.find((l) => /^network\s/.test(l))).toMatch(/^network\s+done\s+1 step\s+16:41→16:45\s+4m$/);
      expect(text).not.toContain('bootstrap.state');
      expect(text).not.toContain('network.stack');
      expect(text).toMatch(/\n {2}compute\.stack\s+interrupted \(rerun to resume\)\s+16:46→/);
      expect(text).toMatch(/\n {2}storage\.stack\s+pending/);
      expect(text).toMatch(/\n {2}golive\.ssh-exposure\s+done/);
      for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(120);
      // Checks: counts, then the failing and unknown ones by id, one line each.
      expect(text).toMatch(/Go-live checks: 1 pass, 0 warn, 1 unknown, 1 fail, \d+ not run — details: dpf report golive --env dev/);
      expect(lines.filter((l) => /^ {2}[✖?] (fail|unknown)/.test(l)).map((l) => l.split(/\s+/)[3])).toEqual(['golive.rds-private', 'golive.nodes-online']);
      expect(lines.find((l) => l.includes('? unknown'))).toMatch(/…$/);
      // The next section stays.
      expect(text).toMatch(/Next:\n {2}▶ compute\.stack — interrupted: ready to resume/);
      expect(text).toContain('run: dpf deploy --env dev');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GIVEN the same ledger WHEN --json THEN every phase, step and check is there, the interrupted step with interrupted: true and status running', async () => {
    setup(deployed());
    try {
      await runStatus({ offline: true }, ctxWith(undefined, true));
      const doc = JSON.parse(out[0]!);
      expect(doc.phases.map((p: any) => p.id)).toEqual(['bootstrap', 'network', 'compute', 'storage', 'identity', 'monitoring', 'golive']);
      expect(doc.phases[0].steps.map((s: any) => s.id)).toEqual(['bootstrap.state']);
      expect(doc.phases[0].steps[0]).toMatchObject({ status: 'done', startedAt: at(16, 39), finishedAt: at(16, 40) });
      expect(doc.phases.find((p: any) => p.id === 'compute').steps.find((s: any) => s.id === 'compute.stack')).toMatchObject({
        status: 'running',
        interrupted: true,
      });
      expect(
        doc.phases
          .flatMap((p: any) => p.steps)
          .filter((s: any) => s.interrupted)
          .map((s: any) => s.id),
      ).toEqual(['compute.stack']);
      expect(doc.checks.length).toBeGreaterThanOrEqual(17);
      expect(doc.checks.find((c: any) => c.id === 'golive.ssh-exposure')).toMatchObject({ status: 'pass' });
      for (const k of ['env', 'project', 'region', 'ledger', 'aws', 'lock', 'progress', 'phases', 'next', 'checks', 'live', 'lastRun'])
        expect(doc).toHaveProperty(k);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const runningNoMark = () => {
    const d = deployed();
    d.steps['compute.stack']!.evidence = { stackName: 'dataplatform-dev-compute' };
    return d;
  };
  const lockFile = (pid: number) => {
    const f = path.join(dir, '.dpf', 'dev', 'lock.json');
    writeFileSync(
      f,
      JSON.stringify({
        env: 'dev',
        token: 't',
        identity: 'arn:aws:iam::111122223333:user/alice',
        host: os.hostname(),
        pid,
        command: 'deploy',
        since: at(16, 46),
        expiresAt: '2999-01-01T00:00:00.000Z',
      }),
    );
  };

  it('GIVEN a step running (no interrupted mark) and no lock file THEN nothing runs it: interrupted', async () => {
    setup(runningNoMark());
    try {
      await runStatus({ offline: true }, ctxWith(undefined, true));
      const doc = JSON.parse(out[0]!);
      expect(doc.lock).toBeNull();
      expect(doc.phases.find((p: any) => p.id === 'compute').steps[0]).toMatchObject({ id: 'compute.stack', status: 'running', interrupted: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GIVEN a step running and the lock file held by a live process on this host THEN it is running, not interrupted', async () => {
    setup(runningNoMark());
    try {
      lockFile(process.pid);
      await runStatus({ offline: true }, ctxWith(undefined, true));
      const doc = JSON.parse(out[0]!);
      expect(doc.lock).toMatchObject({ pid: process.pid, where: 'lock file' });
      expect(doc.phases.find((p: any) => p.id === 'compute').steps[0].interrupted).toBeUndefined();
      out.length = 0;
      await runStatus({ offline: true }, ctxWith(undefined, false));
      expect(out[0]).toMatch(/\n {2}compute\.stack\s+running/);
      expect(out[0]).not.toContain('interrupted');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GIVEN a step running and a lock file whose process on this host is dead THEN interrupted', async () => {
    setup(runningNoMark());
    try {
      lockFile(2 ** 22 + 12345); // above the kernel's pid_max: never alive
      await runStatus({ offline: true }, ctxWith(undefined, true));
      const doc = JSON.parse(out[0]!);
      expect(doc.lock).toMatchObject({ stale: expect.stringMatching(/no longer running/) });
      expect(doc.phases.find((p: any) => p.id === 'compute').steps[0]).toMatchObject({ status: 'running', interrupted: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runStatus: a second operator (no local ledger) finds the state bucket by its derived name', () => {
  let dir: string;
  const out: string[] = [];
  const ACCOUNT = '111122223333';
  const BUCKET = `dataplatform-dev-dpf-state-${ACCOUNT}`;
  const ctxWith = (store: MemoryObjectStore, json: boolean): CommandContext => ({
    globals: { env: 'dev', config: path.join(dir, 'dpf.config.yaml'), json, yes: true, verbose: false, color: false },
    settings: testSettings(),
    io: undefined as never,
    clock: new FakeClock(T0),
    signal: new AbortController().signal,
    aws: () =>
      ({
        region: 'us-west-2',
        identity: async () => ({ whoami: async () => ({ account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/bob`, userId: 'bob' }) }),
        objects: async () => store,
        cfn: async () => {
          throw new Error('no CloudFormation in this test');
        },
        ops: async () => {
          throw new Error('no ops in this test');
        },
        leaseStore: async () => ({ read: async () => undefined }),
      }) as unknown as AwsPorts,
    stdout: (t) => out.push(t),
    isTTY: false,
  });
  const remote = () => {
    const d = emptyLedger('dataplatform', 'dev', T0);
    d.revision = 9;
    d.facts.accountId = ACCOUNT;
    d.steps['bootstrap.state'] = {
      id: 'bootstrap.state',
      phase: 'bootstrap',
      status: 'done',
      startedAt: iso(0),
      finishedAt: iso(1),
      outputs: { StateBucketName: BUCKET, LockTableName: 'dataplatform-dev-dpf-lock' },
      attempts: 1,
      evidence: { stackName: 'dataplatform-dev-bootstrap' },
    };
    d.steps['network.stack'] = {
      id: 'network.stack',
      phase: 'network',
      status: 'done',
      startedAt: iso(2),
      finishedAt: iso(5),
      outputs: {},
      attempts: 1,
      evidence: { stackName: 'dataplatform-dev-network' },
    };
    return d;
  };

  it('GIVEN only the config here and the ledger in the derived bucket THEN status shows it, says where it came from, and writes nothing locally', async () => {
    out.length = 0;
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-status-'));
    writeFileSync(path.join(dir, 'dpf.config.yaml'), 'version: 1\nproject: dataplatform\nenvironments:\n  dev: {}\n');
    const store = new MemoryObjectStore();
    await store.putText(BUCKET, 'ledger/dev/ledger.json', serializeLedger(remote()));
    try {
      await runStatus({}, ctxWith(store, true));
      const doc = JSON.parse(out[0]!);
      expect(doc.ledger).toMatchObject({ source: 'state-bucket', revision: 9, remote: `s3://${BUCKET}/ledger/dev/ledger.json`, derivedBucket: true });
      expect(doc.phases.slice(0, 2).map((p: any) => [p.id, p.status])).toEqual([
        ['bootstrap', 'done'],
        ['network', 'done'],
      ]);
      out.length = 0;
      await runStatus({}, ctxWith(store, false));
      expect(out[0]).toContain(`Ledger read from the state bucket (s3://${BUCKET}/ledger/dev/ledger.json)`);
      expect(out[0]).toMatch(/^bootstrap\s+done\s+1 step/m);
      expect(existsSync(path.join(dir, '.dpf'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GIVEN the environment pinned to another account THEN the derived bucket is not read, and a note says why', async () => {
    out.length = 0;
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-status-'));
    writeFileSync(path.join(dir, 'dpf.config.yaml'), 'version: 1\nproject: dataplatform\nenvironments:\n  dev: { accountId: "999999999999" }\n');
    const store = new MemoryObjectStore();
    await store.putText(BUCKET, 'ledger/dev/ledger.json', serializeLedger(remote()));
    try {
      await runStatus({}, ctxWith(store, true));
      const doc = JSON.parse(out[0]!);
      expect(doc.ledger.source).toBe('local');
      expect(doc.aws.note).toMatch(/pinned to account 999999999999/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
