/**
 * The step engine: runs a selection of the step graph with bounded concurrency, skipping
 * done steps whose inputs are unchanged (after verifying the world still matches),
 * reconciling steps a dead process left `running`, writing every transition to the ledger
 * and emitting events. It never prints and never touches `process` (settings come in RunOptions).
 */
import type { Clock } from '../clock.js';
import type { Settings } from '../settings.js';
import { RUN_HISTORY_LIMIT, type Ledger, type RunOperation, type StepRecord } from '../state/ledger.js';
import type { AwsPorts } from '../aws/ports.js';
import type { IoHost } from '../io/host.js';
import type { EnvContext, PlannedChangeSet, Prepared, StepContext, StepDef, StepResult } from './types.js';
import { AbortError, DpfError, NotConfirmedError, StepFailedError, errorMessage, ExitCode } from '../errors.js';

export interface RunOptions {
  /** The selected steps, the main group (dependencies outside the selection must be done in the ledger). */
  steps: StepDef[];
  /**
   * Steps that run after the main group has ended, done or failed (a drill's teardown and report);
   * not after an interruption, whose resume goes on where it stopped. Once one of them has started
   * in this scope, a later run of the scope does not go back to the main group.
   */
  finally?: StepDef[];
  /**
   * The run scope (a day-2 operation): recorded with the run and on every step record; a done
   * step is skipped only within its scope, and a record of another scope is not the step's
   * `previous` (it starts with no evidence).
   */
  scope?: RunOperation;
  ledger: Ledger;
  envCtx: EnvContext;
  aws: AwsPorts;
  /** Ports in another region, for steps that deploy there (e.g. the DR vault). */
  awsIn?: (region: string) => AwsPorts;
  io: IoHost;
  clock: Clock;
  signal: AbortSignal;
  /** What src/cli.ts read from the process (poll interval, endpoint, test hooks, this host): handed to every step. */
  settings: Settings;
  /** Steps running at once. Default 4. */
  concurrency?: number;
  /** Run steps even when done and unchanged. */
  force?: boolean;
  command: string;
  /**
   * Check mode (`dpf deploy --check`): each step's `check` reports what it would change
   * (stack: change set preview; playbook: Ansible --check) and nothing is changed; the
   * result is reported in events (and kept in memory as evidence.lastCheck), and the caller
   * makes the ledger read-only so that nothing is written.
   */
  check?: boolean;
  /** Called after a step is done (e.g. to attach the state bucket once bootstrap made it). */
  afterStep?: (step: StepDef, record: StepRecord) => Promise<void>;
  /** `dpf deploy --plan`: the saved change set each planned step executes (approved once). */
  planned?: Record<string, PlannedChangeSet>;
}

export type StepOutcome = 'done' | 'skipped' | 'failed' | 'blocked' | 'interrupted' | 'declined';
export type GroupStatus = 'done' | 'failed' | 'interrupted';

export interface RunSummary {
  status: 'done' | 'failed' | 'interrupted';
  /** Each group's own end: a drill whose main group failed and whose teardown is done. */
  groups: { main: GroupStatus; finally?: GroupStatus };
  outcomes: Record<string, StepOutcome>;
  failures: Array<{ stepId: string; error: unknown }>;
  durationSeconds: number;
  /** Check steps by verdict (pass, warn, unknown): "done" is not "verified". */
  verdicts: Record<string, number>;
}

