/**
 * What can be restored against the RPO (src/ops/backup/listing.ts), through `dpf backup --list`
 * on fakes: RPO database 15 min, file system 24 h (the defaults).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { world, type World } from '../helpers.js';
import { runBackup } from '../../../src/commands/backup.js';

const FS_ARN = 'arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/fs-main';
const VAULT = 'dataplatform-dev-vault';
const H = 60 * 60_000;

let w: World;
afterEach(() => w?.cleanup());

async function list(): Promise<Record<string, any>> {
  await runBackup({ list: true }, w.ctx({ json: true }));
  return JSON.parse(w.out.at(-1)!);
}

describe('dpf backup --list', () => {
  it('GIVEN point-in-time restore 5 min behind and an EFS point 2 h old THEN both within RPO, newest first', async () => {
    w = world();
    const now = w.clock.now().getTime();
    w.backup.addRecoveryPoint({ created: new Date(now - 30 * H), resourceArn: FS_ARN, vault: VAULT });
    const newest = w.backup.addRecoveryPoint({ created: new Date(now - 2 * H), resourceArn: FS_ARN, vault: VAULT });
    const r = await list();
    expect(r.database).toMatchObject({ instance: 'dataplatform-dev-metadata', newestAgeSeconds: 300, rpoTargetSeconds: 900, withinRpo: true });
    expect(r.fileSystem).toMatchObject({
      fileSystemId: 'fs-main',
      vault: VAULT,
      available: true,
      newestAgeSeconds: 7200,
      rpoTargetSeconds: 86400,
      withinRpo: true,
    });
    expect(r.fileSystem.points.map((p: { arn: string }) => p.arn)[0]).toBe(newest);
  });

  it.each([
    ['only a point older than the RPO', [{ ageH: 30, status: 'COMPLETED' }], { withinRpo: false, newestAgeSeconds: 30 * 3600 }],
    ['no completed point', [{ ageH: 1, status: 'PARTIAL' }], { withinRpo: false, newestAgeSeconds: null, reason: 'no completed recovery point in the vault' }],
    ['no point at all', [], { withinRpo: false, newestAgeSeconds: null }],
  ])('GIVEN %s THEN the file system is OUTSIDE its RPO', async (_what, points, want) => {
    w = world();
    const now = w.clock.now().getTime();
    for (const p of points) w.backup.addRecoveryPoint({ created: new Date(now - p.ageH * H), resourceArn: FS_ARN, vault: VAULT, status: p.status });
    const r = await list();
    expect(r.fileSystem).toMatchObject({ available: true, ...want });
  });

  it('GIVEN an endpoint without AWS Backup THEN the file system is "not available" with the reason; the database is still listed', async () => {
    w = world();
    w.backup.unavailable = true;
    const r = await list();
    expect(r.fileSystem).toMatchObject({
      available: false,
      withinRpo: null,
      reason: expect.stringContaining('ListRecoveryPointsByBackupVault is not available'),
    });
    expect(r.database.withinRpo).toBe(true);
  });
});
