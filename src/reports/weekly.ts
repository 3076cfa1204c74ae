/**
 * The platform specification's "Weekly Executive Summary" from the ledger: go-live readiness (the
 * headline, from the checks' verdicts), overall progress (steps done), on
 * track / at risk / behind against the six-week plan, what was completed in the last seven
 * days with its business value (the seed's Business Value Translation Framework, kept in
 * PHASE_INFO), what is in progress, risks (failed steps, failing checks, the config's risk
 * register), business impact, metrics, and the two diagrams. Pure: `now` is a parameter.
 */
import { buildStatus } from '../steps/status-model.js';
import { verdictOf } from '../steps/kinds/check.js';
import { countStatuses, diagrams, reportChecks, schedule, securityCompliance, timelineJson, type ReportInput, type ReportStatus } from './model.js';
import { fence, pct, STATUS_MARK, table, when } from './render-md.js';
import { DAY_MS, isoDay } from './timeline.js';
import { readiness, startSource, type Readiness } from './golive.js';

export interface WeeklyReport {
  kind: 'weekly';
  project: string;
  env: string;
  generatedAt: string;
  week: number;
  period: { from: string; to: string };
  planStart: string;
  planStartSource: string;
  /**
   * The headline: go-live readiness from the checks' verdicts (READY only when every check
   * passed). Step counts say how much ran, not whether the platform works.
   */
  readiness: Readiness;
  headline: string;
  progress: { done: number; total: number; percent: number };
  schedule: 'On Track' | 'At Risk' | 'Behind Schedule';
  completed: Array<{ phase: string; title: string; finishedAt: string; businessValue: string }>;
  completedSteps: Array<{ id: string; title: string; finishedAt: string }>;
  inProgress: Array<{
    phase: string;
    title: string;
    status: string;
    stepsDone: number;
    stepsTotal: number;
    plannedEnd: string;
    schedule: string;
    reason?: string;
    next: string[];
  }>;
  risks: {
    failedSteps: Array<{ id: string; message: string; hint?: string }>;
    failingChecks: Array<{ id: string; title: string; summary: string; hint?: string }>;
    /** Checks that could not verify their criterion: not a failure, not a pass either. */
    unverifiedChecks: string[];
    schedule: Array<{ phase: string; schedule: string; reason?: string }>;
    register: ReportInput['config']['risks'];
  };
  businessImpact: string[];
  metrics: {
    checks: { passed: number; total: number; counts: ReturnType<typeof countStatuses> };
    securityCompliance: ReturnType<typeof securityCompliance> | null;
    infrastructureAvailability: { online: number; total: number; percent: number; measuredAt: string } | null;
    budget: null;
  };
  phases: ReturnType<typeof timelineJson>;
  diagrams: { gantt: string; architecture: string };
}

export function buildWeeklyReport(input: ReportInput): WeeklyReport {
  const s = schedule(input);
  const status = buildStatus(input.ledger, input.steps);
  const from = new Date(input.now.getTime() - 7 * DAY_MS);
  const inWeek = (iso?: string) => Boolean(iso) && Date.parse(iso!) >= from.getTime() && Date.parse(iso!) <= input.now.getTime();

  const checks = reportChecks(input.ledger);
  const counts = countStatuses(checks);
  // The golive phase delivers what its checks verified, not more: its value is worded from the verdicts.
  const value = (p: { id: string; businessValue: string }) => (p.id === 'golive' ? goliveValue(counts, p.businessValue) : p.businessValue);
  const completed = s.timeline
    .filter((p) => p.status === 'done' && p.actualEnd && inWeek(p.actualEnd.toISOString()))
    .map((p) => ({ phase: p.id, title: p.title, finishedAt: p.actualEnd!.toISOString(), businessValue: value(p) }));
  // Steps of phases that did not complete in the period (a completed phase is listed as a whole).
  const completedPhases = new Set<string>(completed.map((c) => c.phase));
  const completedSteps = status.phases
    .filter((p) => !completedPhases.has(p.id))
    .flatMap((p) => p.steps)
    .filter((v) => v.status === 'done' && inWeek(v.finishedAt))
    .map((v) => ({ id: v.id, title: v.title, finishedAt: v.finishedAt! }));
  const inProgress = inProgressPhases(s, status, input.now);

  const failedSteps = Object.values(input.ledger.steps)
    .filter((r) => r.status === 'failed' && r.phase !== 'golive')
    .map((r) => ({ id: r.id, message: r.error?.message ?? 'failed', hint: r.error?.hint }));
  const failingChecks = checks.filter((c) => c.status === 'fail').map((c) => ({ id: c.id, title: c.title, summary: c.summary ?? '', hint: c.hint }));
  const sec = securityCompliance(checks);
  const nodes = verdictOf(input.ledger.steps['golive.nodes-online']);
  const online = Number(nodes?.evidence.online);
  const total = Number(nodes?.evidence.total);
  const done = s.timeline.filter((p) => p.status === 'done');
  const upcoming = s.timeline.find((p) => p.status !== 'done');
  const businessImpact = [
    ...done.map((p) => `${p.title}: ${value(p)}.`),
    ...(upcoming
      ? [
          `Next: ${upcoming.title} (planned ${isoDay(upcoming.plannedStart)} → ${isoDay(new Date(upcoming.plannedEnd.getTime() - DAY_MS))}) will deliver: ${upcoming.businessValue}.`,
        ]
      : [allDoneLine(counts)]),
  ];
  const ready = readiness(counts);
  return {
    kind: 'weekly',
    project: input.project,
    env: input.env,
    generatedAt: input.now.toISOString(),
    readiness: ready,
    headline: headlineText(ready, counts, status.progress, s.overall),
    week: s.week,
    period: { from: from.toISOString(), to: input.now.toISOString() },
    planStart: isoDay(s.start.date),
    planStartSource: s.start.source,
    progress: status.progress,
    schedule: s.overall,
    completed,
    completedSteps,
    inProgress,
    risks: {
      failedSteps,
      failingChecks,
      unverifiedChecks: checks.filter((c) => c.status === 'unknown').map((c) => c.id),
      schedule: s.timeline
        .filter((p) => p.schedule === 'behind' || p.schedule === 'at-risk')
        .map((p) => ({ phase: p.id, schedule: p.schedule, reason: p.reason })),
      register: input.config.risks,
    },
    businessImpact,
    metrics: {
      checks: { passed: counts.pass, total: checks.length, counts },
      securityCompliance: checks.some((c) => c.category === 'security' && c.status !== 'not-run') ? sec : null,
      infrastructureAvailability:
        nodes && Number.isFinite(online) && Number.isFinite(total) && total > 0
          ? { online, total, percent: pct(online, total), measuredAt: nodes.checkedAt }
          : null,
      budget: null,
    },
    phases: timelineJson(s.timeline),
    diagrams: diagrams(input, s),
  };
}

