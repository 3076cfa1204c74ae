/**
 * dpf destroy: delete the environment's stacks in reverse order after a typed confirmation of
 * the environment's name (or --yes with an explicit --env in CI; no TTY and no --yes → exit 6).
 * Data is kept unless --delete-data; the state backend unless --delete-state. Anything left
 * behind is listed and makes the exit code 3 — including the databases and file systems dpf
 * restored outside the stacks (dpf restore, DR drills), which only --delete-data deletes.
 */
import type { CommandContext } from '../context.js';
import { openSession } from '../session.js';
import { summaryError } from '../steps/engine.js';
import { DpfError, ExitCode, NotConfirmedError, UserError } from '../errors.js';
import { beginOperation, finishOperation, stepOf } from '../ops/operation.js';
import { buildDestroySteps, findCopies, knownStacks, phasesToDestroy, platformData, retainedData, DESTROY_ORDER, DESTROY_STEPS, type DpfCopy, type Leftover } from '../ops/destroy.js';
import { runOperationSteps, resumeCommand, printResult } from '../ops/run.js';

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
  const session = await openSession(ctx, { command, lock: true });
  try {
    const cfn = await session.aws.cfn();
    const stacks = knownStacks(session.ledger, session.envCtx);
    let phases = await phasesToDestroy(cfn, session.ledger, stacks, Boolean(opts.deleteState));
    // The data an earlier destroy kept is deleted by a later --delete-data, although no stack is left.
    const retained = opts.deleteData && !phases.includes('storage') ? retainedData(session.ledger) : undefined;
    if (retained) phases = DESTROY_ORDER.filter((p) => p === 'storage' || phases.includes(p));
    // Databases and file systems dpf restored outside the stacks (the step looks again when it runs).
    const copies: DpfCopy[] = await findCopies(await session.aws.ops(), session.ledger, session.envCtx, platformData(session.ledger, session.envCtx, retained));
    if (!phases.length && !copies.length) {
      printResult(ctx, { type: 'result', command, env: session.envName, deleted: [], leftovers: [] }, [`Nothing of ${session.envName} to destroy.`]);
      return;
    }
    const copiesText = copies.length ? `; ${copies.length} restore/drill cop${copies.length === 1 ? 'y' : 'ies'} outside the stacks (${copies.map((c) => c.id).join(', ')})${opts.deleteData ? '' : ': listed, not deleted (only --delete-data deletes them)'}` : '';
    const what = `${phases.join(', ') || 'no stacks'}${opts.deleteData ? ' AND ITS DATA' : ' (data kept)'}${copiesText}`;
    if (!ctx.globals.yes) {
      const question = `Destroy environment ${session.envName}: ${what}? Type the environment name to confirm:`;
      // A typed answer (IoHost.confirm is yes/no), asked through the IO host's prompter: one question at a time, Ctrl-C = 130.
      const prompter = ctx.io.prompter;
      if (!ctx.isTTY || ctx.globals.json || (!opts.askText && !prompter)) throw new NotConfirmedError(`destroy ${session.envName}`, 'no-tty');
      const answer = (await (opts.askText ?? ((message: string) => prompter!.text({ message })))(question)).trim();
      if (answer !== session.envName) throw new NotConfirmedError(`destroy ${session.envName} (typed "${answer}")`, 'declined');
    }
    const op = await beginOperation(session.ledger, ctx.clock, {
      kind: 'destroy',
      key: `data=${Boolean(opts.deleteData)} state=${Boolean(opts.deleteState)}`,
      params: { deleteData: Boolean(opts.deleteData), deleteState: Boolean(opts.deleteState), phases },
      fresh: opts.new,
      runId: session.envCtx.runId,
      newHint: `${resumeCommand(ctx, session, command)} --new`,
    });
    ctx.io.notify({ type: 'warning', message: `Destroying ${session.envName}: ${what} (${op.id}).` });
    const steps = buildDestroySteps(op, { deleteData: Boolean(opts.deleteData), deleteState: Boolean(opts.deleteState), phases, stacks, retained: retained ? { storage: retained } : undefined });
    const summary = await runOperationSteps(ctx, session, op, steps, { command });
    await ctx.io.close?.();
    const perPhase = phases.map((p) => {
      const r = stepOf(session.ledger, op, DESTROY_STEPS.phase(p));
      return { phase: p, status: r?.status ?? 'not started', deleted: (r?.evidence.deleted as string[] | undefined) ?? [], leftovers: (r?.evidence.leftovers as Leftover[] | undefined) ?? [] };
    });
    const snap = stepOf(session.ledger, op, DESTROY_STEPS.finalSnapshot)?.outputs.SnapshotId;
    // Every final snapshot: dpf's own, and the one the stack's DeletionPolicy Snapshot took.
    const finalSnapshots = [...new Set([...(snap ? [snap] : []), ...((stepOf(session.ledger, op, DESTROY_STEPS.phase('storage'))?.evidence.finalSnapshots as string[] | undefined) ?? [])])];
    // The copies outside the stacks are listed as their own group ("outside the stacks").
    const cs = stepOf(session.ledger, op, DESTROY_STEPS.copies);
    const outside = { phase: 'outside the stacks', leftovers: (cs?.evidence.leftovers as Leftover[] | undefined) ?? [] };
    const groups: Array<{ phase: string; leftovers: Leftover[] }> = [...perPhase, outside];
    const leaked = groups.flatMap((p) => p.leftovers.filter((l) => !l.retained).map((l) => ({ phase: p.phase, ...l })));
    const kept = groups.flatMap((p) => p.leftovers.filter((l) => l.retained).map((l) => ({ phase: p.phase, ...l })));
    const copiesResult = { found: ((cs?.evidence.found as DpfCopy[] | undefined) ?? []).map((c) => ({ kind: c.kind, id: c.id, origin: c.origin, promoted: c.promoted })), deleted: (cs?.evidence.deleted as string[] | undefined) ?? [] };
    const result = { type: 'result', command, env: session.envName, operationId: op.id, status: summary.status, finalSnapshot: snap, finalSnapshots, phases: perPhase.map(({ phase, status, deleted }) => ({ phase, status, deleted })), copies: copiesResult, retained: kept, leaked };
    await finishOperation(session.ledger, ctx.clock, op, summary.status, { finalSnapshot: snap, finalSnapshots, phases: result.phases, copies: copiesResult, retained: kept.map((l) => l.resource), leaked: leaked.map((l) => l.resource) });
    const err = summaryError(summary, resumeCommand(ctx, session, command));
    if (err) throw err;
    if (leaked.length)
      throw new DpfError('DestroyIncomplete', `The stacks of ${session.envName} are deleted, but ${leaked.length} resource(s) were left behind (${leaked.every((l) => l.phase === outside.phase) ? 'dpf made them outside the stacks' : 'CloudFormation did not delete them'}):`, ExitCode.StepFailed, {
        details: [...leaked.map((l) => `${l.phase}: ${l.resource} — ${l.detail}`), ...(finalSnapshots.length ? [`kept: final snapshot${finalSnapshots.length > 1 ? 's' : ''} ${finalSnapshots.join(', ')}`] : [])],
        hint: `Delete them by hand (they may be billed)${leaked.some((l) => l.phase === outside.phase) && !opts.deleteData ? `, or delete the copies with dpf destroy --env ${session.envName} --delete-data (that deletes the data too)` : ''}, or redeploy and destroy again. The ledger marks the phases as not deployed.`,
      });
    printResult(ctx, result, [
      `Destroyed ${session.envName}: ${perPhase.map((p) => `${p.phase} (${p.deleted.join(', ') || 'nothing'})`).join('; ') || 'no stacks'}${copiesResult.deleted.length ? `; outside the stacks: ${copiesResult.deleted.join(', ')}` : ''}.`,
      ...(finalSnapshots.length ? [`Final snapshot${finalSnapshots.length > 1 ? 's' : ''}: ${finalSnapshots.join(', ')}`] : []),
      ...kept.map((l) => `  retained: ${l.resource} — ${l.detail}`),
    ]);
  } finally {
    await session.close();
  }
}
