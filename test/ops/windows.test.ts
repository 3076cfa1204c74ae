import { describe, it, expect } from 'vitest';
import { windowState, evaluateChangeRules, lastSuccessfulPatch, type MaintenanceWindow } from '../../src/ops/windows.js';
import { emptyLedger, type RunRecord } from '../../src/state/ledger.js';

const W: MaintenanceWindow = { days: ['sat', 'sun'], startUtc: '02:00', durationHours: 4 };

describe('windowState', () => {
  it.each([
    ['2025-01-04T01:59:00Z', false, '2025-01-04T02:00:00.000Z'], // Saturday just before
    ['2025-01-04T02:00:00Z', true, '2025-01-05T02:00:00.000Z'],
    ['2025-01-04T05:59:00Z', true, '2025-01-05T02:00:00.000Z'],
    ['2025-01-04T06:00:00Z', false, '2025-01-05T02:00:00.000Z'],
    ['2025-01-08T12:00:00Z', false, '2025-01-11T02:00:00.000Z'], // Wednesday
  ])('GIVEN sat/sun 02:00 for 4 h WHEN it is %s THEN open=%s, next opens %s', (now, open, next) => {
    const s = windowState(W, new Date(now));
    expect(s.open).toBe(open);
    expect(s.nextOpensAt?.toISOString()).toBe(next);
  });

  it('GIVEN a window starting Sunday 23:00 for 3 h WHEN it is Monday 01:00 THEN it is still open', () => {
    const s = windowState({ days: ['sun'], startUtc: '23:00', durationHours: 3 }, new Date('2025-01-06T01:00:00Z'));
    expect(s).toMatchObject({ open: true });
    expect(s.closesAt?.toISOString()).toBe('2025-01-06T02:00:00.000Z');
  });
});

/** The one run of an operation (closed when done). */
function opRun(id: string, kind: string, status: 'done' | 'failed', startedAt: string, finishedAt: string, params: Record<string, unknown>): RunRecord {
  return {
    runId: `r-${id}`,
    command: kind,
    operator: 'op',
    host: 'h',
    startedAt,
    finishedAt,
    status,
    steps: [],
    operation: { id, kind, key: '', params },
    ...(status === 'done' ? { closed: { as: 'done' as const, at: finishedAt } } : {}),
  };
}

describe('evaluateChangeRules', () => {
  const staging = (finishedAt?: string, waves = 'all') => {
    const d = emptyLedger('dataplatform', 'staging', new Date());
    if (finishedAt) d.runs = [opRun('patch-1', 'patch', 'done', finishedAt, finishedAt, { waves })];
    return { data: d, source: 'local' };
  };
  const base = { env: 'prod', production: true, window: W, stagingEnv: 'staging', stagingLookedAt: ['x'], requireStagingWithinDays: 7 };
  const sat = new Date('2025-01-04T03:00:00Z');
  const wed = new Date('2025-01-08T12:00:00Z');

  it('GIVEN a non-production environment THEN nothing is refused', () => {
    expect(evaluateChangeRules({ ...base, production: false, env: 'dev', now: wed }).allowed).toBe(true);
  });
  it('GIVEN prod outside the window THEN the window rule refuses with the next opening', () => {
    const r = evaluateChangeRules({ ...base, now: wed, staging: staging('2025-01-07T00:00:00Z') });
    expect(r.allowed).toBe(false);
    expect(r.refusals.map((x) => x.rule)).toEqual(['maintenance-window']);
    expect(r.refusals[0]!.reason).toContain('2025-01-11T02:00:00.000Z');
    expect(r.refusals[0]!.hint).toContain('--emergency');
  });
  it.each([
    ['no staging ledger', undefined, /no ledger of staging/],
    ['no patch on record', staging(), /no successful full patch/],
    ['a patch 8 days old', staging('2024-12-27T00:00:00Z'), /more than 7 day/],
    ['only a partial patch', staging('2025-01-03T00:00:00Z', 'workers'), /no successful full patch/],
  ])('GIVEN %s THEN the staging rule refuses', (_n, st, re) => {
    const r = evaluateChangeRules({ ...base, now: sat, staging: st });
    expect(r.allowed).toBe(false);
    expect(r.refusals[0]!.rule).toBe('staging-first');
    expect(r.refusals[0]!.reason).toMatch(re);
  });
  it('GIVEN a recent staging patch inside the window THEN allowed', () => {
    expect(evaluateChangeRules({ ...base, now: sat, staging: staging('2025-01-03T00:00:00Z') }).allowed).toBe(true);
  });
  it('GIVEN --emergency THEN both rules are overridden and the reason kept', () => {
    const r = evaluateChangeRules({ ...base, now: wed, emergency: 'CVE-2025-1' });
    expect(r).toMatchObject({ allowed: true, emergency: 'CVE-2025-1' });
    expect(r.refusals).toHaveLength(2);
    expect(r.findings.join(' ')).toContain('EMERGENCY');
  });
  it('lastSuccessfulPatch ignores failed and partial patches', () => {
    const d = emptyLedger('p', 'staging', new Date());
    d.runs = [
      opRun('a', 'patch', 'done', '2025-01-01T00:00:00Z', '2025-01-01T01:00:00Z', { waves: 'all' }),
      opRun('b', 'patch', 'failed', '2025-01-02T00:00:00Z', '2025-01-02T00:10:00Z', { waves: 'all' }),
      opRun('c', 'patch-scan', 'done', '2025-01-03T00:00:00Z', '2025-01-03T00:00:00Z', {}),
    ];
    expect(lastSuccessfulPatch(d)?.operationId).toBe('a');
  });
});
