/**
 * Deploy one CloudFormation stack properly: check the stack's state → change set → show and
 * confirm → execute → stream events with adaptive polling → outputs; and handle the states
 * peers get wrong (ROLLBACK_COMPLETE recreated after confirmation, UPDATE_ROLLBACK_FAILED
 * continued, in-progress stacks waited for, failures explained by their root cause).
 */
import { type StackDescription, type ResourceChange, type ChangeSetDescription } from '../aws/cloudformation.js';
import { StepFailedError, NotConfirmedError } from '../errors.js';
import { securityChanges } from './security-diff.js';
import type { ChangeView } from '../io/events.js';
import type { DeployStackDeps, DeployStackRequest, DeployStackResult, PollSettings } from './stack-deployer/types.js';
import { DEFAULT_POLL, stackDefinition } from './stack-deployer/types.js';
import { StackWatcher } from './stack-deployer/watcher.js';
import { watchToEnd } from './stack-deployer/finish.js';
import { completeOutputs } from './stack-deployer/outputs.js';
import { createDirectly } from './stack-deployer/create.js';
import { adoptPending, resumeEarlierRun, settleStack, waitForChangeSet, type Deployment } from './stack-deployer/reconcile.js';

export type { DeployStackDeps, DeployStackRequest, DeployStackResult, PollSettings } from './stack-deployer/types.js';
export { DEFAULT_POLL } from './stack-deployer/types.js';
export { StackWatcher, causeLine, rootCause } from './stack-deployer/watcher.js';
export { deleteWatchedStack, type WatchedDeletion } from './stack-deployer/delete.js';
export { arnFromPhysicalId } from './stack-deployer/outputs.js';

export const FAILED_TERMINAL = new Set([
  'CREATE_FAILED',
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_FAILED',
  'DELETE_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
  'IMPORT_ROLLBACK_FAILED',
  'UPDATE_FAILED',
]);
const NO_CHANGES = /didn't contain changes|No updates are to be performed|no changes/i;

/** A change as the views show it, with its property-level changes. */
export function changeView(c: ResourceChange): ChangeView {
  return {
    action: c.action,
    logicalId: c.logicalId,
    resourceType: c.resourceType,
    replacement: c.replacement,
    ...(c.details?.length ? { properties: c.details } : {}),
  };
}

export function summarizeChanges(changes: ResourceChange[]): string {
  const add = changes.filter((c) => c.action === 'Add').length;
  const mod = changes.filter((c) => c.action === 'Modify').length;
  const rep = changes.filter((c) => c.action === 'Modify' && c.replacement === 'True').length;
  const cond = changes.filter((c) => c.action === 'Modify' && c.replacement === 'Conditional').length;
  const rem = changes.filter((c) => c.action === 'Remove').length;
  const parts = [`${add} to add`, `${mod} to modify${rep ? ` (${rep} REPLACED)` : ''}${cond ? ` (${cond} may be replaced)` : ''}`, `${rem} to remove`];
  return parts.join(', ');
}

