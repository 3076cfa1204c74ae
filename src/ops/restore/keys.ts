/** dpf restore: step ids and options (the bottom of src/ops/restore/). */


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
