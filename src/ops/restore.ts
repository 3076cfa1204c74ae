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
import type { DbInstanceInfo, OpsPorts, RestoreDbInput } from '../aws/ops-ports.js';
import type { StepContext, StepDef, StepResult } from '../steps/types.js';
import type { Ledger } from '../state/ledger.js';
import { NotConfirmedError, errorMessage } from '../errors.js';
import { opStep, optionalOutput, unavailableOnEndpoint, waitFor, stepError, endpointName, type Operation } from './operation.js';
import { anyWorker, probeDbFromWorker } from './health.js';
import type { Check } from './report.js';

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
export function restoreTags(ctx: Pick<StepContext, 'envCtx'>, operationId: string, purpose: 'restore' | 'drill' = 'restore'): Record<string, string> {
  return { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, [purpose === 'drill' ? 'dpf:drill' : 'dpf:operation']: operationId, 'dpf:purpose': purpose };
}

/**
 * Tag a file system an AWS Backup restore created (the EFS restore takes no tags). A failure is a
 * warning, not a failed restore: the ledger records the copy as well.
 */
export async function tagRestoredFileSystem(ctx: StepContext, ops: OpsPorts, fsId: string, tags: Record<string, string>): Promise<boolean> {
  try {
    await ops.efs.tagFileSystem(fsId, tags);
    return true;
  } catch (err) {
    ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `could not tag ${fsId} (${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(', ')}): ${errorMessage(err)}` });
    return false;
  }
}

export type DbSource = { kind: 'snapshot'; snapshotId: string } | { kind: 'time'; time: string } | { kind: 'latest' };

export interface PlatformDb {
  identifier: string;
  source: DbInstanceInfo;
  subnetGroup: string;
  securityGroupIds: string[];
  parameterGroup?: string;
}

/**
 * The platform's database and the network settings every copy must get. The ledger's outputs
 * come first; the source instance's own settings fill what the ledger lacks (an emulator drops
 * some outputs of stacks made through change sets).
 */
export async function platformDb(ops: OpsPorts, ledger: Ledger, env: string): Promise<PlatformDb> {
  const identifier = optionalOutput(ledger, 'storage.stack', 'DbInstanceIdentifier');
  if (!identifier) throw stepError('NoDatabase', 'The ledger has no DbInstanceIdentifier for storage.stack.', { hint: `Deploy storage first: dpf deploy --env ${env} --phase storage` });
  const source = await ops.rds.describeInstance(identifier);
  if (!source) throw stepError('NoDatabase', `The platform's database ${identifier} does not exist.`, { hint: 'Restore from a snapshot with --snapshot (a deleted instance cannot be restored to a point in time unless its automated backups were retained).' });
  const subnetGroup = optionalOutput(ledger, 'storage.stack', 'DbSubnetGroupName') ?? source.subnetGroup;
  const sg = optionalOutput(ledger, 'network.stack', 'DatabaseSecurityGroupId');
  const securityGroupIds = sg ? [sg] : source.securityGroupIds;
  const parameterGroup = optionalOutput(ledger, 'storage.stack', 'DbParameterGroupName') ?? source.parameterGroups[0];
  if (!subnetGroup) throw stepError('NoSubnetGroup', `Neither the ledger nor ${identifier} names a DB subnet group; a restore would land in the default VPC.`);
  return { identifier, source, subnetGroup, securityGroupIds, parameterGroup };
}

