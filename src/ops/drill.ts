/**
 * `dpf dr-drill`: restore the platform's data into an isolated copy, validate it, measure the
 * achieved RTO and RPO against the targets, write a report, and tear the copy down.
 *
 * Two runs of steps per drill, so teardown happens even when the drill itself fails:
 *   main    operations.drill.canary      a row in the database and a file on EFS (SSM, a worker)
 *           operations.drill.isolate     own security group in the VPC: no ingress, egress revoked
 *           operations.drill.restore-db  point-in-time restore to the latest restorable time, with
 *                                        the platform's subnet + parameter group and the drill group
 *           operations.drill.restore-fs  EFS from its latest recovery point (AWS Backup)
 *           operations.drill.dr-source   (scope full) the newest available DB snapshot at drill start,
 *                                        or an on-demand one (<name>-src) when there is none
 *           operations.drill.dr-region   (scope full) network + storage stacks in recovery.drRegion
 *           operations.drill.dr-data     (scope full) CopyDBSnapshot into the DR region (encrypted with
 *                                        the DR storage stack's KMS key, or recovery.drKmsKeyArn),
 *                                        restore it into the DR network with an isolated group,
 *                                        validate it there: the DR-region database's RTO and RPO
 *           operations.drill.validate    the copies' checks; canary covered by the restore point
 *                                        (independent of the DR region: its wait is not in their RTO)
 *   finish  operations.drill.teardown    delete every drill resource (kept with --keep), verify
 *           operations.drill.report      RTO/RPO per store, Markdown + JSON, upload
 * Every drill resource is named <project>-<env>-drill-<stamp>[-db|-src|-dr|-dr-db]: a resumed or
 * --teardown run finds them from the operation's stamp even when its evidence was lost.
 *
 * Caps: maxCostUsd is checked before anything starts (estimateDrillCost); maxMinutes is the
 * deadline of every wait in the main run — past it the drill aborts and is torn down.
 *
 * Isolation and the canary: no production group may reach the drill copies, so nothing reads
 * the canary row from the copy. What is verified is that the restore point covers the canary's
 * write time (a point-in-time restore contains every committed write before it). For EFS, the
 * latest recovery point predates a canary written at drill start by design (daily backups);
 * the file system's RPO is what measures that gap.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AwsPorts } from '../aws/ports.js';
import type { DbSnapshotInfo, OpsPorts, RecoveryPointInfo } from '../aws/ops-ports.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { EnvContext, StepContext, StepDef, StepResult } from '../steps/types.js';
import type { Ledger } from '../state/ledger.js';
import { errorMessage } from '../errors.js';
import { pollUntil } from '../wait.js';
import { opStep, optionalOutput, stepOf, unavailableOnEndpoint, waitFor, stepError, endpointName, minutes, noVaultReason, type Operation } from './operation.js';
import { anyWorker, runShell } from './health.js';
import { drRecorded, drStackSteps } from './drill/dr-stacks.js';
import { deleteFileSystem, deleteSecurityGroup, deleteStack } from './reap.js';
import { platformDb, waitDbAvailable, dbCopyChecks, fsCopyChecks, fileSystemIdOf, restoreTags, tagRestoredFileSystem } from './restore.js';
import { efsArn, deleteVaultAndPoints } from './backup.js';
import { measureStore, overallPassed, fmt, type StoreResult } from './rto-rpo.js';
import { renderHtml, renderMarkdown, verdictText, type Check, type CheckStatus, type DrillResult } from './report.js';

export const DRILL_STEPS = {
  canary: 'operations.drill.canary',
  isolate: 'operations.drill.isolate',
  restoreDb: 'operations.drill.restore-db',
  restoreFs: 'operations.drill.restore-fs',
  drSource: 'operations.drill.dr-source',
  drRegion: 'operations.drill.dr-region',
  drData: 'operations.drill.dr-data',
  validate: 'operations.drill.validate',
  teardown: 'operations.drill.teardown',
  report: 'operations.drill.report',
} as const;

export type DrillScope = 'restore' | 'full';

export interface DrillOptions {
  scope: DrillScope;
  keep: boolean;
}

export interface DrillDeps {
  /** Where reports/<env>/ is written (the config file's folder). */
  reportDir: string;
  /** The environment drilled (its DR copy is named after it). */
  envName: string;
  /** Ports in recovery.drRegion (scope full). */
  drAws?: AwsPorts;
  drRegion?: string;
}

export function drillName(e: Pick<EnvContext, 'project' | 'name'>, stamp: string): string {
  return `${e.project}-${e.name}-drill-${stamp}`;
}

/** The environment name the DR-region stacks get (the templates allow 16 characters). */
export function drEnvName(env: string, stamp: string): string {
  return `${env.slice(0, 6).replace(/-+$/, '')}-d${stamp.slice(4, 12)}`;
}

// ---------- cost ----------

/** On-demand USD per hour (us-east-1, single-AZ PostgreSQL), rounded up. Unknown classes are priced high on purpose. */
export const DB_PRICE_PER_HOUR: Record<string, number> = {
  'db.t3.micro': 0.018, 'db.t3.small': 0.036, 'db.t3.medium': 0.073, 'db.t3.large': 0.146, 'db.t3.xlarge': 0.292,
  'db.t4g.micro': 0.016, 'db.t4g.small': 0.032, 'db.t4g.medium': 0.065, 'db.t4g.large': 0.129,
  'db.m5.large': 0.178, 'db.m5.xlarge': 0.356, 'db.m5.2xlarge': 0.712, 'db.m6g.large': 0.159, 'db.m6i.large': 0.178,
  'db.r5.large': 0.25, 'db.r5.xlarge': 0.5, 'db.r6g.large': 0.225,
};
export const UNKNOWN_DB_PRICE = 1.0;
const GP_STORAGE_GB_MONTH = 0.115;
const NAT_PER_HOUR = 0.045;
const EFS_RESTORE_PER_GB = 0.02;
const CROSS_REGION_PER_GB = 0.02;

export interface CostEstimate {
  usd: number;
  lines: string[];
}

/** What the drill costs at most, running for its whole time cap (instance-hours × prices). */
export function estimateDrillCost(env: EnvironmentConfig, scope: DrillScope, efsBytes = 0): CostEstimate {
  const hours = env.recovery.drill.maxMinutes / 60;
  const rds = env.storage.rds;
  const known = DB_PRICE_PER_HOUR[rds.instanceClass];
  const dbHour = (known ?? UNKNOWN_DB_PRICE) * (rds.multiAz ? 2 : 1);
  const storageHour = (rds.allocatedStorageGb * GP_STORAGE_GB_MONTH) / 730;
  const lines: string[] = [];
  let usd = 0;
  const add = (what: string, v: number) => {
    usd += v;
    lines.push(`${what}: ${v.toFixed(2)} USD`);
  };
  add(`drill DB ${rds.instanceClass}${rds.multiAz ? ' Multi-AZ' : ''} × ${hours.toFixed(2)} h${known === undefined ? ' (class not in the price table: priced at 1 USD/h)' : ''}`, dbHour * hours);
  add(`drill DB storage ${rds.allocatedStorageGb} GB × ${hours.toFixed(2)} h`, storageHour * hours);
  const gb = efsBytes / 1e9;
  add(`EFS restore ${gb.toFixed(1)} GB`, gb * EFS_RESTORE_PER_GB);
  if (scope === 'full') {
    add(`DR region: DB of the storage stack ${rds.instanceClass} × ${hours.toFixed(2)} h`, dbHour * hours);
    add(`DR region: DB restored from the copied snapshot ${rds.instanceClass} × ${hours.toFixed(2)} h`, (dbHour + storageHour) * hours);
    add(`DR region: snapshot copy ${rds.allocatedStorageGb} GB across regions`, rds.allocatedStorageGb * CROSS_REGION_PER_GB);
    add(`DR region: NAT gateway × ${hours.toFixed(2)} h`, NAT_PER_HOUR * hours);
  }
  return { usd: Math.round(usd * 100) / 100, lines };
}

// ---------- steps ----------

const deadlineOf = (op: Operation, env: EnvironmentConfig) => new Date(op.startedAt.getTime() + env.recovery.drill.maxMinutes * 60000);

function capError(op: Operation, ctx: StepContext, what: string, status: string) {
  const cap = ctx.envCtx.env.recovery.drill.maxMinutes;
  return stepError('DrillTimeCapExceeded', `The drill exceeded its time cap of ${cap} min (recovery.drill.maxMinutes) while waiting for ${what} (${status}); aborting and tearing down.`, {
    hint: `Raise recovery.drill.maxMinutes if the restore legitimately takes longer (the RTO target is ${ctx.envCtx.env.recovery.rtoMinutes.data} min).`,
  });
}

