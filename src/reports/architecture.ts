/**
 * The platform as actually deployed, for the architecture diagram: read from the ledger's step
 * outputs (what dpf created), optionally completed by live describe calls (CIDRs, instance
 * types, group sizes). Only resources that exist are drawn.
 */
import type { LedgerData } from '../state/ledger.js';
import type { OpsPorts } from '../aws/ops-ports.js';
import { errorMessage } from '../errors.js';

export type Tier = 'public' | 'private' | 'database';

export interface ArchitectureModel {
  vpc?: { id: string; cidr?: string };
  subnets: Array<{ id: string; tier: Tier; cidr?: string; az?: string }>;
  natGateways: string[];
  instances: Array<{ role: 'bastion' | 'master' | 'dev'; id: string; type?: string; privateIp?: string; state?: string }>;
  workers?: { name: string; desired?: number; min?: number; max?: number; inService?: number; type?: string };
  database?: { id: string; endpoint?: string; engine?: string; multiAz?: boolean };
  fileSystem?: { id: string; encrypted?: boolean };
  dataLake?: string;
  stateBucket?: string;
  ipaServers: Array<{ id: string; fqdn?: string; privateIp?: string }>;
  operatorsGroup?: string;
  alertTopic?: string;
  /** 'ledger' or 'ledger+live'. */
  source: string;
  notes: string[];
}

export function architectureFromLedger(ledger: LedgerData): ArchitectureModel {
  // Outputs are only ever written by a step that deployed its stack, so their presence means the resources exist.
  const out = (id: string): Record<string, string> => ledger.steps[id]?.outputs ?? {};
  const n = out('network.stack');
  const c = out('compute.stack');
  const s = out('storage.stack');
  const i = out('identity.stack');
  const m = out('monitoring.stack');
  const b = out('bootstrap.state');
  const subnets: ArchitectureModel['subnets'] = [];
  for (const [prefix, tier] of [
    ['Public', 'public'],
    ['Private', 'private'],
    ['Database', 'database'],
  ] as const)
    for (let k = 1; k <= 3; k++) if (n[`${prefix}Subnet${k}Id`]) subnets.push({ id: n[`${prefix}Subnet${k}Id`]!, tier });
  const instances: ArchitectureModel['instances'] = [];
  for (const role of ['bastion', 'master', 'dev'] as const) {
    const id = c[`${role[0]!.toUpperCase()}${role.slice(1)}InstanceId`];
    if (id) instances.push({ role, id });
  }
  const ipa: ArchitectureModel['ipaServers'] = [];
  if (i.IpaServerInstanceId) ipa.push({ id: i.IpaServerInstanceId, fqdn: i.IpaServerFqdn, privateIp: i.IpaServerPrivateIp });
  if (i.IpaReplicaInstanceId) ipa.push({ id: i.IpaReplicaInstanceId, fqdn: i.IpaReplicaFqdn, privateIp: i.IpaReplicaPrivateIp });
  return {
    vpc: n.VpcId ? { id: n.VpcId } : undefined,
    subnets,
    natGateways: [1, 2, 3].map((k) => n[`NatGateway${k}Id`]).filter((x): x is string => Boolean(x)),
    instances,
    workers: c.WorkerAutoScalingGroupName ? { name: c.WorkerAutoScalingGroupName } : undefined,
    database: s.DbInstanceIdentifier ? { id: s.DbInstanceIdentifier, endpoint: s.DbEndpointAddress } : undefined,
    fileSystem: s.EfsFileSystemId ? { id: s.EfsFileSystemId } : undefined,
    dataLake: s.DataLakeBucketName,
    stateBucket: b.StateBucketName,
    ipaServers: ipa,
    operatorsGroup: i.OperatorsGroupName,
    alertTopic: m.AlarmTopicArn,
    source: 'ledger',
    notes: [],
  };
}

async function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`no answer within ${ms / 1000}s`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

/** Fill in live facts; every call is optional and time-boxed, a failure becomes a note. */
export async function enrichLive(model: ArchitectureModel, ops: OpsPorts, env: string, timeoutMs = 8000): Promise<ArchitectureModel> {
  const m: ArchitectureModel = {
    ...model,
    subnets: model.subnets.map((x) => ({ ...x })),
    instances: model.instances.map((x) => ({ ...x })),
    ipaServers: model.ipaServers.map((x) => ({ ...x })),
    notes: [...model.notes],
  };
  const attempt = async (what: string, f: () => Promise<void>) => {
    try {
      await bounded(f(), timeoutMs);
    } catch (err) {
      m.notes.push(`${what}: ${errorMessage(err)}`);
    }
  };
  await Promise.all([
    attempt('VPC and subnets', async () => {
      if (!m.vpc) return;
      const [vpcs, subnets] = await Promise.all([ops.ec2.describeVpcs({ 'vpc-id': [m.vpc.id] }), ops.ec2.describeSubnets({ 'vpc-id': [m.vpc.id] })]);
      if (vpcs[0]) m.vpc = { id: m.vpc.id, cidr: vpcs[0].cidr };
      for (const sn of m.subnets) {
        const live = subnets.find((x) => x.subnetId === sn.id);
        if (live) Object.assign(sn, { cidr: live.cidr, az: live.availabilityZone });
      }
    }),
    attempt('instances', async () => {
      const all = await ops.ec2.describeInstances({ 'tag:dpf:env': [env] });
      for (const inst of [...m.instances, ...m.ipaServers]) {
        const live = all.find((x) => x.instanceId === inst.id);
        if (live) Object.assign(inst, { type: live.instanceType, privateIp: live.privateIp, state: live.state });
      }
      const worker = all.find((x) => x.tags['dpf:role'] === 'worker' && x.state === 'running');
      if (m.workers && worker) m.workers = { ...m.workers, type: worker.instanceType };
    }),
    attempt('worker group', async () => {
      if (!m.workers) return;
      const g = await ops.autoscaling.describeGroup(m.workers.name);
      if (g)
        m.workers = { ...m.workers, desired: g.desired, min: g.min, max: g.max, inService: g.instances.filter((x) => x.lifecycleState === 'InService').length };
    }),
    attempt('database', async () => {
      if (!m.database) return;
      const db = await ops.rds.describeInstance(m.database.id);
      if (db)
        m.database = {
          ...m.database,
          endpoint: db.endpoint ?? m.database.endpoint,
          engine: `${db.engine}${db.engineVersion ? ` ${db.engineVersion}` : ''}`,
          multiAz: db.multiAz,
        };
    }),
    attempt('file system', async () => {
      if (!m.fileSystem) return;
      const fs = (await ops.efs.describeFileSystems(m.fileSystem.id))[0];
      if (fs) m.fileSystem = { ...m.fileSystem, encrypted: fs.encrypted };
    }),
  ]);
  m.source = 'ledger+live';
  return m;
}
