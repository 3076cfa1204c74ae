/**
 * dpf plan: the change set of each stack (nothing executed) and the ETA along the critical path.
 * Exit codes follow `terraform plan -detailed-exitcode`: 0 nothing to change, 2 changes pending,
 * 3 when a change set could not be computed (the plan is printed first, naming the step).
 * `--out FILE` keeps the change sets and writes a saved plan for `dpf deploy --plan FILE`.
 */
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { openSession } from '../session.js';
import { buildSteps } from '../steps/phases.js';
import { selectSteps } from '../steps/graph.js';
import { planSteps, type Plan } from '../steps/planner.js';
import { PLAN_FORMAT, plannedSteps, type SavedPlan } from '../steps/saved-plan.js';
import { writeFileAtomic } from '../state/atomic.js';
import { makeChalk, duration, changeLine, propertyLine, securityLines } from '../ui/format.js';
import { DpfError, ExitCode } from '../errors.js';
import type { PhaseId } from '../steps/types.js';

export interface PlanOptions {
  /** Phases to plan; default: all. */
  phases?: PhaseId[];
  /** Write a saved plan here and keep its change sets, for `dpf deploy --plan`. Default: none (change sets deleted). */
  out?: string;
}

/** Exit code of a plan with changes pending (terraform's -detailed-exitcode). */
export const PLAN_CHANGES_EXIT = 2;

export async function runPlan(opts: PlanOptions, ctx: CommandContext): Promise<void> {
  // No lock: plan only creates (and, without --out, deletes) change sets; it never executes one.
  // A preview writes no state: without the lock it must not write the ledger either (nor its S3 copy).
  const session = await openSession(ctx, { command: 'plan', lock: false, readOnly: true });
  try {
    const { selected } = selectSteps(buildSteps(session.env), opts.phases, session.ledger.data.steps);
    const quiet = { ...ctx.io, notify: () => undefined };
    const plan = await planSteps(
      selected,
      {
        envCtx: session.envCtx,
        ledger: session.ledger,
        aws: session.aws,
        awsIn: (r) => ctx.aws(r),
        io: quiet,
        clock: ctx.clock,
        signal: ctx.signal,
        settings: ctx.settings,
      },
      { keep: Boolean(opts.out) },
    );
    const errors = plan.steps.filter((s) => s.action === 'error');
    const pending = plan.steps.filter((s) => s.action === 'run' || s.action === 'deferred');
    let saved: string | undefined;
    if (opts.out) {
      const doc: SavedPlan = {
        format: PLAN_FORMAT,
        project: session.envCtx.project,
        env: session.envName,
        region: session.region,
        accountId: session.envCtx.accountId,
        createdAt: ctx.clock.now().toISOString(),
        createdBy: session.envCtx.operator,
        ...(opts.phases?.length ? { phases: opts.phases } : {}),
        ...plan,
      };
      saved = path.resolve(opts.out);
      await writeFileAtomic(saved, `${JSON.stringify(doc, null, 2)}\n`, ctx.settings.process);
    }
    if (ctx.globals.json) ctx.stdout(JSON.stringify({ env: session.envName, ...plan, ...(saved ? { saved } : {}), changes: pending.length > 0 }, null, 2));
    else printPlan(ctx, { envName: session.envName, region: session.region }, plan, opts, saved, pending.length);
    if (errors.length)
      throw new DpfError(
        'PlanFailed',
        `The plan could not be computed for ${errors.length} step(s): ${errors.map((e) => e.id).join(', ')}.`,
        ExitCode.StepFailed,
        {
          details: errors.map((e) => `${e.id}: ${e.summary}`),
          hint: 'Fix the cause named above (often a template or parameter error: dpf validate), then plan again.',
        },
      );
    if (pending.length) ctx.exitCode?.(PLAN_CHANGES_EXIT);
  } finally {
    await session.close();
  }
}

/** The plan as text: each step with its changes and security lines, the ETA, and how to apply it. */
function printPlan(
  ctx: CommandContext,
  { envName, region }: { envName: string; region: string },
  plan: Plan,
  opts: PlanOptions,
  saved: string | undefined,
  pending: number,
): void {
  const c = makeChalk(ctx.globals.color);
  const lines: string[] = [`Plan for ${c.bold(envName)} (${region}):`];
  for (const s of plan.steps) {
    const mark = s.action === 'run' ? c.yellow('▶') : s.action === 'skip' ? c.green('=') : s.action === 'deferred' ? c.gray('…') : c.red('✖');
    lines.push(`${mark} ${c.bold(s.id.padEnd(28))} ${s.summary}${s.estimateSeconds ? c.dim(`  ~${duration(s.estimateSeconds)}`) : ''}`);
    for (const ch of s.changes ?? []) {
      lines.push(`    ${changeLine(c, { ...ch, properties: ch.details })}`);
      for (const p of ch.details ?? []) lines.push(c.dim(`        ${propertyLine(p)}`));
    }
    lines.push(...securityLines(c, s.security ?? []).map((l) => `  ${l}`));
  }
  lines.push('');
  lines.push(
    `ETA on AWS: ${c.bold(duration(plan.eta.criticalPathSeconds))} along the critical path ${plan.eta.path.join(' → ') || '(nothing to do)'}; ${duration(plan.eta.sequentialSeconds)} if run one step at a time.`,
  );
  if (saved) {
    const kept = plannedSteps({ ...plan } as SavedPlan).length;
    lines.push(
      `Saved to ${saved}: ${kept} change set(s) kept for execution.${pending > kept ? ` ${pending - kept} step(s) are not in it (computed once the steps before them are done; plan again then).` : ''}`,
    );
    lines.push(`Apply exactly this with: dpf deploy --env ${envName} --plan ${opts.out}`);
  } else if (pending)
    lines.push(
      `Apply with: dpf deploy --env ${envName}${opts.phases?.length ? ` --phase ${opts.phases.join(',')}` : ''}   (or save it: dpf plan --out plan.json)`,
    );
  else lines.push('No changes: the environment matches the config.');
  ctx.stdout(lines.join('\n'));
}