function canaryScript(e: EnvContext, token: string): string[] {
  const p = `/${e.project}/${e.name}`;
  const db = e.env.storage.rds.databaseName;
  return [
    'set -u',
    `R=${e.region}`,
    `EP=$(aws ssm get-parameter --region "$R" --name ${p}/rds/endpoint --query Parameter.Value --output text 2>/dev/null)`,
    `SA=$(aws ssm get-parameter --region "$R" --name ${p}/rds/secret-arn --query Parameter.Value --output text 2>/dev/null)`,
    `SEC=$(aws secretsmanager get-secret-value --region "$R" --secret-id "$SA" --query SecretString --output text 2>/dev/null)`,
    `U=$(printf '%s' "$SEC" | python3 -c 'import json,sys; print(json.load(sys.stdin)["username"])' 2>/dev/null)`,
    `export PGPASSWORD=$(printf '%s' "$SEC" | python3 -c 'import json,sys; print(json.load(sys.stdin)["password"])' 2>/dev/null)`,
    `if psql "host=$EP dbname=${db} user=$U sslmode=require connect_timeout=10" -v ON_ERROR_STOP=1 -qc "CREATE TABLE IF NOT EXISTS dpf_drill_canary (token text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now()); INSERT INTO dpf_drill_canary (token) VALUES ('${token}') ON CONFLICT DO NOTHING;" >/dev/null 2>&1; then echo dpf-canary-db=ok; else echo dpf-canary-db=failed; fi`,
    'unset PGPASSWORD',
    `if mkdir -p /shared/scratch/.dpf-drill && echo ${token} > /shared/scratch/.dpf-drill/${token}; then echo dpf-canary-fs=ok; else echo dpf-canary-fs=failed; fi`,
  ];
}

/** The size of the platform's file system (the drill's cost estimate); 0 when it cannot be read. */
export async function efsSizeBytes(aws: AwsPorts, fileSystemId: string): Promise<number> {
  const fs = await (await aws.ops()).efs.describeFileSystems(fileSystemId).catch(() => []);
  return fs[0]?.sizeBytes ?? 0;
}

