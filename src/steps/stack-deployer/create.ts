/**
 * A new stack made with CreateStack, without a change set, when nobody reviews one: the ledger has
 * no trace of the stack (presumedNew), every confirmation is answered by --yes, and dpf knows what
 * the template creates (its resources that its conditions keep). A CREATE change set would list
 * exactly those resources as Add, and no one reads it before it runs; on AWS it costs two more
 * requests (DescribeChangeSet, often several; ExecuteChangeSet) and the time CloudFormation takes to
 * compute it, seconds to tens of seconds per new stack, on the critical path of a first deploy.
 * With a human at the prompt, or a stack that exists, dpf keeps making change sets.
 */
import type { ResourceChange } from '../../aws/cloudformation.js';
import { securityChanges } from '../security-diff.js';
import type { Deployment } from './reconcile.js';
import { stackDefinition, type DeployStackResult } from './types.js';
import { watchToEnd } from './finish.js';

/** 'exists': a stack of that name exists after all (CloudFormation refused the CreateStack). */
export async function createDirectly(
  d: Deployment,
  toCreate: ReadonlyArray<{ logicalId: string; resourceType: string }>,
): Promise<DeployStackResult | 'exists'> {
  const { req, deps, tokens, watcher, say } = d;
  const changes: ResourceChange[] = toCreate.map((r) => ({ action: 'Add', logicalId: r.logicalId, resourceType: r.resourceType }));
  const security = securityChanges(changes, req.templateResources);
  // Shown as a --yes run shows a change set before executing it: what is about to be created.
  deps.io.notify({ type: 'changeset', stepId: req.stepId, stackName: req.stackName, changes, ...(security.length ? { security } : {}), source: 'template' });
  // The token is in the ledger before the call: a retry after a lost answer is the same creation.
  await deps.onEvidence?.({ createToken: tokens.create });
  let stackId: string;
  try {
    ({ stackId } = await deps.cfn.createStack({ ...stackDefinition(req), clientRequestToken: tokens.create }));
  } catch (err) {
    if ((err as { name?: string }).name === 'AlreadyExistsException') return 'exists';
    throw err;
  }
  await deps.onEvidence?.({ stackId });
  watcher.forget();
  say(`creating stack (${changes.length} resource(s), no change set: --yes and a new stack)`);
  const { final, outputs, resolved } = await watchToEnd(d);
  return { stackId: final.stackId, status: final.status, changed: true, changes, outputs, outputsResolvedFromResources: resolved, action: 'create' };
}