/** Phases started, due, or off schedule and not done: their progress and the steps next in each. */
function inProgressPhases(s: ReturnType<typeof schedule>, status: ReturnType<typeof buildStatus>, now: Date): WeeklyReport['inProgress'] {
  return s.timeline
    .filter((p) => p.status !== 'done' && (p.actualStart || p.schedule !== 'on-track' || p.plannedStart.getTime() <= now.getTime()))
    .map((p) => ({
      phase: p.id,
      title: p.title,
      status: p.status,
      stepsDone: p.stepsDone,
      stepsTotal: p.stepsTotal,
      plannedEnd: isoDay(new Date(p.plannedEnd.getTime() - DAY_MS)),
      schedule: p.schedule,
      reason: p.reason,
      next: status.next
        .filter((n) => n.id.startsWith(`${p.id}.`))
        .map((n) => (n.runnable ? `${n.id} (ready)` : `${n.id} (waits for ${n.waitingFor.join(', ')})`)),
    }));
}

/**
 * "Go-live readiness: NOT VERIFIED — 12 of 17 go-live checks could not be verified; deployment
 * 32 of 32 steps (100%), schedule On Track". Readiness leads; the step count follows as progress.
 */
export function headlineText(
  r: Readiness,
  counts: Record<ReportStatus, number>,
  progress: { done: number; total: number; percent: number },
  overall: string,
): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const why =
    r === 'READY'
      ? `all ${total} go-live checks passed`
      : counts['not-run'] === total
        ? 'the go-live checks have not run yet'
        : `go-live checks: ${verdictCounts(counts)}`;
  return `Go-live readiness: ${r} — ${why}; deployment ${progress.done} of ${progress.total} steps (${progress.percent}%), schedule ${overall}`;
}

/** Every go-live check passed: the only state in which the reports call the platform ready. */
function allPassed(counts: Record<ReportStatus, number>): boolean {
  return counts.pass > 0 && counts.warn + counts.unknown + counts.fail + counts['not-run'] === 0;
}

/** "5 passed, 12 could not be verified" — the verdicts that occur, in that wording. */
export function verdictCounts(counts: Record<ReportStatus, number>): string {
  const parts: Array<[number, string]> = [
    [counts.pass, 'passed'],
    [counts.warn, 'passed with warnings'],
    [counts.unknown, 'could not be verified'],
    [counts.fail, 'failed'],
    [counts['not-run'], 'did not run'],
  ];
  return (
    parts
      .filter(([n]) => n)
      .map(([n, w]) => `${n} ${w}`)
      .join(', ') || 'none'
  );
}

/**
 * What the golive phase delivered, from the verdicts: PHASE_INFO's claim ("every readiness check
 * verified") only when every check passed; otherwise what the checks did establish.
 */
export function goliveValue(counts: Record<ReportStatus, number>, claim: string): string {
  if (allPassed(counts)) return claim;
  return `Go-live checks ran: ${verdictCounts(counts)} (see the readiness report: dpf report golive)`;
}

/** The closing line once every phase is done: "ready for data workloads" only when every go-live check passed. */
export function allDoneLine(counts: Record<ReportStatus, number>): string {
  if (allPassed(counts)) return 'Every phase is done: the platform is ready for data workloads.';
  const r = readiness(counts);
  return `Every phase is done, but go-live readiness is ${r} (go-live checks: ${verdictCounts(counts)}): the platform is not yet shown to be ready for data workloads (see dpf report golive).`;
}

