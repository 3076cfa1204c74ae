/**
 * dpf destroy: delete the environment's stacks in reverse order after a typed confirmation of
 * the environment's name (or --yes with an explicit --env in CI; no TTY and no --yes → exit 6).
 * Data is kept unless --delete-data; the state backend unless --delete-state. Anything left
 * behind is listed and makes the exit code 3 — including the databases and file systems dpf
 * restored outside the stacks (dpf restore, DR drills), which only --delete-data deletes.
 */
import type { CommandContext } from '../context.js';
import type { Session } from '../session.js';
import { DpfError, ExitCode, NotConfirmedError, UserError } from '../errors.js';
import { stepOf, type Operation } from '../ops/operation.js';
import { buildDestroySteps } from '../ops/destroy/build.js';
import { planDestroy, type DestroyPlan } from '../ops/destroy/plan.js';
import { COPIES_STEP, DESTROY_STEPS, PHASE_STEP, type Leftover } from '../ops/destroy/keys.js';
import { runOperation, type Summarized } from '../ops/runner.js';

export interface DestroyOptions {
  /**
   * Also delete the data: no final snapshot, buckets emptied and deleted, EFS deleted, the backup
   * vault's recovery points and the vault deleted. After a destroy that kept the data, deletes
   * what it kept. Default false.
   */
  deleteData?: boolean;
  /** Also delete the state backend (bootstrap stack, state bucket). The local ledger stays. Default false. */
  deleteState?: boolean;
  /** Abandon an unfinished destroy and start a new one. Default false. */
  new?: boolean;
  /** Asks for a line of text on the terminal (injected by tests). Default: an interactive prompt. */
  askText?: (question: string) => Promise<string>;
}

export async function runDestroy(opts: DestroyOptions, ctx: CommandContext): Promise<void> {
  const flags = `${opts.deleteData ? ' --delete-data' : ''}${opts.deleteState ? ' --delete-state' : ''}`;
  const command = `destroy${flags}`;
  if (ctx.globals.yes && !ctx.globals.env)
    throw new UserError('EnvRequired', 'dpf destroy --yes needs the environment named explicitly with --env.', { hint: 'dpf destroy --env NAME --yes' });
  const deleteData = Boolean(opts.deleteData);
  const deleteState = Boolean(opts.deleteState);
  let plan: DestroyPlan;
  let what = '';
  await runOperation(ctx, {
    kind: 'destroy',
    command,
    fresh: opts.new,
    async define(session) {
      plan = await planDestroy(session.aws, session.ledger, session.envCtx, { deleteData, deleteState });
      if (!plan.phases.length && !plan.copies.length)
        return {
          nothing: {
            json: { type: 'result', command, env: session.envName, deleted: [], leftovers: [] },
            lines: [`Nothing of ${session.envName} to destroy.`],
          },
        };
      what = describePlan(plan, deleteData);
      await confirm(ctx, opts, session.envName, what);
      return { key: `data=${deleteData} state=${deleteState}`, params: { deleteData, deleteState, phases: plan.phases } };
    },
    build(op, session) {
      ctx.io.notify({ type: 'warning', message: `Destroying ${session.envName}: ${what} (${op.id}).` });
      return {
        steps: buildDestroySteps(op, {
          deleteData,
          deleteState,
          phases: plan.phases,
          stacks: plan.stacks,
          retained: plan.retained ? { storage: plan.retained } : undefined,
        }),
      };
    },
    summarize: (op, session, run) => destroyOutput(session, op, run.status, plan.phases, command, opts),
  });
}

function describePlan(plan: DestroyPlan, deleteData: boolean): string {
  const { copies } = plan;
  const copiesText = copies.length
    ? `; ${copies.length} restore/drill cop${copies.length === 1 ? 'y' : 'ies'} outside the stacks (${copies.map((c) => c.id).join(', ')})${deleteData ? '' : ': listed, not deleted (only --delete-data deletes them)'}`
    : '';
  return `${plan.phases.join(', ') || 'no stacks'}${deleteData ? ' AND ITS DATA' : ' (data kept)'}${copiesText}`;
}

