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
import type { Session } from '../session.js';
import { BlockedError, DpfError, ExitCode, UserError } from '../errors.js';
import { lastOperation, optionalOutput, requireDeployed, unfinishedOperation, type Operation } from '../ops/operation.js';
import { buildDrillSteps } from '../ops/drill/build.js';
import { efsSizeBytes, estimateDrillCost } from '../ops/drill/cost.js';
import { DRILL, type DrillDeps, type DrillScope } from '../ops/drill/keys.js';
import { runOperation, resumeCommand, type Definition } from '../ops/runner.js';
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
  await runOperation(ctx, {
    kind: 'dr-drill',
    command,
    fresh: opts.new,
    started: (op) => startedLine(op),
    async define(session) {
      requireDeployed(session.ledger, session.envName, ['network.stack', 'storage.stack'], 'dpf dr-drill');
      if (opts.teardown) {
        const open = unfinishedOperation(session.ledger.data, 'dr-drill') ?? lastOperation(session.ledger.data, 'dr-drill', (o) => o.summary?.kept === true);
        if (!open) throw new UserError('NoDrillToTearDown', `No drill of ${session.envName} is unfinished or kept: nothing to tear down.`);
        return { reopen: open };
      }
      return defineDrill(session, scopeFlag, Boolean(opts.keep));
    },
    newNote: "(the unfinished drill's resources stay: tear them down first with dpf dr-drill --teardown)",
    build(op, session) {
      const { main, finish } = buildDrillSteps(op, { scope: scopeOf(op), keep: keepOf(op, opts) }, drillDeps(ctx, session, op));
      // --teardown runs only the teardown and the report; the engine runs them after the main group
      // either way, and never goes back to the main group once the teardown has begun.
      return { steps: opts.teardown ? [] : main, finally: finish };
    },
    summarize(op, session, run) {
      if (run.status === 'interrupted' || run.groups.finally !== 'done')
        return {
          json: null,
          lines: [],
          resume: run.status === 'interrupted' || opts.teardown ? undefined : resumeCommand(ctx, session, 'dr-drill --teardown'),
        };
      const result = DRILL.report.of(session.ledger, op)?.evidence.result;
      if (!result)
        throw new DpfError('DrillNoReport', `The drill ${op.id} ended without its report.`, ExitCode.StepFailed, {
          hint: resumeCommand(ctx, session, 'dr-drill --teardown'),
        });
      const keep = keepOf(op, opts);
      return {
        json: result,
        lines: humanLines(result),
        close: result.aborted ? 'aborted' : 'done',
        record: {
          kept: keep,
          scope: scopeOf(op),
          passed: result.passed,
          verdict: result.verdict,
          stores: result.stores,
          environment: result.environment,
          report: result.report,
          uploaded: result.uploaded,
          left: result.teardown.left,
        },
        error: drillError(result, keep, session.envName, Boolean(opts.failOnMiss)),
      };
    },
  });
}

const scopeOf = (op: Operation): DrillScope => (op.params.scope as DrillScope) ?? 'restore';

/** --keep given now wins over how the (resumed) drill was started; not given, the drill's own choice stands; --teardown keeps nothing. */
function keepOf(op: Operation, opts: DrDrillOptions): boolean {
  return opts.teardown ? false : opts.keep !== undefined ? Boolean(opts.keep) : Boolean(op.params.keep);
}

function startedLine(op: Operation): string {
  return `Starting drill ${op.id}: cost estimate ${Number(op.params.costEstimateUsd).toFixed(2)} USD (cap ${op.params.maxCostUsd}), time cap ${op.params.maxMinutes} min from ${op.startedAt.toISOString()}.`;
}

