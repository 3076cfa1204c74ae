/**
 * The error family. Every error dpf raises on purpose is a DpfError with a code, a
 * message that names the bad value, and (where there is one) a hint saying what to do.
 * `src/cli.ts` maps them to exit codes; nothing else touches `process`.
 */
import { classifyAwsError } from './aws/retry.js';

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
  constructor(readonly problems: string[], file: string) {
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
      { source: 'user', hint: reason === 'no-tty' ? 'Run it on a terminal to answer, or pass --yes to proceed without asking (for a deploy, review first with `dpf plan`).' : undefined },
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
  constructor(readonly env: string, readonly holder: LockHolder, where: string) {
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
  constructor(readonly stepId: string, message: string, opts: DpfErrorOptions = {}) {
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

/** The caller's identity: wrong keys, or keys AWS no longer accepts. */
const REFUSED_CREDENTIALS = new Set(['InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AuthFailure']);
/** Temporary credentials past their expiry (a role session, an SSO role's keys). */
const EXPIRED_CREDENTIALS = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired']);
/** The identity is fine; the action is not allowed to it. */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'UnauthorizedAccess', 'Forbidden']);

/** AWS kept refusing for rate after every retry dpf allows: nothing to fix, rerun later. */
export class AwsThrottledError extends DpfError {
  constructor(message: string, opts: DpfErrorOptions = {}) {
    super('AwsThrottled', message, ExitCode.AwsAccess, opts);
    this.name = 'AwsThrottledError';
  }
}

function retried(e: { $metadata?: { attempts?: number; totalRetryDelay?: number } }): string {
  const n = e.$metadata?.attempts ?? 1;
  const s = Math.round((e.$metadata?.totalRetryDelay ?? 0) / 1000);
  return n > 1 ? `${n} attempts${s ? ` over ${s} s of back-off` : ''}` : 'one attempt';
}

/** Which profile and endpoint were in use, for hints that name them. */
export interface AwsErrorContext {
  /** The profile in effect and whether it was named (--profile / AWS_PROFILE). */
  profile?: string;
  profileNamed?: boolean;
  endpointUrl?: string;
}

/** `--profile X` when a profile was named: the hint's commands must use the same one. */
function profileFlag(c: AwsErrorContext): string {
  return c.profileNamed && c.profile ? ` --profile ${c.profile}` : '';
}

/**
 * Turn an AWS SDK / network exception into a DpfError that says what is actually wrong — no
 * credentials at all, an SSO session to log in to again, expired keys, keys AWS refuses, or an
 * action the identity may not perform (named) — with its message unwrapped; pass others through.
 */
export function explainAwsError(err: unknown, doing: string, c: AwsErrorContext = {}): unknown {
  if (err instanceof DpfError) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number; attempts?: number; totalRetryDelay?: number } };
  const name = e?.name ?? '';
  const endpoint = c.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
  const message = e?.message ?? name;
  const who = c.profileNamed && c.profile ? `profile "${c.profile}"` : 'the default credential chain';
  if (name === 'TokenProviderError' || ((name === 'CredentialsProviderError' || name === 'InvalidGrantException' || name === 'UnauthorizedException') && /\bsso\b|sso session|sso token/i.test(message))) {
    return new AwsAccessError(`The AWS IAM Identity Center (SSO) session for ${who} is missing or has expired (while ${doing}): ${message}`, {
      cause: err,
      hint: `Log in again: aws sso login${profileFlag(c)}   then rerun the command${profileFlag(c) ? ` with${profileFlag(c)}` : ''}.`,
    });
  }
  if (name === 'CredentialsProviderError') {
    return new AwsAccessError(`No AWS credentials found for ${who} (while ${doing}): ${message}`, {
      cause: err,
      hint: c.profileNamed
        ? `Check that profile "${c.profile}" exists in ~/.aws/config or ~/.aws/credentials (aws configure list-profiles) and has credentials (keys, sso_session, role_arn or credential_process).`
        : 'Name a profile (--profile NAME or AWS_PROFILE), log in (aws sso login --profile NAME), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
    });
  }
  if (EXPIRED_CREDENTIALS.has(name)) {
    return new AwsAccessError(`The AWS credentials of ${who} have expired (while ${doing}): ${message}`, {
      cause: err,
      hint: `Renew them (aws sso login${profileFlag(c)}, or new session keys), then rerun.`,
    });
  }
  if (REFUSED_CREDENTIALS.has(name)) {
    return new AwsAccessError(`AWS refused the credentials of ${who} (while ${doing}): ${message}`, {
      cause: err,
      hint: `The access key is unknown or its secret is wrong: check them (aws sts get-caller-identity${profileFlag(c)}).`,
    });
  }
  if (ACCESS_DENIED.has(name) || (e?.$metadata?.httpStatusCode === 403 && /not authorized|access denied/i.test(message))) {
    const action = /perform: ([\w-]+:[\w*]+)/.exec(message)?.[1];
    return new AwsAccessError(`Access denied${action ? ` to ${action}` : ''} while ${doing}: ${message}`, {
      cause: err,
      hint: `The identity in use (${who}) lacks ${action ? `the permission ${action}` : 'a permission this call needs'}: grant it (docs/iam/ holds the policy dpf needs) or use another profile.`,
    });
  }
  const kind = classifyAwsError(err, Boolean(endpoint));
  if (kind === 'throttled')
    return new AwsThrottledError(`AWS throttled dpf's requests while ${doing} (${name || 'HTTP 429'}, ${retried(e)}). Nothing is wrong with the config or the platform.`, {
      cause: err,
      hint: 'Rerun the same command in a few minutes: it resumes where it stopped. Other tools or operators calling the same APIs in this account and region share the rate.',
    });
  if (kind === 'not-sent')
    return new AwsAccessError(`Could not reach AWS while ${doing}: ${e.message ?? e.code ?? name} (${retried(e)}).`, {
      cause: err,
      hint: endpoint ? `The endpoint is ${endpoint}: is it running?` : 'Check your network, proxy settings and --region.',
    });
  if (kind === 'lost-answer')
    return new AwsAccessError(`The connection to AWS was lost while ${doing} (${e.code ?? name}: ${e.message ?? 'no answer'}; ${retried(e)}). The request was sent: it may or may not have been carried out.`, {
      cause: err,
      hint: 'Rerun the same command: dpf checks what was already done (change sets, commands) before doing it again.',
    });
  if (kind === 'server-error')
    return new AwsAccessError(`AWS answered with a server error while ${doing} (HTTP ${e.$metadata?.httpStatusCode ?? '5xx'} ${name}, ${retried(e)}): a problem on AWS's side, not in the request.`, {
      cause: err,
      hint: 'Rerun the same command later; if it persists, check the AWS Health Dashboard for the region.',
    });
  return err;
}

/**
 * A value quoted for a message, cut to `max` characters with its full length said: a 10 MB bad
 * value must not be echoed whole to the terminal (or to a CI log).
 */
export function excerpt(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
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
