/**
 * FakeSecrets: the SecretsPort in memory. Spec: a secret exists once `put(name)`; listSecretNames
 * returns the names that start with the prefix, sorted; deleteSecretNow removes a name (an
 * absent name is not an error, as AWS's ResourceNotFoundException is treated by the adapter);
 * `deleted` records every deletion in order. Values are never modelled: dpf never reads them.
 */
import type { SecretsPort } from '../../src/aws/ops-ports.js';

export class FakeSecrets implements SecretsPort {
  readonly names = new Set<string>();
  readonly deleted: string[] = [];

  put(...names: string[]): this {
    for (const n of names) this.names.add(n);
    return this;
  }

  async listSecretNames(prefix: string): Promise<string[]> {
    return [...this.names].filter((n) => n.startsWith(prefix)).sort();
  }

  async deleteSecretNow(name: string): Promise<void> {
    this.names.delete(name);
    this.deleted.push(name);
  }
}
