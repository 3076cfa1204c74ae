/**
 * `dpf backup`: an on-demand RDS snapshot and an AWS Backup job for EFS, in parallel, then the
 * recovery points with their age against the RPO targets.
 *
 * Steps (phase 'operations'):
 *   operations.backup.rds-snapshot     CreateDBSnapshot <db>-dpf-<stamp>, wait until available
 *   operations.backup.efs-backup       StartBackupJob (EFS → the platform's vault), wait COMPLETED
 *   operations.backup.recovery-points  list what can be restored, newest age vs RPO
 * Where the endpoint has no AWS Backup (the emulator), the EFS step is done with status
 * "unavailable" and the reason; the RDS part does not depend on it.
 */
import type { StepDef } from '../../steps/types.js';
import type { Operation } from '../operation.js';
import { BACKUP_STEPS, type BackupOptions } from './keys.js';
import { rdsSnapshotStep } from './snapshot.js';
import { efsBackupStep } from './efs-job.js';
import { recoveryPointsStep } from './listing.js';

export function buildBackupSteps(op: Operation, o: BackupOptions): StepDef[] {
  const rds = rdsSnapshotStep(op, {
    id: BACKUP_STEPS.rds,
    title: 'RDS snapshot (on demand)',
    label: 'dpf',
    timeoutMinutes: o.timeoutMinutes,
    rerun: (env) => `dpf backup --env ${env}`,
    requireDatabase: true,
  });
  return [rds, efsBackupStep(op, o), recoveryPointsStep()];
}
