/**
 * What a deployment of the pending phases adds to the account: the resources that count against
 * quotas, and where each EC2 instance is placed (for instance-type offerings per AZ). Pure: from
 * the config and which phases are still to deploy.
 */
import type { EnvironmentConfig } from '../config/schema.js';
import { normalised } from '../config/normalise.js';

export interface Placement {
  /** Who: bastion, master, dev, workers, FreeIPA server… */
  what: string;
  instanceType: string;
  count: number;
  /** Zones it may launch in (any one suffices for a group, each is needed for a fixed instance). */
  zones: string[];
  /** An Auto Scaling group spreads over its zones; a fixed instance needs its own zone. */
  group: boolean;
}

export interface Needs {
  vpcs: number;
  internetGateways: number;
  elasticIps: number;
  /** NAT gateways added per zone. */
  natPerZone: Record<string, number>;
  instances: Placement[];
}

const PHASE_STACKS: Record<string, string> = { network: 'network.stack', compute: 'compute.stack', identity: 'identity.stack' };

/** Phases still to deploy (their stack step not done): the checks of what they need run for these. */
export function pendingPhases(stepStatus: (stepId: string) => string | undefined, only?: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const [phase, step] of Object.entries(PHASE_STACKS)) if (stepStatus(step) !== 'done' && (!only || only.includes(phase))) out.add(phase);
  return out;
}

/**
 * Of the pending phases, those whose resources do not exist yet: what a deployment ADDS against
 * the quotas. A stack step that recorded a stack id (a run that was interrupted or failed after
 * the stack existed, now resumed) already holds its VPC, gateways and instances: counting them
 * again would refuse a resume at a quota it does not need. (A first create that rolled back
 * is not counted either: CloudFormation then names the quota itself.)
 */
export function phasesToCreate(pending: Set<string>, stackIdOf: (stepId: string) => unknown): Set<string> {
  return new Set([...pending].filter((phase) => !PHASE_STACKS[phase] || !stackIdOf(PHASE_STACKS[phase]!)));
}

export function deploymentNeeds(envName: string, env: EnvironmentConfig, pending: Set<string>): Needs {
  const az = env.availabilityZones;
  const n: Needs = { vpcs: 0, internetGateways: 0, elasticIps: 0, natPerZone: {}, instances: [] };
  if (pending.has('network')) {
    const ha = normalised(envName, env).resilience.highAvailability.value;
    const natZones = ha ? az : az.slice(0, 1);
    n.vpcs = 1;
    n.internetGateways = 1;
    n.elasticIps = natZones.length;
    for (const z of natZones) n.natPerZone[z] = (n.natPerZone[z] ?? 0) + 1;
  }
  if (pending.has('compute')) {
    const c = env.compute;
    n.instances.push(
      { what: 'bastion', instanceType: c.bastion.instanceType, count: 1, zones: az.slice(0, 1), group: false },
      { what: 'master', instanceType: c.master.instanceType, count: 1, zones: az.slice(0, 1), group: false },
      { what: 'dev', instanceType: c.dev.instanceType, count: 1, zones: az.slice(1, 2), group: false },
      { what: 'workers (at max)', instanceType: c.workers.instanceType, count: c.workers.max, zones: az, group: true },
    );
  }
  if (pending.has('identity') && env.identity.provider === 'freeipa') {
    n.instances.push(
      { what: 'FreeIPA server', instanceType: env.identity.instanceType, count: 1, zones: az.slice(0, 1), group: false },
      { what: 'FreeIPA replica', instanceType: env.identity.instanceType, count: 1, zones: az.slice(1, 2), group: false },
    );
  }
  return n;
}

/** EC2 On-Demand vCPU quota of an instance family (Service Quotas, service "ec2"). */
export const VCPU_QUOTAS: Array<{ code: string; name: string; families: RegExp }> = [
  { code: 'L-1216C47A', name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances', families: /^(a|c|d|h|i|m|r|t|z)[0-9]/ },
  { code: 'L-DB2E81BA', name: 'Running On-Demand G and VT instances', families: /^(g|vt)[0-9]/ },
  { code: 'L-417A185B', name: 'Running On-Demand P instances', families: /^p[0-9]/ },
  { code: 'L-7295265B', name: 'Running On-Demand X instances', families: /^x[0-9]/ },
  { code: 'L-74FC7D96', name: 'Running On-Demand F instances', families: /^f[0-9]/ },
  { code: 'L-1945791B', name: 'Running On-Demand Inf instances', families: /^inf[0-9]/ },
];

export function vcpuQuotaOf(instanceType: string): (typeof VCPU_QUOTAS)[number] | undefined {
  const family = instanceType.split('.')[0] ?? '';
  return VCPU_QUOTAS.find((q) => q.families.test(family));
}

const T_SIZES: Record<string, number> = { nano: 2, micro: 2, small: 2, medium: 2, large: 2, xlarge: 4, '2xlarge': 8 };
const MR_SIZES: Record<string, number> = { large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32, '12xlarge': 48, '16xlarge': 64, '24xlarge': 96 };
const MR_FAMILIES = new Set(['m5', 'm5a', 'm6i', 'm6a', 'm7i', 'r5', 'r5a', 'r6i', 'r6a', 'r7i']);

/**
 * Default vCPUs of the general-purpose and memory-optimised types dpf's configs name, by the sizes
 * of their families (EC2 instance types guide, "Amazon EC2 instance type specifications": T3/T3a
 * nano…large 2, xlarge 4, 2xlarge 8; M5–M7i and R5–R7i large 2, xlarge 4, Nxlarge 4×N, for the
 * sizes every one of those families has). Asking EC2 (DescribeInstanceTypes) for them was one
 * request per deploy (issue 14); any other type (metal, Graviton, C, older families, a typo) is
 * still asked, and a type a zone does not offer is the offerings check's to refuse.
 */
export function knownVcpus(instanceType: string): number | undefined {
  const [family = '', size = ''] = instanceType.split('.');
  if (family === 't3' || family === 't3a') return T_SIZES[size];
  return MR_FAMILIES.has(family) ? MR_SIZES[size] : undefined;
}
