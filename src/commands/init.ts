/** dpf init: write (or extend) the config file — by wizard on a TTY, or from defaults and flags. */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import type { CommandContext } from '../context.js';
import { environmentSchema, configJsonSchema, type EnvironmentInput } from '../config/schema.js';
import { validateConfig } from '../config/load.js';
import { parseCidr } from '../config/rules.js';
import { ConfigInvalidError, UserError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic.js';

export interface InitOptions {
  env: string;
  /** Accept the seed's defaults for everything not given as a flag (no questions). */
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
  /** Replace an environment that already exists in the file. */
  force?: boolean;
}

const HEADER = (schemaFile: string) =>
  `# yaml-language-server: $schema=./${schemaFile}\n# dpf configuration: one project, its environments. Defaults are the customer's specification.\n# Validate offline with: dpf validate    Reference: README.md#config-file\n`;

function overridesFrom(o: InitOptions): EnvironmentInput {
  const region = o.region;
  const e: Record<string, any> = {};
  if (region) e.region = region;
  if (o.azs?.length) e.availabilityZones = o.azs;
  else if (region) e.availabilityZones = ['a', 'b', 'c'].map((s) => `${region}${s}`);
  if (o.highAvailability !== undefined) e.highAvailability = o.highAvailability;
  const net: Record<string, unknown> = {};
  if (o.vpcCidr) net.vpcCidr = o.vpcCidr;
  if (o.adminCidrs?.length) net.adminCidrs = o.adminCidrs;
  if (Object.keys(net).length) e.network = net;
  const workers: Record<string, number> = {};
  if (o.workersMin !== undefined) workers.min = o.workersMin;
  if (o.workersMax !== undefined) workers.max = o.workersMax;
  if (o.workersDesired !== undefined) workers.desired = o.workersDesired;
  if (Object.keys(workers).length) e.compute = { workers };
  if (o.alarmEmail) e.monitoring = { alarmEmail: o.alarmEmail };
  if (o.identityProvider || o.ipaImage) e.identity = { ...(o.identityProvider ? { provider: o.identityProvider } : {}), ...(o.ipaImage ? { imageId: o.ipaImage } : {}) };
  return e as EnvironmentInput;
}

async function ask(o: InitOptions): Promise<InitOptions> {
  const { askText, askSelect, askConfirm } = await import('../ui/prompts.js');
  const input = (o: { message: string; default?: string; validate?: (v: string) => true | string }) => askText(o.message, o);
  const confirm = (o: { message: string; default?: boolean }) => askConfirm(o.message, o.default);
  const region = o.region ?? (await input({ message: 'AWS region', default: 'us-west-2' }));
  const azText = await input({ message: 'Three availability zones (comma-separated)', default: (o.azs ?? ['a', 'b', 'c'].map((s) => `${region}${s}`)).join(',') });
  const cidrOk = (v: string) => {
    const c = parseCidr(v.trim());
    return typeof c === 'string' ? c : true;
  };
  const vpcCidr = await input({ message: 'VPC CIDR', default: o.vpcCidr ?? '10.0.0.0/16', validate: cidrOk });
  const admin = await input({
    message: 'Admin CIDRs allowed to SSH to the bastion (comma-separated, your corporate ranges)',
    default: (o.adminCidrs ?? ['203.0.113.0/24']).join(','),
    validate: (v) => v.split(',').map((x) => cidrOk(x)).find((r) => r !== true) ?? (v.includes('0.0.0.0/0') ? 'SSH open to the whole internet is refused here; edit allowSshFromAnywhere in the file if you really mean it' : true),
  });
  const alarmEmail = await input({ message: 'E-mail for alarms', default: o.alarmEmail ?? 'platform-alerts@example.com' });
  const identityProvider = await askSelect(
    'Identity provider',
    [
      { name: 'FreeIPA (directory, SSSD, sudo rules) — default', value: 'freeipa' as const },
      { name: 'IAM + SSM Session Manager (no directory)', value: 'iam' as const },
    ],
    o.identityProvider ?? 'freeipa',
  );
  const whole = (v: string) => (/^\d+$/.test(v.trim()) ? true : `"${v}" is not a whole number`);
  const workersMin = Number(await input({ message: 'Worker minimum', default: String(o.workersMin ?? 2), validate: whole }));
  const workersMax = Number(await input({ message: 'Worker maximum', default: String(o.workersMax ?? 6), validate: (v) => (whole(v) !== true ? whole(v) : Number(v) < workersMin ? `must be at least the minimum (${workersMin})` : true) }));
  const highAvailability = await confirm({ message: 'One NAT gateway per AZ (high availability)?', default: o.highAvailability ?? o.env === 'prod' });
  return { ...o, region, azs: azText.split(',').map((s) => s.trim()).filter(Boolean), vpcCidr, adminCidrs: admin.split(',').map((s) => s.trim()).filter(Boolean), alarmEmail, identityProvider, workersMin, workersMax, workersDesired: o.workersDesired ?? workersMin, highAvailability };
}

export async function runInit(opts: InitOptions, ctx: CommandContext): Promise<void> {
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(opts.env)) throw new UserError('BadEnvName', `Environment name "${opts.env}" must be 1-16 lowercase letters, digits or dashes, starting with a letter.`);
  let o = opts;
  if (!opts.defaults) {
    if (!ctx.isTTY || ctx.globals.json)
      throw new UserError('NoTerminal', 'dpf init asks questions, but there is no terminal to ask on.', { hint: `Run: dpf init --env ${opts.env} --defaults --yes (flags such as --region, --admin-cidr override any default).` });
    o = await ask(opts);
  }
  const file = path.resolve(ctx.globals.config);
  let raw: Record<string, any> = { version: 1, project: o.project ?? 'dataplatform', environments: {} };
  if (existsSync(file)) {
    const doc = parseDocument(await readFile(file, 'utf8'));
    if (doc.errors.length) throw new ConfigInvalidError(doc.errors.map((e) => `(yaml) ${e.message.split('\n')[0]}`), file);
    raw = (doc.toJS() ?? {}) as Record<string, any>;
    raw.environments ??= {};
    if (o.project && raw.project && o.project !== raw.project)
      throw new UserError('ProjectMismatch', `${file} is for project "${raw.project}", not "${o.project}".`, { hint: 'Drop --project, or use another --config file.' });
    if (raw.environments[o.env] && !o.force) {
      const replace = ctx.globals.yes || (ctx.isTTY && !ctx.globals.json && (await (await import('../ui/prompts.js')).askConfirm(`Environment "${o.env}" exists in ${file}. Replace it?`)));
      if (!replace) throw new UserError('EnvExists', `Environment "${o.env}" already exists in ${file}; nothing was changed.`, { hint: `Pass --force to replace it, or pick another --env.` });
    }
  }
  const parsed = environmentSchema.safeParse(overridesFrom(o));
  // Fill every default explicitly: the file documents itself. Invalid flags fall through to validation below.
  raw.environments[o.env] = parsed.success ? stripUndefined(parsed.data) : overridesFrom(o);
  const { problems } = validateConfig(raw);
  if (problems.length) throw new ConfigInvalidError(problems.map((p) => `${p.path}: ${p.message}`), `${file} (not written)`);
  const schemaFile = 'dpf.schema.json';
  await writeFileAtomic(file, HEADER(schemaFile) + stringify(raw, { lineWidth: 120 }));
  await writeFile(path.join(path.dirname(file), schemaFile), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  if (ctx.globals.json) ctx.stdout(JSON.stringify({ file, env: o.env, schema: path.join(path.dirname(file), schemaFile) }));
  else ctx.stdout(`Wrote environment "${o.env}" to ${file} (schema for editors: ${schemaFile}).\nNext: dpf deploy --env ${o.env} --phase bootstrap`);
}

function stripUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
