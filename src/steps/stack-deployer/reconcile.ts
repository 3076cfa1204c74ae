/**
 * Before a change set is made: what an earlier run left behind (a saved plan's change set, an
 * interrupted run's change set, pending change sets) and a stack state a change set can start from.
 */
import { SUCCESS_STATES, type ChangeSetDescription, type StackDescription } from '../../aws/cloudformation.js';
import { StepFailedError, NotConfirmedError, BlockedError } from '../../errors.js';
import type { DeployStackDeps, DeployStackRequest, DeployStackResult, PollSettings } from './types.js';
import { causeLine, rootCause, type StackWatcher } from './watcher.js';
import { deleteWatchedStack } from './delete.js';
import { completeOutputs } from './outputs.js';
import { waitFor } from '../../wait.js';

/** Stable states from which an update may start. */
const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);
/** Marks dpf's change sets in their Description: `dpf <step> inputs:<hash>`. */
const DESCRIPTION_HASH = /\binputs:([0-9a-f]{16})\b/;
/** Change sets `dpf deploy` creates (`dpf plan` previews are `dpf-plan-…` and are left to their run). */
const DEPLOY_CHANGE_SET = /^dpf-(?!plan-)/;
const EXECUTED = new Set(['EXECUTE_IN_PROGRESS', 'EXECUTE_COMPLETE', 'EXECUTE_FAILED']);

export const PLAN_AGAIN = 'Nothing was executed for it. Make a new plan, review it, then apply that: dpf plan --out plan.json && dpf deploy --plan plan.json';

/** One deployment in progress: what each of its stages needs. */
export interface Deployment {
  req: DeployStackRequest;
  deps: DeployStackDeps;
  poll: PollSettings;
  say: (message: string) => void;
  watcher: StackWatcher;
  tokens: NonNullable<DeployStackRequest['tokens']>;
  /** The input hash as written in the change set's Description. */
  hash?: string;
}

/** A change set dpf carries on with instead of creating one. */
export interface Adopted {
  name: string;
  cs: ChangeSetDescription;
}

const CHANGE_SET_ENDED = new Set(['CREATE_COMPLETE', 'FAILED', 'DELETE_COMPLETE', 'DELETE_FAILED']);

/** Wait for a change set to be made (or refused), on the one poller: backing off from the first interval, no progress shown. */
export async function waitForChangeSet(d: Deployment, name: string): Promise<ChangeSetDescription> {
  const { req, deps, poll } = d;
  return waitFor(
    { clock: deps.clock, signal: deps.signal },
    {
      what: `change set ${name}`,
      read: () => deps.cfn.describeChangeSet(req.stackName, name),
      state: (cs) => (CHANGE_SET_ENDED.has(cs.status) ? 'done' : 'waiting'),
      factor: 1.5,
      // Given up once *more* than timeoutMs has passed.
      deadline: deps.clock.now().getTime() + poll.timeoutMs + 1,
      minMs: poll.minMs,
      maxMs: poll.maxMs,
      onTimeout: (cs) => new StepFailedError(req.stepId, `Change set for ${req.stackName} never finished (${cs.status}).`),
    },
  );
}

/**
 * 0. What an earlier run left: the saved plan's change set (checked against AWS once more), or
 * the change set an interrupted run of this step created (the ledger names it before
 * CreateChangeSet is sent): carried on with instead of creating another one. `result`: the
 * interrupted run had executed it and the stack has since settled successfully.
 */
export async function resumeEarlierRun(d: Deployment): Promise<{ adopted?: Adopted; result?: DeployStackResult }> {
  const { req } = d;
  // `dpf deploy --plan` rerun after a run that died executing this very saved change set (the
  // ledger names it): AWS now says EXECUTE_*, which is this plan in progress, not drift. It is
  // resumed like any interrupted change set below, and never replaced by a new one.
  const resumingSaved = req.savedChangeSet !== undefined && req.resumeChangeSetName === req.savedChangeSet.name && !req.previewOnly;
  if (req.savedChangeSet && !resumingSaved) return { adopted: await adoptSavedChangeSet(d, req.savedChangeSet.name) };
  if (req.resumeChangeSetName && !req.previewOnly) return resumeInterrupted(d, req.resumeChangeSetName, resumingSaved);
  return {};
}

