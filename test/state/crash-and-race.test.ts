/**
 * State and lock under crashes and races: the ledger's .bak is never torn by a kill, two
 * processes that judged the same lock stale never both win, a takeover interrupted by a kill
 * does not wedge the lock, temp files of dead writers are cleaned, a read-only ledger writes
 * nothing. The kill and race tests use real child processes (the built dist/).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, linkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLeaseStore, staleReason } from '../../src/state/lock.js';
import { type Lease } from '../../src/aws/ports.js';
import { Ledger, parseLedger } from '../../src/state/ledger.js';
import { removeStaleTemps } from '../../src/state/atomic.js';
import { THIS_PROCESS } from '../fakes/fake-settings.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = path.join(ROOT, 'dist');
const NOW = new Date('2025-01-01T12:00:00.000Z');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function lease(over: Partial<Lease> = {}): Lease {
  return {
    env: 'dev',
    token: `t-${Math.random().toString(36).slice(2)}`,
    identity: 'arn:aws:iam::123456789012:user/x',
    host: os.hostname(),
    pid: process.pid,
    command: 'deploy',
    since: NOW.toISOString(),
    expiresAt: new Date(NOW.getTime() + 120_000).toISOString(),
    ...over,
  };
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise<void>((r) => child.once('exit', () => r()));
  return pid;
}

function node(script: string, args: string[] = []): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

describe('GIVEN a stale lock and several takers at once', () => {
  it('WHEN they race in one process THEN exactly one wins, every round', async () => {
    const file = path.join(dir, 'lock.json');
    for (let round = 0; round < 25; round++) {
      rmSync(file, { force: true });
      const stale = lease({ pid: 0, expiresAt: new Date(0).toISOString() });
      writeFileSync(file, JSON.stringify(stale));
      const takers = Array.from({ length: 4 }, () => lease());
      const stores = takers.map(() => new FileLeaseStore(file, THIS_PROCESS));
      const results = await Promise.all(stores.map((s, i) => s.tryAcquire(takers[i]!, NOW, (h) => staleReason(h, NOW, THIS_PROCESS) !== undefined)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const winner = takers[results.findIndex((r) => r.ok)]!;
      expect((await stores[0]!.read())?.token).toBe(winner.token);
      expect(readdirSync(dir).filter((f) => f.includes('takeover'))).toEqual([]);
    }
  });

  it('WHEN six processes race to take it over THEN exactly one holds it', { timeout: 60_000 }, async () => {
    const file = path.join(dir, 'lock.json');
    const script = `
      const { FileLeaseStore, staleReason } = await import(${JSON.stringify(path.join(DIST, 'state', 'lock.js'))});
      const isAlive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
      const me = { pid: process.pid, host: (await import('node:os')).hostname(), isAlive };
      const [file, start] = process.argv.slice(1);
      const now = new Date();
      const mine = { env: 'dev', token: 'p' + process.pid, identity: 'x', host: 'h', pid: process.pid, command: 'c', since: now.toISOString(), expiresAt: new Date(now.getTime() + 60000).toISOString() };
      while (Date.now() < Number(start)) {}
      const r = await new FileLeaseStore(file, me).tryAcquire(mine, now, (h) => h.token !== mine.token && staleReason(h, now, me) !== undefined);
      console.log(r.ok ? 'WON ' + mine.token : 'LOST');`;
    for (let round = 0; round < 3; round++) {
      rmSync(file, { force: true });
      writeFileSync(file, JSON.stringify(lease({ pid: 0, host: 'gone', expiresAt: new Date(0).toISOString() })));
      const start = String(Date.now() + 700);
      const runs = await Promise.all(Array.from({ length: 6 }, () => node(script, [file, start])));
      const won = runs.filter((r) => r.out.startsWith('WON'));
      expect(won, runs.map((r) => r.out).join('\n')).toHaveLength(1);
      expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe(won[0]!.out.trim().split(' ')[1]);
    }
  });

  it('WHEN a taker died holding its claim THEN the next taker takes over the claim, not wedged', async () => {
    const file = path.join(dir, 'lock.json');
    const stale = lease({ pid: await deadPid(), expiresAt: new Date(0).toISOString() });
    writeFileSync(file, JSON.stringify(stale));
    const deadTaker = lease({ pid: await deadPid() });
    writeFileSync(path.join(dir, 'claim.tmp'), JSON.stringify(deadTaker));
    linkSync(path.join(dir, 'claim.tmp'), `${file}.takeover-${stale.token}`);
    const mine = lease();
    const r = await new FileLeaseStore(file, THIS_PROCESS).tryAcquire(
      mine,
      NOW,
      (h) => h.token !== mine.token && staleReason(h, NOW, THIS_PROCESS) !== undefined,
    );
    expect(r).toEqual({ ok: true });
    expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe(mine.token);
  });

  it('WHEN a live process is mid-takeover (its claim exists) THEN a second taker is told who holds it', async () => {
    const file = path.join(dir, 'lock.json');
    const stale = lease({ pid: 0, host: 'gone', expiresAt: new Date(0).toISOString() });
    writeFileSync(file, JSON.stringify(stale));
    const busy = lease({ identity: 'the other taker' }); // this process: alive
    writeFileSync(`${file}.takeover-${stale.token}`, JSON.stringify(busy));
    const r = await new FileLeaseStore(file, THIS_PROCESS).tryAcquire(lease(), NOW, (h) => h.host === 'gone' || h.pid === 0);
    expect(r).toEqual({ ok: false, holder: busy });
  });

  it('WHEN our lease was replaced just before we release THEN release leaves the other lease in place', async () => {
    const file = path.join(dir, 'lock.json');
    const store = new FileLeaseStore(file, THIS_PROCESS);
    const mine = lease();
    await store.tryAcquire(mine, NOW, () => false);
    const theirs = lease({ identity: 'them' });
    writeFileSync(file, JSON.stringify(theirs));
    await store.release(mine);
    expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe(theirs.token);
    expect(readdirSync(dir).filter((f) => f.includes('release'))).toEqual([]);
  });
});

describe('GIVEN a ledger written while the writer is killed at random instants', () => {
  it(
    'WHEN each kill is inspected THEN ledger.json and ledger.json.bak are whole JSON, and the next open cleans the temp files',
    { timeout: 90_000 },
    async () => {
      const file = path.join(dir, '.dpf', 'dev', 'ledger.json');
      const script = `
      const { Ledger } = await import(${JSON.stringify(path.join(DIST, 'state', 'ledger.js'))});
      const me = { pid: process.pid, host: 'h', isAlive: () => true };
      const l = await Ledger.open(process.argv[1], 'p', 'dev', new Date(), me);
      for (let i = 0; ; i++) await l.update((d) => { d.facts['k' + (i % 50)] = 'v'.repeat(2000) + i; }, new Date());`;
      let sawBak = 0;
      for (let k = 0; k < 30; k++) {
        const c = spawn(process.execPath, ['--input-type=module', '-e', script, file], { stdio: 'ignore' });
        await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 120)));
        c.kill('SIGKILL');
        await new Promise((r) => c.once('exit', r));
        if (!existsSync(file)) continue;
        expect(() => parseLedger(readFileSync(file, 'utf8'), file)).not.toThrow();
        if (existsSync(`${file}.bak`)) {
          sawBak++;
          expect(() => parseLedger(readFileSync(`${file}.bak`, 'utf8'), `${file}.bak`)).not.toThrow();
        }
      }
      expect(sawBak).toBeGreaterThan(10);
      await Ledger.open(file, 'p', 'dev', NOW, THIS_PROCESS);
      expect(readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    },
  );
});

describe('GIVEN temp files and a read-only ledger', () => {
  it('WHEN temp files of a dead and of a live writer exist THEN only the dead one is removed', async () => {
    const dead = `.ledger.json.${await deadPid()}.0123abcd.tmp`;
    const live = `.ledger.json.${process.pid}.89abcdef.tmp`;
    writeFileSync(path.join(dir, dead), '');
    writeFileSync(path.join(dir, live), '');
    writeFileSync(path.join(dir, 'notes.tmp'), '');
    expect(await removeStaleTemps(dir, THIS_PROCESS)).toEqual([dead]);
    expect(readdirSync(dir).sort()).toEqual([live, 'notes.tmp'].sort());
  });

  it('WHEN a read-only ledger is updated THEN the change is visible in memory and nothing is written', async () => {
    const file = path.join(dir, 'ledger.json');
    const l = await Ledger.open(file, 'p', 'dev', NOW, THIS_PROCESS);
    await l.update((d) => (d.facts.a = '1'), NOW);
    const before = readFileSync(file, 'utf8');
    l.makeReadOnly();
    await l.update((d) => (d.facts['ami:/x'] = 'ami-0123456789abcdef0'), NOW);
    await l.updateStep('network.stack', 'network', { evidence: { lastCheck: { changed: true } } }, NOW);
    await l.flush();
    expect(l.data.facts['ami:/x']).toBe('ami-0123456789abcdef0');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(existsSync(`${file}.bak`)).toBe(false); // one real write so far: no previous version to keep
  });
});
