import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  emptyLedger,
  Ledger,
  LEDGER_SCHEMA_VERSION,
  MIRROR_BATCH_MS,
  parseLedger,
  serializeLedger,
  type LedgerData,
  type LedgerMirror,
} from '../../src/state/ledger.js';
import { writeFileAtomic } from '../../src/state/atomic.js';
import { ExitCode, StateInvalidError } from '../../src/errors.js';
import { testSettings, THIS_PROCESS } from '../fakes/fake-settings.js';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

/** The state bucket, in memory. */
class MemoryMirror implements LedgerMirror {
  body: string | undefined;
  writes: string[] = [];
  failWith?: Error;
  constructor(body?: string) {
    this.body = body;
  }
  async read() {
    return this.body;
  }
  async write(body: string) {
    if (this.failWith) throw this.failWith;
    this.body = body;
    this.writes.push(body);
  }
  describe() {
    return 's3://state/ledger/dev/ledger.json';
  }
}

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-ledger-'));
  file = path.join(dir, '.dpf', 'dev', 'ledger.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sample(): LedgerData {
  const d = emptyLedger('dataplatform', 'dev', T0);
  d.revision = 3;
  d.steps['network.stack'] = {
    id: 'network.stack',
    phase: 'network',
    status: 'done',
    inputHash: 'abc',
    outputs: { VpcId: 'vpc-1' },
    startedAt: T0.toISOString(),
    finishedAt: at(60).toISOString(),
    durationSeconds: 60,
    attempts: 1,
    evidence: { stackName: 'dataplatform-dev-network' },
  };
  d.runs.push({ runId: 'r1', command: 'deploy', operator: 'alice', host: 'h', startedAt: T0.toISOString(), status: 'done', steps: ['network.stack'] });
  d.facts.accountId = '123456789012';
  return d;
}

async function writeLedger(data: LedgerData): Promise<void> {
  await writeFileAtomic(file, serializeLedger(data), THIS_PROCESS);
}

