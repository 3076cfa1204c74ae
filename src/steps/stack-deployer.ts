/**
 * Deploy one CloudFormation stack properly: check the stack's state → change set → show and
 * confirm → execute → stream events with adaptive polling → outputs; and handle the states
 * peers get wrong (ROLLBACK_COMPLETE recreated after confirmation, UPDATE_ROLLBACK_FAILED
 * continued, in-progress stacks waited for, failures explained by their root cause).
 */
import {
  SUCCESS_STATES,
  type CloudFormationPort,
  type StackDescription,
  type StackEvent,
  type ResourceChange,
  type ChangeSetDescription,
} from '../aws/cloudformation.js';
import type { Clock } from '../clock.js';
import type { Settings } from '../settings.js';
import type { IoHost } from '../io/host.js';
import { stateClass } from '../io/events.js';
import { StepFailedError, NotConfirmedError, AbortError, BlockedError } from '../errors.js';
import { securityChanges, type TemplateResources } from './security-diff.js';
import type { ChangeView } from '../io/events.js';

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
/** Stable states from which an update may start. */
const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);
const NO_CHANGES = /didn't contain changes|No updates are to be performed|no changes/i;
const CANCELLED = /cancelled|canceled/i;

export interface PollSettings {
  /** First and fastest poll interval (ms). Default 1000. */
  minMs: number;
  /** Slowest poll interval while nothing moves (ms). Default 10000. */
  maxMs: number;
  /** Give up waiting for one stack operation after this long (ms). Default 2 h. */
  timeoutMs: number;
}
export const DEFAULT_POLL: PollSettings = { minMs: 1000, maxMs: 10000, timeoutMs: 2 * 3600 * 1000 };

export interface DeployStackRequest {
  stepId: string;
  stackName: string;
  /** The template as JSON; or templateUrl (S3) when it is over CloudFormation's body limit. */
  templateBody?: string;
  templateUrl?: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  /** The template's Outputs section (used to fill outputs an emulator drops). */
  templateOutputs: Record<string, { Value: unknown; Condition?: string }>;
  changeSetName: string;
  /** Only create and describe the change set, then delete it (dpf plan). */
  previewOnly?: boolean;
  /**
   * Idempotency tokens, recorded in the ledger before the calls: ClientToken of CreateChangeSet,
   * ClientRequestToken of ExecuteChangeSet, DeleteStack and ContinueUpdateRollback. An SDK retry
   * after a lost answer carries the same token, and AWS does not do the call twice.
   */
  tokens?: Partial<Record<'create' | 'execute' | 'delete' | 'rollback', string>>;
  /**
   * The step's input hash (template, parameters, tags). It goes into the change set's
   * Description, so that a change set a dead run created and never executed is recognised as
   * this very change and executed instead of creating another.
   */
  inputHash?: string;
  /**
   * The ledger has no trace of this stack (the step never ran: no stack id, no change set): the
   * CREATE change set is asked for without a DescribeStacks first (issue 14: one call less per new
   * stack). If the stack exists after all (another operator, a lost ledger), CloudFormation refuses
   * a CREATE (AlreadyExistsException) and the deploy starts over the usual way, looking first.
   */
  presumedNew?: boolean;
  /** The change set an interrupted run of this step recorded (before creating it). */
  resumeChangeSetName?: string;
  /** With previewOnly: keep the change set (and a new stack's REVIEW_IN_PROGRESS shell) for `dpf deploy --plan`. */
  keepChangeSet?: boolean;
  /**
   * Execute this change set, made by `dpf plan --out` and approved once for the whole plan,
   * instead of making a new one; refused (exit 8) when AWS no longer offers it for execution.
   */
  savedChangeSet?: { name: string; type: 'CREATE' | 'UPDATE' };
  /** The template's resources, to describe security-widening changes when AWS gives no property values. */
  templateResources?: TemplateResources;
}

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

