/** One phase destroyed: its stacks deleted (one stack deletion, src/ops/reap.ts), what they made outside checked. */
import type { OpsPorts } from '../../aws/ops-ports.js';
import type { EnvContext, StepContext, DeployPhase } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { errorMessage } from '../../errors.js';
import { stepError, type Operation } from '../operation.js';
import { deleteStack } from '../reap.js';
import { deleteData, finalSnapshotsOf } from './data.js';
import type { DestroyOptions, Leftover } from './keys.js';
import { COPIES_STEP, dbIdentifierOf } from './keys.js';
import { checkLeftovers } from './leftovers.js';

export async function destroyPhase(ctx: StepContext, op: Operation, p: DeployPhase, o: DestroyOptions, mine: Record<string, unknown>) {
  const cfn = await ctx.aws.cfn();
  const ops = await ctx.aws.ops();
  // What the checks after deletion need, saved before the ledger forgets the phase's outputs
  // (or, for data an earlier destroy kept, what that destroy recorded).
  const outputs: Record<string, string> = (mine.outputs as Record<string, string> | undefined) ?? { ...o.retained?.[p], ...collectOutputs(ctx.ledger, p) };
  await ctx.evidence({ outputs });
  const deleted: string[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  for (const name of o.stacks[p] ?? []) {
    const r = await deleteStack(ctx, cfn, name, { hint: `Rerun dpf destroy --env ${ctx.envCtx.name} to keep waiting.` });
    notes.push(...r.notes);
    if (r.existed && r.gone) deleted.push(name);
    else failures.push(...r.problems);
  }
  const copiesLeft = (COPIES_STEP.of(ctx.ledger, op)?.evidence.leftovers ?? []).map((l) => l.resource);
  if (failures.length && copiesLeft.length && (p === 'storage' || p === 'network'))
    failures.push(
      `  still using the ${p === 'storage' ? 'DB subnet group' : 'security groups and subnets'}, perhaps: ${copiesLeft.join(', ')} (made by dpf outside the stacks; dpf destroy --delete-data deletes them)`,
    );
  if (failures.length)
    throw stepError('StackDeleteFailed', `CloudFormation could not delete the ${p} stack.`, {
      details: failures,
      hint: `Delete or detach the resources named above (or retain them: aws cloudformation delete-stack --stack-name NAME --retain-resources ID…), then rerun: dpf destroy --env ${ctx.envCtx.name}`,
    });

  const failedDeletes: Leftover[] = [];
  if (p === 'storage' && o.deleteData) failedDeletes.push(...(await deleteData(ctx, ops, outputs, deleted)));
  if (p === 'identity') failedDeletes.push(...(await deleteHostKeytabs(ctx, ops, deleted)));
  // The snapshots this destroy left: its own final one and the one CloudFormation took
  // (DeletionPolicy Snapshot), recorded by id.
  const finalSnapshots = p === 'storage' && !o.deleteData ? await finalSnapshotsOf(ops, outputs.DbInstanceIdentifier ?? dbIdentifierOf(ctx, mine), op) : [];
  if (p === 'bootstrap' && o.deleteState) {
    const bucket = outputs.StateBucketName;
    if (bucket) {
      ctx.progress(`emptying and deleting the state bucket ${bucket} (--delete-state; the local ledger stays)`);
      await ops.buckets.emptyAndDelete(bucket);
      deleted.push(`bucket ${bucket}`);
    }
  }
  const checked = await checkLeftovers(ctx, ops, p, outputs, o);
  const leftovers = [...failedDeletes, ...checked.filter((c) => !failedDeletes.some((f) => f.resource === c.resource))];
  const leaked = leftovers.filter((l) => !l.retained);
  for (const l of leaked) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `left behind: ${l.resource} — ${l.detail}` });
  for (const l of leftovers.filter((x) => x.retained)) ctx.io.notify({ type: 'info', stepId: ctx.stepId, message: `retained: ${l.resource} — ${l.detail}` });

  // The ledger: the phase is no longer deployed (the engine resets its records when this step is done).
  // Go-live checks describe a platform that no longer exists once its network is gone.
  const now = ctx.clock.now().toISOString();
  const stale = Object.values(ctx.ledger.data.steps).filter((x) => x.phase === p || (p === 'network' && x.phase === 'golive'));
  return {
    resets: { steps: stale.map((s) => s.id), evidence: { destroyedAt: now, destroyedBy: op.id, leftovers: leaked.map((l) => l.resource) } },
    changed: deleted.length > 0,
    summary: `${deleted.length ? `deleted ${deleted.join(', ')}` : 'nothing to delete'}${leaked.length ? `; ${leaked.length} LEFT BEHIND` : ''}${leftovers.length - leaked.length ? `; ${leftovers.length - leaked.length} retained` : ''}`,
    outputs: { Leaked: String(leaked.length), ...(finalSnapshots.length ? { FinalSnapshots: finalSnapshots.join(',') } : {}) },
    evidence: { outputs, deleted, leftovers, notes, destroyedAt: now, ...(finalSnapshots.length ? { finalSnapshots } : {}) },
  };
}

export function collectOutputs(ledger: Ledger, p: DeployPhase): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of Object.values(ledger.data.steps).filter((x) => x.phase === p)) Object.assign(out, s.outputs);
  return out;
}

/** Manual snapshots of the database taken since this destroy started (its own and CloudFormation's), oldest first. */
export function hostKeytabPrefix(envCtx: Pick<EnvContext, 'project' | 'name'>): string {
  return `${envCtx.project}/${envCtx.name}/freeipa/host-keytab/`;
}

export async function deleteHostKeytabs(ctx: StepContext, ops: OpsPorts, deleted: string[]): Promise<Leftover[]> {
  const prefix = hostKeytabPrefix(ctx.envCtx);
  let names: string[];
  try {
    names = await ops.secrets.listSecretNames(prefix);
  } catch (err) {
    return [
      {
        resource: `secrets ${prefix}*`,
        retained: false,
        detail: `could not list them: ${errorMessage(err)} (aws secretsmanager list-secrets --filters Key=name,Values=${prefix})`,
      },
    ];
  }
  const left: Leftover[] = [];
  for (const name of names) {
    try {
      await ops.secrets.deleteSecretNow(name);
      deleted.push(`secret ${name}`);
    } catch (err) {
      left.push({ resource: `secret ${name}`, retained: false, detail: `DeleteSecret failed: ${errorMessage(err)}` });
    }
  }
  return left;
}
