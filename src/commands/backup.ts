/** dpf backup: on-demand RDS snapshot + EFS backup job in parallel, then recovery points vs RPO; --list lists only. */
import type { CommandContext } from '../context.js';
import { openSession } from '../session.js';
import { requireDeployed, stepOf } from '../ops/operation.js';
import { buildBackupSteps } from '../ops/backup/build.js';
import { BACKUP_STEPS, POINTS_STEP, type RecoveryListing } from '../ops/backup/keys.js';
import { listRecoveryPoints, recoverySummaryLines } from '../ops/backup/listing.js';
import { runOperation, printResult } from '../ops/runner.js';
import { fmt } from '../ops/rto-rpo.js';

export interface BackupOptions {
  /** Only list recovery points and their age against the RPO; take no backup, no lock. Default false. */
  list?: boolean;
  /** Abandon an unfinished backup and start a new one. Default false. */
  new?: boolean;
  /** Stop waiting for a snapshot / backup job after this many minutes. Default 120. */
  timeoutMinutes?: number;
}

export async function runBackup(opts: BackupOptions, ctx: CommandContext): Promise<void> {
  if (opts.list) return listBackups(ctx);
  await runOperation(ctx, {
    kind: 'backup',
    command: 'backup',
    fresh: opts.new,
    async define(session) {
      requireDeployed(session.ledger, session.envName, ['storage.stack'], 'dpf backup');
      return { key: '', params: {} };
    },
    build: (op) => ({ steps: buildBackupSteps(op, { timeoutMinutes: opts.timeoutMinutes ?? 120 }) }),
    summarize(op, session, run) {
      const rds = stepOf(session.ledger, op, BACKUP_STEPS.rds);
      const efs = stepOf(session.ledger, op, BACKUP_STEPS.efs);
      const listing = POINTS_STEP.of(session.ledger, op)?.evidence.listing;
      const result = {
        type: 'result',
        command: 'backup',
        operationId: op.id,
        env: session.envName,
        status: run.status,
        database: { snapshotId: rds?.outputs.SnapshotId, status: rds?.status, created: rds?.outputs.SnapshotCreated },
        fileSystem: {
          status: efs?.outputs.Status ?? efs?.status,
          reason: efs?.outputs.Reason,
          recoveryPointArn: efs?.outputs.RecoveryPointArn || undefined,
          jobId: efs?.outputs.JobId,
        },
        recoveryPoints: listing,
      };
      return {
        json: result,
        record: {
          database: result.database,
          fileSystem: result.fileSystem,
          databaseWithinRpo: listing?.database.withinRpo,
          fileSystemWithinRpo: listing?.fileSystem.withinRpo,
        },
        lines: [
          `Backup ${op.id} of ${session.envName}:`,
          `  database     snapshot ${result.database.snapshotId} available`,
          `  file system  ${result.fileSystem.status === 'completed' ? `recovery point ${result.fileSystem.recoveryPointArn}` : `NOT backed up: ${result.fileSystem.reason ?? result.fileSystem.status}`}`,
          ...(listing ? listingLines(listing) : []),
        ],
      };
    },
  });
}

/** --list: recovery points and their age against the RPO; no operation, no lock. */
async function listBackups(ctx: CommandContext): Promise<void> {
  const session = await openSession(ctx, { command: 'backup --list', lock: false });
  try {
    requireDeployed(session.ledger, session.envName, ['storage.stack'], 'dpf backup');
    const listing = await listRecoveryPoints(await session.aws.ops(), session.ledger, session.envCtx, ctx.clock.now(), ctx);
    printResult(ctx, { type: 'result', command: 'backup --list', env: session.envName, ...listing }, listingLines(listing));
  } finally {
    await session.close();
  }
}

function listingLines(l: RecoveryListing): string[] {
  const lines = ['Recovery points:', ...recoverySummaryLines(l).map((x) => `  ${x}`)];
  for (const s of l.database.snapshots.slice(0, 10))
    lines.push(`    ${s.id.padEnd(50)} ${String(s.type ?? '').padEnd(9)} ${s.status.padEnd(10)} ${s.created ?? '?'} (${fmt(s.ageSeconds ?? null)} old)`);
  for (const p of l.fileSystem.points.slice(0, 10)) lines.push(`    ${p.arn} ${p.status} ${p.created ?? '?'} (${fmt(p.ageSeconds ?? null)} old)`);
  return lines;
}
