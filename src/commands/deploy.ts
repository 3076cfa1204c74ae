/** dpf deploy: run the step graph (all phases, or some) with live progress; resumes by default. */
import type { CommandContext } from '../context.js';
import { openSession, type Session } from '../session.js';
import { preflightBlocked, runPreflight } from '../preflight/index.js';
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
  /** Do not run the account preflight before the first change set. Default false. */
  skipPreflight?: boolean;
}

/** The blocking part of the account preflight: stop (exit 8) before anything changes when it fails. */
async function preflight(opts: DeployOptions, ctx: CommandContext, session: Session): Promise<void> {
  const results = await runPreflight({
    project: session.loaded.config.project,
    envName: session.envName,
    env: session.env,
    region: session.region,
    aws: session.aws,
    ledger: session.ledger.data,
    endpoint: ctx.globals.endpoint,
    phases: opts.phases,
  });
  const blocked = preflightBlocked(results, session.envName);
  if (blocked) throw blocked;
  for (const r of results.filter((x) => x.status === 'warn' || (x.status === 'fail' && !x.blocking))) ctx.io.notify({ type: 'warning', message: `preflight ${r.check}: ${r.detail}` });
  const unknown = results.filter((x) => x.status === 'unknown');
  const count = (s: string) => results.filter((x) => x.status === s).length;
  ctx.io.notify({ type: 'info', message: `preflight: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail (not blocking), ${unknown.length} unknown${unknown.length ? ` (${[...new Set(unknown.map((u) => u.check))].join(', ')}: dpf doctor says why)` : ''}` });
}

export async function runDeploy(opts: DeployOptions, ctx: CommandContext): Promise<void> {
  const command = `deploy${opts.phases?.length ? ` --phase ${opts.phases.join(',')}` : ''}${opts.check ? ' --check' : ''}`;
  const session = await openSession(ctx, { command, lock: true });
  try {
    if (opts.refreshAmi)
      await session.ledger.update((d) => {
        for (const k of Object.keys(d.facts)) if (k.startsWith('ami:')) delete d.facts[k];
      }, ctx.clock.now());
    if (!opts.skipPreflight) await preflight(opts, ctx, session);
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
      awsIn: (r) => ctx.aws(r),
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
          ? `Check mode: nothing was changed; results are in the ledger (evidence.lastCheck). Apply with: dpf deploy --env ${session.envName}`
          : `Environment ${session.envName}: all ${selected.length} step(s) done. Next: dpf status --env ${session.envName}`,
      );
  } finally {
    await session.close();
  }
}
