/** dpf unlock's question: which locks of an environment are held, and by whom (local lock file and DynamoDB lease). */
import type { Lease, LeaseStore } from '../aws/ports.js';
import type { LedgerData } from './ledger.js';
import type { StateStore } from './store.js';
import { errorMessage } from '../errors.js';

export interface HeldLock {
  store: LeaseStore;
  lease: Lease;
}

/**
 * Read the local lock and the DynamoDB lease. The lease table's name is derived from the project
 * and environment: a fresh checkout (config only, no local ledger) finds a lease held by another
 * machine too; when that table is neither recorded nor reachable, the local lock is still shown.
 */
export async function heldLocks(
  store: StateStore,
  ledger: LedgerData | undefined,
  leaseStore: (table: string) => Promise<LeaseStore>,
  warn: (message: string) => void,
): Promise<HeldLock[]> {
  const recorded = ledger?.steps['bootstrap.state']?.outputs.LockTableName;
  const table = recorded ?? store.derivedLockTable();
  const dynamo = await leaseStore(table);
  const found: HeldLock[] = [];
  for (const s of [store.localLock(), dynamo]) {
    let lease: Lease | undefined;
    try {
      lease = await s.read();
    } catch (err) {
      if (s === dynamo && !recorded) {
        warn(`Could not read the DynamoDB lease in ${table}: ${errorMessage(err)}; showing the local lock only.`);
        continue;
      }
      throw err;
    }
    if (lease) found.push({ store: s, lease });
  }
  return found;
}
