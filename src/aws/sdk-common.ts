/** Small helpers shared by the sdk-<service>.ts adapters (translation only, no policy). */

/** The error's code as the SDK reports it (`name`, falling back to `Code`/`code`). */
export function errorName(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string };
  return e?.name ?? e?.Code ?? e?.code ?? '';
}

export function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** True when the error's name is one of `names` (exact) or matches one of the regexes. */
export function isError(err: unknown, ...names: Array<string | RegExp>): boolean {
  const n = errorName(err);
  return names.some((x) => (typeof x === 'string' ? n === x : x.test(n)));
}

/** True when dpf talks to a custom endpoint (an emulator such as moto), for `service` or globally. */
export function customEndpoint(serviceEnvSuffix?: string): boolean {
  return Boolean(process.env.AWS_ENDPOINT_URL || (serviceEnvSuffix && process.env[`AWS_ENDPOINT_URL_${serviceEnvSuffix}`]));
}

/**
 * The endpoint does not offer the call: 501, an explicit NotImplemented answer, or — against a
 * custom endpoint only — the HTTP 500 (HTML body) that moto answers for unimplemented actions.
 * On real AWS a 500 is an ordinary (already retried) error and is not read as a missing API.
 */
export function isNotImplemented(err: unknown, serviceEnvSuffix?: string): boolean {
  const status = httpStatus(err);
  const name = errorName(err);
  const msg = String((err as { message?: string })?.message ?? '');
  if (status === 501 || name === 'NotImplemented' || /not (?:yet )?implemented/i.test(msg)) return true;
  return status === 500 && customEndpoint(serviceEnvSuffix);
}

/**
 * Calls the endpoint turned out not to offer, remembered for the rest of the run (this
 * process), so an adapter with a fallback stops calling them: an emulator answers each with a
 * 500, and asking again on every poll only adds noise (and, before dpf's retry strategy,
 * spent the client's retries).
 */
export const unsupported = {
  calls: new Set<string>(),
  has(call: string): boolean {
    return this.calls.has(call);
  },
  remember(call: string): void {
    this.calls.add(call);
  },
};

/**
 * A create refused as "already exists" on a retry of the same call (the SDK's attempt count is
 * above 1): the earlier attempt, whose answer was lost, made it. For APIs without an
 * idempotency token whose names are chosen by dpf (RDS snapshots and instances, EC2 images and
 * security groups): the name itself makes the create idempotent.
 */
export function createdByEarlierAttempt(err: unknown, ...names: string[]): boolean {
  const attempts = (err as { $metadata?: { attempts?: number } })?.$metadata?.attempts ?? 1;
  return attempts > 1 && isError(err, ...names);
}

/** An error callers can recognise (by name) to report "unknown" instead of failing. */
export class NotImplementedByEndpointError extends Error {
  override readonly name = 'NotImplementedByEndpoint';
  constructor(public readonly operation: string, cause?: unknown) {
    super(`${operation} is not offered by the AWS endpoint in use (${process.env.AWS_ENDPOINT_URL ?? 'custom endpoint'})`, { cause });
  }
}

/** Run one call; an action the endpoint does not offer becomes NotImplementedByEndpointError naming `operation`. */
export async function offered<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isNotImplemented(err)) throw new NotImplementedByEndpointError(operation, err);
    throw err;
  }
}

/** `{ 'tag:dpf:env': ['dev'] }` → `[{ Name: 'tag:dpf:env', Values: ['dev'] }]`; undefined when empty. */
export function toFilters(filters: Record<string, string[]> | undefined): Array<{ Name: string; Values: string[] }> | undefined {
  const out = Object.entries(filters ?? {}).map(([Name, Values]) => ({ Name, Values }));
  return out.length ? out : undefined;
}

/** `[{Key, Value}]` → `{ Key: Value }` (entries without a key dropped). */
export function tagsOf(tags: Array<{ Key?: string; Value?: string }> | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
}

/** `{ Key: Value }` → `[{Key, Value}]`. */
export function tagList(tags: Record<string, string> | undefined): Array<{ Key: string; Value: string }> {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
