/**
 * Opening an environment for a command: config → ledger → AWS identity → lock → state-bucket
 * mirror, in that order, so an invalid config never reaches AWS and the ledger is only read
 * under the lock. Closing flushes the ledger and releases the lock.
 */
import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { loadConfig, selectEnv, type LoadedConfig } from './config/load.js';
import type { EnvironmentConfig } from './config/schema.js';
import { Ledger, parseLedger, type LedgerData, type LedgerMirror } from './state/ledger.js';
import { names } from './steps/phases.js';
import { EnvLock, FileLeaseStore, localLockPath } from './state/lock.js';
import type { AwsPorts, CommandContext } from './context.js';
import type { EnvContext } from './steps/types.js';
import { AwsAccessError, UserError } from './errors.js';

export interface Session {
  loaded: LoadedConfig;
  envName: string;
  env: EnvironmentConfig;
  region: string;
  ledger: Ledger;
  aws: AwsPorts;
  envCtx: EnvContext;
  lock?: EnvLock;
  /** Acquire the DynamoDB lease and mirror the ledger to the state bucket, once bootstrap made them. */
  attachStateBackend(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The ledger records where the environment lives (facts.region, facts.accountId). A command aimed
 * elsewhere — `--region` another region, credentials of another account — would read or change
 * a place where this environment does not exist, and report "32/32 done" there: refused.
 */
export function assertLedgerPlace(data: LedgerData, envName: string, where: { region: string; regionFromFlag: boolean; accountId?: string }): void {
  const f = data.facts;
  if (f.region && f.region !== where.region)
    throw new UserError('RegionMismatch', `Environment "${envName}" lives in ${f.region} (its ledger says so), but this command would use ${where.region}${where.regionFromFlag ? ' (--region)' : ' (the config)'}.`, {
      hint: where.regionFromFlag ? `Drop --region ${where.region}, or name the environment that lives there.` : `If the environment really moved, start a new one (dpf init --env NEW --region ${where.region}); its ledger is .dpf/${envName}/ledger.json.`,
    });
  if (f.accountId && where.accountId && f.accountId !== where.accountId)
    throw new AwsAccessError(`The credentials are for account ${where.accountId}, but environment "${envName}" lives in account ${f.accountId} (its ledger says so).`, {
      hint: 'Use the profile for that account (--profile NAME or AWS_PROFILE), or pin it in the config (accountId) to catch this earlier.',
    });
}

/**
 * The environment a command works on. A `--region` other than the config's is first compared
 * with where the local ledger says the environment lives (RegionMismatch, naming both): that
 * is the mistake to report, not that the config's zones are not zones of the other region.
 * Only then are the zones checked against it (selectEnv), for an environment not deployed yet.
 */
export async function selectPlacedEnv(loaded: LoadedConfig, globals: { env?: string; region?: string }): Promise<{ name: string; env: EnvironmentConfig }> {
  const { name } = selectEnv(loaded, globals.env);
  if (globals.region !== undefined) {
    const livesIn = await peekLedgerRegion(Ledger.localPath(loaded.dir, name));
    if (livesIn) assertLedgerPlace({ facts: { region: livesIn } } as unknown as LedgerData, name, { region: globals.region, regionFromFlag: true });
  }
  return selectEnv(loaded, name, globals.region);
}

/** facts.region of a local ledger file; undefined when there is none or it cannot be read (Ledger.open reports that). */
async function peekLedgerRegion(file: string): Promise<string | undefined> {
  try {
    const region = (JSON.parse(await readFile(file, 'utf8')) as { facts?: { region?: unknown } }).facts?.region;
    return typeof region === 'string' ? region : undefined;
  } catch {
    return undefined;
  }
}

export function newRunId(now: Date): string {
  return `r${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').toLowerCase()}-${randomBytes(3).toString('hex')}`;
}

export class S3LedgerMirror implements LedgerMirror {
  constructor(private readonly aws: AwsPorts, private readonly bucket: string, private readonly env: string) {}
  private get key() {
    return `ledger/${this.env}/ledger.json`;
  }
  async read() {
    return (await this.aws.objects()).getText(this.bucket, this.key);
  }
  async write(body: string) {
    await (await this.aws.objects()).putText(this.bucket, this.key, body);
  }
  describe() {
    return `s3://${this.bucket}/${this.key}`;
  }
}

export async function openSession(ctx: CommandContext, opts: { command: string; lock: boolean; readOnly?: boolean }): Promise<Session> {
  const loaded = await loadConfig(ctx.globals.config);
  const { name: envName, env } = await selectPlacedEnv(loaded, ctx.globals);
  const region = ctx.globals.region ?? env.region;
  const aws = ctx.aws(region);
  const warn = (message: string) => ctx.io.notify({ type: 'warning', message });
  if (ctx.globals.region === undefined) {
    // The config pins where an environment lives; a shell's AWS_REGION or a profile's region does not move it (it would
    // deploy a second copy elsewhere), but a difference is worth saying: the operator may have meant the other one.
    const chain = await ctx.awsSettings?.().catch(() => undefined);
    if (chain?.region && chain.region !== region)
      warn(`${chain.regionSource === 'profile' ? `Profile ${chain.profile}'s region` : chain.regionSource} is ${chain.region}, but environment "${envName}" lives in ${region} (${path.basename(loaded.file)}): using ${region}. Pass --region to override.`);
  }

  const who = await (await aws.identity()).whoami();
  if (env.accountId && env.accountId !== who.account)
    throw new AwsAccessError(`The credentials are for account ${who.account}, but environment "${envName}" is pinned to account ${env.accountId}.`, {
      hint: 'Use the right profile (--profile / AWS_PROFILE), or change accountId in the config.',
    });

  const now = ctx.clock.now();
  let lock: EnvLock | undefined;
  if (opts.lock) {
    lock = new EnvLock({ env: envName, identity: who.arn, command: opts.command, now: () => ctx.clock.now(), warn });
    await lock.acquire(new FileLeaseStore(localLockPath(loaded.dir, envName)));
  }
  let ledger: Ledger;
  try {
    ledger = await Ledger.open(Ledger.localPath(loaded.dir, envName), loaded.config.project, envName, now, warn);
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
    loaded, envName, env, region, ledger, aws, envCtx, lock,
    async attachStateBackend() {
      if (attached) return;
      const boot = ledger.get('bootstrap.state');
      if (boot?.status !== 'done' || !boot.outputs.StateBucketName) return;
      attached = true;
      if (lock && boot.outputs.LockTableName) await lock.acquire(await aws.leaseStore(boot.outputs.LockTableName, envName));
      const how = await ledger.attachMirror(new S3LedgerMirror(aws, boot.outputs.StateBucketName, envName));
      if (how === 'remote-newer') ctx.io.notify({ type: 'info', message: `Adopted a newer ledger from s3://${boot.outputs.StateBucketName} (written by another operator).` });
    },
    async close() {
      await ledger.flush().catch(() => undefined);
      await lock?.release();
    },
  };
  try {
    // A second operator (another machine, no local ledger yet) finds the state by its derived bucket name.
    if (ledger.get('bootstrap.state')?.status !== 'done') {
      const bucket = names(envCtx).stateBucket;
      const mirror = new S3LedgerMirror(aws, bucket, envName);
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

export function hostName(): string {
  return os.hostname();
}
