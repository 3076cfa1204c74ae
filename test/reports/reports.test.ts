/** The go-live readiness report and the weekly executive summary: content, sections, percentages. */
import { describe, expect, it } from 'vitest';
import { buildGoliveReport, renderGoliveMarkdown, goliveRan, readiness } from '../../src/reports/golive.js';
import { buildWeeklyReport, renderWeeklyMarkdown } from '../../src/reports/weekly.js';
import { renderGoliveHtml, renderWeeklyHtml } from '../../src/reports/html.js';
import { GOLIVE_CHECKS } from '../../src/checks/index.js';
import { day, input, ledgerAt } from './fixtures.js';

const ALL_DONE = {
  'bootstrap.state': [0, 1],
  'network.stack': [2, 3],
  'compute.stack': [7, 8],
  'storage.stack': [9, 10],
  'identity.stack': [14, 15],
  'identity.enrol': [16, 17],
  'monitoring.stack': [23, 24],
} as Record<string, [number, number]>;

describe('golive report', () => {
  const verdicts = Object.fromEntries(GOLIVE_CHECKS.map((c) => [c.id, { status: 'pass' as const, category: c.category }]));
  verdicts['golive.ssh-exposure'] = {
    status: 'fail',
    category: 'security',
    summary: 'sg-1 (mgmt): port 22 open to 0.0.0.0/0',
    hint: 'Remove the 0.0.0.0/0 rule',
  } as never;
  verdicts['golive.nodes-online'] = {
    status: 'unknown',
    category: 'infrastructure',
    summary: 'SSM DescribeInstanceInformation could not be answered: not implemented',
  } as never;
  verdicts['golive.alarms'] = { status: 'warn', category: 'monitoring', summary: 'x: INSUFFICIENT_DATA' } as never;
  delete verdicts['golive.agent-metrics'];
  const l = ledgerAt({ done: ALL_DONE, verdicts });
  const r = buildGoliveReport(input(l, day(36)));
  const md = renderGoliveMarkdown(r);

  it('GIVEN verdicts in the ledger THEN every check is in the report with its verdict, time and evidence', () => {
    expect(r.checks.map((c) => c.id)).toEqual(GOLIVE_CHECKS.map((c) => c.id));
    expect(r.counts).toEqual({ pass: 14, warn: 1, unknown: 1, fail: 1, 'not-run': 1 });
    expect(r.readiness).toBe('NOT READY');
    expect(r.checks.find((c) => c.id === 'golive.ssh-exposure')).toMatchObject({
      status: 'fail',
      summary: 'sg-1 (mgmt): port 22 open to 0.0.0.0/0',
      checkedAt: day(35, 12).toISOString(),
      stepStatus: 'failed',
    });
    expect(r.checks.find((c) => c.id === 'golive.agent-metrics')).toMatchObject({ status: 'not-run', stepStatus: 'pending' });
    expect(r.securityCompliance).toMatchObject({ passed: 6, total: 7, percent: 86, failed: 1 });
  });

  it("GIVEN the seed's checklist THEN each Infrastructure Completeness line carries the worst verdict of its checks", () => {
    const lines = r.checklist[0]!.groups[0]!.lines;
    expect(r.checklist.map((s) => s.title)).toEqual(['Technical Implementation Validation', 'Leadership Coordination Validation']);
    expect(lines.map((x) => [x.text, x.status])).toEqual([
      ['All AWS components properly configured and integrated', 'unknown'],
      ['Terraform modules tested and validated in development environment', 'pass'],
      ['Ansible playbooks successfully automate all configuration tasks', 'pass'],
      ['Security controls implemented and validated', 'fail'],
      ['Monitoring and alerting fully operational', 'not-run'],
    ]);
    expect(lines[3]!.checks).toContainEqual({ id: 'golive.ssh-exposure', status: 'fail' });
    expect(r.checklist[0]!.groups[1]!.lines.every((x) => x.status === 'manual')).toBe(true);
  });

  it('GIVEN the Markdown THEN it has the checklist headings, every check, both Mermaid blocks and the risk register', () => {
    for (const heading of [
      '# Go-live readiness report — dataplatform / dev',
      '## Implementation Readiness Checklist',
      '### Technical Implementation Validation',
      '#### Infrastructure Completeness',
      '#### Documentation Completeness',
      '### Leadership Coordination Validation',
      '## Checks',
      "## Timeline: the platform specification's plan against what happened",
      '## Architecture as deployed',
      '## Risk register',
    ])
      expect(md).toContain(heading);
    expect(md).toContain(
      '**Readiness: NOT READY** — 14 pass, 1 warn, 1 unknown, 1 fail, 1 not run (18 checks). Security compliance 86% (6 of 7 security checks passed).',
    );
    expect(md).toContain('| Security controls implemented and validated | ❌ fail |');
    for (const c of GOLIVE_CHECKS) expect(md).toContain(`(\`${c.id}\`)`);
    expect(md).toContain('- What to do: Remove the 0.0.0.0/0 rule');
    expect(md).toContain('- Run it: `dpf deploy --env dev --phase golive`');
    expect(md).toMatch(/```mermaid\ngantt\n/);
    expect(md).toMatch(/```mermaid\nflowchart TB\n/);
    expect(md).toContain('FreeIPA integration complexity');
    expect(md).toContain('- [ ] Architecture diagrams and component interaction documentation — manual sign-off; dpf: see "Architecture as deployed" below');
  });

  it('GIVEN no verdict at all THEN golive did not run', () => {
    expect(goliveRan({ ledger: ledgerAt({ done: ALL_DONE }) })).toBe(false);
    expect(goliveRan({ ledger: l })).toBe(true);
  });

  it.each<[Record<string, number>, string]>([
    [{ pass: 3, warn: 0, unknown: 0, fail: 0, 'not-run': 0 }, 'READY'],
    [{ pass: 3, warn: 1, unknown: 0, fail: 0, 'not-run': 0 }, 'READY WITH WARNINGS'],
    [{ pass: 3, warn: 1, unknown: 1, fail: 0, 'not-run': 0 }, 'NOT VERIFIED'],
    [{ pass: 3, warn: 0, unknown: 0, fail: 0, 'not-run': 1 }, 'NOT VERIFIED'],
    [{ pass: 3, warn: 0, unknown: 4, fail: 1, 'not-run': 0 }, 'NOT READY'],
  ])('GIVEN counts %j THEN readiness is %s', (counts, expected) => expect(readiness(counts as never)).toBe(expected));
});

