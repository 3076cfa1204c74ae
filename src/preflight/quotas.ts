/**
 * The quota checks of the account preflight: what a deployment adds (./needs.ts) against Service
 * Quotas, with what is in use read only where a quota has a value to compare it with.
 */
import { couldNotAsk, type AccountContext, type Outcome } from './checks.js';
import { deploymentNeeds, knownVcpus, vcpuQuotaOf, type Needs } from './needs.js';

interface QuotaNeed {
  id: string;
  what: string;
  service: string;
  code: string;
  need: number;
  usage: () => Promise<number>;
}

/** The quota first: what is in use is read only when there is a value to compare it with. */
async function quotaOutcome(c: AccountContext, q: QuotaNeed): Promise<Outcome> {
  const quota = await c.preflight.serviceQuota(q.service, q.code);
  if (quota === undefined)
    return { status: 'unknown', detail: `${q.what}: ${q.need} to add; Service Quotas has no value for ${q.service}/${q.code} (usage not read)` };
  const usage = await q.usage();
  if (usage + q.need > quota)
    return {
      status: 'fail',
      detail: `${q.what}: ${usage} in use + ${q.need} to add > quota ${quota} (${q.service}/${q.code})`,
      hint: `Request an increase: aws service-quotas request-service-quota-increase --service-code ${q.service} --quota-code ${q.code} --desired-value ${usage + q.need}`,
    };
  return { status: 'pass', detail: `${q.what}: ${usage} in use + ${q.need} to add ≤ quota ${quota}` };
}

export async function quotaChecks(c: AccountContext, needs: Needs = deploymentNeeds(c.envName, c.env, c.toCreate ?? c.pending)): Promise<Outcome[]> {
  const qs: QuotaNeed[] = [];
  if (needs.vpcs) qs.push({ id: 'vpcs', what: 'VPCs', service: 'vpc', code: 'L-F678F1CE', need: needs.vpcs, usage: () => c.preflight.countVpcs() });
  if (needs.internetGateways)
    qs.push({
      id: 'igws',
      what: 'Internet gateways',
      service: 'vpc',
      code: 'L-A4707A72',
      need: needs.internetGateways,
      usage: () => c.preflight.countInternetGateways(),
    });
  if (needs.elasticIps)
    qs.push({
      id: 'eips',
      what: 'Elastic IP addresses',
      service: 'ec2',
      code: 'L-0263D0A3',
      need: needs.elasticIps,
      usage: () => c.preflight.countAddresses(),
    });
  const natZones = Object.entries(needs.natPerZone);
  let natUsage: Promise<Record<string, number>> | undefined;
  for (const [zone, n] of natZones)
    qs.push({
      id: `nat-${zone}`,
      what: `NAT gateways in ${zone}`,
      service: 'vpc',
      code: 'L-FE5A380F',
      need: n,
      usage: async () => (await (natUsage ??= c.preflight.natGatewaysPerZone()))[zone] ?? 0,
    });
  // Asked at once, listed in this order.
  const quotas = qs.map((q) => quotaOutcome(c, q).catch((err): Outcome => ({ ...couldNotAsk(err), detail: `${q.what}: ${couldNotAsk(err).detail}` })));
  const vcpus = needs.instances.length
    ? vcpuOutcomes(c, needs).catch((err): Outcome[] => [{ ...couldNotAsk(err), detail: `On-Demand vCPUs: ${couldNotAsk(err).detail}` }])
    : Promise.resolve([]);
  return [...(await Promise.all(quotas)), ...(await vcpus)];
}

/** vCPUs per type: known ones from the table (./needs.ts), the others asked of EC2 in one call. */
async function vcpusOf(c: AccountContext, types: string[]): Promise<Record<string, number>> {
  const known = Object.fromEntries(types.flatMap((t) => (knownVcpus(t) === undefined ? [] : [[t, knownVcpus(t)!]])));
  const asked = types.filter((t) => !(t in known));
  return { ...known, ...(asked.length ? await c.preflight.instanceTypeVcpus(asked) : {}) };
}

async function vcpuOutcomes(c: AccountContext, needs: Needs): Promise<Outcome[]> {
  const vcpus = await vcpusOf(c, [...new Set(needs.instances.map((i) => i.instanceType))]);
  const out: Outcome[] = [];
  const byQuota = new Map<string, { name: string; need: number; unknownTypes: string[] }>();
  for (const p of needs.instances) {
    const q = vcpuQuotaOf(p.instanceType);
    if (!q) {
      out.push({ status: 'unknown', detail: `${p.what} (${p.instanceType}): dpf does not know the On-Demand vCPU quota of this family` });
      continue;
    }
    const e = byQuota.get(q.code) ?? { name: q.name, need: 0, unknownTypes: [] };
    if (vcpus[p.instanceType] === undefined) e.unknownTypes.push(p.instanceType);
    else e.need += vcpus[p.instanceType]! * p.count;
    byQuota.set(q.code, e);
  }
  // The running instances (and the vCPUs of their types) are read once, and only for a quota that has a value.
  let running: Promise<Map<string, number>> | undefined;
  const usageOf = async (code: string) => (await (running ??= runningVcpus(c))).get(code) ?? 0;
  for (const [code, e] of byQuota) {
    if (e.unknownTypes.length) {
      out.push({
        status: 'fail',
        detail: `${e.name}: instance type(s) ${e.unknownTypes.join(', ')} do not exist in ${c.region}`,
        hint: 'Fix the instance types in the config (compute.*.instanceType, identity.instanceType).',
      });
      continue;
    }
    out.push(await quotaOutcome(c, { id: code, what: `${e.name} vCPUs`, service: 'ec2', code, need: e.need, usage: () => usageOf(code) }));
  }
  return out;
}

/** vCPUs of the running and pending instances, per On-Demand quota code. */
async function runningVcpus(c: AccountContext): Promise<Map<string, number>> {
  const running = await c.preflight.runningInstanceTypes();
  const vcpus = await vcpusOf(c, [...new Set(running)]);
  const out = new Map<string, number>();
  for (const t of running) {
    const q = vcpuQuotaOf(t);
    if (q) out.set(q.code, (out.get(q.code) ?? 0) + (vcpus[t] ?? 0));
  }
  return out;
}
