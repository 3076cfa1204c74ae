/**
 * dpf init: write (or extend) the config file — by wizard on a TTY (src/ui/init-wizard.ts), or
 * from defaults and flags. The subnets follow the VPC (config/subnets.ts), `--set` overrides any
 * value (config/overrides.ts), the production defaults come from config/normalise.ts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, stringify, isMap, type Document } from 'yaml';
import type { CommandContext } from '../context.js';
import { environmentSchema, configJsonSchema, ENV_NAME, type EnvironmentConfig, type EnvironmentInput } from '../config/schema.js';
import { validateConfig } from '../config/load.js';
import { normalised } from '../config/normalise.js';
import { deriveSubnets, MAX_DERIVABLE_PREFIX, SUBNET_OFFSETS, type SubnetTier } from '../config/subnets.js';
import { applySets, parseSet, type SetOverride } from '../config/overrides.js';
import { placeholders } from '../config/placeholders.js';
import { askEnvironment, type WizardGiven } from '../ui/init-wizard.js';
import { ConfigInvalidError, UserError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic.js';

/** The flags of `dpf init`: the wizard's answers given in advance (WizardGiven), and these. */
export interface InitOptions extends WizardGiven {
  /** Accept the platform specification's defaults for everything not given as a flag (no questions). */
  defaults: boolean;
  project?: string;
  /** AMI for the FreeIPA servers (Rocky/Alma Linux 9); default: looked up at deploy time. */
  ipaImage?: string;
  /**
   * `path=value` overrides of any value, applied after the defaults and the other flags
   * (`--set`, repeatable): `path` is dotted inside the environment, e.g. `compute.workers.max=8`.
   */
  set?: string[];
  /** Replace an environment that already exists in the file. */
  force?: boolean;
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
    const given = (tier: SubnetTier) =>
      sets.some((s) => {
        const p = s.path.join('.');
        return p === 'network.subnets' || p === `network.subnets.${tier}`;
      });
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
  if (o.identityProvider || o.ipaImage)
    e.identity = { ...(o.identityProvider ? { provider: o.identityProvider } : {}), ...(o.ipaImage ? { imageId: o.ipaImage } : {}) };
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
  const n = normalised(o.env, parsed.data as EnvironmentConfig);
  const env = stripUndefined(parsed.data) as Record<string, any>;
  env.highAvailability = n.resilience.highAvailability.value;
  env.storage.rds.multiAz = n.resilience.multiAz.value;
  env.storage.rds.deletionProtection = n.resilience.deletionProtection.value;
  // Production copies every recovery point to another region (backup-coverage rule): the proposed pair unless told.
  if (n.proposedDrRegion) env.recovery.drRegion = n.proposedDrRegion;
  return { env: orderLike(env, environmentSchema.shape), sets };
}

/** Keys in the schema's order (so highAvailability sits where the README shows it). */
function orderLike(env: Record<string, unknown>, shape: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(shape)) if (k in env) out[k] = env[k];
  for (const k of Object.keys(env)) if (!(k in out)) out[k] = env[k];
  return out;
}

export async function runInit(opts: InitOptions, ctx: CommandContext): Promise<void> {
  if (!ENV_NAME.test(opts.env))
    throw new UserError('BadEnvName', `Environment name "${opts.env}" must be 1-16 lowercase letters, digits or dashes, starting with a letter.`);
  const prompter = ctx.io.prompter;
  if (!opts.defaults && (!ctx.isTTY || ctx.globals.json || !prompter))
    throw new UserError('NoTerminal', 'dpf init asks questions, but there is no terminal to ask on.', {
      hint: `Run: dpf init --env ${opts.env} --defaults --yes (flags such as --region, --admin-cidr override any default).`,
    });
  const file = path.resolve(ctx.globals.config);
  // The file is edited as a YAML document (not re-serialised from data): the operator's comments stay.
  let doc: Document | undefined;
  if (existsSync(file)) {
    doc = parseDocument(await readFile(file, 'utf8'));
    if (doc.errors.length)
      throw new ConfigInvalidError(
        doc.errors.map((e) => `(yaml) ${e.message.split('\n')[0]}`),
        file,
      );
    const existing = (doc.toJS() ?? {}) as Record<string, any>;
    if (opts.project && existing.project && opts.project !== existing.project)
      throw new UserError('ProjectMismatch', `${file} is for project "${existing.project}", not "${opts.project}".`, {
        hint: 'Drop --project, or use another --config file.',
      });
    // Asked before the wizard: answering ten questions to learn the environment exists wastes them.
    if (existing.environments?.[opts.env] && !opts.force) {
      const replace =
        ctx.globals.yes ||
        (prompter !== undefined &&
          !ctx.globals.json &&
          (await prompter.confirm({ message: `Environment "${opts.env}" exists in ${file}. Replace it?`, default: false })));
      if (!replace)
        throw new UserError('EnvExists', `Environment "${opts.env}" already exists in ${file}; nothing was changed.`, {
          hint: `Pass --force to replace it, or pick another --env.`,
        });
    }
  }
  let o = opts;
  if (!opts.defaults) {
    const chain = await ctx.awsSettings?.().catch(() => undefined);
    o = { ...opts, ...(await askEnvironment(prompter!, opts, chain?.region ?? 'us-west-2')) };
  } else if (!o.region) {
    // init's default region follows the AWS CLI chain: AWS_REGION, AWS_DEFAULT_REGION, the profile's region.
    const chain = await ctx.awsSettings?.().catch(() => undefined);
    if (chain?.region) {
      o = { ...o, region: chain.region };
      if (!ctx.globals.json)
        ctx.io.notify({
          type: 'info',
          message: `Region ${chain.region} (from ${chain.regionSource === 'profile' ? `profile ${chain.profile}` : chain.regionSource}); --region overrides it.`,
        });
    }
  }
  // Fill every default explicitly: the file documents itself. Invalid flags fall through to validation below.
  const { env, sets } = environmentFor(o);
  const raw: Record<string, any> = doc ? ((doc.toJS() ?? {}) as Record<string, any>) : { version: 1, project: o.project ?? 'dataplatform', environments: {} };
  raw.environments ??= {};
  raw.environments[o.env] = env;
  const { problems } = validateConfig(raw);
  if (problems.length)
    throw new ConfigInvalidError(
      problems.map((p) => `${p.path}: ${p.message}${fromSet(p.path, `environments.${o.env}.`, sets)}`),
      `${file} (not written)`,
    );
  const written = env as { network?: { adminCidrs?: string[] }; monitoring?: { alarmEmail?: string } };
  if (opts.defaults)
    for (const w of placeholders({ adminCidrs: written.network?.adminCidrs, alarmEmail: written.monitoring?.alarmEmail }))
      ctx.io.notify({ type: 'warning', message: `${w}; set a real value before deploying (dpf init --force … or edit ${path.basename(file)}).` });
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
