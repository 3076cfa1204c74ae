/** Day-2 operations as views over the one run history (src/ops/operation.ts). */
import { describe, it, expect } from 'vitest';
import { lastOperation, operationsOf, stampOf, unfinishedOperation } from '../../src/ops/operation.js';
import { emptyLedger, type RunRecord } from '../../src/state/ledger.js';

const OP = { id: 'dr-drill-1', kind: 'dr-drill', key: 'scope=restore', params: { scope: 'restore' } };
const run = (runId: string, startedAt: string, status: RunRecord['status'], extra: Partial<RunRecord> = {}): RunRecord => ({
  runId,
  command: 'dr-drill',
  operator: 'a',
  host: 'h',
  startedAt,
  finishedAt: startedAt,
  status,
  steps: [],
  operation: OP,
  ...extra,
});

describe('operationsOf', () => {
  it('GIVEN runs of one operation THEN one view: started with the first, status of the last, the newest summary', () => {
    const d = emptyLedger('p', 'dev', new Date(0));
    d.runs = [
      run('r1', '2025-01-01T00:00:00Z', 'failed', { summary: { n: 1 } }),
      { runId: 'deploy-1', command: 'deploy', operator: 'a', host: 'h', startedAt: '2025-01-01T00:30:00Z', status: 'done', steps: [] },
      run('r2', '2025-01-01T01:00:00Z', 'interrupted'),
    ];
    expect(operationsOf(d)).toEqual([
      {
        ...OP,
        status: 'interrupted',
        open: true,
        startedAt: '2025-01-01T00:00:00Z',
        finishedAt: '2025-01-01T01:00:00Z',
        runIds: ['r1', 'r2'],
        summary: { n: 1 },
      },
    ]);
    expect(unfinishedOperation(d, 'dr-drill')?.id).toBe(OP.id);
    expect(unfinishedOperation(d, 'backup')).toBeUndefined();
  });

  it('GIVEN a closed operation THEN it is not unfinished; a later run of it (a kept drill torn down) opens it until that run closes it', () => {
    const d = emptyLedger('p', 'dev', new Date(0));
    d.runs = [run('r1', '2025-01-01T00:00:00Z', 'done', { closed: { as: 'done', at: '2025-01-01T00:10:00Z' }, summary: { kept: true } })];
    expect(operationsOf(d)[0]).toMatchObject({ status: 'done', open: false, finishedAt: '2025-01-01T00:10:00Z' });
    expect(unfinishedOperation(d, 'dr-drill')).toBeUndefined();
    expect(lastOperation(d, 'dr-drill', (o) => o.summary?.kept === true)?.id).toBe(OP.id);
    d.runs.push(run('r2', '2025-01-02T00:00:00Z', 'failed'));
    expect(operationsOf(d)[0]).toMatchObject({ status: 'failed', open: true, runIds: ['r1', 'r2'] });
  });

  it('GIVEN an operation abandoned by --new THEN its status says so', () => {
    const d = emptyLedger('p', 'dev', new Date(0));
    d.runs = [run('r1', '2025-01-01T00:00:00Z', 'failed', { closed: { as: 'abandoned', at: '2025-01-01T02:00:00Z' } })];
    expect(operationsOf(d)[0]).toMatchObject({ status: 'abandoned', open: false });
  });
});

describe('stampOf', () => {
  it('GIVEN a time THEN a 14-digit stamp valid in AWS names', () => {
    expect(stampOf(new Date('2025-01-02T03:04:05.678Z'))).toBe('20250102030405');
  });
});
