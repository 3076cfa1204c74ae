/** The isolated copies of the platform's database and file system, and their validation. */
import type { DbInstanceInfo, OpsPorts, RecoveryPointInfo } from '../../aws/ops-ports.js';
import type { StepContext, StepDef, StepResult } from '../../steps/types.js';
import { pollUntil } from '../../wait.js';
import { opStep, optionalOutput, unavailableOnEndpoint, stepError, endpointName, noVaultReason, type Operation } from '../operation.js';
import {
  platformDb,
  type PlatformDb,
  waitDbAvailable,
  dbCopyChecks,
  fsCopyChecks,
  fileSystemIdOf,
  restoreTags,
  tagRestoredFileSystem,
  waitRestoreJob,
} from '../restore/copy.js';
import { efsArn } from '../backup/keys.js';
import { type Check, type CheckStatus } from '../report.js';
import { DRILL_STEPS, deadlineOf, capError, drillName } from './keys.js';

/** Point-in-time restore of the database to its latest restorable time, isolated. */
export function restoreDbStep(op: Operation): StepDef {
  return opStep({
    id: DRILL_STEPS.restoreDb,
    title: 'Restore the database to its latest restorable time (isolated)',
    kind: 'stack',
    // After the canary: the restore must be able to contain it (see the wait below).
    dependsOn: [DRILL_STEPS.isolate, DRILL_STEPS.canary],
    estimateSeconds: 900,
    run: (ctx, mine) => runRestoreDb(op, ctx, mine),
  });
}

/** EFS from its latest recovery point (AWS Backup). */
export function restoreFsStep(op: Operation): StepDef {
  return opStep({
    id: DRILL_STEPS.restoreFs,
    title: 'Restore EFS from its latest recovery point (isolated)',
    dependsOn: [DRILL_STEPS.isolate],
    estimateSeconds: 1800,
    run: (ctx, mine) => runRestoreFs(op, ctx, mine),
  });
}

async function runRestoreDb(op: Operation, ctx: StepContext, mine: Record<string, unknown>): Promise<StepResult> {
  const ops = await ctx.aws.ops();
  const p = await platformDb(ops, ctx.ledger, ctx.envCtx.name);
  const sg = ctx.output(DRILL_STEPS.isolate, 'SecurityGroupId');
  const target = `${drillName(ctx.envCtx, op.stamp)}-db`;
  let restorePoint = mine.restorePoint as string | undefined;
  let rpoPoint = mine.rpoPoint as string | undefined;
  if (!(await ops.rds.describeInstance(target))) {
    // The RPO is measured from what a disaster at drill start would have recovered: the
    // latest restorable time as it was then, before any waiting for the canary.
    rpoPoint = p.source.latestRestorableTime?.toISOString();
    await ctx.evidence({ rpoPoint });
    const source = await waitForCanaryInLogs(ctx, op, ops, p);
    const lrt = source.latestRestorableTime;
    if (!lrt)
      throw stepError(
        'DrillNoRestorableTime',
        `${p.identifier} has no latest restorable time (automated backups off?): no point-in-time restore is possible.`,
        { hint: 'Set storage.rds.backupRetentionDays ≥ 1 and deploy storage.' },
      );
    restorePoint = lrt.toISOString();
    ctx.progress(
      `restoring ${p.identifier} to its latest restorable time ${restorePoint} as ${target} (subnet group ${p.subnetGroup}, security group ${sg} only, parameter group ${p.parameterGroup ?? 'default'})`,
    );
    await ops.rds.restoreToPointInTime(p.identifier, {
      targetIdentifier: target,
      subnetGroup: p.subnetGroup,
      securityGroupIds: [sg],
      parameterGroup: p.parameterGroup,
      instanceClass: p.source.instanceClass,
      multiAz: false,
      useLatestRestorableTime: true,
      tags: restoreTags(ctx, op.id, 'drill'),
    });
    await ctx.evidence({ target, restorePoint, requestedAt: ctx.clock.now().toISOString() });
  } else ctx.progress(`${target} already requested by this drill; waiting for it`);
  const copy = await waitDbAvailable(ctx, ops, target, deadlineOf(op, ctx.envCtx.env), (status) => capError(op, ctx, target, status));
  const at = ctx.clock.now().toISOString();
  return {
    changed: true,
    summary: `${target} available (restore point ${restorePoint ?? 'unknown'})`,
    outputs: {
      DbInstanceIdentifier: target,
      RestorePoint: restorePoint ?? '',
      RpoPoint: rpoPoint ?? restorePoint ?? '',
      AvailableAt: at,
      Source: p.identifier,
    },
    evidence: { target, restorePoint, rpoPoint, availableAt: at, endpoint: copy.endpoint, source: p.identifier },
  };
}

/**
 * RDS uploads transaction logs about every 5 minutes, so right after the canary write the latest
 * restorable time is still older than it: wait (bounded) until it passes the canary, or the
 * restored copy cannot contain the canary and the drill would fail for no reason.
 */
