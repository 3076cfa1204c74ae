/**
 * A clock whose time only moves when a test says so (`advance`) or when it is told to
 * jump to the next pending deadline by itself (`autoAdvance`).
 *
 * `Clock` below is the structural shape the production clock has; anything that polls or
 * times out takes a `Clock`, so tests hand it a `FakeClock` and never wait on real time.
 */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`; rejects with an Error named `AbortError` if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Same shape as the AbortError Node's timers/promises throws (name, code, cause). */
export function abortError(signal?: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal?.reason }) as Error & { code?: string };
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

// Captured at load so a test that later installs vi.useFakeTimers() does not freeze us.
const realSetImmediate: (cb: () => void) => unknown = globalThis.setImmediate.bind(globalThis);

const realSetTimeout: (cb: () => void, ms: number) => unknown = globalThis.setTimeout.bind(globalThis);

/** Node's names for file-system requests that are still running (process.getActiveResourcesInfo). */
const FILE_IO = new Set(['FSReqCallback', 'FSReqPromise', 'FileHandleCloseReq', 'CloseReq']);

/** Is a file-system request of this thread still running? */
function fileIoInFlight(): boolean {
  return process.getActiveResourcesInfo().some((r) => FILE_IO.has(r));
}

/** One macrotask turn: every queued microtask (and everything they chain) runs first. */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

interface Sleeper {
  seq: number;
  due: number;
  wake: () => void;
}

export const DEFAULT_FAKE_START = '2025-01-01T00:00:00.000Z';

export class FakeClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #seq = 0;
  #auto = false;
  #autoScheduled = false;

  /** @param start initial time; default 2025-01-01T00:00:00.000Z. */
  constructor(start: Date | string | number = DEFAULT_FAKE_START) {
    this.#now = new Date(start).getTime();
    if (Number.isNaN(this.#now)) throw new RangeError(`FakeClock: invalid start time ${String(start)}`);
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Number of sleeps not yet resolved. */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /** Deadline of the earliest pending sleep, if any. */
  nextDeadline(): Date | undefined {
    const next = this.#earliest(Infinity);
    return next ? new Date(next.due) : undefined;
  }

  /**
   * ms <= 0 (or NaN) resolves on the next microtask without touching the queue, so a
   * `sleep(0)` never needs an advance.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (!(ms > 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const sleeper: Sleeper = {
        seq: this.#seq++,
        due: this.#now + ms,
        wake: () => {
          if (onAbort) signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      if (signal) {
        onAbort = () => {
          this.#remove(sleeper);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.#sleepers.push(sleeper);
      this.#scheduleAuto();
    });
  }

  /**
   * Move time forward by `ms`. Sleepers due on the way are resolved one at a time in
   * deadline order (ties: first registered first), with time set to each one's deadline
   * and all microtasks drained before the next — so a loop that sleeps again inside the
   * window is woken again inside the same advance.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.#now + ms;
    await drainMicrotasks();
    for (;;) {
      const next = this.#earliest(target);
      if (!next) break;
      this.#fire(next);
      await drainMicrotasks();
    }
    this.#now = Math.max(this.#now, target);
    await drainMicrotasks();
  }

  /** Advance to an absolute time (no-op if it is in the past). */
  async advanceTo(time: Date | string | number): Promise<void> {
    await this.advance(Math.max(0, new Date(time).getTime() - this.#now));
  }

  /**
   * Keep firing the earliest pending sleep until none is left (at most `maxSteps`).
   * Throws if sleeps keep being registered past `maxSteps` — an endless poll.
   */
  async runUntilIdle(maxSteps = 10_000): Promise<void> {
    await drainMicrotasks();
    for (let i = 0; i < maxSteps; i++) {
      const next = this.#earliest(Infinity);
      if (!next) return;
      this.#fire(next);
      await drainMicrotasks();
    }
    throw new Error(`FakeClock.runUntilIdle: still busy after ${maxSteps} steps`);
  }

  /**
   * In auto mode, whenever sleeps are pending the clock jumps to the earliest deadline on
   * the next macrotask (after every microtask has run, so concurrent loops have all
   * registered their sleeps and wake in deadline order). Code that polls with `sleep`
   * then runs to completion without the test advancing anything. `autoAdvance(false)`
   * turns it off.
   */
  autoAdvance(enabled = true): this {
    this.#auto = enabled;
    this.#scheduleAuto();
    return this;
  }

  get autoAdvancing(): boolean {
    return this.#auto;
  }

  #scheduleAuto(): void {
    if (!this.#auto || this.#autoScheduled || this.#sleepers.length === 0) return;
    this.#autoScheduled = true;
    const tick = () => {
      if (!this.#auto) {
        this.#autoScheduled = false;
        return;
      }
      // File I/O in flight (a ledger write) takes no fake time: a loop that sleeps while another
      // one writes must not run ahead by as many turns as the disk happens to take.
      if (fileIoInFlight()) {
        realSetTimeout(tick, 1);
        return;
      }
      this.#autoScheduled = false;
      const next = this.#earliest(Infinity);
      if (next) this.#fire(next);
      this.#scheduleAuto();
    };
    realSetImmediate(tick);
  }

  #fire(sleeper: Sleeper): void {
    this.#remove(sleeper);
    this.#now = Math.max(this.#now, sleeper.due);
    sleeper.wake();
  }

  #earliest(limit: number): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.#sleepers) {
      if (s.due > limit) continue;
      if (!best || s.due < best.due || (s.due === best.due && s.seq < best.seq)) best = s;
    }
    return best;
  }

  #remove(sleeper: Sleeper): void {
    const i = this.#sleepers.indexOf(sleeper);
    if (i >= 0) this.#sleepers.splice(i, 1);
  }
}
