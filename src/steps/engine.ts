/**
 * The step engine: runs a selection of the step graph with bounded concurrency, skipping
 * done steps whose inputs are unchanged (after verifying the world still matches),
 * reconciling steps a dead process left `running`, writing every transition to the ledger
 * and emitting events. It never prints and never touches `process` (settings come in RunOptions).
 */
import { RUN_HISTORY_LIMIT, type Ledger } from '../state/ledger.js';
import type { StepDef } from './types.js';
import { AbortError, DpfError, NotConfirmedError, errorMessage, ExitCode } from '../errors.js';
import { seconds, type GroupStatus, type RunOptions, type RunSummary, type StepOutcome } from './engine/options.js';
import { executeStep, inScope, RunHaltedError } from './engine/step.js';

export type { RunOptions, StepOutcome, GroupStatus, RunSummary } from './engine/options.js';
export { makeContext } from './engine/step.js';

export async function runSteps(o: RunOptions): Promise<RunSummary> {
  const started = o.clock.now();
  const all = [...o.steps, ...(o.finally ?? [])];
  await openRun(o, all, started);
  o.io.notify({
    type: 'run-start',
    runId: o.envCtx.runId,
    command: o.command,
    env: o.envCtx.name,
    steps: all.map((s) => ({ id: s.id, title: s.title, phase: s.phase })),
  });

  const failures: RunSummary['failures'] = [];
  const outcomes: Record<string, StepOutcome> = {};
  const group = async (steps: StepDef[]): Promise<GroupStatus> => {
    const before = failures.length;
    const r = await runGroup(steps, o, failures);
    Object.assign(outcomes, r);
    const st = groupStatus(r, o.signal);
    // A run halted after a done step (RunHaltedError) may have every outcome done or interrupted: it still failed.
    return st === 'done' && failures.length > before ? 'failed' : st;
  };
  const finallyBegun = o.scope && (o.finally ?? []).some((s) => inScope(o.ledger.get(s.id), o.scope));
  let main: GroupStatus;
  if (finallyBegun) {
    for (const s of o.steps) {
      outcomes[s.id] = 'skipped';
      o.io.notify({ type: 'step-skipped', stepId: s.id, reason: 'the teardown of this operation has begun (an earlier run): not run again' });
    }
    main = 'done';
  } else main = await group(o.steps);
  let fin: GroupStatus | undefined;
  if (o.finally?.length && main !== 'interrupted') {
    if (main === 'failed')
      o.io.notify({
        type: 'warning',
        message: `${failures.map((f) => f.stepId).join(', ') || 'a step'} failed; running ${o.finally.map((s) => s.id).join(', ')} all the same.`,
      });
    fin = await group(o.finally);
  }

  const end = o.clock.now();
  const status: RunSummary['status'] = o.signal.aborted ? 'interrupted' : [main, fin].some((g) => g === 'failed' || g === 'interrupted') ? 'failed' : 'done';
  await o.ledger.update((d) => {
    const run = d.runs.find((r) => r.runId === o.envCtx.runId);
    if (run) {
      run.finishedAt = end.toISOString();
      run.status = status;
    }
  }, end);
  const counts: Record<string, number> = {};
  for (const v of Object.values(outcomes)) counts[v] = (counts[v] ?? 0) + 1;
  const verdicts = verdictCounts(outcomes, o.ledger);
  o.io.notify({
    type: 'run-done',
    runId: o.envCtx.runId,
    status,
    durationSeconds: seconds(started, end),
    counts,
    ...(Object.keys(verdicts).length ? { verdicts } : {}),
    resume: status === 'done' ? undefined : `dpf ${o.command} --env ${o.envCtx.name}`,
  });
  return { status, groups: { main, ...(fin ? { finally: fin } : {}) }, outcomes, failures, durationSeconds: seconds(started, end), verdicts };
}

/** Record this run in the history; under the lock no other run can be alive, so one still 'running' was killed. */
async function openRun(o: RunOptions, steps: StepDef[], started: Date): Promise<void> {
  await o.ledger.update((d) => {
    for (const r of d.runs)
      if (r.status === 'running' && r.runId !== o.envCtx.runId) {
        r.status = 'died';
        r.note = `the process ended without closing this run (killed or crashed); found by run ${o.envCtx.runId}`;
        const lastSeen = Object.values(d.steps)
          .filter((st) => st.runId === r.runId)
          .flatMap((st) => [st.startedAt, st.finishedAt])
          .filter((t): t is string => Boolean(t))
          .sort()
          .at(-1);
        r.finishedAt = lastSeen ?? r.startedAt;
      }
    d.runs.push({
      runId: o.envCtx.runId,
      command: o.command,
      operator: o.envCtx.operator,
      host: o.settings.process.host,
      startedAt: started.toISOString(),
      status: 'running',
      steps: steps.map((s) => s.id),
      ...(o.scope ? { operation: o.scope } : {}),
    });
    if (d.runs.length > RUN_HISTORY_LIMIT) d.runs.splice(0, d.runs.length - RUN_HISTORY_LIMIT);
  }, started);
}

