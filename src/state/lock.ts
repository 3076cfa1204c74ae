/**
 * One operator per environment. A lease names its holder and expires unless the live run
 * renews it. Two stores: a local lock file (serves until bootstrap has created the lock
 * table, and always guards this machine) and the DynamoDB table (conditional writes).
 *
 * A lease held by a process that is provably dead (same host, pid gone) is taken over
 * with a warning; any other live-looking lease is only broken by `dpf unlock`.
 */
import { open, readFile, unlink, mkdir } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { LockHeldError, type LockHolder } from '../errors.js';

export interface Lease extends LockHolder {
  env: string;
  token: string;
}

export type AcquireResult = { ok: true } | { ok: false; holder: Lease };

/** The port both stores implement. */
export interface LeaseStore {
  readonly where: string;
  tryAcquire(lease: Lease, now: Date, canTakeOver: (holder: Lease) => boolean): Promise<AcquireResult>;
  renew(lease: Lease): Promise<boolean>;
  release(lease: Lease): Promise<void>;
  read(): Promise<Lease | undefined>;
  forceRelease(): Promise<void>;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lease may be taken over when it expired, or when its holder on this host is dead. */
export function staleReason(holder: Lease, now: Date, host = os.hostname()): string | undefined {
  if (new Date(holder.expiresAt).getTime() < now.getTime()) return `its lease expired at ${holder.expiresAt}`;
  if (holder.host === host && !isProcessAlive(holder.pid)) return `process ${holder.pid} on ${host} is no longer running`;
  return undefined;
}

export class FileLeaseStore implements LeaseStore {
  constructor(readonly file: string) {}
  get where(): string {
    return `lock file ${this.file}`;
  }

  async read(): Promise<Lease | undefined> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as Lease;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      // A torn write (crash mid-write) leaves garbage: treat as no lease but keep the evidence.
      return undefined;
    }
  }

  async tryAcquire(lease: Lease, _now: Date, canTakeOver: (holder: Lease) => boolean): Promise<AcquireResult> {
    await mkdir(path.dirname(this.file), { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(this.file, 'wx', 0o644);
        await fh.writeFile(JSON.stringify(lease, null, 2));
        await fh.sync();
        await fh.close();
        // Re-read: two processes racing past a stale lease must not both win.
        const now = await this.read();
        return now?.token === lease.token ? { ok: true } : { ok: false, holder: now ?? lease };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = await this.read();
        if (holder && !canTakeOver(holder)) return { ok: false, holder };
        await unlink(this.file).catch(() => undefined);
      }
    }
    const holder = await this.read();
    return holder ? { ok: false, holder } : { ok: false, holder: lease };
  }

  async renew(lease: Lease): Promise<boolean> {
    const cur = await this.read();
    if (cur?.token !== lease.token) return false;
    const { writeFileAtomic } = await import('./atomic.js');
    await writeFileAtomic(this.file, JSON.stringify(lease, null, 2));
    return true;
  }

  async release(lease: Lease): Promise<void> {
    const cur = await this.read();
    if (cur?.token === lease.token) await unlink(this.file).catch(() => undefined);
  }

  async forceRelease(): Promise<void> {
    await unlink(this.file).catch(() => undefined);
  }
}

export interface LockOptions {
  env: string;
  identity: string;
  command: string;
  /** Lease length; a live run renews at a third of it. Default 120 s. */
  leaseSeconds?: number;
  now: () => Date;
  warn: (message: string) => void;
}

/** Holds the environment's lease across one or more stores, renewing it while the run lives. */
export class EnvLock {
  private readonly held: LeaseStore[] = [];
  private timer?: NodeJS.Timeout;
  readonly lease: Lease;
  private readonly leaseSeconds: number;

  constructor(private readonly opts: LockOptions) {
    this.leaseSeconds = opts.leaseSeconds ?? 120;
    const now = opts.now();
    this.lease = {
      env: opts.env,
      token: randomUUID(),
      identity: opts.identity,
      host: os.hostname(),
      pid: process.pid,
      command: opts.command,
      since: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.leaseSeconds * 1000).toISOString(),
    };
  }

  /** Acquire in `store` too (e.g. the DynamoDB table once bootstrap made it). Throws LockHeldError. */
  async acquire(store: LeaseStore): Promise<void> {
    if (this.held.includes(store)) return;
    const now = this.opts.now();
    const result = await store.tryAcquire(this.lease, now, (holder) => {
      if (holder.token === this.lease.token) return true;
      const reason = staleReason(holder, now);
      if (reason) this.opts.warn(`Taking over a stale lock on "${this.opts.env}" held by ${holder.identity} (${holder.command}): ${reason}.`);
      return reason !== undefined;
    });
    if (!result.ok) throw new LockHeldError(this.opts.env, result.holder, store.where);
    this.held.push(store);
    this.startRenewal();
  }

  private startRenewal(): void {
    if (this.timer) return;
    const every = Math.max(1000, (this.leaseSeconds * 1000) / 3);
    this.timer = setInterval(() => void this.renew(), every);
    this.timer.unref();
  }

  async renew(): Promise<void> {
    this.lease.expiresAt = new Date(this.opts.now().getTime() + this.leaseSeconds * 1000).toISOString();
    for (const s of this.held) {
      try {
        if (!(await s.renew(this.lease))) this.opts.warn(`The lock in ${s.where} is no longer ours (was it broken with dpf unlock?).`);
      } catch (err) {
        this.opts.warn(`Could not renew the lock in ${s.where}: ${(err as Error).message}`);
      }
    }
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const s of this.held.splice(0).reverse()) {
      try {
        await s.release(this.lease);
      } catch (err) {
        this.opts.warn(`Could not release the lock in ${s.where}: ${(err as Error).message}; it expires at ${this.lease.expiresAt}.`);
      }
    }
  }
}

export function localLockPath(configDir: string, env: string): string {
  return path.join(configDir, '.dpf', env, 'lock.json');
}
