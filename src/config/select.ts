/**
 * The config as commands hold it, and picking an environment from it: light (no YAML, schema or
 * rules), so the fast path (src/state/config-cache.ts) and the full one (./load.ts) share it.
 */
import type { DpfConfig, EnvironmentConfig } from './schema.js';
import { UserError, excerpt } from '../errors.js';

export interface LoadedConfig {
  file: string;
  dir: string;
  config: DpfConfig;
}

/** A config is a few kilobytes; anything this large is a wrong file (or an attack on the parser). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The environment a command names (or the only one), without the region check (./load.ts
 * selectEnv adds it for --region): light, for the fast path.
 */
export function pickEnv(loaded: LoadedConfig, env: string | undefined): { name: string; env: EnvironmentConfig } {
  const names = Object.keys(loaded.config.environments);
  const name = env ?? (names.length === 1 ? names[0] : undefined);
  if (!name) throw new UserError('EnvRequired', `--env is required: ${loaded.file} defines ${names.join(', ')}.`, { hint: `e.g. --env ${names[0]}` });
  const e = loaded.config.environments[name];
  if (!e)
    throw new UserError(
      'EnvUnknown',
      `Environment "${excerpt(name, 40).slice(1, -1)}" is not defined in ${loaded.file} (defined: ${names.join(', ') || 'none'}).`,
      { hint: `Add it with: dpf init --env ${name.length > 16 ? 'NAME' : name} --defaults --yes` },
    );
  return { name, env: e };
}
