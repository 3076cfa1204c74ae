/** dpf init: write (or extend) the config file — by wizard on a TTY, or from defaults and flags. */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, parseDocument, stringify, isMap, type Document } from 'yaml';
import type { z } from 'zod';
import type { CommandContext } from '../context.js';
import type { Prompter } from '../io/host.js';
import { environmentSchema, configJsonSchema, type EnvironmentInput } from '../config/schema.js';
import { validateConfig } from '../config/load.js';
import { parseCidr } from '../config/rules.js';
import { defaultDrRegion, isProduction, resilience } from '../config/production.js';
import { ConfigInvalidError, UserError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic.js';

export interface InitOptions {
  env: string;
  /** Accept the platform specification's defaults for everything not given as a flag (no questions). */
  defaults: boolean;
  project?: string;
  region?: string;
  /** Three availability zones; default: REGION a, b, c. */
  azs?: string[];
  vpcCidr?: string;
  adminCidrs?: string[];
  alarmEmail?: string;
  identityProvider?: 'freeipa' | 'iam';
  /** AMI for the FreeIPA servers (Rocky/Alma Linux 9); default: looked up at deploy time. */
  ipaImage?: string;
  workersMin?: number;
  workersMax?: number;
  workersDesired?: number;
  highAvailability?: boolean;
  /**
   * `path=value` overrides of any value, applied after the defaults and the other flags
   * (`--set`, repeatable): `path` is dotted inside the environment, e.g. `compute.workers.max=8`.
   */
  set?: string[];
  /** Replace an environment that already exists in the file. */
  force?: boolean;
}


// ---------- subnets derived from the VPC ----------

/** The seed's subnet layout: /24s at these third-octet offsets from the VPC's network address. */
export const SUBNET_OFFSETS = { public: [1, 2, 3], private: [11, 12, 13], database: [21, 22, 23] } as const;
export type SubnetTier = keyof typeof SUBNET_OFFSETS;
export type SubnetLayout = Record<SubnetTier, string[]>;
/** The largest offset (23) must fit: 24 /24s need a /19 or larger. */
export const MAX_DERIVABLE_PREFIX = 19;

/**
 * The nine /24 subnets of the seed's layout inside `vpcCidr` (10.0.0.0/16 → the seed's own
 * subnets). An error when the value cannot be used: not a CIDR (the caller lets validation name
 * it), or a VPC too small for the offsets (prefix > 19).
 */
export function deriveSubnets(vpcCidr: string): SubnetLayout | { error: string; tooSmall: boolean } {
  const c = parseCidr(vpcCidr.trim());
  if (typeof c === 'string') return { error: c, tooSmall: false };
  if (c.bits > MAX_DERIVABLE_PREFIX)
    return {
      tooSmall: true,
      error: `${c.text} is too small for dpf's subnet layout: its /24 subnets sit at third-octet offsets 1-3 (public), 11-13 (private) and 21-23 (database) from the VPC's address, which needs a /${MAX_DERIVABLE_PREFIX} or larger VPC.`,
    };
  const base = c.net.toByteArray().reduce((n, b) => n * 256 + b, 0);
  const at = (offset: number) => {
    const n = base + offset * 256;
    return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')}/24`;
  };
  return {
    public: SUBNET_OFFSETS.public.map(at),
    private: SUBNET_OFFSETS.private.map(at),
    database: SUBNET_OFFSETS.database.map(at),
  };
}

// ---------- --set path=value ----------

export interface SetOverride {
  /** As given on the command line (named in every message about it). */
  text: string;
  path: string[];
  value: unknown;
}

type AnySchema = z.ZodType & { _zod: { def: { type: string; innerType?: AnySchema; element?: AnySchema; shape?: Record<string, AnySchema> } } };

/** Through default / optional / prefault / nullable wrappers to the schema that types the value. */
function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  while (['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch'].includes(cur._zod.def.type) && cur._zod.def.innerType) cur = cur._zod.def.innerType;
  return cur;
}

function shapeOf(s: AnySchema): Record<string, AnySchema> | undefined {
  const u = unwrap(s);
  return u._zod.def.type === 'object' ? ((u as unknown as { shape: Record<string, AnySchema> }).shape ?? u._zod.def.shape) : undefined;
}

const scalar = (raw: string): unknown => {
  try {
    return parseYaml(raw) ?? raw;
  } catch {
    return raw;
  }
};

