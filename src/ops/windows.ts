/**
 * The change rules for patching (pure: the clock and the staging ledger are passed in).
 *
 * - Maintenance window: `patching.maintenanceWindow` (days, startUtc, durationHours). A window
 *   may run past midnight; it belongs to the day it starts on.
 * - Staging first: a production environment is patched only when `patching.stagingEnv` had a
 *   successful full patch (every wave, not a dry run) within `requireStagingWithinDays`
 *   (0 turns the rule off).
 * - `--emergency "<reason>"` overrides both; the reason is recorded with the operation.
 */
import type { LedgerData } from '../state/ledger.js';
import { formatDuration } from '../duration.js';
import { lastOperation } from './operation.js';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface MaintenanceWindow {
  days: Weekday[];
  /** HH:MM in UTC. */
  startUtc: string;
  durationHours: number;
}

export interface WindowState {
  open: boolean;
  /** When the window that is open now closes. */
  closesAt?: Date;
  /** The next window's start (after now); undefined when no day is configured. */
  nextOpensAt?: Date;
}

const DAY_MS = 86_400_000;

export function windowState(w: MaintenanceWindow, now: Date): WindowState {
  const [hh, mm] = w.startUtc.split(':').map(Number) as [number, number];
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const durMs = w.durationHours * 3_600_000;
  let closesAt: Date | undefined;
  let nextOpensAt: Date | undefined;
  // Yesterday's window may still be open (durationHours ≤ 24); look a week ahead for the next.
  for (let d = -1; d <= 7; d++) {
    const start = midnight + d * DAY_MS + (hh * 60 + mm) * 60_000;
    const day = WEEKDAYS[new Date(start).getUTCDay()]!;
    if (!w.days.includes(day)) continue;
    const t = now.getTime();
    if (start <= t && t < start + durMs && !closesAt) closesAt = new Date(start + durMs);
    if (start > t && !nextOpensAt) nextOpensAt = new Date(start);
  }
  return { open: Boolean(closesAt), closesAt, nextOpensAt };
}

export function describeWindow(w: MaintenanceWindow): string {
  return `${w.days.join(',')} ${w.startUtc} UTC for ${w.durationHours} h`;
}

/** "2d 3h", "45m" — how long until `to`, to the minute. */
export function until(from: Date, to: Date): string {
  return formatDuration(Math.max(0, Math.round((to.getTime() - from.getTime()) / 60000)) * 60);
}

export interface LastPatch {
  operationId: string;
  finishedAt: Date;
  emergency?: string;
}

/** The newest successful full patch recorded in a ledger (every wave, not a dry run). */
export function lastSuccessfulPatch(data: LedgerData | undefined): LastPatch | undefined {
  const hit = data && lastOperation(data, 'patch', (o) => o.status === 'done' && Boolean(o.finishedAt) && (o.params.waves ?? 'all') === 'all');
  if (!hit) return undefined;
  return { operationId: hit.id, finishedAt: new Date(hit.finishedAt!), emergency: typeof hit.params.emergency === 'string' ? hit.params.emergency : undefined };
}

export interface Refusal {
  rule: 'maintenance-window' | 'staging-first';
  reason: string;
  hint: string;
}

export interface ChangeRuleInput {
  env: string;
  /** Production environments obey the rules; others are patched any time. */
  production: boolean;
  window: MaintenanceWindow;
  now: Date;
  stagingEnv: string;
  /** The staging environment's ledger (undefined: not found anywhere). */
  staging?: { data: LedgerData; source: string };
  /** Where dpf looked for the staging ledger (for the message when it is missing). */
  stagingLookedAt: string[];
  requireStagingWithinDays: number;
  emergency?: string;
}

export interface ChangeRuleResult {
  allowed: boolean;
  refusals: Refusal[];
  /** What the rules found (for the evidence), whether or not they refused. */
  findings: string[];
  emergency?: string;
}

export function evaluateChangeRules(i: ChangeRuleInput): ChangeRuleResult {
  const findings: string[] = [];
  const refusals: Refusal[] = [];
  if (!i.production) return { allowed: true, refusals, findings: [`${i.env} is not a production environment: no maintenance window or staging rule`] };

  const w = windowState(i.window, i.now);
  if (w.open) findings.push(`maintenance window ${describeWindow(i.window)} is open until ${w.closesAt!.toISOString()}`);
  else {
    const next = w.nextOpensAt ? `${w.nextOpensAt.toISOString()} (in ${until(i.now, w.nextOpensAt)})` : 'never (no days configured)';
    findings.push(`outside the maintenance window ${describeWindow(i.window)}; next opens ${next}`);
    refusals.push({
      rule: 'maintenance-window',
      reason: `${i.env} is outside its maintenance window (${describeWindow(i.window)}); the next one opens ${next}.`,
      hint: `Run it in the window, or for an urgent security fix: dpf patch --env ${i.env} --emergency "<reason>" (the reason is recorded).`,
    });
  }

  if (i.requireStagingWithinDays > 0) {
    const last = lastSuccessfulPatch(i.staging?.data);
    const limitMs = i.requireStagingWithinDays * 86_400_000;
    if (!i.staging) {
      findings.push(`no ledger for ${i.stagingEnv} found (looked at ${i.stagingLookedAt.join(', ')})`);
      refusals.push({
        rule: 'staging-first',
        reason: `Production is patched only after ${i.stagingEnv}; no ledger of ${i.stagingEnv} was found (looked at ${i.stagingLookedAt.join(', ')}).`,
        hint: `Patch ${i.stagingEnv} first: dpf patch --env ${i.stagingEnv} (or set patching.stagingEnv).`,
      });
    } else if (!last) {
      findings.push(`${i.stagingEnv} (${i.staging.source}) has no successful full patch`);
      refusals.push({
        rule: 'staging-first',
        reason: `${i.stagingEnv} has no successful full patch on record (${i.staging.source}); production follows staging.`,
        hint: `Patch ${i.stagingEnv} first: dpf patch --env ${i.stagingEnv}`,
      });
    } else if (i.now.getTime() - last.finishedAt.getTime() > limitMs) {
      findings.push(
        `${i.stagingEnv} was last patched ${last.finishedAt.toISOString()} (${last.operationId}), more than ${i.requireStagingWithinDays} day(s) ago`,
      );
      refusals.push({
        rule: 'staging-first',
        reason: `${i.stagingEnv} was last patched successfully on ${last.finishedAt.toISOString()}, more than ${i.requireStagingWithinDays} day(s) ago (patching.requireStagingWithinDays).`,
        hint: `Patch ${i.stagingEnv} again first: dpf patch --env ${i.stagingEnv}`,
      });
    } else
      findings.push(
        `${i.stagingEnv} was patched successfully ${last.finishedAt.toISOString()} (${last.operationId}), within ${i.requireStagingWithinDays} day(s)`,
      );
  }

  if (refusals.length && i.emergency) {
    findings.push(`EMERGENCY change overrides ${refusals.map((r) => r.rule).join(' and ')}: ${i.emergency}`);
    return { allowed: true, refusals, findings, emergency: i.emergency };
  }
  return { allowed: refusals.length === 0, refusals, findings, emergency: i.emergency };
}
