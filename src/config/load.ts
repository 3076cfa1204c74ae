/**
 * Loading in stages (changesets' way): YAML parse → schema → rules → resolved view.
 * Returns problems instead of printing; nothing here touches AWS.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, environmentSchema, ENV_NAME, PROJECT_NAME, type DpfConfig, type EnvironmentConfig } from './schema.js';
import { checkEnvironment, type CheckOptions, type Problem } from './rules.js';
import { derivedNameProblems } from './names.js';
import { normaliseConfig } from './normalise.js';
import { ConfigInvalidError, UserError, bounded, excerpt, errorMessage } from '../errors.js';

export const DEFAULT_CONFIG_FILE = 'dpf.config.yaml';
import { MAX_CONFIG_BYTES, pickEnv, type LoadedConfig } from './select.js';

export { MAX_CONFIG_BYTES, type LoadedConfig };
/** YAML aliases expanded per document at most (yaml's own guard against "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

function formatPath(parts: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** Issues parsed with `reportInput: true` carry the bad value; a message names it (`… (got "x")`). */
export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((i) => {
    // A bad record key (environment name): zod's own "Invalid key in record" hides the key rule's message.
    const message = i.code === 'invalid_key' && i.issues[0] ? i.issues[0].message : i.message;
    const input = (i as { input?: unknown }).input;
    const got = ['string', 'number', 'boolean'].includes(typeof input) ? ` (got ${excerpt(input)})` : '';
    return { path: formatPath(i.path), message: `${message}${got}` };
  });
}

/**
 * Validate a parsed config object; returns the typed config or every problem.
 * `opts.region` (--region) is the region the command will use instead of each environment's.
 */
export function validateConfig(raw: unknown, opts: CheckOptions = {}): { config?: DpfConfig; problems: Problem[] } {
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  const problems: Problem[] = parsed.success ? [] : zodProblems(parsed.error);
  // Rules run per environment even when another part failed the schema, so that every
  // problem is reported in one go.
  const envs = parsed.success ? parsed.data.environments : bestEffortEnvs(raw);
  for (const [name, env] of Object.entries(envs)) problems.push(...checkEnvironment(env, `environments.${name}`, opts));
  const project = parsed.success ? parsed.data.project : ((raw as { project?: unknown })?.project ?? 'dataplatform');
  problems.push(...nameProblems(project, Object.keys(envs)));
  const config = problems.length === 0 && parsed.success ? parsed.data : undefined;
  // The normalisation stage (./normalise.ts): what follows from each environment, decided once.
  if (config) normaliseConfig(config.environments);
  return { config, problems: dedupe(problems) };
}

/**
 * The project and environment names against the naming rules of every AWS service they end up
 * in: a problem of the project alone is reported on `project`, one that needs the environment
 * (or the two together) on `environments.<name>`.
 */
function nameProblems(project: unknown, envNames: string[]): Problem[] {
  if (typeof project !== 'string' || !PROJECT_NAME.test(project)) return [];
  const out: Problem[] = [];
  const ofProject = derivedNameProblems(project, 'dev');
  for (const m of ofProject) out.push({ path: 'project', message: `${excerpt(project)} cannot be used: ${m}` });
  for (const env of envNames.filter((e) => ENV_NAME.test(e))) {
    for (const m of derivedNameProblems(project, env))
      if (!ofProject.includes(m.replace(`${project}-${env}`, `${project}-dev`).replace(`/${project}/${env}/`, `/${project}/dev/`)))
        out.push({ path: `environments.${env}`, message: `the environment name "${env}" cannot be used with project "${project}": ${m}` });
  }
  return out;
}

/**
 * Problems of one field, by the loader's own rules: for a tool (the init wizard) that checks
 * each answer as it is typed. `field` is a path inside an environment (`network.vpcCidr`,
 * `storage.backup.schedule`, `identity.sudoRules.0.name`), or `project`, or `envName`. `env` holds the answers so far (the
 * region for the zones, the VPC for the subnets, …); everything else takes its default.
 * Returns the messages for that field (and anything below it), [] when it is valid.
 */
export function fieldProblems(field: string, value: unknown, context: { project?: string; envName?: string; env?: Record<string, unknown> } = {}): string[] {
  const envName = field === 'envName' ? value : (context.envName ?? 'dev');
  const project = field === 'project' ? value : (context.project ?? 'dataplatform');
  const env = structuredClone(context.env ?? {}) as Record<string, unknown>;
  if (field !== 'project' && field !== 'envName') setPath(env, field, value);
  const key = typeof envName === 'string' ? envName : String(envName);
  const { problems } = validateConfig({ version: 1, project, environments: { [key]: env } });
  // Problems name array items as [i] (identity.sudoRules[0].name); the field may say .0.
  const inner = field.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  const want = field === 'project' ? 'project' : field === 'envName' ? `environments.${key}` : `environments.${key}.${inner}`;
  return problems.filter((p) => p.path === want || p.path.startsWith(`${want}.`) || p.path.startsWith(`${want}[`)).map((p) => p.message);
}