export function buildDrillSteps(op: Operation, o: DrillOptions, deps: DrillDeps): { main: StepDef[]; finish: StepDef[] } {
  const scope = o.scope;

  const canary = opStep(op, {
    id: DRILL_STEPS.canary,
    title: 'Write canary data (a row in the database, a file on EFS)',
    estimateSeconds: 60,
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const token = `dpf-drill-${op.stamp}`;
      const at = ctx.clock.now();
      const worker = await anyWorker(ops, optionalOutput(ctx.ledger, 'compute.stack', 'WorkerAutoScalingGroupName'));
      let db: CheckStatus = 'unknown';
      let fs: CheckStatus = 'unknown';
      const detail: string[] = [];
      if (!worker) detail.push('no running worker to write the canary from');
      else {
        try {
          const run = await runShell(ctx, ops, [worker], canaryScript(ctx.envCtx, token), { labels: { [worker]: 'worker' }, timeoutSeconds: 90, comment: 'dpf dr-drill canary' });
          const out = run.hosts[0]?.tail.join('\n') ?? '';
          const pick = (k: string): CheckStatus => {
            const m = new RegExp(`dpf-canary-${k}=(ok|failed)`).exec(out)?.[1];
            return m === 'ok' ? 'ok' : m === 'failed' ? 'failed' : 'unknown';
          };
          db = pick('db');
          fs = pick('fs');
          if (db === 'unknown' && fs === 'unknown') detail.push(`SSM returned no output from ${worker} (${run.hosts[0]?.status ?? 'no invocation'}; an emulator answers with empty output): canary time recorded, its write unconfirmed`);
          else detail.push(`written from ${worker} via SSM command ${run.commandId}`);
        } catch (err) {
          detail.push(unavailableOnEndpoint(ctx, err) ? `SSM SendCommand is not available on ${endpointName(ctx)}` : `SSM failed: ${errorMessage(err)}`);
        }
      }
      return {
        changed: true,
        summary: `canary ${token} at ${at.toISOString()}: database ${db}, file system ${fs}`,
        outputs: { Token: token, CanaryAt: at.toISOString(), Database: db, FileSystem: fs },
        evidence: { token, canaryAt: at.toISOString(), database: db, fileSystem: fs, worker, detail },
      };
    },
  });

  const isolate = opStep(op, {
    id: DRILL_STEPS.isolate,
    title: 'Isolated security group for the drill',
    estimateSeconds: 10,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const vpc = ctx.output('network.stack', 'VpcId');
      const name = drillName(ctx.envCtx, op.stamp);
      let groupId = mine.groupId as string | undefined;
      if (!groupId) groupId = (await ops.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] }))[0]?.groupId;
      if (!groupId) {
        groupId = await ops.ec2.createSecurityGroup(vpc, name, `dpf DR drill ${op.id}: no ingress, no egress`, { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, 'dpf:drill': op.id, Name: name });
        await ctx.evidence({ groupId });
      }
      await ops.ec2.revokeAllEgress(groupId);
      const g = (await ops.ec2.describeSecurityGroups({ 'group-id': [groupId] }))[0];
      const ingress = g?.ingress.length ?? 0;
      const egress = g?.egress.length ?? 0;
      if (ingress || egress) throw stepError('DrillNotIsolated', `Drill security group ${groupId} still has ${ingress} ingress and ${egress} egress rule(s).`);
      return { changed: true, summary: `${groupId} (${name}): no ingress, egress revoked`, outputs: { SecurityGroupId: groupId }, evidence: { groupId, name, vpc, ingressRules: ingress, egressRules: egress } };
    },
  });

  const restoreDb = opStep(op, {
    id: DRILL_STEPS.restoreDb,
    title: 'Restore the database to its latest restorable time (isolated)',
    kind: 'stack',
    // After the canary: the restore must be able to contain it (see the wait below).
    dependsOn: [DRILL_STEPS.isolate, DRILL_STEPS.canary],
    estimateSeconds: 900,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const p = await platformDb(ops, ctx.ledger, ctx.envCtx.name);
      const sg = ctx.output(DRILL_STEPS.isolate, 'SecurityGroupId');
      const target = `${drillName(ctx.envCtx, op.stamp)}-db`;
      let restorePoint = mine.restorePoint as string | undefined;
      let rpoPoint = mine.rpoPoint as string | undefined;
      if (!(await ops.rds.describeInstance(target))) {
        // RDS uploads transaction logs about every 5 minutes, so right after the canary write the
        // latest restorable time is still older than it: wait (bounded) until it passes the canary,
        // or the restored copy cannot contain the canary and the drill would fail for no reason.
        // The RPO is measured from what a disaster at drill start would have recovered: the
        // latest restorable time as it was then, before any waiting for the canary.
        rpoPoint = p.source.latestRestorableTime?.toISOString();
        await ctx.evidence({ rpoPoint });
        const canaryAt = new Date(ctx.output(DRILL_STEPS.canary, 'CanaryAt'));
        const waitUntil = Math.min(deadlineOf(op, ctx.envCtx.env).getTime(), ctx.clock.now().getTime() + 15 * 60_000);
        let source = p.source;
        let first = true;
        const waited = await pollUntil({ clock: ctx.clock, signal: ctx.signal, progress: (m) => ctx.progress(m) }, {
          what: `${p.identifier}'s latest restorable time`,
          read: async () => (first ? ((first = false), source) : (source = (await ops.rds.describeInstance(p.identifier)) ?? source)),
          state: (s) => (s.latestRestorableTime && s.latestRestorableTime >= canaryAt ? 'done' : 'waiting'),
          describe: (s) => `${s.latestRestorableTime?.toISOString() ?? 'none'}; waiting for it to pass the canary write (${canaryAt.toISOString()}): RDS ships transaction logs about every 5 minutes`,
          deadline: waitUntil,
          minMs: 30_000,
          maxMs: 30_000,
        });
        if (waited.ended === 'timed-out')
          ctx.progress(`${p.identifier}'s latest restorable time (${source.latestRestorableTime?.toISOString() ?? 'none'}) has not passed the canary (${canaryAt.toISOString()}) after waiting; restoring anyway — the canary check will say so`);
        const lrt = source.latestRestorableTime;
        if (!lrt) throw stepError('DrillNoRestorableTime', `${p.identifier} has no latest restorable time (automated backups off?): no point-in-time restore is possible.`, { hint: 'Set storage.rds.backupRetentionDays ≥ 1 and deploy storage.' });
        restorePoint = lrt.toISOString();
        ctx.progress(`restoring ${p.identifier} to its latest restorable time ${restorePoint} as ${target} (subnet group ${p.subnetGroup}, security group ${sg} only, parameter group ${p.parameterGroup ?? 'default'})`);
        await ops.rds.restoreToPointInTime(p.identifier, {
          targetIdentifier: target,
          subnetGroup: p.subnetGroup,
          securityGroupIds: [sg],
          parameterGroup: p.parameterGroup,
          instanceClass: p.source.instanceClass,
          multiAz: false,
          useLatestRestorableTime: true,
          tags: restoreTags(ctx, op.id, 'drill'),
        });
        await ctx.evidence({ target, restorePoint, requestedAt: ctx.clock.now().toISOString() });
      } else ctx.progress(`${target} already requested by this drill; waiting for it`);
      const copy = await waitDbAvailable(ctx, ops, target, deadlineOf(op, ctx.envCtx.env), (status) => capError(op, ctx, target, status));
      const at = ctx.clock.now().toISOString();
      return {
        changed: true,
        summary: `${target} available (restore point ${restorePoint ?? 'unknown'})`,
        outputs: { DbInstanceIdentifier: target, RestorePoint: restorePoint ?? '', RpoPoint: rpoPoint ?? restorePoint ?? '', AvailableAt: at, Source: p.identifier },
        evidence: { target, restorePoint, rpoPoint, availableAt: at, endpoint: copy.endpoint, source: p.identifier },
      };
    },
  });

  const restoreFs = opStep(op, {
    id: DRILL_STEPS.restoreFs,
    title: 'Restore EFS from its latest recovery point (isolated)',
    dependsOn: [DRILL_STEPS.isolate],
    estimateSeconds: 1800,
    async run(ctx, mine): Promise<StepResult> {
      const ops = await ctx.aws.ops();
      const fsId = optionalOutput(ctx.ledger, 'storage.stack', 'EfsFileSystemId');
      const vault = optionalOutput(ctx.ledger, 'storage.stack', 'BackupVaultName');
      const role = optionalOutput(ctx.ledger, 'storage.stack', 'BackupRoleArn');
      const kms = optionalOutput(ctx.ledger, 'storage.stack', 'DataKmsKeyArn');
      const unmeasured = (reason: string): StepResult => {
        ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `file system not restored, so not measured: ${reason}` });
        return { changed: false, summary: `not measured: ${reason}`, outputs: { Status: 'unmeasured', Reason: reason }, evidence: { status: 'unmeasured', reason } };
      };
      if (!fsId) return unmeasured('the ledger has no EfsFileSystemId');
      if (!vault || !role) return unmeasured(noVaultReason(ctx, !vault ? 'BackupVaultName' : 'BackupRoleArn'));
      let point = mine.recoveryPointArn ? { arn: String(mine.recoveryPointArn), created: mine.recoveryPointCreated ? new Date(String(mine.recoveryPointCreated)) : undefined } : undefined;
      let jobId = mine.jobId as string | undefined;
      if (!jobId) {
        let points: RecoveryPointInfo[];
        try {
          points = await ops.backup.listRecoveryPoints(vault, efsArn(ctx.envCtx, fsId));
        } catch (err) {
          if (unavailableOnEndpoint(ctx, err)) return unmeasured(`AWS Backup recovery points are not available on ${endpointName(ctx)}`);
          throw err;
        }
        const latest = points.filter((p) => p.status === 'COMPLETED').sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0))[0];
        if (!latest) return unmeasured(`vault ${vault} has no completed recovery point of ${fsId}`);
        point = { arn: latest.arn, created: latest.created };
        try {
          jobId = await ops.backup.startRestoreJob(latest.arn, role, {
            'file-system-id': fsId,
            newFileSystem: 'true',
            Encrypted: 'true',
            PerformanceMode: 'generalPurpose',
            CreationToken: drillName(ctx.envCtx, op.stamp),
            ...(kms ? { KmsKeyId: kms } : {}),
          }, 'EFS');
        } catch (err) {
          if (unavailableOnEndpoint(ctx, err)) return unmeasured(`AWS Backup StartRestoreJob is not available on ${endpointName(ctx)}`);
          throw err;
        }
        await ctx.evidence({ jobId, recoveryPointArn: latest.arn, recoveryPointCreated: latest.created?.toISOString() });
        ctx.progress(`restore job ${jobId} from ${latest.arn} (created ${latest.created?.toISOString() ?? '?'})`);
      }
      const job = await waitFor(ctx, {
        stepId: ctx.stepId,
        what: `restore job ${jobId}`,
        read: () => ops.backup.describeRestoreJob(jobId!),
        state: (j) => (j.status === 'COMPLETED' ? 'done' : ['FAILED', 'ABORTED'].includes(j.status) ? 'failed' : 'waiting'),
        describe: (j) => j.status,
        deadline: deadlineOf(op, ctx.envCtx.env),
        onTimeout: (j) => capError(op, ctx, `restore job ${jobId}`, j.status),
        onFailed: (j) => stepError('RestoreFailed', `Restore job ${jobId} ended ${j.status}: ${j.statusMessage ?? 'no message'}.`),
      });
      const newFs = fileSystemIdOf(job.createdResourceArn);
      if (!newFs)
        throw stepError('RestoreFailed', `Restore job ${jobId} completed without naming the new file system: dpf cannot validate it, nor tear it down.`, {
          hint: `Find it by its creation token ${drillName(ctx.envCtx, op.stamp)} (aws efs describe-file-systems --creation-token ${drillName(ctx.envCtx, op.stamp)}) and delete it by hand.`,
        });
      await ctx.evidence({ fileSystemId: newFs });
      await tagRestoredFileSystem(ctx, ops, newFs, restoreTags(ctx, op.id, 'drill'));
      const at = ctx.clock.now().toISOString();
      return {
        changed: true,
        summary: `${newFs} from ${point?.arn}`,
        outputs: { Status: 'restored', FileSystemId: newFs ?? '', RecoveryPointArn: point?.arn ?? '', RestorePoint: point?.created?.toISOString() ?? '', AvailableAt: at },
        evidence: { status: 'restored', jobId, fileSystemId: newFs, recoveryPointArn: point?.arn, recoveryPointCreated: point?.created?.toISOString(), availableAt: at },
      };
    },
  });

  const validate = opStep(op, {
    id: DRILL_STEPS.validate,
    title: 'Validate the restored copies and the canary',
    // Not on the DR steps: the stores' RTO must not include the DR region's stack creation.
    dependsOn: [DRILL_STEPS.canary, DRILL_STEPS.restoreDb, DRILL_STEPS.restoreFs],
    estimateSeconds: 30,
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const p = await platformDb(ops, ctx.ledger, ctx.envCtx.name);
      const sg = ctx.output(DRILL_STEPS.isolate, 'SecurityGroupId');
      const target = ctx.output(DRILL_STEPS.restoreDb, 'DbInstanceIdentifier');
      const copy = await ops.rds.describeInstance(target);
      const dbChecks: Check[] = copy
        ? dbCopyChecks(copy, { engine: p.source.engine, port: p.source.port, subnetGroup: p.subnetGroup, securityGroupIds: [sg], parameterGroup: p.parameterGroup })
        : [{ name: 'exists', status: 'failed', detail: `${target} not found` }];
      // The canary row is committed before the restore point iff the copy contains it.
      const canaryAt = ctx.output(DRILL_STEPS.canary, 'CanaryAt');
      const canaryDb = ctx.output(DRILL_STEPS.canary, 'Database') as CheckStatus;
      const rp = ctx.output(DRILL_STEPS.restoreDb, 'RestorePoint');
      if (canaryDb === 'ok')
        dbChecks.push(rp && new Date(rp) >= new Date(canaryAt)
          ? { name: 'canary covered', status: 'ok', detail: `canary row written ${canaryAt}, restore point ${rp}: the copy contains it` }
          : { name: 'canary covered', status: 'failed', detail: `canary row written ${canaryAt} is newer than the restore point ${rp || 'unknown'}: the copy lacks it` });
      else dbChecks.push({ name: 'canary covered', status: canaryDb === 'failed' ? 'failed' : 'unknown', detail: canaryDb === 'failed' ? 'the canary row could not be written' : 'the canary write was not confirmed (no SSM output): only its time is recorded' });
      const dbValidatedAt = ctx.clock.now().toISOString();

      const fsStatus = ctx.output(DRILL_STEPS.restoreFs, 'Status');
      let fsChecks: Check[] = [];
      let fsValidatedAt: string | undefined;
      if (fsStatus === 'restored') {
        const kms = optionalOutput(ctx.ledger, 'storage.stack', 'DataKmsKeyArn');
        fsChecks = (await fsCopyChecks(ops, ctx.output(DRILL_STEPS.restoreFs, 'FileSystemId'), kms)).filter((c) => c.name !== 'mount targets');
        fsValidatedAt = ctx.clock.now().toISOString();
      }
      const all = [...dbChecks.map((c) => ({ ...c, name: `database: ${c.name}` })), ...fsChecks.map((c) => ({ ...c, name: `file system: ${c.name}` }))];
      for (const c of all) ctx.progress(`${c.status.padEnd(7)} ${c.name}: ${c.detail}`);
      const failed = all.filter((c) => c.status === 'failed');
      return {
        changed: false,
        summary: `${all.length - failed.length}/${all.length} check(s) not failed${failed.length ? `; FAILED: ${failed.map((c) => c.name).join(', ')}` : ''}`,
        outputs: { DbValidatedAt: dbValidatedAt, FsValidatedAt: fsValidatedAt ?? '', DbFailed: String(dbChecks.filter((c) => c.status === 'failed').length), FsFailed: String(fsChecks.filter((c) => c.status === 'failed').length) },
        evidence: { checks: all },
      };
    },
  });

  const main: StepDef[] = [canary, isolate, restoreDb, restoreFs];
  if (scope === 'full') main.push(drSourceStep(op), ...drStackSteps(op, { drAws: deps.drAws, drRegion: deps.drRegion, drEnv: drEnvName(deps.envName, op.stamp) }, DRILL_STEPS.drRegion), drDataStep(op, deps));
  main.push(validate);

  const teardown = opStep(op, {
    id: DRILL_STEPS.teardown,
    title: o.keep ? 'Keep the drill resources (--keep)' : 'Tear the drill down',
    input: { keep: o.keep },
    estimateSeconds: 600,
    async run(ctx) {
      const aborted = abortedReason(ctx.ledger, op, main.map((s) => s.id));
      const ops = await ctx.aws.ops();
      const found = await drillResources(ctx, ops, op, deps);
      if (o.keep) {
        for (const r of found) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `kept: ${r} (remove with dpf dr-drill --env ${ctx.envCtx.name} --teardown)` });
        return { changed: false, summary: `kept ${found.length} resource(s)`, outputs: { Kept: 'true', Left: String(found.length) }, evidence: { kept: true, resources: found, deleted: [], left: found, aborted } };
      }
      const { deleted, left } = await tearDown(ctx, ops, op, deps);
      for (const l of left) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `left behind: ${l}` });
      return { changed: deleted.length > 0, summary: `${deleted.length} deleted${left.length ? `, ${left.length} LEFT` : ''}`, outputs: { Kept: 'false', Left: String(left.length) }, evidence: { kept: false, deleted, left, aborted } };
    },
  });

  const report = opStep(op, {
    id: DRILL_STEPS.report,
    title: 'Measure RTO/RPO and write the report',
    dependsOn: [DRILL_STEPS.teardown],
    input: { keep: o.keep },
    estimateSeconds: 5,
    async run(ctx) {
      const result = drillResult(ctx.ledger, ctx.envCtx, op, o, deps, ctx.clock.now());
      const dir = path.join(deps.reportDir, 'reports', ctx.envCtx.name);
      await mkdir(dir, { recursive: true });
      const base = `dr-drill-${op.stamp}`;
      result.report = path.join(dir, `${base}.md`);
      result.reportJson = path.join(dir, `${base}.json`);
      const stateBucket = optionalOutput(ctx.ledger, 'bootstrap.state', 'StateBucketName');
      if (stateBucket) result.uploaded = `s3://${stateBucket}/reports/${ctx.envCtx.name}/${base}.md`;
      const md = renderMarkdown(result);
      await writeFile(result.report, md);
      await writeFile(result.reportJson, `${JSON.stringify(result, null, 2)}\n`);
      if (stateBucket) {
        try {
          const objects = await ctx.aws.objects();
          await objects.putText(stateBucket, `reports/${ctx.envCtx.name}/${base}.md`, md, 'text/markdown');
          await objects.putText(stateBucket, `reports/${ctx.envCtx.name}/${base}.json`, `${JSON.stringify(result, null, 2)}\n`, 'application/json');
          await objects.putText(stateBucket, `reports/${ctx.envCtx.name}/${base}.html`, renderHtml(result), 'text/html; charset=utf-8');
        } catch (err) {
          result.uploaded = undefined;
          result.notes.push(`upload to s3://${stateBucket} failed: ${errorMessage(err)}`);
          ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `report not uploaded to s3://${stateBucket}: ${errorMessage(err)} (kept locally at ${result.report})` });
          await writeFile(result.reportJson, `${JSON.stringify(result, null, 2)}\n`);
        }
      }
      // Written last: it carries the upload's outcome in its notes too.
      await writeFile(path.join(dir, `${base}.html`), renderHtml(result));
      ctx.progress(result.verdict);
      return { changed: true, summary: result.verdict, outputs: { Report: result.report, ReportJson: result.reportJson, Passed: String(result.passed) }, evidence: { result } };
    },
  });

  return { main, finish: [teardown, report] };
}

