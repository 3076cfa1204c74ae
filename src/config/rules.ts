/**
 * Rules beyond the schema. Each returns `path: message` problems; all are collected and
 * reported at once. They read defensively: a value of the wrong type was already reported
 * by the schema, so a rule skips it instead of failing.
 */
import ipaddr from 'ipaddr.js';
import { LOG_RETENTION_DAYS, type EnvironmentConfig } from './schema.js';
import { knownRegion, regionProblem } from './regions.js';
import { scheduleProblem } from './schedule.js';
import { excerpt } from '../errors.js';

export interface Problem {
  path: string;
  message: string;
}

type Cidr = { net: ipaddr.IPv4; bits: number; text: string };

export function parseCidr(text: unknown): Cidr | string {
  if (typeof text !== 'string') return 'must be a string like 10.0.0.0/16';
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim());
  if (!m || !ipaddr.IPv4.isValidFourPartDecimal(m[1]!)) return `${excerpt(text)} is not an IPv4 CIDR block (expected a.b.c.d/n)`;
  const bits = Number(m[2]);
  if (bits > 32) return `"${text}" has a prefix length over 32`;
  const addr = ipaddr.IPv4.parse(m[1]!);
  const net = ipaddr.IPv4.networkAddressFromCIDR(text.trim()) as ipaddr.IPv4;
  if (net.toString() !== addr.toString()) return `"${text}" has host bits set; did you mean ${net.toString()}/${bits}?`;
  return { net, bits, text: text.trim() };
}

/** Addresses in the union of `cidrs` (overlaps counted once). */
export function unionSize(cidrs: Array<{ net: ipaddr.IPv4; bits: number }>): number {
  const ranges = cidrs
    .map((c) => {
      const start = c.net.toByteArray().reduce((n, b) => n * 256 + b, 0);
      return [start, start + 2 ** (32 - c.bits)] as [number, number];
    })
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [curStart, curEnd] = [-1, -1];
  for (const [s, e] of ranges) {
    if (s > curEnd) {
      total += curEnd - curStart;
      [curStart, curEnd] = [s, e];
    } else curEnd = Math.max(curEnd, e);
  }
  return total + (curEnd - curStart);
}

/** SSH may be opened to at most this many addresses (a /8) unless network.allowSshFromAnywhere. */
export const SSH_EXPOSURE_LIMIT_BITS = 8;

/** FreeIPA domain / Route 53 private zone: a lowercase DNS name of two labels or more. */
export function domainProblem(domain: unknown): string | undefined {
  if (typeof domain !== 'string') return 'must be a DNS domain such as dataplatform.internal';
  const d = domain;
  if (d.length > 200) return `${excerpt(d)} is too long for a DNS domain that node names (ip-10-0-1-23.<domain>) are built on (at most 200 characters)`;
  if (!/^[a-z0-9.-]+$/.test(d)) return `${excerpt(d)} is not a DNS domain: use lowercase letters, digits, hyphens and dots (e.g. dataplatform.internal)`;
  const labels = d.split('.');
  if (labels.length < 2) return `"${d}" has one label; FreeIPA needs a domain of two labels or more (e.g. ${d}.internal)`;
  for (const l of labels) {
    if (l.length === 0) return `"${d}" has an empty label (two dots in a row, or a leading or trailing dot)`;
    if (l.length > 63) return `"${d}" has a label over 63 characters`;
    if (l.startsWith('-') || l.endsWith('-')) return `"${d}" has a label that starts or ends with a hyphen ("${l}")`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return `"${d}" ends in a numeric label; a domain's last label is not a number`;
  if (labels[labels.length - 1] === 'local')
    return `"${d}" is under .local, which multicast DNS reserves (RFC 6762) and FreeIPA advises against; use e.g. ${labels.slice(0, -1).join('.')}.internal`;
  return undefined;
}

/** PostgreSQL reserved key words (PostgreSQL documentation, appendix "SQL Key Words", reserved column) and RDS's own user. */
const POSTGRES_RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog current_date current_role ' +
    'current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign from grant group having in ' +
    'initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references returning select ' +
    'session_user some symmetric system_user table then to trailing true union unique user using variadic when where window with rdsadmin rdsrepladmin ' +
    'rds_superuser template0 template1'
  ).split(' '),
);