describe('weekly report', () => {
  it('GIVEN week 2 with network done this week and compute failing THEN progress, schedule, completed (with business value), in progress and risks', () => {
    const l = ledgerAt({ done: { 'bootstrap.state': [0, 1], 'network.stack': [2, 4] }, failed: { 'compute.stack': 7 } });
    const r = buildWeeklyReport(input(l, day(8, 12)));
    expect(r.week).toBe(2);
    expect(r.progress).toEqual({ done: 2, total: 25, percent: 8 });
    expect(r.schedule).toBe('At Risk');
    expect(r.completed.map((c) => [c.phase, c.businessValue])).toEqual([
      ['network', 'Secure foundation for data processing with enterprise-grade network isolation'],
    ]);
    expect(r.inProgress.map((p) => [p.phase, p.schedule])).toEqual([['compute', 'at-risk']]); // storage's window (days 9-12) has not begun
    expect(r.risks.failedSteps).toEqual([{ id: 'compute.stack', message: 'compute.stack broke', hint: 'fix it' }]);
    expect(r.risks.register).toHaveLength(5);
    expect(r.metrics.securityCompliance).toBeNull();
    const md = renderWeeklyMarkdown(r);
    for (const h of [
      '# AWS Data Platform Foundation - Week 2 Progress Report',
      '🎯 **Go-live readiness: NOT VERIFIED** — the go-live checks have not run yet; deployment',
      '## ✅ Completed This Week',
      '## 🚧 In Progress',
      '## ⚠️ Risks and Mitigation',
      '## 💡 Business Impact',
      '## 📊 Metrics',
      '```mermaid\ngantt',
      '```mermaid\nflowchart TB',
    ])
      expect(md).toContain(h);
    expect(md).toContain(
      '- **VPC and networking** (network, finished 2025-07-05 11:00 UTC) — Secure foundation for data processing with enterprise-grade network isolation',
    );
    expect(md).toContain('- ❌ Step compute.stack failed: compute.stack broke — fix it');
    expect(md).toContain('- Security compliance: not measured yet (no security check has run)');
    expect(md).toContain('- Budget utilization: not tracked by dpf');
  });

  it('GIVEN identity not done after its planned end THEN the summary says Behind Schedule', () => {
    const l = ledgerAt({ done: { 'bootstrap.state': [0, 1], 'network.stack': [2, 3], 'compute.stack': [7, 8], 'storage.stack': [9, 10] } });
    const r = buildWeeklyReport(input(l, day(22)));
    expect(r.schedule).toBe('Behind Schedule');
    expect(r.risks.schedule).toContainEqual({ phase: 'identity', schedule: 'behind', reason: 'planned to finish by 2025-07-21; 0/2 step(s) done' });
    expect(r.completed).toEqual([]);
  });

  it('GIVEN golive verdicts THEN metrics count checks passed, security compliance and node availability', () => {
    const verdicts = Object.fromEntries(GOLIVE_CHECKS.map((c) => [c.id, { status: 'pass' as const, category: c.category }]));
    verdicts['golive.imdsv2'] = { status: 'unknown', category: 'security' } as never;
    verdicts['golive.nodes-online'] = {
      status: 'fail',
      category: 'infrastructure',
      summary: 'i-1: SSM agent ConnectionLost',
      evidence: { online: 5, total: 6 },
    } as never;
    const l = ledgerAt({ done: ALL_DONE, verdicts });
    const r = buildWeeklyReport(input(l, day(36)));
    expect(r.metrics.checks).toMatchObject({ passed: 16, total: 18 });
    expect(r.metrics.securityCompliance).toMatchObject({ passed: 6, total: 7, percent: 86, unknown: 1 });
    expect(r.metrics.infrastructureAvailability).toMatchObject({ online: 5, total: 6, percent: 83 });
    expect(r.risks.failingChecks).toEqual([
      { id: 'golive.nodes-online', title: 'Every node managed by SSM and online', summary: 'i-1: SSM agent ConnectionLost', hint: undefined },
    ]);
    const md = renderWeeklyMarkdown(r);
    expect(md).toContain('- Infrastructure availability: 83% (5 of 6 nodes online in SSM');
    expect(md).toContain('- Security compliance: 86% (6 of 7 security checks passed, 1 unknown)');
  });
});

