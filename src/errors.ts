/**
 * The error family. Every error dpf raises on purpose is a DpfError with a code, a
 * message that names the bad value, and (where there is one) a hint saying what to do.
 * `src/cli.ts` maps them to exit codes. AWS SDK exceptions are explained by src/aws/explain.ts.
 */
export const ExitCode = {
  Ok: 0,
  /** Unexpected failure (a bug, or an AWS error dpf does not know how to explain). */
  Internal: 1,
  /** Bad usage, bad flags or an invalid config file. Nothing was sent to AWS. */
  Usage: 2,
  /** A step of the run failed (stack rollback, playbook failure, failed check). */
  StepFailed: 3,
  /** Another operator holds the environment's lock. */
  LockHeld: 4,
  /** The ledger is corrupt or written by a newer dpf. */
  StateInvalid: 5,
  /** A confirmation was needed but could not be asked (no TTY, no --yes), or the user said no. */
  NotConfirmed: 6,
  /** AWS credentials missing/expired, AWS (or the endpoint) unreachable, the connection lost, or throttling past every retry. */
  AwsAccess: 7,
  /** A prerequisite phase/step is not done (e.g. `--phase compute` before network). */
  Blocked: 8,
  /** Interrupted (Ctrl-C / SIGTERM) at a safe point; rerun to resume. */
  Interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface DpfErrorOptions {
  cause?: unknown;
  hint?: string;
  /** 'user' errors are the operator's to fix; 'toolkit' errors are ours or AWS's. */
  source?: 'user' | 'toolkit';
  details?: string[];
}

export class DpfError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  readonly source: 'user' | 'toolkit';
  readonly details: string[];
  constructor(code: string, message: string, exitCode: ExitCodeValue, opts: DpfErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DpfError';
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
    this.source = opts.source ?? 'toolkit';
    this.details = opts.details ?? [];
  }
}

export class UserError extends DpfError {
  constructor(code: string, message: string, opts: DpfErrorOptions = {}) {
    super(code, message, ExitCode.Usage, { source: 'user', ...opts });
    this.name = 'UserError';
  }
}

export class ConfigInvalidError extends DpfError {
  constructor(
    readonly problems: string[],
    file: string,
  ) {
    super('ConfigInvalid', `${file} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, ExitCode.Usage, {
      source: 'user',
      details: problems,
      hint: `Fix the fields above and run again; \`dpf validate\` checks the file offline.`,
    });
    this.name = 'ConfigInvalidError';
  }
}

export class AbortError extends DpfError {
  constructor(message = 'Interrupted', opts: DpfErrorOptions = {}) {
    super('Interrupted', message, ExitCode.Interrupted, opts);
    this.name = 'AbortError';
  }
}

export class NotConfirmedError extends DpfError {
  constructor(question: string, reason: 'no-tty' | 'declined') {
    super(
      reason === 'no-tty' ? 'ConfirmationRequired' : 'Declined',
      reason === 'no-tty'
        ? `Confirmation needed ("${question}") but there is no terminal to ask on.`
        : `Not confirmed: "${question}". Nothing was changed by this step.`,
      ExitCode.NotConfirmed,
      {
        source: 'user',
        hint:
          reason === 'no-tty'
            ? 'Run it on a terminal to answer, or pass --yes to proceed without asking (for a deploy, review first with `dpf plan`).'
            : undefined,
      },
    );
    this.name = 'NotConfirmedError';
  }
}

export interface LockHolder {
  identity: string;
  host: string;
  pid: number;
  command: string;
  since: string;
  expiresAt: string;
}

export class LockHeldError extends DpfError {
  constructor(
    readonly env: string,
    readonly holder: LockHolder,
    where: string,
  ) {
    super(
      'LockHeld',
      `Environment "${env}" is locked by ${holder.identity} on ${holder.host} (pid ${holder.pid}) running "${holder.command}" since ${holder.since}; the lease expires at ${holder.expiresAt} unless renewed (${where}).`,
      ExitCode.LockHeld,
      { source: 'user', hint: `Wait for that run to finish. If it is dead, break the lock with: dpf unlock --env ${env}` },
    );
    this.name = 'LockHeldError';
  }
}

export class StateInvalidError extends DpfError {
  constructor(message: string, hint: string) {
    super('StateInvalid', message, ExitCode.StateInvalid, { source: 'user', hint });
    this.name = 'StateInvalidError';
  }
}

export class StepFailedError extends DpfError {
  constructor(
    readonly stepId: string,
    message: string,
    opts: DpfErrorOptions = {},
  ) {
    super('StepFailed', message, ExitCode.StepFailed, opts);
    this.name = 'StepFailedError';
  }
}

export class BlockedError extends DpfError {
  constructor(message: string, hint?: string) {
    super('Blocked', message, ExitCode.Blocked, { source: 'user', hint });
    this.name = 'BlockedError';
  }
}

export class AwsAccessError extends DpfError {
  constructor(message: string, opts: DpfErrorOptions = {}) {
    super('AwsAccess', message, ExitCode.AwsAccess, opts);
    this.name = 'AwsAccessError';
  }
}

/** AWS kept refusing for rate after every retry dpf allows: nothing to fix, rerun later. */
export class AwsThrottledError extends DpfError {
  constructor(message: string, opts: DpfErrorOptions = {}) {
    super('AwsThrottled', message, ExitCode.AwsAccess, opts);
    this.name = 'AwsThrottledError';
  }
}

/**
 * A value quoted for a message, cut to `max` characters with its full length said: a 10 MB bad
 * value must not be echoed whole to the terminal (or to a CI log).
 */
export function excerpt(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const quoted = typeof value === 'string' ? JSON.stringify(text.length > max ? text.slice(0, max) : text) : text.length > max ? text.slice(0, max) : text;
  return text.length > max ? `${quoted}… (${text.length} characters)` : quoted;
}

/** One message line, cut to `max` characters (file errors and problems quote what they found). */
export function bounded(line: string, max = 300): string {
  return line.length > max ? `${line.slice(0, max)}… (${line.length - max} more characters)` : line;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
