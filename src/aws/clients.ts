/**
 * SDK client construction, shared by every adapter. Imported lazily (by the port factory) so
 * that `dpf --help`, `--version` and offline commands never load the AWS SDK.
 * The standard credential chain, AWS_PROFILE/--profile, --region and AWS_ENDPOINT_URL (or a
 * profile's endpoint_url) work unchanged; with a custom endpoint S3 uses path-style addressing (emulators need it).
 */
import { DpfRetryStrategy, type RetryPolicy } from './retry.js';
import { AWS_ITSELF, isCustomEndpoint, type Endpoint } from './endpoint.js';

export interface AwsClientSettings {
  region: string;
  /** The endpoint the SDK uses (src/settings.ts): against a custom one, an HTML 500 means "not offered". Default: AWS. */
  endpoint?: Endpoint;
  /** Overrides of dpf's retry policy (src/aws/retry.ts); tests use it for shorter back-offs. */
  retry?: Partial<RetryPolicy>;
}

export async function clientConfig(s: AwsClientSettings): Promise<Record<string, unknown>> {
  const retryStrategy = new DpfRetryStrategy({ customEndpoint: isCustomEndpoint(s.endpoint ?? AWS_ITSELF), ...s.retry });
  const cfg: Record<string, unknown> = {
    region: s.region,
    // Reported in the amz-sdk-request header only: the strategy decides (per kind of failure).
    maxAttempts: 1 + retryStrategy.policy.throttleRetries,
    retryStrategy,
    // An unreachable endpoint must fail in seconds, not hang a command: every call dpf makes is short
    // (long waits are polling loops of short calls).
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60000 },
  };
  // Credentials: the SDK's default chain. The profile (--profile sets AWS_PROFILE in the CLI) then
  // governs credentials (keys, SSO, role, credential_process), region and endpoint_url alike, as
  // it does for the AWS CLI; env keys are ignored while a profile is named (SDK behaviour).
  return cfg;
}

/** An S3 client's config: path-style addressing against a custom endpoint (emulators serve no bucket subdomains). */
export function s3ClientConfig(cfg: Record<string, unknown>, endpoint: Endpoint): Record<string, unknown> {
  return { ...cfg, forcePathStyle: isCustomEndpoint(endpoint, 'S3') };
}

/**
 * The client config for a call that carries no idempotency token (SSM SendCommand): a lost
 * answer or a 5xx is not retried by the SDK, so the caller can first look up whether the call
 * was carried out.
 */
export function withoutAmbiguousRetries(cfg: Record<string, unknown>): Record<string, unknown> {
  const s = cfg.retryStrategy;
  return { ...cfg, retryStrategy: s instanceof DpfRetryStrategy ? s.with({ retryAmbiguous: false }) : new DpfRetryStrategy({ retryAmbiguous: false }) };
}