export function renderWeeklyMarkdown(r: WeeklyReport): string {
  const o: string[] = [];
  o.push(`# AWS Data Platform Foundation - Week ${r.week} Progress Report`, '');
  o.push(
    `_${r.project} / ${r.env} · period ${when(r.period.from)} → ${when(r.period.to)} · week 1 started ${r.planStart} (${startSource(r.planStartSource)})_`,
    '',
  );
  const [head, rest] = r.headline.split(' — ');
  o.push(`🎯 **${head}** — ${rest}`, '');
  o.push('## ✅ Completed This Week', '');
  if (r.completed.length) for (const c of r.completed) o.push(`- **${c.title}** (${c.phase}, finished ${when(c.finishedAt)}) — ${c.businessValue}`);
  else o.push('- No phase was completed in the last seven days.');
  if (r.completedSteps.length)
    o.push('', 'Other steps finished in the period:', ...r.completedSteps.map((s) => `- ${s.id} — ${s.title} (${when(s.finishedAt)})`));
  o.push('', '## 🚧 In Progress', '');
  if (r.inProgress.length)
    for (const p of r.inProgress)
      o.push(
        `- **${p.title}** — ${p.stepsDone}/${p.stepsTotal} steps done (${p.status}); planned to finish by ${p.plannedEnd}: ${p.schedule}${p.reason ? ` (${p.reason})` : ''}${p.next.length ? `; next: ${p.next.join(', ')}` : ''}`,
      );
  else o.push('- Nothing in progress.');
  o.push('', '## ⚠️ Risks and Mitigation', '');
  const issues = [
    ...r.risks.failedSteps.map((f) => `- ❌ Step ${f.id} failed: ${f.message}${f.hint ? ` — ${f.hint.split('\n')[0]}` : ''}`),
    ...r.risks.failingChecks.map((f) => `- ❌ Go-live check ${f.id} (${f.title}) fails: ${f.summary}${f.hint ? ` — ${f.hint}` : ''}`),
    ...r.risks.schedule.map((s) => `- ⏰ ${s.phase} is ${s.schedule}${s.reason ? `: ${s.reason}` : ''}`),
    ...(r.risks.unverifiedChecks.length
      ? [
          `- ❔ ${r.risks.unverifiedChecks.length} go-live check(s) could not verify their criterion (unknown, reasons in \`dpf report golive\`): ${r.risks.unverifiedChecks.join(', ')}`,
        ]
      : []),
  ];
  o.push(...(issues.length ? issues : ['- No failed step, failing check or schedule slip recorded.']));
  o.push('', 'Risk register (from the config):', '');
  o.push(
    table(
      ['Category', 'Risk', 'Probability', 'Impact', 'Mitigation'],
      r.risks.register.map((k) => [k.category, k.description, k.probability, k.impact, k.mitigation]),
    ),
  );
  o.push('', '## 💡 Business Impact', '', ...r.businessImpact.map((b) => `- ${b}`));
  o.push('', '## 📊 Metrics', '');
  const a = r.metrics.infrastructureAvailability;
  o.push(
    `- Infrastructure availability: ${a ? `${a.percent}% (${a.online} of ${a.total} nodes online in SSM at ${when(a.measuredAt)})` : 'not measured yet (golive.nodes-online has no verdict)'}`,
  );
  const sc = r.metrics.securityCompliance;
  o.push(
    `- Security compliance: ${sc ? `${sc.percent}% (${sc.passed} of ${sc.total} security checks passed${sc.failed ? `, ${sc.failed} failing` : ''}${sc.unknown ? `, ${sc.unknown} unknown` : ''}${sc.notRun ? `, ${sc.notRun} not run` : ''})` : 'not measured yet (no security check has run)'}`,
  );
  o.push(
    `- Go-live checks passed: ${r.metrics.checks.passed} of ${r.metrics.checks.total} (${Object.entries(r.metrics.checks.counts)
      .filter(([, n]) => n)
      .map(([k, n]) => `${STATUS_MARK[k as keyof typeof STATUS_MARK]} ${n}`)
      .join(', ')})`,
  );
  o.push('- Budget utilization: not tracked by dpf (see AWS Cost Explorer)');
  o.push('', '## Timeline', '', fence('mermaid', r.diagrams.gantt));
  o.push(
    '',
    table(
      ['Phase', 'Planned', 'Actual', 'Schedule'],
      r.phases.map((p) => [
        p.title,
        `${p.plannedStart} → ${p.plannedEnd}`,
        p.actualStart ? `${when(p.actualStart)} → ${p.actualEnd ? when(p.actualEnd) : '…'}` : 'not started',
        `${p.schedule}${p.reason ? ` (${p.reason})` : ''}`,
      ]),
    ),
  );
  o.push('', '## Architecture as deployed', '', fence('mermaid', r.diagrams.architecture), '');
  return o.join('\n');
}
