/** dpf unlock: show the environment's lock and break it deliberately. */
import type { CommandContext } from '../context.js';
import { loadConfig } from '../config/load.js';
import { staleReason } from '../state/lock.js';
import { StateStore } from '../state/store.js';
import { selectPlacedEnv } from '../state/place.js';
import type { Lease, LeaseStore } from '../aws/ports.js';
import { NotConfirmedError, errorMessage } from '../errors.js';

export async function runUnlock(_opts: Record<string, never>, ctx: CommandContext): Promise<void> {
  const loaded = await loadConfig(ctx.globals.config);
  const { name: envName, env } = await selectPlacedEnv(loaded, ctx.globals);
  const store = new StateStore(loaded.dir, loaded.config.project, envName, ctx.settings.process);
  const ledger = await store.readLocal();
  const stores: LeaseStore[] = [store.localLock()];
  // The lease table's name is derived from the project and environment: a fresh checkout (config
  // only, no local ledger) finds a lease held by another machine too.
  const recorded = ledger?.steps['bootstrap.state']?.outputs.LockTableName;
  const table = recorded ?? store.derivedLockTable();
  const dynamo = await ctx.aws(ctx.globals.region ?? env.region).leaseStore(table, envName);
  stores.push(dynamo);
  const found: Array<{ store: LeaseStore; lease: Lease }> = [];
  for (const store of stores) {
    let lease: Lease | undefined;
    try {
      lease = await store.read();
    } catch (err) {
      // Not recorded and not reachable: the local lock can still be shown and broken.
      if (store === dynamo && !recorded) {
        ctx.io.notify({ type: 'warning', message: `Could not read the DynamoDB lease in ${table}: ${errorMessage(err)}; showing the local lock only.` });
        continue;
      }
      throw err;
    }
    if (lease) found.push({ store, lease });
  }
  const now = ctx.clock.now();
  const view = found.map(({ store, lease }) => ({ where: store.where, ...lease, token: undefined, stale: staleReason(lease, now, ctx.settings.process) ?? null }));
  if (found.length === 0) {
    if (ctx.globals.json) ctx.stdout(JSON.stringify({ env: envName, released: [], message: 'no lock held' }));
    else ctx.stdout(`Environment ${envName} is not locked.`);
    return;
  }
  if (!ctx.globals.json)
    for (const v of view)
      ctx.stdout(`Lock in ${v.where}: held by ${v.identity} on ${v.host} (pid ${v.pid}) running "${v.command}" since ${v.since}, expires ${v.expiresAt}${v.stale ? ` — stale: ${v.stale}` : ' — looks ALIVE'}`);
  const ok = await ctx.io.confirm({ question: `Break the lock on ${envName}? A run that is still alive would lose its exclusive access.` });
  if (!ok) throw new NotConfirmedError(`break the lock on ${envName}`, 'declined');
  for (const { store } of found) await store.forceRelease();
  if (ctx.globals.json) ctx.stdout(JSON.stringify({ env: envName, released: view }));
  else ctx.stdout(`Lock on ${envName} broken (${found.map((f) => f.store.where).join(', ')}).`);
}