async function waitForCanaryInLogs(ctx: StepContext, op: Operation, ops: OpsPorts, p: PlatformDb): Promise<DbInstanceInfo> {
  const canaryAt = new Date(ctx.output(DRILL_STEPS.canary, 'CanaryAt'));
  const waitUntil = Math.min(deadlineOf(op, ctx.envCtx.env).getTime(), ctx.clock.now().getTime() + 15 * 60_000);
  let source = p.source;
  let first = true;
  const waited = await pollUntil(
    { clock: ctx.clock, signal: ctx.signal, progress: (m) => ctx.progress(m) },
    {
      what: `${p.identifier}'s latest restorable time`,
      read: async () => (first ? ((first = false), source) : (source = (await ops.rds.describeInstance(p.identifier)) ?? source)),
      state: (s) => (s.latestRestorableTime && s.latestRestorableTime >= canaryAt ? 'done' : 'waiting'),
      describe: (s) =>
        `${s.latestRestorableTime?.toISOString() ?? 'none'}; waiting for it to pass the canary write (${canaryAt.toISOString()}): RDS ships transaction logs about every 5 minutes`,
      deadline: waitUntil,
      minMs: 30_000,
      maxMs: 30_000,
    },
  );
  if (waited.ended === 'timed-out')
    ctx.progress(
      `${p.identifier}'s latest restorable time (${source.latestRestorableTime?.toISOString() ?? 'none'}) has not passed the canary (${canaryAt.toISOString()}) after waiting; restoring anyway — the canary check will say so`,
    );
  return source;
}

async function runRestoreFs(op: Operation, ctx: StepContext, mine: Record<string, unknown>): Promise<StepResult> {
  const ops = await ctx.aws.ops();
  const fsId = optionalOutput(ctx.ledger, 'storage.stack', 'EfsFileSystemId');
  const vault = optionalOutput(ctx.ledger, 'storage.stack', 'BackupVaultName');
  const role = optionalOutput(ctx.ledger, 'storage.stack', 'BackupRoleArn');
  const kms = optionalOutput(ctx.ledger, 'storage.stack', 'DataKmsKeyArn');
  const unmeasured = (reason: string) => unmeasuredFs(ctx, reason);
  if (!fsId) return unmeasured('the ledger has no EfsFileSystemId');
  if (!vault || !role) return unmeasured(noVaultReason(ctx, !vault ? 'BackupVaultName' : 'BackupRoleArn'));
  let point = mine.recoveryPointArn
    ? { arn: String(mine.recoveryPointArn), created: mine.recoveryPointCreated ? new Date(String(mine.recoveryPointCreated)) : undefined }
    : undefined;
  let jobId = mine.jobId as string | undefined;
  if (!jobId) {
    const started = await startFsRestore(ctx, op, ops, { fsId, vault, role, kms });
    if ('unmeasured' in started) return unmeasured(started.unmeasured);
    ({ jobId, point } = started);
  }
  const job = await waitRestoreJob(ctx, ops, jobId!, {
    deadline: deadlineOf(op, ctx.envCtx.env),
    onTimeout: (j) => capError(op, ctx, `restore job ${jobId}`, j.status),
  });
  const newFs = fileSystemIdOf(job.createdResourceArn);
  if (!newFs)
    throw stepError('RestoreFailed', `Restore job ${jobId} completed without naming the new file system: dpf cannot validate it, nor tear it down.`, {
      hint: `Find it by its creation token ${drillName(ctx.envCtx, op.stamp)} (aws efs describe-file-systems --creation-token ${drillName(ctx.envCtx, op.stamp)}) and delete it by hand.`,
    });
  await ctx.evidence({ fileSystemId: newFs });
  await tagRestoredFileSystem(ctx, ops, newFs, restoreTags(ctx, op.id, 'drill'));
  const at = ctx.clock.now().toISOString();
  return {
    changed: true,
    summary: `${newFs} from ${point?.arn}`,
    outputs: {
      Status: 'restored',
      FileSystemId: newFs ?? '',
      RecoveryPointArn: point?.arn ?? '',
      RestorePoint: point?.created?.toISOString() ?? '',
      AvailableAt: at,
    },
    evidence: {
      status: 'restored',
      jobId,
      fileSystemId: newFs,
      recoveryPointArn: point?.arn,
      recoveryPointCreated: point?.created?.toISOString(),
      availableAt: at,
    },
  };
}

function unmeasuredFs(ctx: StepContext, reason: string): StepResult {
  ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `file system not restored, so not measured: ${reason}` });
  return {
    changed: false,
    summary: `not measured: ${reason}`,
    outputs: { Status: 'unmeasured', Reason: reason },
    evidence: { status: 'unmeasured', reason },
  };
}

