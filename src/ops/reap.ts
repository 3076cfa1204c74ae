/**
 * "Delete and verify gone", once per resource kind, for the day-2 steps that clean up (dpf
 * destroy, a drill's teardown). Each waits through the one poller (progress on every change,
 * abort, a deadline) and says what it could not delete instead of hiding it: the answer of a
 * delete call is not trusted, describe calls are.
 */
import type { CloudFormationPort } from '../aws/cloudformation.js';
import type { Ec2Port, EfsPort } from '../aws/ops-ports.js';
import type { EnvContext, StepContext } from '../steps/types.js';
import { StackWatcher, deleteWatchedStack } from '../steps/stack-deployer.js';
import { clientToken } from '../steps/tokens.js';
import { pollInterval } from '../settings.js';
import { errorMessage } from '../errors.js';
import { waitFor, stepError } from './operation.js';
import { pollUntil } from '../wait.js';

type Ctx = Pick<StepContext, 'clock' | 'signal' | 'progress' | 'settings' | 'io' | 'stepId'>;

export interface StackDeletion {
  /** There was a stack to delete. */
  existed: boolean;
  /** Deleted (or already gone). */
  gone: boolean;
  /** Why not, with the root cause, each failed resource and what is still in the stack. */
  problems: string[];
  /** What the delete call answered when describe calls showed it did its work anyway (an emulator). */
  notes: string[];
}

/**
 * Delete a stack and wait until it is gone or DELETE_FAILED; a stack already deleting is only
 * waited for. The deployer's own deletion (src/steps/stack-deployer/delete.ts): its events go to
 * the IO host as they come, its DeleteStack carries a token of this step's attempt, and the
 * stack's status is a progress line naming where it is.
 */
export async function deleteStack(
  ctx: Ctx & { envCtx: Pick<EnvContext, 'runId'>; attempt: number },
  cfn: CloudFormationPort,
  name: string,
  o: { where?: string; hint: string; timeoutMs?: number },
): Promise<StackDeletion> {
  const label = `stack ${name}${o.where ? ` in ${o.where}` : ''}`;
  const before = await cfn.describeStack(name);
  if (!before) return { existed: false, gone: true, problems: [], notes: [] };
  const alreadyDeleting = before.status === 'DELETE_IN_PROGRESS';
  if (!alreadyDeleting) ctx.progress(`deleting ${label} (${before.status})`);
  const timeoutMs = o.timeoutMs ?? 2 * 3600_000;
  const minMs = pollInterval(ctx.settings, 2000);
  const watcher = new StackWatcher(
    { stepId: ctx.stepId, stackName: name },
    { cfn, clock: ctx.clock, io: ctx.io, signal: ctx.signal },
    { minMs, maxMs: Math.max(minMs, 15_000), timeoutMs },
    (status) => ctx.progress(`${label}: ${status}`),
  );
  const d = await deleteWatchedStack(watcher, {
    token: clientToken(ctx.envCtx.runId, ctx.stepId, ctx.attempt, `delete ${o.where ?? ''} ${name}`),
    alreadyDeleting,
    stackId: before.stackId,
    timedOut: (status) => stepError('StackDeleteTimedOut', `Stack ${name} is still ${status} after ${timeoutMs / 3600_000} h.`, { hint: o.hint }),
  });
  const { notes, cause } = d;
  if (d.refused) return { existed: true, gone: false, problems: [`${label}: DeleteStack failed: ${errorMessage(d.refused)}`], notes };
  if (d.gone) return { existed: true, gone: true, problems: [], notes };
  const resources = (await cfn.listStackResources(name).catch(() => [])).filter((r) => r.status !== 'DELETE_COMPLETE');
  return {
    existed: true,
    gone: false,
    notes,
    problems: [
      `${label} is ${d.final?.status}${cause ? ` (root cause ${cause.logicalId}: ${cause.reason ?? cause.status})` : ''}`,
      ...d.events
        .filter((e) => e.status === 'DELETE_FAILED' && e.logicalId !== name)
        .map((e) => `  ${e.logicalId} (${e.resourceType}) ${e.physicalId ?? ''}: ${e.reason ?? 'DELETE_FAILED'}`),
      ...resources.map((r) => `  still in the stack: ${r.logicalId} (${r.resourceType}) ${r.physicalId ?? ''} ${r.status}`),
    ],
  };
}

/**
 * Delete an EFS file system: its mount targets first (EFS refuses while any exists), wait until
 * none is left, delete it, wait until it is gone. Throws what stopped it.
 */
export async function deleteFileSystem(
  ctx: Ctx,
  efs: Pick<EfsPort, 'describeMountTargets' | 'deleteMountTarget' | 'deleteFileSystem' | 'describeFileSystems'>,
  fsId: string,
  o: { hint: string; timeoutMs?: number },
): Promise<void> {
  const deadline = () => new Date(ctx.clock.now().getTime() + (o.timeoutMs ?? 30 * 60_000));
  const minutes = Math.round((o.timeoutMs ?? 30 * 60_000) / 60_000);
  for (const m of await efs.describeMountTargets(fsId)) await efs.deleteMountTarget(m.mountTargetId);
  await waitFor(ctx, {
    stepId: ctx.stepId,
    what: `mount targets of ${fsId}`,
    read: async () => (await efs.describeMountTargets(fsId)).length,
    state: (n) => (n === 0 ? 'done' : 'waiting'),
    describe: (n) => `${n} left`,
    deadline: deadline(),
    onTimeout: () => stepError('EfsDeleteTimedOut', `Mount targets of ${fsId} are still there after ${minutes} min.`, { hint: o.hint }),
    onFailed: () => stepError('EfsDeleteFailed', `${fsId} could not be deleted.`),
  });
  await efs.deleteFileSystem(fsId);
  await waitFor(ctx, {
    stepId: ctx.stepId,
    what: `EFS ${fsId}`,
    read: async () => (await efs.describeFileSystems(fsId))[0]?.state,
    state: (s) => (s === undefined || s === 'deleted' ? 'done' : 'waiting'),
    describe: (s) => s ?? 'gone',
    deadline: deadline(),
    onTimeout: (s) => stepError('EfsDeleteTimedOut', `EFS ${fsId} is still ${s} after ${minutes} min.`, { hint: o.hint }),
    onFailed: () => stepError('EfsDeleteFailed', `${fsId} could not be deleted.`),
  });
}

const inUse = (err: unknown) => /DependencyViolation|in use/i.test(`${(err as { name?: string }).name} ${errorMessage(err)}`);

/**
 * Delete a security group, retrying while network interfaces still use it (those of a deleted
 * RDS instance linger for minutes); what stopped it, or undefined once it is deleted.
 */
export async function deleteSecurityGroup(ctx: Ctx, ec2: Pick<Ec2Port, 'deleteSecurityGroup'>, sgId: string, deadline: Date): Promise<string | undefined> {
  const r = await pollUntil(
    { clock: ctx.clock, signal: ctx.signal, progress: (m) => ctx.progress(m) },
    {
      what: `security group ${sgId}`,
      read: () =>
        ec2.deleteSecurityGroup(sgId).then(
          () => undefined,
          (err: unknown) => err ?? new Error('failed'),
        ),
      state: (err) => (err === undefined ? 'done' : inUse(err) ? 'waiting' : 'failed'),
      describe: (err) => (err === undefined ? 'deleted' : inUse(err) ? 'still in use; retrying' : 'not deleted'),
      deadline,
      minMs: 30_000,
      maxMs: 30_000,
    },
  );
  return r.ended === 'done' ? undefined : errorMessage(r.last);
}