const seconds = (a: Date, b: Date) => Math.round((b.getTime() - a.getTime()) / 100) / 10;

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
    const r = await runGroup(steps, o, failures);
    Object.assign(outcomes, r);
    return groupStatus(r, o.signal);
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
  for (;;) {
    if (!o.signal.aborted) {
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

/** Does the record belong to the run's scope (both unscoped: a deploy step)? */
function inScope(record: StepRecord | undefined, scope: RunOperation | undefined): record is StepRecord {
  return record !== undefined && record.scope === scope?.id;
}

export function makeContext(
  s: StepDef,
  o: Pick<RunOptions, 'envCtx' | 'ledger' | 'aws' | 'awsIn' | 'io' | 'clock' | 'signal' | 'settings' | 'planned' | 'scope'>,
  previous: StepRecord | undefined,
): StepContext {
  return {
    stepId: s.id,
    planned: o.planned?.[s.id],
    envCtx: o.envCtx,
    ledger: o.ledger,
    aws: o.aws,
    awsIn: o.awsIn,
    io: o.io,
    clock: o.clock,
    signal: o.signal,
    settings: o.settings,
    scope: o.scope?.id,
    previous,
    attempt: (previous?.attempts ?? 0) + 1,
    output(stepId, key) {
      const v = o.ledger.outputs(stepId)[key];
      if (v === undefined)
        throw new StepFailedError(s.id, `Step ${s.id} needs output "${key}" of ${stepId}, which the ledger does not have.`, {
          hint: `Run the step that produces it: dpf deploy --env ${o.envCtx.name} --phase ${stepId.split('.')[0]}`,
        });
      return v;
    },
    progress(message) {
      o.io.notify({ type: 'step-progress', stepId: s.id, message });
    },
    async evidence(e) {
      await o.ledger.updateStep(s.id, s.phase, { evidence: e }, o.clock.now());
    },
  };
}

async function checkStep(s: StepDef, o: RunOptions): Promise<StepOutcome> {
  const previous = o.ledger.get(s.id);
  const ctx = makeContext(s, o, previous);
  if (!s.check) {
    o.io.notify({ type: 'step-skipped', stepId: s.id, reason: `a ${s.kind} step has no check mode` });
    return 'skipped';
  }
  let prepared;
  try {
    prepared = await s.prepare(ctx);
  } catch (err) {
    o.io.notify({ type: 'step-skipped', stepId: s.id, reason: `cannot be checked yet: ${errorMessage(err)}` });
    return 'skipped';
  }
  const start = o.clock.now();
  o.io.notify({ type: 'step-start', stepId: s.id, title: `${s.title} (check mode)` });
  const r = await s.check(ctx, prepared);
  const end = o.clock.now();
  await o.ledger.updateStep(
    s.id,
    s.phase,
    { evidence: { lastCheck: { at: end.toISOString(), runId: o.envCtx.runId, changed: r.changed, summary: r.summary, ...r.evidence } } },
    end,
  );
  o.io.notify({
    type: 'step-done',
    stepId: s.id,
    changed: r.changed,
    durationSeconds: seconds(start, end),
    summary: `check: ${r.summary ?? (r.changed ? 'would change' : 'no changes')}`,
    ...(r.verdict ? { verdict: r.verdict } : {}),
  });
  return 'done';
}

async function executeStep(s: StepDef, o: RunOptions): Promise<StepOutcome> {
  if (o.check) return checkStep(s, o);
  const recorded = o.ledger.get(s.id);
  // A record of another scope (last week's backup) is not this step's past: it starts afresh.
  const previous = inScope(recorded, o.scope) ? recorded : undefined;
  const ctx = makeContext(s, o, previous);
  const prepared = await s.prepare(ctx).catch((err) => {
    o.io.notify({ type: 'step-failed', stepId: s.id, error: errorMessage(err), hint: (err as DpfError).hint });
    throw err;
  });
  if (!o.force && previous?.status === 'done' && previous.inputHash === prepared.inputHash) {
    const v = s.verify ? await s.verify(ctx, previous) : { ok: true };
    if (v.ok) {
      o.io.notify({ type: 'step-skipped', stepId: s.id, reason: 'done, inputs unchanged, verified in AWS' });
      await o.afterStep?.(s, previous);
      return 'skipped';
    }
    o.io.notify({ type: 'warning', stepId: s.id, message: `${s.id} was done but ${v.reason ?? 'no longer matches AWS'}; running it again.` });
  }
  const start = await markRunning(s, o, previous, recorded, prepared);
  try {
    await testHoldAtStart(s.id, o);
    const result = await s.run(ctx, prepared);
    await finishStep(s, o, start, result);
    return 'done';
  } catch (err) {
    throw await failStep(s, o, start, recorded, err);
  }
}

/** The record says running (and whose run, which attempt) before the step's work starts. */
async function markRunning(s: StepDef, o: RunOptions, previous: StepRecord | undefined, recorded: StepRecord | undefined, prepared: Prepared): Promise<Date> {
  const reconcile = previous?.status === 'running';
  const start = o.clock.now();
  o.io.notify({ type: 'step-start', stepId: s.id, title: s.title, reconcile });
  if (reconcile)
    o.io.notify({
      type: 'info',
      stepId: s.id,
      message: `${s.id} was left running by ${previous?.operator ?? 'an earlier run'} (run ${previous?.runId ?? '?'}); reconciling with AWS instead of starting over.`,
    });
  const running: Partial<StepRecord> = {
    status: 'running',
    startedAt: start.toISOString(),
    finishedAt: undefined,
    durationSeconds: undefined,
    inputHash: prepared.inputHash,
    estimateSeconds: prepared.estimateSeconds,
    operator: o.envCtx.operator,
    runId: o.envCtx.runId,
    attempts: (previous?.attempts ?? 0) + 1,
    error: undefined,
    evidence: { interrupted: undefined, reconciled: reconcile || undefined },
    ...(o.scope ? { scope: o.scope.id } : {}),
  };
  if (recorded && !previous)
    // Another scope's record: replaced whole, so none of its evidence is mistaken for this run's.
    await o.ledger.update((d) => {
      d.steps[s.id] = { id: s.id, phase: s.phase, outputs: {}, attempts: 0, ...running, evidence: {} } as StepRecord;
    }, start);
  else await o.ledger.updateStep(s.id, s.phase, running, start);
  return start;
}

/** Done: outputs and evidence, and the other steps' records the step made stale (its `resets`), in one write. */
async function finishStep(s: StepDef, o: RunOptions, start: Date, result: StepResult): Promise<void> {
  const end = o.clock.now();
  let rec: StepRecord | undefined;
  await o.ledger.update((d) => {
    const prev = d.steps[s.id]!;
    rec = d.steps[s.id] = {
      ...prev,
      status: 'done',
      finishedAt: end.toISOString(),
      durationSeconds: seconds(start, end),
      outputs: result.outputs ?? {},
      evidence: { ...prev.evidence, ...(result.evidence ?? {}) },
    };
    for (const id of result.resets?.steps ?? []) {
      const r = d.steps[id];
      if (!r || id === s.id) continue;
      d.steps[id] = { ...r, status: 'pending', outputs: {}, inputHash: undefined, evidence: { ...r.evidence, ...result.resets!.evidence } };
    }
  }, end);
  o.io.notify({
    type: 'step-done',
    stepId: s.id,
    changed: result.changed,
    durationSeconds: seconds(start, end),
    summary: result.summary,
    ...(result.verdict ? { verdict: result.verdict } : {}),
  });
  await o.afterStep?.(s, rec!);
}

/** Record how the step ended (interrupted, declined, failed) and return the error to rethrow. */
async function failStep(s: StepDef, o: RunOptions, start: Date, recorded: StepRecord | undefined, err: unknown): Promise<unknown> {
  const end = o.clock.now();
  if (err instanceof AbortError || o.signal.aborted) {
    // Left `running` on purpose: the next run reconciles it against AWS.
    await o.ledger.updateStep(s.id, s.phase, { evidence: { interrupted: true, interruptedAt: end.toISOString() } }, end);
    return err instanceof AbortError ? err : new AbortError();
  }
  if (err instanceof NotConfirmedError) {
    // Nothing was changed: put the record back as it was.
    await o.ledger.update((d) => {
      if (recorded) d.steps[s.id] = recorded;
      else delete d.steps[s.id];
    }, end);
    // Answering no is a decision, not a failure; no terminal to ask on is.
    if (err.code === 'Declined') o.io.notify({ type: 'step-declined', stepId: s.id, message: err.message });
    else o.io.notify({ type: 'step-failed', stepId: s.id, error: err.message, hint: err.hint });
    return err;
  }
  const e = err as DpfError;
  await o.ledger.updateStep(
    s.id,
    s.phase,
    {
      status: 'failed',
      finishedAt: end.toISOString(),
      durationSeconds: seconds(start, end),
      error: { message: errorMessage(err), code: e.code, rootCause: e.details?.[0], hint: e.hint },
    },
    end,
  );
  o.io.notify({ type: 'step-failed', stepId: s.id, error: errorMessage(err), rootCause: e.details?.[0], hint: e.hint });
  return err;
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

/**
 * Test hook (docs/testing.md): DPF_TEST_HOLD_STEP_START=<step id> pauses that step right after
 * the ledger marks it running, so end-to-end tests can hold a run (lock tests) or kill it.
 */
async function testHoldAtStart(stepId: string, o: RunOptions): Promise<void> {
  const hold = o.settings.testHold;
  if (hold?.atStart !== stepId) return;
  o.io.notify({ type: 'step-progress', stepId, message: 'test hook DPF_TEST_HOLD_STEP_START: holding' });
  await o.clock.sleep(hold.ms, o.signal);
}