/** "<db>-restore-<stamp>", cut to RDS's 63 characters. */
export function restoreName(db: string, stamp: string, word = 'restore'): string {
  const suffix = `-${word}-${stamp}`;
  return `${db.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

const DB_FAILED = new Set(['failed', 'incompatible-restore', 'incompatible-parameters', 'incompatible-network', 'storage-full', 'inaccessible-encryption-credentials', 'restore-error']);

/** Wait until a DB instance is available (or failed / gone / past the deadline). */
export async function waitDbAvailable(ctx: StepContext, ops: OpsPorts, id: string, deadline: Date, onTimeout: (status: string) => ReturnType<typeof stepError>): Promise<DbInstanceInfo> {
  const inst = await waitFor<DbInstanceInfo | undefined>(ctx, {
    stepId: ctx.stepId,
    what: `DB instance ${id}`,
    read: () => ops.rds.describeInstance(id),
    state: (d) => (d?.status === 'available' ? 'done' : d && DB_FAILED.has(d.status) ? 'failed' : 'waiting'),
    describe: (d) => d?.status ?? 'not visible yet',
    deadline,
    minMs: 10000,
    maxMs: 60000,
    onTimeout: (d) => onTimeout(d?.status ?? 'not visible'),
    onFailed: (d) => stepError('RestoreFailed', `DB instance ${id} ended ${d?.status}.`, { hint: 'See the instance events in the RDS console; delete it and run the restore again.' }),
  });
  return inst!;
}

/** Checks a restored DB copy must pass (pure). */
export function dbCopyChecks(copy: DbInstanceInfo, want: { engine: string; port?: number; subnetGroup: string; securityGroupIds: string[]; parameterGroup?: string }): Check[] {
  const same = (a: string[], b: string[]) => [...a].sort().join(',') === [...b].sort().join(',');
  return [
    { name: 'status', status: copy.status === 'available' ? 'ok' : 'failed', detail: copy.status },
    { name: 'encrypted at rest', status: copy.encrypted ? 'ok' : 'failed', detail: copy.encrypted ? 'StorageEncrypted' : 'NOT encrypted' },
    { name: 'engine', status: copy.engine === want.engine ? 'ok' : 'failed', detail: `${copy.engine} ${copy.engineVersion ?? ''}`.trim() + (copy.engine === want.engine ? '' : ` (source: ${want.engine})`) },
    { name: 'port', status: want.port === undefined || copy.port === want.port ? 'ok' : 'failed', detail: `${copy.port ?? '?'}${want.port !== undefined && copy.port !== want.port ? ` (source: ${want.port})` : ''}` },
    { name: 'subnet group', status: copy.subnetGroup === want.subnetGroup ? 'ok' : 'failed', detail: `${copy.subnetGroup ?? 'none'}${copy.subnetGroup === want.subnetGroup ? '' : ` (wanted ${want.subnetGroup})`}` },
    { name: 'security groups', status: same(copy.securityGroupIds, want.securityGroupIds) ? 'ok' : 'failed', detail: `${copy.securityGroupIds.join(', ') || 'none'}${same(copy.securityGroupIds, want.securityGroupIds) ? '' : ` (wanted ${want.securityGroupIds.join(', ')})`}` },
    {
      name: 'parameter group',
      status: !want.parameterGroup || copy.parameterGroups.includes(want.parameterGroup) ? 'ok' : 'failed',
      detail: `${copy.parameterGroups.join(', ') || 'none'}${!want.parameterGroup || copy.parameterGroups.includes(want.parameterGroup) ? '' : ` (wanted ${want.parameterGroup})`}`,
    },
    { name: 'not publicly accessible', status: copy.publiclyAccessible ? 'failed' : 'ok', detail: copy.publiclyAccessible ? 'PUBLIC' : 'private' },
  ];
}

export interface RestoreDbOptions {
  source: DbSource;
  promote: boolean;
  /** Give up waiting for the copy after this long (default 120 min); the restore goes on in AWS. */
  timeoutMinutes: number;
  /** For hints: how to run this again. */
  rerun: string;
}

export function buildRestoreDbSteps(op: Operation, o: RestoreDbOptions): StepDef[] {
  const restore = opStep(op, {
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
      if (await ops.rds.describeInstance(target)) {
        from = String(mine.restoredFrom ?? 'an earlier run');
        ctx.progress(`${target} already exists (requested by an earlier run); waiting for it`);
      } else if (o.source.kind === 'snapshot') {
        const snap = (await ops.rds.describeSnapshots({ snapshotId: o.source.snapshotId }))[0];
        if (!snap) throw stepError('SnapshotNotFound', `Snapshot ${o.source.snapshotId} does not exist.`, { hint: `List them with: dpf backup --env ${ctx.envCtx.name} --list` });
        if (snap.status !== 'available') throw stepError('SnapshotNotReady', `Snapshot ${o.source.snapshotId} is ${snap.status}, not available.`, { hint: 'Wait for it, then rerun.' });
        from = `snapshot ${o.source.snapshotId}`;
        ctx.progress(`restoring ${from} as ${target} (subnet group ${p.subnetGroup}, security group ${p.securityGroupIds.join(',')}, parameter group ${p.parameterGroup ?? 'default'})`);
        await ops.rds.restoreFromSnapshot(o.source.snapshotId, input);
      } else {
        const time = o.source.kind === 'time' ? new Date(o.source.time) : undefined;
        const latest = p.source.latestRestorableTime;
        if (time && latest && time.getTime() > latest.getTime())
          throw stepError('RestoreTimeTooLate', `${o.source.kind === 'time' ? o.source.time : ''} is after the latest restorable time of ${p.identifier} (${latest.toISOString()}).`, { hint: 'Pick an earlier --time, or use --latest.' });
        from = time ? `${p.identifier} at ${time.toISOString()}` : `${p.identifier} at its latest restorable time${latest ? ` (${latest.toISOString()})` : ''}`;
        ctx.progress(`restoring ${from} as ${target} (subnet group ${p.subnetGroup}, security group ${p.securityGroupIds.join(',')}, parameter group ${p.parameterGroup ?? 'default'})`);
        await ops.rds.restoreToPointInTime(p.identifier, { ...input, restoreTime: time, useLatestRestorableTime: !time });
      }
      await ctx.evidence({ target, restoredFrom: from, requestedAt: ctx.clock.now().toISOString(), subnetGroup: p.subnetGroup, securityGroupIds: p.securityGroupIds, parameterGroup: p.parameterGroup });
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

  const validate = opStep(op, {
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
      const checks = dbCopyChecks(copy, { engine: p.source.engine, port: p.source.port, subnetGroup: p.subnetGroup, securityGroupIds: p.securityGroupIds, parameterGroup: p.parameterGroup });
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

  const steps = [restore, validate];
  if (o.promote)
    steps.push(
      opStep(op, {
        id: RESTORE_STEPS.dbPromote,
        title: 'Switch the platform to the restored database',
        kind: 'gate',
        dependsOn: [RESTORE_STEPS.dbValidate],
        async run(ctx) {
          const ops = await ctx.aws.ops();
          const target = ctx.output(RESTORE_STEPS.db, 'DbInstanceIdentifier');
          const endpoint = ctx.output(RESTORE_STEPS.db, 'Endpoint');
          const name = `/${ctx.envCtx.project}/${ctx.envCtx.name}/rds/endpoint`;
          return promoteParameter(ctx, ops, name, endpoint, `the database ${target}`);
        },
      }),
    );
  return steps;
}

/** Point an SSM parameter the nodes read at the copy, after a confirmation; the old value is kept as evidence. */
async function promoteParameter(ctx: StepContext, ops: OpsPorts, name: string, value: string, what: string): Promise<StepResult> {
  if (!value) throw stepError('PromoteNoValue', `Nothing to promote: ${what} has no value for ${name}.`);
  const previous = await ops.ssm.getParameter(name);
  if (previous === value) return { changed: false, summary: `${name} already points at ${value}`, outputs: { Parameter: name, Value: value, Previous: previous ?? '' }, evidence: { parameter: name, previous, value } };
  const q = `Switch environment ${ctx.envCtx.name} to ${what}: set ${name} from ${previous ?? '(unset)'} to ${value}? Nodes pick it up at their next configuration run.`;
  if (!(await ctx.io.confirm({ stepId: ctx.stepId, question: q, defaultAnswer: true }))) throw new NotConfirmedError(q, 'declined');
  await ops.ssm.putParameter(name, value, true);
  ctx.io.notify({ type: 'info', stepId: ctx.stepId, message: `${name} = ${value} (was ${previous ?? 'unset'}). To switch back: aws ssm put-parameter --name ${name} --value ${previous ?? '<old value>'} --overwrite` });
  return { changed: true, summary: `${name} → ${value}`, outputs: { Parameter: name, Value: value, Previous: previous ?? '' }, evidence: { parameter: name, previous, value, switchedAt: ctx.clock.now().toISOString() } };
}

// ---------- EFS ----------

export interface RestoreFsOptions {
  recoveryPointArn: string;
  promote: boolean;
  timeoutMinutes: number;
  rerun: string;
}

/** The id at the end of an EFS ARN ("…:file-system/fs-123" → "fs-123"). */
export function fileSystemIdOf(arn: string | undefined): string | undefined {
  return arn?.split('/').pop() || undefined;
}

export function buildRestoreFsSteps(op: Operation, o: RestoreFsOptions): StepDef[] {
  const restore = opStep(op, {
    id: RESTORE_STEPS.fs,
    title: 'Restore EFS to a new file system (AWS Backup)',
    estimateSeconds: 1800,
    input: o.recoveryPointArn,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const srcFs = optionalOutput(ctx.ledger, 'storage.stack', 'EfsFileSystemId');
      const role = optionalOutput(ctx.ledger, 'storage.stack', 'BackupRoleArn');
      const kms = optionalOutput(ctx.ledger, 'storage.stack', 'DataKmsKeyArn');
      if (!srcFs || !role) throw stepError('RestoreNoBackupRole', `The ledger lacks ${!srcFs ? 'EfsFileSystemId' : 'BackupRoleArn'} for storage.stack.`, { hint: `Deploy storage first: dpf deploy --env ${ctx.envCtx.name} --phase storage` });
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
          if (unavailableOnEndpoint(ctx, err)) throw stepError('RestoreUnavailable', `AWS Backup StartRestoreJob is not available on ${endpointName(ctx)}; nothing was restored.`);
          throw err;
        }
        await ctx.evidence({ jobId, recoveryPointArn: o.recoveryPointArn, metadata });
        ctx.progress(`restore job ${jobId} started from ${o.recoveryPointArn}`);
      } else ctx.progress(`watching restore job ${jobId} started by an earlier run`);
      const job = await waitFor(ctx, {
        stepId: ctx.stepId,
        what: `restore job ${jobId}`,
        read: () => ops.backup.describeRestoreJob(jobId!),
        state: (j) => (j.status === 'COMPLETED' ? 'done' : ['FAILED', 'ABORTED'].includes(j.status) ? 'failed' : 'waiting'),
        describe: (j) => j.status,
        deadline: new Date(ctx.clock.now().getTime() + o.timeoutMinutes * 60000),
        onTimeout: (j) => stepError('RestoreTimedOut', `Restore job ${jobId} is still ${j.status} after ${o.timeoutMinutes} min; dpf stopped waiting.`, { hint: `The job goes on in AWS. Keep waiting: ${o.rerun}` }),
        onFailed: (j) => stepError('RestoreFailed', `Restore job ${jobId} ended ${j.status}: ${j.statusMessage ?? 'no message'}.`),
      });
      const fsId = fileSystemIdOf(job.createdResourceArn);
      if (!fsId) throw stepError('RestoreFailed', `Restore job ${jobId} completed without naming the new file system.`);
      await ctx.evidence({ fileSystemId: fsId });
      const tagged = await tagRestoredFileSystem(ctx, ops, fsId, { ...restoreTags(ctx, op.id), 'dpf:restored-from': srcFs });
      return { changed: true, summary: `restored into ${fsId}`, outputs: { FileSystemId: fsId, JobId: jobId }, evidence: { jobId, fileSystemId: fsId, createdResourceArn: job.createdResourceArn, tagged } };
    },
  });

  const validate = opStep(op, {
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
      if (failed.length) throw stepError('RestoreInvalid', `The restored file system ${fsId} failed ${failed.length} check(s).`, { details: failed.map((c) => `${c.name}: ${c.detail}`) });
      const mounts = checks.find((c) => c.name === 'mount targets');
      return { changed: false, summary: `${fsId} valid`, outputs: { Valid: 'true', MountTargets: mounts?.status === 'ok' ? 'yes' : 'no' }, evidence: { checks } };
    },
  });

  const steps = [restore, validate];
  if (o.promote)
    steps.push(
      opStep(op, {
        id: RESTORE_STEPS.fsPromote,
        title: 'Switch the platform to the restored file system',
        kind: 'gate',
        dependsOn: [RESTORE_STEPS.fsValidate],
        async run(ctx) {
          const ops = await ctx.aws.ops();
          const fsId = ctx.output(RESTORE_STEPS.fs, 'FileSystemId');
          if (ctx.output(RESTORE_STEPS.fsValidate, 'MountTargets') !== 'yes') {
            const subnets = ['PrivateSubnet1Id', 'PrivateSubnet2Id', 'PrivateSubnet3Id'].map((k) => optionalOutput(ctx.ledger, 'network.stack', k)).filter(Boolean);
            const sg = optionalOutput(ctx.ledger, 'network.stack', 'EfsSecurityGroupId') ?? '<efs security group>';
            throw stepError('PromoteNoMountTargets', `${fsId} has no mount targets: the nodes could not mount it, so dpf will not switch to it.`, {
              hint: `Create one per private subnet, then rerun with --promote:\n${subnets.map((s) => `  aws efs create-mount-target --file-system-id ${fsId} --subnet-id ${s} --security-groups ${sg}`).join('\n')}`,
            });
          }
          return promoteParameter(ctx, ops, `/${ctx.envCtx.project}/${ctx.envCtx.name}/efs/file-system-id`, fsId, `the file system ${fsId}`);
        },
      }),
    );
  return steps;
}

export async function fsCopyChecks(ops: OpsPorts, fsId: string, kms: string | undefined): Promise<Check[]> {
  // Matched by id: an empty id would make DescribeFileSystems list every file system.
  const fs = fsId ? (await ops.efs.describeFileSystems(fsId)).find((f) => f.fileSystemId === fsId) : undefined;
  if (!fs) return [{ name: 'exists', status: 'failed', detail: `${fsId || '(no file system id)'} not found` }];
  const mounts = await ops.efs.describeMountTargets(fsId);
  const keyOk = !kms || !fs.kmsKeyId || fs.kmsKeyId === kms || kms.endsWith(fs.kmsKeyId) || fs.kmsKeyId.endsWith(kms.split('/').pop() ?? '');
  return [
    { name: 'state', status: fs.state === 'available' ? 'ok' : 'failed', detail: fs.state },
    { name: 'encrypted at rest', status: fs.encrypted ? 'ok' : 'failed', detail: fs.encrypted ? 'encrypted' : 'NOT encrypted' },
    { name: 'KMS key', status: keyOk ? 'ok' : 'failed', detail: `${fs.kmsKeyId ?? 'default'}${keyOk ? '' : ` (wanted ${kms})`}` },
    { name: 'mount targets', status: mounts.length ? 'ok' : 'unknown', detail: mounts.length ? `${mounts.length} (${mounts.map((m) => m.state).join(', ')})` : 'none yet (a restored file system has none until created)' },
  ];
}
