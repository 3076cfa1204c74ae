/** What a restored copy is (names, tags, the platform database it copies) and how it is checked; shared by dpf restore and DR drills. */
import type { DbInstanceInfo, OpsPorts } from '../../aws/ops-ports.js';
import type { StepContext } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { errorMessage, type DpfError } from '../../errors.js';
import { optionalOutput, waitFor, stepError } from '../operation.js';
import type { Check } from '../report.js';

/**
 * The tags of every copy dpf restores outside the stacks (`dpf destroy` finds what was never
 * promoted by them): environment, project, the operation, and its purpose.
 */
export function restoreTags(ctx: Pick<StepContext, 'envCtx'>, operationId: string, purpose: 'restore' | 'drill' = 'restore'): Record<string, string> {
  return {
    'dpf:env': ctx.envCtx.name,
    'dpf:project': ctx.envCtx.project,
    [purpose === 'drill' ? 'dpf:drill' : 'dpf:operation']: operationId,
    'dpf:purpose': purpose,
  };
}

type RestoreJob = Awaited<ReturnType<OpsPorts['backup']['describeRestoreJob']>>;

/** Wait for an AWS Backup restore job to end (COMPLETED; FAILED or ABORTED fail the step); shared by dpf restore fs and drills. */
export function waitRestoreJob(
  ctx: StepContext,
  ops: OpsPorts,
  jobId: string,
  o: { deadline: Date; onTimeout: (last: RestoreJob) => DpfError },
): Promise<RestoreJob> {
  return waitFor(ctx, {
    stepId: ctx.stepId,
    what: `restore job ${jobId}`,
    read: () => ops.backup.describeRestoreJob(jobId),
    state: (j) => (j.status === 'COMPLETED' ? 'done' : ['FAILED', 'ABORTED'].includes(j.status) ? 'failed' : 'waiting'),
    describe: (j) => j.status,
    deadline: o.deadline,
    onTimeout: o.onTimeout,
    onFailed: (j) => stepError('RestoreFailed', `Restore job ${jobId} ended ${j.status}: ${j.statusMessage ?? 'no message'}.`),
  });
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
    ctx.io.notify({
      type: 'warning',
      stepId: ctx.stepId,
      message: `could not tag ${fsId} (${Object.entries(tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}): ${errorMessage(err)}`,
    });
    return false;
  }
}

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
  if (!identifier)
    throw stepError('NoDatabase', 'The ledger has no DbInstanceIdentifier for storage.stack.', {
      hint: `Deploy storage first: dpf deploy --env ${env} --phase storage`,
    });
  const source = await ops.rds.describeInstance(identifier);
  if (!source)
    throw stepError('NoDatabase', `The platform's database ${identifier} does not exist.`, {
      hint: 'Restore from a snapshot with --snapshot (a deleted instance cannot be restored to a point in time unless its automated backups were retained).',
    });
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

export const DB_FAILED = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'storage-full',
  'inaccessible-encryption-credentials',
  'restore-error',
]);

/** Wait until a DB instance is available (or failed / gone / past the deadline). */
export async function waitDbAvailable(
  ctx: StepContext,
  ops: OpsPorts,
  id: string,
  deadline: Date,
  onTimeout: (status: string) => ReturnType<typeof stepError>,
): Promise<DbInstanceInfo> {
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
    onFailed: (d) =>
      stepError('RestoreFailed', `DB instance ${id} ended ${d?.status}.`, {
        hint: 'See the instance events in the RDS console; delete it and run the restore again.',
      }),
  });
  return inst!;
}

/** Checks a restored DB copy must pass (pure). */
export function dbCopyChecks(
  copy: DbInstanceInfo,
  want: { engine: string; port?: number; subnetGroup: string; securityGroupIds: string[]; parameterGroup?: string },
): Check[] {
  const same = (a: string[], b: string[]) => [...a].sort().join(',') === [...b].sort().join(',');
  return [
    { name: 'status', status: copy.status === 'available' ? 'ok' : 'failed', detail: copy.status },
    { name: 'encrypted at rest', status: copy.encrypted ? 'ok' : 'failed', detail: copy.encrypted ? 'StorageEncrypted' : 'NOT encrypted' },
    {
      name: 'engine',
      status: copy.engine === want.engine ? 'ok' : 'failed',
      detail: `${copy.engine} ${copy.engineVersion ?? ''}`.trim() + (copy.engine === want.engine ? '' : ` (source: ${want.engine})`),
    },
    {
      name: 'port',
      status: want.port === undefined || copy.port === want.port ? 'ok' : 'failed',
      detail: `${copy.port ?? '?'}${want.port !== undefined && copy.port !== want.port ? ` (source: ${want.port})` : ''}`,
    },
    {
      name: 'subnet group',
      status: copy.subnetGroup === want.subnetGroup ? 'ok' : 'failed',
      detail: `${copy.subnetGroup ?? 'none'}${copy.subnetGroup === want.subnetGroup ? '' : ` (wanted ${want.subnetGroup})`}`,
    },
    {
      name: 'security groups',
      status: same(copy.securityGroupIds, want.securityGroupIds) ? 'ok' : 'failed',
      detail: `${copy.securityGroupIds.join(', ') || 'none'}${same(copy.securityGroupIds, want.securityGroupIds) ? '' : ` (wanted ${want.securityGroupIds.join(', ')})`}`,
    },
    {
      name: 'parameter group',
      status: !want.parameterGroup || copy.parameterGroups.includes(want.parameterGroup) ? 'ok' : 'failed',
      detail: `${copy.parameterGroups.join(', ') || 'none'}${!want.parameterGroup || copy.parameterGroups.includes(want.parameterGroup) ? '' : ` (wanted ${want.parameterGroup})`}`,
    },
    { name: 'not publicly accessible', status: copy.publiclyAccessible ? 'failed' : 'ok', detail: copy.publiclyAccessible ? 'PUBLIC' : 'private' },
  ];
}

/** The id at the end of an EFS ARN ("…:file-system/fs-123" → "fs-123"). */
export function fileSystemIdOf(arn: string | undefined): string | undefined {
  return arn?.split('/').pop() || undefined;
}

/** Checks a restored file system must pass: available, encrypted with the data key, mount targets. */
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
    {
      name: 'mount targets',
      status: mounts.length ? 'ok' : 'unknown',
      detail: mounts.length ? `${mounts.length} (${mounts.map((m) => m.state).join(', ')})` : 'none yet (a restored file system has none until created)',
    },
  ];
}
