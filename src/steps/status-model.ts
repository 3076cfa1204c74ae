/** Pure: the ledger (plus live facts, when AWS answered) → the status document. */
import type { LedgerData, StepRecord } from '../state/ledger.js';
import type { StepDef } from './types.js';
import { PHASES } from './types.js';
import { PHASE_INFO } from './phases.js';

export interface StepStatusView {
  id: string;
  title: string;
  kind: string;
  status: StepRecord['status'];
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  estimateSeconds?: number;
  operator?: string;
  attempts?: number;
  error?: StepRecord['error'];
  stack?: { name: string; status?: string; drift?: string };
  dependsOn: string[];
}

export interface PhaseStatusView {
  id: string;
  title: string;
  status: 'pending' | 'running' | 'done' | 'failed' | 'partial';
  startedAt?: string;
  finishedAt?: string;
  steps: StepStatusView[];
}

export interface NextStep {
  id: string;
  runnable: boolean;
  waitingFor: string[];
}

export function phaseStatus(steps: StepStatusView[]): PhaseStatusView['status'] {
  if (steps.length === 0) return 'pending';
  if (steps.some((s) => s.status === 'failed')) return 'failed';
  if (steps.some((s) => s.status === 'running')) return 'running';
  if (steps.every((s) => s.status === 'done' || s.status === 'skipped')) return 'done';
  if (steps.some((s) => s.status === 'done')) return 'partial';
  return 'pending';
}

export function buildStatus(ledger: LedgerData, steps: StepDef[], live: Record<string, { status?: string; drift?: string }> = {}) {
  const views: StepStatusView[] = steps.map((s) => {
    const r = ledger.steps[s.id];
    const stackName = r?.evidence.stackName as string | undefined;
    return {
      id: s.id,
      title: s.title,
      kind: s.kind,
      status: r?.status ?? 'pending',
      startedAt: r?.startedAt,
      finishedAt: r?.finishedAt,
      durationSeconds: r?.durationSeconds,
      estimateSeconds: r?.estimateSeconds,
      operator: r?.operator,
      attempts: r?.attempts,
      error: r?.error,
      stack: stackName ? { name: stackName, status: live[stackName]?.status, drift: live[stackName]?.drift } : undefined,
      dependsOn: s.dependsOn,
    };
  });
  const phases: PhaseStatusView[] = PHASES.map((p) => {
    const ps = views.filter((v) => v.id.startsWith(`${p}.`));
    const starts = ps.map((s) => s.startedAt).filter(Boolean).sort() as string[];
    const ends = ps.map((s) => s.finishedAt).filter(Boolean).sort() as string[];
    const status = phaseStatus(ps);
    return { id: p, title: PHASE_INFO[p].title, status, startedAt: starts[0], finishedAt: status === 'done' ? ends[ends.length - 1] : undefined, steps: ps };
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
  return { phases, next, progress: { done, total: views.length, percent: views.length ? Math.round((done / views.length) * 100) : 0 } };
}
