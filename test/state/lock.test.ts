import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvLock, FileLeaseStore, staleReason } from '../../src/state/lock.js';
import { localLockPath } from '../../src/state/store.js';
import { isProcessAlive } from '../../src/fast-entry.js';
import { THIS_PROCESS } from '../fakes/fake-settings.js';
import { type Lease } from '../../src/aws/ports.js';
import { ExitCode, LockHeldError } from '../../src/errors.js';

const NOW = new Date('2025-01-01T12:00:00.000Z');
const later = (s: number) => new Date(NOW.getTime() + s * 1000);

function lease(over: Partial<Lease> = {}): Lease {
  return {
    env: 'dev',
    token: `t-${Math.random().toString(36).slice(2)}`,
    identity: 'arn:aws:iam::123456789012:user/bob',
    host: 'bob-laptop',
    pid: 4242,
    command: 'deploy',
    since: NOW.toISOString(),
    expiresAt: later(120).toISOString(),
    ...over,
  };
}

/** The pid of a process that has exited (spawned here, waited for). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return pid;
}

let dir: string;
let file: string;
let locks: EnvLock[];
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-lock-'));
  file = localLockPath(dir, 'dev');
  locks = [];
});
afterEach(async () => {
  for (const l of locks) await l.release();
  rmSync(dir, { recursive: true, force: true });
});

function envLock(warnings: string[] = [], identity = 'arn:aws:iam::123456789012:user/alice'): EnvLock {
  const l = new EnvLock({ env: 'dev', identity, command: 'deploy --env dev', now: () => NOW, warn: (m) => warnings.push(m), me: THIS_PROCESS });
  locks.push(l);
  return l;
}

const never = () => false;

describe('FileLeaseStore', () => {
  it('GIVEN no lock file WHEN acquired THEN the lease is written', async () => {
    const store = new FileLeaseStore(file, THIS_PROCESS);
    const mine = lease();
    expect(await store.tryAcquire(mine, NOW, never)).toEqual({ ok: true });
    expect(await store.read()).toEqual(mine);
  });

  it('GIVEN a lease held WHEN another lease tries THEN it fails and the holder is returned', async () => {
    const store = new FileLeaseStore(file, THIS_PROCESS);
    const first = lease({ identity: 'alice' });
    await store.tryAcquire(first, NOW, never);
    const result = await store.tryAcquire(lease({ identity: 'bob' }), NOW, never);
    expect(result).toEqual({ ok: false, holder: first });
    expect(await store.read()).toEqual(first);
  });

  it('GIVEN a holder the caller may take over WHEN acquired THEN the new lease replaces it', async () => {
    const store = new FileLeaseStore(file, THIS_PROCESS);
    await store.tryAcquire(lease({ identity: 'alice' }), NOW, never);
    const mine = lease({ identity: 'bob' });
    expect(await store.tryAcquire(mine, NOW, () => true)).toEqual({ ok: true });
    expect((await store.read())?.token).toBe(mine.token);
  });

  it('GIVEN a torn lock file (an older dpf wrote in place) WHEN read THEN it reads as an expired lease that can be taken over', async () => {
    const store = new FileLeaseStore(file, THIS_PROCESS);
    await store.tryAcquire(lease(), NOW, never);
    writeFileSync(file, '{"env": "de');
    const torn = await store.read();
    expect(torn).toMatchObject({ token: expect.stringMatching(/^unreadable-/), expiresAt: new Date(0).toISOString() });
    expect(staleReason(torn!, NOW, THIS_PROCESS)).toMatch(/expired/);
    const mine = lease();
    expect(await store.tryAcquire(mine, NOW, (h) => staleReason(h, NOW, THIS_PROCESS) !== undefined)).toEqual({ ok: true });
    expect((await store.read())?.token).toBe(mine.token);
  });

  it('GIVEN our lease WHEN renewed THEN the new expiry is written; another lease cannot renew it', async () => {
    const store = new FileLeaseStore(file, THIS_PROCESS);
    const mine = lease();
    await store.tryAcquire(mine, NOW, never);
    expect(await store.renew({ ...mine, expiresAt: later(600).toISOString() })).toBe(true);
    expect((await store.read())?.expiresAt).toBe(later(600).toISOString());
    expect(await store.renew(lease())).toBe(false);
  });

  it("GIVEN someone else's lease WHEN we release THEN it stays; WHEN forced THEN it goes", async () => {
    const store = new FileLeaseStore(file, THIS_PROCESS);
    const theirs = lease({ identity: 'alice' });
    await store.tryAcquire(theirs, NOW, never);
    await store.release(lease({ identity: 'bob' }));
    expect(await store.read()).toEqual(theirs);
    await store.forceRelease();
    expect(existsSync(file)).toBe(false);
    await expect(store.forceRelease()).resolves.toBeUndefined();
  });

  it('GIVEN our lease WHEN released THEN the file is deleted', async () => {
    const store = new FileLeaseStore(file, THIS_PROCESS);
    const mine = lease();
    await store.tryAcquire(mine, NOW, never);
    await store.release(mine);
    expect(existsSync(file)).toBe(false);
  });
});

describe('staleReason', () => {
  it.each([
    ['a live lease on another host', () => lease({ host: 'elsewhere' }), undefined],
    ['a live lease of this very process', () => lease({ host: os.hostname(), pid: process.pid }), undefined],
    ['an expired lease', () => lease({ expiresAt: later(-1).toISOString() }), /lease expired at/],
  ])('GIVEN %s WHEN checked THEN the reason is %s', (_what, make, expected) => {
    const reason = staleReason(make(), NOW, THIS_PROCESS);
    if (expected === undefined) expect(reason).toBeUndefined();
    else expect(reason).toMatch(expected);
  });

  it('GIVEN a lease whose pid is dead on this host WHEN checked THEN it says so', async () => {
    const pid = await deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    expect(staleReason(lease({ host: os.hostname(), pid }), NOW, THIS_PROCESS)).toBe(`process ${pid} on ${os.hostname()} is no longer running`);
  });
});

describe('EnvLock', () => {
  it('GIVEN a free environment WHEN acquired THEN the lease names us and this process', async () => {
    const lock = envLock();
    await lock.acquire(new FileLeaseStore(file, THIS_PROCESS));
    const held = JSON.parse(readFileSync(file, 'utf8')) as Lease;
    expect(held).toMatchObject({
      env: 'dev',
      identity: 'arn:aws:iam::123456789012:user/alice',
      host: os.hostname(),
      pid: process.pid,
      command: 'deploy --env dev',
      since: NOW.toISOString(),
      expiresAt: later(120).toISOString(),
    });
  });

  it('GIVEN a live lease of another operator WHEN acquired THEN LockHeldError (exit 4) names who, where, which pid and command', async () => {
    const store = new FileLeaseStore(file, THIS_PROCESS);
    const holder = lease({ identity: 'arn:aws:iam::123456789012:user/bob', host: 'bob-laptop', pid: 4242, command: 'deploy --phase network' });
    await store.tryAcquire(holder, NOW, never);
    const err = (await envLock()
      .acquire(new FileLeaseStore(file, THIS_PROCESS))
      .catch((e: unknown) => e)) as LockHeldError;
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.exitCode).toBe(ExitCode.LockHeld);
    expect(err.holder).toEqual(holder);
    for (const part of ['user/bob', 'bob-laptop', 'pid 4242', 'deploy --phase network', holder.since, holder.expiresAt, 'lock file'])
      expect(err.message).toContain(part);
    expect(err.hint).toContain('dpf unlock --env dev');
    expect((await store.read())?.token).toBe(holder.token);
  });

  it('GIVEN a lease whose expiresAt has passed WHEN acquired THEN it is taken over with a warning', async () => {
    await new FileLeaseStore(file, THIS_PROCESS).tryAcquire(lease({ identity: 'bob', expiresAt: later(-30).toISOString() }), NOW, never);
    const warnings: string[] = [];
    const lock = envLock(warnings);
    await lock.acquire(new FileLeaseStore(file, THIS_PROCESS));
    expect((await new FileLeaseStore(file, THIS_PROCESS).read())?.token).toBe(lock.lease.token);
    expect(warnings).toEqual([expect.stringMatching(/Taking over a stale lock on "dev" held by bob \(deploy\): its lease expired at/)]);
  });

  it('GIVEN a lease held by a dead process on this host WHEN acquired THEN it is taken over with a warning', async () => {
    const pid = await deadPid();
    await new FileLeaseStore(file, THIS_PROCESS).tryAcquire(lease({ identity: 'bob', host: os.hostname(), pid }), NOW, never);
    const warnings: string[] = [];
    const lock = envLock(warnings);
    await lock.acquire(new FileLeaseStore(file, THIS_PROCESS));
    expect((await new FileLeaseStore(file, THIS_PROCESS).read())?.pid).toBe(process.pid);
    expect(warnings).toEqual([expect.stringContaining(`process ${pid} on ${os.hostname()} is no longer running`)]);
  });

  it('GIVEN a lease held by a live process on this host WHEN acquired THEN it is not taken over', async () => {
    await new FileLeaseStore(file, THIS_PROCESS).tryAcquire(lease({ host: os.hostname(), pid: process.pid }), NOW, never);
    await expect(envLock().acquire(new FileLeaseStore(file, THIS_PROCESS))).rejects.toBeInstanceOf(LockHeldError);
  });

  it('GIVEN a held lock WHEN released THEN the file is gone and another operator can acquire', async () => {
    const a = envLock();
    await a.acquire(new FileLeaseStore(file, THIS_PROCESS));
    await a.release();
    expect(existsSync(file)).toBe(false);
    await expect(envLock([], 'bob').acquire(new FileLeaseStore(file, THIS_PROCESS))).resolves.toBeUndefined();
  });

  it('GIVEN a lock broken by dpf unlock and taken by another WHEN our run releases THEN their lease stays', async () => {
    const a = envLock();
    await a.acquire(new FileLeaseStore(file, THIS_PROCESS));
    await new FileLeaseStore(file, THIS_PROCESS).forceRelease();
    const b = envLock([], 'bob');
    await b.acquire(new FileLeaseStore(file, THIS_PROCESS));
    await a.release();
    expect((await new FileLeaseStore(file, THIS_PROCESS).read())?.token).toBe(b.lease.token);
  });

  it('GIVEN a lock broken under us WHEN renewed THEN it warns that the lock is no longer ours', async () => {
    const warnings: string[] = [];
    const a = envLock(warnings);
    await a.acquire(new FileLeaseStore(file, THIS_PROCESS));
    await new FileLeaseStore(file, THIS_PROCESS).forceRelease();
    await a.renew();
    expect(warnings).toEqual([expect.stringContaining('is no longer ours')]);
  });

  it('GIVEN the same store WHEN acquired twice THEN the second call is a no-op', async () => {
    const a = envLock();
    const store = new FileLeaseStore(file, THIS_PROCESS);
    await a.acquire(store);
    await expect(a.acquire(store)).resolves.toBeUndefined();
  });
});
