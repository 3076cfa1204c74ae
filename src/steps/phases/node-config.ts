/** Node configuration (Ansible over SSM): the variables every playbook gets, and a node playbook step with its edges. */
import type { After, StepContext, StepDef } from '../types.js';
import { playbookStep, PLAYBOOK_RUN_READS, type PlaybookStepSpec } from '../kinds/playbook.js';
import { mergeAfter } from '../graph.js';
import { playbookRoles, ROLE_CONTRACTS, type IdentityProvider, type StepVariable } from '../contracts.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import { instancePrivateIp, rdsEndpoint, rdsSecretName } from '../facts.js';

export const NODE_ROLES = ['master', 'dev', 'worker'] as const;

/** The FreeIPA servers' names: the identity template tags the instances (dpf:fqdn) and outputs them the same way. */
export const ipaServerFqdn = (domain: string) => `ipa1.${domain}`;
export const ipaReplicaFqdn = (domain: string) => `ipa2.${domain}`;

/** ExtraVariables every playbook gets, from the config alone: names and ids only, never secrets (those are read on the host at run time). */
export function configVars(ctx: StepContext): Record<string, string> {
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
export function variableReads(playbook: string, provider: IdentityProvider): After {
  return mergeAfter(...stepVariablesOf(playbook, provider).map((v) => ({ [STEP_VARIABLE_SOURCES[v].step]: { reads: STEP_VARIABLE_SOURCES[v].reads } })));
}

/** The variables of a playbook: the config's, and those of other steps its roles read. */
export async function playbookVars(ctx: StepContext, playbook: string): Promise<Record<string, string>> {
  const vars = configVars(ctx);
  for (const v of stepVariablesOf(playbook, ctx.envCtx.env.identity.provider)) vars[v] = await STEP_VARIABLE_SOURCES[v].value(ctx);
  return vars;
}

export const byRole = (ctx: StepContext, roles: readonly string[]) => ({ 'dpf:env': [ctx.envCtx.name], 'dpf:role': [...roles] });

export const RUN_READS: After = Object.fromEntries(Object.entries(PLAYBOOK_RUN_READS).map(([step, reads]) => [step, { reads }]));

export type NodePlaybookSpec = Omit<PlaybookStepSpec, 'extraVars' | 'after'> & {
  /** What this step waits for beyond what every playbook reads, its variables and its hosts (added here and by withHostEdges). */
  after?: After;
  vars?: (ctx: StepContext) => Promise<Record<string, string>> | Record<string, string>;
};

export function nodePlaybook(provider: IdentityProvider, spec: NodePlaybookSpec): StepDef {
  return playbookStep({
    ...spec,
    after: mergeAfter(spec.after ?? {}, RUN_READS, variableReads(spec.playbook, provider)),
    extraVars: async (ctx) => ({ ...(await playbookVars(ctx, spec.playbook)), ...(spec.vars ? await spec.vars(ctx) : {}) }),
  });
}

/** Every node dpf configures (and enrols with FreeIPA): the bastion and the data nodes. */
export const CLIENT_ROLES = ['bastion', ...NODE_ROLES] as const;
/** Roles whose launch template has the data volume (/dev/sdf, compute stack). */
const DATA_VOLUME_ROLES: readonly string[] = ['master', 'worker'];
export const DATA_VOLUME_DEVICE = '/dev/sdf';

/** Variables of a node playbook for one role: the data volume, and the IPA installation its keytab belongs to. */
export function nodeVars(ctx: StepContext, role: string): Record<string, string> {
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
export function ipaClientVars(ctx: StepContext): Record<string, string> {
  if (ctx.envCtx.env.identity.provider !== 'freeipa') return {};
  return { ipa_server_instance_id: ctx.output('identity.stack', 'IpaServerInstanceId') };
}
/** The edge of a step whose variables include ipaClientVars. */
export const IPA_CLIENT_READS: After = { 'identity.stack': { reads: ['IpaServerInstanceId'] } };

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
