/** What the phase definitions share: common parameters, the network outputs each stack reads, the ordering reasons. */
import type { StepContext } from '../types.js';
import { type HostRole } from '../contracts.js';

export const common = (ctx: StepContext) => ({ ProjectName: ctx.envCtx.project, EnvName: ctx.envCtx.name });

export function netOut(ctx: StepContext, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, ctx.output('network.stack', k)]));
}

/** The network outputs each stack's parameters read. */
export const COMPUTE_NETWORK = [
  'VpcId',
  'PublicSubnet1Id',
  'PrivateSubnet1Id',
  'PrivateSubnet2Id',
  'PrivateSubnet3Id',
  'ManagementSecurityGroupId',
  'ComputeSecurityGroupId',
] as const;
export const STORAGE_NETWORK = [
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
export const IDENTITY_NETWORK = ['VpcId', 'PrivateSubnet1Id', 'PrivateSubnet2Id', 'IdentitySecurityGroupId'] as const;

/**
 * What every deploy run needs, done or in the run, though no step reads it: the state backend,
 * whose lock table the run takes its lease in and whose bucket keeps the ledger's copy. The
 * stacks that read nothing of it start with it in the same run (docs/architecture.md, "The step
 * graph"); a run of later phases alone before it exists is refused.
 */
export const RUN_NEEDS = ['bootstrap.state'] as const;

/** Two playbooks never run on one host at once (package locks, service restarts, the same files). */
export function sameHosts(hosts: readonly HostRole[], why?: string): string {
  return `same host${hosts.length > 1 ? 's' : ''} (${hosts.join(', ')}): one playbook at a time${why ? `; ${why}` : ''}`;
}