/**
 * Why the drill is being torn down before its main steps were done (undefined when they were):
 * the first main step of this drill that failed, else a teardown requested before the end.
 */
export function abortedReason(ledger: Ledger, op: Pick<Operation, 'id'>, mainIds: string[]): string | undefined {
  const records = mainIds.map((id) => ({ id, r: stepOf(ledger, op, id) }));
  const failed = records.find((x) => x.r?.status === 'failed');
  if (failed) return `${failed.id} failed: ${failed.r!.error?.message ?? 'unknown error'}`;
  if (records.every((x) => x.r?.status === 'done')) return undefined;
  return 'torn down on request (--teardown) before it finished';
}

// ---------- scope full: the DR region ----------

/**
 * The KMS key of the DR region a cross-region copy of an encrypted snapshot is encrypted with.
 * `recovery.drKmsKeyArn` when the config has it (the field is not in the schema yet: read
 * defensively), else the key of the storage stack the drill deployed in the DR region.
 */
export function drKmsKey(env: EnvironmentConfig, drOutputs: Record<string, string>): { key?: string; from: string } {
  const configured = (env.recovery as { drKmsKeyArn?: unknown }).drKmsKeyArn;
  if (typeof configured === 'string' && configured) return { key: configured, from: 'recovery.drKmsKeyArn' };
  const key = drOutputs.DataKmsKeyArn || drOutputs.DataKmsKeyId || undefined;
  return { key, from: 'the DR storage stack (DataKmsKeyArn / DataKmsKeyId)' };
}

/** Does an instance's key (an ARN) name `key` (an ARN or a key id)? */
function sameKey(instanceKey: string | undefined, key: string): boolean {
  if (!instanceKey) return false;
  return instanceKey === key || instanceKey.endsWith(`/${key}`) || key.endsWith(`/${instanceKey.split('/').pop()}`);
}

const SNAPSHOT_FAILED = new Set(['failed', 'incompatible-restore', 'incompatible-parameters', 'error']);

