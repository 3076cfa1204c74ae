import { describe, expect, it } from 'vitest';
import { buildStatus, phaseStatus, type StepStatusView } from '../../src/steps/status-model.js';
import { emptyLedger, type LedgerData, type StepRecord } from '../../src/state/ledger.js';
import type { PhaseId, StepDef } from '../../src/steps/types.js';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const iso = (min: number) => new Date(T0.getTime() + min * 60_000).toISOString();

function def(id: string, dependsOn: string[] = []): StepDef {
  return {
    id, phase: id.split('.')[0] as PhaseId, title: `title of ${id}`, kind: 'stack', dependsOn,
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
  for (const [id, r] of Object.entries(records))
    d.steps[id] = { id, phase: id.split('.')[0]!, outputs: {}, attempts: 1, evidence: {}, ...r };
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
      ['bootstrap', 'pending'], ['network', 'pending'], ['compute', 'pending'], ['storage', 'pending'],
      ['identity', 'pending'], ['monitoring', 'pending'], ['golive', 'pending'],
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
    const ledger = ledgerWith({ 'bootstrap.state': { status: 'done', evidence: { stackName: 'dp-dev-bootstrap' }, operator: 'alice', attempts: 2, durationSeconds: 61 } });
    const s = buildStatus(ledger, STEPS, { 'dp-dev-bootstrap': { status: 'UPDATE_COMPLETE', drift: 'DRIFTED' } });
    expect(s.phases[0]!.steps[0]).toMatchObject({
      id: 'bootstrap.state', title: 'title of bootstrap.state', kind: 'stack', status: 'done', operator: 'alice', attempts: 2, durationSeconds: 61,
      stack: { name: 'dp-dev-bootstrap', status: 'UPDATE_COMPLETE', drift: 'DRIFTED' },
    });
    expect(s.phases[1]!.steps[0]!.stack).toBeUndefined();
  });
});
