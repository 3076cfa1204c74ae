/**
 * SDK client construction, shared by every adapter. Imported lazily (by context.ts) so
 * that `dpf --help`, `--version` and offline commands never load the AWS SDK.
 * The standard credential chain, AWS_PROFILE/--profile, --region and AWS_ENDPOINT_URL (or a
 * profile's endpoint_url) work unchanged; with a custom endpoint S3 uses path-style addressing (emulators need it).
 */
export interface AwsClientSettings {
  region: string;
  /** Retries of throttled/transient calls (SDK standard retry mode). Default 5. */
  maxAttempts?: number;
}

export async function clientConfig(s: AwsClientSettings): Promise<Record<string, unknown>> {
  const cfg: Record<string, unknown> = {
    region: s.region,
    maxAttempts: s.maxAttempts ?? 5,
    retryMode: 'standard',
    // An unreachable endpoint must fail in seconds, not hang a command: every call dpf makes is short
    // (long waits are polling loops of short calls).
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60000 },
  };
  // Credentials: the SDK's default chain. The profile (--profile sets AWS_PROFILE in the CLI) then
  // governs credentials (keys, SSO, role, credential_process), region and endpoint_url alike, as
  // it does for the AWS CLI; env keys are ignored while a profile is named (SDK behaviour).
  return cfg;
}

export function usesCustomEndpoint(): boolean {
  return Boolean(process.env.AWS_ENDPOINT_URL || process.env.AWS_ENDPOINT_URL_S3);
}
