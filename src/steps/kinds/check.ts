/**
 * Step kind "check": one go-live readiness check (src/checks/) run as a step.
 *
 * Verdicts and step states:
 *   pass / warn / unknown → the step ends `done`; the verdict is in outputs.verdict and
 *                           evidence.check (status, summary, evidence, checkedAt, category).
 *   fail                  → the verdict is written to the ledger first (ctx.evidence), then
 *                           the step throws StepFailedError so it ends `failed` and the golive
 *                           phase is not done.
 * A check that cannot ask AWS (an error, an emulator gap) says `unknown` with the reason; it
 * never throws for that, and it never passes without evidence.
 *
 * Re-running: a check is a measurement of the platform *now*. `prepare` hashes the check id
 * with the current 15-minute time bucket, so a verdict is fresh for at most 15 minutes: a
 * rerun inside the same bucket skips a done check (a redeploy right after a deploy stays a
 * fast no-op), any later run measures again, and `dpf deploy --phase golive --force` always
 * does. A failed check is never skipped. Checks depend only on deployment steps, never on
 * each other: one failing check blocks no other.
 *
 * `dpf deploy --check` runs the check read-only (no offer to start a backup); the engine keeps
 * that verdict in evidence.lastCheck and leaves the step's status alone.
 */
import { createHash } from 'node:crypto';
import type { Prepared, StepContext, StepDef, StepResult } from '../types.js';
import type { CheckContext, CheckOutcome, CheckSpec, CheckVerdict } from '../../checks/types.js';
import { couldNotAsk, emulatorIn } from '../../checks/common.js';
import { pollInterval } from '../../settings.js';
import { AbortError, StepFailedError } from '../../errors.js';

/** Width of the time bucket hashed into a check's inputs. */
export const CHECK_TIME_BUCKET_MS = 15 * 60_000;

export function checkInputHash(checkId: string, now: Date): string {
  const bucket = Math.floor(now.getTime() / CHECK_TIME_BUCKET_MS);
  return createHash('sha256').update(`${checkId}\n${bucket}`).digest('hex');
}

/** The CheckContext of a step (exported for tests and for status/report tooling). */
export function checkContext(ctx: StepContext, mayAct: boolean): CheckContext {
  const e = ctx.envCtx;
  return {
    stepId: ctx.stepId,
    project: e.project,
    envName: e.name,
    env: e.env,
    region: e.region,
    accountId: e.accountId,
    ledger: ctx.ledger.data,
    outputs: (stepId) => ctx.ledger.outputs(stepId),
    ops: () => ctx.aws.ops(),
    cfn: () => ctx.aws.cfn(),
    objects: () => ctx.aws.objects(),
    clock: ctx.clock,
    io: ctx.io,
    signal: ctx.signal,
    progress: (m) => ctx.progress(m),
    emulator: emulatorIn(e.accountId, ctx.settings.endpoint),
    mayAct,
    pollMs: pollInterval(ctx.settings, 2000),
    pollMaxMs: ctx.settings.pollMaxMs,
  };
}

/** Run a check function; anything it throws (except an interrupt) becomes an "unknown" verdict. */
export async function evaluate(spec: CheckSpec, cctx: CheckContext): Promise<CheckVerdict & { hint?: string }> {
  let outcome: CheckOutcome;
  try {
    outcome = await spec.run(cctx);
  } catch (err) {
    if (err instanceof AbortError || cctx.signal.aborted) throw err instanceof AbortError ? err : new AbortError();
    outcome = couldNotAsk(spec.title, err);
  }
  return { ...outcome, checkedAt: cctx.clock.now().toISOString(), category: spec.category };
}

function verdictRecord(v: CheckVerdict & { hint?: string }): CheckVerdict & { hint?: string } {
  return { status: v.status, summary: v.summary, category: v.category, checkedAt: v.checkedAt, evidence: v.evidence, ...(v.hint ? { hint: v.hint } : {}) };
}

export function checkStep(spec: CheckSpec): StepDef {
  return {
    id: spec.id,
    phase: 'golive',
    title: spec.title,
    kind: 'check',
    dependsOn: Object.keys(spec.after),
    after: spec.after,
    staticEstimateSeconds: () => spec.estimateSeconds,

    async prepare(ctx): Promise<Prepared> {
      return { inputHash: checkInputHash(spec.id, ctx.clock.now()), estimateSeconds: spec.estimateSeconds };
    },

    async run(ctx): Promise<StepResult> {
      const v = verdictRecord(await evaluate(spec, checkContext(ctx, true)));
      if (v.status === 'fail') {
        await ctx.evidence({ check: v });
        throw new StepFailedError(spec.id, `${spec.title}: ${v.summary}`, { hint: v.hint, details: [`criterion: ${spec.criterion}`] });
      }
      return { changed: false, verdict: v.status, outputs: { verdict: v.status }, evidence: { check: v }, summary: `${v.status}: ${v.summary}` };
    },

    async verify() {
      // Same hash = same 15-minute bucket: the verdict in the ledger is fresh.
      return { ok: true };
    },

    async check(ctx): Promise<StepResult> {
      const v = verdictRecord(await evaluate(spec, checkContext(ctx, false)));
      return { changed: false, verdict: v.status === 'fail' ? undefined : v.status, summary: `${v.status}: ${v.summary}`, evidence: { check: v } };
    },
  };
}

export { verdictOf } from '../verdict.js';
