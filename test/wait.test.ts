import { describe, it, expect } from 'vitest';
import { pollUntil, waitFor } from '../src/wait.js';
import { FakeClock } from './fakes/fake-clock.js';
import { AbortError } from '../src/errors.js';

/** A value that reads as the next item of `seq` each time (the last one repeats). */
function reader<T>(seq: T[]) {
  let i = 0;
  const reads: number[] = [];
  return { reads, read: async (clock: FakeClock) => (reads.push(clock.now().getTime()), seq[Math.min(i++, seq.length - 1)]!) };
}

describe('pollUntil', () => {
  it('GIVEN nothing changes WHEN polling THEN the interval grows by the factor up to the maximum', async () => {
    const clock = new FakeClock(0).autoAdvance();
    const r = reader(['a', 'a', 'a', 'a', 'a', 'done']);
    const out = await pollUntil(
      { clock, signal: new AbortController().signal },
      { what: 'x', read: () => r.read(clock), state: (v) => (v === 'done' ? 'done' : 'waiting'), minMs: 1000, maxMs: 3000, factor: 2 },
    );
    expect(out).toMatchObject({ last: 'done', ended: 'done' });
    expect(r.reads).toEqual([0, 1000, 3000, 6000, 9000, 12000]);
  });

  it('GIVEN the description changes THEN progress is reported once per change and the interval starts over', async () => {
    const clock = new FakeClock(0).autoAdvance();
    const r = reader(['creating', 'creating', 'creating', 'backing-up', 'available']);
    const progress: string[] = [];
    await pollUntil(
      { clock, signal: new AbortController().signal, progress: (m) => progress.push(m) },
      {
        what: 'db-1',
        read: () => r.read(clock),
        state: (v) => (v === 'available' ? 'done' : 'waiting'),
        describe: (v) => v,
        minMs: 1000,
        maxMs: 60_000,
        factor: 2,
      },
    );
    expect(progress).toEqual(['db-1: creating', 'db-1: backing-up', 'db-1: available']);
    // 1 s, 2 s, 4 s while creating; back to 1 s after the change.
    expect(r.reads).toEqual([0, 1000, 3000, 7000, 8000]);
  });

  it('GIVEN an empty what THEN the description is the whole progress line, and undefined descriptions say nothing', async () => {
    const clock = new FakeClock(0).autoAdvance();
    const r = reader(['waiting for 2', 'waiting for 1', 'ok']);
    const progress: string[] = [];
    await pollUntil(
      { clock, signal: new AbortController().signal, progress: (m) => progress.push(m) },
      {
        what: '',
        read: () => r.read(clock),
        state: (v) => (v === 'ok' ? 'done' : 'waiting'),
        describe: (v) => (v === 'ok' ? undefined : v),
        minMs: 1000,
        maxMs: 1000,
      },
    );
    expect(progress).toEqual(['waiting for 2', 'waiting for 1']);
  });

  it('GIVEN changed() says something moved THEN the interval starts over without a progress line', async () => {
    const clock = new FakeClock(0).autoAdvance();
    const r = reader([0, 0, 1, 1, 2]);
    await pollUntil(
      { clock, signal: new AbortController().signal },
      { what: 'x', read: () => r.read(clock), state: (v) => (v === 2 ? 'done' : 'waiting'), changed: (v) => v === 1, minMs: 1000, maxMs: 60_000, factor: 2 },
    );
    expect(r.reads).toEqual([0, 1000, 3000, 4000, 5000]);
  });

  it.each([
    ['counts (the default)', undefined, [0, 1000, 3000, 4000, 5000]],
    ['is judged by changed() like any other', false, [0, 2000, 6000, 7000, 8000]],
  ] as const)('GIVEN the first read %s THEN the first interval follows', async (_n, firstIsChange, reads) => {
    const clock = new FakeClock(0).autoAdvance();
    const r = reader([0, 0, 1, 1, 2]);
    await pollUntil(
      { clock, signal: new AbortController().signal },
      {
        what: 'x',
        read: () => r.read(clock),
        state: (v) => (v === 2 ? 'done' : 'waiting'),
        changed: (v) => v === 1,
        firstIsChange,
        minMs: 1000,
        maxMs: 60_000,
        factor: 2,
      },
    );
    expect(r.reads).toEqual(reads);
  });

  it.each([
    ['failed', 'failed', 'failed'],
    ['past the deadline', 'waiting', 'timed-out'],
  ] as const)('GIVEN a read that stays %s THEN it ends so, without throwing', async (_n, state, ended) => {
    const clock = new FakeClock(0).autoAdvance();
    const out = await pollUntil(
      { clock, signal: new AbortController().signal },
      { what: 'x', read: async () => 'v', state: () => state, minMs: 1000, maxMs: 1000, deadline: 2500 },
    );
    expect(out.ended).toBe(ended);
    if (ended === 'timed-out') expect(clock.now().getTime()).toBe(2500);
  });

  it('GIVEN the signal aborts while sleeping THEN it throws dpf AbortError', async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    const p = pollUntil({ clock, signal: ac.signal }, { what: 'x', read: async () => 1, state: () => 'waiting', minMs: 1000, maxMs: 1000 });
    await clock.advance(0);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });
});

describe('waitFor', () => {
  it.each([
    ['done', 'done', 'v'],
    ['failed', 'failed', 'FAILED v'],
    ['timed out', 'waiting', 'TIMEOUT v'],
  ] as const)("GIVEN a wait that ends %s THEN it returns the value or throws the caller's error", async (_n, state, expected) => {
    const clock = new FakeClock(0).autoAdvance();
    const p = waitFor(
      { clock, signal: new AbortController().signal },
      {
        what: 'x',
        read: async () => 'v',
        state: () => state,
        minMs: 1000,
        maxMs: 1000,
        deadline: new Date(3000),
        onTimeout: (v) => new Error(`TIMEOUT ${v}`),
        onFailed: (v) => new Error(`FAILED ${v}`),
      },
    );
    if (expected === 'v') expect(await p).toBe('v');
    else await expect(p).rejects.toThrow(expected);
  });
});
