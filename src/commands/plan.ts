/** dpf plan: the change set of each stack (nothing executed) and the ETA along the critical path. */
import type { CommandContext } from '../context.js';
import { openSession } from '../session.js';
import { buildSteps } from '../steps/phases.js';
import { selectSteps } from '../steps/graph.js';
import { planSteps } from '../steps/planner.js';
import { makeChalk, duration, changeLine } from '../ui/format.js';
import type { PhaseId } from '../steps/types.js';

export interface PlanOptions {
  /** Phases to plan; default: all. */
  phases?: PhaseId[];
}

export async function runPlan(opts: PlanOptions, ctx: CommandContext): Promise<void> {
  // No lock: plan only creates and deletes change sets, it never executes one.
  // A preview writes no state: without the lock it must not write the ledger either (nor its S3 copy).
  const session = await openSession(ctx, { command: 'plan', lock: false, readOnly: true });
  try {
    const { selected } = selectSteps(buildSteps(session.env), opts.phases, session.ledger.data.steps);
    const quiet = { ...ctx.io, notify: () => undefined };
    const plan = await planSteps(selected, { envCtx: session.envCtx, ledger: session.ledger, aws: session.aws, io: quiet, clock: ctx.clock, signal: ctx.signal });
    if (ctx.globals.json) {
      ctx.stdout(JSON.stringify({ env: session.envName, ...plan }, null, 2));
      return;
    }
    const c = makeChalk(ctx.globals.color);
    const lines: string[] = [`Plan for ${c.bold(session.envName)} (${session.region}):`];
    for (const s of plan.steps) {
      const mark = s.action === 'run' ? c.yellow('▶') : s.action === 'skip' ? c.green('=') : s.action === 'deferred' ? c.gray('…') : c.red('✖');
      lines.push(`${mark} ${c.bold(s.id.padEnd(28))} ${s.summary}${s.estimateSeconds ? c.dim(`  ~${duration(s.estimateSeconds)}`) : ''}`);
      for (const ch of s.changes ?? []) lines.push(`    ${changeLine(c, ch)}`);
    }
    lines.push('');
    lines.push(`ETA on AWS: ${c.bold(duration(plan.eta.criticalPathSeconds))} along the critical path ${plan.eta.path.join(' → ') || '(nothing to do)'}; ${duration(plan.eta.sequentialSeconds)} if run one step at a time.`);
    lines.push(`Apply with: dpf deploy --env ${session.envName}${opts.phases?.length ? ` --phase ${opts.phases.join(',')}` : ''}`);
    ctx.stdout(lines.join('\n'));
  } finally {
    await session.close();
  }
}
