/** Helpers shared by the checks: combining partial verdicts, listing nodes, emulator gaps. */
import type { InstanceInfo } from '../aws/ops-ports.js';
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
 * A check's verdict from its parts: the worst status; the summary names the parts that are
 * not `pass` (up to five). No parts at all is `unknown` (nothing was inspected), never pass.
 */
export function combine(parts: Part[], what: { passed: string; nothing: string }, evidence: Record<string, unknown> = {}, hint?: string): CheckOutcome {
  const ev = { ...evidence, parts };
  if (!parts.length) return { status: 'unknown', summary: what.nothing, evidence: ev, hint };
  const status = worst(parts.map((p) => p.status));
  if (status === 'pass') return { status, summary: what.passed, evidence: ev };
  const bad = parts.filter((p) => p.status === status);
  const shown = bad.slice(0, 5).map((p) => `${p.subject}: ${p.detail}`);
  const more = bad.length > 5 ? ` (and ${bad.length - 5} more)` : '';
  return { status, summary: `${shown.join('; ')}${more}`, evidence: ev, hint };
}

export function unknown(summary: string, evidence: Record<string, unknown> = {}, hint?: string): CheckOutcome {
  return { status: 'unknown', summary, evidence, hint };
}

/** AWS could not answer: "unknown", with the reason (an interrupt still stops the run). */
export function couldNotAsk(what: string, err: unknown, evidence: Record<string, unknown> = {}): CheckOutcome {
  if (err instanceof AbortError || (err as { name?: string })?.name === 'AbortError') throw err;
  return unknown(`${what} could not be answered: ${errorMessage(err)}`, { ...evidence, error: errorMessage(err), errorName: (err as { name?: string })?.name });
}

/** Account ids that only exist in documentation and emulators (moto, LocalStack). */
export const PLACEHOLDER_ACCOUNTS: ReadonlySet<string> = new Set(['123456789012', '000000000000']);

export function isEmulator(accountId: string, endpoint = process.env.AWS_ENDPOINT_URL): boolean {
  return Boolean(endpoint) && PLACEHOLDER_ACCOUNTS.has(accountId);
}

/** The reason given when the emulator is known to answer a question wrongly. */
export function emulatorGap(what: string): string {
  return `the AWS endpoint in use is an emulator (${process.env.AWS_ENDPOINT_URL ?? 'custom endpoint'}) that ${what} (docs/emulator.md); verify on AWS`;
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

/** DPF_POLL_MS (tests, emulator) overrides the first poll interval. */
export function pollMsFromEnv(fallback: number): number {
  const ms = Number(process.env.DPF_POLL_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : fallback;
}
