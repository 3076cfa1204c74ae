/**
 * Loading in stages (changesets' way): YAML parse → schema → rules → resolved view.
 * Returns problems instead of printing; nothing here touches AWS.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, environmentSchema, type DpfConfig, type EnvironmentConfig } from './schema.js';
import { checkEnvironment, type Problem } from './rules.js';
import { ConfigInvalidError, UserError } from '../errors.js';

export const DEFAULT_CONFIG_FILE = 'dpf.config.yaml';

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
    const got = ['string', 'number', 'boolean'].includes(typeof input) ? ` (got ${JSON.stringify(input)})` : '';
    return { path: formatPath(i.path), message: `${message}${got}` };
  });
}

/** Validate a parsed config object; returns the typed config or every problem. */
export function validateConfig(raw: unknown): { config?: DpfConfig; problems: Problem[] } {
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  const problems: Problem[] = parsed.success ? [] : zodProblems(parsed.error);
  // Rules run per environment even when another part failed the schema, so that every
  // problem is reported in one go.
  const envs = parsed.success ? parsed.data.environments : bestEffortEnvs(raw);
  for (const [name, env] of Object.entries(envs)) problems.push(...checkEnvironment(env, `environments.${name}`));
  return { config: problems.length === 0 && parsed.success ? parsed.data : undefined, problems: dedupe(problems) };
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

export interface LoadedConfig {
  file: string;
  dir: string;
  config: DpfConfig;
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  if (!existsSync(abs))
    throw new UserError('ConfigNotFound', `No config file at ${abs}.`, { hint: 'Create one with: dpf init --env dev --defaults --yes (or pass --config PATH).' });
  const text = await readFile(abs, 'utf8');
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new ConfigInvalidError(doc.errors.map((e) => `(yaml) line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`), abs);
  const { config, problems } = validateConfig(doc.toJS());
  if (!config) throw new ConfigInvalidError(problems.map((p) => `${p.path}: ${p.message}`), abs);
  return { file: abs, dir: path.dirname(abs), config };
}

export function selectEnv(loaded: LoadedConfig, env: string | undefined): { name: string; env: EnvironmentConfig } {
  const names = Object.keys(loaded.config.environments);
  const name = env ?? (names.length === 1 ? names[0] : undefined);
  if (!name) throw new UserError('EnvRequired', `--env is required: ${loaded.file} defines ${names.join(', ')}.`, { hint: `e.g. --env ${names[0]}` });
  const e = loaded.config.environments[name];
  if (!e) throw new UserError('EnvUnknown', `Environment "${name}" is not defined in ${loaded.file} (defined: ${names.join(', ') || 'none'}).`, { hint: `Add it with: dpf init --env ${name} --defaults --yes` });
  return { name, env: e };
}
