/**
 * Backup check: the AWS Backup plan exists and the file system has a completed recovery point
 * younger than its RPO (recovery.rpoMinutes.fileSystem); the database can be restored to a point
 * within its RPO (recovery.rpoMinutes.database). With no recent recovery point the check warns
 * and, when allowed to act, offers to start an on-demand backup (a confirmation; without a TTY
 * it only reports).
 */
import type { DbInstanceInfo, OpsPorts, RecoveryPointInfo } from '../aws/ops-ports.js';
import { NotConfirmedError } from '../errors.js';
import type { CheckContext, CheckOutcome, CheckSpec } from './types.js';
import { awsErrorText, combine, couldNotAsk, emulatorGap, type Part } from './common.js';

const minutes = (ms: number) => Math.round(ms / 60_000);

export function ageText(min: number): string {
  return min < 120 ? `${min} min` : min < 48 * 60 ? `${Math.round(min / 60)} h` : `${Math.round(min / 1440)} days`;
}

/** The newest completed recovery point, and whether it is within the RPO. */
export function recoveryPointPart(
  subject: string,
  points: RecoveryPointInfo[],
  now: Date,
  rpoMinutes: number,
): Part & { latest?: RecoveryPointInfo; ageMinutes?: number } {
  const done = points
    .filter((p) => p.status === 'COMPLETED')
    .map((p) => ({ p, at: (p.completed ?? p.created)?.getTime() ?? 0 }))
    .sort((a, b) => b.at - a.at);
  const latest = done[0];
  if (!latest) return { subject, status: 'warn', detail: `no completed recovery point (${points.length} listed)` };
  const age = minutes(now.getTime() - latest.at);
  if (age > rpoMinutes)
    return {
      subject,
      status: 'warn',
      detail: `latest completed recovery point is ${ageText(age)} old, older than the RPO of ${ageText(rpoMinutes)}`,
      latest: latest.p,
      ageMinutes: age,
    };
  return { subject, status: 'pass', detail: `recovery point ${ageText(age)} old (RPO ${ageText(rpoMinutes)})`, latest: latest.p, ageMinutes: age };
}

/** RDS point-in-time recovery: automated backups on and restorable to within the RPO. */
export function databasePart(db: DbInstanceInfo, now: Date, rpoMinutes: number): Part {
  const subject = `RDS ${db.identifier}`;
  if (!db.backupRetentionDays) return { subject, status: 'fail', detail: 'automated backups are off (retention 0)' };
  if (!db.latestRestorableTime)
    return { subject, status: 'warn', detail: `automated backups kept ${db.backupRetentionDays} days, but no restorable time reported yet` };
  const age = minutes(now.getTime() - db.latestRestorableTime.getTime());
  return age > rpoMinutes
    ? { subject, status: 'warn', detail: `latest restorable time ${ageText(age)} ago, more than the RPO of ${ageText(rpoMinutes)}` }
    : { subject, status: 'pass', detail: `restorable to ${ageText(age)} ago (RPO ${ageText(rpoMinutes)}), ${db.backupRetentionDays}-day retention` };
}

async function offerBackup(ctx: CheckContext, vault: string, resourceArn: string, roleArn: string | undefined, why: string): Promise<Record<string, unknown>> {
  if (!ctx.mayAct) return { offered: false, reason: 'check mode' };
  if (!roleArn) return { offered: false, reason: 'the storage stack has no BackupRoleArn output' };
  let yes: boolean;
  try {
    yes = await ctx.io.confirm({
      question: `${why}. Start an on-demand backup of ${resourceArn} into ${vault} now?`,
      stepId: ctx.stepId,
      defaultAnswer: false,
    });
  } catch (err) {
    if (err instanceof NotConfirmedError)
      return { offered: true, started: false, reason: 'no terminal to ask on (run dpf backup, or rerun golive interactively)' };
    throw err;
  }
  if (!yes) return { offered: true, started: false, reason: 'declined' };
  try {
    const jobId = await (await ctx.ops()).backup.startBackupJob(vault, resourceArn, roleArn);
    return { offered: true, started: true, backupJobId: jobId };
  } catch (err) {
    return { offered: true, started: false, reason: `StartBackupJob failed: ${awsErrorText(err)}` };
  }
}

type Evidence = Record<string, unknown>;
type Plan = NonNullable<Awaited<ReturnType<OpsPorts['backup']['describePlan']>>>;

