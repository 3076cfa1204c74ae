/** The monitoring phase: the monitoring stack, the CloudWatch agent, workers configuring themselves. */
import type { StepDef } from '../types.js';
import { stackStep } from '../kinds/stack.js';
import { playbookDocument, renderExtraVariables } from '../kinds/playbook.js';
import { mergeAfter } from '../graph.js';
import { type IdentityProvider } from '../contracts.js';
import { buildBundle, bundleKey, bundleSourceUrl, ensureBundleUploaded, type Bundle } from '../../ansible/bundle.js';
import { backupVaultName, optionalOutput } from '../facts.js';
import { common, sameHosts } from './shared.js';
import { variableReads, playbookVars, byRole, nodePlaybook, CLIENT_ROLES, IPA_CLIENT_READS, nodeVars } from './node-config.js';

/** Where the agent runs: every node, the FreeIPA servers too. */
const AGENT_HOSTS = [...CLIENT_ROLES, 'ipa-server', 'ipa-replica'] as const;

export function monitoringSteps(provider: IdentityProvider): StepDef[] {
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
