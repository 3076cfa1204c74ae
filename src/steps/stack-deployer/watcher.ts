/** Watching a stack operation: its new events shown as they come, polled until it settles. */
import type { StackDescription, StackEvent } from '../../aws/cloudformation.js';
import { stateClass } from '../../io/events.js';
import { StepFailedError } from '../../errors.js';
import { waitFor } from '../../wait.js';
import type { DeployStackDeps, PollSettings } from './types.js';

const CANCELLED = /cancelled|canceled/i;

/** The first failure that is not a knock-on cancellation: what the operator must read first. */
export function rootCause(events: StackEvent[], stackName: string): StackEvent | undefined {
  const chronological = [...events].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  const failures = chronological.filter((e) => /_FAILED$/.test(e.status));
  return failures.find((e) => e.logicalId !== stackName && !CANCELLED.test(e.reason ?? '')) ?? failures.find((e) => e.logicalId !== stackName) ?? failures[0];
}

/** "root cause: Logs (AWS::S3::Bucket) CREATE_FAILED: <reason>" — the line a failure's details start with. */
export function causeLine(cause: StackEvent): string {
  return `root cause: ${cause.logicalId} (${cause.resourceType}) ${cause.status}: ${cause.reason ?? 'no reason given'}`;
}

/** Polls of a settling stack between two DescribeStacks when no stack-level event says it ended (a safety net). */
const DESCRIBE_EVERY = 5;

/** What watching needs: the stack's events go to the IO host as the step's progress. */
export type WatchDeps = Pick<DeployStackDeps, 'cfn' | 'clock' | 'io' | 'signal'>;

export class StackWatcher {
  private seen = new Set<string>();
  private lastStatus?: string;
  readonly events: StackEvent[] = [];
  /** `onStatus`: the stack's own status each time it changes (its events, DescribeStacks; 'gone' once it is). */
  constructor(
    readonly req: { stepId: string; stackName: string },
    readonly deps: WatchDeps,
    private readonly poll: PollSettings,
    private readonly onStatus?: (status: string) => void,
  ) {}

  private status(status: string): void {
    if (status !== this.lastStatus) this.onStatus?.(status);
    this.lastStatus = status;
  }

  /** Remember the events that already exist so only new ones are shown. */
  async prime(): Promise<void> {
    this.forget();
    try {
      for (const e of await this.deps.cfn.describeStackEvents(this.req.stackName)) this.seen.add(e.eventId);
    } catch {
      /* no stack yet: nothing to skip */
    }
  }

  /**
   * A new operation on a stack that has never run one (it does not exist, or is only the
   * REVIEW_IN_PROGRESS shell a CREATE change set makes): its only earlier events are the
   * shell's REVIEW_IN_PROGRESS ones, which drain() never shows, so there is nothing to prime.
   */
  forget(): void {
    // A new operation starts: its root cause must come from its own events, not from an
    // earlier operation this watcher waited for.
    this.events.length = 0;
  }

  /**
   * New events, shown in order. `ended`: one of them is the stack's own status leaving
   * *_IN_PROGRESS (the last event of an operation); `missing`: the stack has no events to read
   * (none by that name or id: deleted, or not created yet).
   */
  private async drain(source = this.req.stackName): Promise<{ moved: number; ended: boolean; missing: boolean }> {
    let fresh: StackEvent[];
    try {
      fresh = (await this.deps.cfn.describeStackEvents(source)).filter((e) => !this.seen.has(e.eventId));
    } catch {
      return { moved: 0, ended: false, missing: true };
    }
    let ended = false;
    // The API lists newest first; reverse before the (stable) sort so events sharing a
    // timestamp (one resource completing as the next starts) stay in the order they happened.
    fresh.reverse().sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    for (const e of fresh) {
      this.seen.add(e.eventId);
      // The shell CreateChangeSet makes: not part of any operation.
      if (e.status === 'REVIEW_IN_PROGRESS') continue;
      if (e.logicalId === this.req.stackName && e.resourceType === 'AWS::CloudFormation::Stack') {
        ended = !/_IN_PROGRESS$/.test(e.status);
        this.status(e.status);
      }
      this.events.push(e);
      this.deps.io.notify({
        type: 'step-progress',
        stepId: this.req.stepId,
        message: `${e.status} ${e.resourceType} ${e.logicalId}${e.reason ? ` — ${e.reason}` : ''}`,
        state: stateClass(e.status),
        resource: { logicalId: e.logicalId, type: e.resourceType, status: e.status, reason: e.reason },
      });
    }
    return { moved: fresh.length, ended, missing: false };
  }

  /**
   * Poll until the stack leaves *_IN_PROGRESS on the one poller (src/wait.ts); fast while events
   * flow, backing off while nothing moves. Each poll is one DescribeStackEvents (the progress
   * shown): DescribeStacks is asked when the stack's own event says the operation ended (and for
   * its outputs), when the stack has no events, and every DESCRIBE_EVERY polls in case an ending
   * event is missed. `timedOut`: the error once the timeout has passed (default: the deployer's).
   * `stackId`: read the events by the stack's id, which (unlike its name) still finds them once the
   * stack is deleted, so a deletion's last events are shown too (AWS DescribeStackEvents: "Deleted
   * stacks: You must specify the unique stack ID").
   */
  async untilSettled(o: { timedOut?: (status: string, timeoutMs: number) => Error; stackId?: string } = {}): Promise<StackDescription | undefined> {
    const { clock, signal } = this.deps;
    let status = 'in progress';
    let poll = 0;
    const last = await waitFor(
      { clock, signal },
      {
        what: `stack ${this.req.stackName}`,
        read: async (): Promise<{ moved: number; settled: boolean; stack?: StackDescription }> => {
          poll++;
          const { moved, ended, missing } = await this.drain(o.stackId);
          if (!ended && !missing && poll % DESCRIBE_EVERY !== 0) return { moved, settled: false };
          const stack = await this.deps.cfn.describeStack(this.req.stackName);
          this.status(stack?.status ?? 'gone');
          if (stack && /_IN_PROGRESS$/.test(stack.status) && stack.status !== 'REVIEW_IN_PROGRESS') {
            status = stack.status;
            return { moved, settled: false };
          }
          // Ended without its ending event in view (the safety net, or the stack is gone): show what came since.
          if (!ended) await this.drain(o.stackId);
          return { moved, settled: true, stack };
        },
        state: (v) => (v.settled ? 'done' : 'waiting'),
        // New events start the interval over, the first poll's included; nothing new: it grows.
        changed: (v) => v.moved > 0,
        firstIsChange: false,
        factor: 1.5,
        // Given up once *more* than timeoutMs has passed.
        deadline: clock.now().getTime() + this.poll.timeoutMs + 1,
        minMs: this.poll.minMs,
        maxMs: this.poll.maxMs,
        onTimeout: () => (o.timedOut ?? this.timedOut)(status, this.poll.timeoutMs),
      },
    );
    return last.stack;
  }

  private timedOut = (status: string, timeoutMs: number): Error =>
    new StepFailedError(this.req.stepId, `Stack ${this.req.stackName} is still ${status} after ${Math.round(timeoutMs / 60000)} minutes.`, {
      hint: `Look at the stack in the CloudFormation console; rerun dpf deploy to resume waiting.`,
    });
}
