/** What both reports are built from, and the pieces they share (check results, risks, diagrams). */
import type { EnvironmentConfig } from '../config/schema.js';
import type { LedgerData } from '../state/ledger.js';
import type { StepDef } from '../steps/types.js';
import { GOLIVE_CHECKS } from '../checks/index.js';
import type { CheckCategory, CheckStatus, ChecklistLineId } from '../checks/types.js';
import { verdictOf } from '../steps/kinds/check.js';
import type { ArchitectureModel } from './architecture.js';
import { architectureDiagram, ganttChart } from './mermaid.js';
import { buildTimeline, overallSchedule, planStart, weekNumber, type PhaseTimeline, type PlanStart } from './timeline.js';

export interface ReportInput {
  project: string;
  env: string;
  region: string;
  accountId?: string;
  config: EnvironmentConfig;
  ledger: LedgerData;
  /** The whole step graph (deployment steps and golive checks). */
  steps: StepDef[];
  now: Date;
  architecture: ArchitectureModel;
}

export type ReportStatus = CheckStatus | 'not-run';

export interface ReportCheck {
  id: string;
  title: string;
  category: CheckCategory;
  checklist: ChecklistLineId;
  criterion: string;
  status: ReportStatus;
  summary?: string;
  checkedAt?: string;
  hint?: string;
  evidence?: Record<string, unknown>;
  /** The step's state in the ledger (a failing check is a failed step). */
  stepStatus: string;
}

/** Every go-live check with the verdict the ledger holds for it (or not-run). */
export function reportChecks(ledger: LedgerData): ReportCheck[] {
  return GOLIVE_CHECKS.map((c) => {
    const r = ledger.steps[c.id];
    const v = verdictOf(r);
    return {
      id: c.id,
      title: c.title,
      category: c.category,
      checklist: c.checklist,
      criterion: c.criterion,
      status: v?.status ?? 'not-run',
      summary: v?.summary ?? (r?.status === 'running' ? 'running now' : undefined),
      checkedAt: v?.checkedAt,
      hint: v?.hint,
      evidence: v?.evidence,
      stepStatus: r?.status ?? 'pending',
    };
  });
}

export function countStatuses(checks: Array<{ status: ReportStatus }>): Record<ReportStatus, number> {
  const out: Record<ReportStatus, number> = { pass: 0, warn: 0, unknown: 0, fail: 0, 'not-run': 0 };
  for (const c of checks) out[c.status] += 1;
  return out;
}

/** Order used to summarise several checks: fail first, then checks that never ran, unknown, warn, pass. */
const RANK: Record<ReportStatus, number> = { pass: 0, warn: 1, unknown: 2, 'not-run': 3, fail: 4 };
export function worstStatus(statuses: ReportStatus[]): ReportStatus {
  return statuses.reduce<ReportStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'pass');
}

export interface SecurityCompliance {
  passed: number;
  total: number;
  percent: number;
  notRun: number;
  unknown: number;
  failed: number;
}

/** Security compliance = security checks passed / all security checks (a check that did not pass does not count). */
export function securityCompliance(checks: ReportCheck[]): SecurityCompliance {
  const sec = checks.filter((c) => c.category === 'security');
  const passed = sec.filter((c) => c.status === 'pass').length;
  return {
    passed,
    total: sec.length,
    percent: sec.length ? Math.round((passed / sec.length) * 100) : 0,
    notRun: sec.filter((c) => c.status === 'not-run').length,
    unknown: sec.filter((c) => c.status === 'unknown').length,
    failed: sec.filter((c) => c.status === 'fail').length,
  };
}

export interface Schedule {
  start: PlanStart;
  week: number;
  timeline: PhaseTimeline[];
  overall: ReturnType<typeof overallSchedule>;
}

export function schedule(input: ReportInput): Schedule {
  const start = planStart(input.config, input.ledger, input.now);
  const timeline = buildTimeline(input.ledger, input.steps, start.date, input.now);
  return { start, week: weekNumber(start.date, input.now), timeline, overall: overallSchedule(timeline) };
}

export function diagrams(input: ReportInput, s: Schedule): { gantt: string; architecture: string } {
  return {
    gantt: ganttChart(s.timeline, { title: `AWS Data Platform Foundation - ${input.project}/${input.env} - plan vs actual`, now: input.now }),
    architecture: architectureDiagram(input.architecture),
  };
}

export function timelineJson(t: PhaseTimeline[]) {
  return t.map((p) => ({
    phase: p.id,
    title: p.title,
    plannedStart: p.plannedStart.toISOString().slice(0, 10),
    plannedEnd: p.plannedEnd.toISOString().slice(0, 10),
    actualStart: p.actualStart?.toISOString(),
    actualEnd: p.actualEnd?.toISOString(),
    status: p.status,
    schedule: p.schedule,
    reason: p.reason,
    steps: { done: p.stepsDone, total: p.stepsTotal },
  }));
}
