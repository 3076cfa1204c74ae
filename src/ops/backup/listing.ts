/**
 * What can be restored, and how old the newest of it is against the RPO targets: the database's
 * snapshots and point-in-time window, the file system's recovery points. `dpf backup --list`
 * and the recovery-points step of `dpf backup`.
 */
import type { OpsPorts, RecoveryPointInfo } from '../../aws/ops-ports.js';
import type { EnvContext, StepContext, StepDef } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { opStep, optionalOutput, unavailableOnEndpoint, endpointName, noVaultReason } from '../operation.js';
import { errorMessage } from '../../errors.js';
import { fmt } from '../rto-rpo.js';
import { BACKUP_STEPS, dbIdentifier, efsArn, type RecoveryListing } from './keys.js';

export function recoveryPointsStep(): StepDef {
  return opStep({
    id: BACKUP_STEPS.points,
    title: 'Recovery points and their age against the RPO',
    dependsOn: [BACKUP_STEPS.rds, BACKUP_STEPS.efs],
    estimateSeconds: 5,
    async run(ctx) {
      const listing = await listRecoveryPoints(await ctx.aws.ops(), ctx.ledger, ctx.envCtx, ctx.clock.now(), ctx);
      for (const line of recoverySummaryLines(listing)) ctx.progress(line);
      return {
        changed: false,
        summary: recoverySummaryLines(listing).slice(0, 2).join('; '),
        outputs: { DatabaseWithinRpo: String(listing.database.withinRpo), FileSystemWithinRpo: String(listing.fileSystem.withinRpo) },
        evidence: { listing },
      };
    },
  });
}

const age = (now: Date, t?: Date) => (t ? Math.max(0, Math.round((now.getTime() - t.getTime()) / 1000)) : undefined);

const newestFirst = <T extends { created?: Date }>(xs: T[]): T[] => [...xs].sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));

export async function listRecoveryPoints(
  ops: OpsPorts,
  ledger: Ledger,
  envCtx: EnvContext,
  now: Date,
  ctx: Pick<StepContext, 'settings'>,
): Promise<RecoveryListing> {
  const rec = envCtx.env.recovery;
  const database = await databasePoints(ops, dbIdentifier(ledger), now, rec.rpoMinutes.database * 60);
  const fileSystem = await fileSystemPoints(ops, ledger, envCtx, now, rec.rpoMinutes.fileSystem * 60, ctx);
  return { at: now.toISOString(), database, fileSystem };
}

/** The database's snapshots, newest first, and its newest restorable point (PITR or an available snapshot). */
async function databasePoints(ops: OpsPorts, db: string | undefined, now: Date, rpoTargetSeconds: number): Promise<RecoveryListing['database']> {
  const database: RecoveryListing['database'] = { instance: db, snapshots: [], newestAgeSeconds: null, rpoTargetSeconds, withinRpo: null };
  if (!db) {
    database.note = 'no DbInstanceIdentifier in the ledger';
    return database;
  }
  const [inst, snaps] = await Promise.all([ops.rds.describeInstance(db), ops.rds.describeSnapshots({ instance: db })]);
  const sorted = newestFirst(snaps);
  database.snapshots = sorted.map((s) => ({
    id: s.identifier,
    type: s.type,
    status: s.status,
    created: s.created?.toISOString(),
    ageSeconds: age(now, s.created),
  }));
  database.latestRestorableTime = inst?.latestRestorableTime?.toISOString();
  if (!inst) database.note = `instance ${db} not found`;
  const candidates = [inst?.latestRestorableTime, ...sorted.filter((s) => s.status === 'available').map((s) => s.created)].filter((d): d is Date => Boolean(d));
  const newest = candidates.sort((a, b) => b.getTime() - a.getTime())[0];
  database.newestAgeSeconds = age(now, newest) ?? null;
  database.withinRpo = database.newestAgeSeconds === null ? false : database.newestAgeSeconds <= database.rpoTargetSeconds;
  return database;
}

/** The file system's recovery points in the platform's vault, newest first; the reason when there are none to list. */
async function fileSystemPoints(
  ops: OpsPorts,
  ledger: Ledger,
  envCtx: EnvContext,
  now: Date,
  rpoTargetSeconds: number,
  ctx: Pick<StepContext, 'settings'>,
): Promise<RecoveryListing['fileSystem']> {
  const fsId = optionalOutput(ledger, 'storage.stack', 'EfsFileSystemId');
  const vault = optionalOutput(ledger, 'storage.stack', 'BackupVaultName');
  const fileSystem: RecoveryListing['fileSystem'] = {
    fileSystemId: fsId,
    vault,
    available: false,
    points: [],
    newestAgeSeconds: null,
    rpoTargetSeconds,
    withinRpo: null,
  };
  if (!fsId) fileSystem.reason = 'no EfsFileSystemId in the ledger';
  else if (!vault) fileSystem.reason = noVaultReason(ctx, 'BackupVaultName');
  else {
    try {
      const pts: RecoveryPointInfo[] = await ops.backup.listRecoveryPoints(vault, efsArn(envCtx, fsId));
      fileSystem.available = true;
      const sorted = newestFirst(pts);
      fileSystem.points = sorted.map((p) => ({ arn: p.arn, status: p.status, created: p.created?.toISOString(), ageSeconds: age(now, p.created) }));
      const newest = sorted.find((p) => p.status === 'COMPLETED');
      fileSystem.newestAgeSeconds = age(now, newest?.created) ?? null;
      fileSystem.withinRpo = fileSystem.newestAgeSeconds === null ? false : fileSystem.newestAgeSeconds <= fileSystem.rpoTargetSeconds;
      if (!newest) fileSystem.reason = 'no completed recovery point in the vault';
    } catch (err) {
      if (!unavailableOnEndpoint(ctx, err)) throw err;
      fileSystem.reason = `AWS Backup ListRecoveryPointsByBackupVault is not available on ${endpointName(ctx)} (${errorMessage(err).split('\n')[0]})`;
    }
  }
  return fileSystem;
}

export function recoverySummaryLines(l: RecoveryListing): string[] {
  const d = l.database;
  const f = l.fileSystem;
  const verdict = (w: boolean | null) => (w === true ? 'within RPO' : w === false ? 'OUTSIDE RPO' : 'unknown');
  return [
    `database ${d.instance ?? '?'}: newest restorable point ${d.newestAgeSeconds === null ? 'none' : `${fmt(d.newestAgeSeconds)} old`} (target ${fmt(d.rpoTargetSeconds)}): ${verdict(d.withinRpo)}; ${d.snapshots.length} snapshot(s)${d.latestRestorableTime ? `, point-in-time restore to ${d.latestRestorableTime}` : ''}`,
    `file system ${f.fileSystemId ?? '?'}: ${f.available ? `${f.points.length} recovery point(s), newest ${f.newestAgeSeconds === null ? 'none' : `${fmt(f.newestAgeSeconds)} old`} (target ${fmt(f.rpoTargetSeconds)}): ${verdict(f.withinRpo)}` : `not available: ${f.reason}`}`,
  ];
}
