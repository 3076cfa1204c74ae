/** The infrastructure stacks: state backend, network, compute, storage (and the DR vault). */
import type { StepDef } from '../types.js';
import { stackStep } from '../kinds/stack.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import { derivedNames as names, drVaultRegion, normalised } from '../../config/normalise.js';
import { drVaultArn, pinnedPlatformImageId } from '../facts.js';
import { common, netOut, COMPUTE_NETWORK, STORAGE_NETWORK } from './shared.js';

/** The state bucket and lock table: first, everything else records into them. */
export function bootstrapStateStep(): StepDef {
  return stackStep({
    id: 'bootstrap.state',
    phase: 'bootstrap',
    title: 'State bucket and lock table',
    template: 'bootstrap',
    after: {},
    parameters: (ctx) => {
      const n = names(ctx.envCtx);
      return { ...common(ctx), StateBucketName: n.stateBucket, LockTableName: n.lockTable };
    },
  });
}

/** The VPC from the config: subnets per AZ, admin CIDRs, high availability. */
export function networkStep(): StepDef {
  return stackStep({
    id: 'network.stack',
    phase: 'network',
    title: 'VPC, subnets, gateways, security groups, flow logs',
    template: 'network',
    // Nothing of bootstrap.state: the VPC starts with the state bucket (docs/architecture.md, "The step graph").
    after: {},
    parameters: (ctx) => {
      const e = ctx.envCtx.env;
      const s = e.network.subnets;
      const p: Record<string, string> = { ...common(ctx), VpcCidr: e.network.vpcCidr };
      e.availabilityZones.forEach((az, i) => (p[`AvailabilityZone${i + 1}`] = az));
      for (let i = 0; i < 3; i++) {
        p[`PublicSubnet${i + 1}Cidr`] = s.public[i]!;
        p[`PrivateSubnet${i + 1}Cidr`] = s.private[i]!;
        p[`DatabaseSubnet${i + 1}Cidr`] = s.database[i]!;
      }
      for (let i = 0; i < 4; i++) p[`AdminCidr${i + 1}`] = e.network.adminCidrs[i] ?? '';
      p.HighAvailability = String(normalised(ctx.envCtx.name, e).resilience.highAvailability.value);
      p.FlowLogRetentionDays = String(e.network.flowLogRetentionDays);
      return p;
    },
  });
}

/** Roles, bastion, master, dev and the worker Auto Scaling group. */
export function computeStep(): StepDef {
  return stackStep({
    id: 'compute.stack',
    phase: 'compute',
    title: 'Roles, bastion, master, dev, worker Auto Scaling group',
    template: 'compute',
    after: { 'network.stack': { reads: COMPUTE_NETWORK }, 'bootstrap.state': { reads: ['StateBucketName'] } },
    contract: { provides: { aws: ['ssm-document'], bastion: ['instance'], master: ['instance'], dev: ['instance'], worker: ['instance'] } },
    parameters: async (ctx) => {
      const c = ctx.envCtx.env.compute;
      const n = names(ctx.envCtx);
      return {
        ...common(ctx),
        ...netOut(ctx, COMPUTE_NETWORK),
        ImageId: await pinnedPlatformImageId(ctx),
        BastionInstanceType: c.bastion.instanceType,
        MasterInstanceType: c.master.instanceType,
        MasterRootVolumeGb: String(c.master.rootVolumeGb),
        MasterDataVolumeGb: String(c.master.dataVolumeGb),
        DevInstanceType: c.dev.instanceType,
        DevRootVolumeGb: String(c.dev.rootVolumeGb),
        WorkerInstanceType: c.workers.instanceType,
        WorkerRootVolumeGb: String(c.workers.rootVolumeGb),
        WorkerDataVolumeGb: String(c.workers.dataVolumeGb),
        WorkerMinSize: String(c.workers.min),
        WorkerMaxSize: String(c.workers.max),
        WorkerDesiredCapacity: String(c.workers.desired),
        ScaleOutCpuPercent: String(c.workers.scaleOutCpuPercent),
        ScaleInCpuPercent: String(c.workers.scaleInCpuPercent),
        ScaleOutEvaluationMinutes: String(c.workers.scaleOutMinutes),
        DataLakeBucketName: n.dataLakeBucket,
        StateBucketName: ctx.output('bootstrap.state', 'StateBucketName'),
      };
    },
  });
}

/** The data lake, EFS, RDS and AWS Backup (copies to the DR vault when there is one). */
export function storageStep(): StepDef {
  return stackStep({
    id: 'storage.stack',
    phase: 'storage',
    title: 'S3 data lake, EFS, RDS PostgreSQL, AWS Backup',
    template: 'storage',
    contract: { provides: { aws: ['efs', 'rds', 'rds-secret'] } },
    // Storage needs only the network: it starts alongside compute and identity, since the RDS instance is the critical path.
    after: { 'network.stack': { reads: STORAGE_NETWORK }, 'storage.dr-vault': { reads: ['VaultArn'] } },
    parameters: (ctx) => {
      const s = ctx.envCtx.env.storage;
      return {
        ...common(ctx),
        ...netOut(ctx, STORAGE_NETWORK),
        DataLakeBucketName: names(ctx.envCtx).dataLakeBucket,
        ArchiveToGlacierDays: String(s.dataLake.archiveToGlacierDays),
        EfsTransitionToIa: `AFTER_${s.efs.transitionToIaDays}_DAYS`,
        DbInstanceClass: s.rds.instanceClass,
        DbEngineVersion: s.rds.engineVersion,
        DbAllocatedStorageGb: String(s.rds.allocatedStorageGb),
        DbBackupRetentionDays: String(s.rds.backupRetentionDays),
        DbMultiAz: String(normalised(ctx.envCtx.name, ctx.envCtx.env).resilience.multiAz.value),
        DeletionProtection: String(normalised(ctx.envCtx.name, ctx.envCtx.env).resilience.deletionProtection.value),
        DbName: s.rds.databaseName,
        DbMasterUsername: s.rds.masterUsername,
        BackupRetentionDays: String(s.backup.retentionDays),
        BackupScheduleExpression: s.backup.schedule,
        BackupCopyDestinationVaultArn: s.backup.copyToVaultArn ?? (drVaultRegion(ctx.envCtx.env) ? drVaultArn(ctx, drVaultRegion(ctx.envCtx.env)!) : ''),
      };
    },
  });
}

/** With a DR region: the vault there that receives the backup copies (in that region). */
export function drVaultSteps(env: EnvironmentConfig | undefined): StepDef[] {
  return env && drVaultRegion(env)
    ? [
        stackStep({
          id: 'storage.dr-vault',
          phase: 'storage',
          title: `Backup vault in the DR region (${drVaultRegion(env)}) for cross-region copies`,
          template: 'dr-vault',
          after: {},
          region: drVaultRegion,
          parameters: (ctx) => ({ ...common(ctx), SourceRegion: ctx.envCtx.region }),
        }),
      ]
    : [];
}
