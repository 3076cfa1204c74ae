/**
 * The config's normalisation stage (changesets' way: parse → rules → normalise): what follows
 * from an environment's config and its name, decided in one place and computed once by the
 * loader (validateConfig) for every environment it returns. Callers read it with
 * `normalised(name, env)` — the loader's result for a loaded config — instead of recomputing:
 *
 * - production: the one definition (./production.ts), and the resilience defaults that follow
 *   from it (HA NAT, Multi-AZ, deletion protection, each with where its value came from);
 * - the DR region: where dpf makes the vault for cross-region copies, and the region `dpf init`
 *   proposes for a production environment that names none;
 * - the names dpf derives from project, environment and account: the state bucket (where the
 *   ledger's copy is found by a second operator), the lock table, the data lake bucket. The name
 *   rules of config/names.ts check these very names.
 */
import type { EnvironmentConfig } from './schema.js';
import { defaultDrRegion, isProduction, resilience, type Resilience } from './production.js';

export interface Normalised {
  production: boolean;
  resilience: Resilience;
  /** The region of the vault dpf creates for cross-region copies: recovery.drRegion, unless the config names a vault of its own or the DR region is the environment's own. */
  drVaultRegion?: string;
  /** The DR region proposed for a production environment whose config names none (init writes it); undefined elsewhere. */
  proposedDrRegion?: string;
}

const done = new WeakMap<EnvironmentConfig, Map<string, Normalised>>();

/**
 * The region of the vault dpf creates for cross-region backup copies: recovery.drRegion, unless
 * the config names a vault of its own (storage.backup.copyToVaultArn) or the DR region is the
 * environment's own. (It does not depend on the environment's name: the step graph asks it.)
 */
export function drVaultRegion(env: EnvironmentConfig): string | undefined {
  const r = env.recovery.drRegion;
  return r && r !== env.region && !env.storage.backup.copyToVaultArn ? r : undefined;
}

function compute(name: string, env: EnvironmentConfig): Normalised {
  const production = isProduction(name);
  const dr = env.recovery.drRegion;
  return {
    production,
    resilience: resilience(name, env),
    drVaultRegion: drVaultRegion(env),
    proposedDrRegion: production && dr === undefined ? defaultDrRegion(env.region) : undefined,
  };
}

/** An environment's normalised values (computed at load; an environment built elsewhere, e.g. a test's, on first read). */
export function normalised(name: string, env: EnvironmentConfig): Normalised {
  let byName = done.get(env);
  if (!byName) done.set(env, (byName = new Map()));
  let n = byName.get(name);
  if (!n) byName.set(name, (n = compute(name, env)));
  return n;
}

/** The loader's stage: every environment of a valid config, normalised once. */
export function normaliseConfig(environments: Record<string, EnvironmentConfig>): void {
  for (const [name, env] of Object.entries(environments)) normalised(name, env);
}

export interface DerivedNames {
  stateBucket: string;
  lockTable: string;
  dataLakeBucket: string;
}

/** The names dpf derives for an environment (the templates make the same ones; test/config/names.test.ts checks it). */
export function derivedNames(e: { project: string; name: string; accountId: string }): DerivedNames {
  return {
    stateBucket: `${e.project}-${e.name}-dpf-state-${e.accountId}`,
    lockTable: `${e.project}-${e.name}-dpf-lock`,
    dataLakeBucket: `${e.project}-${e.name}-datalake-${e.accountId}`,
  };
}
