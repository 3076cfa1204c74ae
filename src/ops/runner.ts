/**
 * The operation runner: the lifecycle every day-2 command shares, written once. A command is
 * options → `runOperation` → output:
 *
 *   open the environment under its lock → `define` (preconditions; the key and params, or
 *   nothing to do) → begin (resume the unfinished operation of this kind — refused when it was
 *   started with other options —, abandon it with --new, or start one; "Resuming <kind> <id>"
 *   for every kind) → `build` the main and finally groups → one engine run with the operation
 *   as its scope → `summarize` → record the summary, close the operation or leave it open →
 *   the error (with the resume hint) or the result.
 */
import type { CommandContext } from '../context.js';
import { openSession, type Session } from '../session.js';
import type { StepDef } from '../steps/types.js';
import { runSteps, summaryError, type RunSummary } from '../steps/engine.js';
import {
  beginOperation,
  configFlag,
  finishOperation,
  reopenOperation,
  scopeOf,
  type Operation,
  type OperationKind,
  type OperationRecord,
  type OperationStatus,
} from './operation.js';

/** What `define` decided. */
export type Definition =
  /** Start or resume an operation with these options. */
  | { key: string; params: Record<string, unknown> }
  /** Work on this (closed or unfinished) operation again: a drill's --teardown. */
  | { reopen: OperationRecord }
  /** Nothing to do: print this and stop. */
  | { nothing: Output };

export interface Output {
  /** The --json result (one object). */
  json: unknown;
  /** The human lines. */
  lines: string[];
}

export interface Groups {
  steps: StepDef[];
  /** Run after the main group, done or failed (a drill's teardown and report). */
  finally?: StepDef[];
  concurrency?: number;
}

export interface Summarized extends Output {
  /** What the run achieved, recorded on its run in the ledger. */
  record?: Record<string, unknown>;
  /** How the operation ends; default: done when the run is done, else it stays open. */
  close?: OperationStatus;
  /** The command's error instead of the engine's (checked first). */
  error?: Error;
  /** The command that resumes it, when not the command itself (a drill whose teardown failed). */
  resume?: string;
}

export interface OperationSpec {
  kind: OperationKind;
  /** The command line without "dpf" and the env ("backup", "restore db --latest"). */
  command: string;
  /** Abandon an unfinished operation of this kind and start a new one (--new). */
  fresh?: boolean;
  /** Change nothing, the ledger included (patch --dry-run). */
  readOnly?: boolean;
  /** What to say when a fresh one starts (a resumed one says "Resuming …"). */
  started?: (op: Operation) => string | undefined;
  /** What --new costs, added to the refusal's hint (a drill's resources stay). */
  newNote?: string;
  define(session: Session): Promise<Definition>;
  build(op: Operation, session: Session): Groups | Promise<Groups>;
  summarize(op: Operation, session: Session, run: RunSummary): Summarized | Promise<Summarized>;
}

/** Run a day-2 operation from start to output. */
export async function runOperation(ctx: CommandContext, spec: OperationSpec): Promise<void> {
  const session = await openSession(ctx, { command: spec.command, lock: true, readOnly: spec.readOnly });
  try {
    const rerun = resumeCommand(ctx, session, spec.command);
    const def = await spec.define(session);
    if ('nothing' in def) return printResult(ctx, def.nothing.json, def.nothing.lines);
    const op =
      'reopen' in def
        ? reopenOperation(def.reopen, session.envCtx.runId)
        : await beginOperation(session.ledger, ctx.clock, {
            kind: spec.kind,
            key: def.key,
            params: def.params,
            fresh: spec.fresh,
            runId: session.envCtx.runId,
            newHint: `${rerun} --new${spec.newNote ? ` ${spec.newNote}` : ''}`,
          });
    const said = op.resumed ? `Resuming ${op.kind} ${op.id} (started ${op.startedAt.toISOString()}).` : spec.started?.(op);
    if (said) ctx.io.notify({ type: 'info', message: said });
    const groups = await spec.build(op, session);
    const run = await runOperationSteps(ctx, session, op, groups.steps, { command: spec.command, finally: groups.finally, concurrency: groups.concurrency });
    await ctx.io.close?.();
    const out = await spec.summarize(op, session, run);
    await finishOperation(session.ledger, ctx.clock, op, out.close ?? run.status, out.record);
    const err = out.error ?? summaryError(run, out.resume ?? rerun);
    if (err) throw err;
    printResult(ctx, out.json, out.lines);
  } finally {
    await session.close();
  }
}

export interface RunOperationOptions {
  /** The command line to resume with, without "dpf" and the env (e.g. "backup"). */
  command: string;
  /** Steps that run after the main group, done or failed (a drill's teardown and report). */
  finally?: StepDef[];
  concurrency?: number;
}

/** One engine run with the operation as its scope. */
export async function runOperationSteps(ctx: CommandContext, session: Session, op: Operation, steps: StepDef[], o: RunOperationOptions): Promise<RunSummary> {
  return runSteps({
    steps,
    ...(o.finally ? { finally: o.finally } : {}),
    scope: scopeOf(op),
    ledger: session.ledger,
    envCtx: session.envCtx,
    aws: session.aws,
    io: ctx.io,
    clock: ctx.clock,
    signal: ctx.signal,
    settings: ctx.settings,
    concurrency: o.concurrency ?? session.env.deploy.concurrency,
    command: o.command,
  });
}

/** "dpf <command> --env E [--config F]" for hints. */
export function resumeCommand(ctx: CommandContext, session: Pick<Session, 'envName'>, command: string): string {
  return `dpf ${command} --env ${session.envName}${configFlag(ctx.globals.config)}`;
}

/** One JSON object with --json, else human lines. */
export function printResult(ctx: CommandContext, json: unknown, lines: string[]): void {
  if (ctx.globals.json) ctx.stdout(JSON.stringify(json));
  else for (const l of lines) ctx.stdout(l);
}
