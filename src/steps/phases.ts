/**
 * The phases and their steps, as data. Each phase maps to the seed's six-week plan so that
 * status and the reports can show the plan against what actually happened.
 *
 * Dependencies are not phase order: each step waits only for what it consumes, and says why
 * (`after`: step → reason). A stack waits for the steps whose outputs its parameters read; a
 * playbook for the stacks that create its hosts, the outputs its roles' variables and its
 * targets read, what its roles need before they run (src/steps/contracts.ts), and the other
 * playbooks on the same hosts (never two at once). test/steps/graph.test.ts checks every reason
 * against what the step really reads and against the prerequisite model; docs/architecture.md
 * ("The step graph") lists the edges and the critical path.
 */
import type { After, PhaseId, StepContext, StepDef } from './types.js';
import { stackStep } from './kinds/stack.js';
import {
  playbookStep,
  playbookDocument,
  renderExtraVariables,
  PLAYBOOK_ESTIMATE_SECONDS,
  PLAYBOOK_RUN_READS,
  type PlaybookStepSpec,
} from './kinds/playbook.js';
import { mergeAfter } from './graph.js';
import { hostProviders, hostsOf, playbookRoles, ROLE_CONTRACTS, type HostRole, type IdentityProvider, type StepVariable } from './contracts.js';
import { buildBundle, bundleKey, bundleSourceUrl, ensureBundleUploaded, type Bundle } from '../ansible/bundle.js';
import { PHASES } from './types.js';
import { goliveSteps } from './golive.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { derivedNames as names, drVaultRegion, normalised } from '../config/normalise.js';
import { backupVaultName, drVaultArn, instancePrivateIp, ipaImageId, optionalOutput, pinnedPlatformImageId, rdsEndpoint, rdsSecretName } from './facts.js';

// In their own module so `dpf status --offline` can name the phases without loading the steps' code.
export { PHASE_INFO, type PhaseInfo } from './phase-info.js';

const common = (ctx: StepContext) => ({ ProjectName: ctx.envCtx.project, EnvName: ctx.envCtx.name });

function netOut(ctx: StepContext, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, ctx.output('network.stack', k)]));
}

/** The network outputs each stack's parameters read. */
const COMPUTE_NETWORK = [
  'VpcId',
  'PublicSubnet1Id',
  'PrivateSubnet1Id',
  'PrivateSubnet2Id',
  'PrivateSubnet3Id',
  'ManagementSecurityGroupId',
  'ComputeSecurityGroupId',
] as const;
const STORAGE_NETWORK = [
  'VpcId',
  'PrivateSubnet1Id',
  'PrivateSubnet2Id',
  'PrivateSubnet3Id',
  'DatabaseSubnet1Id',
  'DatabaseSubnet2Id',
  'DatabaseSubnet3Id',
  'EfsSecurityGroupId',
  'DatabaseSecurityGroupId',
] as const;
const IDENTITY_NETWORK = ['VpcId', 'PrivateSubnet1Id', 'PrivateSubnet2Id', 'IdentitySecurityGroupId'] as const;

/**
 * Steps that read nothing of the state backend still wait for it: the run takes its lock and
 * mirrors the ledger to the state bucket once bootstrap.state is done (src/session.ts), and
 * nothing else should change AWS before both exist.
 */
export const STATE_BACKEND_FIRST = 'the state backend first: the run takes its lock and mirrors the ledger once it exists';

/** Two playbooks never run on one host at once (package locks, service restarts, the same files). */
export function sameHosts(hosts: readonly HostRole[], why?: string): string {
  return `same host${hosts.length > 1 ? 's' : ''} (${hosts.join(', ')}): one playbook at a time${why ? `; ${why}` : ''}`;
}

