/**
 * The phases and their steps, as data. Each phase maps to the seed's six-week plan so that
 * status and the reports can show the plan against what actually happened.
 */
import type { DeployPhase, EnvContext, PhaseId, StepContext, StepDef } from './types.js';
import { stackStep } from './kinds/stack.js';
import { playbookStep, type PlaybookStepSpec } from './kinds/playbook.js';
import { PHASES } from './types.js';
import { goliveSteps } from '../checks/index.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { resilience } from '../config/production.js';
import { backupVaultName, drVaultArn, instancePrivateIp, ipaImageId, nodeFqdn, optionalOutput, pinnedPlatformImageId, rdsEndpoint, rdsSecretName } from './facts.js';

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

/**
 * The region of the vault dpf creates for cross-region backup copies: recovery.drRegion, unless
 * the config names a vault of its own (storage.backup.copyToVaultArn) or the DR region is the
 * environment's own.
 */
export function drVaultRegion(env: EnvironmentConfig): string | undefined {
  const r = env.recovery.drRegion;
  return r && r !== env.region && !env.storage.backup.copyToVaultArn ? r : undefined;
}

function netOut(ctx: StepContext, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, ctx.output('network.stack', k)]));
}

export function buildSteps(env?: EnvironmentConfig): StepDef[] {
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
        p.HighAvailability = String(resilience(ctx.envCtx.name, e).highAvailability.value);
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
      parameters: async (ctx) => {
        const c = ctx.envCtx.env.compute;
        const n = names(ctx.envCtx);
        return {
          ...common(ctx),
          ...netOut(ctx, 'VpcId', 'PublicSubnet1Id', 'PrivateSubnet1Id', 'PrivateSubnet2Id', 'PrivateSubnet3Id', 'ManagementSecurityGroupId', 'ComputeSecurityGroupId'),
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
    }),
    ...(env && drVaultRegion(env)
      ? [
          stackStep({
            id: 'storage.dr-vault',
            phase: 'storage',
            title: `Backup vault in the DR region (${drVaultRegion(env)}) for cross-region copies`,
            template: 'dr-vault',
            dependsOn: ['bootstrap.state'],
            region: drVaultRegion,
            parameters: (ctx) => ({ ...common(ctx), SourceRegion: ctx.envCtx.region }),
          }),
        ]
      : []),
    stackStep({
      id: 'storage.stack',
      phase: 'storage',
      title: 'S3 data lake, EFS, RDS PostgreSQL, AWS Backup',
      template: 'storage',
      // Storage needs only the network: it starts alongside compute, since the RDS instance is the critical path.
      dependsOn: ['network.stack', 'storage.dr-vault'],
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
          DbMultiAz: String(resilience(ctx.envCtx.name, ctx.envCtx.env).multiAz.value),
          DeletionProtection: String(resilience(ctx.envCtx.name, ctx.envCtx.env).deletionProtection.value),
          DbName: s.rds.databaseName,
          DbMasterUsername: s.rds.masterUsername,
          BackupRetentionDays: String(s.backup.retentionDays),
          BackupScheduleExpression: s.backup.schedule,
          BackupCopyDestinationVaultArn: s.backup.copyToVaultArn ?? (drVaultRegion(ctx.envCtx.env) ? drVaultArn(ctx, drVaultRegion(ctx.envCtx.env)!) : ''),
        };
      },
    }),
  ];
  steps.push(...identitySteps(env), ...monitoringSteps(), ...goliveSteps());
  const ids = new Set(steps.map((s) => s.id));
  // Steps contributed by other modules may name dependencies that this provider does not have.
  for (const s of steps) s.dependsOn = s.dependsOn.filter((d) => ids.has(d));
  return steps;
}

// ---------- node configuration (Ansible over SSM) ----------

const NODE_ROLES = ['master', 'dev', 'worker'] as const;

