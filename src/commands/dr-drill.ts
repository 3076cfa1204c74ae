/**
 * dpf dr-drill: restore into an isolated copy, validate, measure achieved RTO/RPO against the
 * targets, write a report (reports/<env>/dr-drill-<stamp>.md|json, uploaded to the state
 * bucket) and tear the copy down.
 *
 * --json: stdout carries exactly one JSON object, the result (progress events go to stderr as
 * NDJSON); on a non-zero exit it is the error object instead.
 * Exit code: 0 when the drill ran to its report, whatever the verdict (read `passed`; with
 * --fail-on-miss a verdict other than passed exits 3); 3 when the drill itself failed (it is
 * torn down and reported all the same); 8 when the cost estimate exceeds the cap.
 */
import type { CommandContext } from '../context.js';
import { openSession } from '../session.js';
import { summaryError } from '../steps/engine.js';
import { BlockedError, DpfError, ExitCode, UserError } from '../errors.js';
import { beginOperation, finishOperation, lastOperation, optionalOutput, reopenOperation, requireDeployed, stepOf, unfinishedOperation, type Operation } from '../ops/operation.js';
import { buildDrillSteps, estimateDrillCost, DRILL_STEPS, type DrillScope } from '../ops/drill.js';
import { runOperationSteps, resumeCommand, printResult } from '../ops/run.js';
import { fmt } from '../ops/rto-rpo.js';
import type { DrillResult } from '../ops/report.js';

export interface DrDrillOptions {
  /** restore: data stores in an isolated copy; full: also the stacks in recovery.drRegion, and the database restored there from a copied snapshot. Default restore. */
  scope?: DrillScope;
  /** Keep the drill resources for inspection (remove later with --teardown). Default false. */
  keep?: boolean;
  /** Tear down the last drill (interrupted, or kept with --keep) instead of starting one. */
  teardown?: boolean;
  /** Abandon an unfinished drill (without tearing it down) and start a new one. Default false. */
  new?: boolean;
  /** Exit 3 unless the verdict is "passed". Default false. */
  failOnMiss?: boolean;
}

