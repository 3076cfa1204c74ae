/** dpf deploy: run the step graph (all phases, or some) with live progress; resumes by default. */
import type { CommandContext } from '../context.js';
import { openSession, type Session } from '../session.js';
import { preflightBlocked, runPreflight } from '../preflight/index.js';
import { buildSteps, RUN_NEEDS } from '../steps/phases.js';
import { selectSteps } from '../steps/graph.js';
import { runSteps, summaryError } from '../steps/engine.js';
import { BlockedError, NotConfirmedError, UserError } from '../errors.js';
import { planDrift, planDriftError, plannedChangeSets, plannedSteps, readPlan } from '../steps/saved-plan.js';
import { makeContext } from '../steps/engine.js';
import { summarizeChanges } from '../steps/stack-deployer.js';
import type { StepDef } from '../steps/types.js';
import type { Ledger } from '../state/ledger.js';
import type { PhaseId } from '../steps/types.js';

export interface DeployOptions {
  /** Phases to run; default: every phase, in dependency order. */
  phases?: PhaseId[];
  /** Re-run steps even when done and unchanged. Default false. */
  force?: boolean;
  /** Steps at once. Default: deploy.concurrency from the config (8). */
  concurrency?: number;
  /** Report what would change (change sets, Ansible --check) without changing anything. Default false. */
  check?: boolean;
  /** Forget the pinned Amazon Linux AMI and resolve compute.imageParameter again (instances are replaced). Default false. */
  refreshAmi?: boolean;
  /** Do not run the account preflight before the first change set. Default false. */
  skipPreflight?: boolean;
  /** Execute exactly the change sets of this saved plan (`dpf plan --out`), after one approval. Default: none. */
  plan?: string;
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
    endpoint: ctx.settings.endpoint.url,
    phases: opts.phases,
    blockingOnly: true,
  });
  const blocked = preflightBlocked(results, session.envName);
  if (blocked) throw blocked;
  for (const r of results.filter((x) => x.status === 'warn' || (x.status === 'fail' && !x.blocking)))
    ctx.io.notify({ type: 'warning', message: `preflight ${r.check}: ${r.detail}` });
  const unknown = results.filter((x) => x.status === 'unknown');
  const count = (s: string) => results.filter((x) => x.status === s).length;
  ctx.io.notify({
    type: 'info',
    message: `preflight: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail (not blocking), ${unknown.length} unknown${unknown.length ? ` (${[...new Set(unknown.map((u) => u.check))].join(', ')}: dpf doctor says why)` : ''}; checks for later phases: dpf doctor --env ${session.envName}`,
  });
}

/**
 * A rerun whose every selected step is done adds nothing to the account (no quota, zone or image
 * to check): its calls would be most of an unchanged rerun's (issue 14). A done step that turns
 * out changed or gone still runs; `dpf doctor` runs the same checks on demand.
 */
function runsPreflight(opts: DeployOptions, selected: readonly StepDef[], ledger: Ledger): boolean {
  return !opts.skipPreflight && (Boolean(opts.force) || selected.some((s) => ledger.get(s.id)?.status !== 'done'));
}

export async function runDeploy(opts: DeployOptions, ctx: CommandContext): Promise<void> {
  if (opts.plan && (opts.phases?.length || opts.check || opts.force || opts.refreshAmi))
    throw new UserError('PlanWithOptions', '--plan executes exactly the saved plan: it cannot be combined with --phase, --check, --force or --refresh-ami.', {
      hint: 'Make the plan with those choices instead: dpf plan --phase … --out plan.json',
    });
  if (opts.plan) return runSavedPlan(opts.plan, opts, ctx);
  const command = `deploy${opts.phases?.length ? ` --phase ${opts.phases.join(',')}` : ''}${opts.check ? ' --check' : ''}`;
  const session = await openSession(ctx, {
    command,
    lock: true,
    readOnly: opts.check,
    preload: ['cfn'],
    preloadFor: (ledger, env) =>
      runsPreflight(opts, selectSteps(buildSteps(env), opts.phases, ledger.data.steps).selected, ledger) ? ['preflight', 'ops'] : [],
  });
  try {
    // With --check the ledger is read-only: the AMI is looked up afresh for the preview, the pin is not moved.
    if (opts.refreshAmi)
      await session.ledger.update((d) => {
        for (const k of Object.keys(d.facts)) if (k.startsWith('ami:')) delete d.facts[k];
      }, ctx.clock.now());
    const all = buildSteps(session.env);
    const { selected, missing } = selectSteps(all, opts.phases, session.ledger.data.steps, RUN_NEEDS);
    if (missing.length) {
      const phases = [...new Set(missing.map((m) => m.step.split('.')[0]))];
      throw new BlockedError(
        `Cannot run ${opts.phases?.join(', ')}: ${missing.map((m) => `${m.neededBy} needs ${m.step} (${m.status})`).join('; ')}.`,
        `Run the phase(s) it depends on first: ${phases.map((p) => `dpf deploy --env ${session.envName} --phase ${p}`).join(' && ')}`,
      );
    }
    if (!opts.skipPreflight) {
      if (runsPreflight(opts, selected, session.ledger)) await preflight(opts, ctx, session);
      else ctx.io.notify({ type: 'info', message: `preflight: skipped, every selected step is done (dpf doctor --env ${session.envName} runs it)` });
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
      settings: ctx.settings,
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
          : summary.verdicts.unknown
            ? `Environment ${session.envName}: all ${selected.length} step(s) done, but ${summary.verdicts.unknown} go-live check(s) could not be verified (unknown). Why, check by check: dpf report golive --env ${session.envName}`
            : `Environment ${session.envName}: all ${selected.length} step(s) done. Next: dpf status --env ${session.envName}`,
      );
  } finally {
    await session.close();
  }
}

