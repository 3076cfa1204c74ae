/** dpf restore fs: a new file system from an AWS Backup recovery point, validated. */
import type { StepDef } from '../../steps/types.js';
import { opStep, optionalOutput, unavailableOnEndpoint, stepError, endpointName, type Operation } from '../operation.js';
import { fileSystemIdOf, fsCopyChecks, restoreTags, tagRestoredFileSystem, waitRestoreJob } from './copy.js';
import type { RestoreFsOptions } from './keys.js';
import { RESTORE_STEPS } from './keys.js';
import { fsPromoteStep } from './promote.js';

/** StartRestoreJob newFileSystem=true, encrypted with the data key, tagged. */
export function restoreFsStep(op: Operation, o: RestoreFsOptions): StepDef {
  return opStep({
    id: RESTORE_STEPS.fs,
    title: 'Restore EFS to a new file system (AWS Backup)',
    estimateSeconds: 1800,
    input: o.recoveryPointArn,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const srcFs = optionalOutput(ctx.ledger, 'storage.stack', 'EfsFileSystemId');
      const role = optionalOutput(ctx.ledger, 'storage.stack', 'BackupRoleArn');
      const kms = optionalOutput(ctx.ledger, 'storage.stack', 'DataKmsKeyArn');
      if (!srcFs || !role)
        throw stepError('RestoreNoBackupRole', `The ledger lacks ${!srcFs ? 'EfsFileSystemId' : 'BackupRoleArn'} for storage.stack.`, {
          hint: `Deploy storage first: dpf deploy --env ${ctx.envCtx.name} --phase storage`,
        });
      let jobId = mine.jobId as string | undefined;
      if (!jobId) {
        const metadata: Record<string, string> = {
          'file-system-id': srcFs,
          newFileSystem: 'true',
          Encrypted: 'true',
          PerformanceMode: 'generalPurpose',
          CreationToken: `${ctx.envCtx.project}-${ctx.envCtx.name}-restore-${op.stamp}`,
          ...(kms ? { KmsKeyId: kms } : {}),
        };
        try {
          jobId = await ops.backup.startRestoreJob(o.recoveryPointArn, role, metadata, 'EFS');
        } catch (err) {
          if (unavailableOnEndpoint(ctx, err))
            throw stepError('RestoreUnavailable', `AWS Backup StartRestoreJob is not available on ${endpointName(ctx)}; nothing was restored.`);
          throw err;
        }
        await ctx.evidence({ jobId, recoveryPointArn: o.recoveryPointArn, metadata });
        ctx.progress(`restore job ${jobId} started from ${o.recoveryPointArn}`);
      } else ctx.progress(`watching restore job ${jobId} started by an earlier run`);
      const job = await waitRestoreJob(ctx, ops, jobId!, {
        deadline: new Date(ctx.clock.now().getTime() + o.timeoutMinutes * 60000),
        onTimeout: (j) =>
          stepError('RestoreTimedOut', `Restore job ${jobId} is still ${j.status} after ${o.timeoutMinutes} min; dpf stopped waiting.`, {
            hint: `The job goes on in AWS. Keep waiting: ${o.rerun}`,
          }),
      });
      const fsId = fileSystemIdOf(job.createdResourceArn);
      if (!fsId) throw stepError('RestoreFailed', `Restore job ${jobId} completed without naming the new file system.`);
      await ctx.evidence({ fileSystemId: fsId });
      const tagged = await tagRestoredFileSystem(ctx, ops, fsId, { ...restoreTags(ctx, op.id), 'dpf:restored-from': srcFs });
      return {
        changed: true,
        summary: `restored into ${fsId}`,
        outputs: { FileSystemId: fsId, JobId: jobId },
        evidence: { jobId, fileSystemId: fsId, createdResourceArn: job.createdResourceArn, tagged },
      };
    },
  });
}

/** The copy: available, encrypted with the key, mount targets. */
export function fsValidateStep(): StepDef {
  return opStep({
    id: RESTORE_STEPS.fsValidate,
    title: 'Validate the restored file system',
    dependsOn: [RESTORE_STEPS.fs],
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const fsId = ctx.output(RESTORE_STEPS.fs, 'FileSystemId');
      const kms = optionalOutput(ctx.ledger, 'storage.stack', 'DataKmsKeyArn');
      const checks = await fsCopyChecks(ops, fsId, kms);
      for (const c of checks) ctx.progress(`${c.status.padEnd(7)} ${c.name}: ${c.detail}`);
      const failed = checks.filter((c) => c.status === 'failed');
      if (failed.length)
        throw stepError('RestoreInvalid', `The restored file system ${fsId} failed ${failed.length} check(s).`, {
          details: failed.map((c) => `${c.name}: ${c.detail}`),
        });
      const mounts = checks.find((c) => c.name === 'mount targets');
      return {
        changed: false,
        summary: `${fsId} valid`,
        outputs: { Valid: 'true', MountTargets: mounts?.status === 'ok' ? 'yes' : 'no' },
        evidence: { checks },
      };
    },
  });
}

export function buildRestoreFsSteps(op: Operation, o: RestoreFsOptions): StepDef[] {
  return [restoreFsStep(op, o), fsValidateStep(), ...(o.promote ? [fsPromoteStep()] : [])];
}
