/**
 * The STS adapter, alone in its module: the first call of every command that touches AWS. With the
 * S3 and DynamoDB adapters beside it, GetCallerIdentity waited for their SDKs to load (≈60 ms of a
 * 0.4 s rerun on this machine) though it needs neither.
 */
import type { STSClient } from '@aws-sdk/client-sts';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { IdentityPort } from './ports.js';

export class SdkIdentity implements IdentityPort {
  private answer?: Promise<{ account: string; arn: string; userId: string }>;
  constructor(private readonly client: STSClient) {}
  /**
   * Asked once per client: the session and the preflight both need it, and the caller's identity
   * does not change while one command runs (a failed answer is not kept: the next call asks again).
   */
  whoami() {
    this.answer ??= this.client.send(new GetCallerIdentityCommand({})).then(
      (r) => ({ account: r.Account ?? 'unknown', arn: r.Arn ?? 'unknown', userId: r.UserId ?? 'unknown' }),
      (err: unknown) => {
        this.answer = undefined;
        throw err;
      },
    );
    return this.answer;
  }
}
