/** dpf unlock: show the environment's lock and break it deliberately. */
import type { CommandContext } from '../context.js';
import { loadConfig } from '../config/load.js';
import { staleReason } from '../state/lock.js';
import { StateStore } from '../state/store.js';
import { selectPlacedEnv } from '../state/place.js';
import { heldLocks } from '../state/held-locks.js';
import { NotConfirmedError } from '../errors.js';

export async function runUnlock(_opts: Record<string, never>, ctx: CommandContext): Promise<void> {
  const loaded = await loadConfig(ctx.globals.config);
  const { name: envName, env } = await selectPlacedEnv(loaded, ctx.globals);
  const store = new StateStore(loaded.dir, loaded.config.project, envName, ctx.settings.process);
  const ledger = await store.readLocal();
  const found = await heldLocks(
    store,
    ledger,
    (table) => ctx.aws(ctx.globals.region ?? env.region).leaseStore(table, envName),
    (message) => ctx.io.notify({ type: 'warning', message }),
  );
  const now = ctx.clock.now();
  const view = found.map(({ store, lease }) => ({
    where: store.where,
    ...lease,
    token: undefined,
    stale: staleReason(lease, now, ctx.settings.process) ?? null,
  }));
  if (found.length === 0) {
    if (ctx.globals.json) ctx.stdout(JSON.stringify({ env: envName, released: [], message: 'no lock held' }));
    else ctx.stdout(`Environment ${envName} is not locked.`);
    return;
  }
  if (!ctx.globals.json)
    for (const v of view)
      ctx.stdout(
        `Lock in ${v.where}: held by ${v.identity} on ${v.host} (pid ${v.pid}) running "${v.command}" since ${v.since}, expires ${v.expiresAt}${v.stale ? ` — stale: ${v.stale}` : ' — looks ALIVE'}`,
      );
  const ok = await ctx.io.confirm({ question: `Break the lock on ${envName}? A run that is still alive would lose its exclusive access.` });
  if (!ok) throw new NotConfirmedError(`break the lock on ${envName}`, 'declined');
  for (const { store } of found) await store.forceRelease();
  if (ctx.globals.json) ctx.stdout(JSON.stringify({ env: envName, released: view }));
  else ctx.stdout(`Lock on ${envName} broken (${found.map((f) => f.store.where).join(', ')}).`);
}
