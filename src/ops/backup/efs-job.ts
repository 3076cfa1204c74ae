/**
 * `dpf backup`'s EFS part: an AWS Backup job of the platform's file system into its vault.
 * Where the endpoint has no AWS Backup (the emulator) the step is done with status
 * "unavailable" and the reason; on AWS a missing vault or role is a broken deploy and fails.
 */
import type { BackupJobInfo, BackupPort } from '../../aws/ops-ports.js';
import type { StepContext, StepDef, StepResult } from '../../steps/types.js';
import { opStep, optionalOutput, unavailableOnEndpoint, waitFor, stepError, endpointName, noVaultReason, type Operation } from '../operation.js';
import { isCustomEndpoint } from '../../aws/endpoint.js';
import { clientToken } from '../../steps/tokens.js';
import { BACKUP_STEPS, efsArn, type BackupOptions } from './keys.js';

/** What is backed up where, from storage.stack's outputs. */
interface Target {
  fsId: string;
  vault: string;
  role: string;
  resourceArn: string;
}

/** Why the backup cannot be taken here, and what the ledger did name. */
interface Unavailable {
  unavailable: string;
  fsId?: string;
  vault?: string;
}

export function efsBackupStep(op: Operation, o: BackupOptions): StepDef {
  return opStep({
    id: BACKUP_STEPS.efs,
    title: 'EFS backup job (AWS Backup)',
    estimateSeconds: 900,
    async run(ctx, mine): Promise<StepResult> {
      const ops = await ctx.aws.ops();
      const t = backupTarget(ctx);
      if ('unavailable' in t) return notBackedUp(ctx, t);
      const jobId = await jobToWatch(ctx, op, ops.backup, t, mine.jobId as string | undefined);
      if (typeof jobId !== 'string') return notBackedUp(ctx, jobId);
      const job = await waitForJob(ctx, ops.backup, jobId, o.timeoutMinutes);
      return {
        changed: true,
        summary: `recovery point ${job.recoveryPointArn ?? '?'}`,
        outputs: { Status: 'completed', JobId: jobId, RecoveryPointArn: job.recoveryPointArn ?? '' },
        evidence: {
          status: 'completed',
          jobId,
          vault: t.vault,
          resourceArn: t.resourceArn,
          recoveryPointArn: job.recoveryPointArn,
          completed: job.completed?.toISOString(),
        },
      };
    },
  });
}

/** The file system, vault and backup role storage.stack made; on AWS a missing one is refused (a broken deploy, never "unavailable"). */
function backupTarget(ctx: StepContext): Target | Unavailable {
  const fsId = optionalOutput(ctx.ledger, 'storage.stack', 'EfsFileSystemId');
  const vault = optionalOutput(ctx.ledger, 'storage.stack', 'BackupVaultName');
  const role = optionalOutput(ctx.ledger, 'storage.stack', 'BackupRoleArn');
  const missing = !fsId ? 'EfsFileSystemId' : !vault ? 'BackupVaultName' : !role ? 'BackupRoleArn' : undefined;
  if (missing && !isCustomEndpoint(ctx.settings.endpoint))
    throw stepError('BackupNoVault', `The file system was NOT backed up: the ledger has no ${missing} output of storage.stack.`, {
      hint: `Deploy storage again (it makes the file system, the vault and the backup role): dpf deploy --env ${ctx.envCtx.name} --phase storage`,
    });
  if (!fsId) return { unavailable: 'the ledger has no EfsFileSystemId for storage.stack', vault };
  if (!vault || !role) return { unavailable: noVaultReason(ctx, !vault ? 'BackupVaultName' : 'BackupRoleArn'), fsId, vault };
  return { fsId, vault, role, resourceArn: efsArn(ctx.envCtx, fsId) };
}

/** The step done without a backup: a warning, and the reason in its outputs and evidence. */
function notBackedUp(ctx: StepContext, u: Unavailable): StepResult {
  const reason = u.unavailable;
  ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `EFS backup not taken: ${reason}` });
  return {
    changed: false,
    summary: `EFS backup not available: ${reason}`,
    outputs: { Status: 'unavailable', Reason: reason },
    evidence: { status: 'unavailable', reason, fileSystemId: u.fsId, vault: u.vault },
  };
}

/**
 * The job an earlier run of this operation started, or a new one (StartBackupJob, its id recorded
 * before the wait); Unavailable when the endpoint has no AWS Backup.
 */
async function jobToWatch(ctx: StepContext, op: Operation, backup: BackupPort, t: Target, earlier: string | undefined): Promise<string | Unavailable> {
  if (earlier) {
    ctx.progress(`watching backup job ${earlier} started by an earlier run`);
    return earlier;
  }
  let jobId: string;
  try {
    // One token per operation and step: a resumed backup (the job id lost with a killed run) starts no second job.
    jobId = await backup.startBackupJob(t.vault, t.resourceArn, t.role, clientToken(op.id, ctx.stepId, 1, 'backup'));
  } catch (err) {
    if (unavailableOnEndpoint(ctx, err))
      return { unavailable: `AWS Backup StartBackupJob is not available on ${endpointName(ctx)}`, fsId: t.fsId, vault: t.vault };
    throw err;
  }
  await ctx.evidence({ jobId, vault: t.vault, resourceArn: t.resourceArn });
  ctx.progress(`backup job ${jobId} started for ${t.fsId} into vault ${t.vault}`);
  return jobId;
}

function waitForJob(ctx: StepContext, backup: BackupPort, jobId: string, timeoutMinutes: number): Promise<BackupJobInfo> {
  return waitFor(ctx, {
    stepId: ctx.stepId,
    what: `backup job ${jobId}`,
    read: () => backup.describeBackupJob(jobId),
    state: (j) => (j.state === 'COMPLETED' ? 'done' : ['FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL'].includes(j.state) ? 'failed' : 'waiting'),
    describe: (j) => j.state,
    deadline: new Date(ctx.clock.now().getTime() + timeoutMinutes * 60000),
    onTimeout: (j) =>
      stepError('BackupTimedOut', `Backup job ${jobId} is still ${j.state} after ${timeoutMinutes} min.`, {
        hint: `It keeps going in AWS; rerun dpf backup --env ${ctx.envCtx.name} to keep waiting.`,
      }),
    onFailed: (j) => stepError('BackupFailed', `Backup job ${jobId} ended ${j.state}: ${j.statusMessage ?? 'no message'}.`),
  });
}
