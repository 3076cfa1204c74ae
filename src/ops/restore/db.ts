/**
 * `dpf restore db|fs`: restore to a NEW resource, validate it, and switch the platform to it
 * only on request (`--promote`, after a confirmation).
 *
 * Steps (phase 'operations'):
 *   operations.restore.db           RestoreDBInstanceFromDBSnapshot / ToPointInTime as
 *                                   <db>-restore-<stamp>, with the platform's subnet group,
 *                                   database security group and parameter group (RDS defaults —
 *                                   default VPC group, default parameter group — are wrong here)
 *   operations.restore.db-validate  available, encrypted, engine and port as the source,
 *                                   network settings as asked, not public, pg_isready from a worker
 *   operations.restore.db-promote   (--promote) /<project>/<env>/rds/endpoint := the copy
 *   operations.restore.fs           StartRestoreJob newFileSystem=true, encrypted, the data key
 *   operations.restore.fs-validate  available, encrypted with the key, mount targets
 *   operations.restore.fs-promote   (--promote) /<project>/<env>/efs/file-system-id := the copy
 */
import type { OpsPorts, RestoreDbInput } from '../../aws/ops-ports.js';
import type { StepDef } from '../../steps/types.js';
import { opStep, optionalOutput, stepError, type Operation } from '../operation.js';
import { anyWorker, probeDbFromWorker } from '../health.js';
import { dbCopyChecks, platformDb, restoreName, restoreTags, waitDbAvailable } from './copy.js';
import type { RestoreDbOptions } from './keys.js';
import { RESTORE_STEPS } from './keys.js';
import { dbPromoteStep } from './promote.js';

/** RestoreDBInstanceFromDBSnapshot / ToPointInTime as a new instance in the platform's network. */
export function restoreDbStep(op: Operation, o: RestoreDbOptions): StepDef {
  return opStep({
    id: RESTORE_STEPS.db,
    title: 'Restore the database to a new instance',
    kind: 'stack',
    estimateSeconds: 900,
    input: o.source,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const p = await platformDb(ops, ctx.ledger, ctx.envCtx.name);
      const target = String(mine.target ?? restoreName(p.identifier, op.stamp));
      const input: RestoreDbInput = {
        targetIdentifier: target,
        subnetGroup: p.subnetGroup,
        securityGroupIds: p.securityGroupIds,
        parameterGroup: p.parameterGroup,
        instanceClass: p.source.instanceClass,
        multiAz: p.source.multiAz,
        tags: { ...restoreTags(ctx, op.id), 'dpf:restored-from': p.identifier },
      };
      let from: string;
      if (await existingCopy(ops, target, mine, op.id, o.rerun)) {
        from = String(mine.restoredFrom ?? 'an earlier run');
        ctx.progress(`${target} already exists (requested by an earlier run); waiting for it`);
      } else if (o.source.kind === 'snapshot') {
        const snap = (await ops.rds.describeSnapshots({ snapshotId: o.source.snapshotId }))[0];
        if (!snap)
          throw stepError('SnapshotNotFound', `Snapshot ${o.source.snapshotId} does not exist.`, {
            hint: `List them with: dpf backup --env ${ctx.envCtx.name} --list`,
          });
        if (snap.status !== 'available')
          throw stepError('SnapshotNotReady', `Snapshot ${o.source.snapshotId} is ${snap.status}, not available.`, { hint: 'Wait for it, then rerun.' });
        from = `snapshot ${o.source.snapshotId}`;
        ctx.progress(
          `restoring ${from} as ${target} (subnet group ${p.subnetGroup}, security group ${p.securityGroupIds.join(',')}, parameter group ${p.parameterGroup ?? 'default'})`,
        );
        await ops.rds.restoreFromSnapshot(o.source.snapshotId, input);
      } else {
        const time = o.source.kind === 'time' ? new Date(o.source.time) : undefined;
        const latest = p.source.latestRestorableTime;
        if (time && latest && time.getTime() > latest.getTime())
          throw stepError(
            'RestoreTimeTooLate',
            `${o.source.kind === 'time' ? o.source.time : ''} is after the latest restorable time of ${p.identifier} (${latest.toISOString()}).`,
            { hint: 'Pick an earlier --time, or use --latest.' },
          );
        from = time ? `${p.identifier} at ${time.toISOString()}` : `${p.identifier} at its latest restorable time${latest ? ` (${latest.toISOString()})` : ''}`;
        ctx.progress(
          `restoring ${from} as ${target} (subnet group ${p.subnetGroup}, security group ${p.securityGroupIds.join(',')}, parameter group ${p.parameterGroup ?? 'default'})`,
        );
        await ops.rds.restoreToPointInTime(p.identifier, { ...input, restoreTime: time, useLatestRestorableTime: !time });
      }
      await ctx.evidence({
        target,
        restoredFrom: from,
        requestedAt: ctx.clock.now().toISOString(),
        subnetGroup: p.subnetGroup,
        securityGroupIds: p.securityGroupIds,
        parameterGroup: p.parameterGroup,
      });
      const copy = await waitDbAvailable(ctx, ops, target, new Date(ctx.clock.now().getTime() + o.timeoutMinutes * 60000), (status) =>
        stepError('RestoreTimedOut', `The restored instance ${target} is still ${status} after ${o.timeoutMinutes} min; dpf stopped waiting.`, {
          hint: `The restore goes on in AWS. Keep waiting: ${o.rerun} (it resumes, no second copy is made), or give up and delete it: aws rds delete-db-instance --db-instance-identifier ${target} --skip-final-snapshot`,
          details: [`source: ${from}`],
        }),
      );
      return {
        changed: true,
        summary: `${target} available (from ${from})`,
        outputs: { DbInstanceIdentifier: target, Endpoint: copy.endpoint ?? '', Port: String(copy.port ?? ''), SourceIdentifier: p.identifier },
        evidence: { target, restoredFrom: from, endpoint: copy.endpoint, availableAt: ctx.clock.now().toISOString() },
      };
    },
  });
}

