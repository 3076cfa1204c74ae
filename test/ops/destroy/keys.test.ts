/** dpf destroy's order, step ids and the platform database's name (src/ops/destroy/keys.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { AFTER, COPIES_STEP, DESTROY_ORDER, DESTROY_STEPS, PHASE_STEP, dbIdentifierOf } from '../../../src/ops/destroy/keys.js';
import { PHASES, type StepContext } from '../../../src/steps/types.js';
import { tempLedger } from '../../steps/engine-helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('the destroy order', () => {
  it.each(DESTROY_ORDER.map((p) => [p]))('GIVEN phase %s THEN every phase it must wait for comes before it in DESTROY_ORDER', (p) => {
    for (const d of AFTER[p]) expect(DESTROY_ORDER.indexOf(d), `${d} before ${p}`).toBeLessThan(DESTROY_ORDER.indexOf(p));
  });

  it('GIVEN the deploy phases THEN every one but golive (it has no stack) is destroyed, the deploy order reversed', () => {
    expect(DESTROY_ORDER).toHaveLength(new Set(DESTROY_ORDER).size);
    expect([...DESTROY_ORDER].sort()).toEqual(PHASES.filter((p) => p !== 'golive').sort());
    expect(DESTROY_ORDER.indexOf('network')).toBeGreaterThan(DESTROY_ORDER.indexOf('storage'));
    expect(DESTROY_ORDER.at(-1)).toBe('bootstrap');
  });

  it('GIVEN the step keys THEN they read the ids of DESTROY_STEPS', () => {
    expect(PHASE_STEP('storage').id).toBe(DESTROY_STEPS.phase('storage'));
    expect(DESTROY_STEPS.phase('network')).toBe('operations.destroy.network');
    expect(COPIES_STEP.id).toBe(DESTROY_STEPS.copies);
  });
});

describe('dbIdentifierOf', () => {
  it.each([
    ['the ledger has the storage output', 'db-from-ledger', { dbInstance: 'db-from-evidence' }, 'db-from-ledger'],
    ['the output was forgotten (the stack is gone) but the step recorded it', undefined, { dbInstance: 'db-from-evidence' }, 'db-from-evidence'],
    ['neither', undefined, {}, 'dataplatform-dev-metadata'],
    ['an empty output (an emulator drops some)', '', {}, 'dataplatform-dev-metadata'],
  ])('GIVEN %s THEN the database is %s', async (_n, output, mine, want) => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { ledger, cleanup } = await tempLedger(now);
    cleanups.push(cleanup);
    if (output !== undefined) await ledger.updateStep('storage.stack', 'storage', { status: 'done', outputs: { DbInstanceIdentifier: output } }, now);
    const ctx = { ledger, envCtx: { project: 'dataplatform', name: 'dev' } } as unknown as StepContext;
    expect(dbIdentifierOf(ctx, mine)).toBe(want);
  });
});
