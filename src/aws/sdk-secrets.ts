/** SecretsPort over the AWS SDK v3 (Secrets Manager). Names only: no call here reads a value. */
import { SecretsManagerClient, ListSecretsCommand, DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretsPort } from './ops-ports.js';
import { isError } from './sdk-common.js';

export class SdkSecrets implements SecretsPort {
  constructor(private readonly client: SecretsManagerClient) {}

  async listSecretNames(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      // The name filter matches prefixes (and words after "/" or "-"): keep the exact prefix only.
      const r = await this.client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], NextToken: token, MaxResults: 100 }));
      for (const s of r.SecretList ?? []) if (s.Name?.startsWith(prefix)) out.push(s.Name);
      token = r.NextToken;
    } while (token);
    return out.sort();
  }

  async deleteSecretNow(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    } catch (err) {
      if (isError(err, 'ResourceNotFoundException')) return;
      throw err;
    }
  }
}

export function createSecretsPort(cfg: Record<string, unknown>): SecretsPort {
  return new SdkSecrets(new SecretsManagerClient(cfg));
}