/**
 * The copy exists already when an earlier run of this operation requested it: recorded in its
 * evidence, or tagged with the operation (a run may die between the request and its evidence).
 * An instance of that name that is neither is someone else's, never taken for the copy.
 */
async function existingCopy(ops: OpsPorts, target: string, mine: Record<string, unknown>, opId: string, rerun: string): Promise<boolean> {
  const existing = await ops.rds.describeInstance(target);
  if (!existing) return false;
  if (mine.target !== undefined || existing.tags['dpf:operation'] === opId) return true;
  throw stepError(
    'RestoreTargetTaken',
    `A DB instance named ${target} already exists and this restore did not make it (dpf:operation ${existing.tags['dpf:operation'] ?? 'not tagged'}); dpf will not take it for the copy.`,
    { hint: `Look at it (aws rds describe-db-instances --db-instance-identifier ${target}); start a new restore, which gets a new name: ${rerun} --new` },
  );
}

/** The copy: available, encrypted, engine and port as the source, network as asked, reachable from a worker. */
export function dbValidateStep(o: RestoreDbOptions): StepDef {
  return opStep({
    id: RESTORE_STEPS.dbValidate,
    title: 'Validate the restored database',
    dependsOn: [RESTORE_STEPS.db],
    estimateSeconds: 60,
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const p = await platformDb(ops, ctx.ledger, ctx.envCtx.name);
      const target = ctx.output(RESTORE_STEPS.db, 'DbInstanceIdentifier');
      const copy = await ops.rds.describeInstance(target);
      if (!copy) throw stepError('RestoreVanished', `The restored instance ${target} no longer exists.`, { hint: `Run the restore again: ${o.rerun} --new` });
      const checks = dbCopyChecks(copy, {
        engine: p.source.engine,
        port: p.source.port,
        subnetGroup: p.subnetGroup,
        securityGroupIds: p.securityGroupIds,
        parameterGroup: p.parameterGroup,
      });
      const worker = await anyWorker(ops, optionalOutput(ctx.ledger, 'compute.stack', 'WorkerAutoScalingGroupName'));
      checks.push(await probeDbFromWorker(ctx, ops, worker, copy.endpoint, copy.port ?? 5432));
      for (const c of checks) ctx.progress(`${c.status.padEnd(7)} ${c.name}: ${c.detail}`);
      const failed = checks.filter((c) => c.status === 'failed');
      if (failed.length)
        throw stepError('RestoreInvalid', `The restored instance ${target} failed ${failed.length} check(s).`, {
          details: failed.map((c) => `${c.name}: ${c.detail}`),
          hint: 'Do not promote it. Fix the cause (or restore again with --new) and rerun.',
        });
      const unknown = checks.filter((c) => c.status === 'unknown');
      for (const c of unknown) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `${c.name}: unknown — ${c.detail}` });
      return {
        changed: false,
        summary: `${checks.length - unknown.length} check(s) ok${unknown.length ? `, ${unknown.length} unknown` : ''}`,
        outputs: { Valid: 'true', Unknown: String(unknown.length) },
        evidence: { checks },
      };
    },
  });
}

export function buildRestoreDbSteps(op: Operation, o: RestoreDbOptions): StepDef[] {
  return [restoreDbStep(op, o), dbValidateStep(o), ...(o.promote ? [dbPromoteStep()] : [])];
}