export const backupCheck: CheckSpec = {
  id: 'golive.backup',
  title: 'Backups within their RPO',
  category: 'backup',
  checklist: 'aws-components',
  after: { 'storage.stack': { inspects: 'the backup plan, vault and recovery points it creates' } },
  criterion: 'the AWS Backup plan exists, the file system has a completed recovery point younger than its RPO, and the database is restorable within its RPO',
  estimateSeconds: 5,
  async run(ctx) {
    const s = ctx.outputs('storage.stack');
    const rpo = ctx.env.recovery.rpoMinutes;
    const now = ctx.clock.now();
    const ops = await ctx.ops();
    const evidence: Evidence = {
      rpoMinutes: { fileSystem: rpo.fileSystem, database: rpo.database },
      planId: s.BackupPlanId,
      vault: s.BackupVaultName,
    };
    const parts: Part[] = [await databaseRecovery(ops, s.DbInstanceIdentifier, now, rpo.database, evidence)];
    const stop = (more: Evidence = {}) => combine(parts, { passed: '', nothing: '' }, { ...evidence, ...more });

    const plan = await backupPlan(ctx, ops, s.BackupPlanId, evidence);
    if ('outcome' in plan) return plan.outcome;
    if ('missing' in plan) {
      parts.push(plan.missing);
      return stop();
    }
    evidence.plan = plan.plan;
    if (!s.BackupVaultName || !s.EfsFileSystemId) {
      parts.push({
        subject: 'EFS recovery points',
        status: 'unknown',
        detail: 'the storage stack has no BackupVaultName/EfsFileSystemId output in the ledger',
      });
      return stop();
    }
    const fs = await fileSystemRecovery(
      ctx,
      ops,
      { vault: s.BackupVaultName, fsId: s.EfsFileSystemId, roleArn: s.BackupRoleArn },
      now,
      rpo.fileSystem,
      evidence,
    );
    parts.push(fs.part);
    if (fs.couldNotAsk) return stop(fs.couldNotAsk);
    return combine(
      parts,
      { passed: `backup plan ${plan.plan.name} exists; EFS and RDS recoverable within their RPO`, nothing: '' },
      evidence,
      `Start a backup (dpf backup --env ${ctx.envName}) and check the plan's schedule (${ctx.env.storage.backup.schedule}).`,
    );
  },
};

/** The database's point-in-time recovery against its RPO (its settings into the evidence). */
async function databaseRecovery(ops: OpsPorts, id: string | undefined, now: Date, rpoMinutes: number, evidence: Evidence): Promise<Part> {
  if (!id)
    return {
      subject: 'RDS',
      status: 'unknown',
      detail: "the storage stack has no DbInstanceIdentifier output in the ledger: the database's recoverability was not checked",
    };
  const db = await ops.rds.describeInstance(id);
  if (!db) return { subject: `RDS ${id}`, status: 'fail', detail: 'database does not exist' };
  evidence.database = {
    identifier: db.identifier,
    backupRetentionDays: db.backupRetentionDays,
    latestRestorableTime: db.latestRestorableTime?.toISOString(),
  };
  return databasePart(db, now, rpoMinutes);
}

/** The AWS Backup plan storage.stack made; the part saying there is none, or the outcome when AWS Backup could not be asked. */
async function backupPlan(
  ctx: CheckContext,
  ops: OpsPorts,
  planId: string | undefined,
  evidence: Evidence,
): Promise<{ plan: Plan } | { missing: Part } | { outcome: CheckOutcome }> {
  if (!planId)
    return {
      missing: ctx.emulator
        ? {
            subject: 'AWS Backup plan',
            status: 'unknown',
            detail: `the storage stack has no BackupPlanId output; ${emulatorGap('skips AWS::Backup::BackupPlan in templates', ctx.emulator)}`,
          }
        : { subject: 'AWS Backup plan', status: 'fail', detail: 'the storage stack has no BackupPlanId output: no backup plan was created' },
    };
  let plan;
  try {
    plan = await ops.backup.describePlan(planId);
  } catch (err) {
    return { outcome: couldNotAsk('AWS Backup GetBackupPlan', err, evidence) };
  }
  return plan ? { plan } : { missing: { subject: `AWS Backup plan ${planId}`, status: 'fail', detail: 'the plan does not exist' } };
}

/**
 * The file system's newest completed recovery point against its RPO (into the evidence), with
 * an on-demand backup offered when it is missing or too old; `couldNotAsk` is the evidence of a
 * listing AWS Backup could not answer.
 */
async function fileSystemRecovery(
  ctx: CheckContext,
  ops: OpsPorts,
  t: { vault: string; fsId: string; roleArn?: string },
  now: Date,
  rpoMinutes: number,
  evidence: Evidence,
): Promise<{ part: Part; couldNotAsk?: Evidence }> {
  const fs = (await ops.efs.describeFileSystems(t.fsId))[0];
  const efsArn = fs?.arn ?? `arn:aws:elasticfilesystem:${ctx.region}:${ctx.accountId}:file-system/${t.fsId}`;
  let points: RecoveryPointInfo[];
  try {
    points = await ops.backup.listRecoveryPoints(t.vault, efsArn);
  } catch (err) {
    const out = couldNotAsk(`AWS Backup ListRecoveryPointsByBackupVault (${t.vault})`, err, evidence);
    return { part: { subject: `EFS ${t.fsId}`, status: 'unknown', detail: out.summary }, couldNotAsk: out.evidence };
  }
  const rp = recoveryPointPart(`EFS ${t.fsId}`, points, now, rpoMinutes);
  const part: Part = { subject: rp.subject, status: rp.status, detail: rp.detail };
  evidence.fileSystem = {
    resourceArn: efsArn,
    recoveryPoints: points.length,
    latest: rp.latest ? { arn: rp.latest.arn, completed: (rp.latest.completed ?? rp.latest.created)?.toISOString(), ageMinutes: rp.ageMinutes } : null,
  };
  if (rp.status !== 'warn') return { part };
  const offer = await offerBackup(ctx, t.vault, efsArn, t.roleArn, `EFS ${t.fsId}: ${rp.detail}`);
  evidence.onDemandBackup = offer;
  if (offer.started) part.detail = `${rp.detail}; started backup job ${String(offer.backupJobId)} — rerun golive once it completes`;
  return { part };
}
