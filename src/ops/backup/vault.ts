/**
 * Deleting a backup vault with its recovery points ("delete and verify gone"): `dpf destroy`
 * with --delete-data and a drill's teardown of its DR vault.
 */
import type { BackupPort, RecoveryPointInfo } from '../../aws/ops-ports.js';
import type { StepContext } from '../../steps/types.js';
import { unavailableOnEndpoint, waitFor, stepError, endpointName } from '../operation.js';
import { errorMessage } from '../../errors.js';

export interface VaultDeletion {
  /** What was deleted ("12 recovery point(s) of vault v", "backup vault v"). */
  deleted: string[];
  /** What could not be deleted, with the reason (never silently kept). */
  left: Array<{ resource: string; detail: string }>;
}

type Ctx = Pick<StepContext, 'clock' | 'signal' | 'progress' | 'stepId' | 'settings'>;
type Left = VaultDeletion['left'][number];

/**
 * Delete every recovery point of a vault, wait until they are gone (DeleteRecoveryPoint is
 * asynchronous), then the vault; verified with DescribeBackupVault. A vault that does not exist
 * is nothing to do. Whatever could not be deleted is returned in `left` with the reason.
 */
export async function deleteVaultAndPoints(ctx: Ctx, backup: BackupPort, vault: string, waitMinutes = 60): Promise<VaultDeletion> {
  const deleted: string[] = [];
  const found = await vaultPoints(ctx, backup, vault);
  if (!Array.isArray(found)) return { deleted, left: found.left };
  const left = await deletePoints(ctx, backup, vault, found, waitMinutes);
  const gone = found.length - left.length;
  if (gone > 0) deleted.push(`${gone} recovery point(s) of vault ${vault}`);
  if (left.length) {
    left.push({ resource: `backup vault ${vault}`, detail: 'not deleted: it still holds the recovery points listed' });
    return { deleted, left };
  }
  const vaultLeft = await deleteEmptyVault(ctx, backup, vault);
  if (vaultLeft) left.push(vaultLeft);
  else deleted.push(`backup vault ${vault}`);
  return { deleted, left };
}

/** AWS Backup's `what` is not on this endpoint: the vault is left, with why. */
function unavailable(ctx: Ctx, vault: string, what: string, err: unknown): Left {
  return {
    resource: `backup vault ${vault}`,
    detail: `AWS Backup ${what} is not available on ${endpointName(ctx)} (${errorMessage(err).split('\n')[0]}): the vault and its recovery points were not deleted`,
  };
}

/** The vault's recovery points; nothing left to do when there is no vault, the reason when the endpoint cannot say. */
async function vaultPoints(ctx: Ctx, backup: BackupPort, vault: string): Promise<RecoveryPointInfo[] | { left: Left[] }> {
  try {
    if (!(await backup.describeVault(vault))) return { left: [] };
  } catch (err) {
    if (!unavailableOnEndpoint(ctx, err)) throw err;
    return { left: [unavailable(ctx, vault, 'DescribeBackupVault', err)] };
  }
  try {
    return await backup.listRecoveryPoints(vault);
  } catch (err) {
    if (!unavailableOnEndpoint(ctx, err)) throw err;
    return { left: [unavailable(ctx, vault, 'ListRecoveryPointsByBackupVault', err)] };
  }
}

/** DeleteRecoveryPoint for each (one already DELETING is only waited for), then wait until they are gone; the ones that are not, with why. */
async function deletePoints(ctx: Ctx, backup: BackupPort, vault: string, points: RecoveryPointInfo[], waitMinutes: number): Promise<Left[]> {
  const left: Left[] = [];
  const refused = new Set<string>();
  for (const p of points.filter((x) => x.status !== 'DELETING')) {
    try {
      await backup.deleteRecoveryPoint(vault, p.arn);
    } catch (err) {
      refused.add(p.arn);
      left.push({ resource: `recovery point ${p.arn}`, detail: `DeleteRecoveryPoint failed: ${errorMessage(err)}` });
    }
  }
  if (points.length) ctx.progress(`deleting ${points.length - refused.size} recovery point(s) of ${vault}`);
  const remaining = async () => (await backup.listRecoveryPoints(vault)).filter((p) => !refused.has(p.arn));
  try {
    await waitFor(ctx, {
      stepId: ctx.stepId,
      what: `recovery points of ${vault}`,
      read: remaining,
      state: (r) => (r.length ? 'waiting' : 'done'),
      describe: (r) => `${r.length} left`,
      deadline: new Date(ctx.clock.now().getTime() + waitMinutes * 60000),
      onTimeout: (r) => stepError('RecoveryPointsNotDeleted', `${r.length} recovery point(s) of ${vault} are still there after ${waitMinutes} min.`),
      onFailed: () => stepError('RecoveryPointsNotDeleted', `recovery points of ${vault} could not be deleted`),
    });
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') throw err;
    for (const p of await remaining()) left.push({ resource: `recovery point ${p.arn}`, detail: `still ${p.status}: ${errorMessage(err)}` });
  }
  return left;
}

/** DeleteBackupVault, verified with DescribeBackupVault; what is left when it is not gone. */
async function deleteEmptyVault(ctx: Ctx, backup: BackupPort, vault: string): Promise<Left | undefined> {
  try {
    await backup.deleteBackupVault(vault);
  } catch (err) {
    return unavailableOnEndpoint(ctx, err)
      ? unavailable(ctx, vault, 'DeleteBackupVault', err)
      : { resource: `backup vault ${vault}`, detail: `DeleteBackupVault failed: ${errorMessage(err)}` };
  }
  const after = await backup.describeVault(vault);
  return after ? { resource: `backup vault ${vault}`, detail: `still exists after DeleteBackupVault${after.locked ? ' (vault lock)' : ''}` } : undefined;
}
