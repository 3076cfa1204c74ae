/**
 * The seed's six-week plan against what the ledger says happened. Planned windows come from
 * PHASE_INFO (days from the start of week 1); week 1 starts on the config's deploy.startDate,
 * else on the day of the first run in the ledger, else today. Pure: the clock is a parameter.
 */
import type { EnvironmentConfig } from '../config/schema.js';
import type { LedgerData } from '../state/ledger.js';
import { PHASE_INFO } from '../steps/phases.js';
import { buildStatus, type PhaseStatusView } from '../steps/status-model.js';
import { PHASES, type DeployPhase, type StepDef } from '../steps/types.js';

export const DAY_MS = 86_400_000;

export type PhaseSchedule = 'done' | 'on-track' | 'at-risk' | 'behind';
export type OverallSchedule = 'On Track' | 'At Risk' | 'Behind Schedule';

export interface PhaseTimeline {
  id: DeployPhase;
  title: string;
  businessValue: string;
  plannedStart: Date;
  /** Exclusive. */
  plannedEnd: Date;
  actualStart?: Date;
  /** Set when every step of the phase is done. */
  actualEnd?: Date;
  status: PhaseStatusView['status'];
  schedule: PhaseSchedule;
  /** Why the phase is at risk or behind (or how late it finished). */
  reason?: string;
  stepsDone: number;
  stepsTotal: number;
  failedSteps: string[];
}

export interface PlanStart {
  date: Date;
  source: 'config' | 'first-run' | 'today';
}

export function utcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Week 1's first day. */
export function planStart(env: Pick<EnvironmentConfig, 'deploy'>, ledger: LedgerData, now: Date): PlanStart {
  if (env.deploy.startDate) return { date: new Date(`${env.deploy.startDate}T00:00:00.000Z`), source: 'config' };
  const first = [...ledger.runs.map((r) => r.startedAt), ...Object.values(ledger.steps).map((s) => s.startedAt)]
    .filter((x): x is string => Boolean(x))
    .sort()[0];
  if (first) return { date: utcDay(new Date(first)), source: 'first-run' };
  return { date: utcDay(now), source: 'today' };
}

/** Week number of the plan (1-based) that contains `now`. */
export function weekNumber(start: Date, now: Date): number {
  return Math.max(1, Math.floor((now.getTime() - start.getTime()) / (7 * DAY_MS)) + 1);
}

const days = (ms: number) => Math.round((ms / DAY_MS) * 10) / 10;

/**
 * One phase against its plan, at `now`:
 *   done      every step done (a finish after the planned end is noted as late);
 *   behind    not done and its planned end has passed;
 *   at-risk   not done and either a step of it failed, or half its window has gone by without it starting;
 *   on-track  otherwise (including phases whose window has not started).
 */
export function phaseSchedule(p: Omit<PhaseTimeline, 'schedule' | 'reason'>, now: Date): { schedule: PhaseSchedule; reason?: string } {
  const t = now.getTime();
  if (p.status === 'done') {
    const late = p.actualEnd && p.actualEnd.getTime() > p.plannedEnd.getTime() ? days(p.actualEnd.getTime() - p.plannedEnd.getTime()) : 0;
    return { schedule: 'done', reason: late > 0 ? `finished ${late} day(s) after the planned end` : undefined };
  }
  if (t >= p.plannedEnd.getTime())
    return {
      schedule: 'behind',
      reason: `planned to finish by ${isoDay(new Date(p.plannedEnd.getTime() - DAY_MS))}; ${p.stepsDone}/${p.stepsTotal} step(s) done`,
    };
  if (p.failedSteps.length) return { schedule: 'at-risk', reason: `failed step(s): ${p.failedSteps.join(', ')}` };
  const mid = p.plannedStart.getTime() + (p.plannedEnd.getTime() - p.plannedStart.getTime()) / 2;
  if (!p.actualStart && t >= mid) return { schedule: 'at-risk', reason: `half of its planned window has passed and it has not started` };
  return { schedule: 'on-track' };
}

export function buildTimeline(ledger: LedgerData, steps: StepDef[], start: Date, now: Date): PhaseTimeline[] {
  const model = buildStatus(ledger, steps);
  return PHASES.map((id) => {
    const info = PHASE_INFO[id];
    const ph = model.phases.find((p) => p.id === id)!;
    const base: Omit<PhaseTimeline, 'schedule' | 'reason'> = {
      id,
      title: info.title,
      businessValue: info.businessValue,
      plannedStart: new Date(start.getTime() + info.plannedStartDay * DAY_MS),
      plannedEnd: new Date(start.getTime() + info.plannedEndDay * DAY_MS),
      actualStart: ph.startedAt ? new Date(ph.startedAt) : undefined,
      actualEnd: ph.finishedAt ? new Date(ph.finishedAt) : undefined,
      status: ph.status,
      stepsDone: ph.steps.filter((s) => s.status === 'done' || s.status === 'skipped').length,
      stepsTotal: ph.steps.length,
      failedSteps: ph.steps.filter((s) => s.status === 'failed').map((s) => s.id),
    };
    return { ...base, ...phaseSchedule(base, now) };
  });
}

export function overallSchedule(timeline: PhaseTimeline[]): OverallSchedule {
  if (timeline.some((p) => p.schedule === 'behind')) return 'Behind Schedule';
  if (timeline.some((p) => p.schedule === 'at-risk')) return 'At Risk';
  return 'On Track';
}
