/**
 * `dpf backup` end to end on fakes (test/ops/helpers.ts): src/ops/backup/build.ts and its steps
 * (snapshot.ts, efs-job.ts, listing.ts).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { world, type World, fails } from '../helpers.js';
import { runBackup } from '../../../src/commands/backup.js';
import { ExitCode } from '../../../src/errors.js';

let w: World;
afterEach(() => w?.cleanup());

describe('dpf backup', () => {
  it('GIVEN AWS (no emulator) and a storage stack without a vault output THEN the backup fails (exit 3): EFS not backed up is never a success', async () => {
    w = world();
    const l = await w.ledger();
    await l.updateStep('storage.stack', 'storage', { outputs: { ...l.outputs('storage.stack'), BackupVaultName: '' } }, w.clock.now());
    const err = await fails(runBackup({}, w.ctx()));
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.details.join(' ') + err.message).toMatch(/operations\.backup\.efs-backup/);
    const step = (await w.ledger()).get('operations.backup.efs-backup')!;
    expect(step.status).toBe('failed');
    expect(step.error?.message).toMatch(/NOT backed up: the ledger has no BackupVaultName/);
    expect(w.backup.calls.some((c) => c.op === 'startBackupJob')).toBe(false);
  });

  it('GIVEN AWS Backup is unavailable THEN the RDS snapshot is still taken and EFS says "not available"', async () => {
    w = world();
    w.backup.unavailable = true;
    await runBackup({}, w.ctx({ json: true }));
    const r = JSON.parse(w.out.at(-1)!);
    expect(r.database.snapshotId).toMatch(/^dataplatform-dev-metadata-dpf-\d{14}$/);
    expect(r.fileSystem).toMatchObject({ status: 'unavailable' });
    expect(r.fileSystem.reason).toContain('not available');
  });
});
