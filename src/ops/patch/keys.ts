/** dpf patch: step ids, waves and options (the bottom of src/ops/patch/). */
import { type Host } from '../health.js';
import { stepKey } from '../step.js';

export const PATCH_STEPS = {
  recoveryPoint: 'operations.patch.recovery-point',
  dbSnapshot: 'operations.patch.db-snapshot',
  scan: 'operations.patch.scan',
  wave: (w: string) => `operations.patch.${w}`,
  gate: (w: string) => `operations.patch.${w}.gate`,
} as const;

export interface Wave {
  name: string;
  role: string;
  /** Instance ids (workers: resolved from the Auto Scaling group when the wave runs). */
  hosts: string[];
  rolling: boolean;
}

/** The platform's hosts by role: compute outputs, identity servers by tag, workers by group. */

export interface PatchOptions {
  method: 'ansible' | 'patch-baseline';
  waves: Wave[];
  hosts: Host[];
  acceptUnknownHealth: boolean;
  /** Production and no emergency: the maintenance window is checked before each wave. */
  enforceWindow: boolean;
  /** How to run this again (hints). */
  rerun: string;
}

export const roleOf = (hosts: Host[], id: string) => hosts.find((h) => h.instanceId === id)?.role ?? 'worker';

/** One host's row of a --dry-run scan. */
export interface ScanRow {
  wave: string;
  instanceId: string;
  role: string;
  status: string;
  pending: number | null;
  tail: string[];
}

export const SCAN_STEP = stepKey<{ rows: ScanRow[] }>(PATCH_STEPS.scan);
