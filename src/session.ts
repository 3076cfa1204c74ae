/**
 * Opening an environment for a command: config → ledger → AWS identity → lock → state-bucket
 * mirror, in that order, so an invalid config never reaches AWS and the ledger is only read
 * under the lock. Closing flushes the ledger and releases the lock.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { LoadedConfig } from './config/select.js';
import { openConfig } from './state/config-cache.js';
import type { EnvironmentConfig } from './config/schema.js';
import type { Ledger } from './state/ledger.js';
import { parseLedger } from './state/ledger.js';
import { EnvLock } from './state/lock.js';
import { StateStore } from './state/store.js';
import { assertLedgerPlace, selectPlacedEnv } from './state/place.js';
import type { AwsPorts } from './aws/ports.js';
import type { CommandContext } from './context.js';
import type { EnvContext } from './steps/types.js';
import { AwsAccessError } from './errors.js';

export interface Session {
  loaded: LoadedConfig;
  envName: string;
  env: EnvironmentConfig;
  region: string;
  ledger: Ledger;
  /** Where the environment's state lives (files, lock, state-bucket copy). */
  store: StateStore;
  aws: AwsPorts;
  envCtx: EnvContext;
  lock?: EnvLock;
  /** Acquire the DynamoDB lease and mirror the ledger to the state bucket, once bootstrap made them. */
  attachStateBackend(): Promise<void>;
  close(): Promise<void>;
}

export function newRunId(now: Date): string {
  return `r${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .toLowerCase()}-${randomBytes(3).toString('hex')}`;
}

type Caller = { account: string; arn: string };
type Preloadable = 'cfn' | 'preflight' | 'ops';
type Warn = (message: string) => void;