function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.bits >= outer.bits && inner.net.match(outer.net, outer.bits);
}
function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

const TIERS = ['public', 'private', 'database'] as const;

export interface CheckOptions {
  /** The region the command will really use (--region), when it differs from env.region. */
  region?: string;
}

/** `undefined` when `az` is a zone name of `region` (region + one letter), else why not. */
export function zoneProblem(az: string, region: string): string | undefined {
  if (az.startsWith(region) && /^[a-z]$/.test(az.slice(region.length))) return undefined;
  return `${excerpt(az)} is not a zone of region ${region} (expected ${region}a, ${region}b, …)`;
}

export function checkEnvironment(env: EnvironmentConfig, base: string, opts: CheckOptions = {}): Problem[] {
  const out: Problem[] = [];
  const p: Report = (path, message) => out.push({ path: `${base}.${path}`, message });
  checkRegion(env, p);
  const azs = checkZones(env, p, opts);
  const net = env.network ?? ({} as EnvironmentConfig['network']);
  checkSubnets(net, azs, p);
  checkAdminCidrs(net, p);
  checkFlowLogs(net, p);
  checkWorkers(env, p);
  checkMonitoring(env, p);
  checkImagesAndIdentity(env, p);
  checkStorage(env, p);
  checkRecovery(env, p, opts);
  checkDates(env, p);
  return out;
}

/** Records one problem at a path of the environment. */
type Report = (path: string, message: string) => void;

function percent(p: Report, path: string, v: unknown): void {
  if (typeof v === 'number' && !(v > 0 && v < 100)) p(path, `${v} must be a percentage between 1 and 99`);
}

function checkRegion(env: EnvironmentConfig, p: Report): void {
  if (typeof env.region === 'string') {
    const rp = regionProblem(env.region);
    if (rp) p('region', rp);
  } else if (env.region !== undefined) p('region', 'must be an AWS region name, e.g. us-west-2');
}

/** Availability zones: three distinct, in the region the command uses. */
function checkZones(env: EnvironmentConfig, p: Report, opts: CheckOptions): string[] {
  const region = opts.region ?? env.region;
  const regionKnown = typeof region === 'string' && knownRegion(region) !== undefined;
  const azs = Array.isArray(env.availabilityZones) ? env.availabilityZones : [];
  if (azs.length !== 3) p('availabilityZones', `must list exactly 3 availability zones, got ${azs.length}`);
  const seen = new Set<string>();
  azs.forEach((az, i) => {
    if (typeof az !== 'string') return;
    if (seen.has(az)) p(`availabilityZones[${i}]`, `"${az}" is listed twice; the three zones must be distinct`);
    seen.add(az);
    const zp = regionKnown ? zoneProblem(az, region) : undefined;
    if (zp)
      p(`availabilityZones[${i}]`, opts.region && opts.region !== env.region ? `${zp}: --region ${opts.region} overrides the config's ${env.region}` : zp);
  });
  return azs;
}

function checkSubnets(net: EnvironmentConfig['network'], azs: unknown[], p: Report): void {
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
}

function checkAdminCidrs(net: EnvironmentConfig['network'], p: Report): void {
  // SSH exposure is judged on the union: 0.0.0.0/1 + 128.0.0.0/1 is the whole internet too.
  const admins = Array.isArray(net.adminCidrs) ? net.adminCidrs : [];
  const parsedAdmins: Cidr[] = [];
  admins.forEach((a, i) => {
    const c = parseCidr(a);
    if (typeof c === 'string') return p(`network.adminCidrs[${i}]`, c);
    parsedAdmins.push(c);
    if (c.bits < SSH_EXPOSURE_LIMIT_BITS && !net.allowSshFromAnywhere)
      p(
        `network.adminCidrs[${i}]`,
        c.bits === 0
          ? `"${c.text}" opens SSH to the whole internet; use your corporate ranges, or set network.allowSshFromAnywhere: true if you really mean it`
          : `"${c.text}" opens SSH to ${(2 ** (32 - c.bits)).toLocaleString('en-US')} addresses (wider than a /${SSH_EXPOSURE_LIMIT_BITS}); use your corporate ranges, or set network.allowSshFromAnywhere: true if you really mean it`,
      );
  });
  const exposed = unionSize(parsedAdmins);
  if (
    !net.allowSshFromAnywhere &&
    parsedAdmins.length > 1 &&
    parsedAdmins.every((c) => c.bits >= SSH_EXPOSURE_LIMIT_BITS) &&
    exposed > 2 ** (32 - SSH_EXPOSURE_LIMIT_BITS)
  )
    p(
      'network.adminCidrs',
      `together these ranges open SSH to ${exposed.toLocaleString('en-US')} addresses (more than a /${SSH_EXPOSURE_LIMIT_BITS}); use your corporate ranges, or set network.allowSshFromAnywhere: true if you really mean it`,
    );
  if (!net.allowSshFromAnywhere && parsedAdmins.length > 1 && exposed === 2 ** 32)
    p(
      'network.adminCidrs',
      `together ${parsedAdmins.map((c) => c.text).join(' + ')} open SSH to the whole internet; use your corporate ranges, or set network.allowSshFromAnywhere: true if you really mean it`,
    );
}