/** `dpf deploy --plan`: the change set approved with the plan, refused when AWS no longer offers it. */
async function adoptSavedChangeSet(d: Deployment, name: string): Promise<Adopted> {
  const { req, deps } = d;
  const saved = await deps.cfn.describeChangeSet(req.stackName, name).catch((err: unknown) => {
    throw new BlockedError(`Stack ${req.stackName} drifted from the plan: its saved change set ${name} is gone (${(err as Error).message}).`, PLAN_AGAIN);
  });
  if (saved.status !== 'CREATE_COMPLETE' || (saved.executionStatus !== undefined && saved.executionStatus !== 'AVAILABLE'))
    throw new BlockedError(
      `Stack ${req.stackName} drifted from the plan: its saved change set ${name} is ${saved.status}${saved.executionStatus ? `/${saved.executionStatus}` : ''}, not executable (CloudFormation marks a change set OBSOLETE when the stack changed after it was made).`,
      PLAN_AGAIN,
    );
  await deps.onEvidence?.({ changeSetId: saved.changeSetId, stackId: saved.stackId, fromPlan: true });
  return { name, cs: saved };
}

async function resumeInterrupted(d: Deployment, name: string, resumingSaved: boolean): Promise<{ adopted?: Adopted; result?: DeployStackResult }> {
  const { req, deps, say, watcher } = d;
  const { cfn } = deps;
  let adopted: Adopted | undefined;
  const cs = await cfn.describeChangeSet(req.stackName, name).catch(() => undefined);
  if (cs && EXECUTED.has(cs.executionStatus ?? '')) {
    say(`change set ${name} of the interrupted run was already executed (${cs.executionStatus}); watching the stack instead of changing it again`);
    await watcher.prime();
    const settled = await watcher.untilSettled();
    if (settled && SUCCESS_STATES.has(settled.status)) {
      const { outputs, resolved } = await completeOutputs(req, deps, settled);
      return {
        result: {
          stackId: settled.stackId,
          status: settled.status,
          changed: true,
          changes: cs.changes,
          changeSetId: cs.changeSetId,
          outputs,
          outputsResolvedFromResources: resolved,
          action: settled.status.startsWith('CREATE') ? 'create' : 'update',
        },
      };
    }
    // Failed: the stack's state (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_COMPLETE, …) is handled next.
  } else if (cs && cs.status !== 'FAILED' && cs.executionStatus !== 'OBSOLETE') {
    const ready = await waitForChangeSet(d, name);
    if (ready.status === 'CREATE_COMPLETE' && ready.executionStatus === 'AVAILABLE') {
      say(`the interrupted run created change set ${name} and did not execute it: using it (not creating another)`);
      adopted = { name, cs: ready };
    }
  } else if (cs && !resumingSaved) {
    await cfn.deleteChangeSet(req.stackName, name).catch(() => undefined);
  }
  // An approved plan is executed as planned or not at all: no new change set without a new approval.
  if (resumingSaved && !adopted)
    throw new BlockedError(
      `Stack ${req.stackName}: an interrupted run was executing its saved change set ${name}, which is now ${cs ? `${cs.status}${cs.executionStatus ? `/${cs.executionStatus}` : ''}` : 'gone'}, and the stack ${(await cfn.describeStack(req.stackName))?.status ?? 'does not exist'}.`,
      PLAN_AGAIN,
    );
  return { adopted };
}

/** 1. Bring the stack to a state a change set can start from (waiting, recreating, continuing a rollback). */
export async function settleStack(d: Deployment, initial: StackDescription | undefined): Promise<StackDescription | undefined> {
  const { req, deps, say, watcher } = d;
  let stack = initial;
  for (let guard = 0; guard < 5; guard++) {
    if (!stack) break;
    const st = stack.status;
    if (st === 'REVIEW_IN_PROGRESS' || UPDATABLE.has(st)) break;
    if (/_IN_PROGRESS$/.test(st)) {
      say(`stack is ${st} (an earlier run, or someone else); waiting for it to settle`);
      await watcher.prime();
      stack = await watcher.untilSettled();
      continue;
    }
    if (st === 'ROLLBACK_COMPLETE' || st === 'ROLLBACK_FAILED' || st === 'CREATE_FAILED') {
      if (req.previewOnly) break;
      const ok = await deps.io.confirm({
        stepId: req.stepId,
        question: `Stack ${req.stackName} is ${st}: its first creation failed and it cannot be updated. Delete it and create it again?`,
      });
      if (!ok) throw new NotConfirmedError(`delete and recreate ${req.stackName}`, 'declined');
      say(`deleting ${req.stackName} (${st}) before recreating it`);
      await deleteBeforeRecreating(d, stack.stackId);
      stack = undefined;
      continue;
    }
    if (st === 'UPDATE_ROLLBACK_FAILED') {
      if (req.previewOnly) break;
      stack = await continueRollback(d);
      continue;
    }
    if (st === 'DELETE_FAILED')
      throw new StepFailedError(req.stepId, `Stack ${req.stackName} is DELETE_FAILED.`, { hint: 'Finish or retry the deletion (dpf destroy), then rerun.' });
    break;
  }
  return stack;
}

