/**
 * The go-live readiness report: every check with its verdict, evidence and the time it ran,
 * organised as the seed's Implementation Readiness Checklist, plus the plan-vs-actual Gantt
 * chart and the architecture as deployed. Built from the ledger's golive evidence (pure), then
 * rendered as Markdown and JSON.
 */
import { READINESS_CHECKLIST, type ChecklistLine } from '../checks/checklist.js';
import {
  countStatuses,
  diagrams,
  reportChecks,
  schedule,
  securityCompliance,
  timelineJson,
  worstStatus,
  type ReportCheck,
  type ReportInput,
  type ReportStatus,
} from './model.js';
import { fence, STATUS_MARK, table, when } from './render-md.js';
import { isoDay } from './timeline.js';

export type Readiness = 'READY' | 'READY WITH WARNINGS' | 'NOT VERIFIED' | 'NOT READY';

export interface ChecklistLineResult {
  text: string;
  /** Verified lines: the worst verdict of their checks; other lines need a person's sign-off. */
  status: ReportStatus | 'manual';
  checks: Array<{ id: string; status: ReportStatus }>;
  note?: string;
  evidence?: string;
}

export interface GoliveReport {
  kind: 'golive';
  project: string;
  env: string;
  region: string;
  accountId?: string;
  generatedAt: string;
  readiness: Readiness;
  lastCheckedAt?: string;
  counts: Record<ReportStatus, number>;
  securityCompliance: ReturnType<typeof securityCompliance>;
  checklist: Array<{ title: string; groups: Array<{ title: string; lines: ChecklistLineResult[] }> }>;
  checks: ReportCheck[];
  schedule: { week: number; planStart: string; planStartSource: string; overall: string; phases: ReturnType<typeof timelineJson> };
  architecture: ReportInput['architecture'];
  risks: ReportInput['config']['risks'];
  diagrams: { gantt: string; architecture: string };
}

export function readiness(counts: Record<ReportStatus, number>): Readiness {
  if (counts.fail) return 'NOT READY';
  if (counts.unknown || counts['not-run']) return 'NOT VERIFIED';
  if (counts.warn) return 'READY WITH WARNINGS';
  return 'READY';
}

/** True when at least one go-live check has left a verdict in the ledger. */
export function goliveRan(input: Pick<ReportInput, 'ledger'>): boolean {
  return reportChecks(input.ledger).some((c) => c.status !== 'not-run');
}

function pointerEvidence(line: ChecklistLine, input: ReportInput, checks: ReportCheck[]): string | undefined {
  switch (line.pointer) {
    case 'architecture-diagram':
      return 'see "Architecture as deployed" below (drawn from the resources dpf deployed)';
    case 'risk-register':
      return `${input.config.risks.length} risk(s) with mitigations in the config's risk register (below)`;
    case 'run-history':
      return `the ledger records ${input.ledger.runs.length} run(s) in order, with every step's start, finish, operator and evidence`;
    case 'timeline':
      return "the plan-vs-actual Gantt chart below tracks the platform specification's six-week plan";
    case 'golive-checks':
      return `${checks.length} automated go-live checks (this report)`;
    default:
      return undefined;
  }
}

export function buildGoliveReport(input: ReportInput): GoliveReport {
  const checks = reportChecks(input.ledger);
  const counts = countStatuses(checks);
  const s = schedule(input);
  const checklist = READINESS_CHECKLIST.map((section) => ({
    title: section.title,
    groups: section.groups.map((g) => ({
      title: g.title,
      lines: g.lines.map((line): ChecklistLineResult => {
        if (line.checkLine) {
          const mine = checks.filter((c) => c.checklist === line.checkLine);
          return {
            text: line.text,
            status: mine.length ? worstStatus(mine.map((c) => c.status)) : 'not-run',
            checks: mine.map((c) => ({ id: c.id, status: c.status })),
            note: line.note,
          };
        }
        return { text: line.text, status: 'manual', checks: [], note: line.note, evidence: pointerEvidence(line, input, checks) };
      }),
    })),
  }));
  const last = checks
    .map((c) => c.checkedAt)
    .filter((x): x is string => Boolean(x))
    .sort()
    .pop();
  return {
    kind: 'golive',
    project: input.project,
    env: input.env,
    region: input.region,
    accountId: input.accountId,
    generatedAt: input.now.toISOString(),
    readiness: readiness(counts),
    lastCheckedAt: last,
    counts,
    securityCompliance: securityCompliance(checks),
    checklist,
    checks,
    schedule: { week: s.week, planStart: isoDay(s.start.date), planStartSource: s.start.source, overall: s.overall, phases: timelineJson(s.timeline) },
    architecture: input.architecture,
    risks: input.config.risks,
    diagrams: diagrams(input, s),
  };
}

const EVIDENCE_LIMIT = 6000;

/** A check's evidence as indented JSON, cut at EVIDENCE_LIMIT characters (the JSON report has all of it); '' when there is none. */
export function evidenceText(e: Record<string, unknown> | undefined): string {
  if (!e || !Object.keys(e).length) return '';
  const json = JSON.stringify(e, null, 2);
  return json.length > EVIDENCE_LIMIT ? `${json.slice(0, EVIDENCE_LIMIT)}\n… (truncated; the JSON report has all of it)` : json;
}

function evidenceBlock(e: Record<string, unknown> | undefined): string {
  const json = evidenceText(e);
  return json ? `<details><summary>Evidence</summary>\n\n${fence('json', json)}\n\n</details>` : '';
}

