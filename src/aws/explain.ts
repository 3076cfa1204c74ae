/**
 * AWS SDK and network exceptions explained: what is actually wrong (no credentials, an SSO
 * session to renew, expired or refused keys, a denied action, throttling past every retry, an
 * unreachable endpoint, a lost answer) as a DpfError with a hint naming the profile and the
 * endpoint in use. The port factory (./factory.ts) wraps every port with it.
 */
import { AwsAccessError, AwsThrottledError, DpfError } from '../errors.js';
import { classifyAwsError } from './retry.js';

/** The caller's identity: wrong keys, or keys AWS no longer accepts. */
const REFUSED_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'AuthFailure',
]);
/** Temporary credentials past their expiry (a role session, an SSO role's keys). */
const EXPIRED_CREDENTIALS = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired']);
/** The identity is fine; the action is not allowed to it. */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'UnauthorizedAccess', 'Forbidden']);

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
  /** The custom endpoint in use (src/settings.ts): an unreachable one is named in the hint. */
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
  const endpoint = c.endpointUrl;
  const message = e?.message ?? name;
  const who = c.profileNamed && c.profile ? `profile "${c.profile}"` : 'the default credential chain';
  if (
    name === 'TokenProviderError' ||
    ((name === 'CredentialsProviderError' || name === 'InvalidGrantException' || name === 'UnauthorizedException') &&
      /\bsso\b|sso session|sso token/i.test(message))
  ) {
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
    return new AwsThrottledError(
      `AWS throttled dpf's requests while ${doing} (${name || 'HTTP 429'}, ${retried(e)}). Nothing is wrong with the config or the platform.`,
      {
        cause: err,
        hint: 'Rerun the same command in a few minutes: it resumes where it stopped. Other tools or operators calling the same APIs in this account and region share the rate.',
      },
    );
  if (kind === 'not-sent')
    return new AwsAccessError(`Could not reach AWS while ${doing}: ${e.message ?? e.code ?? name} (${retried(e)}).`, {
      cause: err,
      hint: endpoint ? `The endpoint is ${endpoint}: is it running?` : 'Check your network, proxy settings and --region.',
    });
  if (kind === 'lost-answer')
    return new AwsAccessError(
      `The connection to AWS was lost while ${doing} (${e.code ?? name}: ${e.message ?? 'no answer'}; ${retried(e)}). The request was sent: it may or may not have been carried out.`,
      {
        cause: err,
        hint: 'Rerun the same command: dpf checks what was already done (change sets, commands) before doing it again.',
      },
    );
  if (kind === 'server-error')
    return new AwsAccessError(
      `AWS answered with a server error while ${doing} (HTTP ${e.$metadata?.httpStatusCode ?? '5xx'} ${name}, ${retried(e)}): a problem on AWS's side, not in the request.`,
      {
        cause: err,
        hint: 'Rerun the same command later; if it persists, check the AWS Health Dashboard for the region.',
      },
    );
  return err;
}