/** scope full: what the DR region restores from — the newest snapshot at drill start, else one taken now. */
function drSourceStep(op: Operation): StepDef {
  return opStep(op, {
    id: DRILL_STEPS.drSource,
    title: 'Database snapshot to recover in the DR region (newest at drill start)',
    estimateSeconds: 60,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const db = optionalOutput(ctx.ledger, 'storage.stack', 'DbInstanceIdentifier');
      if (!db) throw stepError('NoDatabase', 'The ledger has no DbInstanceIdentifier for storage.stack.', { hint: `Deploy storage first: dpf deploy --env ${ctx.envCtx.name} --phase storage` });
      let snapshotId = mine.snapshotId as string | undefined;
      let onDemand = mine.onDemand === true;
      if (!snapshotId) {
        const newest = (await ops.rds.describeSnapshots({ instance: db }))
          .filter((x) => x.status === 'available' && x.created && x.created.getTime() <= op.startedAt.getTime())
          .sort((a, b) => b.created!.getTime() - a.created!.getTime())[0];
        if (newest) snapshotId = newest.identifier;
        else {
          snapshotId = `${drillName(ctx.envCtx, op.stamp)}-src`;
          onDemand = true;
          if (!(await ops.rds.describeSnapshots({ snapshotId })).length) {
            ctx.progress(`${db} has no snapshot: taking ${snapshotId} now (the DR-region RPO is then optimistic)`);
            await ops.rds.createSnapshot(db, snapshotId, { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, 'dpf:drill': op.id });
          }
        }
        await ctx.evidence({ snapshotId, onDemand, dbInstance: db });
      }
      const snap = await waitFor<DbSnapshotInfo | undefined>(ctx, {
        stepId: ctx.stepId,
        what: `snapshot ${snapshotId}`,
        read: async () => (await ops.rds.describeSnapshots({ snapshotId }))[0],
        state: (x) => (x?.status === 'available' ? 'done' : !x || SNAPSHOT_FAILED.has(x.status) ? 'failed' : 'waiting'),
        describe: (x) => x?.status ?? 'gone',
        deadline: deadlineOf(op, ctx.envCtx.env),
        minMs: 5000,
        onTimeout: (x) => capError(op, ctx, `snapshot ${snapshotId}`, x?.status ?? 'gone'),
        onFailed: (x) => stepError('DrillSnapshotFailed', `Snapshot ${snapshotId} of ${db} is ${x?.status ?? 'gone'}.`),
      });
      const arn = snap!.arn ?? `arn:aws:rds:${ctx.envCtx.region}:${ctx.envCtx.accountId}:snapshot:${snapshotId}`;
      const created = snap!.created?.toISOString() ?? '';
      return {
        changed: onDemand,
        summary: `${snapshotId}${onDemand ? ' (taken at drill start)' : ''}, created ${created || '?'}`,
        outputs: { SnapshotId: snapshotId, SnapshotArn: arn, Created: created, Encrypted: String(snap!.encrypted !== false), OnDemand: String(onDemand), DbInstanceIdentifier: db },
        evidence: { snapshotId, snapshotArn: arn, created, encrypted: snap!.encrypted, onDemand, dbInstance: db, kmsKeyId: snap!.kmsKeyId },
      };
    },
  });
}

/**
 * scope full: the platform's DATA in the DR region. The snapshot is copied into the DR region
 * (a KMS key there encrypts the copy), restored into the DR stacks' subnet and parameter groups
 * with the drill's own isolated security group there, and validated. If the endpoint cannot
 * copy across regions (an emulator), the DR-region database is "not measured", with the reason.
 */
function drDataStep(op: Operation, deps: DrillDeps): StepDef {
  return opStep(op, {
    id: DRILL_STEPS.drData,
    title: `Restore the database in the DR region (${deps.drRegion ?? '?'}) from a copied snapshot (isolated)`,
    kind: 'stack',
    dependsOn: [DRILL_STEPS.drSource, DRILL_STEPS.drRegion],
    estimateSeconds: 2700,
    async run(ctx, mine): Promise<StepResult> {
      if (!deps.drAws || !deps.drRegion) throw stepError('DrillNoDrRegion', 'scope full needs recovery.drRegion in the config.');
      const region = deps.drRegion;
      const [dr, ops] = [await deps.drAws.ops(), await ctx.aws.ops()];
      const name = drillName(ctx.envCtx, op.stamp);
      const drOut = ctx.ledger.outputs(DRILL_STEPS.drRegion);
      const tags = { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, 'dpf:drill': op.id };
      const deadline = deadlineOf(op, ctx.envCtx.env);
      const sourceArn = ctx.output(DRILL_STEPS.drSource, 'SnapshotArn');
      const sourceId = ctx.output(DRILL_STEPS.drSource, 'SnapshotId');
      const encrypted = ctx.output(DRILL_STEPS.drSource, 'Encrypted') !== 'false';
      const unmeasured = (reason: string): StepResult => {
        ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `DR-region database not restored, so not measured: ${reason}` });
        return { changed: false, summary: `not measured: ${reason}`, outputs: { Status: 'unmeasured', Reason: reason }, evidence: { status: 'unmeasured', reason } };
      };

      const { key, from } = drKmsKey(ctx.envCtx.env, drOut);
      if (encrypted && !key)
        throw stepError('DrillNoDrKey', `Snapshot ${sourceId} is encrypted and no KMS key of ${region} is known to encrypt its copy there (looked at ${from}).`, {
          hint: `A KMS key never leaves its region: set recovery.drKmsKeyArn to a key in ${region} this account can use, or make the DR storage stack output DataKmsKeyArn.`,
        });
      // The DR stacks' outputs first; the DR storage stack's own instance fills what they lack
      // (an emulator drops some outputs of stacks made through change sets).
      const stackDb = drOut.DbInstanceIdentifier ? await dr.rds.describeInstance(drOut.DbInstanceIdentifier) : undefined;
      const vpc = drOut.VpcId || undefined;
      const subnetGroup = drOut.DbSubnetGroupName || stackDb?.subnetGroup;
      const parameterGroup = drOut.DbParameterGroupName || stackDb?.parameterGroups[0];
      if (!vpc || !subnetGroup) throw stepError('DrillDrOutputMissing', `The DR-region stacks gave no ${!vpc ? 'VpcId' : 'DbSubnetGroupName'} output${vpc ? ` and their database ${drOut.DbInstanceIdentifier || '(none)'} names no subnet group` : ''}: the database cannot be restored into the DR network.`);

      // 1. The drill's own group in the DR VPC: no ingress, egress revoked.
      let sg = (mine.securityGroupId as string | undefined) ?? (await dr.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] }))[0]?.groupId;
      if (!sg) {
        sg = await dr.ec2.createSecurityGroup(vpc, name, `dpf DR drill ${op.id} (DR region): no ingress, no egress`, { ...tags, Name: name });
        await ctx.evidence({ securityGroupId: sg });
      }
      await dr.ec2.revokeAllEgress(sg);
      const g = (await dr.ec2.describeSecurityGroups({ 'group-id': [sg] }))[0];
      if (!g || g.ingress.length || g.egress.length) throw stepError('DrillNotIsolated', `DR security group ${sg} in ${region} ${g ? `still has ${g.ingress.length} ingress and ${g.egress.length} egress rule(s)` : 'is not visible'}.`);

      // 2. The snapshot copied into the DR region.
      const copyId = `${name}-dr`;
      const target = `${name}-dr-db`;
      if (!(await dr.rds.describeInstance(target)) && !(await dr.rds.describeSnapshots({ snapshotId: copyId })).length) {
        ctx.progress(`copying ${sourceArn} to ${region} as ${copyId}${encrypted ? ` (encrypted with ${key}, from ${from})` : ''}`);
        try {
          await dr.rds.copySnapshot(sourceArn, copyId, { kmsKeyId: encrypted ? key : undefined, tags });
        } catch (err) {
          if (unavailableOnEndpoint(ctx, err)) return unmeasured(`RDS CopyDBSnapshot into ${region} is not available on ${endpointName(ctx)} (${errorMessage(err).split('\n')[0]})`);
          throw err;
        }
        await ctx.evidence({ securityGroupId: sg, copySnapshotId: copyId, kmsKeyId: key, copyRequestedAt: ctx.clock.now().toISOString() });
      }
      if (!(await dr.rds.describeInstance(target))) {
        const copy = await waitFor<DbSnapshotInfo | undefined>(ctx, {
          stepId: ctx.stepId,
          what: `snapshot copy ${copyId} in ${region}`,
          read: async () => (await dr.rds.describeSnapshots({ snapshotId: copyId }))[0],
          state: (x) => (x?.status === 'available' ? 'done' : !x || SNAPSHOT_FAILED.has(x.status) ? 'failed' : 'waiting'),
          describe: (x) => x?.status ?? 'gone',
          deadline,
          minMs: 10000,
          maxMs: 60000,
          onTimeout: (x) => capError(op, ctx, `snapshot copy ${copyId}`, x?.status ?? 'gone'),
          onFailed: (x) => stepError('DrillCopyFailed', `The copy ${copyId} of ${sourceId} in ${region} is ${x?.status ?? 'gone'}.`, { hint: 'Check that the DR key allows RDS to use it (kms:CreateGrant, kms:DescribeKey) and the snapshot copy quota of the region.' }),
        });
        // 3. Restored into the DR network with the isolated group.
        ctx.progress(`restoring ${copyId} as ${target} in ${region} (subnet group ${subnetGroup}, security group ${sg} only, parameter group ${parameterGroup ?? 'default'})`);
        const src = await ops.rds.describeInstance(ctx.output(DRILL_STEPS.drSource, 'DbInstanceIdentifier'));
        await dr.rds.restoreFromSnapshot(copyId, { targetIdentifier: target, subnetGroup, securityGroupIds: [sg], parameterGroup, instanceClass: src?.instanceClass, multiAz: false, tags });
        await ctx.evidence({ target, copyAvailableAt: ctx.clock.now().toISOString(), copyKmsKeyId: copy?.kmsKeyId });
      } else ctx.progress(`${target} already requested by this drill; waiting for it`);
      const inst = await waitDbAvailable(ctx, dr, target, deadline, (status) => capError(op, ctx, `${target} in ${region}`, status));

      // 4. Validated there, against the source's engine and port and the DR network settings.
      const src = await ops.rds.describeInstance(ctx.output(DRILL_STEPS.drSource, 'DbInstanceIdentifier'));
      const checks: Check[] = dbCopyChecks(inst, { engine: src?.engine ?? inst.engine, port: src?.port, subnetGroup, securityGroupIds: [sg], parameterGroup });
      if (encrypted && key) checks.push({ name: `KMS key of ${region}`, status: sameKey(inst.kmsKeyId, key) ? 'ok' : inst.kmsKeyId ? 'failed' : 'unknown', detail: `${inst.kmsKeyId ?? 'not reported'}${sameKey(inst.kmsKeyId, key) ? '' : ` (wanted ${key})`}` });
      const validatedAt = ctx.clock.now().toISOString();
      for (const c of checks) ctx.progress(`${c.status.padEnd(7)} DR database: ${c.name}: ${c.detail}`);
      const failed = checks.filter((c) => c.status === 'failed');
      return {
        changed: true,
        summary: `${target} available in ${region} from ${sourceId}; ${checks.length - failed.length}/${checks.length} check(s) not failed`,
        outputs: { Status: 'restored', DbInstanceIdentifier: target, SnapshotCopyId: copyId, SecurityGroupId: sg, KmsKeyId: key ?? '', ValidatedAt: validatedAt, Failed: String(failed.length) },
        evidence: { status: 'restored', target, copySnapshotId: copyId, securityGroupId: sg, kmsKeyId: key, keyFrom: from, endpoint: inst.endpoint, checks, validatedAt },
      };
    },
  });
}