export function buildSteps(env?: EnvironmentConfig): StepDef[] {
  const provider: IdentityProvider = env?.identity.provider ?? 'freeipa';
  const steps: StepDef[] = [
    stackStep({
      id: 'bootstrap.state',
      phase: 'bootstrap',
      title: 'State bucket and lock table',
      template: 'bootstrap',
      after: {},
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
      after: { 'bootstrap.state': { order: STATE_BACKEND_FIRST } },
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
    }),
    stackStep({
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
    }),
    ...(env && drVaultRegion(env)
      ? [
          stackStep({
            id: 'storage.dr-vault',
            phase: 'storage',
            title: `Backup vault in the DR region (${drVaultRegion(env)}) for cross-region copies`,
            template: 'dr-vault',
            after: { 'bootstrap.state': { order: STATE_BACKEND_FIRST } },
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
    }),
  ];
  steps.push(...identitySteps(provider), ...monitoringSteps(provider), ...goliveSteps());
  return withHostEdges(steps, provider);
}

/**
 * The graph's last touches: a step that runs on hosts waits for the stacks that create them;
 * edges to steps this graph does not have (the DR vault, the IPA steps with the iam provider,
 * a check's) are dropped; dependsOn is the list of the remaining edges.
 */
function withHostEdges(steps: StepDef[], provider: IdentityProvider): StepDef[] {
  const ids = new Set(steps.map((s) => s.id));
  const creators = hostProviders(steps, provider);
  const present = new Set(hostsOf(provider));
  for (const s of steps) {
    const hosts: After[] = (s.contract?.runsOn ?? [])
      .filter((h) => present.has(h))
      .flatMap((h) => (creators.get(h) ?? []).map((c) => ({ [c]: { hosts: [h] } })));
    const after = mergeAfter(s.after ?? {}, ...hosts);
    s.after = Object.fromEntries(Object.entries(after).filter(([d]) => ids.has(d)));
    s.dependsOn = Object.keys(s.after);
  }
  return steps;
}

// ---------- node configuration (Ansible over SSM) ----------

const NODE_ROLES = ['master', 'dev', 'worker'] as const;

/** The FreeIPA servers' names: the identity template tags the instances (dpf:fqdn) and outputs them the same way. */
export const ipaServerFqdn = (domain: string) => `ipa1.${domain}`;
export const ipaReplicaFqdn = (domain: string) => `ipa2.${domain}`;

/** ExtraVariables every playbook gets, from the config alone: names and ids only, never secrets (those are read on the host at run time). */
function configVars(ctx: StepContext): Record<string, string> {
  const e = ctx.envCtx.env;
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
  };
  if (e.identity.provider === 'freeipa') {
    vars.ipa_server_fqdn = ipaServerFqdn(e.identity.domain);
    vars.ipa_replica_fqdn = ipaReplicaFqdn(e.identity.domain);
    vars.ipa_admin_secret_arn = `${ctx.envCtx.project}/${ctx.envCtx.name}/freeipa/admin`;
    vars.ipa_ds_secret_arn = `${ctx.envCtx.project}/${ctx.envCtx.name}/freeipa/directory-manager`;
    vars.ipa_host_keytab_secret_prefix = `${ctx.envCtx.project}/${ctx.envCtx.name}/freeipa/host-keytab`;
  }
  return vars;
}

/** How each variable computed from another step is computed, and what it reads there (a playbook's edges follow from it). */
export const STEP_VARIABLE_SOURCES: Record<StepVariable, { step: string; reads: readonly string[]; value(ctx: StepContext): string | Promise<string> }> = {
  efs_file_system_id: { step: 'storage.stack', reads: ['EfsFileSystemId'], value: (ctx) => ctx.output('storage.stack', 'EfsFileSystemId') },
  efs_access_point_id: { step: 'storage.stack', reads: ['EfsAccessPointId'], value: (ctx) => ctx.output('storage.stack', 'EfsAccessPointId') },
  rds_endpoint: { step: 'storage.stack', reads: ['DbEndpointAddress', 'DbInstanceIdentifier'], value: rdsEndpoint },
  rds_secret_arn: { step: 'storage.stack', reads: ['DbSecretArn'], value: rdsSecretName },
  spark_master_host: {
    step: 'compute.stack',
    reads: ['MasterInstanceId'],
    value: (ctx) => instancePrivateIp(ctx, ctx.output('compute.stack', 'MasterInstanceId')),
  },
};

/** The step variables the roles of a playbook read (ROLE_CONTRACTS vars). */
function stepVariablesOf(playbook: string, provider: IdentityProvider): StepVariable[] {
  return [...new Set(playbookRoles(playbook, provider).flatMap((r) => ROLE_CONTRACTS[r]?.vars ?? []))];
}

/** A playbook's edges for its variables: the outputs its roles' variables read. */
function variableReads(playbook: string, provider: IdentityProvider): After {
  return mergeAfter(...stepVariablesOf(playbook, provider).map((v) => ({ [STEP_VARIABLE_SOURCES[v].step]: { reads: STEP_VARIABLE_SOURCES[v].reads } })));
}

/** The variables of a playbook: the config's, and those of other steps its roles read. */
async function playbookVars(ctx: StepContext, playbook: string): Promise<Record<string, string>> {
  const vars = configVars(ctx);
  for (const v of stepVariablesOf(playbook, ctx.envCtx.env.identity.provider)) vars[v] = await STEP_VARIABLE_SOURCES[v].value(ctx);
  return vars;
}

const byRole = (ctx: StepContext, roles: readonly string[]) => ({ 'dpf:env': [ctx.envCtx.name], 'dpf:role': [...roles] });

const RUN_READS: After = Object.fromEntries(Object.entries(PLAYBOOK_RUN_READS).map(([step, reads]) => [step, { reads }]));

type NodePlaybookSpec = Omit<PlaybookStepSpec, 'extraVars' | 'after'> & {
  /** What this step waits for beyond what every playbook reads, its variables and its hosts (added here and by withHostEdges). */
  after?: After;
  vars?: (ctx: StepContext) => Promise<Record<string, string>> | Record<string, string>;
};

function nodePlaybook(provider: IdentityProvider, spec: NodePlaybookSpec): StepDef {
  return playbookStep({
    ...spec,
    after: mergeAfter(spec.after ?? {}, RUN_READS, variableReads(spec.playbook, provider)),
    extraVars: async (ctx) => ({ ...(await playbookVars(ctx, spec.playbook)), ...(spec.vars ? await spec.vars(ctx) : {}) }),
  });
}

/** Every node dpf configures (and enrols with FreeIPA): the bastion and the data nodes. */
const CLIENT_ROLES = ['bastion', ...NODE_ROLES] as const;
/** Roles whose launch template has the data volume (/dev/sdf, compute stack). */
const DATA_VOLUME_ROLES: readonly string[] = ['master', 'worker'];
export const DATA_VOLUME_DEVICE = '/dev/sdf';

/** Variables of a node playbook for one role: the data volume, and the IPA installation its keytab belongs to. */
function nodeVars(ctx: StepContext, role: string): Record<string, string> {
  return {
    dpf_role: role,
    data_volume_device: DATA_VOLUME_ROLES.includes(role) ? DATA_VOLUME_DEVICE : '',
    ...ipaClientVars(ctx),
  };
}

/**
 * The first IPA server's instance: a rebuilt server is a new installation with new keys, so the
 * client steps' inputs change with it and they run again, fetching the re-minted keytabs.
 */
function ipaClientVars(ctx: StepContext): Record<string, string> {
  if (ctx.envCtx.env.identity.provider !== 'freeipa') return {};
  return { ipa_server_instance_id: ctx.output('identity.stack', 'IpaServerInstanceId') };
}
/** The edge of a step whose variables include ipaClientVars. */
const IPA_CLIENT_READS: After = { 'identity.stack': { reads: ['IpaServerInstanceId'] } };

/** The FreeIPA password policy, lockout and sudo rules from the config, as one base64 JSON value (ExtraVariables allow no braces or spaces). */
export function ipaPolicyVariable(env: EnvironmentConfig): string {
  const p = env.identity.passwordPolicy;
  const doc = {
    password_policy: {
      minlength: p.minLength,
      minclasses: p.minClasses,
      maxlife: p.maxLifeDays,
      minlife: p.minLifeHours,
      history: p.historySize,
      maxfail: p.maxFailures,
      failinterval: p.failureIntervalSeconds,
      lockouttime: p.lockoutSeconds,
    },
    groups: env.identity.groups,
    sudo_rules: env.identity.sudoRules.map((r) => ({ name: r.name, group: r.group, commands: r.commands, run_as: r.runAs })),
  };
  return Buffer.from(JSON.stringify(doc), 'utf8').toString('base64');
}

function identitySteps(provider: IdentityProvider): StepDef[] {
  const freeipa = provider === 'freeipa';
  const steps: StepDef[] = [
    stackStep({
      id: 'identity.stack',
      phase: 'identity',
      title: freeipa ? 'IAM roles, FreeIPA servers, private DNS zone' : 'IAM roles, Session Manager operators group, private DNS zone',
      template: 'identity',
      contract: { provides: { aws: ['ipa-secrets', 'dns-zone'], 'ipa-server': ['instance'], 'ipa-replica': ['instance'] } },
      // Only the network and the state bucket: the FreeIPA servers start while storage (RDS) is still being created.
      after: { 'network.stack': { reads: IDENTITY_NETWORK }, 'bootstrap.state': { reads: ['StateBucketName'] } },
      parameters: async (ctx) => {
        const e = ctx.envCtx.env;
        const cross = e.identity.crossAccount;
        return {
          ...common(ctx),
          ...netOut(ctx, IDENTITY_NETWORK),
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
        };
      },
    }),
    stackStep({
      id: 'identity.dns',
      phase: 'identity',
      title: 'Platform names in the private zone: master, db and efs (templates/cloudformation/dns.yaml)',
      template: 'dns',
      contract: { provides: { aws: ['platform-dns'] } },
      after: {
        'identity.stack': { reads: ['HostedZoneId'] },
        'compute.stack': { reads: ['MasterInstanceId'] },
        'storage.stack': { reads: ['DbEndpointAddress', 'DbInstanceIdentifier', 'EfsFileSystemId'] },
      },
      parameters: async (ctx) => ({
        HostedZoneId: ctx.output('identity.stack', 'HostedZoneId'),
        Domain: ctx.envCtx.env.identity.domain,
        MasterPrivateIp: await instancePrivateIp(ctx, ctx.output('compute.stack', 'MasterInstanceId')),
        RdsEndpointAddress: await rdsEndpoint(ctx),
        EfsFileSystemId: ctx.output('storage.stack', 'EfsFileSystemId'),
      }),
    }),
  ];
  const ipaServer = (ctx: StepContext) => ({ instanceIds: [ctx.output('identity.stack', 'IpaServerInstanceId')] });
  const ON_IPA_SERVER: After = { 'identity.stack': { reads: ['IpaServerInstanceId'] } };
  if (freeipa) {
    steps.push(
      nodePlaybook(provider, {
        id: 'identity.ipa-server',
        phase: 'identity',
        title: 'Install the first FreeIPA server',
        runsOn: ['ipa-server'],
        after: { ...ON_IPA_SERVER },
        playbook: 'ipa-server.yml',
        targets: ipaServer,
        vars: () => ({ dpf_role: 'identity' }),
        estimateSeconds: 900,
      }),
      nodePlaybook(provider, {
        id: 'identity.ipa-replica',
        phase: 'identity',
        title: 'Install the FreeIPA replica (second AZ)',
        runsOn: ['ipa-replica'],
        after: { 'identity.ipa-server': { needs: ['svc:ipa@ipa-server'] }, 'identity.stack': { reads: ['IpaReplicaInstanceId'] } },
        playbook: 'ipa-replica.yml',
        targets: (ctx) => ({ instanceIds: [ctx.output('identity.stack', 'IpaReplicaInstanceId')] }),
        vars: () => ({ dpf_role: 'identity' }),
        estimateSeconds: 900,
      }),
      nodePlaybook(provider, {
        id: 'identity.enrol-hosts',
        phase: 'identity',
        title: 'Register the nodes in FreeIPA and publish their keytabs',
        // On the first server as soon as it is installed, while the replica installs on its own host.
        after: { 'identity.ipa-server': { needs: ['svc:ipa'] }, ...ON_IPA_SERVER, 'compute.stack': { instances: CLIENT_ROLES } },
        playbook: 'freeipa-enrol.yml',
        runsOn: ['ipa-server'],
        provides: Object.fromEntries(CLIENT_ROLES.map((r) => [r, ['host-keytab']])),
        targets: ipaServer,
        vars: async (ctx) => {
          const instances = await (
            await ctx.aws.ops()
          ).ec2.describeInstances({ 'tag:dpf:env': [ctx.envCtx.name], 'tag:dpf:role': [...CLIENT_ROLES], 'instance-state-name': ['running'] });
          // The server resolves each instance's private address (its FQDN) and tags the keytab secret with the instance id.
          return {
            ipa_enrol_instances: instances
              .map((i) => i.instanceId)
              .sort()
              .join(','),
          };
        },
      }),
      nodePlaybook(provider, {
        id: 'identity.ipa-policy',
        phase: 'identity',
        title: 'FreeIPA password policy, lockout and sudo rules (identity.passwordPolicy, identity.sudoRules)',
        runsOn: ['ipa-server'],
        // No client needs the policy to enrol: it waits its turn on the server after the enrolment.
        after: {
          'identity.ipa-server': { needs: ['svc:ipa'] },
          'identity.enrol-hosts': { order: sameHosts(['ipa-server'], 'host enrolment goes first, the nodes wait for it') },
          ...ON_IPA_SERVER,
        },
        playbook: 'freeipa-policy.yml',
        targets: ipaServer,
        vars: (ctx) => ({ ipa_policy_b64: ipaPolicyVariable(ctx.envCtx.env) }),
        estimateSeconds: 60,
      }),
    );
  }
  const TITLES: Record<(typeof CLIENT_ROLES)[number], string> = {
    bastion: 'Configure the bastion (bastion.yml: base configuration, hardening)',
    master: 'Configure the master node (master.yml: data tools, Airflow, Spark master, k3s on the data volume)',
    dev: 'Configure the dev node (dev.yml: data tools, JupyterHub)',
    worker: 'Configure the worker nodes (worker.yml: data tools, Spark worker on the data volume)',
  };
  for (const role of CLIENT_ROLES) {
    // Each configure playbook mounts /shared (nfs_client) and enrols its host (freeipa_client)
    // itself, as a launched worker's does: no separate mount and enrolment playbooks run before
    // it on the same hosts (issue 14: 10 minutes off the critical path). With FreeIPA it needs the
    // host's keytab, which the first server publishes; the EFS edge comes from its variables.
    const before: After = freeipa ? { 'identity.enrol-hosts': { needs: ['host-keytab'] }, ...IPA_CLIENT_READS } : {};
    steps.push(
      nodePlaybook(provider, {
        id: `identity.configure-${role}`,
        phase: 'identity',
        title: TITLES[role],
        after: before,
        playbook: `${role}.yml`,
        runsOn: [role],
        targets: (ctx) => byRole(ctx, [role]),
        vars: (ctx) => nodeVars(ctx, role),
        estimateSeconds: role === 'master' ? 1200 : role === 'bastion' ? 180 : PLAYBOOK_ESTIMATE_SECONDS,
      }),
    );
  }
  return steps;
}

/** Where the agent runs: every node, the FreeIPA servers too. */
const AGENT_HOSTS = [...CLIENT_ROLES, 'ipa-server', 'ipa-replica'] as const;

function monitoringSteps(provider: IdentityProvider): StepDef[] {
  const MONITORED_COMPUTE = ['WorkerAutoScalingGroupName', 'MasterInstanceId', 'DevInstanceId', 'BastionInstanceId'] as const;
  return [
    stackStep({
      id: 'monitoring.stack',
      phase: 'monitoring',
      title: 'SNS topic, alarms, dashboard, log groups, metric filters',
      template: 'monitoring',
      contract: { provides: { aws: ['log-groups', 'alarms'] } },
      after: { 'compute.stack': { reads: MONITORED_COMPUTE }, 'storage.stack': { reads: ['DbInstanceIdentifier', 'EfsFileSystemId', 'BackupVaultName'] } },
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
    nodePlaybook(provider, {
      id: 'monitoring.agent',
      phase: 'monitoring',
      title: 'CloudWatch agent on every node (monitoring role: installs, configures, starts it)',
      // After the log groups exist (the agent would otherwise create them first and the stack
      // would fail), and after the last playbook on each of its hosts (never during an IPA install).
      after: {
        'monitoring.stack': { needs: ['log-groups@aws'] },
        ...Object.fromEntries(CLIENT_ROLES.map((r) => [`identity.configure-${r}`, { order: sameHosts([r]) }])),
        'identity.ipa-replica': { order: sameHosts(['ipa-replica']) },
        'identity.ipa-policy': { order: sameHosts(['ipa-server']) },
      },
      playbook: 'monitoring.yml',
      runsOn: AGENT_HOSTS,
      targets: (ctx) => byRole(ctx, ctx.envCtx.env.identity.provider === 'freeipa' ? [...CLIENT_ROLES, 'identity'] : CLIENT_ROLES),
    }),
    workerBootstrapStep(provider),
  ];
}

/**
 * New workers configure themselves: a State Manager association on dpf:role=worker applies
 * worker-launch.yml (worker.yml, then the agent) from the same bundle to every worker the Auto
 * Scaling group launches; with FreeIPA an EventBridge rule has the first IPA server mint the new
 * worker's keytab at launch (and remove it at termination). Created last: when created, the
 * association also runs once on the workers already there (changed=0 on a configured node).
 */
function workerBootstrapStep(provider: IdentityProvider): StepDef {
  let bundle: Bundle | undefined;
  const theBundle = () => (bundle ??= buildBundle());
  return stackStep({
    id: 'monitoring.worker-bootstrap',
    phase: 'monitoring',
    title: 'New workers configure themselves (State Manager association; FreeIPA keytab at launch)',
    template: 'autoconfig',
    after: mergeAfter(
      {
        'monitoring.agent': { order: sameHosts(['worker'], 'when created, the association runs worker-launch.yml on the workers already there') },
        'compute.stack': { reads: ['AnsibleDocumentName', 'WorkerAutoScalingGroupName'] },
        'bootstrap.state': { reads: ['StateBucketName'] },
      },
      provider === 'freeipa' ? IPA_CLIENT_READS : {},
      variableReads('worker-launch.yml', provider),
    ),
    contract: {
      runsOn: ['worker'],
      playbook: 'worker-launch.yml',
      // The enrolment rule mints a new worker's keytab when it launches; its association retries until the secret is there.
      provides: { aws: ['worker-association'], worker: ['host-keytab'] },
    },
    beforeDeploy: async (ctx) => {
      await ensureBundleUploaded(await ctx.aws.objects(), ctx.output('bootstrap.state', 'StateBucketName'), theBundle(), ctx.envCtx.region);
    },
    parameters: async (ctx) => {
      const e = ctx.envCtx.env;
      const bucket = ctx.output('bootstrap.state', 'StateBucketName');
      const workerVars = renderExtraVariables('monitoring.worker-bootstrap', {
        ...(await playbookVars(ctx, 'worker-launch.yml')),
        ...nodeVars(ctx, 'worker'),
        ipa_keytab_wait: 'true',
      });
      const enrolVars =
        e.identity.provider === 'freeipa'
          ? renderExtraVariables('monitoring.worker-bootstrap', { ...(await playbookVars(ctx, 'freeipa-enrol.yml')), dpf_role: 'identity' })
          : '';
      return {
        ...common(ctx),
        IdentityProvider: e.identity.provider,
        DocumentName: optionalOutput(ctx, 'compute.stack', 'AnsibleDocumentName') ?? playbookDocument(ctx.envCtx),
        BundleUrl: bundleSourceUrl(ctx.envCtx.region, bucket, bundleKey(theBundle().sha256)),
        WorkerExtraVariables: workerVars,
        EnrolExtraVariables: enrolVars,
        WorkerAutoScalingGroupName: ctx.output('compute.stack', 'WorkerAutoScalingGroupName'),
        StateBucketName: bucket,
        MaxConcurrency: e.ssm.maxConcurrency,
        MaxErrors: e.ssm.maxErrors,
        TimeoutSeconds: String(e.ssm.timeoutSeconds),
      };
    },
  });
}

export function phaseOf(stepId: string): PhaseId {
  const p = stepId.split('.')[0] as PhaseId;
  if (!(PHASES as readonly string[]).includes(p) && p !== 'operations') throw new Error(`step id ${stepId} does not start with a phase`);
  return p;
}
