/** What is still there after a phase was destroyed, found through describe calls. */
import type { OpsPorts } from '../../aws/ops-ports.js';
import type { StepContext, DeployPhase } from '../../steps/types.js';
import { derivedNames as names } from '../../config/normalise.js';
import { errorMessage } from '../../errors.js';
import type { DestroyOptions, Leftover } from './keys.js';

export const ALIVE = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** What is left, as it is found: leaked (should be gone) or kept (retained on purpose). */
interface Finder {
  left: Leftover[];
  leak(resource: string, detail: string): void;
  keep(resource: string, detail: string): void;
  /** A describe call; one that fails is itself a leftover to verify by hand. */
  safe<T>(f: () => Promise<T>, fallback: T): Promise<T>;
}

function finder(): Finder {
  const left: Leftover[] = [];
  const leak = (resource: string, detail: string) => left.push({ resource, retained: false, detail });
  return {
    left,
    leak,
    keep: (resource, detail) => left.push({ resource, retained: true, detail }),
    async safe(f, fallback) {
      try {
        return await f();
      } catch (err) {
        leak(`(could not check: ${errorMessage(err)})`, 'verify by hand');
        return fallback;
      }
    },
  };
}

type Outputs = Record<string, string>;

/** What still exists after the phase's stacks are gone, checked through describe calls. */
export async function checkLeftovers(ctx: StepContext, ops: OpsPorts, p: DeployPhase, out: Outputs, o: DestroyOptions): Promise<Leftover[]> {
  const f = finder();
  if (p === 'network') await networkLeftovers(ctx, ops, f);
  if (p === 'compute' || p === 'identity') await hostLeftovers(ctx, ops, p, out, f);
  if (p === 'storage') {
    await databaseLeftovers(ctx, ops, out, o, f);
    await dataLeftovers(ops, out, o, f);
    keptForRecovery(ctx, out, o, f);
  }
  if (p === 'bootstrap' && !o.deleteState) f.keep(`state bucket ${names(ctx.envCtx).stateBucket}`, 'kept');
  return f.left;
}

/** The environment's VPCs, with their subnets, NAT gateways and security groups. */
async function networkLeftovers(ctx: StepContext, ops: OpsPorts, f: Finder): Promise<void> {
  const vpcs = await f.safe(() => ops.ec2.describeVpcs({ 'tag:dpf:env': [ctx.envCtx.name], 'tag:dpf:project': [ctx.envCtx.project] }), []);
  for (const v of vpcs) {
    f.leak(`VPC ${v.vpcId} (${v.cidr})`, 'still exists after the network stack was deleted');
    for (const s of await f.safe(() => ops.ec2.describeSubnets({ 'vpc-id': [v.vpcId] }), [])) f.leak(`subnet ${s.subnetId} (${s.cidr})`, `in ${v.vpcId}`);
    for (const n of (await f.safe(() => ops.ec2.describeNatGateways({ 'vpc-id': [v.vpcId] }), [])).filter((x) => !/deleted|deleting/.test(x.state)))
      f.leak(`NAT gateway ${n.natGatewayId}`, `${n.state}, in ${v.vpcId} (billed hourly)`);
    for (const g of (await f.safe(() => ops.ec2.describeSecurityGroups({ 'vpc-id': [v.vpcId] }), [])).filter((x) => x.groupName !== 'default'))
      f.leak(`security group ${g.groupId} (${g.groupName})`, `in ${v.vpcId}`);
  }
}

/** The phase's instances still alive, and the workers' Auto Scaling group. */
async function hostLeftovers(ctx: StepContext, ops: OpsPorts, p: 'compute' | 'identity', out: Outputs, f: Finder): Promise<void> {
  const roles = p === 'compute' ? ['bastion', 'master', 'dev', 'worker'] : ['identity'];
  const inst = await f.safe(() => ops.ec2.describeInstances({ 'tag:dpf:env': [ctx.envCtx.name], 'tag:dpf:role': roles, 'instance-state-name': ALIVE }), []);
  for (const i of inst) f.leak(`instance ${i.instanceId} (${i.tags['dpf:role'] ?? '?'})`, `${i.state} after the ${p} stack was deleted`);
  if (p === 'compute' && out.WorkerAutoScalingGroupName) {
    const g = await f.safe(() => ops.autoscaling.describeGroup(out.WorkerAutoScalingGroupName!), undefined);
    if (g) f.leak(`Auto Scaling group ${g.name}`, `${g.instances.length} instance(s)`);
  }
}