// ---------- teardown ----------

/** What the drill created, by evidence and by its deterministic names. */
async function drillResources(ctx: StepContext, ops: OpsPorts, op: Operation, deps: DrillDeps): Promise<string[]> {
  return (await drillResourceIds(ctx, ops, op, deps, true)).map((r) => r.text);
}

/** The DR-region resources of the drill's data path (scope full): database, snapshot copy, group. */
async function drDataResources(ctx: StepContext, op: Operation, deps: DrillDeps): Promise<Array<{ id: string; text: string; kind: 'db' | 'snapshot' | 'sg' }>> {
  if (!deps.drAws) return [];
  const out: Array<{ id: string; text: string; kind: 'db' | 'snapshot' | 'sg' }> = [];
  const dr = await deps.drAws.ops();
  const name = drillName(ctx.envCtx, op.stamp);
  const db = await dr.rds.describeInstance(`${name}-dr-db`);
  if (db) out.push({ id: db.identifier, text: `RDS instance ${db.identifier} (${db.status}) in ${deps.drRegion}`, kind: 'db' });
  for (const s of await dr.rds.describeSnapshots({ snapshotId: `${name}-dr` })) out.push({ id: s.identifier, text: `RDS snapshot ${s.identifier} (${s.status}) in ${deps.drRegion}`, kind: 'snapshot' });
  const vpc = drRecorded(ctx.ledger, op, ctx.envCtx, drEnvName(deps.envName, op.stamp))?.outputs.VpcId;
  const sgId = stepOf(ctx.ledger, op, DRILL_STEPS.drData)?.evidence.securityGroupId as string | undefined;
  const groups = vpc ? await dr.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] }) : sgId ? await dr.ec2.describeSecurityGroups({ 'group-id': [sgId] }) : [];
  for (const g of groups) out.push({ id: g.groupId, text: `security group ${g.groupId} (${g.groupName}) in ${deps.drRegion}`, kind: 'sg' });
  return out;
}

async function drillResourceIds(ctx: StepContext, ops: OpsPorts, op: Operation, deps: DrillDeps, withStacks: boolean): Promise<Array<{ id: string; text: string }>> {
  const out: Array<{ id: string; text: string }> = [];
  const name = drillName(ctx.envCtx, op.stamp);
  const db = await ops.rds.describeInstance(`${name}-db`);
  if (db) out.push({ id: db.identifier, text: `RDS instance ${db.identifier} (${db.status})` });
  for (const s of await ops.rds.describeSnapshots({ snapshotId: `${name}-src` })) out.push({ id: s.identifier, text: `RDS snapshot ${s.identifier} (${s.status})` });
  const fsId = stepOf(ctx.ledger, op, DRILL_STEPS.restoreFs)?.evidence.fileSystemId as string | undefined;
  if (fsId && (await ops.efs.describeFileSystems(fsId)).length) out.push({ id: fsId, text: `EFS ${fsId}` });
  const vpc = optionalOutput(ctx.ledger, 'network.stack', 'VpcId');
  const sgs = vpc ? await ops.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] }) : [];
  for (const g of sgs) out.push({ id: g.groupId, text: `security group ${g.groupId} (${g.groupName})` });
  out.push(...(await drDataResources(ctx, op, deps)));
  const dr = drRecorded(ctx.ledger, op, ctx.envCtx, drEnvName(deps.envName, op.stamp));
  if (withStacks && dr && deps.drAws) {
    const cfn = await deps.drAws.cfn();
    for (const s of dr.stacks) if (s && (await cfn.describeStack(s))) out.push({ id: s, text: `stack ${s} in ${deps.drRegion}` });
  }
  return out;
}

async function tearDown(ctx: StepContext, ops: OpsPorts, op: Operation, deps: DrillDeps): Promise<{ deleted: string[]; left: string[] }> {
  const deleted: string[] = [];
  const left: string[] = [];
  const name = drillName(ctx.envCtx, op.stamp);
  const until = () => new Date(ctx.clock.now().getTime() + 60 * 60000);

  // 1. The drill database (no final snapshot: it is a copy).
  const dbId = `${name}-db`;
  const db = await ops.rds.describeInstance(dbId);
  if (db) {
    ctx.progress(`deleting ${dbId} (${db.status})`);
    if (db.status !== 'deleting') await ops.rds.deleteInstance(dbId, { skipFinalSnapshot: true });
    await waitGone(ctx, `DB instance ${dbId}`, async () => (await ops.rds.describeInstance(dbId))?.status, until());
    deleted.push(`RDS instance ${dbId}`);
  }
  // The snapshot a full drill took at its start when there was none (never an existing backup).
  for (const s of await ops.rds.describeSnapshots({ snapshotId: `${name}-src` })) {
    await ops.rds.deleteSnapshot(s.identifier);
    deleted.push(`RDS snapshot ${s.identifier}`);
  }

  // 2. The restored file system (mount targets first).
  const fsId = stepOf(ctx.ledger, op, DRILL_STEPS.restoreFs)?.evidence.fileSystemId as string | undefined;
  if (fsId && (await ops.efs.describeFileSystems(fsId)).length) {
    await deleteFileSystem(ctx, ops.efs, fsId, { hint: TEARDOWN_HINT, timeoutMs: until().getTime() - ctx.clock.now().getTime() });
    deleted.push(`EFS ${fsId}`);
  }

  // 3. The DR region (scope full): the restored database, the snapshot copy and the drill group
  //    first (the group would keep the DR VPC alive), then the stacks and what they retain — it
  //    is all a drill copy.
  const drEnv = drEnvName(deps.envName, op.stamp);
  const dr = drRecorded(ctx.ledger, op, ctx.envCtx, drEnv);
  if (deps.drAws) {
    const r = await tearDownDrData(ctx, op, deps);
    deleted.push(...r.deleted);
    left.push(...r.left);
  }
  if (dr && deps.drAws) {
    const r = await tearDownDrRegion(ctx, deps, dr.outputs, dr.stacks, drEnv);
    deleted.push(...r.deleted);
    left.push(...r.left);
  }

  // 4. The security group, once nothing uses it (RDS network interfaces linger for minutes).
  const vpc = optionalOutput(ctx.ledger, 'network.stack', 'VpcId');
  const sgId = (stepOf(ctx.ledger, op, DRILL_STEPS.isolate)?.outputs.SecurityGroupId) || (vpc ? (await ops.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] }))[0]?.groupId : undefined);
  if (sgId) {
    const err = await deleteSecurityGroup(ctx, ops.ec2, sgId, until());
    if (err) left.push(`security group ${sgId}: ${err}`);
    else deleted.push(`security group ${sgId}`);
  }

  // Verify through describe calls, not through what the calls returned (stacks: see tearDownDrRegion).
  for (const r of await drillResourceIds(ctx, ops, op, deps, false))
    if (!left.some((l) => l.includes(r.id))) left.push(`${r.text} still exists after teardown`);
  return { deleted, left };
}

