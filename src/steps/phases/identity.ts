/** The identity phase: the identity and DNS stacks, the FreeIPA servers, each node configured. */
import type { After, StepContext, StepDef } from '../types.js';
import { stackStep } from '../kinds/stack.js';
import { PLAYBOOK_ESTIMATE_SECONDS } from '../kinds/playbook.js';
import { type IdentityProvider } from '../contracts.js';
import { derivedNames as names } from '../../config/normalise.js';
import { instancePrivateIp, ipaImageId, pinnedPlatformImageId, rdsEndpoint } from '../facts.js';
import { common, netOut, IDENTITY_NETWORK, sameHosts } from './shared.js';
import { byRole, nodePlaybook, CLIENT_ROLES, nodeVars, ipaPolicyVariable, IPA_CLIENT_READS } from './node-config.js';

export function identitySteps(provider: IdentityProvider): StepDef[] {
  const freeipa = provider === 'freeipa';
  return [identityStackStep(freeipa), identityDnsStep(), ...(freeipa ? freeipaSteps(provider) : []), ...configureSteps(provider)];
}

function identityStackStep(freeipa: boolean): StepDef {
  return stackStep({
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
  });
}

function identityDnsStep(): StepDef {
  return stackStep({
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
  });
}

const ipaServer = (ctx: StepContext) => ({ instanceIds: [ctx.output('identity.stack', 'IpaServerInstanceId')] });
const ON_IPA_SERVER: After = { 'identity.stack': { reads: ['IpaServerInstanceId'] } };

/** The FreeIPA servers, the nodes' enrolment and the directory's policy. */
function freeipaSteps(provider: IdentityProvider): StepDef[] {
  return [
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
  ];
}

/** One configure playbook per node role. */
function configureSteps(provider: IdentityProvider): StepDef[] {
  const freeipa = provider === 'freeipa';
  const steps: StepDef[] = [];
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
