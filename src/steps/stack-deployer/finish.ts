/** The end of a stack operation dpf started (a change set executed, a stack created): watched until it settles, its outcome or its root cause. */
import { SUCCESS_STATES, type StackDescription } from '../../aws/cloudformation.js';
import { AbortError, StepFailedError } from '../../errors.js';
import type { DeployStackDeps } from './types.js';
import type { Deployment } from './reconcile.js';
import { causeLine, rootCause } from './watcher.js';
import { completeOutputs } from './outputs.js';

/** The stack once it settled successfully, with its outputs; a failure throws, explained by its root cause. */
export async function watchToEnd(d: Deployment): Promise<{ final: StackDescription; outputs: Record<string, string>; resolved: string[] }> {
  const { req, deps, watcher, say } = d;
  await testHold(req.stepId, deps, say);
  const final = await watcher.untilSettled();
  if (!final || !SUCCESS_STATES.has(final.status)) {
    const cause = rootCause(watcher.events, req.stackName);
    const status = final?.status ?? 'DELETED';
    const hint =
      status === 'ROLLBACK_COMPLETE'
        ? 'Fix the cause above, then rerun dpf deploy: the empty stack is deleted and recreated after confirmation.'
        : status === 'UPDATE_ROLLBACK_FAILED'
          ? 'Rerun dpf deploy: it continues the rollback first. If a resource blocks it, fix that resource by hand.'
          : 'Fix the cause above, then rerun dpf deploy to resume from this step.';
    throw new StepFailedError(req.stepId, `Stack ${req.stackName} ended in ${status}${final?.statusReason ? ` (${final.statusReason})` : ''}.`, {
      details: cause ? [causeLine(cause)] : [],
      hint,
    });
  }
  const { outputs, resolved } = await completeOutputs(req, deps, final);
  return { final, outputs, resolved };
}

/**
 * Test hook (documented in docs/testing.md): with DPF_TEST_HOLD_STEP=<step id> the run pauses
 * right after the stack operation of that step started (its change set executed, or the stack
 * created), so an end-to-end test can kill -9 dpf while the step is running and check that the
 * rerun reconciles it.
 */
async function testHold(stepId: string, deps: DeployStackDeps, say: (m: string) => void): Promise<void> {
  const hold = deps.testHold;
  if (hold?.afterExecute !== stepId) return;
  say('test hook DPF_TEST_HOLD_STEP: holding after execute');
  try {
    await deps.clock.sleep(hold.ms, deps.signal);
  } catch (err) {
    if (err instanceof AbortError || deps.signal.aborted) throw err;
  }
}