function checkFlowLogs(net: EnvironmentConfig['network'], p: Report): void {
  if (typeof net.flowLogRetentionDays === 'number' && !LOG_RETENTION_DAYS.includes(net.flowLogRetentionDays as never))
    p('network.flowLogRetentionDays', `${net.flowLogRetentionDays} is not a CloudWatch Logs retention value (${LOG_RETENTION_DAYS.join(', ')})`);
}

function checkWorkers(env: EnvironmentConfig, p: Report): void {
  const w = env.compute?.workers;
  if (w && [w.min, w.desired, w.max].every((n) => typeof n === 'number')) {
    if (w.min > w.max) p('compute.workers.min', `min (${w.min}) must not exceed max (${w.max})`);
    if (w.desired < w.min || w.desired > w.max) p('compute.workers.desired', `desired (${w.desired}) must be between min (${w.min}) and max (${w.max})`);
  }
  const pct = (path: string, v: unknown) => percent(p, path, v);
  pct('compute.workers.scaleOutCpuPercent', w?.scaleOutCpuPercent);
  pct('compute.workers.scaleInCpuPercent', w?.scaleInCpuPercent);
  if (w && typeof w.scaleInCpuPercent === 'number' && typeof w.scaleOutCpuPercent === 'number' && w.scaleInCpuPercent >= w.scaleOutCpuPercent)
    p('compute.workers.scaleInCpuPercent', `scale-in threshold (${w.scaleInCpuPercent}) must be below the scale-out threshold (${w.scaleOutCpuPercent})`);
}

function checkMonitoring(env: EnvironmentConfig, p: Report): void {
  const m = env.monitoring;
  const pct = (path: string, v: unknown) => percent(p, path, v);
  pct('monitoring.cpuCriticalPercent', m?.cpuCriticalPercent);
  pct('monitoring.diskWarningPercent', m?.diskWarningPercent);
  pct('monitoring.memoryWarningPercent', m?.memoryWarningPercent);
  for (const k of ['debugLogRetentionDays', 'auditLogRetentionDays'] as const) {
    const v = m?.[k];
    if (typeof v === 'number' && !LOG_RETENTION_DAYS.includes(v as never))
      p(`monitoring.${k}`, `${v} is not a CloudWatch Logs retention value (${LOG_RETENTION_DAYS.join(', ')})`);
  }
}