describe('parseLedger / serializeLedger', () => {
  it('GIVEN a ledger WHEN serialised and parsed THEN it round-trips', () => {
    const d = sample();
    expect(parseLedger(serializeLedger(d), 'x')).toEqual(d);
  });

  it('GIVEN an old ledger without runs or facts WHEN parsed THEN they default to empty', () => {
    const { runs: _r, facts: _f, revision: _v, ...rest } = sample();
    const parsed = parseLedger(JSON.stringify(rest), 'x');
    expect(parsed.runs).toEqual([]);
    expect(parsed.facts).toEqual({});
    expect(parsed.revision).toBe(0);
  });

  it.each([
    ['corrupt JSON', '{"format": "dpf-ledger", ', /is corrupt/],
    ['not a ledger', '{"hello": "world"}', /is not a dpf ledger/],
    ['a newer schema', JSON.stringify({ ...sample(), schemaVersion: LEDGER_SCHEMA_VERSION + 1 }), new RegExp(`ledger schema ${LEDGER_SCHEMA_VERSION + 1}`)],
    [
      'a schema no dpf wrote',
      JSON.stringify({ ...sample(), schemaVersion: 0 }),
      /has schema 0, which this dpf cannot read \(no migration from schema 0 to 1\)/,
    ],
  ])('GIVEN %s WHEN parsed THEN StateInvalidError (exit 5) explains it', (_what, text, message) => {
    const err = (() => {
      try {
        parseLedger(text, '/x/ledger.json');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StateInvalidError);
    expect((err as StateInvalidError).exitCode).toBe(ExitCode.StateInvalid);
    expect((err as StateInvalidError).message).toMatch(message);
    expect((err as StateInvalidError).hint).toBeTruthy();
  });
});

describe('Ledger.open', () => {
  it('GIVEN no file WHEN opened THEN an empty ledger starts and nothing is written yet', async () => {
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    expect(l.data).toEqual(emptyLedger('dataplatform', 'dev', T0));
    expect(existsSync(file)).toBe(false);
  });

  it('GIVEN a corrupt file WHEN opened THEN StateInvalidError and the file is left as it was', async () => {
    await writeLedger(sample());
    const torn = readFileSync(file, 'utf8').slice(0, 50);
    writeFileSync(file, torn);
    await expect(Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS)).rejects.toThrow(StateInvalidError);
    await expect(Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS)).rejects.toThrow(/corrupt.*will not overwrite/);
    expect(readFileSync(file, 'utf8')).toBe(torn);
    expect(existsSync(`${file}.bak`)).toBe(false);
  });

  it('GIVEN a ledger written by a newer dpf WHEN opened THEN it is refused naming the version, and not modified', async () => {
    await writeLedger({ ...sample(), schemaVersion: 7 });
    const before = readFileSync(file, 'utf8');
    const err = (await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS).catch((e: unknown) => e)) as StateInvalidError;
    expect(err).toBeInstanceOf(StateInvalidError);
    expect(err.message).toContain('ledger schema 7');
    expect(err.hint).toMatch(/Upgrade dpf/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it.each([
    ['another environment', 'dataplatform', 'prod'],
    ['another project', 'other', 'dev'],
  ])('GIVEN the ledger of %s WHEN opened THEN it is refused', async (_what, project, env) => {
    await writeLedger(sample());
    await expect(Ledger.open(file, project, env, T0, THIS_PROCESS)).rejects.toThrow(/belongs to dataplatform\/dev/);
  });

  it('GIVEN a valid ledger WHEN opened THEN its data is loaded', async () => {
    await writeLedger(sample());
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    expect(l.get('network.stack')?.status).toBe('done');
    expect(l.outputs('network.stack')).toEqual({ VpcId: 'vpc-1' });
    expect(l.outputs('compute.stack')).toEqual({});
  });
});

describe('Ledger.update', () => {
  it('GIVEN an open ledger WHEN updated twice THEN the revision goes up, the file holds the latest and .bak the previous', async () => {
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    await l.update((d) => (d.facts.a = '1'), at(1));
    await l.update((d) => (d.facts.b = '2'), at(2));
    const onDisk = parseLedger(readFileSync(file, 'utf8'), file);
    expect(onDisk.revision).toBe(2);
    expect(onDisk.updatedAt).toBe(at(2).toISOString());
    expect(onDisk.facts).toEqual({ a: '1', b: '2' });
    const bak = parseLedger(readFileSync(`${file}.bak`, 'utf8'), `${file}.bak`);
    expect(bak.revision).toBe(1);
    expect(bak.facts).toEqual({ a: '1' });
  });

  it('GIVEN writes WHEN they finish THEN no temporary file is left next to the ledger', async () => {
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    for (let i = 0; i < 5; i++) await l.updateStep('network.stack', 'network', { status: 'running', attempts: i }, at(i));
    expect(readdirSync(path.dirname(file)).sort()).toEqual(['ledger.json', 'ledger.json.bak']);
  });

  it('GIVEN updateStep WHEN patched twice THEN fields merge and evidence accumulates', async () => {
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    await l.updateStep('network.stack', 'network', { status: 'running', evidence: { changeSetId: 'cs-1' } }, at(1));
    const rec = await l.updateStep('network.stack', 'network', { status: 'done', outputs: { VpcId: 'vpc-9' }, evidence: { stackId: 'arn:stack' } }, at(2));
    expect(rec).toMatchObject({
      id: 'network.stack',
      phase: 'network',
      status: 'done',
      attempts: 0,
      outputs: { VpcId: 'vpc-9' },
      evidence: { changeSetId: 'cs-1', stackId: 'arn:stack' },
    });
  });

  it('GIVEN many concurrent updateStep calls WHEN awaited together THEN every one is kept on disk', async () => {
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    const ids = Array.from({ length: 20 }, (_, i) => `compute.step${i}`);
    await Promise.all(ids.map((id, i) => l.updateStep(id, 'compute', { status: 'done', outputs: { n: String(i) } }, at(i))));
    await l.flush();
    const onDisk = parseLedger(readFileSync(file, 'utf8'), file);
    expect(Object.keys(onDisk.steps).sort()).toEqual([...ids].sort());
    expect(onDisk.revision).toBe(20);
    ids.forEach((id, i) => expect(onDisk.steps[id]!.outputs).toEqual({ n: String(i) }));
  });

  it('GIVEN a reopened ledger WHEN read THEN it sees what the first instance wrote', async () => {
    const a = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    await a.updateStep('bootstrap.state', 'bootstrap', { status: 'done', outputs: { StateBucketName: 'b' } }, at(1));
    const b = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    expect(b.outputs('bootstrap.state')).toEqual({ StateBucketName: 'b' });
    expect(b.data.revision).toBe(1);
  });
});

describe('Ledger.attachMirror', () => {
  it('GIVEN a newer remote copy WHEN attached THEN it is adopted and written locally', async () => {
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    await l.update((d) => (d.facts.local = 'yes'), at(1));
    const remote = { ...sample(), revision: 9 };
    const mirror = new MemoryMirror(serializeLedger(remote));
    expect(await l.attachMirror(mirror)).toBe('remote-newer');
    expect(l.data.revision).toBe(9);
    expect(l.get('network.stack')?.status).toBe('done');
    await l.flush();
    expect(parseLedger(readFileSync(file, 'utf8'), file).revision).toBe(9);
    expect(mirror.writes).toHaveLength(0);
  });

  it('GIVEN a newer local copy WHEN attached THEN it is pushed, and later updates are mirrored too', async () => {
    await writeLedger(sample());
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    const mirror = new MemoryMirror(serializeLedger({ ...sample(), revision: 1 }));
    expect(await l.attachMirror(mirror)).toBe('local-newer');
    await l.flush();
    expect(parseLedger(mirror.body!, 'm').revision).toBe(3);
    await l.update((d) => (d.facts.x = '1'), at(5));
    await l.flush();
    expect(parseLedger(mirror.body!, 'm')).toMatchObject({ revision: 4, facts: { x: '1' } });
  });

  it('GIVEN no remote copy WHEN attached THEN the local one is pushed', async () => {
    await writeLedger(sample());
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    const mirror = new MemoryMirror();
    expect(await l.attachMirror(mirror)).toBe('local-newer');
    await l.flush();
    expect(parseLedger(mirror.body!, 'm')).toEqual(l.data);
  });

  it('GIVEN the same revision on both sides WHEN attached THEN nothing moves', async () => {
    await writeLedger(sample());
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    const mirror = new MemoryMirror(serializeLedger(sample()));
    expect(await l.attachMirror(mirror)).toBe('same');
    expect(mirror.writes).toHaveLength(0);
  });

  it('GIVEN a mirror that fails to write WHEN updating THEN it only warns and the local copy is written', async () => {
    const warnings: string[] = [];
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS, (m) => warnings.push(m));
    const mirror = new MemoryMirror();
    mirror.failWith = new Error('AccessDenied');
    await l.attachMirror(mirror);
    await l.update((d) => (d.facts.x = '1'), at(1));
    await expect(l.flush()).resolves.toBeUndefined();
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toContain('Could not mirror the ledger to s3://state/ledger/dev/ledger.json: AccessDenied');
    expect(parseLedger(readFileSync(file, 'utf8'), file).facts).toEqual({ x: '1' });
  });

  it('GIVEN a corrupt remote copy WHEN attached THEN StateInvalidError names the mirror, and later updates never overwrite it', async () => {
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    const mirror = new MemoryMirror('{nope');
    await expect(l.attachMirror(mirror)).rejects.toThrow(/s3:\/\/state\/ledger\/dev\/ledger\.json is corrupt/);
    await l.update((d) => (d.facts.x = '1'), at(1));
    await l.flush();
    expect(mirror.body).toBe('{nope');
    expect(mirror.writes).toEqual([]);
  });
});

describe('Ledger mirror batches (issue 14: one upload per batch of transitions)', () => {
  it('GIVEN a step start and its evidence within one batch WHEN the batch ends THEN one upload carries them all, while the local file had every change', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
      const mirror = new MemoryMirror(serializeLedger(emptyLedger('dataplatform', 'dev', T0)));
      expect(await l.attachMirror(mirror)).toBe('same');
      const localRevisions: number[] = [];
      for (const [i, patch] of [{ status: 'running' as const }, { evidence: { changeSetName: 'cs' } }, { evidence: { stackId: 'arn:s' } }].entries()) {
        await l.updateStep('network.stack', 'network', patch, at(i));
        localRevisions.push(parseLedger(readFileSync(file, 'utf8'), file).revision);
      }
      expect(localRevisions).toEqual([1, 2, 3]);
      await vi.advanceTimersByTimeAsync(MIRROR_BATCH_MS - 1);
      expect(mirror.writes).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      await new Promise((r) => setImmediate(r));
      expect(mirror.writes).toHaveLength(1);
      expect(parseLedger(mirror.body!, 'm')).toMatchObject({
        revision: 3,
        steps: { 'network.stack': { status: 'running', evidence: { changeSetName: 'cs', stackId: 'arn:s' } } },
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('GIVEN a batch still gathering WHEN the command flushes (end of run, Ctrl-C) THEN it is uploaded at once, and once', async () => {
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    const mirror = new MemoryMirror();
    await l.attachMirror(mirror);
    l.setMirrorBatch(60_000);
    await l.updateStep('network.stack', 'network', { status: 'done' }, at(1));
    await l.flush();
    await l.flush();
    expect(mirror.writes).toHaveLength(1);
    expect(parseLedger(mirror.body!, 'm').revision).toBe(1);
  });

  it('GIVEN nothing changed since the last upload WHEN flushed THEN nothing is uploaded', async () => {
    await writeLedger(sample());
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    const mirror = new MemoryMirror(serializeLedger(sample()));
    expect(await l.attachMirror(mirror)).toBe('same');
    await l.flush();
    expect(mirror.writes).toHaveLength(0);
  });

  it('GIVEN an upload that failed WHEN the next flush comes THEN it is tried again with the newest copy', async () => {
    const warnings: string[] = [];
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS, (m) => warnings.push(m));
    const mirror = new MemoryMirror();
    await l.attachMirror(mirror);
    mirror.failWith = new Error('SlowDown');
    await l.update((d) => (d.facts.x = '1'), at(1));
    await l.flush();
    expect(warnings).toHaveLength(1);
    mirror.failWith = undefined;
    await l.flush();
    expect(parseLedger(mirror.body!, 'm').facts).toEqual({ x: '1' });
  });
});

describe('Ledger.attachMirror refuses another environment', () => {
  it('GIVEN a remote copy of another environment WHEN attached THEN it is refused, not adopted', async () => {
    const l = await Ledger.open(file, 'dataplatform', 'dev', T0, THIS_PROCESS);
    const mirror = new MemoryMirror(serializeLedger({ ...sample(), env: 'prod', revision: 50 }));
    await expect(l.attachMirror(mirror)).rejects.toThrow(/belongs to dataplatform\/prod, not dataplatform\/dev/);
    expect(l.data.revision).toBe(0);
  });
});
