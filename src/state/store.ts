/**
 * Where an environment's state lives, spelled once, and how its copies are read — for every
 * command that opens an environment: the session (read-write, under the lock) and status,
 * reports, patch's staging check, doctor and unlock (read-only).
 *
 * - Local: `.dpf/<env>/ledger.json` and `lock.json` next to the config file.
 * - Remote: `s3://<state bucket>/ledger/<env>/ledger.json` (versioned), the mirror the ledger
 *   writes once bootstrap made the bucket; a machine without a local copy finds it by the
 *   bucket's derived name (config/normalise.ts derivedNames).
 * - Between copies, the newer wins (ledger.ts isNewerCopy: the higher revision, same environment).
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { ObjectStorePort } from '../aws/ports.js';
import type { ProcessInfo } from '../settings.js';
import { derivedNames } from '../config/normalise.js';
import { Ledger, isNewerCopy, parseLedger, readLedgerFile, type LedgerData, type LedgerMirror, type LedgerWarn } from './ledger.js';
import { FileLeaseStore } from './lock.js';

/** The ledger's key in the state bucket. */
export function ledgerKey(env: string): string {
  return `ledger/${env}/ledger.json`;
}

export function localLedgerPath(configDir: string, env: string): string {
  return path.join(configDir, '.dpf', env, 'ledger.json');
}

export function localLockPath(configDir: string, env: string): string {
  return path.join(configDir, '.dpf', env, 'lock.json');
}

/** facts.region of a local ledger file; undefined when there is none or it cannot be read (opening it reports that). */
export async function peekLedgerRegion(file: string): Promise<string | undefined> {
  try {
    const region = (JSON.parse(await readFile(file, 'utf8')) as { facts?: { region?: unknown } }).facts?.region;
    return typeof region === 'string' ? region : undefined;
  } catch {
    return undefined;
  }
}

/** The state-bucket copy of a ledger, as the ledger's mirror. */
export class S3LedgerMirror implements LedgerMirror {
  constructor(
    private readonly objects: () => Promise<ObjectStorePort>,
    private readonly bucket: string,
    private readonly env: string,
  ) {}
  async read() {
    return (await this.objects()).getText(this.bucket, ledgerKey(this.env));
  }
  async write(body: string) {
    await (await this.objects()).putText(this.bucket, ledgerKey(this.env), body);
  }
  describe() {
    return `s3://${this.bucket}/${ledgerKey(this.env)}`;
  }
}

/** One environment's state: its files, its lock, its copies. */
export class StateStore {
  constructor(
    readonly configDir: string,
    readonly project: string,
    readonly env: string,
    private readonly me: ProcessInfo,
  ) {}

  get ledgerFile(): string {
    return localLedgerPath(this.configDir, this.env);
  }

  get lockFile(): string {
    return localLockPath(this.configDir, this.env);
  }

  /** The local lock file as a lease store. */
  localLock(): FileLeaseStore {
    return new FileLeaseStore(this.lockFile, this.me);
  }

  /** Open the local ledger to work on (a new one when there is none); the session's way, under the lock. */
  open(now: Date, warn?: LedgerWarn): Promise<Ledger> {
    return Ledger.open(this.ledgerFile, this.project, this.env, now, this.me, warn);
  }

  /** The local copy as it is, written nothing (undefined when there is none). */
  readLocal(): Promise<LedgerData | undefined> {
    return readLedgerFile(this.ledgerFile, this.project, this.env);
  }

  /** The state bucket by its derived name (what a machine without a local copy uses). */
  derivedBucket(accountId: string): string {
    return derivedNames({ project: this.project, name: this.env, accountId }).stateBucket;
  }

  /** The lock table by its derived name (it does not depend on the account). */
  derivedLockTable(): string {
    return derivedNames({ project: this.project, name: this.env, accountId: '' }).lockTable;
  }

  mirror(objects: () => Promise<ObjectStorePort>, bucket: string): S3LedgerMirror {
    return new S3LedgerMirror(objects, bucket, this.env);
  }

  /** The state bucket's copy, checked (undefined when there is none); `where` names it for messages. */
  async readRemote(objects: () => Promise<ObjectStorePort>, bucket: string): Promise<{ data?: LedgerData; where: string }> {
    const m = this.mirror(objects, bucket);
    const body = await m.read();
    return { data: body ? parseLedger(body, m.describe()) : undefined, where: m.describe() };
  }

  /** The newest-copy rule: `candidate` replaces `current` when it is this environment's and newer. */
  static newer(candidate: LedgerData | undefined, current: LedgerData | undefined): boolean {
    if (!candidate) return false;
    return !current || isNewerCopy(candidate, current);
  }
}
