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

/**
 * The region production backups are copied to when the config names none (the specification:
 * cross-region backup, yes): a nearby region of the same partition and, where there is one, the
 * same jurisdiction. `dpf init` writes it out for production environments; undefined where dpf
 * knows no sensible pair (init then says to set recovery.drRegion).
 */
export function defaultDrRegion(region: string): string | undefined {
  return DR_PAIRS[region];
}

const DR_PAIRS: Record<string, string> = {
  'us-east-1': 'us-west-2',
  'us-east-2': 'us-west-2',
  'us-west-1': 'us-east-1',
  'us-west-2': 'us-east-1',
  'ca-central-1': 'ca-west-1',
  'ca-west-1': 'ca-central-1',
  'eu-west-1': 'eu-central-1',
  'eu-west-2': 'eu-west-1',
  'eu-west-3': 'eu-central-1',
  'eu-central-1': 'eu-west-1',
  'eu-central-2': 'eu-central-1',
  'eu-north-1': 'eu-central-1',
  'eu-south-1': 'eu-south-2',
  'eu-south-2': 'eu-south-1',
  'ap-southeast-1': 'ap-southeast-2',
  'ap-southeast-2': 'ap-southeast-4',
  'ap-southeast-4': 'ap-southeast-2',
  'ap-northeast-1': 'ap-northeast-3',
  'ap-northeast-3': 'ap-northeast-1',
  'ap-northeast-2': 'ap-northeast-1',
  'ap-south-1': 'ap-south-2',
  'ap-south-2': 'ap-south-1',
  'sa-east-1': 'us-east-1',
  'us-gov-west-1': 'us-gov-east-1',
  'us-gov-east-1': 'us-gov-west-1',
};
