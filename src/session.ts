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

export async function openSession(
  ctx: CommandContext,
  opts: {
    command: string;
    lock: boolean;
    readOnly?: boolean;
    /** Ports whose SDK modules the command will need: loading starts now, while the session waits for STS, the lock and the ledger. */
    preload?: ReadonlyArray<'cfn' | 'preflight' | 'ops'>;
  },
): Promise<Session> {
  // Validated once per change of the file (and of dpf): src/state/config-cache.ts.
  const loaded = (await openConfig(ctx.globals.config, { dir: ctx.settings.cacheDir, owner: ctx.settings.process })).loaded;
  const { name: envName, env } = await selectPlacedEnv(loaded, ctx.globals);
  const region = ctx.globals.region ?? env.region;
  const aws = ctx.aws(region);
  // A failure here is the real call's failure later (the ports are memoised): nothing to report twice.
  for (const port of opts.preload ?? []) void aws[port]().catch(() => undefined);
  const warn = (message: string) => ctx.io.notify({ type: 'warning', message });
  if (ctx.globals.region === undefined) {
    // The config pins where an environment lives; a shell's AWS_REGION or a profile's region does not move it (it would
    // deploy a second copy elsewhere), but a difference is worth saying: the operator may have meant the other one.
    const chain = await ctx.awsSettings?.().catch(() => undefined);
    if (chain?.region && chain.region !== region)
      warn(
        `${chain.regionSource === 'profile' ? `Profile ${chain.profile}'s region` : chain.regionSource} is ${chain.region}, but environment "${envName}" lives in ${region} (${path.basename(loaded.file)}): using ${region}. Pass --region to override.`,
      );
  }

  const who = await (await aws.identity()).whoami();
  if (env.accountId && env.accountId !== who.account)
    throw new AwsAccessError(`The credentials are for account ${who.account}, but environment "${envName}" is pinned to account ${env.accountId}.`, {
      hint: 'Use the right profile (--profile / AWS_PROFILE), or change accountId in the config.',
    });

  const now = ctx.clock.now();
  const store = new StateStore(loaded.dir, loaded.config.project, envName, ctx.settings.process);
  let lock: EnvLock | undefined;
  if (opts.lock) {
    lock = new EnvLock({ env: envName, identity: who.arn, command: opts.command, now: () => ctx.clock.now(), warn, me: ctx.settings.process });
    await lock.acquire(store.localLock());
  }
  let ledger: Ledger;
  try {
    ledger = await store.open(now, warn);
    // --check / --dry-run: everything below (facts, adopted copies, runs, step evidence) stays in memory.
    if (opts.readOnly) ledger.makeReadOnly();
  } catch (err) {
    await lock?.release();
    throw err;
  }
  try {
    assertLedgerPlace(ledger.data, envName, { region, regionFromFlag: ctx.globals.region !== undefined, accountId: who.account });
  } catch (err) {
    await lock?.release();
    throw err;
  }
  ledger.data.facts.accountId = who.account;
  ledger.data.facts.region = region;

  const envCtx: EnvContext = { project: loaded.config.project, name: envName, env, region, accountId: who.account, operator: who.arn, runId: newRunId(now) };
  let attached = false;
  const session: Session = {
    loaded,
    envName,
    env,
    region,
    ledger,
    store,
    aws,
    envCtx,
    lock,
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
  try {
    // A second operator (another machine, no local ledger yet) finds the state by its derived bucket name.
    if (ledger.get('bootstrap.state')?.status !== 'done') {
      const mirror = store.mirror(() => aws.objects(), store.derivedBucket(who.account));
      const body = await mirror.read().catch(() => undefined);
      if (body !== undefined && (await ledger.adopt(parseLedger(body, mirror.describe()))))
        ctx.io.notify({ type: 'info', message: `Using the ledger found in ${mirror.describe()} (this machine had no newer copy).` });
    }
    await session.attachStateBackend();
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}