/** Starts the restore job from the latest completed recovery point, or says why it cannot be measured. */
async function startFsRestore(
  ctx: StepContext,
  op: Operation,
  ops: OpsPorts,
  { fsId, vault, role, kms }: { fsId: string; vault: string; role: string; kms?: string },
): Promise<{ jobId: string; point: { arn: string; created: Date | undefined } } | { unmeasured: string }> {
  let jobId: string;
  let points: RecoveryPointInfo[];
  try {
    points = await ops.backup.listRecoveryPoints(vault, efsArn(ctx.envCtx, fsId));
  } catch (err) {
    if (unavailableOnEndpoint(ctx, err)) return { unmeasured: `AWS Backup recovery points are not available on ${endpointName(ctx)}` };
    throw err;
  }
  const latest = points.filter((p) => p.status === 'COMPLETED').sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0))[0];
  if (!latest) return { unmeasured: `vault ${vault} has no completed recovery point of ${fsId}` };
  const point = { arn: latest.arn, created: latest.created };
  try {
    jobId = await ops.backup.startRestoreJob(
      latest.arn,
      role,
      {
        'file-system-id': fsId,
        newFileSystem: 'true',
        Encrypted: 'true',
        PerformanceMode: 'generalPurpose',
        CreationToken: drillName(ctx.envCtx, op.stamp),
        ...(kms ? { KmsKeyId: kms } : {}),
      },
      'EFS',
    );
  } catch (err) {
    if (unavailableOnEndpoint(ctx, err)) return { unmeasured: `AWS Backup StartRestoreJob is not available on ${endpointName(ctx)}` };
    throw err;
  }
  await ctx.evidence({ jobId, recoveryPointArn: latest.arn, recoveryPointCreated: latest.created?.toISOString() });
  ctx.progress(`restore job ${jobId} from ${latest.arn} (created ${latest.created?.toISOString() ?? '?'})`);
  return { jobId, point };
}

/** The copies' checks; the canary covered by the restore point. */
export function validateStep(): StepDef {
  return opStep({
    id: DRILL_STEPS.validate,
    title: 'Validate the restored copies and the canary',
    // Not on the DR steps: the stores' RTO must not include the DR region's stack creation.
    dependsOn: [DRILL_STEPS.canary, DRILL_STEPS.restoreDb, DRILL_STEPS.restoreFs],
    estimateSeconds: 30,
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const p = await platformDb(ops, ctx.ledger, ctx.envCtx.name);
      const sg = ctx.output(DRILL_STEPS.isolate, 'SecurityGroupId');
      const target = ctx.output(DRILL_STEPS.restoreDb, 'DbInstanceIdentifier');
      const copy = await ops.rds.describeInstance(target);
      const dbChecks: Check[] = copy
        ? dbCopyChecks(copy, {
            engine: p.source.engine,
            port: p.source.port,
            subnetGroup: p.subnetGroup,
            securityGroupIds: [sg],
            parameterGroup: p.parameterGroup,
          })
        : [{ name: 'exists', status: 'failed', detail: `${target} not found` }];
      // The canary row is committed before the restore point iff the copy contains it.
      const canaryAt = ctx.output(DRILL_STEPS.canary, 'CanaryAt');
      const canaryDb = ctx.output(DRILL_STEPS.canary, 'Database') as CheckStatus;
      const rp = ctx.output(DRILL_STEPS.restoreDb, 'RestorePoint');
      if (canaryDb === 'ok')
        dbChecks.push(
          rp && new Date(rp) >= new Date(canaryAt)
            ? { name: 'canary covered', status: 'ok', detail: `canary row written ${canaryAt}, restore point ${rp}: the copy contains it` }
            : {
                name: 'canary covered',
                status: 'failed',
                detail: `canary row written ${canaryAt} is newer than the restore point ${rp || 'unknown'}: the copy lacks it`,
              },
        );
      else
        dbChecks.push({
          name: 'canary covered',
          status: canaryDb === 'failed' ? 'failed' : 'unknown',
          detail:
            canaryDb === 'failed' ? 'the canary row could not be written' : 'the canary write was not confirmed (no SSM output): only its time is recorded',
        });
      const dbValidatedAt = ctx.clock.now().toISOString();

      const fsStatus = ctx.output(DRILL_STEPS.restoreFs, 'Status');
      let fsChecks: Check[] = [];
      let fsValidatedAt: string | undefined;
      if (fsStatus === 'restored') {
        const kms = optionalOutput(ctx.ledger, 'storage.stack', 'DataKmsKeyArn');
        fsChecks = (await fsCopyChecks(ops, ctx.output(DRILL_STEPS.restoreFs, 'FileSystemId'), kms)).filter((c) => c.name !== 'mount targets');
        fsValidatedAt = ctx.clock.now().toISOString();
      }
      const all = [...dbChecks.map((c) => ({ ...c, name: `database: ${c.name}` })), ...fsChecks.map((c) => ({ ...c, name: `file system: ${c.name}` }))];
      for (const c of all) ctx.progress(`${c.status.padEnd(7)} ${c.name}: ${c.detail}`);
      const failed = all.filter((c) => c.status === 'failed');
      return {
        changed: false,
        summary: `${all.length - failed.length}/${all.length} check(s) not failed${failed.length ? `; FAILED: ${failed.map((c) => c.name).join(', ')}` : ''}`,
        outputs: {
          DbValidatedAt: dbValidatedAt,
          FsValidatedAt: fsValidatedAt ?? '',
          DbFailed: String(dbChecks.filter((c) => c.status === 'failed').length),
          FsFailed: String(fsChecks.filter((c) => c.status === 'failed').length),
        },
        evidence: { checks: all },
      };
    },
  });
}
