/**
 * Achieved RTO and RPO of a drill, per data store, against the targets (pure).
 *
 * - RTO: drill start → the store's restored copy validated (service usable again).
 * - RPO: drill start → the newest data the restore contains: for RDS the source's
 *   latestRestorableTime used by the point-in-time restore, for EFS the recovery point's
 *   creation time. (Data written after that point would be lost in a real disaster.)
 * A store that could not be measured gets `passed: null` and a reason; it is never counted
 * as a pass.
 */
import { formatDuration } from '../duration.js';

export interface StoreInput {
  name: string;
  drillStart: Date;
  /** When the restored copy was validated; undefined: not restored/validated. */
  validatedAt?: Date;
  /** Newest data contained in the restore. */
  restorePoint?: Date;
  rtoTargetSeconds: number;
  rpoTargetSeconds: number;
  /** Why it could not be measured (takes precedence). */
  unmeasured?: string;
  /** Validation of the restored copy failed (the store fails whatever the times). */
  validationFailed?: string;
}

export interface StoreResult {
  name: string;
  rtoSeconds: number | null;
  rtoTargetSeconds: number;
  rpoSeconds: number | null;
  rpoTargetSeconds: number;
  rtoPassed: boolean | null;
  rpoPassed: boolean | null;
  passed: boolean | null;
  reason?: string;
}

const secs = (ms: number) => Math.max(0, Math.round(ms / 1000));

export function measureStore(i: StoreInput): StoreResult {
  const base = { name: i.name, rtoTargetSeconds: i.rtoTargetSeconds, rpoTargetSeconds: i.rpoTargetSeconds };
  if (i.unmeasured) return { ...base, rtoSeconds: null, rpoSeconds: null, rtoPassed: null, rpoPassed: null, passed: null, reason: i.unmeasured };
  const rto = i.validatedAt ? secs(i.validatedAt.getTime() - i.drillStart.getTime()) : null;
  const rpo = i.restorePoint ? secs(i.drillStart.getTime() - i.restorePoint.getTime()) : null;
  const rtoPassed = rto === null ? null : rto <= i.rtoTargetSeconds;
  const rpoPassed = rpo === null ? null : rpo <= i.rpoTargetSeconds;
  const reasons: string[] = [];
  if (i.validationFailed) reasons.push(`validation failed: ${i.validationFailed}`);
  if (rto === null) reasons.push('RTO not measured (the restored copy was never validated)');
  else if (!rtoPassed) reasons.push(`RTO ${fmt(rto)} exceeds the target ${fmt(i.rtoTargetSeconds)}`);
  if (rpo === null) reasons.push('RPO not measured (restore point unknown)');
  else if (!rpoPassed) reasons.push(`RPO ${fmt(rpo)} exceeds the target ${fmt(i.rpoTargetSeconds)}`);
  const passed = i.validationFailed || rtoPassed === false || rpoPassed === false ? false : rtoPassed === null || rpoPassed === null ? null : true;
  return { ...base, rtoSeconds: rto, rpoSeconds: rpo, rtoPassed, rpoPassed, passed, reason: reasons.length ? reasons.join('; ') : undefined };
}

/** false if anything failed; null if anything was not measured; true only when all passed. */
export function overallPassed(results: Array<{ passed: boolean | null }>): boolean | null {
  if (!results.length) return null;
  if (results.some((r) => r.passed === false)) return false;
  if (results.some((r) => r.passed === null)) return null;
  return true;
}

/** 90 → "1m 30s", 7200 → "2h", null → "n/a" (the one formatter: src/duration.ts). */
export function fmt(seconds: number | null | undefined): string {
  return formatDuration(seconds, 'n/a');
}