/** Set `a.b.0.c`: a numeric part is an array index (identity.sudoRules.0.name). */
function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = obj;
  parts.slice(0, -1).forEach((part, i) => {
    if (!cur[part] || typeof cur[part] !== 'object') cur[part] = /^\d+$/.test(parts[i + 1]!) ? [] : {};
    cur = cur[part] as Record<string, unknown>;
  });
  cur[parts[parts.length - 1]!] = value;
}

function bestEffortEnvs(raw: unknown): Record<string, EnvironmentConfig> {
  const envs = (raw as { environments?: Record<string, unknown> })?.environments;
  if (!envs || typeof envs !== 'object') return {};
  const out: Record<string, EnvironmentConfig> = {};
  for (const [name, value] of Object.entries(envs)) {
    const one = environmentSchema.safeParse(value);
    // A schema failure in this environment: run the rules on each section that parses (so its
    // defaults apply) and on the raw values of the sections that do not (rules read defensively).
    // Rules on the raw environment alone would report omitted fields as wrong.
    out[name] = (one.success ? one.data : bestEffortFields(value)) as EnvironmentConfig;
  }
  return out;
}

function bestEffortFields(value: unknown): Record<string, unknown> {
  const raw = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const out: Record<string, unknown> = { ...raw };
  for (const [key, field] of Object.entries(environmentSchema.shape)) {
    const r = (field as z.ZodType).safeParse(raw[key]);
    if (r.success) out[key] = r.data;
  }
  return out;
}

function dedupe(ps: Problem[]): Problem[] {
  const seen = new Set<string>();
  return ps.filter((p) => (seen.has(`${p.path}: ${p.message}`) ? false : (seen.add(`${p.path}: ${p.message}`), true)));
}

/** Read the config file's text; any file-system problem is a usage error (exit 2) that names the file. */
async function readConfigText(abs: string): Promise<string> {
  const hint = 'Create one with: dpf init --env dev --defaults --yes (or pass --config PATH).';
  let size: number;
  try {
    const st = await stat(abs);
    if (st.isDirectory())
      throw new UserError('ConfigNotAFile', `${abs} is a directory, not a config file.`, {
        hint: `Pass the file itself: --config ${path.join(abs, DEFAULT_CONFIG_FILE)}`,
      });
    if (!st.isFile()) throw new UserError('ConfigNotAFile', `${abs} is not a regular file.`, { hint });
    size = st.size;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError('ConfigNotFound', `No config file at ${abs}.`, { hint });
    throw new UserError('ConfigUnreadable', `Cannot read ${abs}: ${errorMessage(err)}.`, { hint: 'Check the path and its permissions.' });
  }
  if (size > MAX_CONFIG_BYTES)
    throw new UserError(
      'ConfigTooLarge',
      `${abs} is ${size.toLocaleString('en-US')} bytes; a dpf config is a few kilobytes (at most ${MAX_CONFIG_BYTES.toLocaleString('en-US')}).`,
      {
        hint: 'Is --config pointing at the right file?',
      },
    );
  try {
    return await readFile(abs, 'utf8');
  } catch (err) {
    throw new UserError('ConfigUnreadable', `Cannot read ${abs}: ${errorMessage(err)}.`, { hint: 'Check the path and its permissions.' });
  }
}

/** Parse YAML text into plain data; syntax errors and alias bombs are config problems. */
export function parseConfigText(text: string, where: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new ConfigInvalidError(
      doc.errors.map((e) => bounded(`(yaml) line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`)),
      where,
    );
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml throws a ReferenceError when aliases expand past maxAliasCount ("billion laughs").
    throw new ConfigInvalidError(
      [bounded(`(yaml) ${errorMessage(err)}: the file's aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies; write the values out`)],
      where,
    );
  }
}

/** Load and validate the config file. */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  return { file: abs, dir: path.dirname(abs), config: configFromText(abs, await readConfigText(abs)) };
}

/** The config in this text (of the file `abs`), validated; every problem at once, as a ConfigInvalidError. */
export function configFromText(abs: string, text: string): DpfConfig {
  const { config, problems } = validateConfig(parseConfigText(text, abs));
  if (!config)
    throw new ConfigInvalidError(
      problems.map((p) => bounded(`${p.path}: ${p.message}`)),
      abs,
    );
  return config;
}

/**
 * The environment a command works on. `region` (--region) replaces the environment's region for
 * this command: the zones and the DR region are checked against it, so a zone of another
 * region is refused here (exit 2) and not by EC2 halfway through a deploy.
 */
export function selectEnv(loaded: LoadedConfig, env: string | undefined, region?: string): { name: string; env: EnvironmentConfig } {
  const { name, env: e } = pickEnv(loaded, env);
  if (region !== undefined && region !== e.region) {
    const problems = checkEnvironment(e, `environments.${name}`, { region });
    if (problems.length)
      throw new ConfigInvalidError(
        problems.map((p) => bounded(`${p.path}: ${p.message}`)),
        loaded.file,
      );
  }
  return { name, env: e };
}