/** One value for a leaf schema: strings stay as typed; others are YAML scalars; lists split on commas. */
function valueFor(leaf: AnySchema, raw: string): unknown {
  const u = unwrap(leaf);
  const t = u._zod.def.type;
  if (t === 'string' || t === 'enum') return raw;
  if (t === 'array') {
    if (raw.trim().startsWith('[')) return scalar(raw);
    const el = u._zod.def.element ? unwrap(u._zod.def.element)._zod.def.type : 'string';
    const parts = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
    return parts.map((x) => (el === 'string' || el === 'enum' ? x : scalar(x)));
  }
  return scalar(raw);
}

/**
 * Parse `--set path=value` against the environment schema. Throws a UserError naming the --set
 * value when the path is not a key of the schema (or not `path=value` at all).
 */
export function parseSet(text: string): SetOverride {
  const eq = text.indexOf('=');
  const bad = (why: string, hint?: string) => new UserError('BadSet', `--set ${text}: ${why}`, { hint: hint ?? 'Give --set path=value, path dotted inside the environment, e.g. --set compute.workers.max=8 (run dpf schema for every key).' });
  if (eq <= 0) throw bad('expected path=value');
  const pathText = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  const parts = pathText.split('.');
  if (parts.some((p) => !p)) throw bad(`"${pathText}" is not a dotted path`);
  let shape: Record<string, AnySchema> | undefined = environmentSchema.shape as unknown as Record<string, AnySchema>;
  let leaf: AnySchema | undefined;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i]!;
    const here = parts.slice(0, i).join('.') || 'the environment';
    if (!shape) throw bad(`${here} is not a section: it has no key "${key}"`);
    const next: AnySchema | undefined = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!next) throw bad(`unknown key "${key}" in ${here}`, `Known keys of ${here}: ${Object.keys(shape).join(', ')}.`);
    leaf = next;
    shape = shapeOf(next);
  }
  if (shape && !raw.startsWith('{'))
    throw bad(`${pathText} is a section, not a value`, `Set one of its keys: ${Object.keys(shape).map((k) => `${pathText}.${k}`).join(', ')}.`);
  return { text, path: parts, value: shape ? scalar(raw) : valueFor(leaf!, raw) };
}

/** Write each override into `env` (creating the sections on its path), in order: the last wins. */
export function applySets(env: Record<string, unknown>, sets: SetOverride[]): Record<string, unknown> {
  for (const s of sets) {
    let cur = env;
    for (const key of s.path.slice(0, -1)) {
      const next = cur[key];
      cur = cur[key] = next && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
    }
    cur[s.path.at(-1)!] = s.value;
  }
  return env;
}

const HEADER = (schemaFile: string) =>
  `# yaml-language-server: $schema=./${schemaFile}\n# dpf configuration: one project, its environments. Defaults come from the platform specification (docs/platform-specification.md).\n# Validate offline with: dpf validate    Reference: README.md#config-file\n`;

function overridesFrom(o: InitOptions, sets: SetOverride[] = []): EnvironmentInput {
  const region = o.region;
  const e: Record<string, any> = {};
  if (region) e.region = region;
  if (o.azs?.length) e.availabilityZones = o.azs;
  else if (region) e.availabilityZones = ['a', 'b', 'c'].map((s) => `${region}${s}`);
  if (o.highAvailability !== undefined) e.highAvailability = o.highAvailability;
  const net: Record<string, unknown> = {};
  // The VPC given by --vpc-cidr (or --set network.vpcCidr=…): the subnets follow it, unless given.
  const setVpc = [...sets].reverse().find((s) => s.path.join('.') === 'network.vpcCidr');
  const vpcCidr = setVpc ? (typeof setVpc.value === 'string' ? setVpc.value : undefined) : o.vpcCidr;
  if (o.vpcCidr) net.vpcCidr = o.vpcCidr;
  if (vpcCidr) {
    const given = (tier: SubnetTier) => sets.some((s) => { const p = s.path.join('.'); return p === 'network.subnets' || p === `network.subnets.${tier}`; });
    const missing = (Object.keys(SUBNET_OFFSETS) as SubnetTier[]).filter((t) => !given(t));
    if (missing.length) {
      const d = deriveSubnets(vpcCidr);
      if ('error' in d) {
        // Not a CIDR at all: validation names it with every other problem.
        if (d.tooSmall)
          throw new UserError('VpcTooSmall', `${setVpc ? `--set ${setVpc.text}` : '--vpc-cidr'}: ${d.error}`, {
            hint: `Use a /${MAX_DERIVABLE_PREFIX} or larger VPC, or choose the subnets yourself: give them with --set network.subnets.public=a,b,c (and .private, .database), or run init without --vpc-cidr and then edit network.vpcCidr and network.subnets in the file.`,
          });
      } else net.subnets = Object.fromEntries(missing.map((t) => [t, d[t]]));
    }
  }
  if (o.adminCidrs?.length) net.adminCidrs = o.adminCidrs;
  if (Object.keys(net).length) e.network = net;
  const workers: Record<string, number> = {};
  if (o.workersMin !== undefined) workers.min = o.workersMin;
  if (o.workersMax !== undefined) workers.max = o.workersMax;
  if (o.workersDesired !== undefined) workers.desired = o.workersDesired;
  if (Object.keys(workers).length) e.compute = { workers };
  if (o.alarmEmail) e.monitoring = { alarmEmail: o.alarmEmail };
  if (o.identityProvider || o.ipaImage) e.identity = { ...(o.identityProvider ? { provider: o.identityProvider } : {}), ...(o.ipaImage ? { imageId: o.ipaImage } : {}) };
  return applySets(e, sets) as EnvironmentInput;
}

