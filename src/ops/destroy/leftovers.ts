/** What is still there after a phase was destroyed, found through describe calls. */
import type { OpsPorts } from '../../aws/ops-ports.js';
import type { StepContext, DeployPhase } from '../../steps/types.js';
import { derivedNames as names } from '../../config/normalise.js';
import { errorMessage } from '../../errors.js';
import type { DestroyOptions, Leftover } from './keys.js';

export const ALIVE = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** What still exists after the phase's stacks are gone, checked through describe calls. */
export async function checkLeftovers(ctx: StepContext, ops: OpsPorts, p: DeployPhase, out: Record<string, string>, o: DestroyOptions): Promise<Leftover[]> {
  const env = ctx.envCtx.name;
  const left: Leftover[] = [];
  const leak = (resource: string, detail: string) => left.push({ resource, retained: false, detail });
  const keep = (resource: string, detail: string) => left.push({ resource, retained: true, detail });
  const safe = async <T>(f: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      leak(`(could not check: ${errorMessage(err)})`, 'verify by hand');
      return fallback;
    }
  };
  if (p === 'network') {
    const vpcs = await safe(() => ops.ec2.describeVpcs({ 'tag:dpf:env': [env], 'tag:dpf:project': [ctx.envCtx.project] }), []);
    for (const v of vpcs) {
      leak(`VPC ${v.vpcId} (${v.cidr})`, 'still exists after the network stack was deleted');
      for (const s of await safe(() => ops.ec2.describeSubnets({ 'vpc-id': [v.vpcId] }), [])) leak(`subnet ${s.subnetId} (${s.cidr})`, `in ${v.vpcId}`);
      for (const n of (await safe(() => ops.ec2.describeNatGateways({ 'vpc-id': [v.vpcId] }), [])).filter((x) => !/deleted|deleting/.test(x.state)))
        leak(`NAT gateway ${n.natGatewayId}`, `${n.state}, in ${v.vpcId} (billed hourly)`);
      for (const g of (await safe(() => ops.ec2.describeSecurityGroups({ 'vpc-id': [v.vpcId] }), [])).filter((x) => x.groupName !== 'default'))
        leak(`security group ${g.groupId} (${g.groupName})`, `in ${v.vpcId}`);
    }
  }
  if (p === 'compute' || p === 'identity') {
    const roles = p === 'compute' ? ['bastion', 'master', 'dev', 'worker'] : ['identity'];
    const inst = await safe(() => ops.ec2.describeInstances({ 'tag:dpf:env': [env], 'tag:dpf:role': roles, 'instance-state-name': ALIVE }), []);
    for (const i of inst) leak(`instance ${i.instanceId} (${i.tags['dpf:role'] ?? '?'})`, `${i.state} after the ${p} stack was deleted`);
    if (p === 'compute' && out.WorkerAutoScalingGroupName) {
      const g = await safe(() => ops.autoscaling.describeGroup(out.WorkerAutoScalingGroupName!), undefined);
      if (g) leak(`Auto Scaling group ${g.name}`, `${g.instances.length} instance(s)`);
    }
  }
  if (p === 'storage') {
    const db = out.DbInstanceIdentifier ?? `${ctx.envCtx.project}-${env}-metadata`;
    const inst = db ? await safe(() => ops.rds.describeInstance(db), undefined) : undefined;
    if (inst && inst.status !== 'deleting') leak(`RDS instance ${db}`, `${inst.status} after the storage stack was deleted`);
    const snaps = db ? (await safe(() => ops.rds.describeSnapshots({ instance: db }), [])).filter((s) => s.type === 'manual') : [];
    for (const s of snaps)
      keep(
        `RDS snapshot ${s.identifier}`,
        o.deleteData
          ? `a manual snapshot (dpf backup or an earlier destroy): --delete-data does not delete backups taken before; delete it with aws rds delete-db-snapshot --db-snapshot-identifier ${s.identifier}`
          : 'data kept (restore with dpf restore db --snapshot after redeploying)',
      );
    for (const b of [out.DataLakeBucketName, out.AccessLogBucketName].filter(Boolean) as string[]) {
      const i = await safe(() => ops.buckets.inspect(b), { exists: false });
      if (i.exists)
        (o.deleteData ? leak : keep)(
          `bucket ${b}`,
          o.deleteData ? 'still exists' : 'data kept (its DeletionPolicy retains it); dpf destroy --delete-data removes it',
        );
    }
    if (out.EfsFileSystemId) {
      const fs = await safe(() => ops.efs.describeFileSystems(out.EfsFileSystemId), []);
      if (fs.length) (o.deleteData ? leak : keep)(`EFS ${out.EfsFileSystemId}`, o.deleteData ? `${fs[0]!.state}` : 'data kept (its DeletionPolicy retains it)');
    }
    if (out.BackupVaultName) {
      if (!o.deleteData)
        keep(`backup vault ${out.BackupVaultName}`, 'retained: it holds the recovery points; dpf destroy --delete-data deletes them and the vault');
      else {
        const v = await safe(() => ops.backup.describeVault(out.BackupVaultName!), undefined);
        if (v)
          leak(
            `backup vault ${out.BackupVaultName}`,
            `still exists${v.recoveryPoints ? ` with ${v.recoveryPoints} recovery point(s)` : ''}${v.locked ? ' (vault lock)' : ''}`,
          );
      }
    }
    const dr = ctx.ledger.get('storage.dr-vault');
    if (typeof dr?.evidence.stackName === 'string')
      keep(
        `DR vault stack ${dr.evidence.stackName} (${String(dr.evidence.region)})`,
        `kept: it holds the cross-region copies of the backups; once they are not needed, delete its recovery points and run aws cloudformation delete-stack --region ${String(dr.evidence.region)} --stack-name ${dr.evidence.stackName}`,
      );
    const key = out.DataKmsKeyArn || out.DataKmsKeyId;
    if (key)
      keep(
        `KMS key ${key}`,
        o.deleteData
          ? 'retained (its DeletionPolicy; it may still encrypt snapshots): aws kms schedule-key-deletion --key-id KEY --pending-window-in-days 30 once nothing needs it'
          : 'retained (it encrypts the kept data and snapshots)',
      );
  }
  if (p === 'bootstrap' && !o.deleteState) keep(`state bucket ${names(ctx.envCtx).stateBucket}`, 'kept');
  return left;
}
