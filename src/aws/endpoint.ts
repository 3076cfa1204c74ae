/**
 * The one notion of "which endpoint dpf talks to" and the one answer to "this endpoint does not
 * offer that call". The endpoint is the one the SDK really uses (src/settings.ts, resolved by
 * src/cli.ts: AWS_ENDPOINT_URL, else the profile's endpoint_url, and AWS_ENDPOINT_URL_<SERVICE>).
 * Used by the retry strategy (never retry a missing API), the adapters (fallbacks, "unknown"
 * answers), the checks and day-2 steps (say "not available on this endpoint"), and the error
 * explanations (name the endpoint that cannot be reached).
 */
import type { EndpointSetting } from '../settings.js';

export type Endpoint = EndpointSetting;

/** AWS itself: no custom endpoint. */
export const AWS_ITSELF: Endpoint = { services: {} };

/**
 * True when dpf talks to a custom endpoint (an emulator such as moto): the global one, or the
 * override for `service` (S3, SSM, CLOUDWATCH…); without a service, any override counts.
 */
export function isCustomEndpoint(e: Endpoint | undefined, service?: string): boolean {
  if (!e) return false;
  if (e.url) return true;
  return service ? Boolean(e.services[service]) : Object.values(e.services).some(Boolean);
}

/** "this endpoint (http://127.0.0.1:5000)" — for "X is not available on …" messages. */
export function endpointName(e: Endpoint | undefined): string {
  return e?.url ? `this endpoint (${e.url})` : 'this endpoint';
}

/** The endpoint's URL, or "custom endpoint" when only a per-service override is set. */
export function endpointLabel(e: Endpoint | undefined): string {
  return e?.url ?? 'custom endpoint';
}

/** Error names that say "this action does not exist here". */
const NOT_IMPLEMENTED = new Set([
  'NotImplemented',
  'NotImplementedException',
  'UnsupportedOperation',
  'UnsupportedOperationException',
  'InvalidAction',
  'UnknownOperationException',
]);

/** An answer that is not an AWS response at all: an HTML page where the SDK expected XML or JSON. */
function notAnAwsAnswer(err: { message?: string; $response?: { headers?: Record<string, string> } }): boolean {
  if (/text\/html/i.test(err.$response?.headers?.['content-type'] ?? '')) return true;
  return /Deserialization error|XML parse error|not valid JSON|<!doctype|<html/i.test(err.message ?? '');
}

/**
 * The endpoint does not offer the call: an error already classified so
 * (NotImplementedByEndpointError), HTTP 501, an explicit NotImplemented/UnsupportedOperation
 * answer, or — against a custom endpoint only — an HTML page with HTTP 500 (moto's answer for an
 * action it lacks) or 404 (a JSON service it lacks entirely, e.g. AWS Backup jobs). On AWS a 500
 * is an ordinary server error (retried), and an emulator's own 5xx in the service's wire format
 * (a crash, or the fault proxy of the tests) is too: only the HTML page means "not there".
 *
 * @param custom whether the call went to a custom endpoint (isCustomEndpoint for its service).
 */
export function notOffered(err: unknown, custom: boolean): boolean {
  const e = (err ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> } };
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'NotImplementedByEndpoint') return true;
  if (status === 501 || NOT_IMPLEMENTED.has(e.name ?? '') || /not (?:yet )?implemented/i.test(e.message ?? '')) return true;
  return custom && (status === 500 || status === 404) && notAnAwsAnswer(e);
}

/** An error callers can recognise (by name) to report "unknown" instead of failing. */
export class NotImplementedByEndpointError extends Error {
  override readonly name = 'NotImplementedByEndpoint';
  constructor(
    public readonly operation: string,
    endpoint: Endpoint | undefined,
    cause?: unknown,
  ) {
    super(`${operation} is not offered by the AWS endpoint in use (${endpointLabel(endpoint)})`, { cause });
  }
}

/** Run one call; an action the endpoint does not offer becomes NotImplementedByEndpointError naming `operation`. */
export async function offered<T>(operation: string, endpoint: Endpoint, call: () => Promise<T>, service?: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (notOffered(err, isCustomEndpoint(endpoint, service))) throw new NotImplementedByEndpointError(operation, endpoint, err);
    throw err;
  }
}