async function tearDownDrData(ctx: StepContext, op: Operation, deps: DrillDeps): Promise<{ deleted: string[]; left: string[] }> {
  const deleted: string[] = [];
  const left: string[] = [];
  const dr = await deps.drAws!.ops();
  const found = await drDataResources(ctx, op, deps);
  const until = () => new Date(ctx.clock.now().getTime() + 60 * 60000);
  for (const r of found.filter((x) => x.kind === 'db')) {
    const inst = await dr.rds.describeInstance(r.id);
    if (inst && inst.status !== 'deleting') await dr.rds.deleteInstance(r.id, { skipFinalSnapshot: true });
    await waitGone(ctx, `DR DB ${r.id}`, async () => (await dr.rds.describeInstance(r.id))?.status, until());
    deleted.push(`RDS instance ${r.id} in ${deps.drRegion}`);
  }
  for (const r of found.filter((x) => x.kind === 'snapshot')) {
    try {
      await dr.rds.deleteSnapshot(r.id);
      deleted.push(`RDS snapshot ${r.id} in ${deps.drRegion} (the cross-region copy)`);
    } catch (err) {
      left.push(`RDS snapshot ${r.id} in ${deps.drRegion}: ${errorMessage(err)}`);
    }
  }
  for (const r of found.filter((x) => x.kind === 'sg')) {
    const err = await deleteSecurityGroup(ctx, dr.ec2, r.id, until());
    if (err) left.push(`security group ${r.id} in ${deps.drRegion}: ${err}`);
    else deleted.push(`security group ${r.id} in ${deps.drRegion}`);
  }
  return { deleted, left };
}

const TEARDOWN_HINT = 'Rerun dpf dr-drill --teardown to keep waiting.';

async function waitGone(ctx: StepContext, what: string, status: () => Promise<string | undefined>, deadline: Date): Promise<void> {
  await waitFor(ctx, {
    stepId: ctx.stepId,
    what,
    read: status,
    state: (s) => (s === undefined || s === 'deleted' ? 'done' : 'waiting'),
    describe: (s) => s ?? 'gone',
    deadline,
    minMs: 5000,
    maxMs: 30000,
    onTimeout: (s) => stepError('DrillTeardownTimedOut', `${what} is still ${s} after an hour.`, { hint: TEARDOWN_HINT }),
    onFailed: () => stepError('DrillTeardownFailed', `${what} could not be deleted.`),
  });
}

async function tearDownDrRegion(ctx: StepContext, deps: DrillDeps, outputs: Record<string, string>, stacks: string[], drEnv: string): Promise<{ deleted: string[]; left: string[] }> {
  const deleted: string[] = [];
  const left: string[] = [];
  const aws = deps.drAws!;
  const [cfn, ops] = [await aws.cfn(), await aws.ops()];
  const dbId = outputs.DbInstanceIdentifier;
  if (dbId && (await ops.rds.describeInstance(dbId))) {
    try {
      await ops.rds.modifyDeletionProtection(dbId, false);
    } catch (err) {
      ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `could not turn off deletion protection of ${dbId} in ${deps.drRegion}: ${errorMessage(err)}` });
    }
    await ops.rds.deleteInstance(dbId, { skipFinalSnapshot: true });
    await waitGone(ctx, `DR DB ${dbId}`, async () => (await ops.rds.describeInstance(dbId))?.status, new Date(ctx.clock.now().getTime() + 3600000));
    deleted.push(`RDS instance ${dbId} in ${deps.drRegion}`);
  }
  for (const stack of [...stacks].reverse().filter(Boolean)) {
    const r = await deleteStack(ctx, cfn, stack, { where: deps.drRegion, hint: TEARDOWN_HINT, timeoutMs: 3600_000 });
    if (r.existed && r.gone) deleted.push(`stack ${stack} in ${deps.drRegion}`);
    left.push(...r.problems.filter((x) => !x.startsWith('  ')));
  }
  for (const b of [outputs.DataLakeBucketName, outputs.AccessLogBucketName].filter(Boolean) as string[]) {
    try {
      await ops.buckets.emptyAndDelete(b);
      deleted.push(`bucket ${b} in ${deps.drRegion}`);
    } catch (err) {
      left.push(`bucket ${b} in ${deps.drRegion}: ${errorMessage(err)}`);
    }
  }
  if (outputs.EfsFileSystemId && (await ops.efs.describeFileSystems(outputs.EfsFileSystemId)).length) {
    try {
      await deleteFileSystem(ctx, ops.efs, outputs.EfsFileSystemId, { hint: TEARDOWN_HINT });
      deleted.push(`EFS ${outputs.EfsFileSystemId} in ${deps.drRegion}`);
    } catch (err) {
      left.push(`EFS ${outputs.EfsFileSystemId} in ${deps.drRegion}: ${errorMessage(err)} (delete it by hand)`);
    }
  }
  // The vault is retained by the template (DeletionPolicy RetainExceptOnCreate); the drill's is empty: delete it.
  if (outputs.BackupVaultName) {
    const v = await deleteVaultAndPoints(ctx, ops.backup, outputs.BackupVaultName, 30);
    deleted.push(...v.deleted.map((d) => `${d} in ${deps.drRegion}`));
    left.push(...v.left.map((l) => `${l.resource} in ${deps.drRegion}: ${l.detail}`));
  }
  if (drEnv) {
    const vpcs = await ops.ec2.describeVpcs({ 'tag:dpf:env': [drEnv] });
    for (const v of vpcs) left.push(`VPC ${v.vpcId} in ${deps.drRegion} (tag dpf:env=${drEnv}) still exists after its stack was deleted`);
  }
  // dpf has no KMS port: the key (DeletionPolicy RetainExceptOnCreate) is named so it can be scheduled for deletion.
  const key = outputs.DataKmsKeyArn || outputs.DataKmsKeyId;
  if (key) left.push(`KMS key ${key} in ${deps.drRegion} (retained by the DR storage stack; it encrypted the drill's copies): aws kms schedule-key-deletion --region ${deps.drRegion} --key-id ${key} --pending-window-in-days 7`);
  else if (stacks.some((s) => s.endsWith('-storage'))) left.push(`the KMS key of the DR storage stack in ${deps.drRegion} (retained by the template; the stack reported no key id): find it by the tag dpf:env=${drEnv} and schedule its deletion`);
  return { deleted, left };
}

// ---------- the result ----------

/**
 * Lower a store's verdict for a validation it did not pass: never raises one. `null` (not
 * measured) turns a pass into "not measured"; `false` fails it. The reason comes first.
 */
export function qualify(s: StoreResult, verdict: false | null, reason: string): void {
  if (s.passed === false) return; // already failed: its reason says why
  if (verdict === null && s.passed === null && s.reason?.includes(reason)) return;
  s.passed = verdict;
  s.reason = [reason, s.reason].filter(Boolean).join('; ');
}