describe('weekly report: what counts as done this week', () => {
  it('GIVEN a phase completed and a step of another phase finished in the period THEN the phase is listed whole and the step on its own', () => {
    const l = ledgerAt({ done: { 'bootstrap.state': [0, 1], 'network.stack': [2, 3], 'compute.stack': [7, 8], 'identity.stack': [8, 8] } });
    const r = buildWeeklyReport(input(l, day(11)));
    expect(r.completed.map((c) => c.phase)).toEqual(['compute']);
    expect(r.completedSteps.map((s) => s.id)).toEqual(['identity.stack']);
    expect(r.completed.some((c) => c.phase === 'network')).toBe(false); // finished more than seven days ago
  });
  it('GIVEN unknown go-live verdicts THEN they are listed under risks as not verified', () => {
    const l = ledgerAt({ done: ALL_DONE, verdicts: { 'golive.nodes-online': { status: 'unknown' }, 'golive.stacks': { status: 'pass' } } });
    const r = buildWeeklyReport(input(l, day(36)));
    expect(r.risks.unverifiedChecks).toEqual(['golive.nodes-online']);
    expect(renderWeeklyMarkdown(r)).toContain(
      '- ❔ 1 go-live check(s) could not verify their criterion (unknown, reasons in `dpf report golive`): golive.nodes-online',
    );
  });
});

