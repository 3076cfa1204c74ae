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
