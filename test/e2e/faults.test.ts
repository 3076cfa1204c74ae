/**
 * Faults, end to end: bin/dpf deploys every phase through tools/fault-proxy.mjs, which throttles
 * 20 % of the requests and drops the answer of 5 % after the emulator carried them out (and, in
 * the second run, answers 5xx). The deploy must complete without a rerun, and the emulator's
 * audit log must show no duplicate write: one stack per stack step (eight, the autoconfig stack
 * included), made with one CreateStack under --yes (or one change set created and executed with
 * deploy.newStacks: change-set), one SSM command per playbook step. Fixed seeds: the same faults every run.
 * (bench/faults.mjs runs more seeds and prints the figures.)
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { startEmulator, dpf, workdir, readLedger, type Emulator } from './harness.js';
// @ts-expect-error plain ESM module shared with bench/ (no types)
import { startFaultProxy } from '../../tools/fault-proxy.mjs';
// @ts-expect-error plain ESM module shared with bench/ (no types)
import { countDuplicates } from '../../tools/emulator-audit.mjs';

let em: Emulator;
beforeAll(async () => {
  em = await startEmulator();
});
afterAll(async () => {
  await em?.stop();
});

async function deployThroughFaults(
  env: string,
  faults: { throttle?: number; lostAnswer?: number; serverError?: number; dropBefore?: number; loseFirst?: string[] },
  seed: number,
  newStacks?: 'change-set',
) {
  const proxy = await startFaultProxy({ target: em.endpoint, seed, ...faults });
  try {
    const dir = workdir('dpf-faults-');
    expect((await dpf(em, ['init', '--env', env, '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    if (newStacks) {
      const file = path.join(dir, 'dpf.config.yaml');
      const doc = parseDocument(readFileSync(file, 'utf8'));
      doc.setIn(['environments', env, 'deploy', 'newStacks'], newStacks);
      writeFileSync(file, String(doc));
    }
    const r = await dpf(em, ['deploy', '--env', env, '--yes', '--json'], { cwd: dir, env: { AWS_ENDPOINT_URL: proxy.endpoint }, timeout: 400_000 });
    return { r, dir, stats: { ...proxy.stats }, dups: countDuplicates(em.audit(), { env }) };
  } finally {
    await proxy.close();
  }
}

describe('GIVEN an AWS that throttles 20 % of the requests and loses 5 % of the answers', () => {
  it('WHEN every phase is deployed THEN it completes in one run with zero duplicate writes', { timeout: 420_000 }, async () => {
    const { r, dir, stats, dups } = await deployThroughFaults('flt1', { throttle: 0.2, lostAnswer: 0.05 }, 1301);
    expect(r.code, r.all.slice(-3000)).toBe(0);
    expect(stats.throttled).toBeGreaterThan(20);
    expect(stats.lostAnswers).toBeGreaterThan(5);
    expect(dups.what).toEqual([]);
    expect(dups.total).toBe(0);
    // bootstrap, network, compute, storage, identity, dns, monitoring, and autoconfig (monitoring.worker-bootstrap).
    expect(dups.counted.stacks).toBe(8);
    // Under --yes every new stack is one CreateStack: no change set.
    expect(dups.counted.changeSets).toBe(0);
    const ledger = readLedger(dir, 'flt1');
    expect(Object.values(ledger.steps).every((s: any) => s.status === 'done')).toBe(true);
    expect(ledger.runs.map((x: any) => x.status)).toEqual(['done']);
  });
});

describe('GIVEN an AWS that answers 10 % of the requests with 500/503, drops 3 % of the connections before the request and loses 5 % of the answers', () => {
  it('WHEN every phase is deployed THEN it completes in one run with zero duplicate writes', { timeout: 420_000 }, async () => {
    const { r, stats, dups } = await deployThroughFaults('flt2', { serverError: 0.1, dropBefore: 0.03, lostAnswer: 0.05 }, 2203);
    expect(r.code, r.all.slice(-3000)).toBe(0);
    expect(stats.serverErrors).toBeGreaterThan(10);
    expect(stats.droppedBefore).toBeGreaterThan(3);
    expect(dups.what).toEqual([]);
  });
});

describe('GIVEN the first answer of every non-read write is lost (after the emulator carried it out)', () => {
  it.each<[string, string[], number, 'change-set' | undefined]>([
    // One lost answer per stack's CreateStack (8 stacks) and per playbook step's SendCommand (11 steps).
    ['new stacks made with CreateStack', ['CreateStack', 'SendCommand'], 8 + 11, undefined],
    // One per stack's CreateChangeSet and ExecuteChangeSet (deploy.newStacks: change-set).
    ['new stacks made through change sets', ['CreateChangeSet', 'ExecuteChangeSet'], 8 + 8, 'change-set'],
  ])(
    'WHEN every phase is deployed, %s, THEN tokens and markers keep each write single: no second stack, change set, execution or command',
    { timeout: 420_000 },
    async (_what, loseFirst, lost, newStacks) => {
      const { r, stats, dups } = await deployThroughFaults(newStacks ? 'flt4' : 'flt3', { loseFirst }, 7, newStacks);
      expect(r.code, r.all.slice(-3000)).toBe(0);
      expect(stats.lostAnswers).toBeGreaterThanOrEqual(lost);
      expect(dups.what).toEqual([]);
      expect(dups.counted.stacks).toBe(8);
      if (!newStacks) expect(r.stderr + r.stdout).toMatch(/answer was lost.*watching it instead of sending again/);
    },
  );
});