export async function deployStack(req: DeployStackRequest, deps: DeployStackDeps): Promise<DeployStackResult> {
  const poll: PollSettings = { ...DEFAULT_POLL, ...deps.poll };
  const d: Deployment = {
    req,
    deps,
    poll,
    say: (message: string) => deps.io.notify({ type: 'step-progress', stepId: req.stepId, message }),
    watcher: new StackWatcher(req, deps, poll),
    tokens: req.tokens ?? {},
    hash: req.inputHash?.slice(0, 16),
  };
  const { cfn, io } = deps;

  const earlier = await resumeEarlierRun(d);
  if (earlier.result) return earlier.result;
  let adopted = earlier.adopted;

  const presumedNew = Boolean(req.presumedNew && !adopted && !req.resumeChangeSetName && !req.savedChangeSet);
  if (presumedNew && !req.previewOnly && req.resourcesToCreate && io.confirmsAll) {
    const created = await createDirectly(d, req.resourcesToCreate);
    if (created === 'exists') return lookFirst(d);
    return created;
  }
  let stack = presumedNew ? undefined : await cfn.describeStack(req.stackName);
  if (!adopted) stack = await settleStack(d, stack);
  if (!adopted && !req.previewOnly && stack) adopted = await adoptPending(d, stack);

  const changeSetType: 'CREATE' | 'UPDATE' = req.savedChangeSet?.type ?? (!stack || stack.status === 'REVIEW_IN_PROGRESS' ? 'CREATE' : 'UPDATE');
  const changeSetName = adopted?.name ?? req.changeSetName;

  // 2. Change set.
  let cs: ChangeSetDescription;
  if (adopted) cs = adopted.cs;
  else {
    const made = await createChangeSet(d, changeSetName, changeSetType, stack, presumedNew);
    if (made === 'exists') return lookFirst(d);
    cs = made;
  }
  const noChanges = cs.status === 'FAILED' && NO_CHANGES.test(cs.statusReason ?? '');
  if (cs.status === 'FAILED' && !noChanges) {
    await cfn.deleteChangeSet(req.stackName, changeSetName).catch(() => undefined);
    throw new StepFailedError(req.stepId, `CloudFormation rejected the change set for ${req.stackName}: ${cs.statusReason ?? 'no reason given'}`, {
      hint: 'This is usually a template or parameter error; `dpf validate` lints the templates offline.',
    });
  }
  // A complete change set with no resource changes is still executed: it carries parameter,
  // output or tag changes (AWS reports those with an empty Changes list).
  if (noChanges) return unchanged(d, changeSetName);

  const security = securityChanges(cs.changes, req.templateResources);
  io.notify({ type: 'changeset', stepId: req.stepId, stackName: req.stackName, changes: cs.changes.map(changeView), ...(security.length ? { security } : {}) });
  if (req.previewOnly) {
    if (!req.keepChangeSet) {
      await cfn.deleteChangeSet(req.stackName, changeSetName).catch(() => undefined);
      // A CREATE change set made an empty REVIEW_IN_PROGRESS stack: a preview leaves nothing behind.
      if (!stack) await cfn.deleteStack(req.stackName, undefined, d.tokens.delete).catch(() => undefined);
    }
    return {
      stackId: cs.stackId ?? stack?.stackId ?? '',
      status: stack?.status ?? 'NOT_CREATED',
      changed: true,
      changes: cs.changes,
      changeSetId: cs.changeSetId,
      outputs: {},
      outputsResolvedFromResources: [],
      action: 'preview',
      security,
      changeSetType,
    };
  }

  // 3. Confirm, execute, watch.
  await confirmExecution(d, cs, changeSetName, changeSetType, stack);
  return executeAndWatch(d, cs, changeSetName, changeSetType);
}

/** A presumed-new stack exists after all (another operator, a lost ledger): deployed the usual way, looking at it first. */
function lookFirst(d: Deployment): Promise<DeployStackResult> {
  const { req, deps, tokens } = d;
  d.say(`stack ${req.stackName} exists after all (the ledger knew nothing of it): looking at it first`);
  // Another request than the refused one: its own token.
  return deployStack({ ...req, presumedNew: false, tokens: { ...tokens, create: tokens.create && `${tokens.create}-x` } }, deps);
}

