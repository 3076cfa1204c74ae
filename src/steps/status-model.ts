/** Pure: the ledger (plus live facts, when AWS answered) → the status document. */
import type { LedgerData, StepRecord } from '../state/ledger.js';
import type { StepDef } from './types.js';
import { PHASES } from './types.js';
import { PHASE_INFO } from './phase-info.js';
import type { CheckStatus } from '../checks/types.js';
import { verdictOf } from './verdict.js';

/** What the status model reads of a step: data only, so a graph kept as JSON (src/status/graph-cache.ts) serves too. */
export type StepShape = Pick<StepDef, 'id' | 'phase' | 'title' | 'kind' | 'dependsOn'>;

/** A step's shape as JSON can keep it. */
export function stepShape(s: StepShape): StepShape {
  return { id: s.id, phase: s.phase, title: s.title, kind: s.kind, dependsOn: [...s.dependsOn] };
}

export interface StepStatusView {
  id: string;
  title: string;
  kind: string;
  status: StepRecord['status'];
  /**
   * Set (true) when the record says `running` but no process is running it: the run was
   * interrupted (Ctrl-C, or its process died). The status stays 'running'; a rerun resumes it.
   */
  interrupted?: true;
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  estimateSeconds?: number;
  operator?: string;
  attempts?: number;
  error?: StepRecord['error'];
  stack?: { name: string; status?: string; drift?: string; driftSource?: 'live' | 'golive'; driftCheckedAt?: string };
  /** For a go-live check: the verdict it left in the ledger. */
  verdict?: { status: CheckStatus; summary: string; checkedAt: string };
  dependsOn: string[];
}

export interface PhaseStatusView {
  id: string;
  title: string;
  status: 'pending' | 'running' | 'done' | 'failed' | 'partial';
  /** Set (true) when the phase is 'running' only because of interrupted steps (none is running now). */
  interrupted?: true;
  startedAt?: string;
  finishedAt?: string;
  steps: StepStatusView[];
}

export interface NextStep {
  id: string;
  runnable: boolean;
  waitingFor: string[];
}

export interface DriftFact {
  drift: string;
  reason?: string;
  checkedAt: string;
}

/** Drift per stack name, from the last golive.stacks verdict in the ledger. */
export function driftFromLedger(ledger: LedgerData): Record<string, DriftFact> {
  const v = verdictOf(ledger.steps['golive.stacks']);
  const stacks = (v?.evidence.stacks ?? {}) as Record<string, { drift?: string; reason?: string }>;
  const out: Record<string, DriftFact> = {};
  for (const [name, e] of Object.entries(stacks))
    if (e && typeof e.drift === 'string') out[name] = { drift: e.drift, reason: e.reason, checkedAt: v!.checkedAt };
  return out;
}

export interface CheckSummary {
  id: string;
  title: string;
  category?: string;
  /** The verdict, or 'not-run' when the check never ran. */
  status: CheckStatus | 'not-run';
  summary?: string;
  checkedAt?: string;
  stepStatus: StepRecord['status'];
}

/** The go-live checks (kind 'check') with their last verdicts. */
export function checkSummaries(ledger: LedgerData, steps: readonly StepShape[]): CheckSummary[] {
  return steps
    .filter((s) => s.kind === 'check')
    .map((s) => {
      const r = ledger.steps[s.id];
      const v = verdictOf(r);
      return {
        id: s.id,
        title: s.title,
        category: v?.category,
        status: v?.status ?? 'not-run',
        summary: v?.summary,
        checkedAt: v?.checkedAt,
        stepStatus: r?.status ?? 'pending',
      };
    });
}

export function phaseStatus(steps: StepStatusView[]): PhaseStatusView['status'] {
  if (steps.length === 0) return 'pending';
  if (steps.some((s) => s.status === 'failed')) return 'failed';
  if (steps.some((s) => s.status === 'running')) return 'running';
  if (steps.every((s) => s.status === 'done' || s.status === 'skipped')) return 'done';
  if (steps.some((s) => s.status === 'done')) return 'partial';
  return 'pending';
}

