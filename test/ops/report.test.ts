/** The DR drill report (src/ops/report.ts): verdict, Markdown, charts and HTML tell met, missed and not measured apart. */
import { describe, it, expect } from 'vitest';
import { measureStore, type StoreResult } from '../../src/ops/rto-rpo.js';
import { asciiChart, mermaidChart, renderHtml, renderMarkdown, verdictText, type DrillResult } from '../../src/ops/report.js';

const start = new Date('2025-01-04T03:00:00Z');
const at = (min: number) => new Date(start.getTime() + min * 60000);

function drill(stores: StoreResult[], o: Partial<DrillResult> = {}): DrillResult {
  return {
    type: 'result',
    command: 'dr-drill',
    operationId: 'dr-1',
    env: 'dev',
    project: 'dataplatform',
    region: 'us-west-2',
    scope: 'restore',
    passed: false,
    verdict: '',
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
    ...o,
  };
}

describe('a drill report', () => {
  const stores = [
    measureStore({ name: 'database', drillStart: start, validatedAt: at(20), restorePoint: at(-20), rtoTargetSeconds: 7200, rpoTargetSeconds: 900 }),
    measureStore({ name: 'fileSystem', drillStart: start, unmeasured: 'no recovery points', rtoTargetSeconds: 7200, rpoTargetSeconds: 86400 }),
  ];
  const r = drill(stores, { passed: false, verdict: verdictText(false, stores) });
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

const DB_OK = measureStore({ name: 'database', drillStart: start, validatedAt: at(20), restorePoint: at(-1), rtoTargetSeconds: 7200, rpoTargetSeconds: 900 });
const DB_SLOW = measureStore({
  name: 'database',
  drillStart: start,
  validatedAt: at(300),
  restorePoint: at(-1),
  rtoTargetSeconds: 7200,
  rpoTargetSeconds: 900,
});
const FS_UNMEASURED = measureStore({
  name: 'fileSystem',
  drillStart: start,
  unmeasured: 'AWS Backup not available',
  rtoTargetSeconds: 7200,
  rpoTargetSeconds: 86400,
});

describe('verdictText', () => {
  it.each([
    ['aborted', null, [DB_OK], 'over the time cap', 'NOT PASSED: over the time cap'],
    ['passed', true, [DB_OK], undefined, 'PASSED: every data store was restored, validated and within its RTO and RPO targets'],
    ['failed without a store to blame', false, [DB_OK], undefined, 'NOT PASSED: a check failed'],
    ['not fully measured', null, [DB_OK, FS_UNMEASURED], undefined, 'NOT FULLY MEASURED (not a pass): fileSystem: AWS Backup not available'],
  ] as const)('GIVEN a drill %s THEN the verdict reads %j', (_n, passed, stores, aborted, want) => {
    expect(verdictText(passed, [...stores], aborted)).toBe(want);
  });
});

describe('charts', () => {
  it('GIVEN nothing measured THEN no Mermaid chart, and every metric is named as not measured', () => {
    expect(mermaidChart(drill([FS_UNMEASURED]))).toBe(
      '_Nothing could be measured: no chart._\n\nNot measured (no bar — not a zero): fileSystem RTO, fileSystem RPO.',
    );
  });

  it('GIVEN an RTO more than twice its target THEN the ASCII bar is capped at the edge with an overflow mark', () => {
    const line = asciiChart(drill([DB_SLOW]))
      .split('\n')
      .find((l) => l.startsWith('database RTO'))!;
    expect(line).toMatch(/^database RTO █{20}\|█{19,20} ?▶ ✖ MISSED 5h \/ target 2h$/);
  });
});

describe('renderMarkdown and renderHtml', () => {
  it('GIVEN a kept, aborted drill with a check detail holding a pipe THEN the table stays intact and the teardown command is given', () => {
    const md = renderMarkdown(
      drill([DB_OK], {
        aborted: 'cost cap reached',
        teardown: { kept: true, deleted: [], left: ['RDS instance copy-1'] },
        checks: [{ name: 'canary', status: 'failed', detail: 'row a|b missing' }],
      }),
    );
    expect(md).toContain('| aborted | cost cap reached |');
    expect(md).toContain('| canary | failed | row a\\|b missing |');
    expect(md).toContain('Kept for inspection (--keep). Remove with `dpf dr-drill --env dev --teardown`.');
    expect(md).toContain('- **left behind**: RDS instance copy-1');
  });

  it('GIVEN text from AWS with markup THEN the HTML page escapes it, and an egress not revoked is said plainly', () => {
    const html = renderHtml(
      drill([DB_OK], {
        verdict: 'NOT PASSED: <img src=x onerror=alert(1)>',
        checks: [{ name: 'canary', status: 'failed', detail: '<script>x</script>' }],
        isolation: { securityGroupId: 'sg-1', ingressRules: 2, egressRevoked: false },
      }),
    );
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('2 ingress rule(s), egress NOT revoked');
  });
});