/** The one stack deletion (./delete.ts), its events streamed; what stops it is named by its root cause. */
async function deleteBeforeRecreating(d: Deployment, stackId: string): Promise<void> {
  const { req, watcher, tokens } = d;
  const deletion = await deleteWatchedStack(watcher, { token: tokens.delete, stackId });
  if (deletion.refused) throw deletion.refused;
  if (!deletion.gone)
    throw new StepFailedError(req.stepId, `Could not delete ${req.stackName}: it is ${deletion.final?.status}.`, {
      details: deletion.cause ? [causeLine(deletion.cause)] : [],
      hint: 'Delete the stack by hand (retaining the resources that block it), then rerun.',
    });
}

async function continueRollback(d: Deployment): Promise<StackDescription | undefined> {
  const { req, deps, say, watcher, tokens } = d;
  say(`stack is UPDATE_ROLLBACK_FAILED; continuing the rollback before updating`);
  await watcher.prime();
  await deps.cfn.continueUpdateRollback(req.stackName, tokens.rollback);
  const stack = await watcher.untilSettled();
  if (stack?.status !== 'UPDATE_ROLLBACK_COMPLETE') {
    const cause = rootCause(watcher.events, req.stackName);
    throw new StepFailedError(req.stepId, `Continuing the rollback of ${req.stackName} ended in ${stack?.status ?? 'a deleted stack'}.`, {
      details: cause ? [`${cause.logicalId} (${cause.resourceType}): ${cause.reason ?? cause.status}`] : [],
      hint: 'Fix the resource named above by hand (or skip it with `aws cloudformation continue-update-rollback --resources-to-skip`), then rerun.',
    });
  }
  return stack;
}

/**
 * 1b. Change sets left pending on the stack by a run that died before executing them (and
 * before the ledger could say so): the one with these very inputs is adopted, the others are
 * deleted, so no second change set (and, on AWS, no second stack) is made.
 */
export async function adoptPending(d: Deployment, stack: StackDescription): Promise<Adopted | undefined> {
  const { req, deps, say, hash } = d;
  const { cfn } = deps;
  let adopted: Adopted | undefined;
  const pending = (await cfn.listChangeSets(req.stackName)).filter(
    (c) => DEPLOY_CHANGE_SET.test(c.changeSetName) && !EXECUTED.has(c.executionStatus ?? '') && c.changeSetName !== req.changeSetName,
  );
  const review = stack.status === 'REVIEW_IN_PROGRESS';
  const match = hash
    ? pending.find((c) => c.status === 'CREATE_COMPLETE' && c.executionStatus === 'AVAILABLE' && DESCRIPTION_HASH.exec(c.description ?? '')?.[1] === hash)
    : undefined;
  if (match) {
    say(
      review
        ? `stack ${req.stackName} is REVIEW_IN_PROGRESS: an earlier run created change set ${match.changeSetName} and never executed it; its inputs are these: executing it (adopted, not recreated)`
        : `an earlier run left change set ${match.changeSetName} unexecuted with these very inputs: using it`,
    );
    adopted = { name: match.changeSetName, cs: await waitForChangeSet(d, match.changeSetName) };
  }
  const stale = pending.filter((c) => c !== match);
  if (stale.length) {
    say(
      review
        ? `stack ${req.stackName} is REVIEW_IN_PROGRESS with change set(s) ${stale.map((c) => c.changeSetName).join(', ')} from an earlier run whose inputs differ: deleting them${match ? '' : ' and creating a new one'}`
        : `deleting change set(s) ${stale.map((c) => c.changeSetName).join(', ')} left unexecuted by an earlier run (inputs differ)`,
    );
    for (const c of stale) await cfn.deleteChangeSet(req.stackName, c.changeSetName).catch(() => undefined);
  }
  return adopted;
}