export async function openSession(
  ctx: CommandContext,
  opts: {
    command: string;
    lock: boolean;
    readOnly?: boolean;
    /** Ports whose SDK modules the command will need: loading starts now, while the session waits for STS, the lock and the ledger. */
    preload?: ReadonlyArray<Preloadable>;
    /** The same, decided by the ledger (a rerun with nothing to do needs no preflight): loading starts while the session attaches the state backend. */
    preloadFor?: (ledger: Ledger, env: EnvironmentConfig) => ReadonlyArray<Preloadable>;
  },
): Promise<Session> {
  // Validated once per change of the file (and of dpf): src/state/config-cache.ts.
  const loaded = (await openConfig(ctx.globals.config, { dir: ctx.settings.cacheDir, owner: ctx.settings.process })).loaded;
  const { name: envName, env } = await selectPlacedEnv(loaded, ctx.globals);
  const region = ctx.globals.region ?? env.region;
  const aws = ctx.aws(region);
  // A failure here is the real call's failure later (the ports are memoised): nothing to report twice.
  for (const port of opts.preload ?? []) void aws[port]().catch(() => undefined);
  const warn: Warn = (message) => ctx.io.notify({ type: 'warning', message });
  if (ctx.globals.region === undefined) await warnOfAnotherRegion(ctx, envName, region, loaded.file, warn);
  // A command that takes the lock next needs the state backend's SDKs (the DynamoDB lease, the
  // ledger's S3 copy): they load while STS answers, not after (one round trip, ≈50 ms on this machine).
  const who = await pinnedCaller(aws, env, envName, opts.lock ? () => void aws.objects().catch(() => undefined) : undefined);

  const now = ctx.clock.now();
  const store = new StateStore(loaded.dir, loaded.config.project, envName, ctx.settings.process);
  const { lock, ledger } = await lockAndOpenLedger(ctx, store, { ...opts, envName, region, who, now, warn });
  for (const port of opts.preloadFor?.(ledger, env) ?? []) void aws[port]().catch(() => undefined);
  ledger.data.facts.accountId = who.account;
  ledger.data.facts.region = region;

  const envCtx: EnvContext = { project: loaded.config.project, name: envName, env, region, accountId: who.account, operator: who.arn, runId: newRunId(now) };
  const session = sessionOf(ctx, { loaded, envName, env, region, ledger, store, aws, envCtx, lock });
  try {
    if (ledger.get('bootstrap.state')?.status !== 'done') await adoptSharedLedger(ctx, session, who.account);
    await session.attachStateBackend();
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}

/**
 * The config pins where an environment lives; a shell's AWS_REGION or a profile's region does not
 * move it (it would deploy a second copy elsewhere), but a difference is worth saying: the
 * operator may have meant the other one.
 */
async function warnOfAnotherRegion(ctx: CommandContext, envName: string, region: string, configFile: string, warn: Warn): Promise<void> {
  const chain = await ctx.awsSettings?.().catch(() => undefined);
  if (chain?.region && chain.region !== region)
    warn(
      `${chain.regionSource === 'profile' ? `Profile ${chain.profile}'s region` : chain.regionSource} is ${chain.region}, but environment "${envName}" lives in ${region} (${path.basename(configFile)}): using ${region}. Pass --region to override.`,
    );
}

/** Who the credentials are; refused when the environment is pinned to another account. */
async function pinnedCaller(aws: AwsPorts, env: EnvironmentConfig, envName: string, whileAsking?: () => void): Promise<Caller> {
  const asked = (await aws.identity()).whoami();
  whileAsking?.();
  const who = await asked;
  if (env.accountId && env.accountId !== who.account)
    throw new AwsAccessError(`The credentials are for account ${who.account}, but environment "${envName}" is pinned to account ${env.accountId}.`, {
      hint: 'Use the right profile (--profile / AWS_PROFILE), or change accountId in the config.',
    });
  return who;
}

/** The local lock (when asked for), then the ledger read under it and checked to be this environment's; the lock is released when either fails. */
async function lockAndOpenLedger(
  ctx: CommandContext,
  store: StateStore,
  o: { command: string; lock: boolean; readOnly?: boolean; envName: string; region: string; who: Caller; now: Date; warn: Warn },
): Promise<{ lock?: EnvLock; ledger: Ledger }> {
  let lock: EnvLock | undefined;
  if (o.lock) {
    lock = new EnvLock({ env: o.envName, identity: o.who.arn, command: o.command, now: () => ctx.clock.now(), warn: o.warn, me: ctx.settings.process });
    await lock.acquire(store.localLock());
  }
  try {
    const ledger = await store.open(o.now, o.warn);
    // --check / --dry-run: everything below (facts, adopted copies, runs, step evidence) stays in memory.
    if (o.readOnly) ledger.makeReadOnly();
    assertLedgerPlace(ledger.data, o.envName, { region: o.region, regionFromFlag: ctx.globals.region !== undefined, accountId: o.who.account });
    return { lock, ledger };
  } catch (err) {
    await lock?.release();
    throw err;
  }
}

/** The session: attaching the state backend once bootstrap made it, and closing (flush, release). */
function sessionOf(ctx: CommandContext, s: Omit<Session, 'attachStateBackend' | 'close'>): Session {
  const { ledger, lock, aws, store, envName } = s;
  let attached = false;
  return {
    ...s,
    async attachStateBackend() {
      if (attached) return;
      const boot = ledger.get('bootstrap.state');
      if (boot?.status !== 'done' || !boot.outputs.StateBucketName) return;
      attached = true;
      if (lock && boot.outputs.LockTableName) await lock.acquire(await aws.leaseStore(boot.outputs.LockTableName, envName));
      const how = await ledger.attachMirror(store.mirror(() => aws.objects(), boot.outputs.StateBucketName));
      if (how === 'remote-newer')
        ctx.io.notify({ type: 'info', message: `Adopted a newer ledger from s3://${boot.outputs.StateBucketName} (written by another operator).` });
    },
    async close() {
      await ledger.flush().catch(() => undefined);
      await lock?.release();
    },
  };
}

/** A second operator (another machine, no local ledger yet) finds the state by its derived bucket name. */
async function adoptSharedLedger(ctx: CommandContext, session: Session, account: string): Promise<void> {
  const mirror = session.store.mirror(() => session.aws.objects(), session.store.derivedBucket(account));
  const body = await mirror.read().catch(() => undefined);
  if (body !== undefined && (await session.ledger.adopt(parseLedger(body, mirror.describe()))))
    ctx.io.notify({ type: 'info', message: `Using the ledger found in ${mirror.describe()} (this machine had no newer copy).` });
}