describe('golive report: content that comes from the hosts', () => {
  const verdicts = Object.fromEntries(GOLIVE_CHECKS.map((c) => [c.id, { status: 'pass' as const, category: c.category }]));
  verdicts['golive.directory'] = {
    status: 'unknown',
    category: 'identity',
    summary: 'i-1 (dev): <script>alert(1)</script> | ```',
    evidence: { hosts: [{ output: 'bash: line 1: ```: command not found\n</pre><img src=x>' }] },
  } as never;
  const r = buildGoliveReport(input(ledgerAt({ done: ALL_DONE, verdicts }), day(36)));

  it('GIVEN evidence holding a run of backticks THEN its Markdown fence is longer, so the block cannot be closed early', () => {
    const md = renderGoliveMarkdown(r);
    expect(md).toContain('````json\n{\n  "hosts"');
    expect(md).toMatch(/command not found\\n<\/pre><img src=x>"\n {4}}\n {2}]\n}\n````/);
  });

  it('GIVEN the HTML rendering THEN it is one self-contained page (no script, no external asset), everything escaped, diagrams drawn as inline SVG', () => {
    const html = renderGoliveHtml(r);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const tags = html.match(/<[^>]*>/g)!;
    expect(tags.filter((t) => /^<\/?(script|link|img|iframe|object|embed|base|foreignObject)\b|\s(src|href|xlink:href|on\w+)=/i.test(t))).toEqual([]);
    // Nothing fetched: no @import, no url() but in-page references (SVG markers), no http(s) but the SVG namespace.
    expect(html).not.toMatch(/@import|url\((?!#)/i);
    expect(html.match(/https?:\/\/[^\s"'<)]+/g)!.every((u) => u.startsWith('http://www.w3.org/'))).toBe(true);
    // Plain colours in the drawing: viewers without CSS variables (mail, converters) draw it too.
    expect(html).not.toMatch(/(fill|stroke)="var\(/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;/pre&gt;&lt;img src=x&gt;');
    // The Gantt chart and the architecture are drawn (SVG), the Mermaid source kept folded beneath.
    expect(html).toMatch(/<figure><svg[^>]*aria-label="Plan against actual, per phase"/);
    expect(html).toMatch(/<figure><svg[^>]*>[\s\S]*Bastion[\s\S]*<\/svg><figcaption>Drawn from/);
    expect(html).toContain('<details><summary>Mermaid source</summary><pre>gantt\n    title AWS Data Platform Foundation - dataplatform/dev - plan vs actual');
    expect(html).toContain('<details><summary>Mermaid source</summary><pre>flowchart TB\n');
    expect(html).toContain(
      `<strong>Readiness: NOT VERIFIED</strong> — ${GOLIVE_CHECKS.length - 1} pass, 0 warn, 1 unknown, 0 fail (${GOLIVE_CHECKS.length} checks)`,
    );
    for (const c of GOLIVE_CHECKS) expect(html).toContain(`<code>${c.id}</code>`);
    for (const h of [
      'Implementation Readiness Checklist',
      'Infrastructure Completeness',
      'Security controls implemented and validated',
      'Risk register',
      'FreeIPA integration complexity',
    ])
      expect(html).toContain(h);
    expect(html.match(/<table>/g)!.length).toBe(r.checklist.flatMap((x) => x.groups).length + 3);
  });
});

describe('weekly report: what the golive phase is said to have delivered follows the verdicts', () => {
  const all = (status: 'pass' | 'unknown') =>
    Object.fromEntries(GOLIVE_CHECKS.map((c) => [c.id, { status, category: c.category }])) as Record<string, { status: 'pass' | 'unknown' | 'fail' | 'warn' }>;

  it('GIVEN every phase done but 13 of 18 go-live checks unknown THEN it claims neither verified readiness nor readiness for data workloads', () => {
    const verdicts = all('unknown');
    for (const id of GOLIVE_CHECKS.slice(0, 5).map((c) => c.id)) verdicts[id] = { status: 'pass' };
    const r = buildWeeklyReport(input(ledgerAt({ done: ALL_DONE, verdicts: verdicts as never }), day(36)));
    const md = renderWeeklyMarkdown(r);
    expect(r.completed.map((c) => c.phase)).toEqual(['golive']);
    expect(r.completed[0]!.businessValue).toBe('Go-live checks ran: 5 passed, 13 could not be verified (see the readiness report: dpf report golive)');
    expect(md).not.toContain('every readiness check verified');
    expect(md).not.toContain('the platform is ready for data workloads');
    expect(r.businessImpact).toContain(
      'Go-live readiness checks: Go-live checks ran: 5 passed, 13 could not be verified (see the readiness report: dpf report golive).',
    );
    expect(r.businessImpact[r.businessImpact.length - 1]).toBe(
      'Every phase is done, but go-live readiness is NOT VERIFIED (go-live checks: 5 passed, 13 could not be verified): the platform is not yet shown to be ready for data workloads (see dpf report golive).',
    );
  });

  it('GIVEN a warning among passes THEN the golive value counts it and readiness for data workloads is not claimed', () => {
    const verdicts = all('pass');
    verdicts['golive.alarms'] = { status: 'warn' };
    const r = buildWeeklyReport(input(ledgerAt({ done: ALL_DONE, verdicts: verdicts as never }), day(36)));
    expect(r.completed[0]!.businessValue).toBe(
      `Go-live checks ran: ${GOLIVE_CHECKS.length - 1} passed, 1 passed with warnings (see the readiness report: dpf report golive)`,
    );
    expect(renderWeeklyMarkdown(r)).not.toContain('ready for data workloads.');
  });

  it('GIVEN every phase done and 12 checks unknown THEN the headline is readiness NOT VERIFIED, not "100% Complete (On Track)", in Markdown and HTML', () => {
    const verdicts = all('unknown');
    for (const id of GOLIVE_CHECKS.slice(0, 5).map((c) => c.id)) verdicts[id] = { status: 'pass' };
    const r = buildWeeklyReport(input(ledgerAt({ done: ALL_DONE, verdicts: verdicts as never }), day(36)));
    expect(r.readiness).toBe('NOT VERIFIED');
    expect(r.headline).toMatch(
      new RegExp(
        `^Go-live readiness: NOT VERIFIED — go-live checks: 5 passed, ${GOLIVE_CHECKS.length - 5} could not be verified; deployment \\d+ of \\d+ steps \\(100%\\), schedule `,
      ),
    );
    expect(renderWeeklyMarkdown(r)).toMatch(/^🎯 \*\*Go-live readiness: NOT VERIFIED\*\* — go-live checks: 5 passed/m);
    expect(renderWeeklyMarkdown(r)).not.toMatch(/100% Complete/);
    const html = renderWeeklyHtml(r);
    expect(html).toContain('<p class="headline"><strong>Go-live readiness: NOT VERIFIED</strong>');
    expect(html).toMatch(/<svg[^>]*aria-label="Plan against actual, per phase"/);
    expect(html).not.toMatch(/<script|@import/);
  });

  it('GIVEN every go-live check passed THEN the report says readiness was verified and the platform is ready', () => {
    const r = buildWeeklyReport(input(ledgerAt({ done: ALL_DONE, verdicts: all('pass') as never }), day(36)));
    expect(r.headline).toMatch(/^Go-live readiness: READY — all \d+ go-live checks passed/);
    const md = renderWeeklyMarkdown(r);
    expect(r.completed[0]!.businessValue).toBe('Evidence-backed go-live: every readiness check verified on the running platform');
    expect(md).toContain('- Every phase is done: the platform is ready for data workloads.');
  });
});