export async function runDrDrill(opts: DrDrillOptions, ctx: CommandContext): Promise<void> {
  const scopeFlag = opts.scope ?? 'restore';
  if (scopeFlag !== 'restore' && scopeFlag !== 'full') throw new UserError('BadScope', `--scope must be restore or full, got "${scopeFlag}".`);
  const command = opts.teardown ? 'dr-drill --teardown' : `dr-drill --scope ${scopeFlag}${opts.keep ? ' --keep' : ''}`;
  const session = await openSession(ctx, { command, lock: true });
  try {
    requireDeployed(session.ledger, session.envName, ['network.stack', 'storage.stack'], 'dpf dr-drill');
    const env = session.env;
    const rerun = resumeCommand(ctx, session, command);
    let op: Operation;
    if (opts.teardown) {
      const open = unfinishedOperation(session.ledger.data, 'dr-drill') ?? lastOperation(session.ledger.data, 'dr-drill', (o) => o.summary?.kept === true);
      if (!open) throw new UserError('NoDrillToTearDown', `No drill of ${session.envName} is unfinished or kept: nothing to tear down.`);
      op = reopenOperation(open, session.envCtx.runId);
      ctx.io.notify({ type: 'info', message: `Resuming dr-drill ${op.id} (started ${op.startedAt.toISOString()}) to tear it down.` });
    } else {
      const scope: DrillScope = scopeFlag;
      if (scope === 'full' && !env.recovery.drRegion) throw new UserError('DrRegionRequired', 'A full drill recreates the stacks and restores the database in recovery.drRegion, which is not set.', { hint: `Set environments.${session.envName}.recovery.drRegion (e.g. us-east-1) in the config.` });
      const fsId = optionalOutput(session.ledger, 'storage.stack', 'EfsFileSystemId');
      const efsBytes = fsId ? ((await (await session.aws.ops()).efs.describeFileSystems(fsId).catch(() => []))[0]?.sizeBytes ?? 0) : 0;
      const cost = estimateDrillCost(env, scope, efsBytes);
      if (cost.usd > env.recovery.drill.maxCostUsd)
        throw new BlockedError(
          `The drill could cost up to ${cost.usd.toFixed(2)} USD over its ${env.recovery.drill.maxMinutes}-minute cap, above recovery.drill.maxCostUsd (${env.recovery.drill.maxCostUsd} USD); not started.\n  ${cost.lines.join('\n  ')}`,
          'Raise recovery.drill.maxCostUsd, or lower recovery.drill.maxMinutes, then run it again.',
        );
      op = await beginOperation(session.ledger, ctx.clock, {
        kind: 'dr-drill',
        key: `scope=${scope}`,
        params: { scope, keep: Boolean(opts.keep), costEstimateUsd: cost.usd, costLines: cost.lines, maxMinutes: env.recovery.drill.maxMinutes, drRegion: env.recovery.drRegion },
        fresh: opts.new,
        runId: session.envCtx.runId,
        newHint: `${rerun} --new (the unfinished drill's resources stay: tear them down first with dpf dr-drill --env ${session.envName} --teardown)`,
      });
      ctx.io.notify({ type: 'info', message: `${op.resumed ? 'Resuming' : 'Starting'} drill ${op.id}: cost estimate ${cost.usd.toFixed(2)} USD (cap ${env.recovery.drill.maxCostUsd}), time cap ${env.recovery.drill.maxMinutes} min from ${op.startedAt.toISOString()}.` });
    }
    const scope = (op.params.scope as DrillScope) ?? 'restore';
    // --keep given now wins over how the (resumed) drill was started; not given, the drill's own choice stands.
    const keep = opts.teardown ? false : opts.keep !== undefined ? Boolean(opts.keep) : Boolean(op.params.keep);
    const drRegion = scope === 'full' ? String(op.params.drRegion ?? env.recovery.drRegion) : undefined;
    const deps = { reportDir: session.loaded.dir, drRegion, drAws: drRegion ? ctx.aws(drRegion) : undefined };
    const { main, finish } = buildDrillSteps(op, { scope, keep }, deps);

    // --teardown runs only the teardown and the report; the engine runs them after the main group
    // either way, and never goes back to the main group once the teardown has begun.
    const summary = await runOperationSteps(ctx, session, op, opts.teardown ? [] : main, { command, finally: finish });
    await ctx.io.close?.();
    if (summary.status === 'interrupted' || summary.groups.finally !== 'done') {
      await finishOperation(session.ledger, ctx.clock, op, summary.status);
      throw summaryError(summary, summary.status === 'interrupted' || opts.teardown ? rerun : resumeCommand(ctx, session, 'dr-drill --teardown'))!;
    }
    const result = stepOf(session.ledger, op, DRILL_STEPS.report)?.evidence.result as DrillResult;
    const aborted = result.aborted;
    await finishOperation(session.ledger, ctx.clock, op, aborted ? 'aborted' : 'done', {
      kept: keep,
      scope,
      passed: result.passed,
      verdict: result.verdict,
      stores: result.stores,
      environment: result.environment,
      report: result.report,
      uploaded: result.uploaded,
      left: result.teardown.left,
    });
    if (aborted)
      throw new DpfError('DrillAborted', `The drill was aborted: ${aborted}. It was torn down${keep ? ' (except what --keep kept)' : ''}; report: ${result.report}`, ExitCode.StepFailed, {
        details: result.teardown.left.map((l) => `left behind: ${l}`),
        hint: `Fix the cause, then run a new drill: dpf dr-drill --env ${session.envName}`,
      });
    if (opts.failOnMiss && result.passed !== true)
      throw new DpfError('DrillTargetsMissed', `Drill verdict: ${result.verdict}`, ExitCode.StepFailed, { hint: `Report: ${result.report}` });
    printResult(ctx, result, humanLines(result));
  } finally {
    await session.close();
  }
}

function humanLines(r: DrillResult): string[] {
  const mark = (p: boolean | null) => (p === true ? '✔' : p === false ? '✖' : '?');
  return [
    `DR drill ${r.operationId} (${r.scope}) of ${r.env}: ${r.verdict}`,
    ...r.stores.map((s) => `  ${mark(s.passed)} ${s.name.padEnd(11)} RTO ${fmt(s.rtoSeconds).padEnd(10)} (target ${fmt(s.rtoTargetSeconds)})  RPO ${fmt(s.rpoSeconds).padEnd(10)} (target ${fmt(s.rpoTargetSeconds)})${s.reason ? `  — ${s.reason}` : ''}`),
    ...(r.environment ? [`  ${mark(r.environment.passed)} environment RTO ${fmt(r.environment.rtoSeconds)} (target ${fmt(r.environment.rtoTargetSeconds)}) in ${r.environment.region}`] : []),
    `  teardown: ${r.teardown.kept ? `KEPT ${r.teardown.left.length} resource(s) (--teardown removes them)` : `${r.teardown.deleted.length} deleted${r.teardown.left.length ? `, ${r.teardown.left.length} LEFT: ${r.teardown.left.join('; ')}` : ''}`}`,
    `  report: ${r.report}${r.uploaded ? ` (uploaded to ${r.uploaded})` : ''}`,
  ];
}
