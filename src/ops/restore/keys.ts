/** dpf restore: step ids and options (the bottom of src/ops/restore/). */
import { stepKey } from '../step.js';
import type { Check } from '../report.js';

export const RESTORE_STEPS = {
  db: 'operations.restore.db',
  dbValidate: 'operations.restore.db-validate',
  dbPromote: 'operations.restore.db-promote',
  fs: 'operations.restore.fs',
  fsValidate: 'operations.restore.fs-validate',
  fsPromote: 'operations.restore.fs-promote',
} as const;

/**
 * The tags of every copy dpf restores outside the stacks (`dpf destroy` finds what was never
 * promoted by them): environment, project, the operation, and its purpose.
 */

export type DbSource = { kind: 'snapshot'; snapshotId: string } | { kind: 'time'; time: string } | { kind: 'latest' };

export interface RestoreDbOptions {
  source: DbSource;
  promote: boolean;
  /** Give up waiting for the copy after this long (default 120 min); the restore goes on in AWS. */
  timeoutMinutes: number;
  /** For hints: how to run this again. */
  rerun: string;
}

export interface RestoreFsOptions {
  recoveryPointArn: string;
  promote: boolean;
  timeoutMinutes: number;
  rerun: string;
}

/** The id at the end of an EFS ARN ("…:file-system/fs-123" → "fs-123"). */

/** What the restore steps record, as their readers use it. */
export interface RestoreDbEvidence {
  /** The new instance's identifier (before RDS reports it as an output). */
  target: string;
  /** The snapshot id or the point in time restored. */
  restoredFrom: string;
}
export interface ValidateEvidence {
  checks: Check[];
}

export const RESTORE = {
  db: stepKey<RestoreDbEvidence>(RESTORE_STEPS.db),
  dbValidate: stepKey<ValidateEvidence>(RESTORE_STEPS.dbValidate),
  fsValidate: stepKey<ValidateEvidence>(RESTORE_STEPS.fsValidate),
};