/** Everything the drill recorded, measured (reads the ledger only). */
export function drillResult(ledger: Ledger, envCtx: EnvContext, op: Operation, o: DrillOptions, deps: DrillDeps, now: Date): DrillResult {
  const env = envCtx.env;
  const rec = env.recovery;
  const get = (id: string) => stepOf(ledger, op, id);
  const can = get(DRILL_STEPS.canary);
  const iso = get(DRILL_STEPS.isolate);
  const rdb = get(DRILL_STEPS.restoreDb);
  const rfs = get(DRILL_STEPS.restoreFs);
  const val = get(DRILL_STEPS.validate);
  const dr = get(DRILL_STEPS.drRegion);
  const drStacks = drRecorded(ledger, op, envCtx, drEnvName(deps.envName, op.stamp));
  const td = get(DRILL_STEPS.teardown);
  const aborted = typeof td?.evidence.aborted === 'string' ? td.evidence.aborted : undefined;
  const notes: string[] = [];
  const checks = ((val?.evidence.checks as Check[] | undefined) ?? []).slice();
  const done = (r: typeof rdb) => r?.status === 'done';

  const dbFailed = checks.filter((c) => c.name.startsWith('database:') && c.status === 'failed').map((c) => `${c.name.slice(10)} (${c.detail})`);
  const database = measureStore({
    name: 'database',
    drillStart: op.startedAt,
    validatedAt: done(val) && done(rdb) ? new Date(val!.outputs.DbValidatedAt!) : undefined,
    restorePoint: rdb?.outputs.RpoPoint ? new Date(rdb.outputs.RpoPoint) : rdb?.outputs.RestorePoint ? new Date(rdb.outputs.RestorePoint) : rdb?.evidence.restorePoint ? new Date(String(rdb.evidence.restorePoint)) : undefined,
    rtoTargetSeconds: rec.rtoMinutes.data * 60,
    rpoTargetSeconds: rec.rpoMinutes.database * 60,
    unmeasured: !done(rdb) ? `the database was not restored${aborted ? ` (${aborted})` : rdb?.error ? ` (${rdb.error.message})` : ''}` : undefined,
    validationFailed: dbFailed.length ? dbFailed.join(', ') : undefined,
  });
  if (!done(rdb) && aborted) Object.assign(database, { passed: false });
  // The database passes only when the copy is shown to hold the canary: an unconfirmed canary
  // leaves it not measured (its RTO/RPO stay reported), a failed one fails it.
  const canary = checks.find((c) => c.name === 'database: canary covered');
  if (done(val) && !canary) qualify(database, null, 'the canary could not be confirmed: the validation recorded no canary check');
  else if (canary?.status === 'unknown') qualify(database, null, `the canary could not be confirmed: ${canary.detail}`);
  else if (canary?.status === 'failed') qualify(database, false, `the canary check failed: ${canary.detail}`);

  const fsFailed = checks.filter((c) => c.name.startsWith('file system:') && c.status === 'failed').map((c) => `${c.name.slice(13)} (${c.detail})`);
  const fsUnmeasured = rfs?.outputs.Status === 'unmeasured' ? String(rfs.outputs.Reason) : !done(rfs) ? `the file system was not restored${aborted ? ` (${aborted})` : ''}` : undefined;
  const fileSystem = measureStore({
    name: 'fileSystem',
    drillStart: op.startedAt,
    validatedAt: done(val) && val!.outputs.FsValidatedAt ? new Date(val!.outputs.FsValidatedAt) : undefined,
    restorePoint: rfs?.outputs.RestorePoint ? new Date(rfs.outputs.RestorePoint) : undefined,
    rtoTargetSeconds: rec.rtoMinutes.data * 60,
    rpoTargetSeconds: rec.rpoMinutes.fileSystem * 60,
    unmeasured: fsUnmeasured,
    validationFailed: fsFailed.length ? fsFailed.join(', ') : undefined,
  });
  const stores = [database, fileSystem];

  let environment: DrillResult['environment'];
  if (o.scope === 'full') {
    const region = deps.drRegion ?? rec.drRegion ?? '?';
    const src = get(DRILL_STEPS.drSource);
    const drd = get(DRILL_STEPS.drData);
    const drChecks = ((drd?.evidence.checks as Check[] | undefined) ?? []).map((c) => ({ ...c, name: `DR database: ${c.name}` }));
    checks.push(...drChecks);
    const drFailed = drChecks.filter((c) => c.status === 'failed').map((c) => `${c.name.slice(13)} (${c.detail})`);
    const drRestored = done(drd) && drd!.outputs.Status === 'restored';
    const drUnmeasured = drd?.outputs.Status === 'unmeasured'
      ? String(drd.outputs.Reason)
      : !done(drd)
        ? `the database was not restored in ${region}${aborted ? ` (${aborted})` : drd?.error ? ` (${drd.error.message})` : drStacks?.error ? ` (the DR stacks failed: ${drStacks.error})` : ''}`
        : undefined;
    // RPO: drill start → creation of the source snapshot (a copy's own creation time is the copy's).
    const drDatabase = measureStore({
      name: 'drDatabase',
      drillStart: op.startedAt,
      validatedAt: drRestored && drd!.outputs.ValidatedAt ? new Date(drd!.outputs.ValidatedAt) : undefined,
      restorePoint: src?.outputs.Created ? new Date(src.outputs.Created) : undefined,
      rtoTargetSeconds: rec.rtoMinutes.data * 60,
      rpoTargetSeconds: rec.rpoMinutes.database * 60,
      unmeasured: drUnmeasured,
      validationFailed: drFailed.length ? drFailed.join(', ') : undefined,
    });
    if (!done(drd) && aborted) Object.assign(drDatabase, { passed: false });
    stores.push(drDatabase);
    if (src?.outputs.OnDemand === 'true')
      notes.push(`No snapshot of the database existed at drill start: the drill took ${src.outputs.SnapshotId} and copied it, so the DR-region RPO is optimistic — after a real regional outage only copies already in ${region} exist.`);
    else if (src?.outputs.SnapshotId)
      notes.push(`DR-region RPO: drill start → creation of the newest snapshot (${src.outputs.SnapshotId}), which is the best a copy to ${region} can hold; copy snapshots there continuously (AWS Backup cross-region copy) for that to hold in a real outage.`);

    // Full recovery: the stacks recreated AND the data restored there, validated.
    const completed = dr?.outputs.CompletedAt ? new Date(dr.outputs.CompletedAt) : undefined;
    const end = completed && drRestored && drd!.outputs.ValidatedAt ? new Date(Math.max(completed.getTime(), new Date(drd!.outputs.ValidatedAt).getTime())) : completed && drd?.outputs.Status === 'unmeasured' ? completed : undefined;
    const rto = end ? Math.max(0, Math.round((end.getTime() - op.startedAt.getTime()) / 1000)) : null;
    const target = rec.rtoMinutes.full * 60;
    const infraOnly = rto !== null && !drRestored;
    environment = {
      region,
      rtoSeconds: rto,
      rtoTargetSeconds: target,
      passed: rto === null ? (aborted ? false : null) : rto > target ? false : infraOnly ? null : true,
      stacks: (dr?.evidence.stacks as string[] | undefined) ?? drStacks?.stacks ?? [],
      reason: rto === null
        ? completed ? `the database was not restored in ${region}${drd?.error ? ` (${drd.error.message})` : ''}` : `the DR region was not recreated${drStacks?.error ? ` (${drStacks.error})` : ''}`
        : rto > target ? `RTO ${fmt(rto)} exceeds the full-recovery target ${fmt(target)}`
        : infraOnly ? `stacks recreated in ${fmt(rto)}, but the database could not be restored there: ${drDatabase.reason}` : undefined,
    };
  }

  let passed = overallPassed([...stores, ...(environment ? [environment] : [])]);
  if (aborted) passed = false;
  const canaryDetail = [...((can?.evidence.detail as string[] | undefined) ?? [])];
  if (fileSystem.passed !== null) canaryDetail.push('EFS: the latest recovery point predates a canary written at drill start (daily backups); the file system RPO measures that gap.');
  if (fileSystem.passed === null) notes.push(`The file system was NOT measured: ${fileSystem.reason}. The drill therefore cannot pass as a whole.`);
  const tdLeft = (td?.evidence.left as string[] | undefined) ?? [];
  const kept = td?.evidence.kept === true;
  if (!kept && tdLeft.length) notes.push(`Teardown left ${tdLeft.length} resource(s) behind: delete them by hand (listed under Teardown).`);
  const cost = Number(op.params.costEstimateUsd ?? 0);
  const result: DrillResult = {
    type: 'result',
    command: 'dr-drill',
    operationId: op.id,
    env: envCtx.name,
    project: envCtx.project,
    region: envCtx.region,
    scope: o.scope,
    passed,
    verdict: verdictText(passed, stores, aborted, environment),
    startedAt: op.startedAt.toISOString(),
    finishedAt: now.toISOString(),
    drillName: drillName(envCtx, op.stamp),
    stores,
    environment,
    canary: { writtenAt: can?.outputs.CanaryAt, database: (can?.outputs.Database as CheckStatus) ?? 'unknown', fileSystem: (can?.outputs.FileSystem as CheckStatus) ?? 'unknown', detail: canaryDetail },
    checks,
    isolation: { securityGroupId: iso?.outputs.SecurityGroupId, ingressRules: Number(iso?.evidence.ingressRules ?? 0), egressRevoked: iso?.status === 'done' && Number(iso.evidence.egressRules ?? 1) === 0 },
    teardown: { kept, deleted: (td?.evidence.deleted as string[] | undefined) ?? [], left: kept ? ((td?.evidence.resources as string[] | undefined) ?? []) : tdLeft },
    costEstimateUsd: cost,
    maxCostUsd: rec.drill.maxCostUsd,
    maxMinutes: rec.drill.maxMinutes,
    aborted,
    notes,
    report: '',
    reportJson: '',
  };
  if (aborted) notes.push(`The drill was aborted: ${aborted}. Everything it created was torn down${kept ? ' (except what --keep kept)' : ''}.`);
  notes.push(`Elapsed: ${minutes(now.getTime() - op.startedAt.getTime())} from drill start to report.`);
  return result;
}
