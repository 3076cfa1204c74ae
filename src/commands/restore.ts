/** dpf restore db|fs: restore to a new resource, validate it, switch to it only with --promote (after a confirmation). */
import type { CommandContext } from '../context.js';
import type { Session } from '../session.js';
import { UserError } from '../errors.js';
import { requireDeployed, stepOf, type Operation } from '../ops/operation.js';
import { buildRestoreDbSteps } from '../ops/restore/db.js';
import { buildRestoreFsSteps } from '../ops/restore/fs.js';
import { RESTORE, RESTORE_STEPS, type DbSource } from '../ops/restore/keys.js';
import { runOperation, resumeCommand } from '../ops/runner.js';
import type { Check } from '../ops/report.js';

export interface RestoreDbOptions {
  /** Restore this DB snapshot. */
  snapshot?: string;
  /** Restore to this point in time (ISO 8601). */
  time?: string;
  /** Restore to the latest restorable time. */
  latest?: boolean;
  /** Switch the platform (/<project>/<env>/rds/endpoint) to the copy, after a confirmation. Default false. */
  promote?: boolean;
  /** Abandon an unfinished restore and start a new one. Default false. */
  new?: boolean;
  /** Stop waiting for the copy after this many minutes (it goes on in AWS). Default 120. */
  timeoutMinutes?: number;
}

