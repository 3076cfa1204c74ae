/**
 * One step through the engine: prepared, skipped when done with the same inputs (and still
 * verified), else marked running, run (or checked) and recorded done or failed in the ledger.
 */
import type { RunOperation, StepRecord } from '../../state/ledger.js';
import type { Prepared, StepContext, StepDef, StepResult } from '../types.js';
import { AbortError, NotConfirmedError, StepFailedError, errorMessage, type DpfError } from '../../errors.js';
import { seconds, type RunOptions, type StepOutcome } from './options.js';

/** Does the record belong to the run's scope (both unscoped: a deploy step)? */
export function inScope(record: StepRecord | undefined, scope: RunOperation | undefined): record is StepRecord {
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

export async function checkStep(s: StepDef, o: RunOptions): Promise<StepOutcome> {
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

export async function executeStep(s: StepDef, o: RunOptions): Promise<StepOutcome> {
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
      await afterDone(s, o, previous);
      return 'skipped';
    }
    o.io.notify({ type: 'warning', stepId: s.id, message: `${s.id} was done but ${v.reason ?? 'no longer matches AWS'}; running it again.` });
  }
  const start = await markRunning(s, o, previous, recorded, prepared);
  let done: StepRecord;
  try {
    await testHoldAtStart(s.id, o);
    const result = await s.run(ctx, prepared);
    done = await finishStep(s, o, start, result);
  } catch (err) {
    throw await failStep(s, o, start, recorded, err);
  }
  await afterDone(s, o, done);
  return 'done';
}

/**
 * What the caller does once a step is done (deploy: take the DynamoDB lease and mirror the
 * ledger once bootstrap.state made them) failed: the step stays done, and the run must start
 * nothing more (e.g. another operator holds the lease: steps that started with the state
 * backend finish, none begins).
 */
export class RunHaltedError extends Error {
  constructor(
    readonly stepId: string,
    readonly reason: unknown,
  ) {
    super(`after ${stepId}: ${errorMessage(reason)}`);
  }
}

async function afterDone(s: StepDef, o: RunOptions, rec: StepRecord): Promise<void> {
  try {
    await o.afterStep?.(s, rec);
  } catch (err) {
    throw new RunHaltedError(s.id, err);
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
async function finishStep(s: StepDef, o: RunOptions, start: Date, result: StepResult): Promise<StepRecord> {
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
  return rec!;
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
