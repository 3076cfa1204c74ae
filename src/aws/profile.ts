/**
 * The AWS CLI v2 conventions for which profile, region and endpoint dpf uses, resolved once per
 * command from the flags, the environment and the shared files (~/.aws/config, ~/.aws/credentials,
 * or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE), with the SDK's own ini loader.
 *
 * - Profile: `--profile` > AWS_PROFILE > "default". The CLI sets AWS_PROFILE from `--profile`, so
 *   the SDK applies the profile to everything it reads (credentials including SSO and
 *   credential_process, region, endpoint_url) exactly as `AWS_PROFILE=X` would.
 * - Region: `--region` > AWS_REGION > AWS_DEFAULT_REGION > the profile's `region`. `init` uses it
 *   as its default; an environment's region in dpf.config.yaml pins where that environment lives.
 * - Endpoint: AWS_ENDPOINT_URL > the profile's `endpoint_url` (the SDK's order for the global one).
 *
 * Loaded lazily (it reads files with @smithy/core), so `--help` and offline commands never do.
 */
import { loadSharedConfigFiles } from '@smithy/core/config';

export type RegionSource = '--region' | 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'profile' | 'none';

export interface AwsSettings {
  /** The profile in effect ("default" when none was named). */
  profile: string;
  /** True when a profile was named (flag or AWS_PROFILE), not just the default. */
  profileNamed: boolean;
  region?: string;
  regionSource: RegionSource;
  endpointUrl?: string;
  endpointSource?: 'AWS_ENDPOINT_URL' | 'profile';
  /** The profile uses IAM Identity Center (sso_session or sso_start_url). */
  sso: boolean;
  /** The profile is named but neither file defines it. */
  profileMissing: boolean;
}

export interface AwsSettingsInput {
  flagProfile?: string;
  flagRegion?: string;
  env: Record<string, string | undefined>;
}

export async function resolveAwsSettings(i: AwsSettingsInput): Promise<AwsSettings> {
  const named = i.flagProfile ?? (i.env.AWS_PROFILE || undefined);
  const profile = named ?? 'default';
  type Ini = Record<string, Record<string, string | undefined> | undefined>;
  const files = await loadSharedConfigFiles({ ignoreCache: true }).catch(() => ({ configFile: {}, credentialsFile: {} }));
  const configFile = files.configFile as Ini;
  const credentialsFile = files.credentialsFile as Ini;
  const section: Record<string, string | undefined> = { ...(credentialsFile[profile] ?? {}), ...(configFile[profile] ?? {}) };
  const region =
    i.flagRegion !== undefined
      ? { region: i.flagRegion, regionSource: '--region' as const }
      : i.env.AWS_REGION
        ? { region: i.env.AWS_REGION, regionSource: 'AWS_REGION' as const }
        : i.env.AWS_DEFAULT_REGION
          ? { region: i.env.AWS_DEFAULT_REGION, regionSource: 'AWS_DEFAULT_REGION' as const }
          : section.region
            ? { region: section.region, regionSource: 'profile' as const }
            : { region: undefined, regionSource: 'none' as const };
  const endpoint = i.env.AWS_ENDPOINT_URL
    ? { endpointUrl: i.env.AWS_ENDPOINT_URL, endpointSource: 'AWS_ENDPOINT_URL' as const }
    : section.endpoint_url
      ? { endpointUrl: section.endpoint_url, endpointSource: 'profile' as const }
      : {};
  return {
    profile,
    profileNamed: named !== undefined,
    ...region,
    ...endpoint,
    sso: Boolean(section.sso_session || section.sso_start_url),
    profileMissing: named !== undefined && !(profile in configFile) && !(profile in credentialsFile),
  };
}

/** "region eu-west-1 (from AWS_REGION)" — for messages that explain where a value came from. */
export function describeRegion(s: Pick<AwsSettings, 'region' | 'regionSource' | 'profile'>): string {
  if (!s.region) return 'no region';
  return `${s.region} (from ${s.regionSource === 'profile' ? `profile ${s.profile}` : s.regionSource})`;
}
