/** Helpers shared by the checks: combining partial verdicts, listing nodes, emulator gaps. */
import type { InstanceInfo } from '../aws/ops-ports.js';
import { endpointLabel, isCustomEndpoint, type Endpoint } from '../aws/endpoint.js';
import { AbortError, errorMessage } from '../errors.js';
import type { CheckContext, CheckOutcome, CheckStatus } from './types.js';

/** Severity order when parts are combined: one fail fails the check; unknown beats warn. */
const RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, unknown: 2, fail: 3 };

export function worst(statuses: CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'pass');
}

export interface Part {
  /** What was looked at (a stack, an instance, a bucket…). */
  subject: string;
  status: CheckStatus;
  detail: string;
}

/**
 * A check's verdict from its parts: the worst status. The summary names the parts that are not
 * `pass`, grouped by finding ("i-1 (worker), i-2 (worker): the host returned no output"), at
 * most three findings. No parts at all is `unknown` (nothing was inspected), never pass.
 */
export function combine(parts: Part[], what: { passed: string; nothing: string }, evidence: Record<string, unknown> = {}, hint?: string): CheckOutcome {
  const ev = { ...evidence, parts };
  if (!parts.length) return { status: 'unknown', summary: what.nothing, evidence: ev, hint };
  const status = worst(parts.map((p) => p.status));
  if (status === 'pass') return { status, summary: what.passed, evidence: ev };
  const groups = new Map<string, string[]>();
  for (const p of parts.filter((x) => x.status === status)) groups.set(p.detail, [...(groups.get(p.detail) ?? []), p.subject]);
  const shown = [...groups]
    .slice(0, 3)
    .map(([detail, subjects]) => `${subjects.slice(0, 4).join(', ')}${subjects.length > 4 ? ` and ${subjects.length - 4} more` : ''}: ${detail}`);
  const more = groups.size > 3 ? ` (and ${groups.size - 3} more finding(s))` : '';
  return { status, summary: `${shown.join('; ')}${more}`, evidence: ev, hint };
}

export function unknown(summary: string, evidence: Record<string, unknown> = {}, hint?: string): CheckOutcome {
  return { status: 'unknown', summary, evidence, hint };
}

/**
 * One line about an AWS error: the message's first line, and when the endpoint answered an
 * HTTP error with a page the SDK could not parse (an emulator's 500 for an action it does not
 * implement), that instead of the parser's complaint.
 */
export function awsErrorText(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const first = (errorMessage(err).split('\n')[0] ?? '').trim();
  if (/Deserialization error|XML parse error|Unexpected token '?<|is not valid JSON/i.test(errorMessage(err)))
    return `the endpoint answered${status ? ` HTTP ${status}` : ''} with a page that is not an AWS response (is the action implemented there?)`;
  return status && status >= 400 && !first.includes(String(status)) ? `${first} (HTTP ${status})` : first;
}

/** AWS could not answer: "unknown", with the reason (an interrupt still stops the run). */
export function couldNotAsk(what: string, err: unknown, evidence: Record<string, unknown> = {}): CheckOutcome {
  if (err instanceof AbortError || (err as { name?: string })?.name === 'AbortError') throw err;
  const text = awsErrorText(err);
  return unknown(`${what} could not be answered: ${text}`, { ...evidence, error: text, errorName: (err as { name?: string })?.name });
}

/** Account ids that only exist in documentation and emulators (moto, LocalStack). */
export const PLACEHOLDER_ACCOUNTS: ReadonlySet<string> = new Set(['123456789012', '000000000000']);

/**
 * The emulator dpf talks to, named ("http://127.0.0.1:5000", or "custom endpoint"), or undefined
 * on AWS: a custom endpoint AND an account id that only exists in documentation and emulators
 * (a VPC endpoint of a real account is a custom endpoint too, but with a real account).
 */
export function emulatorIn(accountId: string, endpoint: Endpoint): string | undefined {
  return isCustomEndpoint(endpoint) && PLACEHOLDER_ACCOUNTS.has(accountId) ? endpointLabel(endpoint) : undefined;
}

/** The reason given when the emulator is known to answer a question wrongly. */
export function emulatorGap(what: string, emulator: string): string {
  return `the AWS endpoint in use is an emulator (${emulator}) that ${what} (docs/emulator.md); verify on AWS`;
}

/** Nodes of the environment that should be up: tagged dpf:env, not terminated or terminating. */
export async function environmentInstances(ctx: CheckContext): Promise<InstanceInfo[]> {
  const ec2 = (await ctx.ops()).ec2;
  const all = await ec2.describeInstances({ 'tag:dpf:env': [ctx.envName] });
  return all.filter((i) => !['terminated', 'shutting-down'].includes(i.state)).sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
}

export function roleOf(i: InstanceInfo): string {
  return i.tags['dpf:role'] ?? 'unknown-role';
}

export function label(i: InstanceInfo): string {
  return `${i.instanceId} (${roleOf(i)})`;
}