/** ExtraVariables every playbook gets: names and ids only, never secrets (those are read on the host at run time). */
async function commonVars(ctx: StepContext): Promise<Record<string, string>> {
  const e = ctx.envCtx.env;
  const identityOut = (k: string) => optionalOutput(ctx, 'identity.stack', k);
  const vars: Record<string, string> = {
    dpf_env: ctx.envCtx.name,
    dpf_project: ctx.envCtx.project,
    dpf_region: ctx.envCtx.region,
    identity_provider: e.identity.provider,
    ipa_domain: e.identity.domain,
    ipa_realm: e.identity.domain.toUpperCase(),
    cloudwatch_namespace: 'DataPlatform',
    cloudwatch_log_retention_debug_days: String(e.monitoring.debugLogRetentionDays),
    cloudwatch_log_retention_audit_days: String(e.monitoring.auditLogRetentionDays),
    efs_file_system_id: ctx.output('storage.stack', 'EfsFileSystemId'),
    efs_access_point_id: ctx.output('storage.stack', 'EfsAccessPointId'),
    rds_endpoint: await rdsEndpoint(ctx),
    rds_secret_arn: await rdsSecretName(ctx),
    spark_master_host: await instancePrivateIp(ctx, ctx.output('compute.stack', 'MasterInstanceId')),
  };
  if (e.identity.provider === 'freeipa') {
    vars.ipa_server_fqdn = identityOut('IpaServerFqdn') ?? `ipa1.${e.identity.domain}`;
    vars.ipa_replica_fqdn = identityOut('IpaReplicaFqdn') ?? `ipa2.${e.identity.domain}`;
    vars.ipa_admin_secret_arn = `${ctx.envCtx.project}/${ctx.envCtx.name}/freeipa/admin`;
    vars.ipa_ds_secret_arn = `${ctx.envCtx.project}/${ctx.envCtx.name}/freeipa/directory-manager`;
    vars.ipa_host_keytab_secret_prefix = `${ctx.envCtx.project}/${ctx.envCtx.name}/freeipa/host-keytab`;
  }
  return vars;
}

const byRole = (ctx: StepContext, roles: readonly string[]) => ({ 'dpf:env': [ctx.envCtx.name], 'dpf:role': [...roles] });

function nodePlaybook(spec: Omit<PlaybookStepSpec, 'extraVars'> & { vars?: (ctx: StepContext) => Promise<Record<string, string>> | Record<string, string> }): StepDef {
  return playbookStep({
    ...spec,
    extraVars: async (ctx) => ({ ...(await commonVars(ctx)), ...(spec.vars ? await spec.vars(ctx) : {}) }),
  });
}

function identitySteps(env?: EnvironmentConfig): StepDef[] {
  const freeipa = (env?.identity.provider ?? 'freeipa') === 'freeipa';
  const steps: StepDef[] = [
    stackStep({
      id: 'identity.stack',
      phase: 'identity',
      title: freeipa ? 'IAM roles, FreeIPA servers, private DNS zone' : 'IAM roles, Session Manager operators group, private DNS zone',
      template: 'identity',
      dependsOn: ['network.stack', 'compute.stack', 'storage.stack'],
      parameters: async (ctx) => {
        const e = ctx.envCtx.env;
        const cross = e.identity.crossAccount;
        return {
          ...common(ctx),
          ...netOut(ctx, 'VpcId', 'PrivateSubnet1Id', 'PrivateSubnet2Id', 'IdentitySecurityGroupId'),
          IdentityProvider: e.identity.provider,
          // With the iam provider no IPA server is made; the parameter still needs a valid image.
          IpaImageId: e.identity.provider === 'freeipa' ? await ipaImageId(ctx) : await pinnedPlatformImageId(ctx),
          IpaInstanceType: e.identity.instanceType,
          IpaVolumeGb: String(e.identity.volumeGb),
          IpaDomain: e.identity.domain,
          IpaRealm: e.identity.domain.toUpperCase(),
          DataLakeBucketName: names(ctx.envCtx).dataLakeBucket,
          StateBucketName: ctx.output('bootstrap.state', 'StateBucketName'),
          CrossAccountTrustedAccountId: cross?.trustedAccountId ?? '',
          CrossAccountExternalId: cross?.externalId ?? '',
          MasterPrivateIp: await instancePrivateIp(ctx, ctx.output('compute.stack', 'MasterInstanceId')),
          RdsEndpointAddress: await rdsEndpoint(ctx),
          EfsFileSystemId: ctx.output('storage.stack', 'EfsFileSystemId'),
        };
      },
    }),
    nodePlaybook({
      id: 'identity.nfs',
      // Node configuration (needs compute and storage): in the identity phase, so that the
      // storage phase needs only the network, as the plan says.
      phase: 'identity',
      title: 'Mount EFS on /shared (nfs_client) on master, dev and workers',
      dependsOn: ['compute.stack', 'storage.stack'],
      playbook: 'nfs.yml',
      targets: (ctx) => byRole(ctx, NODE_ROLES),
    }),
  ];
  if (freeipa) {
    steps.push(
      nodePlaybook({
        id: 'identity.ipa-server',
        phase: 'identity',
        title: 'Install the first FreeIPA server',
        dependsOn: ['identity.stack'],
        playbook: 'identity.yml',
        targets: (ctx) => ({ instanceIds: [ctx.output('identity.stack', 'IpaServerInstanceId')] }),
        vars: () => ({ ipa_install_mode: 'server', dpf_role: 'identity' }),
        estimateSeconds: 900,
      }),
      nodePlaybook({
        id: 'identity.ipa-replica',
        phase: 'identity',
        title: 'Install the FreeIPA replica (second AZ)',
        dependsOn: ['identity.ipa-server'],
        playbook: 'identity.yml',
        targets: (ctx) => ({ instanceIds: [ctx.output('identity.stack', 'IpaReplicaInstanceId')] }),
        vars: () => ({ ipa_install_mode: 'replica', dpf_role: 'identity' }),
        estimateSeconds: 900,
      }),
      nodePlaybook({
        id: 'identity.enrol-hosts',
        phase: 'identity',
        title: 'Register the nodes in FreeIPA and publish their keytabs',
        dependsOn: ['identity.ipa-replica', 'compute.stack'],
        playbook: 'freeipa-enrol.yml',
        targets: (ctx) => ({ instanceIds: [ctx.output('identity.stack', 'IpaServerInstanceId')] }),
        vars: async (ctx) => {
          const instances = await (await ctx.aws.ops()).ec2.describeInstances({ 'tag:dpf:env': [ctx.envCtx.name], 'tag:dpf:role': ['bastion', ...NODE_ROLES], 'instance-state-name': ['running'] });
          const hosts = instances.filter((i) => i.privateIp).map((i) => nodeFqdn(i.privateIp!, ctx.envCtx.env.identity.domain)).sort();
          return { ipa_enrol_hosts: hosts.join(',') };
        },
      }),
      nodePlaybook({
        id: 'identity.enrol',
        phase: 'identity',
        title: 'Enrol every node (SSSD, sudo rules, homes on /shared)',
        dependsOn: ['identity.enrol-hosts', 'identity.nfs'],
        playbook: 'freeipa-client.yml',
        targets: (ctx) => byRole(ctx, ['bastion', ...NODE_ROLES]),
      }),
    );
  }
  for (const role of NODE_ROLES)
    steps.push(
      nodePlaybook({
        id: `identity.configure-${role}`,
        phase: 'identity',
        title: `Configure the ${role} node${role === 'worker' ? 's' : ''} (${role}.yml: data tools${role === 'master' ? ', Airflow, Spark master' : role === 'worker' ? ', Spark worker' : ''})`,
        dependsOn: freeipa ? ['identity.enrol'] : ['identity.stack', 'identity.nfs'],
        playbook: `${role}.yml`,
        targets: (ctx) => byRole(ctx, [role]),
        vars: () => ({ dpf_role: role }),
      }),
    );
  return steps;
}

