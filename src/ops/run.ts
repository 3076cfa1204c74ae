/** Running an operation's steps through the engine, and printing its result (shared by the day-2 commands). */
import type { CommandContext } from '../context.js';
import type { Session } from '../session.js';
import type { StepDef } from '../steps/types.js';
import { runSteps, type RunSummary } from '../steps/engine.js';
import { configFlag, scopeOf, type Operation } from './operation.js';

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