export function renderGoliveMarkdown(r: GoliveReport): string {
  const out: string[] = [];
  const total = r.checks.length;
  out.push(`# Go-live readiness report — ${r.project} / ${r.env}`);
  out.push('');
  out.push(`Generated ${when(r.generatedAt)} · region ${r.region}${r.accountId ? ` · account ${r.accountId}` : ''} · checks last ran ${when(r.lastCheckedAt)}`);
  out.push('');
  out.push(
    `**Readiness: ${r.readiness}** — ${r.counts.pass} pass, ${r.counts.warn} warn, ${r.counts.unknown} unknown, ${r.counts.fail} fail${r.counts['not-run'] ? `, ${r.counts['not-run']} not run` : ''} (${total} checks). Security compliance ${r.securityCompliance.percent}% (${r.securityCompliance.passed} of ${r.securityCompliance.total} security checks passed).`,
  );
  out.push('');
  out.push('"unknown" means dpf could not verify the criterion (the reason is given); it is never counted as a pass. A failing check fails the golive phase.');
  out.push('');
  out.push('## Implementation Readiness Checklist');
  for (const section of r.checklist) {
    out.push('', `### ${section.title}`);
    for (const g of section.groups) {
      out.push('', `#### ${g.title}`, '');
      const verified = g.lines.filter((l) => l.status !== 'manual');
      if (verified.length) {
        out.push(
          table(
            ['Checklist item', 'Verdict', 'Verified by'],
            g.lines.map((l) => [
              `${l.text}${l.note ? ` _(${l.note})_` : ''}`,
              l.status === 'manual' ? 'manual sign-off' : STATUS_MARK[l.status],
              l.checks.map((c) => `${c.id} (${c.status})`).join(', '),
            ]),
          ),
        );
      } else {
        for (const l of g.lines) out.push(`- [ ] ${l.text} — manual sign-off${l.evidence ? `; dpf: ${l.evidence}` : ''}${l.note ? `; ${l.note}` : ''}`);
      }
    }
  }
  out.push('', '## Checks', '');
  const short = (t: string) => (t.length > 220 ? `${t.slice(0, 217)}…` : t);
  out.push(
    table(
      ['Check', 'Verdict', 'Summary', 'Ran at'],
      r.checks.map((c) => [c.id, STATUS_MARK[c.status], short(c.summary ?? ''), when(c.checkedAt)]),
    ),
  );
  for (const c of r.checks) {
    out.push('', `### ${STATUS_MARK[c.status]} — ${c.title} (\`${c.id}\`)`, '');
    out.push(`- Category: ${c.category}; checklist: ${checklistText(c.checklist)}`);
    out.push(`- Criterion: ${c.criterion}`);
    out.push(`- Verdict: **${c.status}**${c.summary ? ` — ${c.summary}` : ''}`);
    out.push(`- Ran at: ${when(c.checkedAt)}${c.stepStatus === 'failed' ? ' (the step is failed: the golive phase is not done)' : ''}`);
    if (c.hint && c.status !== 'pass') out.push(`- What to do: ${c.hint}`);
    if (c.status === 'not-run') out.push(`- Run it: \`dpf deploy --env ${r.env} --phase golive\``);
    const ev = evidenceBlock(c.evidence);
    if (ev) out.push('', ev);
  }
  out.push('', "## Timeline: the platform specification's plan against what happened", '');
  out.push(
    `Week 1 started ${r.schedule.planStart} (${startSource(r.schedule.planStartSource)}); now in week ${r.schedule.week}; overall: **${r.schedule.overall}**.`,
    '',
  );
  out.push(fence('mermaid', r.diagrams.gantt));
  out.push('', table(...scheduleTable(r)));
  out.push('', '## Architecture as deployed', '');
  out.push(`Drawn from ${r.architecture.source === 'ledger' ? "the ledger's step outputs" : "the ledger's step outputs and live describe calls"}.`, '');
  out.push(fence('mermaid', r.diagrams.architecture));
  if (r.architecture.notes.length) out.push('', ...r.architecture.notes.map((n) => `- note: ${n}`));
  out.push('', '## Risk register', '');
  out.push(
    table(
      ['Category', 'Risk', 'Probability', 'Impact', 'Mitigation'],
      r.risks.map((k) => [k.category, k.description, k.probability, k.impact, k.mitigation]),
    ),
  );
  out.push('');
  return out.join('\n');
}

/** The plan-vs-actual table of the phases, as headers and rows (Markdown and HTML draw the same). */
export function scheduleTable(r: Pick<GoliveReport, 'schedule'>): [string[], string[][]] {
  return [
    ['Phase', 'Planned', 'Actual', 'Status', 'Schedule'],
    r.schedule.phases.map((p) => [
      p.title,
      `${p.plannedStart} → ${p.plannedEnd}`,
      p.actualStart ? `${when(p.actualStart)} → ${p.actualEnd ? when(p.actualEnd) : '…'}` : 'not started',
      p.status,
      `${p.schedule}${p.reason ? ` (${p.reason})` : ''}`,
    ]),
  ];
}

export function checklistText(id: string): string {
  const ids: Record<string, string> = {
    'aws-components': 'All AWS components properly configured and integrated',
    'iac-validated': 'Terraform modules tested and validated in development environment',
    'ansible-automation': 'Ansible playbooks successfully automate all configuration tasks',
    'security-controls': 'Security controls implemented and validated',
    'monitoring-alerting': 'Monitoring and alerting fully operational',
  };
  return `"${ids[id] ?? id}"`;
}

export function startSource(s: string): string {
  return s === 'config' ? "the config's deploy.startDate" : s === 'first-run' ? 'the first run in the ledger' : 'today: nothing has run yet';
}
