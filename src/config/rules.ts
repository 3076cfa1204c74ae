/**
 * Rules beyond the schema. Each returns `path: message` problems; all are collected and
 * reported at once. They read defensively: a value of the wrong type was already reported
 * by the schema, so a rule skips it instead of failing.
 */
import ipaddr from 'ipaddr.js';
import { LOG_RETENTION_DAYS, type EnvironmentConfig } from './schema.js';

export interface Problem { path: string; message: string }

type Cidr = { net: ipaddr.IPv4; bits: number; text: string };

export function parseCidr(text: unknown): Cidr | string {
  if (typeof text !== 'string') return 'must be a string like 10.0.0.0/16';
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim());
  if (!m || !ipaddr.IPv4.isValidFourPartDecimal(m[1]!)) return `"${text}" is not an IPv4 CIDR block (expected a.b.c.d/n)`;
  const bits = Number(m[2]);
  if (bits > 32) return `"${text}" has a prefix length over 32`;
  const addr = ipaddr.IPv4.parse(m[1]!);
  const net = ipaddr.IPv4.networkAddressFromCIDR(text) as ipaddr.IPv4;
  if (net.toString() !== addr.toString()) return `"${text}" has host bits set; did you mean ${net.toString()}/${bits}?`;
  return { net, bits, text };
}

function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.bits >= outer.bits && inner.net.match(outer.net, outer.bits);
}
function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

const TIERS = ['public', 'private', 'database'] as const;

export function checkEnvironment(env: EnvironmentConfig, base: string): Problem[] {
  const out: Problem[] = [];
  const p = (path: string, message: string) => out.push({ path: `${base}.${path}`, message });

  // Availability zones: three distinct, in the environment's region.
  const azs = Array.isArray(env.availabilityZones) ? env.availabilityZones : [];
  if (azs.length !== 3) p('availabilityZones', `must list exactly 3 availability zones, got ${azs.length}`);
  const seen = new Set<string>();
  azs.forEach((az, i) => {
    if (typeof az !== 'string') return;
    if (seen.has(az)) p(`availabilityZones[${i}]`, `"${az}" is listed twice; the three zones must be distinct`);
    seen.add(az);
    if (typeof env.region === 'string' && /^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(env.region) && !(az.startsWith(env.region) && /^[a-z]$/.test(az.slice(env.region.length))))
      p(`availabilityZones[${i}]`, `"${az}" is not a zone of region ${env.region} (expected ${env.region}a, ${env.region}b, …)`);
  });

  // Network.
  const net = env.network ?? ({} as EnvironmentConfig['network']);
  const vpc = parseCidr(net.vpcCidr);
  if (typeof vpc === 'string') p('network.vpcCidr', vpc);
  else if (vpc.bits < 16 || vpc.bits > 28) p('network.vpcCidr', `"${vpc.text}" must have a prefix between /16 and /28 (AWS VPC limits)`);
  const all: Array<{ path: string; cidr: Cidr }> = [];
  for (const tier of TIERS) {
    const list = net.subnets?.[tier];
    if (!Array.isArray(list)) continue;
    if (list.length !== azs.length && azs.length > 0)
      p(`network.subnets.${tier}`, `must have one subnet per availability zone (${azs.length}), got ${list.length}`);
    list.forEach((s, i) => {
      const path = `network.subnets.${tier}[${i}]`;
      const c = parseCidr(s);
      if (typeof c === 'string') return p(path, c);
      if (c.bits > 28) p(path, `"${c.text}" is smaller than /28, the smallest subnet AWS allows`);
      if (typeof vpc !== 'string' && !contains(vpc, c)) p(path, `"${c.text}" is outside the VPC ${vpc.text}`);
      for (const other of all) if (overlaps(other.cidr, c)) p(path, `"${c.text}" overlaps ${other.path} (${other.cidr.text})`);
      all.push({ path, cidr: c });
    });
  }
  const admins = Array.isArray(net.adminCidrs) ? net.adminCidrs : [];
  admins.forEach((a, i) => {
    const c = parseCidr(a);
    if (typeof c === 'string') return p(`network.adminCidrs[${i}]`, c);
    if (c.bits === 0 && !net.allowSshFromAnywhere)
      p(`network.adminCidrs[${i}]`, `"${c.text}" opens SSH to the whole internet; use your corporate ranges, or set network.allowSshFromAnywhere: true if you really mean it`);
  });
  if (typeof net.flowLogRetentionDays === 'number' && !LOG_RETENTION_DAYS.includes(net.flowLogRetentionDays as never))
    p('network.flowLogRetentionDays', `${net.flowLogRetentionDays} is not a CloudWatch Logs retention value (${LOG_RETENTION_DAYS.join(', ')})`);

  // Auto Scaling.
  const w = env.compute?.workers;
  if (w && [w.min, w.desired, w.max].every((n) => typeof n === 'number')) {
    if (w.min > w.max) p('compute.workers.min', `min (${w.min}) must not exceed max (${w.max})`);
    if (w.desired < w.min || w.desired > w.max) p('compute.workers.desired', `desired (${w.desired}) must be between min (${w.min}) and max (${w.max})`);
  }
  const pct = (path: string, v: unknown) => {
    if (typeof v === 'number' && !(v > 0 && v < 100)) p(path, `${v} must be a percentage between 1 and 99`);
  };
  pct('compute.workers.scaleOutCpuPercent', w?.scaleOutCpuPercent);
  pct('compute.workers.scaleInCpuPercent', w?.scaleInCpuPercent);
  if (w && typeof w.scaleInCpuPercent === 'number' && typeof w.scaleOutCpuPercent === 'number' && w.scaleInCpuPercent >= w.scaleOutCpuPercent)
    p('compute.workers.scaleInCpuPercent', `scale-in threshold (${w.scaleInCpuPercent}) must be below the scale-out threshold (${w.scaleOutCpuPercent})`);

  // Monitoring thresholds and retentions.
  const m = env.monitoring;
  pct('monitoring.cpuCriticalPercent', m?.cpuCriticalPercent);
  pct('monitoring.diskWarningPercent', m?.diskWarningPercent);
  pct('monitoring.memoryWarningPercent', m?.memoryWarningPercent);
  for (const k of ['debugLogRetentionDays', 'auditLogRetentionDays'] as const) {
    const v = m?.[k];
    if (typeof v === 'number' && !LOG_RETENTION_DAYS.includes(v as never))
      p(`monitoring.${k}`, `${v} is not a CloudWatch Logs retention value (${LOG_RETENTION_DAYS.join(', ')})`);
  }

  // Identity.
  const img = env.identity?.imageId;
  if (typeof img === 'string' && !/^ami-[0-9a-f]{8,17}$/.test(img) && !img.startsWith('resolve:'))
    p('identity.imageId', `"${img}" is not an AMI id (ami-…) nor resolve:rocky-9`);

  // Backup.
  const b = env.storage?.backup;
  if (b?.copyToVaultArn !== undefined && !/^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:.+$/.test(b.copyToVaultArn))
    p('storage.backup.copyToVaultArn', `"${b.copyToVaultArn}" is not a backup vault ARN (arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME)`);
  if (typeof b?.schedule === 'string' && !/^(cron|rate)\(.+\)$/.test(b.schedule))
    p('storage.backup.schedule', `"${b.schedule}" must be a cron(...) or rate(...) expression`);
  if (env.recovery?.drRegion !== undefined && env.recovery.drRegion === env.region)
    p('recovery.drRegion', `the DR region must differ from the environment's region (${env.region})`);
  return out;
}
