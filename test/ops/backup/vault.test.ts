/** Deleting a backup vault with its recovery points (src/ops/backup/vault.ts), on FakeBackup. */
import { describe, it, expect } from 'vitest';
import { deleteVaultAndPoints } from '../../../src/ops/backup/vault.js';
import { FakeBackup } from '../../fakes/fake-backup.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { emulatorSettings, testSettings } from '../../fakes/fake-settings.js';
import type { Settings } from '../../../src/settings.js';

const VAULT = 'dataplatform-dev-vault';
const FS_ARN = 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main';

function harness(settings: Settings = testSettings()) {
  const clock = new FakeClock().autoAdvance();
  const backup = new FakeBackup(clock);
  const progress: string[] = [];
  const ctx = { clock, signal: new AbortController().signal, progress: (m: string) => void progress.push(m), stepId: 'operations.test', settings };
  const point = (o: { status?: string } = {}) => backup.addRecoveryPoint({ created: clock.now(), resourceArn: FS_ARN, vault: VAULT, ...o });
  return { clock, backup, progress, ctx, point };
}

describe('deleteVaultAndPoints', () => {
  it('GIVEN a vault with two recovery points THEN both are deleted and waited for, then the vault; verified gone', async () => {
    const h = harness();
    h.point();
    h.point();
    const r = await deleteVaultAndPoints(h.ctx, h.backup, VAULT);
    expect(r).toEqual({ deleted: [`2 recovery point(s) of vault ${VAULT}`, `backup vault ${VAULT}`], left: [] });
    expect(h.backup.points).toEqual([]);
    expect(h.backup.deletedVaults.has(VAULT)).toBe(true);
    expect(h.progress[0]).toBe(`deleting 2 recovery point(s) of ${VAULT}`);
  });

  it('GIVEN no such vault THEN nothing is deleted and nothing is left', async () => {
    const h = harness();
    h.backup.deletedVaults.add(VAULT);
    expect(await deleteVaultAndPoints(h.ctx, h.backup, VAULT)).toEqual({ deleted: [], left: [] });
    expect(h.backup.calls.map((c) => c.op)).toEqual(['describeVault']);
  });

  it('GIVEN a point the vault lock keeps THEN the others are deleted; the point and the vault are left, each with why', async () => {
    const h = harness();
    h.point();
    h.backup.lockedPoints.add(h.point());
    const r = await deleteVaultAndPoints(h.ctx, h.backup, VAULT);
    expect(r.deleted).toEqual([`1 recovery point(s) of vault ${VAULT}`]);
    expect(r.left).toEqual([
      { resource: expect.stringMatching(/^recovery point arn:aws:backup:/), detail: expect.stringMatching(/^DeleteRecoveryPoint failed: .*locked/) },
      { resource: `backup vault ${VAULT}`, detail: 'not deleted: it still holds the recovery points listed' },
    ]);
    expect(h.backup.calls.some((c) => c.op === 'deleteBackupVault')).toBe(false);
  });

  it('GIVEN points that are still deleting after the wait THEN each is left as still DELETING and the vault is kept', async () => {
    const h = harness();
    h.backup.deleteMs = 3 * 60 * 60_000;
    h.point();
    const r = await deleteVaultAndPoints(h.ctx, h.backup, VAULT, 1);
    expect(r.deleted).toEqual([]);
    expect(r.left).toEqual([
      { resource: expect.stringMatching(/^recovery point /), detail: expect.stringMatching(/^still DELETING: .*still there after 1 min/) },
      { resource: `backup vault ${VAULT}`, detail: 'not deleted: it still holds the recovery points listed' },
    ]);
  });

  it('GIVEN an endpoint without AWS Backup THEN the vault is left, saying so, and nothing is deleted', async () => {
    const h = harness(emulatorSettings());
    h.point();
    h.backup.unavailable = true;
    const r = await deleteVaultAndPoints(h.ctx, h.backup, VAULT);
    expect(r).toEqual({
      deleted: [],
      left: [
        {
          resource: `backup vault ${VAULT}`,
          detail: expect.stringMatching(/^AWS Backup DescribeBackupVault is not available on .*: the vault and its recovery points were not deleted$/),
        },
      ],
    });
    expect(h.backup.points).toHaveLength(1);
  });
});
