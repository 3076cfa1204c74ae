/** The drill's names, deadline, cap error and typed step keys (src/ops/drill/keys.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { DRILL, DRILL_STEPS, capError, deadlineOf, drEnvName, drillName } from '../../../src/ops/drill/keys.js';
import type { EnvironmentConfig } from '../../../src/config/schema.js';
import type { Operation } from '../../../src/ops/operation.js';
import type { StepContext } from '../../../src/steps/types.js';
import { tempLedger } from '../../steps/engine-helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const op = { id: 'dr-drill-1', startedAt: new Date('2025-01-04T03:00:00Z') } as Operation;
const recovery = { drill: { maxMinutes: 90 }, rtoMinutes: { data: 60 } };

describe('drill names', () => {
  it('GIVEN a project, an environment and a stamp THEN the drill name joins them', () => {
    expect(drillName({ project: 'dataplatform', name: 'dev' }, '20250104030000')).toBe('dataplatform-dev-drill-20250104030000');
  });

  it.each([
    ['dev', 'dev-d01040300'],
    ['production', 'produc-d01040300'],
    // A name cut on a hyphen must not end in one before the suffix.
    ['stage-west', 'stage-d01040300'],
    ['a-----b', 'a-d01040300'],
  ])('GIVEN environment %s THEN the DR environment is %s, within the templates\u2019 16 characters', (env, want) => {
    const got = drEnvName(env, '20250104030000');
    expect(got).toBe(want);
    expect(got.length).toBeLessThanOrEqual(16);
  });
});

describe('the time cap', () => {
  it('GIVEN a drill started at 03:00 with maxMinutes 90 THEN its deadline is 04:30', () => {
    expect(deadlineOf(op, { recovery } as unknown as EnvironmentConfig).toISOString()).toBe('2025-01-04T04:30:00.000Z');
  });

  it('GIVEN a wait past the cap THEN the error names the cap, what was waited for and its status, and hints at the RTO', () => {
    const ctx = { envCtx: { env: { recovery } } } as unknown as StepContext;
    const err = capError(op, ctx, 'snapshot s-1', 'creating');
    expect(err.code).toBe('DrillTimeCapExceeded');
    expect(err.message).toContain('time cap of 90 min (recovery.drill.maxMinutes) while waiting for snapshot s-1 (creating)');
    expect(err.hint).toContain('the RTO target is 60 min');
  });
});

describe('DRILL step keys', () => {
  it.each(Object.entries(DRILL))('GIVEN key %s THEN it reads the step id of DRILL_STEPS', (name, key) => {
    expect(key.id).toBe(DRILL_STEPS[name as keyof typeof DRILL_STEPS]);
  });

  it("GIVEN a record of another drill WHEN read with .of THEN it is not this drill's; .latest still finds it", async () => {
    const now = new Date('2025-01-04T03:00:00Z');
    const { ledger, cleanup } = await tempLedger(now);
    cleanups.push(cleanup);
    await ledger.updateStep(DRILL_STEPS.restoreDb, 'operations', { status: 'done', scope: 'dr-drill-0', evidence: { restorePoint: 'x' } }, now);
    expect(DRILL.restoreDb.of(ledger, op)).toBeUndefined();
    expect(DRILL.restoreDb.latest(ledger)?.evidence.restorePoint).toBe('x');
    await ledger.updateStep(DRILL_STEPS.restoreDb, 'operations', { scope: op.id }, now);
    expect(DRILL.restoreDb.of(ledger, op)?.evidence.restorePoint).toBe('x');
  });
});
