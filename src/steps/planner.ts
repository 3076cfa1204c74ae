/**
 * dpf plan's engine half: what each selected step would change (change sets created,
 * described and deleted), and the ETA of the run along the critical path of the graph.
 */
import type { EdgeReason, Preview, StepDef } from './types.js';
import type { ResourceChange } from '../aws/cloudformation.js';
import type { SecurityChange } from '../io/events.js';
import type { RunOptions } from './engine.js';
import { makeContext } from './engine.js';
import { criticalPath, describeEdge } from './graph.js';
import { errorMessage } from '../errors.js';

export interface PlannedStep {
  id: string;
  title: string;
  phase: string;
  /** The steps this one waits for (the graph's edges), as the engine runs them. */
  dependsOn: string[];
  /** Why it waits for each: the reason in words and its parts (outputs read, hosts, needs, order). */
  after: Array<{ step: string; reason: string } & EdgeReason>;
  status: string;
  action: 'skip' | 'run' | 'deferred' | 'error';
  summary: string;
  changes?: ResourceChange[];
  /** Changes that widen access (new ingress, IAM statements): review them before applying. */
  security?: SecurityChange[];
  estimateSeconds: number;
  previousDurationSeconds?: number;
  /** The step's input hash when it could be prepared (a saved plan is refused when it changed). */
  inputHash?: string;
  /** The change set kept for `dpf deploy --plan` (plan --out). */
  changeSet?: Preview['changeSet'];
}

export interface Plan {
  steps: PlannedStep[];
  eta: { criticalPathSeconds: number; path: string[]; sequentialSeconds: number };
}

/** @param keep keep each change set (and a new stack's REVIEW_IN_PROGRESS shell) for `dpf deploy --plan`. */
export async function planSteps(
  steps: StepDef[],
  o: Pick<RunOptions, 'envCtx' | 'ledger' | 'aws' | 'awsIn' | 'io' | 'clock' | 'signal' | 'settings'>,
  opts: { keep?: boolean } = {},
): Promise<Plan> {
  const out: PlannedStep[] = [];
  for (const s of steps) {
    const rec = o.ledger.get(s.id);
    const ctx = makeContext(s, o, rec);
    const after = s.dependsOn.map((d) => ({ step: d, reason: s.after?.[d] ? describeEdge(s.after[d]) : '', ...s.after?.[d] }));
    const base = {
      id: s.id,
      title: s.title,
      phase: s.phase,
      dependsOn: [...s.dependsOn],
      after,
      status: rec?.status ?? 'pending',
      previousDurationSeconds: rec?.durationSeconds,
    };
    let prepared;
    try {
      prepared = await s.prepare(ctx);
    } catch (err) {
      const waits = s.dependsOn.filter((d) => o.ledger.get(d)?.status !== 'done');
      out.push({
        ...base,
        action: waits.length ? 'deferred' : 'error',
        summary: waits.length ? `computed once ${waits.join(', ')} ${waits.length > 1 ? 'are' : 'is'} done` : errorMessage(err),
        estimateSeconds: s.staticEstimateSeconds?.() ?? 60,
      });
      continue;
    }
    if (rec?.status === 'done' && rec.inputHash === prepared.inputHash) {
      out.push({ ...base, action: 'skip', summary: 'done, inputs unchanged', estimateSeconds: 0, inputHash: prepared.inputHash });
      continue;
    }
    if (!s.preview) {
      const waits = s.dependsOn.filter((d) => o.ledger.get(d)?.status !== 'done');
      out.push({
        ...base,
        action: 'run',
        summary: waits.length ? `will run once ${waits.join(', ')} ${waits.length > 1 ? 'are' : 'is'} done` : 'will run',
        estimateSeconds: prepared.estimateSeconds,
        inputHash: prepared.inputHash,
      });
      continue;
    }
    try {
      const p = await s.preview(ctx, prepared, { keep: opts.keep });
      out.push({
        ...base,
        action: p.changes?.length ? 'run' : 'skip',
        summary: p.summary,
        changes: p.changes,
        ...(p.security?.length ? { security: p.security } : {}),
        ...(p.changeSet ? { changeSet: p.changeSet } : {}),
        estimateSeconds: p.changes?.length ? prepared.estimateSeconds : 0,
        inputHash: prepared.inputHash,
      });
    } catch (err) {
      out.push({ ...base, action: 'error', summary: errorMessage(err), estimateSeconds: prepared.estimateSeconds });
    }
  }
  const est = new Map(out.map((p) => [p.id, p.estimateSeconds]));
  const cp = criticalPath(steps, (id) => est.get(id) ?? 0);
  return { steps: out, eta: { criticalPathSeconds: cp.totalSeconds, path: cp.path, sequentialSeconds: cp.sequentialSeconds } };
}