/**
 * The environment init writes: the flags and --set values over the seed's defaults, every value
 * explicit — including the two whose default depends on the environment's name
 * (highAvailability, storage.rds.multiAz and .deletionProtection: src/config/production.ts). When the flags
 * do not pass the schema, the raw overrides (validation then names every problem).
 */
export function environmentFor(o: InitOptions): { env: Record<string, unknown>; sets: SetOverride[] } {
  const sets = (o.set ?? []).map(parseSet);
  const overrides = overridesFrom(o, sets);
  const parsed = environmentSchema.safeParse(overrides);
  if (!parsed.success) return { env: overrides as Record<string, unknown>, sets };
  const env = stripUndefined(parsed.data) as Record<string, any>;
  const r = resilience(o.env, env as Parameters<typeof resilience>[1]);
  env.highAvailability = r.highAvailability.value;
  env.storage.rds.multiAz = r.multiAz.value;
  env.storage.rds.deletionProtection = r.deletionProtection.value;
  // Production copies every recovery point to another region (backup-coverage rule); pick a pair unless told.
  const dr = isProduction(o.env) && env.recovery.drRegion === undefined ? defaultDrRegion(env.region) : undefined;
  if (dr) env.recovery.drRegion = dr;
  return { env: orderLike(env, environmentSchema.shape), sets };
}

/** Keys in the schema's order (so highAvailability sits where the README shows it). */
function orderLike(env: Record<string, unknown>, shape: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(shape)) if (k in env) out[k] = env[k];
  for (const k of Object.keys(env)) if (!(k in out)) out[k] = env[k];
  return out;
}

/** Documentation ranges and domains (RFC 5737, RFC 2606): placeholders that reach nobody. */
const PLACEHOLDER_CIDRS = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];
const PLACEHOLDER_DOMAIN = /@(?:[\w-]+\.)*example\.(?:com|org|net)$/i;

/** The placeholders a set of answers still holds, as "what: why" lines (empty when none). */
export function placeholders(o: Pick<InitOptions, 'adminCidrs' | 'alarmEmail'>): string[] {
  const out: string[] = [];
  const cidrs = o.adminCidrs ?? ['203.0.113.0/24'];
  for (const c of cidrs.filter((x) => PLACEHOLDER_CIDRS.includes(x.trim())))
    out.push(`network.adminCidrs ${c} is a documentation range (RFC 5737): no real address is in it, so nobody can SSH to the bastion`);
  const email = o.alarmEmail ?? 'platform-alerts@example.com';
  if (PLACEHOLDER_DOMAIN.test(email)) out.push(`monitoring.alarmEmail ${email} is a reserved example domain (RFC 2606): nobody receives the alarms`);
  return out;
}

/** Checks run as each answer is typed (Enter): true, or what is wrong with it. */
export const answerChecks = {
  /** With the SDK's partition data (src/config/regions.ts), loaded by the wizard only. */
  region(regionProblem: (r: string) => string | undefined) {
    return (v: string): true | string => regionProblem(v.trim()) ?? true;
  },
  zones(region: string) {
    return (v: string): true | string => {
      const zones = v.split(',').map((s) => s.trim()).filter(Boolean);
      if (zones.length !== 3) return `give exactly three zones, comma-separated (got ${zones.length})`;
      if (new Set(zones).size !== 3) return 'the three zones must be distinct';
      const bad = zones.find((z) => !new RegExp(`^${region.replace(/[-]/g, '\\-')}[a-z]$`).test(z));
      return bad ? `"${bad}" is not a zone of ${region} (expected ${region}a, ${region}b, …)` : true;
    };
  },
  vpcCidr(v: string): true | string {
    const c = parseCidr(v.trim());
    if (typeof c === 'string') return c;
    if (c.bits < 16) return `${c.text} is larger than AWS allows for a VPC (prefix /16 to /28)`;
    const d = deriveSubnets(v.trim());
    return 'error' in d ? d.error : true;
  },
  adminCidrs(v: string): true | string {
    const list = v.split(',').map((x) => x.trim()).filter(Boolean);
    if (!list.length) return 'give at least one range (your corporate network, e.g. 198.51.100.0/24)';
    if (list.length > 4) return `at most 4 ranges (got ${list.length})`;
    for (const x of list) {
      const c = parseCidr(x);
      if (typeof c === 'string') return c;
      if (c.bits === 0) return 'SSH open to the whole internet is refused here; set network.allowSshFromAnywhere in the file if you really mean it';
    }
    return true;
  },
  email(v: string): true | string {
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.trim()) ? true : `"${v}" is not an e-mail address`;
  },
  whole(min: number, what: string) {
    return (v: string): true | string => (!/^\d+$/.test(v.trim()) ? `"${v}" is not a whole number` : Number(v) < min ? `${what} must be at least ${min}` : true);
  },
};

