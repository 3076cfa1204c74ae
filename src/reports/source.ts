/**
 * Read-only access to an environment for `dpf status` and `dpf report`: the config, the local
 * ledger, and — when AWS answers within a few seconds — the state bucket's newer copy (found by
 * its derived name `<project>-<env>-dpf-state-<account>` when the local ledger does not know it).
 * Never takes the lock, never writes the local ledger, and never fails because AWS is
 * unreachable: that becomes a note.
 */
import type { AwsPorts } from '../aws/ports.js';
import type { CommandContext } from '../context.js';
import type { LoadedConfig } from '../config/select.js';
import { openConfig, type OpenedConfig } from '../state/config-cache.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { emptyLedger, type LedgerData } from '../state/ledger.js';
import { StateStore } from '../state/store.js';
import { assertLedgerPlace, selectPlacedEnv } from '../state/place.js';
import { errorMessage } from '../errors.js';

/** Every live AWS call of status/report gives up after this long. */
export const LIVE_TIMEOUT_MS = 8000;

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} did not answer within ${ms / 1000}s`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

export interface LedgerView {
  loaded: LoadedConfig;
  /** The config as opened (src/state/config-cache.ts): what a command keeps with it. */
  opened: OpenedConfig;
  envName: string;
  env: EnvironmentConfig;
  region: string;
  /** Where the environment's state lives; the local ledger shown is store.ledgerFile. */
  store: StateStore;
  data: LedgerData;
  source: 'local' | 'state-bucket';
  /** Where the ledger shown was read from when source is 'state-bucket'; derived: the bucket name came from the STS account (no local copy knew it). */
  remote?: { where: string; derived: boolean };
  aws: { reachable: boolean | null; note?: string; accountId?: string };
  /** Set when AWS answered. */
  ports?: AwsPorts;
}

/** cacheOnly: the config from the cache only (src/state/config-cache.ts: a miss throws NotCachedError). */
export async function openLedgerView(ctx: CommandContext, o: { offline?: boolean; timeoutMs?: number; cacheOnly?: boolean } = {}): Promise<LedgerView> {
  const opened = await openConfig(ctx.globals.config, { dir: ctx.settings.cacheDir, owner: ctx.settings.process }, { cacheOnly: o.cacheOnly });
  const loaded = opened.loaded;
  const { name: envName, env } = await selectPlacedEnv(loaded, ctx.globals);
  const region = ctx.globals.region ?? env.region;
  const store = new StateStore(loaded.dir, loaded.config.project, envName, ctx.settings.process);
  const local = (await store.readLocal()) ?? emptyLedger(loaded.config.project, envName, ctx.clock.now());
  const view: LedgerView = { loaded, opened, envName, env, region, store, data: local, source: 'local', aws: { reachable: null } };
  const place = (accountId?: string) => assertLedgerPlace(view.data, envName, { region, regionFromFlag: ctx.globals.region !== undefined, accountId });
  place();
  if (o.offline) return view;
  try {
    const ports = ctx.aws(region);
    // The whole call, client construction included, is inside the time box.
    const who = await withTimeout((async () => (await ports.identity()).whoami())(), o.timeoutMs ?? LIVE_TIMEOUT_MS, 'AWS STS');
    view.aws = { reachable: true, accountId: who.account };
    view.ports = ports;
    const boot = view.data.steps['bootstrap.state'];
    // A second operator (another folder or machine, no local ledger with bootstrap done) finds the
    // ledger by the state bucket's derived name, as `dpf deploy` does. Read-only: nothing is written here.
    const known = boot?.status === 'done' && boot.outputs.StateBucketName ? boot.outputs.StateBucketName : undefined;
    const pinnedElsewhere = !known && env.accountId && env.accountId !== who.account;
    if (pinnedElsewhere)
      view.aws.note = `The credentials are for account ${who.account}, but environment "${envName}" is pinned to account ${env.accountId}: the state bucket was not read; showing the local ledger.`;
    const bucket = known ?? (pinnedElsewhere ? undefined : store.derivedBucket(who.account));
    if (bucket) {
      const where = store.mirror(() => ports.objects(), bucket).describe();
      try {
        const remote = await withTimeout(
          store.readRemote(() => ports.objects(), bucket),
          o.timeoutMs ?? LIVE_TIMEOUT_MS,
          'S3',
        );
        if (remote.data && StateStore.newer(remote.data, view.data)) {
          view.data = remote.data;
          view.source = 'state-bucket';
          view.remote = { where, derived: !known };
        }
      } catch (err) {
        view.aws.note = known
          ? `The state bucket's ledger could not be read (${errorMessage(err)}); showing the local ledger.`
          : `No local ledger with bootstrap done, and ${where} could not be read (${errorMessage(err)}); showing the local ledger.`;
      }
    }
  } catch (err) {
    // A credentials problem is not "AWS is down": keep what dpf found out and what to do about it.
    const hint = (err as { hint?: string })?.hint;
    view.aws = { reachable: false, note: `AWS could not be reached (${errorMessage(err)}${hint ? ` — ${hint}` : ''}); showing the local ledger only.` };
    view.ports = undefined;
  }
  place(view.aws.accountId);
  return view;
}