/** The typed environment name (or --yes); no terminal and no --yes → exit 6. */
async function confirm(ctx: CommandContext, opts: DestroyOptions, env: string, what: string): Promise<void> {
  if (ctx.globals.yes) return;
  const question = `Destroy environment ${env}: ${what}? Type the environment name to confirm:`;
  // A typed answer (IoHost.confirm is yes/no), asked through the IO host's prompter: one question at a time, Ctrl-C = 130.
  const prompter = ctx.io.prompter;
  if (!ctx.isTTY || ctx.globals.json || (!opts.askText && !prompter)) throw new NotConfirmedError(`destroy ${env}`, 'no-tty');
  const answer = (await (opts.askText ?? ((message: string) => prompter!.text({ message })))(question)).trim();
  if (answer !== env) throw new NotConfirmedError(`destroy ${env} (typed "${answer}")`, 'declined');
}

function destroyOutput(session: Session, op: Operation, status: string, phases: DestroyPlan['phases'], command: string, opts: DestroyOptions): Summarized {
  const perPhase = phases.map((p) => {
    const r = PHASE_STEP(p).of(session.ledger, op);
    return { phase: p, status: r?.status ?? 'not started', deleted: r?.evidence.deleted ?? [], leftovers: r?.evidence.leftovers ?? [] };
  });
  const snap = stepOf(session.ledger, op, DESTROY_STEPS.finalSnapshot)?.outputs.SnapshotId;
  // Every final snapshot: dpf's own, and the one the stack's DeletionPolicy Snapshot took.
  const finalSnapshots = [...new Set([...(snap ? [snap] : []), ...(PHASE_STEP('storage').of(session.ledger, op)?.evidence.finalSnapshots ?? [])])];
  // The copies outside the stacks are listed as their own group ("outside the stacks").
  const cs = COPIES_STEP.of(session.ledger, op)?.evidence;
  const outside = { phase: 'outside the stacks', leftovers: cs?.leftovers ?? [] };
  const groups: Array<{ phase: string; leftovers: Leftover[] }> = [...perPhase, outside];
  const leaked = groups.flatMap((p) => p.leftovers.filter((l) => !l.retained).map((l) => ({ phase: p.phase, ...l })));
  const kept = groups.flatMap((p) => p.leftovers.filter((l) => l.retained).map((l) => ({ phase: p.phase, ...l })));
  const copiesResult = {
    found: (cs?.found ?? []).map((c) => ({ kind: c.kind, id: c.id, origin: c.origin, promoted: c.promoted })),
    deleted: cs?.deleted ?? [],
  };
  const result = {
    type: 'result',
    command,
    env: session.envName,
    operationId: op.id,
    status,
    finalSnapshot: snap,
    finalSnapshots,
    phases: perPhase.map(({ phase, status: st, deleted }) => ({ phase, status: st, deleted })),
    copies: copiesResult,
    retained: kept,
    leaked,
  };
  const env = session.envName;
  const error =
    status === 'done' && leaked.length
      ? new DpfError(
          'DestroyIncomplete',
          `The stacks of ${env} are deleted, but ${leaked.length} resource(s) were left behind (${leaked.every((l) => l.phase === outside.phase) ? 'dpf made them outside the stacks' : 'CloudFormation did not delete them'}):`,
          ExitCode.StepFailed,
          {
            details: [
              ...leaked.map((l) => `${l.phase}: ${l.resource} — ${l.detail}`),
              ...(finalSnapshots.length ? [`kept: final snapshot${finalSnapshots.length > 1 ? 's' : ''} ${finalSnapshots.join(', ')}`] : []),
            ],
            hint: `Delete them by hand (they may be billed)${leaked.some((l) => l.phase === outside.phase) && !opts.deleteData ? `, or delete the copies with dpf destroy --env ${env} --delete-data (that deletes the data too)` : ''}, or redeploy and destroy again. The ledger marks the phases as not deployed.`,
          },
        )
      : undefined;
  return {
    json: result,
    record: {
      finalSnapshot: snap,
      finalSnapshots,
      phases: result.phases,
      copies: copiesResult,
      retained: kept.map((l) => l.resource),
      leaked: leaked.map((l) => l.resource),
    },
    error,
    lines: [
      `Destroyed ${env}: ${perPhase.map((p) => `${p.phase} (${p.deleted.join(', ') || 'nothing'})`).join('; ') || 'no stacks'}${copiesResult.deleted.length ? `; outside the stacks: ${copiesResult.deleted.join(', ')}` : ''}.`,
      ...(finalSnapshots.length ? [`Final snapshot${finalSnapshots.length > 1 ? 's' : ''}: ${finalSnapshots.join(', ')}`] : []),
      ...kept.map((l) => `  retained: ${l.resource} — ${l.detail}`),
    ],
  };
}
