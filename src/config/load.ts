/**
 * Loading in stages (changesets' way): YAML parse → schema → rules → resolved view.
 * Returns problems instead of printing; nothing here touches AWS.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type DpfConfig, type EnvironmentConfig } from './schema.js';
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

export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** Validate a parsed config object; returns the typed config or every problem. */
export function validateConfig(raw: unknown): { config?: DpfConfig; problems: Problem[] } {
  const parsed = configSchema.safeParse(raw);
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
    const one = configSchema.shape.environments.safeParse({ [name]: value });
    // A schema failure in this environment: run the rules on the raw values (they read defensively).
    out[name] = (one.success ? one.data[name] : value) as EnvironmentConfig;
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
