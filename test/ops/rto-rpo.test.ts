import { describe, it, expect } from 'vitest';
import { measureStore, overallPassed, fmt } from '../../src/ops/rto-rpo.js';

const start = new Date('2025-01-04T03:00:00Z');
const at = (min: number) => new Date(start.getTime() + min * 60000);

describe('measureStore', () => {
  it.each([
    ['within both', { validatedAt: at(30), restorePoint: at(-5) }, true, undefined],
    ['RPO missed', { validatedAt: at(30), restorePoint: at(-20) }, false, /RPO 20m exceeds the target 15m/],
    ['RTO missed', { validatedAt: at(121), restorePoint: at(-1) }, false, /RTO 2h 1m exceeds/],
    ['never validated', { restorePoint: at(-1) }, null, /RTO not measured/],
    ['validation failed', { validatedAt: at(1), restorePoint: at(-1), validationFailed: 'encrypted at rest' }, false, /validation failed/],
    ['unmeasured', { unmeasured: 'AWS Backup not available' }, null, /AWS Backup not available/],
  ])('GIVEN %s THEN passed is %s', (_n, extra, passed, reason) => {
    const r = measureStore({ name: 'database', drillStart: start, rtoTargetSeconds: 7200, rpoTargetSeconds: 900, ...extra });
    expect(r.passed).toBe(passed);
    if (reason) expect(r.reason).toMatch(reason);
  });
  it('a restore point after the drill start is an RPO of 0', () => {
    expect(measureStore({ name: 'd', drillStart: start, validatedAt: at(1), restorePoint: at(1), rtoTargetSeconds: 1, rpoTargetSeconds: 1 }).rpoSeconds).toBe(
      0,
    );
  });
  it.each([
    [[true, true], true],
    [[true, null], null],
    [[null, false], false],
    [[], null],
  ])('overallPassed(%j) = %s', (xs, want) => {
    expect(overallPassed((xs as Array<boolean | null>).map((passed) => ({ passed })))).toBe(want);
  });
  it('fmt', () => {
    expect([fmt(59), fmt(90), fmt(119.6), fmt(3599.7), fmt(3600), fmt(7260), fmt(86400), fmt(null)]).toEqual([
      '59s',
      '1m 30s',
      '2m',
      '1h',
      '1h',
      '2h 1m',
      '1d',
      'n/a',
    ]);
  });
});
