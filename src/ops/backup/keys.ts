/**
 * dpf backup: step ids, options, what the recovery-points step records, and the names of the
 * platform's database and file system read from the ledger (the bottom of src/ops/backup/).
 */
import type { EnvContext } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { optionalOutput } from '../operation.js';
import { stepKey } from '../step.js';

export const BACKUP_STEPS = {
  rds: 'operations.backup.rds-snapshot',
  efs: 'operations.backup.efs-backup',
  points: 'operations.backup.recovery-points',
} as const;

export interface BackupOptions {
  /** Give up waiting for the snapshot / the backup job after this long. Default 120 min. */
  timeoutMinutes: number;
}

export interface RecoveryListing {
  at: string;
  database: {
    instance?: string;
    latestRestorableTime?: string;
    snapshots: Array<{ id: string; type?: string; status: string; created?: string; ageSeconds?: number }>;
    /** Age of the newest restorable point (PITR or snapshot); null when there is none. */
    newestAgeSeconds: number | null;
    rpoTargetSeconds: number;
    withinRpo: boolean | null;
    note?: string;
  };
  fileSystem: {
    fileSystemId?: string;
    vault?: string;
    available: boolean;
    reason?: string;
    points: Array<{ arn: string; status: string; created?: string; ageSeconds?: number }>;
    newestAgeSeconds: number | null;
    rpoTargetSeconds: number;
    withinRpo: boolean | null;
  };
}

/** The recovery-points step's evidence: the listing against the RPO. */
export const POINTS_STEP = stepKey<{ listing: RecoveryListing }>(BACKUP_STEPS.points);

/** The platform's DB instance identifier (storage.stack output). */
export function dbIdentifier(ledger: Ledger): string | undefined {
  return optionalOutput(ledger, 'storage.stack', 'DbInstanceIdentifier');
}

export function efsArn(envCtx: Pick<EnvContext, 'region' | 'accountId'>, fsId: string): string {
  return `arn:aws:elasticfilesystem:${envCtx.region}:${envCtx.accountId}:file-system/${fsId}`;
}