/** Create the change set (its name and token in the ledger first) and wait for it; 'exists': a presumed-new stack exists after all. */
async function createChangeSet(
  d: Deployment,
  changeSetName: string,
  changeSetType: 'CREATE' | 'UPDATE',
  stack: StackDescription | undefined,
  presumedNew: boolean,
): Promise<ChangeSetDescription | 'exists'> {
  const { req, deps, tokens, hash } = d;
  await deps.onEvidence?.({ changeSetName, changeSetToken: tokens.create });
  let created: Awaited<ReturnType<typeof deps.cfn.createChangeSet>>;
  try {
    created = await deps.cfn.createChangeSet({
      ...stackDefinition(req),
      changeSetName,
      changeSetType,
      description: `dpf ${req.stepId}${hash ? ` inputs:${hash}` : ''}`,
      clientToken: tokens.create,
    });
  } catch (err) {
    if (!presumedNew || (err as { name?: string }).name !== 'AlreadyExistsException') throw err;
    return 'exists';
  }
  await deps.onEvidence?.({ changeSetId: created.changeSetId, stackId: created.stackId ?? stack?.stackId });
  return waitForChangeSet(d, changeSetName);
}

/** Nothing to change: the change set is dropped and the stack's current outputs returned. */
async function unchanged(d: Deployment, changeSetName: string): Promise<DeployStackResult> {
  const { req, deps } = d;
  await deps.cfn.deleteChangeSet(req.stackName, changeSetName).catch(() => undefined);
  const current = await deps.cfn.describeStack(req.stackName);
  if (!current) throw new StepFailedError(req.stepId, `Stack ${req.stackName} disappeared while dpf was looking at it.`);
  d.say('no changes');
  const { outputs, resolved } = await completeOutputs(req, deps, current);
  return {
    stackId: current.stackId,
    status: current.status,
    changed: false,
    changes: [],
    outputs,
    outputsResolvedFromResources: resolved,
    action: req.previewOnly ? 'preview' : 'none',
  };
}

/** Ask before executing (a saved plan was approved once, as a whole); a refusal leaves nothing behind. */
async function confirmExecution(
  d: Deployment,
  cs: ChangeSetDescription,
  changeSetName: string,
  changeSetType: 'CREATE' | 'UPDATE',
  stack: StackDescription | undefined,
): Promise<void> {
  const { req, deps, tokens } = d;
  const { cfn, io } = deps;
  const discard = async () => {
    await cfn.deleteChangeSet(req.stackName, changeSetName).catch(() => undefined);
    // Declining a first create leaves nothing behind: not even the empty REVIEW_IN_PROGRESS stack.
    if (!stack || stack.status === 'REVIEW_IN_PROGRESS') await cfn.deleteStack(req.stackName, undefined, tokens.delete).catch(() => undefined);
  };
  let ok = Boolean(req.savedChangeSet); // approved once, for the whole saved plan
  if (!ok)
    try {
      ok = await io.confirm({
        stepId: req.stepId,
        question: `${changeSetType === 'CREATE' ? 'Create' : 'Update'} stack ${req.stackName}: ${summarizeChanges(cs.changes)}. Execute?`,
      });
    } catch (err) {
      await discard();
      throw err;
    }
  if (!ok) {
    await discard();
    throw new NotConfirmedError(`execute the change set for ${req.stackName}`, 'declined');
  }
}

/** Execute the change set and watch the stack settle; a failure is explained by its root cause. */
async function executeAndWatch(d: Deployment, cs: ChangeSetDescription, changeSetName: string, changeSetType: 'CREATE' | 'UPDATE'): Promise<DeployStackResult> {
  const { req, deps, tokens, watcher, say } = d;
  if (changeSetType === 'CREATE') watcher.forget();
  else await watcher.prime();
  await deps.onEvidence?.({ changeSetName, executeToken: tokens.execute });
  await deps.cfn.executeChangeSet(req.stackName, changeSetName, tokens.execute);
  say(`executing change set (${summarizeChanges(cs.changes)})`);
  const { final, outputs, resolved } = await watchToEnd(d);
  return {
    stackId: final.stackId,
    status: final.status,
    changed: true,
    changes: cs.changes,
    changeSetId: cs.changeSetId,
    outputs,
    outputsResolvedFromResources: resolved,
    action: changeSetType === 'CREATE' ? 'create' : 'update',
  };
}
