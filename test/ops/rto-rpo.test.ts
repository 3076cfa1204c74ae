import { describe, it, expect } from 'vitest';
import { measureStore, overallPassed, fmt } from '../../src/ops/rto-rpo.js';
import { asciiChart, mermaidChart, renderHtml, renderMarkdown, verdictText, type DrillResult } from '../../src/ops/report.js';

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

describe('report', () => {
  const stores = [
    measureStore({ name: 'database', drillStart: start, validatedAt: at(20), restorePoint: at(-20), rtoTargetSeconds: 7200, rpoTargetSeconds: 900 }),
    measureStore({ name: 'fileSystem', drillStart: start, unmeasured: 'no recovery points', rtoTargetSeconds: 7200, rpoTargetSeconds: 86400 }),
  ];
  const r: DrillResult = {
    type: 'result',
    command: 'dr-drill',
    operationId: 'dr-1',
    env: 'dev',
    project: 'dataplatform',
    region: 'us-west-2',
    scope: 'restore',
    passed: false,
    verdict: verdictText(false, stores),
    startedAt: start.toISOString(),
    finishedAt: at(30).toISOString(),
    drillName: 'dataplatform-dev-drill-1',
    stores,
    canary: { database: 'unknown', fileSystem: 'unknown', detail: [] },
    checks: [],
    isolation: { securityGroupId: 'sg-1', ingressRules: 0, egressRevoked: true },
    teardown: { kept: false, deleted: ['RDS instance x'], left: [] },
    costEstimateUsd: 0.2,
    maxCostUsd: 50,
    maxMinutes: 120,
    notes: [],
    report: '',
    reportJson: '',
  };
  it('GIVEN a missed RPO and an unmeasured store THEN the verdict, table and charts say so', () => {
    expect(r.verdict).toMatch(/^NOT PASSED: database: RPO 20m exceeds/);
    const md = renderMarkdown(r);
    expect(md).toContain('| database | 20m (met) | 2h | 20m (MISSED) | 15m | **FAILED**');
    expect(md).toContain('**not measured**: no recovery points');
    expect(md).toContain('## Not measured');
    // Measured bars only, split into a met (green) and a missed (red) series; the unmeasured ones are named, never drawn as 0.
    const chart = mermaidChart(r);
    expect(chart).toMatch(/x-axis \["database RTO", "database RPO"\]/);
    expect(chart).toMatch(/bar \[16\.7, 0\]\n\s+bar \[0, 133\.3\]/);
    expect(chart).toMatch(/Not measured \(no bar — not a zero\): fileSystem RTO, fileSystem RPO/);
    const ascii = asciiChart(r);
    expect(ascii).toMatch(/database RTO .*✔ met 20m \/ target 2h/);
    expect(ascii).toMatch(/database RPO .*✖ MISSED 20m \/ target 15m/);
    expect(ascii).toMatch(/fileSystem RTO .*\? not measured \(target 2h\)/);
    const html = renderHtml(r);
    expect(html).toMatch(/<svg[^>]*aria-label="Achieved against target"/);
    expect(html).toContain('met: 20m / target 2h');
    expect(html).toContain('MISSED: 20m / target 15m');
    expect((html.match(/not measured: target/g) ?? []).length).toBe(2);
    expect(html).not.toMatch(/<script|@import|https?:\/\/(?!www\.w3\.org)/);
  });
  it('GIVEN every store passed but the environment (scope full) missed its RTO THEN the verdict names the environment, not "a check failed"', () => {
    const ok = [
      measureStore({ name: 'database', drillStart: start, validatedAt: at(20), restorePoint: at(-1), rtoTargetSeconds: 7200, rpoTargetSeconds: 900 }),
    ];
    const environment = {
      region: 'us-east-1',
      rtoSeconds: 9 * 3600,
      rtoTargetSeconds: 8 * 3600,
      passed: false,
      stacks: [],
      reason: 'RTO 9 h exceeds the full-recovery target 8 h',
    };
    expect(verdictText(false, ok, undefined, environment)).toBe('NOT PASSED: environment (us-east-1): RTO 9 h exceeds the full-recovery target 8 h');
    expect(verdictText(null, ok, undefined, { ...environment, passed: null, reason: 'the database could not be restored there' })).toMatch(
      /^NOT FULLY MEASURED \(not a pass\): environment \(us-east-1\): the database could not be restored there/,
    );
  });
});