function monitoringSteps(): StepDef[] {
  return [
    stackStep({
      id: 'monitoring.stack',
      phase: 'monitoring',
      title: 'SNS topic, alarms, dashboard, log groups, metric filters',
      template: 'monitoring',
      dependsOn: ['compute.stack', 'storage.stack'],
      parameters: (ctx) => {
        const m = ctx.envCtx.env.monitoring;
        const c = (k: string) => ctx.output('compute.stack', k);
        return {
          ...common(ctx),
          AlarmEmail: m.alarmEmail,
          WorkerAutoScalingGroupName: c('WorkerAutoScalingGroupName'),
          MasterInstanceId: c('MasterInstanceId'),
          DevInstanceId: c('DevInstanceId'),
          BastionInstanceId: c('BastionInstanceId'),
          DbInstanceIdentifier: ctx.output('storage.stack', 'DbInstanceIdentifier'),
          EfsFileSystemId: ctx.output('storage.stack', 'EfsFileSystemId'),
          BackupVaultName: backupVaultName(ctx),
          CpuCriticalPercent: String(m.cpuCriticalPercent),
          CpuCriticalMinutes: String(m.cpuCriticalMinutes),
          DiskWarningPercent: String(m.diskWarningPercent),
          MemoryWarningPercent: String(m.memoryWarningPercent),
          RdsMaxConnections: String(m.rdsMaxConnections),
          DebugLogRetentionDays: String(m.debugLogRetentionDays),
          AuditLogRetentionDays: String(m.auditLogRetentionDays),
          CreateTrail: String(m.cloudTrail === 'create'),
        };
      },
    }),
    nodePlaybook({
      id: 'monitoring.agent',
      phase: 'monitoring',
      title: 'CloudWatch agent on every node (monitoring role)',
      dependsOn: ['monitoring.stack', 'identity.nfs'],
      playbook: 'monitoring.yml',
      targets: (ctx) => byRole(ctx, ['bastion', ...NODE_ROLES, 'identity']),
    }),
  ];
}

export function phaseOf(stepId: string): PhaseId {
  const p = stepId.split('.')[0] as PhaseId;
  if (!(PHASES as readonly string[]).includes(p) && p !== 'operations') throw new Error(`step id ${stepId} does not start with a phase`);
  return p;
}
