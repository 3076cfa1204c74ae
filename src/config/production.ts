/**
 * The one definition of "production" and of the defaults that follow from it. Every caller
 * (deploy parameters, `dpf init`, the patch change rules, the semantic checks) asks here, so a
 * prod environment cannot get Multi-AZ from one place and a single NAT gateway from another.
 */
import type { EnvironmentConfig } from './schema.js';

/** prod, production, and their suffixed variants (prod-eu, production-2). */
export function isProduction(envName: string): boolean {
  return /^prod(uction)?(-|$)/.test(envName);
}

/** Where a resilience setting came from: the config file, or the default for the environment kind. */
export type SettingSource = 'config' | 'production default' | 'non-production default';

export interface Setting {
  value: boolean;
  source: SettingSource;
}

/** The settings whose default depends on whether the environment is production. */
export interface Resilience {
  /** One NAT gateway per AZ (network). */
  highAvailability: Setting;
  /** RDS Multi-AZ standby (storage). */
  multiAz: Setting;
  /** RDS deletion protection (storage). */
  deletionProtection: Setting;
}

type ResilienceInput = {
  highAvailability?: boolean;
  storage: { rds: { multiAz?: boolean; deletionProtection?: boolean } };
};

function setting(explicit: boolean | undefined, production: boolean): Setting {
  if (explicit !== undefined) return { value: explicit, source: 'config' };
  return { value: production, source: production ? 'production default' : 'non-production default' };
}

/** The effective values: the config's where it sets them, else true in production and false elsewhere. */
export function resilience(envName: string, env: ResilienceInput | Pick<EnvironmentConfig, 'highAvailability' | 'storage'>): Resilience {
  const prod = isProduction(envName);
  return {
    highAvailability: setting(env.highAvailability, prod),
    multiAz: setting(env.storage.rds.multiAz, prod),
    deletionProtection: setting(env.storage.rds.deletionProtection, prod),
  };
}