/** The scope, the cost estimate against the cap (refused above it, exit 8), and the drill's params. */
async function defineDrill(session: Session, scope: DrillScope, keep: boolean): Promise<Definition> {
  const env = session.env;
  if (scope === 'full' && !env.recovery.drRegion)
    throw new UserError('DrRegionRequired', 'A full drill recreates the stacks and restores the database in recovery.drRegion, which is not set.', {
      hint: `Set environments.${session.envName}.recovery.drRegion (e.g. us-east-1) in the config.`,
    });
  const fsId = optionalOutput(session.ledger, 'storage.stack', 'EfsFileSystemId');
  const cost = estimateDrillCost(env, scope, fsId ? await efsSizeBytes(session.aws, fsId) : 0);
  if (cost.usd > env.recovery.drill.maxCostUsd)
    throw new BlockedError(
      `The drill could cost up to ${cost.usd.toFixed(2)} USD over its ${env.recovery.drill.maxMinutes}-minute cap, above recovery.drill.maxCostUsd (${env.recovery.drill.maxCostUsd} USD); not started.\n  ${cost.lines.join('\n  ')}`,
      'Raise recovery.drill.maxCostUsd, or lower recovery.drill.maxMinutes, then run it again.',
    );
  return {
    key: `scope=${scope}`,
    params: {
      scope,
      keep,
      costEstimateUsd: cost.usd,
      costLines: cost.lines,
      maxCostUsd: env.recovery.drill.maxCostUsd,
      maxMinutes: env.recovery.drill.maxMinutes,
      drRegion: env.recovery.drRegion,
    },
  };
}

function drillDeps(ctx: CommandContext, session: Session, op: Operation): DrillDeps {
  const drRegion = scopeOf(op) === 'full' ? String(op.params.drRegion ?? session.env.recovery.drRegion) : undefined;
  return { reportDir: session.loaded.dir, envName: session.envName, drRegion, drAws: drRegion ? ctx.aws(drRegion) : undefined };
}

function drillError(result: DrillResult, keep: boolean, env: string, failOnMiss: boolean): DpfError | undefined {
  if (result.aborted)
    return new DpfError(
      'DrillAborted',
      `The drill was aborted: ${result.aborted}. It was torn down${keep ? ' (except what --keep kept)' : ''}; report: ${result.report}`,
      ExitCode.StepFailed,
      {
        details: result.teardown.left.map((l) => `left behind: ${l}`),
        hint: `Fix the cause, then run a new drill: dpf dr-drill --env ${env}`,
      },
    );
  if (failOnMiss && result.passed !== true)
    return new DpfError('DrillTargetsMissed', `Drill verdict: ${result.verdict}`, ExitCode.StepFailed, { hint: `Report: ${result.report}` });
  return undefined;
}

function humanLines(r: DrillResult): string[] {
  const mark = (p: boolean | null) => (p === true ? '✔' : p === false ? '✖' : '?');
  return [
    `DR drill ${r.operationId} (${r.scope}) of ${r.env}: ${r.verdict}`,
    ...r.stores.map(
      (s) =>
        `  ${mark(s.passed)} ${s.name.padEnd(11)} RTO ${fmt(s.rtoSeconds).padEnd(10)} (target ${fmt(s.rtoTargetSeconds)})  RPO ${fmt(s.rpoSeconds).padEnd(10)} (target ${fmt(s.rpoTargetSeconds)})${s.reason ? `  — ${s.reason}` : ''}`,
    ),
    ...(r.environment
      ? [
          `  ${mark(r.environment.passed)} environment RTO ${fmt(r.environment.rtoSeconds)} (target ${fmt(r.environment.rtoTargetSeconds)}) in ${r.environment.region}`,
        ]
      : []),
    `  teardown: ${r.teardown.kept ? `KEPT ${r.teardown.left.length} resource(s) (--teardown removes them)` : `${r.teardown.deleted.length} deleted${r.teardown.left.length ? `, ${r.teardown.left.length} LEFT: ${r.teardown.left.join('; ')}` : ''}`}`,
    `  report: ${r.report}${r.uploaded ? ` (uploaded to ${r.uploaded})` : ''}`,
  ];
}