/** Marks dpf's change sets in their Description: `dpf <step> inputs:<hash>`. */
const DESCRIPTION_HASH = /\binputs:([0-9a-f]{16})\b/;
/** Change sets `dpf deploy` creates (`dpf plan` previews are `dpf-plan-…` and are left to their run). */
const DEPLOY_CHANGE_SET = /^dpf-(?!plan-)/;
const EXECUTED = new Set(['EXECUTE_IN_PROGRESS', 'EXECUTE_COMPLETE', 'EXECUTE_FAILED']);

export interface DeployStackDeps {
  cfn: CloudFormationPort;
  clock: Clock;
  io: IoHost;
  signal: AbortSignal;
  poll?: Partial<PollSettings>;
  /** The test hook DPF_TEST_HOLD_STEP (src/settings.ts). */
  testHold?: Settings['testHold'];
  /** Called as soon as ids are known so the ledger holds them even if the process dies. */
  onEvidence?: (evidence: Record<string, unknown>) => Promise<void>;
}

export interface DeployStackResult {
  stackId: string;
  status: string;
  changed: boolean;
  changes: ResourceChange[];
  changeSetId?: string;
  outputs: Record<string, string>;
  /** Outputs dpf had to read from the stack's resources because DescribeStacks lacked them. */
  outputsResolvedFromResources: string[];
  action: 'create' | 'update' | 'none' | 'preview';
  /** preview: changes that widen access; and whether the change set creates or updates the stack. */
  security?: ReturnType<typeof securityChanges>;
  changeSetType?: 'CREATE' | 'UPDATE';
}

const PLAN_AGAIN = 'Nothing was executed for it. Make a new plan, review it, then apply that: dpf plan --out plan.json && dpf deploy --plan plan.json';

export function summarizeChanges(changes: ResourceChange[]): string {
  const add = changes.filter((c) => c.action === 'Add').length;
  const mod = changes.filter((c) => c.action === 'Modify').length;
  const rep = changes.filter((c) => c.action === 'Modify' && c.replacement === 'True').length;
  const cond = changes.filter((c) => c.action === 'Modify' && c.replacement === 'Conditional').length;
  const rem = changes.filter((c) => c.action === 'Remove').length;
  const parts = [`${add} to add`, `${mod} to modify${rep ? ` (${rep} REPLACED)` : ''}${cond ? ` (${cond} may be replaced)` : ''}`, `${rem} to remove`];
  return parts.join(', ');
}

/** The first failure that is not a knock-on cancellation: what the operator must read first. */
export function rootCause(events: StackEvent[], stackName: string): StackEvent | undefined {
  const chronological = [...events].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  const failures = chronological.filter((e) => /_FAILED$/.test(e.status));
  return failures.find((e) => e.logicalId !== stackName && !CANCELLED.test(e.reason ?? '')) ?? failures.find((e) => e.logicalId !== stackName) ?? failures[0];
}

/** Polls of a settling stack between two DescribeStacks when no stack-level event says it ended (a safety net). */
const DESCRIBE_EVERY = 5;

