/**
 * dpf's retry strategy for every AWS SDK client (a smithy RetryStrategyV2), in place of the
 * SDK's "standard" mode, because retries must fit the failure:
 *
 * - throttled (429, Throttling*, RequestLimitExceeded, SlowDown, …): the request was refused
 *   and never carried out, so it is always safe to repeat; backed off with full jitter and a
 *   long budget (AWS throttles for seconds at a time on a busy account);
 * - not sent (connection refused, DNS, no connection within the connect timeout): safe, a
 *   short budget;
 * - answer lost or server error (reset after the request was written, request timeout, 5xx):
 *   the call may have been carried out. Retried only for calls whose repeat is harmless — reads,
 *   and writes that carry an idempotency token (CreateChangeSet ClientToken, ExecuteChangeSet
 *   ClientRequestToken, …). A client for a call without one (SSM SendCommand) is made with
 *   `retryAmbiguous: false`, and its caller looks up what happened before sending again;
 * - not offered by the endpoint (notOffered in endpoint.ts: 501, an explicit NotImplemented, or
 *   — against a custom endpoint only — the HTML page an emulator answers for an action it lacks):
 *   never retried; the adapters that have a fallback remember it for the run;
 * - anything else (validation, access, not found, a quota's LimitExceeded): not retried.
 *
 * There is no shared retry quota between calls: the SDK's standard token bucket let a burst of
 * hopeless retries (an emulator's 500s) use up the retries that a later real throttle needed.
 * Each call has its own bounded budget instead.
 */
import { notOffered } from './endpoint.js';

export type FailureKind = 'throttled' | 'not-sent' | 'lost-answer' | 'server-error' | 'not-implemented' | 'other';

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);
const SERVER_CODES = new Set([
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean; attempts?: number; totalRetryDelay?: number };
  $response?: { headers?: Record<string, string> };
  $retryable?: { throttling?: boolean };
}

function codeOf(e: SdkLikeError | undefined, depth = 0): string | undefined {
  if (!e || depth > 5) return undefined;
  return e.code ?? codeOf(e.cause as SdkLikeError | undefined, depth + 1);
}

/** What kind of failure an SDK error is (see the module comment). */
export function classifyAwsError(err: unknown, customEndpoint: boolean): FailureKind {
  const e = (err ?? {}) as SdkLikeError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const code = codeOf(e) ?? '';
  const message = e.message ?? '';
  if (name === 'AbortError') return 'other';
  if (status === 429 || THROTTLING.has(name) || e.$retryable?.throttling) return 'throttled';
  if (notOffered(err, customEndpoint)) return 'not-implemented';
  if (NOT_SENT_CODES.has(code) || /without establishing a connection|ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(message)) return 'not-sent';
  if (e.$metadata?.clockSkewCorrected) return 'not-sent';
  if (LOST_CODES.has(code) || /socket hang up|ECONNRESET/i.test(message) || name === 'TimeoutError') return 'lost-answer';
  if ((status !== undefined && status >= 500 && status <= 599) || SERVER_CODES.has(name)) return 'server-error';
  return 'other';
}

export interface RetryPolicy {
  /** Retry failures after which the call may have been carried out (lost answer, 5xx). Default true. */
  retryAmbiguous: boolean;
  /** Retries of a throttled call. Default 12 (with the back-off below: up to a few minutes). */
  throttleRetries: number;
  /** Retries after a lost answer or a server error. Default 4. */
  ambiguousRetries: number;
  /** Retries of a call that could not be sent. Default 3. */
  notSentRetries: number;
  /** Back-off base for throttling (ms), doubled per retry, full jitter. Default 500. */
  throttleBaseMs: number;
  /** Back-off base for other retries (ms). Default 100. */
  baseMs: number;
  /** Longest single wait (ms). Default 20000. */
  capMs: number;
  /** Against a custom endpoint (an emulator) an HTML 500 means "not implemented". */
  customEndpoint: boolean;
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retryAmbiguous: true,
  throttleRetries: 12,
  ambiguousRetries: 4,
  notSentRetries: 3,
  throttleBaseMs: 500,
  baseMs: 100,
  capMs: 20000,
  customEndpoint: false,
  random: Math.random,
};

class Token {
  constructor(
    readonly count: number,
    readonly byKind: Readonly<Partial<Record<FailureKind, number>>>,
    private readonly delay: number,
  ) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

/** The smithy RetryStrategyV2 contract (acquire, refresh or throw, recordSuccess). */
export class DpfRetryStrategy {
  readonly mode = 'dpf';
  readonly policy: RetryPolicy;
  constructor(policy: Partial<RetryPolicy> = {}) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...policy };
  }

  /** The same strategy with some of the policy changed (e.g. a client for a call without an idempotency token). */
  with(policy: Partial<RetryPolicy>): DpfRetryStrategy {
    return new DpfRetryStrategy({ ...this.policy, ...policy });
  }

  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return new Token(0, {}, 0);
  }

  async refreshRetryTokenForRetry(token: Token, errorInfo: { error?: unknown; retryAfterHint?: Date }): Promise<Token> {
    const p = this.policy;
    const kind = classifyAwsError(errorInfo.error, p.customEndpoint);
    const used = token.byKind[kind] ?? 0;
    const budget =
      kind === 'throttled'
        ? p.throttleRetries
        : kind === 'not-sent'
          ? p.notSentRetries
          : kind === 'lost-answer' || kind === 'server-error'
            ? p.retryAmbiguous
              ? p.ambiguousRetries
              : 0
            : 0;
    if (used >= budget) throw errorInfo.error;
    const base = kind === 'throttled' ? p.throttleBaseMs : p.baseMs;
    let delay = Math.floor(p.random() * Math.min(p.capMs, base * 2 ** used));
    const hinted = errorInfo.retryAfterHint ? errorInfo.retryAfterHint.getTime() - Date.now() : 0;
    if (hinted > delay) delay = Math.min(p.capMs, hinted);
    return new Token(token.count + 1, { ...token.byKind, [kind]: used + 1 }, delay);
  }

  recordSuccess(_token: Token): void {
    /* no shared quota to refill */
  }
}
