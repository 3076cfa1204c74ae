/** Why a drill is torn down early (src/ops/drill/teardown.ts, abortedReason). */
import { describe, it, expect } from 'vitest';
import { abortedReason } from '../../../src/ops/drill/teardown.js';
import { emptyLedger, type Ledger, type StepRecord } from '../../../src/state/ledger.js';

const MAIN = ['operations.drill.canary', 'operations.drill.restore-db'];

function ledgerWith(records: Array<Partial<StepRecord> & { id: string }>): Ledger {
  const data = emptyLedger('p', 'dev', new Date(0));
  for (const r of records) data.steps[r.id] = { phase: 'operations', status: 'done', outputs: {}, attempts: 1, evidence: {}, scope: 'drill-1', ...r };
  return { data, get: (id: string) => data.steps[id] } as unknown as Ledger;
}

describe('abortedReason', () => {
  it.each([
    ['every main step done', [{ id: MAIN[0]! }, { id: MAIN[1]! }], undefined],
    [
      'a main step failed',
      [{ id: MAIN[0]! }, { id: MAIN[1]!, status: 'failed' as const, error: { message: 'past the time cap' } }],
      'operations.drill.restore-db failed: past the time cap',
    ],
    ['a main step never ran (--teardown)', [{ id: MAIN[0]! }], 'torn down on request (--teardown) before it finished'],
    [
      'a main step left running (--teardown after a kill)',
      [{ id: MAIN[0]! }, { id: MAIN[1]!, status: 'running' as const }],
      'torn down on request (--teardown) before it finished',
    ],
    [
      "the records are another drill's",
      [
        { id: MAIN[0]!, scope: 'drill-0' },
        { id: MAIN[1]!, scope: 'drill-0' },
      ],
      'torn down on request (--teardown) before it finished',
    ],
  ])('GIVEN %s THEN the reason is %s', (_n, records, reason) => {
    expect(abortedReason(ledgerWith(records), { id: 'drill-1' }, MAIN)).toBe(reason);
  });
});
