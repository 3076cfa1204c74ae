/** dpf deploy: run the step graph (all phases, or some) with live progress; resumes by default. */
import type { CommandContext } from '../context.js';
import { openSession } from '../session.js';
import { buildSteps } from '../steps/phases.js';
import { selectSteps } from '../steps/graph.js';
import { runSteps, summaryError } from '../steps/engine.js';
import { BlockedError } from '../errors.js';
import type { PhaseId } from '../steps/types.js';

export interface DeployOptions {
  /** Phases to run; default: every phase, in dependency order. */
  phases?: PhaseId[];
  /** Re-run steps even when done and unchanged. Default false. */
  force?: boolean;
  /** Steps at once. Default: deploy.concurrency from the config (4). */
  concurrency?: number;
  /** Report what would change (change sets, Ansible --check) without changing anything. Default false. */
  check?: boolean;
  /** Forget the pinned Amazon Linux AMI and resolve compute.imageParameter again (instances are replaced). Default false. */
  refreshAmi?: boolean;
}

export async function runDeploy(opts: DeployOptions, ctx: CommandContext): Promise<void> {
  const command = `deploy${opts.phases?.length ? ` --phase ${opts.phases.join(',')}` : ''}${opts.check ? ' --check' : ''}`;
  const session = await openSession(ctx, { command, lock: true, readOnly: opts.check });
  try {
    // With --check the ledger is read-only: the AMI is looked up afresh for the preview, the pin is not moved.
    if (opts.refreshAmi)
      await session.ledger.update((d) => {
        for (const k of Object.keys(d.facts)) if (k.startsWith('ami:')) delete d.facts[k];
      }, ctx.clock.now());
    const all = buildSteps(session.env);
    const { selected, missing } = selectSteps(all, opts.phases, session.ledger.data.steps);
    if (missing.length) {
      const phases = [...new Set(missing.map((m) => m.step.split('.')[0]))];
      throw new BlockedError(
        `Cannot run ${opts.phases?.join(', ')}: ${missing.map((m) => `${m.neededBy} needs ${m.step} (${m.status})`).join('; ')}.`,
        `Run the phase(s) it depends on first: ${phases.map((p) => `dpf deploy --env ${session.envName} --phase ${p}`).join(' && ')}`,
      );
    }
    const summary = await runSteps({
      steps: selected,
      ledger: session.ledger,
      envCtx: session.envCtx,
      aws: session.aws,
      io: ctx.io,
      clock: ctx.clock,
      signal: ctx.signal,
      concurrency: opts.concurrency ?? session.env.deploy.concurrency,
      force: opts.force,
      check: opts.check,
      command,
      afterStep: async (step) => {
        if (step.id === 'bootstrap.state') await session.attachStateBackend();
      },
    });
    await ctx.io.close?.();
    const resume = `dpf ${command} --env ${session.envName}${ctx.globals.config !== 'dpf.config.yaml' ? ` --config ${ctx.globals.config}` : ''}`;
    const err = summaryError(summary, resume);
    if (err) throw err;
    if (!ctx.globals.json)
      ctx.stdout(
        opts.check
          ? `Check mode: nothing was changed (neither in AWS nor in the ledger); the results are above. Apply with: dpf deploy --env ${session.envName}`
          : `Environment ${session.envName}: all ${selected.length} step(s) done. Next: dpf status --env ${session.envName}`,
      );
  } finally {
    await session.close();
  }
}