export function dbSource(o: RestoreDbOptions): DbSource {
  const given = [o.snapshot !== undefined, o.time !== undefined, Boolean(o.latest)].filter(Boolean).length;
  if (given !== 1)
    throw new UserError(
      'RestoreSourceRequired',
      given ? 'Give only one of --snapshot, --time and --latest.' : 'Say what to restore: --snapshot ID, --time ISO-8601 or --latest.',
      {
        hint: 'dpf backup --list shows the snapshots and the latest restorable time.',
      },
    );
  if (o.snapshot !== undefined) return { kind: 'snapshot', snapshotId: o.snapshot };
  if (o.time !== undefined) {
    const t = new Date(o.time);
    if (Number.isNaN(t.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(o.time))
      throw new UserError('BadTime', `--time must be an ISO 8601 time such as 2025-03-01T04:30:00Z, got "${o.time}".`);
    return { kind: 'time', time: t.toISOString() };
  }
  return { kind: 'latest' };
}

function sourceFlag(s: DbSource): string {
  return s.kind === 'snapshot' ? `--snapshot ${s.snapshotId}` : s.kind === 'time' ? `--time ${s.time}` : '--latest';
}

export async function runRestoreDb(opts: RestoreDbOptions, ctx: CommandContext): Promise<void> {
  const source = dbSource(opts);
  const command = `restore db ${sourceFlag(source)}${opts.promote ? ' --promote' : ''}`;
  await runOperation(ctx, {
    kind: 'restore-db',
    command,
    fresh: opts.new,
    async define(session) {
      requireDeployed(session.ledger, session.envName, ['network.stack', 'storage.stack'], 'dpf restore db');
      return { key: sourceFlag(source), params: { source, promote: Boolean(opts.promote) } };
    },
    build: (op, session) => ({
      steps: buildRestoreDbSteps(op, {
        source,
        promote: Boolean(opts.promote),
        timeoutMinutes: opts.timeoutMinutes ?? 120,
        rerun: resumeCommand(ctx, session, command),
      }),
    }),
    summarize(op, session, run) {
      const r = RESTORE.db.of(session.ledger, op);
      const result = {
        type: 'result',
        command: 'restore db',
        operationId: op.id,
        env: session.envName,
        status: run.status,
        source,
        instance: r?.outputs.DbInstanceIdentifier ?? r?.evidence.target,
        endpoint: r?.outputs.Endpoint || undefined,
        restoredFrom: r?.evidence.restoredFrom,
        checks: RESTORE.dbValidate.of(session.ledger, op)?.evidence.checks ?? [],
        promoted: promotedOf(session, op, RESTORE_STEPS.dbPromote),
      };
      return {
        json: result,
        record: {
          instance: result.instance,
          restoredFrom: result.restoredFrom,
          checks: result.checks.map((c) => `${c.name}=${c.status}`),
          promoted: result.promoted,
        },
        lines: [
          `Restored ${result.restoredFrom} as ${result.instance} (${result.endpoint ?? 'no endpoint'}).`,
          ...checkLines(result.checks),
          result.promoted
            ? `Promoted: ${result.promoted.parameter} = ${result.promoted.value} (was ${result.promoted.previous || 'unset'}).`
            : `Not promoted: the platform still uses its own database. Restore and switch in one go with --promote (validated, then asked), or switch to this copy by hand: aws ssm put-parameter --name /${session.envCtx.project}/${session.envName}/rds/endpoint --value ${result.endpoint ?? '<endpoint>'} --overwrite`,
        ],
      };
    },
  });
}

type Promoted = false | { parameter?: string; value?: string; previous?: string };

function promotedOf(session: Session, op: Operation, stepId: string): Promoted {
  const pr = stepOf(session.ledger, op, stepId);
  return pr?.status === 'done' ? { parameter: pr.outputs.Parameter, value: pr.outputs.Value, previous: pr.outputs.Previous } : false;
}

const checkLines = (checks: Check[]) => checks.map((c) => `  ${c.status.padEnd(7)} ${c.name}: ${c.detail}`);

export interface RestoreFsOptions {
  /** The AWS Backup recovery point (ARN) to restore. */
  recoveryPoint: string;
  /** Switch the platform (/<project>/<env>/efs/file-system-id) to the copy, after a confirmation. Default false. */
  promote?: boolean;
  new?: boolean;
  /** Stop waiting for the restore job after this many minutes. Default 240. */
  timeoutMinutes?: number;
}

export async function runRestoreFs(opts: RestoreFsOptions, ctx: CommandContext): Promise<void> {
  // EFS recovery points are AWS Backup ARNs: arn:aws:backup:REGION:ACCOUNT:recovery-point:ID.
  if (!/^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:recovery-point:\S+$/.test(opts.recoveryPoint))
    throw new UserError(
      'BadRecoveryPoint',
      `--recovery-point must be an AWS Backup recovery point ARN (arn:aws:backup:REGION:ACCOUNT:recovery-point:ID), got "${opts.recoveryPoint}".`,
      { hint: 'dpf backup --list shows them.' },
    );
  const command = `restore fs --recovery-point ${opts.recoveryPoint}${opts.promote ? ' --promote' : ''}`;
  await runOperation(ctx, {
    kind: 'restore-fs',
    command,
    fresh: opts.new,
    async define(session) {
      requireDeployed(session.ledger, session.envName, ['network.stack', 'storage.stack'], 'dpf restore fs');
      return { key: opts.recoveryPoint, params: { recoveryPoint: opts.recoveryPoint, promote: Boolean(opts.promote) } };
    },
    build: (op, session) => ({
      steps: buildRestoreFsSteps(op, {
        recoveryPointArn: opts.recoveryPoint,
        promote: Boolean(opts.promote),
        timeoutMinutes: opts.timeoutMinutes ?? 240,
        rerun: resumeCommand(ctx, session, command),
      }),
    }),
    summarize(op, session, run) {
      const result = {
        type: 'result',
        command: 'restore fs',
        operationId: op.id,
        env: session.envName,
        status: run.status,
        recoveryPoint: opts.recoveryPoint,
        fileSystemId: stepOf(session.ledger, op, RESTORE_STEPS.fs)?.outputs.FileSystemId,
        checks: RESTORE.fsValidate.of(session.ledger, op)?.evidence.checks ?? [],
        promoted: promotedOf(session, op, RESTORE_STEPS.fsPromote),
      };
      return {
        json: result,
        record: { fileSystemId: result.fileSystemId, checks: result.checks.map((c) => `${c.name}=${c.status}`), promoted: result.promoted },
        lines: [
          `Restored ${opts.recoveryPoint} into ${result.fileSystemId}.`,
          ...checkLines(result.checks),
          result.promoted ? `Promoted: ${result.promoted.parameter} = ${result.promoted.value}.` : 'Not promoted: the platform still uses its own file system.',
        ],
      };
    },
  });
}