function checkImagesAndIdentity(env: EnvironmentConfig, p: Report): void {
  // Compute image: an SSM public parameter path or an AMI id.
  const imgParam = env.compute?.imageParameter;
  if (typeof imgParam === 'string' && !/^ami-[0-9a-f]{8,17}$/.test(imgParam) && !/^\/[A-Za-z0-9_.\-/]{1,2047}$/.test(imgParam))
    p('compute.imageParameter', `${excerpt(imgParam)} is neither an SSM parameter path (/aws/service/…) nor an AMI id (ami-…)`);

  // Identity: the domain becomes the FreeIPA realm, the Route 53 zone and an Ansible variable.
  const img = env.identity?.imageId;
  if (typeof img === 'string' && !/^ami-[0-9a-f]{8,17}$/.test(img) && img !== 'resolve:rocky-9')
    p('identity.imageId', `${excerpt(img)} is not an AMI id (ami-…) nor resolve:rocky-9`);
  const dp = env.identity?.domain === undefined ? undefined : domainProblem(env.identity.domain);
  if (dp) p('identity.domain', dp);

  // FreeIPA policy (identity.passwordPolicy, identity.groups, identity.sudoRules): what `ipa` would refuse or
  // silently merge halfway through identity.ipa-policy.
  const pw = env.identity?.passwordPolicy;
  if (pw && typeof pw.minLifeHours === 'number' && typeof pw.maxLifeDays === 'number' && pw.minLifeHours > pw.maxLifeDays * 24)
    p(
      'identity.passwordPolicy.minLifeHours',
      `${pw.minLifeHours} hours is longer than maxLifeDays (${pw.maxLifeDays} days = ${pw.maxLifeDays * 24} hours); FreeIPA refuses a minimum password life over the maximum`,
    );
  const groups = Array.isArray(env.identity?.groups) ? env.identity.groups : [];
  groups.forEach((g, i) => {
    if (typeof g === 'string' && groups.indexOf(g) !== i) p(`identity.groups[${i}]`, `"${g}" is listed twice`);
  });
  const sudo = Array.isArray(env.identity?.sudoRules) ? env.identity.sudoRules : [];
  const sudoNames = sudo.map((r) => (r && typeof r === 'object' ? r.name : undefined));
  sudoNames.forEach((n, i) => {
    // One FreeIPA sudo rule per name: a second entry would add its group and commands to the first one.
    if (typeof n === 'string' && sudoNames.indexOf(n) !== i)
      p(
        `identity.sudoRules[${i}].name`,
        `"${n}" is the name of identity.sudoRules[${sudoNames.indexOf(n)}] too; FreeIPA keeps one rule per name and would merge them`,
      );
  });
}

function checkStorage(env: EnvironmentConfig, p: Report): void {
  // RDS: names PostgreSQL or RDS reserve.
  for (const k of ['databaseName', 'masterUsername'] as const) {
    const v = env.storage?.rds?.[k];
    if (typeof v === 'string' && POSTGRES_RESERVED.has(v)) p(`storage.rds.${k}`, `"${v}" is a name PostgreSQL or RDS reserves; choose another`);
  }

  // Backup.
  const b = env.storage?.backup;
  if (b?.copyToVaultArn !== undefined && !/^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:.+$/.test(b.copyToVaultArn))
    p('storage.backup.copyToVaultArn', `"${b.copyToVaultArn}" is not a backup vault ARN (arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME)`);
  if (b?.schedule !== undefined) {
    // AWS Backup takes cron only, and no rule more often than hourly.
    const sp = scheduleProblem(b.schedule, { allowRate: false, minIntervalMinutes: 60 });
    if (sp) p('storage.backup.schedule', `${excerpt(b.schedule)}: ${sp}`);
  }
}

function checkRecovery(env: EnvironmentConfig, p: Report, opts: CheckOptions): void {
  const region = opts.region ?? env.region;
  const dr = env.recovery?.drRegion;
  if (typeof dr === 'string') {
    const rp = regionProblem(dr);
    if (rp) p('recovery.drRegion', rp);
    else if (dr === region) p('recovery.drRegion', `the DR region must differ from the environment's region (${region})`);
  }
  const key = env.recovery?.drKmsKeyArn;
  if (typeof key === 'string' && typeof dr === 'string' && key.split(':')[3] !== dr)
    p(
      'recovery.drKmsKeyArn',
      `${excerpt(key)} is a key in ${key.split(':')[3] || 'no region'}, not in recovery.drRegion (${dr}): a KMS key never leaves its region`,
    );
  if (typeof key === 'string' && dr === undefined) p('recovery.drKmsKeyArn', 'is set but recovery.drRegion is not: set the DR region the key lives in');
}

/** Dates: a real calendar day, in a sane range. */
function checkDates(env: EnvironmentConfig, p: Report): void {
  const start = env.deploy?.startDate;
  if (typeof start === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(start)) {
    const d = new Date(`${start}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== start) p('deploy.startDate', `"${start}" is not a calendar date`);
    else if (d.getUTCFullYear() < 2000 || d.getUTCFullYear() > 2100) p('deploy.startDate', `"${start}" is outside 2000-2100`);
  }
}