/** The database instance (a leak), and its manual snapshots (kept: backups taken before are never deleted). */
async function databaseLeftovers(ctx: StepContext, ops: OpsPorts, out: Outputs, o: DestroyOptions, f: Finder): Promise<void> {
  const db = out.DbInstanceIdentifier ?? `${ctx.envCtx.project}-${ctx.envCtx.name}-metadata`;
  const inst = db ? await f.safe(() => ops.rds.describeInstance(db), undefined) : undefined;
  if (inst && inst.status !== 'deleting') f.leak(`RDS instance ${db}`, `${inst.status} after the storage stack was deleted`);
  const snaps = db ? (await f.safe(() => ops.rds.describeSnapshots({ instance: db }), [])).filter((s) => s.type === 'manual') : [];
  for (const s of snaps)
    f.keep(
      `RDS snapshot ${s.identifier}`,
      o.deleteData
        ? `a manual snapshot (dpf backup or an earlier destroy): --delete-data does not delete backups taken before; delete it with aws rds delete-db-snapshot --db-snapshot-identifier ${s.identifier}`
        : 'data kept (restore with dpf restore db --snapshot after redeploying)',
    );
}

/** The buckets, the file system and the backup vault: kept without --delete-data, leaks with it. */
async function dataLeftovers(ops: OpsPorts, out: Outputs, o: DestroyOptions, f: Finder): Promise<void> {
  for (const b of [out.DataLakeBucketName, out.AccessLogBucketName].filter(Boolean) as string[]) {
    const i = await f.safe(() => ops.buckets.inspect(b), { exists: false });
    if (i.exists)
      (o.deleteData ? f.leak : f.keep)(
        `bucket ${b}`,
        o.deleteData ? 'still exists' : 'data kept (its DeletionPolicy retains it); dpf destroy --delete-data removes it',
      );
  }
  if (out.EfsFileSystemId) {
    const fs = await f.safe(() => ops.efs.describeFileSystems(out.EfsFileSystemId), []);
    if (fs.length)
      (o.deleteData ? f.leak : f.keep)(`EFS ${out.EfsFileSystemId}`, o.deleteData ? `${fs[0]!.state}` : 'data kept (its DeletionPolicy retains it)');
  }
  if (!out.BackupVaultName) return;
  if (!o.deleteData) {
    f.keep(`backup vault ${out.BackupVaultName}`, 'retained: it holds the recovery points; dpf destroy --delete-data deletes them and the vault');
    return;
  }
  const v = await f.safe(() => ops.backup.describeVault(out.BackupVaultName!), undefined);
  if (v)
    f.leak(
      `backup vault ${out.BackupVaultName}`,
      `still exists${v.recoveryPoints ? ` with ${v.recoveryPoints} recovery point(s)` : ''}${v.locked ? ' (vault lock)' : ''}`,
    );
}

/** Always kept, with how to delete them by hand: the DR vault stack (cross-region copies) and the data key. */
function keptForRecovery(ctx: StepContext, out: Outputs, o: DestroyOptions, f: Finder): void {
  const dr = ctx.ledger.get('storage.dr-vault');
  if (typeof dr?.evidence.stackName === 'string')
    f.keep(
      `DR vault stack ${dr.evidence.stackName} (${String(dr.evidence.region)})`,
      `kept: it holds the cross-region copies of the backups; once they are not needed, delete its recovery points and run aws cloudformation delete-stack --region ${String(dr.evidence.region)} --stack-name ${dr.evidence.stackName}`,
    );
  const key = out.DataKmsKeyArn || out.DataKmsKeyId;
  if (key)
    f.keep(
      `KMS key ${key}`,
      o.deleteData
        ? 'retained (its DeletionPolicy; it may still encrypt snapshots): aws kms schedule-key-deletion --key-id KEY --pending-window-in-days 30 once nothing needs it'
        : 'retained (it encrypts the kept data and snapshots)',
    );
}
