/** What a destroy would delete: the phases whose stacks exist, in order, and the data an earlier destroy kept. */
import type { AwsPorts } from '../../aws/ports.js';
import type { CloudFormationPort } from '../../aws/cloudformation.js';
import type { EnvContext, DeployPhase } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { stackName } from '../../steps/kinds/stack.js';
import { buildSteps } from '../../steps/phases.js';
import type { DpfCopy } from './copies.js';
import { findCopies, platformData } from './copies.js';
import { DESTROY_ORDER, PHASE_STEP } from './keys.js';

/** The stacks dpf knows for each phase: names recorded in the ledger, and the derived names. */
export function knownStacks(ledger: Ledger, envCtx: Pick<EnvContext, 'project' | 'name'>): Partial<Record<DeployPhase, string[]>> {
  const out: Partial<Record<DeployPhase, string[]>> = {};
  // Within a phase, the stacks deployed last are deleted first (the dns stack's records before the identity stack's zone).
  const deployOrder = buildSteps().map((s) => s.id);
  const later = (id: string) => deployOrder.indexOf(id);
  for (const p of DESTROY_ORDER) {
    // A stack in another region (the DR vault) is reported as kept, not deleted here.
    const recorded = Object.values(ledger.data.steps)
      .filter((s) => s.phase === p && typeof s.evidence.stackName === 'string' && s.evidence.region === undefined)
      .sort((a, b) => later(b.id) - later(a.id))
      .map((s) => s.evidence.stackName as string);
    out[p] = [...new Set([...recorded, stackName(envCtx, p)])];
  }
  return out;
}

/** Which phases have a stack that exists, or steps the ledger does not show as pending. */
export async function phasesToDestroy(
  cfn: CloudFormationPort,
  ledger: Ledger,
  stacks: Partial<Record<DeployPhase, string[]>>,
  deleteState: boolean,
): Promise<DeployPhase[]> {
  const out: DeployPhase[] = [];
  for (const p of DESTROY_ORDER) {
    if (p === 'bootstrap' && !deleteState) continue;
    const inLedger = Object.values(ledger.data.steps).some((s) => s.phase === p && s.status !== 'pending');
    let exists = false;
    for (const s of stacks[p] ?? []) if (await cfn.describeStack(s)) exists = true;
    if (inLedger || exists) out.push(p);
  }
  return out;
}

/**
 * The storage outputs of an earlier destroy that kept the data, if any of it was retained: what a
 * later `destroy --delete-data` must delete although no stack is left.
 */
export function retainedData(ledger: Ledger): Record<string, string> | undefined {
  const r = PHASE_STEP('storage').latest(ledger);
  const outputs = r?.evidence.outputs;
  const leftovers = r?.evidence.leftovers ?? [];
  if (r?.status !== 'done' || !outputs || !leftovers.some((l) => l.retained || /^(bucket|EFS|backup vault|recovery point) /.test(l.resource))) return undefined;
  return outputs;
}

export interface DestroyPlan {
  phases: DeployPhase[];
  stacks: Partial<Record<DeployPhase, string[]>>;
  /** The data an earlier destroy kept (deleted by a later --delete-data). */
  retained?: Record<string, string>;
  /** Databases and file systems dpf restored outside the stacks (the step looks again when it runs). */
  copies: DpfCopy[];
}

/** What a destroy would delete: the phases whose stacks exist, the retained data, the copies outside the stacks. */
export async function planDestroy(aws: AwsPorts, ledger: Ledger, envCtx: EnvContext, o: { deleteData: boolean; deleteState: boolean }): Promise<DestroyPlan> {
  const stacks = knownStacks(ledger, envCtx);
  let phases = await phasesToDestroy(await aws.cfn(), ledger, stacks, o.deleteState);
  // The data an earlier destroy kept is deleted by a later --delete-data, although no stack is left.
  const retained = o.deleteData && !phases.includes('storage') ? retainedData(ledger) : undefined;
  if (retained) phases = DESTROY_ORDER.filter((p) => p === 'storage' || phases.includes(p));
  const copies = await findCopies(await aws.ops(), ledger, envCtx, platformData(ledger, envCtx, retained));
  return { phases, stacks, retained, copies };
}