class StackWatcher {
  private seen = new Set<string>();
  readonly events: StackEvent[] = [];
  constructor(
    private readonly req: { stepId: string; stackName: string },
    private readonly deps: DeployStackDeps,
    private readonly poll: PollSettings,
  ) {}

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
   * (it does not exist by that name: deleted, or not created yet).
   */
  private async drain(): Promise<{ moved: number; ended: boolean; missing: boolean }> {
    let fresh: StackEvent[];
    try {
      fresh = (await this.deps.cfn.describeStackEvents(this.req.stackName)).filter((e) => !this.seen.has(e.eventId));
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
      if (e.logicalId === this.req.stackName && e.resourceType === 'AWS::CloudFormation::Stack') ended = !/_IN_PROGRESS$/.test(e.status);
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
   * Poll until the stack leaves *_IN_PROGRESS; fast while events flow, backing off while nothing
   * moves. Each poll is one DescribeStackEvents (the progress shown): DescribeStacks is asked
   * when the stack's own event says the operation ended (and for its outputs), when the stack
   * has no events, and every DESCRIBE_EVERY polls in case an ending event is missed.
   */
  async untilSettled(): Promise<StackDescription | undefined> {
    const started = this.deps.clock.now().getTime();
    let delay = this.poll.minMs;
    let status = 'in progress';
    for (let poll = 1; ; poll++) {
      const { moved, ended, missing } = await this.drain();
      if (ended || missing || poll % DESCRIBE_EVERY === 0) {
        const stack = await this.deps.cfn.describeStack(this.req.stackName);
        if (!stack || !/_IN_PROGRESS$/.test(stack.status) || stack.status === 'REVIEW_IN_PROGRESS') {
          // Ended without its ending event in view (the safety net, or the stack is gone): show what came since.
          if (!ended) await this.drain();
          return stack;
        }
        status = stack.status;
      }
      if (this.deps.clock.now().getTime() - started > this.poll.timeoutMs)
        throw new StepFailedError(this.req.stepId, `Stack ${this.req.stackName} is still ${status} after ${Math.round(this.poll.timeoutMs / 60000)} minutes.`, {
          hint: `Look at the stack in the CloudFormation console; rerun dpf deploy to resume waiting.`,
        });
      delay = moved > 0 ? this.poll.minMs : Math.min(this.poll.maxMs, Math.round(delay * 1.5));
      await this.deps.clock.sleep(delay, this.deps.signal);
    }
  }
}

export async function deployStack(req: DeployStackRequest, deps: DeployStackDeps): Promise<DeployStackResult> {
  const poll: PollSettings = { ...DEFAULT_POLL, ...deps.poll };
  const { cfn, io } = deps;
  const say = (message: string) => io.notify({ type: 'step-progress', stepId: req.stepId, message });
  const watcher = new StackWatcher(req, deps, poll);
  const tokens = req.tokens ?? {};
  const hash = req.inputHash?.slice(0, 16);

  const waitForChangeSet = async (name: string) => {
    let cs = await cfn.describeChangeSet(req.stackName, name);
    let delay = poll.minMs;
    const csStart = deps.clock.now().getTime();
    while (!['CREATE_COMPLETE', 'FAILED', 'DELETE_COMPLETE', 'DELETE_FAILED'].includes(cs.status)) {
      if (deps.clock.now().getTime() - csStart > poll.timeoutMs)
        throw new StepFailedError(req.stepId, `Change set for ${req.stackName} never finished (${cs.status}).`);
      await deps.clock.sleep(delay, deps.signal);
      delay = Math.min(poll.maxMs, Math.round(delay * 1.5));
      cs = await cfn.describeChangeSet(req.stackName, name);
    }
    return cs;
  };

  // 0. A change set an interrupted run of this step created (the ledger names it before
  //    CreateChangeSet is sent): carry on with it instead of creating another one.
  let adopted: { name: string; cs: ChangeSetDescription } | undefined;
  // `dpf deploy --plan` rerun after a run that died executing this very saved change set (the
  // ledger names it): AWS now says EXECUTE_*, which is this plan in progress, not drift. It is
  // resumed like any interrupted change set below, and never replaced by a new one.
  const resumingSaved = req.savedChangeSet !== undefined && req.resumeChangeSetName === req.savedChangeSet.name && !req.previewOnly;
  if (req.savedChangeSet && !resumingSaved) {
    // `dpf deploy --plan`: the change set approved with the plan, checked against AWS once more.
    const name = req.savedChangeSet.name;
    const saved = await cfn.describeChangeSet(req.stackName, name).catch((err: unknown) => {
      throw new BlockedError(`Stack ${req.stackName} drifted from the plan: its saved change set ${name} is gone (${(err as Error).message}).`, PLAN_AGAIN);
    });
    if (saved.status !== 'CREATE_COMPLETE' || (saved.executionStatus !== undefined && saved.executionStatus !== 'AVAILABLE'))
      throw new BlockedError(
        `Stack ${req.stackName} drifted from the plan: its saved change set ${name} is ${saved.status}${saved.executionStatus ? `/${saved.executionStatus}` : ''}, not executable (CloudFormation marks a change set OBSOLETE when the stack changed after it was made).`,
        PLAN_AGAIN,
      );
    await deps.onEvidence?.({ changeSetId: saved.changeSetId, stackId: saved.stackId, fromPlan: true });
    adopted = { name, cs: saved };
  } else if (req.resumeChangeSetName && !req.previewOnly) {
    const cs = await cfn.describeChangeSet(req.stackName, req.resumeChangeSetName).catch(() => undefined);
    if (cs && EXECUTED.has(cs.executionStatus ?? '')) {
      say(
        `change set ${req.resumeChangeSetName} of the interrupted run was already executed (${cs.executionStatus}); watching the stack instead of changing it again`,
      );
      await watcher.prime();
      const settled = await watcher.untilSettled();
      if (settled && SUCCESS_STATES.has(settled.status)) {
        const { outputs, resolved } = await completeOutputs(req, deps, settled);
        return {
          stackId: settled.stackId,
          status: settled.status,
          changed: true,
          changes: cs.changes,
          changeSetId: cs.changeSetId,
          outputs,
          outputsResolvedFromResources: resolved,
          action: settled.status.startsWith('CREATE') ? 'create' : 'update',
        };
      }
      // Failed: the stack's state (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_COMPLETE, …) is handled below.
    } else if (cs && cs.status !== 'FAILED' && cs.executionStatus !== 'OBSOLETE') {
      const ready = await waitForChangeSet(req.resumeChangeSetName);
      if (ready.status === 'CREATE_COMPLETE' && ready.executionStatus === 'AVAILABLE') {
        say(`the interrupted run created change set ${req.resumeChangeSetName} and did not execute it: using it (not creating another)`);
        adopted = { name: req.resumeChangeSetName, cs: ready };
      }
    } else if (cs && !resumingSaved) {
      await cfn.deleteChangeSet(req.stackName, req.resumeChangeSetName).catch(() => undefined);
    }
    // An approved plan is executed as planned or not at all: no new change set without a new approval.
    if (resumingSaved && !adopted)
      throw new BlockedError(
        `Stack ${req.stackName}: an interrupted run was executing its saved change set ${req.resumeChangeSetName}, which is now ${cs ? `${cs.status}${cs.executionStatus ? `/${cs.executionStatus}` : ''}` : 'gone'}, and the stack ${(await cfn.describeStack(req.stackName))?.status ?? 'does not exist'}.`,
        PLAN_AGAIN,
      );
  }

  // 1. Bring the stack to a state a change set can start from.
  const presumedNew = Boolean(req.presumedNew && !adopted && !req.resumeChangeSetName && !req.savedChangeSet);
  let stack = presumedNew ? undefined : await cfn.describeStack(req.stackName);
  for (let guard = 0; guard < 5 && !adopted; guard++) {
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
      const ok = await io.confirm({
        stepId: req.stepId,
        question: `Stack ${req.stackName} is ${st}: its first creation failed and it cannot be updated. Delete it and create it again?`,
      });
      if (!ok) throw new NotConfirmedError(`delete and recreate ${req.stackName}`, 'declined');
      say(`deleting ${req.stackName} (${st}) before recreating it`);
      await watcher.prime();
      await cfn.deleteStack(req.stackName, undefined, tokens.delete);
      stack = await watcher.untilSettled();
      if (stack && stack.status !== 'DELETE_COMPLETE')
        throw new StepFailedError(req.stepId, `Could not delete ${req.stackName}: it is ${stack.status}.`, {
          hint: 'Delete the stack by hand (retaining the resources that block it), then rerun.',
        });
      stack = undefined;
      continue;
    }
    if (st === 'UPDATE_ROLLBACK_FAILED') {
      if (req.previewOnly) break;
      say(`stack is UPDATE_ROLLBACK_FAILED; continuing the rollback before updating`);
      await watcher.prime();
      await cfn.continueUpdateRollback(req.stackName, tokens.rollback);
      stack = await watcher.untilSettled();
      if (stack?.status !== 'UPDATE_ROLLBACK_COMPLETE') {
        const cause = rootCause(watcher.events, req.stackName);
        throw new StepFailedError(req.stepId, `Continuing the rollback of ${req.stackName} ended in ${stack?.status ?? 'a deleted stack'}.`, {
          details: cause ? [`${cause.logicalId} (${cause.resourceType}): ${cause.reason ?? cause.status}`] : [],
          hint: 'Fix the resource named above by hand (or skip it with `aws cloudformation continue-update-rollback --resources-to-skip`), then rerun.',
        });
      }
      continue;
    }
    if (st === 'DELETE_FAILED')
      throw new StepFailedError(req.stepId, `Stack ${req.stackName} is DELETE_FAILED.`, { hint: 'Finish or retry the deletion (dpf destroy), then rerun.' });
    break;
  }

  // 1b. Change sets left pending on the stack by a run that died before executing them (and
  //     before the ledger could say so): the one with these very inputs is adopted, the others
  //     are deleted, so no second change set (and, on AWS, no second stack) is made.
  if (!adopted && !req.previewOnly && stack) {
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
      adopted = { name: match.changeSetName, cs: await waitForChangeSet(match.changeSetName) };
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
  }

  const changeSetType: 'CREATE' | 'UPDATE' = req.savedChangeSet?.type ?? (!stack || stack.status === 'REVIEW_IN_PROGRESS' ? 'CREATE' : 'UPDATE');
  const changeSetName = adopted?.name ?? req.changeSetName;

  // 2. Change set.
  let cs: ChangeSetDescription;
  if (adopted) cs = adopted.cs;
  else {
    await deps.onEvidence?.({ changeSetName, changeSetToken: tokens.create });
    let created: Awaited<ReturnType<typeof cfn.createChangeSet>>;
    try {
      created = await cfn.createChangeSet({
        stackName: req.stackName,
        changeSetName,
        changeSetType,
        templateBody: req.templateBody,
        templateUrl: req.templateUrl,
        parameters: Object.entries(req.parameters).map(([key, value]) => ({ key, value })),
        tags: Object.entries(req.tags).map(([key, value]) => ({ key, value })),
        capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        description: `dpf ${req.stepId}${hash ? ` inputs:${hash}` : ''}`,
        clientToken: tokens.create,
      });
    } catch (err) {
      if (!presumedNew || (err as { name?: string }).name !== 'AlreadyExistsException') throw err;
      say(`stack ${req.stackName} exists after all (the ledger knew nothing of it): looking at it first`);
      // Another request than the refused one: its own token.
      return deployStack({ ...req, presumedNew: false, tokens: { ...tokens, create: tokens.create && `${tokens.create}-x` } }, deps);
    }
    await deps.onEvidence?.({ changeSetId: created.changeSetId, stackId: created.stackId ?? stack?.stackId });
    cs = await waitForChangeSet(changeSetName);
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
  if (noChanges) {
    await cfn.deleteChangeSet(req.stackName, changeSetName).catch(() => undefined);
    const current = await cfn.describeStack(req.stackName);
    if (!current) throw new StepFailedError(req.stepId, `Stack ${req.stackName} disappeared while dpf was looking at it.`);
    say('no changes');
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

  const security = securityChanges(cs.changes, req.templateResources);
  io.notify({ type: 'changeset', stepId: req.stepId, stackName: req.stackName, changes: cs.changes.map(changeView), ...(security.length ? { security } : {}) });
  if (req.previewOnly) {
    if (!req.keepChangeSet) {
      await cfn.deleteChangeSet(req.stackName, changeSetName).catch(() => undefined);
      // A CREATE change set made an empty REVIEW_IN_PROGRESS stack: a preview leaves nothing behind.
      if (!stack) await cfn.deleteStack(req.stackName, undefined, tokens.delete).catch(() => undefined);
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
  if (changeSetType === 'CREATE') watcher.forget();
  else await watcher.prime();
  await deps.onEvidence?.({ changeSetName, executeToken: tokens.execute });
  await cfn.executeChangeSet(req.stackName, changeSetName, tokens.execute);
  say(`executing change set (${summarizeChanges(cs.changes)})`);
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
      details: cause ? [`root cause: ${cause.logicalId} (${cause.resourceType}) ${cause.status}: ${cause.reason ?? 'no reason given'}`] : [],
      hint,
    });
  }
  const { outputs, resolved } = await completeOutputs(req, deps, final);
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

/**
 * Outputs as DescribeStacks gives them; where the template declares an output that is
 * missing (moto drops every output of a stack made through a change set), an output whose
 * value is a plain Ref is read from the stack's resources or parameters instead.
 */
async function completeOutputs(
  req: DeployStackRequest,
  deps: DeployStackDeps,
  stack: StackDescription,
): Promise<{ outputs: Record<string, string>; resolved: string[] }> {
  const outputs = { ...stack.outputs };
  const missing = Object.keys(req.templateOutputs).filter((k) => !(k in outputs));
  if (missing.length === 0) return { outputs, resolved: [] };
  const resources = await deps.cfn.listStackResources(req.stackName).catch(() => []);
  const byLogical = new Map(resources.map((r) => [r.logicalId, r]));
  const resolved: string[] = [];
  for (const key of missing) {
    const value = req.templateOutputs[key]!.Value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | string;
    let v: string | undefined;
    if (typeof value === 'string') v = value;
    else if (value && typeof value === 'object' && typeof value.Ref === 'string') v = byLogical.get(value.Ref)?.physicalId ?? req.parameters[value.Ref];
    else if (value && typeof value === 'object' && Array.isArray(value['Fn::GetAtt'])) {
      const [logical, attr] = value['Fn::GetAtt'];
      const r = byLogical.get(logical);
      if (r?.physicalId) v = arnFromPhysicalId(r.resourceType, attr, r.physicalId, stack.stackId);
    }
    if (v !== undefined) {
      outputs[key] = v;
      resolved.push(key);
    }
  }
  if (resolved.length)
    deps.io.notify({
      type: 'warning',
      stepId: req.stepId,
      message: `DescribeStacks returned no value for ${resolved.length} output(s) of ${req.stackName}; read them from the stack's resources instead (${resolved.join(', ')}).`,
    });
  // A conditional output may legitimately be absent (its condition is false): only warn about the others.
  const unresolved = missing.filter((k) => !resolved.includes(k) && !req.templateOutputs[k]!.Condition);
  if (unresolved.length)
    deps.io.notify({
      type: 'warning',
      stepId: req.stepId,
      message: `Output(s) ${unresolved.join(', ')} of ${req.stackName} are missing from DescribeStacks and cannot be read from its resources; steps that need them will say so.`,
    });
  return { outputs, resolved };
}

/**
 * Test hook (documented in docs/testing.md): with DPF_TEST_HOLD_STEP=<step id> the run pauses
 * right after executing that step's change set, so an end-to-end test can kill -9 dpf while
 * the step is running and check that the rerun reconciles it.
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

/** The ARN of a resource whose ARN is a pure function of its physical id (region and account from the stack id). */
export function arnFromPhysicalId(type: string, attr: string, physicalId: string, stackId: string): string | undefined {
  if (attr !== 'Arn') return undefined;
  const [, partition = 'aws', , region = '', account = ''] = stackId.split(':');
  switch (type) {
    case 'AWS::IAM::Role':
      return `arn:${partition}:iam::${account}:role/${physicalId}`;
    case 'AWS::IAM::InstanceProfile':
      return `arn:${partition}:iam::${account}:instance-profile/${physicalId}`;
    case 'AWS::S3::Bucket':
      return `arn:${partition}:s3:::${physicalId}`;
    case 'AWS::KMS::Key':
      return physicalId.startsWith('arn:') ? physicalId : `arn:${partition}:kms:${region}:${account}:key/${physicalId}`;
    case 'AWS::SNS::Topic':
      return physicalId.startsWith('arn:') ? physicalId : undefined;
    default:
      return undefined;
  }
}