/** Run one group: each step once its dependencies (within the group) are done, at most `concurrency` at once. */
async function runGroup(steps: StepDef[], o: RunOptions, failures: RunSummary['failures']): Promise<Record<string, StepOutcome>> {
  const limit = Math.max(1, o.concurrency ?? 4);
  const outcome = new Map<string, StepOutcome | 'pending' | 'running'>(steps.map((s) => [s.id, 'pending']));
  const running = new Map<string, Promise<void>>();
  const selected = new Set(steps.map((s) => s.id));
  const finishedOk = (id: string) => ['done', 'skipped'].includes(outcome.get(id) as string);
  const dead = (id: string) => ['failed', 'blocked', 'declined', 'interrupted'].includes(outcome.get(id) as string);
  let halted = false;
  for (;;) {
    if (!o.signal.aborted && !halted) {
      for (const s of steps) {
        if (outcome.get(s.id) !== 'pending') continue;
        const deps = s.dependsOn.filter((d) => selected.has(d));
        const bad = deps.filter(dead);
        if (bad.length) {
          outcome.set(s.id, 'blocked');
          o.io.notify({ type: 'step-blocked', stepId: s.id, waitingFor: bad });
          continue;
        }
        if (running.size >= limit || !deps.every(finishedOk)) continue;
        outcome.set(s.id, 'running');
        const p = executeStep(s, o)
          .then((r) => {
            outcome.set(s.id, r);
          })
          .catch((err) => {
            if (err instanceof RunHaltedError) {
              // The step is done; what had to follow it failed: nothing more starts, the steps already running finish.
              halted = true;
              outcome.set(s.id, 'done');
              failures.push({ stepId: s.id, error: err.reason });
              return;
            }
            outcome.set(s.id, err instanceof AbortError || o.signal.aborted ? 'interrupted' : err instanceof NotConfirmedError ? 'declined' : 'failed');
            failures.push({ stepId: s.id, error: err });
          })
          .finally(() => running.delete(s.id));
        running.set(s.id, p);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return Object.fromEntries([...outcome].map(([k, v]) => [k, (v === 'pending' || v === 'running' ? 'interrupted' : v) as StepOutcome]));
}

function groupStatus(outcomes: Record<string, StepOutcome>, signal: AbortSignal): GroupStatus {
  if (signal.aborted) return 'interrupted';
  return Object.values(outcomes).some((v) => v !== 'done' && v !== 'skipped') ? 'failed' : 'done';
}

/** A check that is done may still be unverified: count verdicts so no view calls 12 unknowns "all done". */
function verdictCounts(outcomes: Record<string, StepOutcome>, ledger: Ledger): Record<string, number> {
  const verdicts: Record<string, number> = {};
  for (const [id, v] of Object.entries(outcomes)) {
    const verdict = v === 'done' || v === 'skipped' ? ledger.get(id)?.outputs.verdict : undefined;
    if (verdict) verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
  }
  return verdicts;
}

/** Turn a run summary into the error the CLI exits with (or nothing when all is well). */
export function summaryError(summary: RunSummary, resume: string): DpfError | undefined {
  if (summary.status === 'done') return undefined;
  if (summary.status === 'interrupted')
    return new AbortError(`Interrupted at a safe point; the ledger is saved and the lock released.`, { hint: `Resume with: ${resume}` });
  const declined = summary.failures.find((f) => f.error instanceof NotConfirmedError);
  if (declined) return declined.error as NotConfirmedError;
  const failed = summary.failures.map((f) => f.stepId);
  const blocked = Object.entries(summary.outcomes)
    .filter(([, v]) => v === 'blocked')
    .map(([k]) => k);
  const first = summary.failures[0]?.error;
  const exit = first instanceof DpfError && first.exitCode !== ExitCode.Internal ? first.exitCode : ExitCode.StepFailed;
  const err = new DpfError(
    first instanceof DpfError ? first.code : 'StepFailed',
    `${failed.length} step(s) failed: ${failed.join(', ')}${blocked.length ? `; ${blocked.length} not started because of them: ${blocked.join(', ')}` : ''}.`,
    exit,
    {
      cause: first,
      hint: first instanceof DpfError && first.hint ? `${first.hint}\nResume with: ${resume}` : `Fix the cause, then resume with: ${resume}`,
      details: summary.failures.flatMap((f) => [`${f.stepId}: ${errorMessage(f.error)}`, ...((f.error as DpfError).details ?? []).map((d) => `  ${d}`)]),
    },
  );
  return err;
}
