/**
 * `dpf destroy`: delete the environment's stacks in reverse order, keeping the data unless
 * asked, and list — never hide — what could not be deleted.
 *
 * Steps (phase 'operations'):
 *   operations.destroy.copies          the databases and file systems dpf made OUTSIDE the stacks
 *                                      for this environment — `dpf restore db|fs` copies
 *                                      (<db>-restore-<stamp>, restored EFS) and what a DR drill
 *                                      left — found by their tags (dpf:env + dpf:operation /
 *                                      dpf:drill / dpf:purpose), their names and the ledger. With
 *                                      --delete-data they are deleted (before the storage stack:
 *                                      they use its DB subnet group and the network's security
 *                                      groups); without, listed as left behind (exit 3) — or as
 *                                      retained when the platform was switched to one (--promote)
 *   operations.destroy.final-snapshot  (data kept) CreateDBSnapshot <db>-final-<stamp>, wait until
 *                                      available — before any stack is deleted; and deletion
 *                                      protection off so the stack can delete the instance (the
 *                                      template's DeletionPolicy Snapshot takes another one: found
 *                                      after the storage stack is gone and recorded as well)
 *   operations.destroy.delete-db       (--delete-data) deletion protection off, delete the instance
 *                                      with no final snapshot, wait until gone
 *   operations.destroy.<phase>         monitoring, identity → storage, compute → network
 *                                      → bootstrap (only with --delete-state): DeleteStack, wait,
 *                                      DELETE_FAILED resources listed; then the world is checked
 *                                      through describe calls (an emulator's stack can vanish while
 *                                      its VPC leaks) and the phase's ledger steps go back to
 *                                      'pending' with evidence.destroyedAt
 * The identity phase also deletes the FreeIPA host keytab secrets (made by the IPA server, not
 * by the stack).
 * Retained on purpose unless --delete-data: data lake and access-log buckets, EFS, KMS key,
 * backup vault, the final snapshots. With --delete-data the buckets are emptied and deleted, the
 * file system deleted, and the backup vault's recovery points and then the vault deleted;
 * whatever could not be deleted is listed (exit 3). The KMS key (dpf has no KMS port; it may
 * still encrypt snapshots) and manual RDS snapshots taken earlier (dpf backup, earlier final
 * snapshots) are kept and listed. A later `destroy --delete-data` after a data-kept destroy
 * deletes the data that destroy retained (its names are in the ledger).
 */
import type { StepDef } from '../../steps/types.js';
import { opStep, type Operation } from '../operation.js';
import { copiesStep } from './copies.js';
import { deleteDbStep, finalSnapshotStep } from './data.js';
import type { DestroyOptions } from './keys.js';
import { AFTER, DESTROY_STEPS } from './keys.js';
import { destroyPhase } from './phase.js';

export function buildDestroySteps(op: Operation, o: DestroyOptions): StepDef[] {
  const steps: StepDef[] = [copiesStep(o)];
  const storage = o.phases.includes('storage');
  let dataStep: string | undefined;
  if (storage) {
    dataStep = o.deleteData ? DESTROY_STEPS.deleteDb : DESTROY_STEPS.finalSnapshot;
    steps.push(o.deleteData ? deleteDbStep() : finalSnapshotStep(op));
  }
  for (const p of o.phases) {
    const deps = AFTER[p].filter((d) => o.phases.includes(d)).map((d) => DESTROY_STEPS.phase(d));
    if (p === 'storage' && dataStep) deps.push(dataStep);
    // Restore copies sit in the storage stack's DB subnet group and the network's security groups.
    if (p === 'storage' || p === 'network') deps.push(DESTROY_STEPS.copies);
    steps.push(
      opStep({
        id: DESTROY_STEPS.phase(p),
        title: `Delete ${p}${p === 'storage' && !o.deleteData ? ' (data kept)' : ''}`,
        kind: 'stack',
        dependsOn: deps,
        input: { stacks: o.stacks[p], deleteData: o.deleteData },
        estimateSeconds: p === 'storage' ? 900 : 300,
        run: (ctx, mine) => destroyPhase(ctx, op, p, o, mine),
      }),
    );
  }
  return steps;
}