/**
 * `dpf deploy --plan FILE`: check the whole plan against AWS first (refused, exit 8, naming each
 * stack that drifted, before anything runs), ask once, then execute exactly the saved change sets.
 */
async function runSavedPlan(file: string, opts: DeployOptions, ctx: CommandContext): Promise<void> {
  const plan = await readPlan(file);
  const command = `deploy --plan ${file}`;
  const session = await openSession(ctx, { command, lock: true });
  try {
    const all = buildSteps(session.env);
    const planned = plannedSteps(plan);
    const steps: StepDef[] = all.filter((s) => planned.some((p) => p.id === s.id));
    const cfn = await session.aws.cfn();
    const runOpts = {
      envCtx: session.envCtx,
      ledger: session.ledger,
      aws: session.aws,
      awsIn: (r: string) => ctx.aws(r),
      io: ctx.io,
      clock: ctx.clock,
      signal: ctx.signal,
      settings: ctx.settings,
    };
    const problems = await planDrift(plan, file, all, {
      env: session.envName,
      region: session.region,
      accountId: session.envCtx.accountId,
      cfn,
      prepare: (step) => step.prepare(makeContext(step, runOpts, session.ledger.get(step.id))),
      statusOf: (id) => session.ledger.get(id)?.status,
      changeSetOf: (id) => {
        const name = session.ledger.get(id)?.evidence.changeSetName;
        return typeof name === 'string' ? name : undefined;
      },
    });
    if (problems.length) throw planDriftError(file, problems);
    if (!opts.skipPreflight) await preflight({ ...opts, phases: [...new Set(planned.map((p) => p.id.split('.')[0] as PhaseId))] }, ctx, session);
    const later = plan.steps.filter((s) => s.action === 'deferred' || (s.action === 'run' && !s.changeSet));
    if (!planned.length) {
      ctx.stdout(
        `The plan ${file} holds no change set to execute${later.length ? ` (${later.length} step(s) could not be computed when it was made: plan again)` : ''}.`,
      );
      return;
    }
    for (const p of planned)
      ctx.io.notify({
        type: 'info',
        message: `${p.id}: ${p.changeSet.changeSetType === 'CREATE' ? 'create' : 'update'} ${p.changeSet.stackName} — ${summarizeChanges(p.changes ?? [])}${p.security?.length ? `; ${p.security.length} change(s) widen access` : ''}`,
      });
    const question = `Execute the ${planned.length} change set(s) of ${file} (made ${plan.createdAt} by ${plan.createdBy})?`;
    if (!(await ctx.io.confirm({ question, defaultAnswer: true }))) throw new NotConfirmedError(question, 'declined');
    const summary = await runSteps({
      steps,
      ...runOpts,
      concurrency: opts.concurrency ?? session.env.deploy.concurrency,
      command,
      planned: plannedChangeSets(plan),
      afterStep: async (step) => {
        if (step.id === 'bootstrap.state') await session.attachStateBackend();
      },
    });
    await ctx.io.close?.();
    const err = summaryError(summary, `dpf plan --env ${session.envName} --out ${file} && dpf deploy --env ${session.envName} --plan ${file}`);
    if (err) throw err;
    if (!ctx.globals.json)
      ctx.stdout(
        `Executed the ${planned.length} change set(s) of ${file}.${later.length ? ` Not in the plan (computed once the steps before them were done): ${later.map((s) => s.id).join(', ')}. Next: dpf plan --env ${session.envName} --out ${file}` : ` Next: dpf status --env ${session.envName}`}`,
      );
  } finally {
    await session.close();
  }
}