/** Ask until the answer is not a placeholder, or the operator confirms keeping it. */
async function realValue(q: Prompter, ask: () => Promise<string>, check: (v: string) => string[]): Promise<string> {
  for (;;) {
    const v = await ask();
    const found = check(v);
    if (!found.length) return v;
    if (await q.confirm({ message: `${found.join('; ')}. Keep this placeholder anyway?`, default: false })) return v;
  }
}

/** The wizard: every answer is checked as it is typed, so a mistake never costs the answers before it. */
async function ask(o: InitOptions, q: Prompter, defaultRegion: string): Promise<InitOptions> {
  const { regionProblem } = await import('../config/regions.js');
  const region = o.region ?? (await q.text({ message: 'AWS region', default: defaultRegion, validate: answerChecks.region(regionProblem) })).trim();
  const azText = await q.text({ message: 'Three availability zones (comma-separated)', default: (o.azs ?? ['a', 'b', 'c'].map((s) => `${region}${s}`)).join(','), validate: answerChecks.zones(region) });
  const vpcCidr = (await q.text({ message: 'VPC CIDR (the nine subnets are laid out inside it; /16 to /19)', default: o.vpcCidr ?? '10.0.0.0/16', validate: answerChecks.vpcCidr })).trim();
  const admin = await realValue(
    q,
    () => q.text({ message: 'Admin CIDRs allowed to SSH to the bastion (comma-separated, your corporate ranges)', default: (o.adminCidrs ?? ['203.0.113.0/24']).join(','), validate: answerChecks.adminCidrs }),
    (v) => placeholders({ adminCidrs: v.split(','), alarmEmail: 'ops@corp.invalid' }),
  );
  const alarmEmail = (
    await realValue(q, () => q.text({ message: 'E-mail for alarms', default: o.alarmEmail ?? 'platform-alerts@example.com', validate: answerChecks.email }), (v) => placeholders({ adminCidrs: ['10.0.0.0/8'], alarmEmail: v.trim() }))
  ).trim();
  const identityProvider = await q.select({
    message: 'Identity provider',
    choices: [
      { name: 'FreeIPA (directory, SSSD, sudo rules) — default', value: 'freeipa' as const },
      { name: 'IAM + SSM Session Manager (no directory)', value: 'iam' as const },
    ],
    default: o.identityProvider ?? 'freeipa',
  });
  const workersMin = Number(await q.text({ message: 'Worker minimum', default: String(o.workersMin ?? 2), validate: answerChecks.whole(0, 'the minimum') }));
  const workersMax = Number(await q.text({ message: 'Worker maximum', default: String(Math.max(o.workersMax ?? 6, workersMin, 1)), validate: answerChecks.whole(Math.max(1, workersMin), 'the maximum (and not below the minimum)') }));
  const highAvailability = await q.confirm({ message: 'One NAT gateway per AZ (high availability)?', default: o.highAvailability ?? isProduction(o.env) });
  return { ...o, region, azs: azText.split(',').map((s) => s.trim()).filter(Boolean), vpcCidr, adminCidrs: admin.split(',').map((s) => s.trim()).filter(Boolean), alarmEmail, identityProvider, workersMin, workersMax, workersDesired: o.workersDesired ?? workersMin, highAvailability };
}

