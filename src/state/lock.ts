/**
 * One operator per environment. A lease names its holder and expires unless the live run
 * renews it. Two stores: a local lock file (serves until bootstrap has created the lock
 * table, and always guards this machine) and the DynamoDB table (conditional writes).
 *
 * A lease held by a process that is provably dead (same host, pid gone) is taken over
 * with a warning; any other live-looking lease is only broken by `dpf unlock`.
 */
import { readFile, unlink, mkdir, link, rename, readdir, open } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LockHeldError } from '../errors.js';
import type { AcquireResult, Lease, LeaseStore } from '../aws/ports.js';
import { removeStaleTemps, writeFileAtomic, writeTemp } from './atomic.js';
import { digest64 } from './digest.js';
import type { ProcessInfo } from '../settings.js';

/** A lease may be taken over when it expired, or when its holder on this host (`me.host`) is dead. */
export function staleReason(holder: Lease, now: Date, me: Pick<ProcessInfo, 'host' | 'isAlive'>): string | undefined {
  if (new Date(holder.expiresAt).getTime() < now.getTime()) return `its lease expired at ${holder.expiresAt}`;
  if (holder.host === me.host && !me.isAlive(holder.pid)) return `process ${holder.pid} on ${me.host} is no longer running`;
  return undefined;
}

/**
 * The local lock file. Every lease is created whole (written to a private temp file, then
 * linked into place: `link` fails if the lock exists, and nobody ever reads a half-written
 * lease). A stale lease is taken over without ever unlinking a file that might not be the one
 * judged stale: the taker first claims the takeover of exactly that lease with an O_EXCL-like
 * claim file named after its token (`lock.json.takeover-<token>`, created by `link`); only the
 * process holding that claim may replace the lock, and only if it still holds that token
 * (then by an atomic rename). Two processes that judged the same lease stale cannot both win.
 */
export class FileLeaseStore implements LeaseStore {
  constructor(
    readonly file: string,
    private readonly me: ProcessInfo,
  ) {}
  get where(): string {
    return `lock file ${this.file}`;
  }

  async read(): Promise<Lease | undefined> {
    let text: string;
    try {
      // Synchronously: one small file, and `status --offline` has nothing to overlap a thread-pool round trip with (issue 14).
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return parseLease(text);
  }

  private async readClaim(file: string): Promise<Lease | undefined> {
    try {
      return parseLease(await readFile(file, 'utf8'));
    } catch {
      return undefined;
    }
  }

  async tryAcquire(lease: Lease, _now: Date, canTakeOver: (holder: Lease) => boolean): Promise<AcquireResult> {
    const dir = path.dirname(this.file);
    await mkdir(dir, { recursive: true });
    await removeStaleTemps(dir, this.me);
    const tmp = await writeTemp(this.file, JSON.stringify(lease, null, 2), this.me);
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await createExclusive(tmp, this.file);
          return { ok: true };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const holder = await this.read();
        if (!holder) continue; // released in between: try again
        if (holder.token === lease.token) return { ok: true };
        if (!canTakeOver(holder)) return { ok: false, holder };
        // Claim the takeover of exactly this lease; a claim left by a taker that died is itself
        // taken over the same way (a longer, equally deterministic name), at most a few levels.
        const claims: string[] = [];
        let claim = `${this.file}.takeover-${holder.token}`;
        let claimed = false;
        for (let depth = 0; depth < 3 && !claimed; depth++) {
          try {
            await createExclusive(tmp, claim);
            claims.push(claim);
            claimed = true;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
            const claimant = await this.readClaim(claim);
            if (!claimant || claimant.token === lease.token || !canTakeOver(claimant)) return { ok: false, holder: claimant ?? holder };
            claim = `${claim}.${claimant.token}`;
          }
        }
        if (!claimed) return { ok: false, holder };
        try {
          const now = await this.read();
          if (now?.token !== holder.token) continue; // replaced or released meanwhile: start over
          await rename(tmp, this.file);
          return { ok: true };
        } finally {
          for (const c of claims) await unlink(c).catch(() => undefined);
        }
      }
      const holder = await this.read();
      return { ok: false, holder: holder ?? lease };
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async renew(lease: Lease): Promise<boolean> {
    const cur = await this.read();
    if (cur?.token !== lease.token) return false;
    await writeFileAtomic(this.file, JSON.stringify(lease, null, 2), this.me);
    return true;
  }

  /** Release our lease only: it is moved aside first and put back if it turns out not to be ours. */
  async release(lease: Lease): Promise<void> {
    const aside = `${this.file}.release-${lease.token}`;
    try {
      await rename(this.file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const moved = await this.readClaim(aside);
    if (moved && moved.token !== lease.token) await link(aside, this.file).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
  }

  /** `dpf unlock`: deliberate, so unconditional; takeover claims go too. */
  async forceRelease(): Promise<void> {
    await unlink(this.file).catch(() => undefined);
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    for (const f of await readdir(dir).catch(() => [] as string[]))
      if (f.startsWith(`${base}.takeover-`)) await unlink(path.join(dir, f)).catch(() => undefined);
  }
}

/**
 * Create `target` with the content of the complete file `source`, failing with EEXIST if it
 * exists: a hard link (atomic, never half-written); on a file system without hard links, an
 * O_EXCL create written and synced before anyone is expected to read it.
 */
async function createExclusive(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS'].includes(code ?? '')) throw err;
    const fh = await open(target, 'wx', 0o644);
    try {
      await fh.writeFile(await readFile(source, 'utf8'));
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

/**
 * A lease from the lock file's text. A file that is not a lease (garbage, or torn by an older
 * dpf that wrote in place) reads as an expired lease named by its content, so it can be taken
 * over like any stale lease (and claims on it are deterministic).
 */
function parseLease(text: string): Lease {
  try {
    const l = JSON.parse(text) as Lease;
    if (l && typeof l === 'object' && typeof l.token === 'string') return l;
  } catch {
    /* below */
  }
  const digest = digest64(text);
  return {
    env: '?',
    token: `unreadable-${digest}`,
    identity: 'an unreadable lock file',
    host: '?',
    pid: 0,
    command: '?',
    since: new Date(0).toISOString(),
    expiresAt: new Date(0).toISOString(),
  };
}

export interface LockOptions {
  env: string;
  identity: string;
  command: string;
  /** Lease length; a live run renews at a third of it. Default 120 s. */
  leaseSeconds?: number;
  now: () => Date;
  warn: (message: string) => void;
  /** This process: the lease names its host and pid, and judges other holders with it. */
  me: ProcessInfo;
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
      // The Web Crypto global: node:crypto loads only when a lease is made, not when one is read (issue 14).
      token: crypto.randomUUID(),
      identity: opts.identity,
      host: opts.me.host,
      pid: opts.me.pid,
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
      const reason = staleReason(holder, now, this.opts.me);
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
