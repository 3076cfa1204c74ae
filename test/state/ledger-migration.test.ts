/** Ledger schema 1 → 2: the day-2 operations list folded onto the one run history. */
import { describe, expect, it } from 'vitest';
import { LEDGER_MIGRATIONS, LEDGER_SCHEMA_VERSION, parseLedger, type RunRecord } from '../../src/state/ledger.js';
import { operationsOf, unfinishedOperation } from '../../src/ops/operation.js';

const run = (runId: string, startedAt: string, status: RunRecord['status'] = 'done'): RunRecord => ({
  runId,
  command: 'backup',
  operator: 'alice',
  host: 'h',
  startedAt,
  finishedAt: startedAt,
  status,
  steps: [],
});

function v1() {
  return {
    format: 'dpf-ledger',
    schemaVersion: 1,
    project: 'p',
    env: 'dev',
    revision: 4,
    updatedAt: '2025-01-03T00:00:00.000Z',
    steps: {
      'operations.backup.rds-snapshot': {
        id: 'operations.backup.rds-snapshot',
        phase: 'operations',
        status: 'done',
        outputs: {},
        attempts: 1,
        evidence: { operationId: 'backup-2', snapshotId: 's-2' },
      },
      'network.stack': { id: 'network.stack', phase: 'network', status: 'done', outputs: {}, attempts: 1, evidence: {} },
    },
    runs: [
      run('r1', '2025-01-01T00:00:00.000Z'),
      run('r2', '2025-01-02T00:00:00.000Z', 'failed'),
      run('r3', '2025-01-02T01:00:00.000Z'),
      run('r4', '2025-01-02T02:00:00.000Z'),
      run('r4-finish', '2025-01-02T02:30:00.000Z'),
    ],
    facts: {},
    operations: [
      {
        id: 'backup-0',
        kind: 'backup',
        key: '',
        status: 'done',
        startedAt: '2024-12-01T00:00:00.000Z',
        finishedAt: '2024-12-01T00:10:00.000Z',
        runIds: ['r0'],
        params: {},
        summary: { database: 'old' },
      },
      {
        id: 'backup-1',
        kind: 'backup',
        key: '',
        status: 'done',
        startedAt: '2025-01-01T00:00:00.000Z',
        finishedAt: '2025-01-01T00:10:00.000Z',
        runIds: ['r1'],
        params: {},
        summary: { database: 's-1' },
      },
      { id: 'backup-2', kind: 'backup', key: '', status: 'failed', startedAt: '2025-01-02T00:00:00.000Z', runIds: ['r2', 'r3'], params: {} },
      {
        id: 'drill-1',
        kind: 'dr-drill',
        key: 'scope=restore',
        status: 'done',
        startedAt: '2025-01-02T02:00:00.000Z',
        finishedAt: '2025-01-02T03:00:00.000Z',
        runIds: ['r4'],
        params: { scope: 'restore' },
        state: { kept: true, tornDown: false },
        summary: { passed: true },
      },
    ],
  };
}

describe('ledger migrations', () => {
  it('GIVEN the current schema THEN every older schema (from 1) has its step to the next one', () => {
    const from = Array.from({ length: LEDGER_SCHEMA_VERSION - 1 }, (_, i) => i + 1);
    expect(from.filter((v) => !LEDGER_MIGRATIONS[v])).toEqual([]);
  });
});

describe('parseLedger: schema 1', () => {
  it('GIVEN a schema-1 ledger WHEN read THEN it is schema 2 with no operations list and every operation on its runs', () => {
    const d = parseLedger(JSON.stringify(v1()), 'ledger.json');
    expect(d.schemaVersion).toBe(LEDGER_SCHEMA_VERSION);
    expect('operations' in d).toBe(false);
    const ops = operationsOf(d);
    expect(ops.map((o) => [o.id, o.status, o.open, o.runIds])).toEqual([
      ['backup-0', 'done', false, ['r0']],
      ['backup-1', 'done', false, ['r1']],
      ['backup-2', 'done', true, ['r2', 'r3']],
      ['drill-1', 'done', false, ['r4', 'r4-finish']],
    ]);
    // A run the capped history had dropped comes back as one, saying where it came from.
    expect(d.runs.find((r) => r.runId === 'r0')).toMatchObject({ status: 'done', note: expect.stringContaining('schema 1') });
    expect(ops[1]!.summary).toEqual({ database: 's-1' });
    // A kept drill stays findable for --teardown.
    expect(ops[3]!.summary).toEqual({ passed: true, kept: true });
  });

  it('GIVEN an unfinished schema-1 operation WHEN read THEN it is still the one the command resumes, and its steps carry its scope', () => {
    const d = parseLedger(JSON.stringify(v1()), 'ledger.json');
    expect(unfinishedOperation(d, 'backup')?.id).toBe('backup-2');
    expect(d.steps['operations.backup.rds-snapshot']).toMatchObject({ scope: 'backup-2', evidence: { snapshotId: 's-2' } });
    expect(d.steps['operations.backup.rds-snapshot']!.evidence.operationId).toBeUndefined();
    expect(d.steps['network.stack']!.scope).toBeUndefined();
  });
});