export interface BuildStatusOptions {
  /**
   * Whether a process holds the environment's lock now. false: nothing can be running, so every
   * step left `running` was interrupted. Undefined (not known): only steps whose record says
   * `evidence.interrupted` are.
   */
  lockHeld?: boolean;
}

/** A step left `running` that no process is running: interrupted, resumed by the next run. */
export function isInterrupted(r: StepRecord | undefined, lockHeld?: boolean): boolean {
  return r?.status === 'running' && (r.evidence.interrupted === true || lockHeld === false);
}

export function buildStatus(
  ledger: LedgerData,
  steps: readonly StepShape[],
  live: Record<string, { status?: string; drift?: string }> = {},
  o: BuildStatusOptions = {},
) {
  const lastDrift = driftFromLedger(ledger);
  const stackView = (name: string): StepStatusView['stack'] => {
    const l = live[name];
    const g = lastDrift[name];
    if (l?.drift) return { name, status: l.status, drift: l.drift, driftSource: 'live' };
    if (g) return { name, status: l?.status, drift: g.drift, driftSource: 'golive', driftCheckedAt: g.checkedAt };
    return { name, status: l?.status, drift: undefined };
  };
  const views: StepStatusView[] = steps.map((s) => {
    const r = ledger.steps[s.id];
    const stackName = r?.evidence.stackName as string | undefined;
    const v = s.kind === 'check' ? verdictOf(r) : undefined;
    return {
      id: s.id,
      title: s.title,
      kind: s.kind,
      status: r?.status ?? 'pending',
      ...(isInterrupted(r, o.lockHeld) ? { interrupted: true as const } : {}),
      startedAt: r?.startedAt,
      finishedAt: r?.finishedAt,
      durationSeconds: r?.durationSeconds,
      estimateSeconds: r?.estimateSeconds,
      operator: r?.operator,
      attempts: r?.attempts,
      error: r?.error,
      stack: stackName ? stackView(stackName) : undefined,
      verdict: v ? { status: v.status, summary: v.summary, checkedAt: v.checkedAt } : undefined,
      dependsOn: s.dependsOn,
    };
  });
  const phases: PhaseStatusView[] = PHASES.map((p) => {
    const ps = views.filter((v) => v.id.startsWith(`${p}.`));
    const starts = ps
      .map((s) => s.startedAt)
      .filter(Boolean)
      .sort() as string[];
    const ends = ps
      .map((s) => s.finishedAt)
      .filter(Boolean)
      .sort() as string[];
    const status = phaseStatus(ps);
    const running = ps.filter((s) => s.status === 'running');
    const interrupted = status === 'running' && running.every((s) => s.interrupted);
    return {
      id: p,
      title: PHASE_INFO[p].title,
      status,
      ...(interrupted ? { interrupted: true as const } : {}),
      startedAt: starts[0],
      finishedAt: status === 'done' ? ends[ends.length - 1] : undefined,
      steps: ps,
    };
  });
  const byId = new Map(views.map((v) => [v.id, v]));
  const next: NextStep[] = views
    .filter((v) => v.status !== 'done' && v.status !== 'skipped')
    .map((v) => {
      const waitingFor = v.dependsOn.filter((d) => byId.get(d)?.status !== 'done');
      return { id: v.id, runnable: waitingFor.length === 0, waitingFor };
    })
    // Runnable steps first, then the ones waiting, nearest first (graph order is kept within each group).
    .sort((a, b) => Number(b.runnable) - Number(a.runnable))
    .slice(0, 8);
  const done = views.filter((v) => v.status === 'done').length;
  return {
    phases,
    next,
    progress: { done, total: views.length, percent: views.length ? Math.round((done / views.length) * 100) : 0 },
    checks: checkSummaries(ledger, steps),
  };
}

/** What buildStatus returns: progress, phases with their steps, what is next, the go-live checks. */
export type StatusModel = ReturnType<typeof buildStatus>;
