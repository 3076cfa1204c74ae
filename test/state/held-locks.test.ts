/** dpf unlock's reading of the locks (src/state/held-locks.ts). */
import { describe, it, expect } from 'vitest';
import { heldLocks } from '../../src/state/held-locks.js';
import type { Lease, LeaseStore } from '../../src/aws/ports.js';
import type { StateStore } from '../../src/state/store.js';
import type { LedgerData } from '../../src/state/ledger.js';

const lease = (host: string): Lease =>
  ({ identity: 'alice', host, pid: 1, command: 'deploy', since: '2025-01-01T00:00:00Z', expiresAt: '2025-01-01T01:00:00Z', token: 't' }) as Lease;
const fake = (where: string, read: () => Promise<Lease | undefined>): LeaseStore =>
  ({ where, read, forceRelease: async () => undefined }) as unknown as LeaseStore;

function store(local: LeaseStore): StateStore {
  return { localLock: () => local, derivedLockTable: () => 'p-dev-dpf-lock' } as unknown as StateStore;
}

describe('heldLocks', () => {
  it('GIVEN a local lock and a DynamoDB lease THEN both are found, the table derived when the ledger has none', async () => {
    const tables: string[] = [];
    const found = await heldLocks(
      store(fake('local', async () => lease('a'))),
      undefined,
      async (t) => (tables.push(t), fake('dynamo', async () => lease('b'))),
      () => undefined,
    );
    expect(found.map((f) => [f.store.where, f.lease.host])).toEqual([
      ['local', 'a'],
      ['dynamo', 'b'],
    ]);
    expect(tables).toEqual(['p-dev-dpf-lock']);
  });

  it.each([
    ['not recorded: warned, the local lock still shown', undefined, 'warns'],
    ['recorded in the ledger: the error stands', 'recorded-table', 'throws'],
  ] as const)('GIVEN the lease table unreadable and %s', async (_n, table, expected) => {
    const ledger = table ? ({ steps: { 'bootstrap.state': { outputs: { LockTableName: table } } } } as unknown as LedgerData) : undefined;
    const warnings: string[] = [];
    const p = heldLocks(
      store(fake('local', async () => lease('a'))),
      ledger,
      async () => fake('dynamo', async () => Promise.reject(new Error('AccessDenied'))),
      (m) => warnings.push(m),
    );
    if (expected === 'throws') await expect(p).rejects.toThrow('AccessDenied');
    else {
      expect((await p).map((f) => f.store.where)).toEqual(['local']);
      expect(warnings).toEqual([expect.stringMatching(/^Could not read the DynamoDB lease in p-dev-dpf-lock: AccessDenied/)]);
    }
  });
});
