/**
 * The one stack deletion: DeleteStack with its ClientRequestToken, then the deployer's watcher
 * streams the deletion's events to the IO host until the stack is gone or DELETE_FAILED, and a
 * failure is explained by its root cause. Used by the deployer (a ROLLBACK_COMPLETE stack is
 * deleted before it is created again) and by the reaper (src/ops/reap.ts: dpf destroy, a drill's
 * teardown), which sits above the engine and may import it.
 */
import type { StackDescription, StackEvent } from '../../aws/cloudformation.js';
import { errorMessage } from '../../errors.js';
import { rootCause, type StackWatcher } from './watcher.js';

export interface WatchedDeletion {
  /** The stack as the deletion left it: undefined (or DELETE_COMPLETE) once it is gone. */
  final: StackDescription | undefined;
  gone: boolean;
  /** This deletion's events, in order: the resources that failed to delete are among them. */
  events: StackEvent[];
  /** Not gone: the first failure that is not a knock-on. */
  cause?: StackEvent;
  /** DeleteStack refused and the stack is still there, untouched: nothing was deleted. */
  refused?: unknown;
  /** What DeleteStack answered when the stack went away all the same (seen on an emulator). */
  notes: string[];
}

export interface DeleteStackOptions {
  /** The stack's id: its events are read by it, so the last ones show even once it is gone. */
  stackId?: string;
  /** ClientRequestToken of DeleteStack (src/steps/tokens.ts): a retried call is not a second deletion. */
  token?: string;
  /** The stack is DELETE_IN_PROGRESS already: only wait for it. */
  alreadyDeleting?: boolean;
  /** The error once the watcher's timeout has passed (default: the deployer's). */
  timedOut?: (status: string, timeoutMs: number) => Error;
}

/** Delete the watcher's stack and watch it go; never throws for a stack that stays (the caller says what that means). */
export async function deleteWatchedStack(watcher: StackWatcher, o: DeleteStackOptions = {}): Promise<WatchedDeletion> {
  const { stepId, stackName } = watcher.req;
  const { cfn, io } = watcher.deps;
  const notes: string[] = [];
  await watcher.prime();
  if (!o.alreadyDeleting)
    try {
      await cfn.deleteStack(stackName, undefined, o.token);
    } catch (err) {
      // Seen on an emulator: DeleteStack answers with a resource's error (DependencyViolation)
      // and the stack disappears while its resources stay. Trust describe calls, not the answer.
      const after = await cfn.describeStack(stackName);
      if (after && !/DELETE_/.test(after.status)) return { final: after, gone: false, events: [], refused: err, notes };
      io.notify({
        type: 'warning',
        stepId,
        message: `DeleteStack ${stackName} answered "${errorMessage(err)}" and the stack is ${after?.status ?? 'gone'}; checking what is left through describe calls`,
      });
      notes.push(`DeleteStack ${stackName}: ${errorMessage(err)}`);
    }
  const final = await watcher.untilSettled({ timedOut: o.timedOut, stackId: o.stackId });
  const gone = !final || final.status === 'DELETE_COMPLETE';
  const events = [...watcher.events];
  return { final, gone, events, cause: gone ? undefined : rootCause(events, stackName), notes };
}
