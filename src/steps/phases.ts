/**
 * The phases and their steps, as data. Each phase maps to the seed's six-week plan so that
 * status and the reports can show the plan against what actually happened.
 */
import type { DeployPhase, EnvContext, PhaseId, StepContext, StepDef } from './types.js';
import { stackStep } from './kinds/stack.js';
import { PHASES } from './types.js';

export interface PhaseInfo {
  id: DeployPhase;
  title: string;
  /** Planned window in the seed's timeline: days from the start of week 1 (inclusive start, exclusive end). */
  plannedStartDay: number;
  plannedEndDay: number;
  /** What leadership gets when it is done (the seed's business-value translation). */
  businessValue: string;
}

export const PHASE_INFO: Record<DeployPhase, PhaseInfo> = {
  bootstrap: { id: 'bootstrap', title: 'State backend (S3 + DynamoDB)', plannedStartDay: 0, plannedEndDay: 2, businessValue: 'Auditable, resumable deployment state shared by the whole team' },
  network: { id: 'network', title: 'VPC and networking', plannedStartDay: 2, plannedEndDay: 5, businessValue: 'Secure foundation for data processing with enterprise-grade network isolation' },
  compute: { id: 'compute', title: 'EC2 instances and Auto Scaling', plannedStartDay: 7, plannedEndDay: 10, businessValue: 'Dynamic resource scaling that optimizes costs while ensuring performance during peak data processing' },
  storage: { id: 'storage', title: 'S3 data lake, EFS, RDS and backups', plannedStartDay: 9, plannedEndDay: 12, businessValue: 'Durable data lake, shared file system and metadata database with automated backups' },
  identity: { id: 'identity', title: 'Identity (FreeIPA or IAM) and node configuration', plannedStartDay: 14, plannedEndDay: 21, businessValue: 'Centralized user management enabling secure, auditable access to data resources' },
  monitoring: { id: 'monitoring', title: 'Monitoring and alerting', plannedStartDay: 23, plannedEndDay: 26, businessValue: 'Problems are detected and routed to the team before users notice them' },
  golive: { id: 'golive', title: 'Go-live readiness checks', plannedStartDay: 35, plannedEndDay: 40, businessValue: 'Evidence-backed go-live: every readiness check verified on the running platform' },
};

/** Globally unique names dpf derives for an environment. */
export function names(e: Pick<EnvContext, 'project' | 'name' | 'accountId'>) {
  return {
    stateBucket: `${e.project}-${e.name}-dpf-state-${e.accountId}`,
    lockTable: `${e.project}-${e.name}-dpf-lock`,
    dataLakeBucket: `${e.project}-${e.name}-datalake-${e.accountId}`,
  };
}

const common = (ctx: StepContext) => ({ ProjectName: ctx.envCtx.project, EnvName: ctx.envCtx.name });
const isProd = (ctx: StepContext) => ctx.envCtx.name === 'prod' || ctx.envCtx.name === 'production';

function netOut(ctx: StepContext, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, ctx.output('network.stack', k)]));
}

export function buildSteps(): StepDef[] {
  const steps: StepDef[] = [
    stackStep({
      id: 'bootstrap.state',
      phase: 'bootstrap',
      title: 'State bucket and lock table',
      template: 'bootstrap',
      dependsOn: [],
      parameters: (ctx) => {
        const n = names(ctx.envCtx);
        return { ...common(ctx), StateBucketName: n.stateBucket, LockTableName: n.lockTable };
      },
    }),
    stackStep({
      id: 'network.stack',
      phase: 'network',
      title: 'VPC, subnets, gateways, security groups, flow logs',
      template: 'network',
      dependsOn: ['bootstrap.state'],
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
        p.HighAvailability = String(e.highAvailability ?? isProd(ctx));
        p.FlowLogRetentionDays = String(e.network.flowLogRetentionDays);
        return p;
      },
    }),
    stackStep({
      id: 'compute.stack',
      phase: 'compute',
      title: 'Roles, bastion, master, dev, worker Auto Scaling group',
      template: 'compute',
      dependsOn: ['network.stack'],
      parameters: (ctx) => {
        const c = ctx.envCtx.env.compute;
        const n = names(ctx.envCtx);
        return {
          ...common(ctx),
          ...netOut(ctx, 'VpcId', 'PublicSubnet1Id', 'PrivateSubnet1Id', 'PrivateSubnet2Id', 'PrivateSubnet3Id', 'ManagementSecurityGroupId', 'ComputeSecurityGroupId'),
          ImageId: c.imageParameter,
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
    }),
    stackStep({
      id: 'storage.stack',
      phase: 'storage',
      title: 'S3 data lake, EFS, RDS PostgreSQL, AWS Backup',
      template: 'storage',
      // Storage needs only the network: it starts alongside compute, since the RDS instance is the critical path.
      dependsOn: ['network.stack'],
      parameters: (ctx) => {
        const s = ctx.envCtx.env.storage;
        return {
          ...common(ctx),
          ...netOut(ctx, 'VpcId', 'PrivateSubnet1Id', 'PrivateSubnet2Id', 'PrivateSubnet3Id', 'DatabaseSubnet1Id', 'DatabaseSubnet2Id', 'DatabaseSubnet3Id', 'EfsSecurityGroupId', 'DatabaseSecurityGroupId'),
          DataLakeBucketName: names(ctx.envCtx).dataLakeBucket,
          ArchiveToGlacierDays: String(s.dataLake.archiveToGlacierDays),
          EfsTransitionToIa: `AFTER_${s.efs.transitionToIaDays}_DAYS`,
          DbInstanceClass: s.rds.instanceClass,
          DbEngineVersion: s.rds.engineVersion,
          DbAllocatedStorageGb: String(s.rds.allocatedStorageGb),
          DbBackupRetentionDays: String(s.rds.backupRetentionDays),
          DbMultiAz: String(s.rds.multiAz),
          DeletionProtection: String(s.rds.deletionProtection ?? isProd(ctx)),
          DbName: s.rds.databaseName,
          DbMasterUsername: s.rds.masterUsername,
          BackupRetentionDays: String(s.backup.retentionDays),
          BackupScheduleExpression: s.backup.schedule,
          BackupCopyDestinationVaultArn: s.backup.copyToVaultArn ?? '',
        };
      },
    }),
  ];
  return steps;
}

export function phaseOf(stepId: string): PhaseId {
  const p = stepId.split('.')[0] as PhaseId;
  if (!(PHASES as readonly string[]).includes(p) && p !== 'operations') throw new Error(`step id ${stepId} does not start with a phase`);
  return p;
}
