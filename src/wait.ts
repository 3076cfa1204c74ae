/**
 * The one poller: everything dpf waits for in AWS (a stack, a change set, an SSM command, an
 * instance coming Online, a snapshot, a restore, a resource being deleted, a drift detection)
 * is read, judged and read again here, on the injected clock, stopped by the abort signal.
 *
 * The first interval is `minMs`; it starts over whenever what is polled changes (and that change
 * is reported as progress), and grows by `factor` up to `maxMs` while nothing moves: fast while
 * AWS is busy, quiet while it is slow. A deadline ends the wait.
 */
import type { Clock } from './clock.js';
import { AbortError } from './errors.js';

export type PollState = 'done' | 'failed' | 'waiting';

export interface PollDeps {
  clock: Clock;
  signal: AbortSignal;
  /** Called with "<what>: <description>" each time the description changes. */
  progress?: (message: string) => void;
}

export interface PollOptions<T> {
  /** What is waited for, for progress lines ("snapshot s-1: available"); '' when the description is the whole line. */
  what: string;
  read(): Promise<T>;
  /** 'done' and 'failed' end the wait; 'waiting' reads again. */
  state(v: T): PollState;
  /** A short status; progress is reported, and the interval starts over, when it changes. undefined: nothing to report. */
  describe?(v: T): string | undefined;
  /** Something moved that the description does not show (new stack events, a host's status): the interval starts over. */
  changed?(v: T): boolean;
  /**
   * Whether the first read counts as a change (the next interval is `minMs`). Default true.
   * false: `changed` judges the first read like any other (no stack event, no host listed yet:
   * the interval already grows).
   */
  firstIsChange?: boolean;
  /** When to stop waiting (epoch ms or a Date); default: never. */
  deadline?: number | Date;
  minMs: number;
  maxMs: number;
  /** Growth of the interval while nothing changes. Default 1.5. */
  factor?: number;
}

export interface PollResult<T> {
  last: T;
  /** 'timed-out': the deadline passed first. */
  ended: 'done' | 'failed' | 'timed-out';
  /** Milliseconds of fake or real clock time spent. */
  waitedMs: number;
}

const isAbort = (err: unknown) => (err as { name?: string } | undefined)?.name === 'AbortError';

/** Poll until done, failed or past the deadline; never throws for those (the caller decides). */
export async function pollUntil<T>(deps: PollDeps, o: PollOptions<T>): Promise<PollResult<T>> {
  const started = deps.clock.now().getTime();
  const deadline = o.deadline === undefined ? Infinity : typeof o.deadline === 'number' ? o.deadline : o.deadline.getTime();
  const min = Math.max(1, o.minMs);
  const max = Math.max(min, o.maxMs);
  const factor = o.factor ?? 1.5;
  let delay = min;
  let lastDesc: string | undefined;
  for (let first = true; ; first = false) {
    if (deps.signal.aborted) throw new AbortError();
    const v = await o.read();
    const st = o.state(v);
    const desc = o.describe?.(v);
    const moved = (first && o.firstIsChange !== false) || Boolean(o.changed?.(v)) || (desc !== undefined && desc !== lastDesc);
    if (desc !== undefined && desc !== lastDesc) deps.progress?.(o.what ? `${o.what}: ${desc}` : desc);
    lastDesc = desc;
    const waitedMs = deps.clock.now().getTime() - started;
    if (st !== 'waiting') return { last: v, ended: st, waitedMs };
    const left = deadline - deps.clock.now().getTime();
    if (left <= 0) return { last: v, ended: 'timed-out', waitedMs };
    delay = moved ? min : Math.min(max, Math.round(delay * factor));
    try {
      await deps.clock.sleep(Math.max(1, Math.min(delay, left)), deps.signal);
    } catch (err) {
      if (deps.signal.aborted || isAbort(err)) throw new AbortError();
      throw err;
    }
  }
}

export interface WaitOptions<T> extends PollOptions<T> {
  deadline: number | Date;
  /** The error at the deadline. */
  onTimeout(last: T): Error;
  /** The error when `state` says failed. */
  onFailed?(last: T): Error;
}

/** Poll until done; throws `onTimeout` at the deadline and `onFailed` on failure. */
export async function waitFor<T>(deps: PollDeps, o: WaitOptions<T>): Promise<T> {
  const r = await pollUntil(deps, o);
  if (r.ended === 'done') return r.last;
  if (r.ended === 'timed-out') throw o.onTimeout(r.last);
  throw o.onFailed?.(r.last) ?? new Error(`${o.what} failed`);
}