export async function runInit(opts: InitOptions, ctx: CommandContext): Promise<void> {
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(opts.env)) throw new UserError('BadEnvName', `Environment name "${opts.env}" must be 1-16 lowercase letters, digits or dashes, starting with a letter.`);
  const prompter = ctx.io.prompter;
  if (!opts.defaults && (!ctx.isTTY || ctx.globals.json || !prompter))
    throw new UserError('NoTerminal', 'dpf init asks questions, but there is no terminal to ask on.', { hint: `Run: dpf init --env ${opts.env} --defaults --yes (flags such as --region, --admin-cidr override any default).` });
  const file = path.resolve(ctx.globals.config);
  // The file is edited as a YAML document (not re-serialised from data): the operator's comments stay.
  let doc: Document | undefined;
  if (existsSync(file)) {
    doc = parseDocument(await readFile(file, 'utf8'));
    if (doc.errors.length) throw new ConfigInvalidError(doc.errors.map((e) => `(yaml) ${e.message.split('\n')[0]}`), file);
    const existing = (doc.toJS() ?? {}) as Record<string, any>;
    if (opts.project && existing.project && opts.project !== existing.project)
      throw new UserError('ProjectMismatch', `${file} is for project "${existing.project}", not "${opts.project}".`, { hint: 'Drop --project, or use another --config file.' });
    // Asked before the wizard: answering ten questions to learn the environment exists wastes them.
    if (existing.environments?.[opts.env] && !opts.force) {
      const replace = ctx.globals.yes || (prompter !== undefined && !ctx.globals.json && (await prompter.confirm({ message: `Environment "${opts.env}" exists in ${file}. Replace it?`, default: false })));
      if (!replace) throw new UserError('EnvExists', `Environment "${opts.env}" already exists in ${file}; nothing was changed.`, { hint: `Pass --force to replace it, or pick another --env.` });
    }
  }
  let o = opts;
  if (!opts.defaults) {
    const chain = await ctx.awsSettings?.().catch(() => undefined);
    o = await ask(opts, prompter!, chain?.region ?? 'us-west-2');
  } else if (!o.region) {
    // init's default region follows the AWS CLI chain: AWS_REGION, AWS_DEFAULT_REGION, the profile's region.
    const chain = await ctx.awsSettings?.().catch(() => undefined);
    if (chain?.region) {
      o = { ...o, region: chain.region };
      if (!ctx.globals.json) ctx.io.notify({ type: 'info', message: `Region ${chain.region} (from ${chain.regionSource === 'profile' ? `profile ${chain.profile}` : chain.regionSource}); --region overrides it.` });
    }
  }
  // Fill every default explicitly: the file documents itself. Invalid flags fall through to validation below.
  const { env, sets } = environmentFor(o);
  const raw: Record<string, any> = doc ? ((doc.toJS() ?? {}) as Record<string, any>) : { version: 1, project: o.project ?? 'dataplatform', environments: {} };
  raw.environments ??= {};
  raw.environments[o.env] = env;
  const { problems } = validateConfig(raw);
  if (problems.length) throw new ConfigInvalidError(problems.map((p) => `${p.path}: ${p.message}${fromSet(p.path, `environments.${o.env}.`, sets)}`), `${file} (not written)`);
  const written = env as { network?: { adminCidrs?: string[] }; monitoring?: { alarmEmail?: string } };
  if (opts.defaults) for (const w of placeholders({ adminCidrs: written.network?.adminCidrs, alarmEmail: written.monitoring?.alarmEmail })) ctx.io.notify({ type: 'warning', message: `${w}; set a real value before deploying (dpf init --force … or edit ${path.basename(file)}).` });
  const schemaFile = 'dpf.schema.json';
  let text: string;
  if (doc) {
    if (!doc.has('environments') || !isMap(doc.get('environments'))) doc.set('environments', doc.createNode({}));
    doc.setIn(['environments', o.env], doc.createNode(env));
    text = doc.toString({ lineWidth: 120 });
  } else text = HEADER(schemaFile) + stringify(raw, { lineWidth: 120 });
  await writeFileAtomic(file, text, ctx.settings.process);
  await writeFile(path.join(path.dirname(file), schemaFile), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  if (ctx.globals.json) ctx.stdout(JSON.stringify({ file, env: o.env, schema: path.join(path.dirname(file), schemaFile) }));
  else ctx.stdout(`Wrote environment "${o.env}" to ${file} (schema for editors: ${schemaFile}).\nNext: dpf deploy --env ${o.env} --phase bootstrap`);
}

/** " (from --set a.b=c)" when a problem's path is (inside) what a --set wrote. */
function fromSet(problemPath: string, base: string, sets: SetOverride[]): string {
  const hit = [...sets].reverse().find((s) => {
    const p = base + s.path.join('.');
    return problemPath === p || problemPath.startsWith(`${p}.`) || problemPath.startsWith(`${p}[`);
  });
  return hit ? ` (from --set ${hit.text})` : '';
}

function stripUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
