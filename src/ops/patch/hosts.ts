/** The hosts to patch (from the compute stack and the worker group) and their waves. */
import type { OpsPorts } from '../../aws/ops-ports.js';
import type { EnvContext } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { optionalOutput } from '../operation.js';
import { type Host } from '../health.js';
import { type Wave } from './keys.js';

export async function discoverHosts(ops: OpsPorts, ledger: Ledger, envCtx: EnvContext): Promise<Host[]> {
  const out: Host[] = [];
  for (const [key, role] of [
    ['BastionInstanceId', 'bastion'],
    ['MasterInstanceId', 'master'],
    ['DevInstanceId', 'dev'],
  ] as const) {
    const id = optionalOutput(ledger, 'compute.stack', key);
    if (id) out.push({ instanceId: id, role });
  }
  const identity = await ops.ec2.describeInstances({
    'tag:dpf:env': [envCtx.name],
    'tag:dpf:role': ['identity'],
    'instance-state-name': ['pending', 'running', 'stopping', 'stopped'],
  });
  for (const i of identity.sort((a, b) => (a.tags.Name ?? a.instanceId).localeCompare(b.tags.Name ?? b.instanceId)))
    out.push({ instanceId: i.instanceId, role: 'identity' });
  for (const id of await workerIds(ops, ledger)) out.push({ instanceId: id, role: 'worker' });
  return out;
}

export async function workerIds(ops: OpsPorts, ledger: Ledger): Promise<string[]> {
  const group = optionalOutput(ledger, 'compute.stack', 'WorkerAutoScalingGroupName');
  if (!group) return [];
  const g = await ops.autoscaling.describeGroup(group);
  return (g?.instances ?? []).filter((i) => i.lifecycleState === 'InService').map((i) => i.instanceId);
}

/** bastion → identity-1, identity-2 … (one at a time) → master-dev → workers; empty waves dropped. */
export function planWaves(hosts: Host[]): Wave[] {
  const of = (role: string) => hosts.filter((h) => h.role === role).map((h) => h.instanceId);
  const waves: Wave[] = [];
  if (of('bastion').length) waves.push({ name: 'bastion', role: 'bastion', hosts: of('bastion'), rolling: false });
  of('identity').forEach((id, i) => waves.push({ name: `identity-${i + 1}`, role: 'identity', hosts: [id], rolling: false }));
  const md = hosts.filter((h) => h.role === 'master' || h.role === 'dev').map((h) => h.instanceId);
  if (md.length) waves.push({ name: 'master-dev', role: 'master-dev', hosts: md, rolling: false });
  waves.push({ name: 'workers', role: 'worker', hosts: of('worker'), rolling: true });
  return waves;
}

/** Deploy state that decides which units a role must have running. */
export function deployedServices(ledger: Ledger, envCtx: EnvContext) {
  const identityDone = Object.values(ledger.data.steps).some((s) => s.id.startsWith('identity.') && s.status === 'done');
  const monitoringDone = Object.values(ledger.data.steps).some((s) => s.id.startsWith('monitoring.') && s.status === 'done');
  return { identity: identityDone ? envCtx.env.identity.provider : undefined, monitoring: monitoringDone };
}
