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
 *           operations.drill.dr-region   (scope full) network + storage stacks in recovery.drRegion
 *           operations.drill.validate    the copies' checks; canary covered by the restore point
 *   finish  operations.drill.teardown    delete every drill resource (kept with --keep), verify
 *           operations.drill.report      RTO/RPO per store, Markdown + JSON, upload
 * Every drill resource is named <project>-<env>-drill-<stamp>[-db]: a resumed or --teardown run
 * finds them from the operation's stamp even when its evidence was lost.
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
import type { AwsPorts } from '../context.js';
import type { OpsPorts, RecoveryPointInfo } from '../aws/ops-ports.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { EnvContext, StepContext, StepDef, StepResult } from '../steps/types.js';
import type { Ledger } from '../state/ledger.js';
import { buildSteps } from '../steps/phases.js';
import { rootCause } from '../steps/stack-deployer.js';
import { errorMessage } from '../errors.js';
import { opStep, optionalOutput, stepOf, unavailableOnEndpoint, waitFor, stepError, endpointName, minutes, noVaultReason, type Operation } from './operation.js';
import { anyWorker, runShell } from './health.js';
import { platformDb, waitDbAvailable, dbCopyChecks, fsCopyChecks, fileSystemIdOf } from './restore.js';
import { efsArn } from './backup.js';
import { measureStore, overallPassed, fmt } from './rto-rpo.js';
import { renderMarkdown, verdictText, type Check, type CheckStatus, type DrillResult } from './report.js';

export const DRILL_STEPS = {
  canary: 'operations.drill.canary',
  isolate: 'operations.drill.isolate',
  restoreDb: 'operations.drill.restore-db',
  restoreFs: 'operations.drill.restore-fs',
  drRegion: 'operations.drill.dr-region',
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
    add(`DR region: DB ${rds.instanceClass} × ${hours.toFixed(2)} h`, dbHour * hours);
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
          detail.push(unavailableOnEndpoint(err) ? `SSM SendCommand is not available on ${endpointName()}` : `SSM failed: ${errorMessage(err)}`);
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
    dependsOn: [DRILL_STEPS.isolate],
    estimateSeconds: 900,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const p = await platformDb(ops, ctx.ledger, ctx.envCtx.name);
      const sg = ctx.output(DRILL_STEPS.isolate, 'SecurityGroupId');
      const target = `${drillName(ctx.envCtx, op.stamp)}-db`;
      let restorePoint = mine.restorePoint as string | undefined;
      if (!(await ops.rds.describeInstance(target))) {
        const lrt = p.source.latestRestorableTime;
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
          tags: { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, 'dpf:drill': op.id },
        });
        await ctx.evidence({ target, restorePoint, requestedAt: ctx.clock.now().toISOString() });
      } else ctx.progress(`${target} already requested by this drill; waiting for it`);
      const copy = await waitDbAvailable(ctx, ops, target, deadlineOf(op, ctx.envCtx.env), (status) => capError(op, ctx, target, status));
      const at = ctx.clock.now().toISOString();
      return {
        changed: true,
        summary: `${target} available (restore point ${restorePoint ?? 'unknown'})`,
        outputs: { DbInstanceIdentifier: target, RestorePoint: restorePoint ?? '', AvailableAt: at, Source: p.identifier },
        evidence: { target, restorePoint, availableAt: at, endpoint: copy.endpoint, source: p.identifier },
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
      if (!vault || !role) return unmeasured(noVaultReason(!vault ? 'BackupVaultName' : 'BackupRoleArn'));
      let point = mine.recoveryPointArn ? { arn: String(mine.recoveryPointArn), created: mine.recoveryPointCreated ? new Date(String(mine.recoveryPointCreated)) : undefined } : undefined;
      let jobId = mine.jobId as string | undefined;
      if (!jobId) {
        let points: RecoveryPointInfo[];
        try {
          points = await ops.backup.listRecoveryPoints(vault, efsArn(ctx.envCtx, fsId));
        } catch (err) {
          if (unavailableOnEndpoint(err)) return unmeasured(`AWS Backup recovery points are not available on ${endpointName()}`);
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
          if (unavailableOnEndpoint(err)) return unmeasured(`AWS Backup StartRestoreJob is not available on ${endpointName()}`);
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
      await ctx.evidence({ fileSystemId: newFs });
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
    dependsOn: [DRILL_STEPS.canary, DRILL_STEPS.restoreDb, DRILL_STEPS.restoreFs, ...(scope === 'full' ? [DRILL_STEPS.drRegion] : [])],
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
  if (scope === 'full') main.push(drRegionStep(op, deps));
  main.push(validate);

  const teardown = opStep(op, {
    id: DRILL_STEPS.teardown,
    title: o.keep ? 'Keep the drill resources (--keep)' : 'Tear the drill down',
    input: { keep: o.keep },
    estimateSeconds: 600,
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const found = await drillResources(ctx, ops, op, deps);
      if (o.keep) {
        for (const r of found) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `kept: ${r} (remove with dpf dr-drill --env ${ctx.envCtx.name} --teardown)` });
        return { changed: false, summary: `kept ${found.length} resource(s)`, outputs: { Kept: 'true', Left: String(found.length) }, evidence: { kept: true, resources: found, deleted: [], left: found } };
      }
      const { deleted, left } = await tearDown(ctx, ops, op, deps);
      for (const l of left) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `left behind: ${l}` });
      return { changed: deleted.length > 0, summary: `${deleted.length} deleted${left.length ? `, ${left.length} LEFT` : ''}`, outputs: { Kept: 'false', Left: String(left.length) }, evidence: { kept: false, deleted, left } };
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
        } catch (err) {
          result.uploaded = undefined;
          result.notes.push(`upload to s3://${stateBucket} failed: ${errorMessage(err)}`);
          ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `report not uploaded to s3://${stateBucket}: ${errorMessage(err)} (kept locally at ${result.report})` });
          await writeFile(result.reportJson, `${JSON.stringify(result, null, 2)}\n`);
        }
      }
      ctx.progress(result.verdict);
      return { changed: true, summary: result.verdict, outputs: { Report: result.report, ReportJson: result.reportJson, Passed: String(result.passed) }, evidence: { result } };
    },
  });

  return { main, finish: [teardown, report] };
}

// ---------- scope full: the DR region ----------

function drRegionStep(op: Operation, deps: DrillDeps): StepDef {
  return opStep(op, {
    id: DRILL_STEPS.drRegion,
    title: `Recreate network and storage in the DR region (${deps.drRegion ?? '?'})`,
    kind: 'stack',
    estimateSeconds: 1500,
    async run(ctx) {
      if (!deps.drAws || !deps.drRegion) throw stepError('DrillNoDrRegion', 'scope full needs recovery.drRegion in the config.', { hint: 'Set recovery.drRegion (e.g. us-east-1) for the environment.' });
      const drEnv = drEnvName(ctx.envCtx.name, op.stamp);
      const env = ctx.envCtx.env;
      const zones = (await (await deps.drAws.ops()).ec2.describeAvailabilityZones().catch(() => [] as string[])).sort().slice(0, 3);
      const azs = zones.length === 3 ? zones : ['a', 'b', 'c'].map((z) => `${deps.drRegion}${z}`);
      const drEnvCtx: EnvContext = {
        ...ctx.envCtx,
        name: drEnv,
        region: deps.drRegion,
        env: {
          ...env,
          region: deps.drRegion,
          availabilityZones: azs,
          highAvailability: false,
          storage: { ...env.storage, rds: { ...env.storage.rds, deletionProtection: false, multiAz: false } },
        },
      };
      const outputs: Record<string, Record<string, string>> = {
        'bootstrap.state': ctx.ledger.outputs('bootstrap.state'),
      };
      const stacks: string[] = [];
      const defs = buildSteps().filter((s) => s.id === 'network.stack' || s.id === 'storage.stack');
      for (const def of defs) {
        const sub: StepContext = {
          ...ctx,
          envCtx: drEnvCtx,
          aws: deps.drAws,
          previous: undefined,
          output(stepId, key) {
            const v = outputs[stepId]?.[key];
            if (v === undefined) throw stepError('DrillDrOutputMissing', `The DR-region ${stepId} has no output ${key}.`);
            return v;
          },
          evidence: async (e) => ctx.evidence({ [def.id]: e }),
        };
        ctx.progress(`deploying ${def.id.split('.')[0]} in ${deps.drRegion} as environment ${drEnv}`);
        const prepared = await def.prepare(sub);
        const r = await def.run(sub, prepared);
        outputs[def.id] = r.outputs ?? {};
        stacks.push(String(r.evidence?.stackName ?? ''));
        await ctx.evidence({ stacks, drEnv, region: deps.drRegion });
      }
      const at = ctx.clock.now().toISOString();
      return {
        changed: true,
        summary: `${stacks.join(', ')} complete in ${deps.drRegion}`,
        outputs: { CompletedAt: at, DrEnv: drEnv, Region: deps.drRegion, Stacks: stacks.join(','), DbInstanceIdentifier: outputs['storage.stack']?.DbInstanceIdentifier ?? '', DataLakeBucketName: outputs['storage.stack']?.DataLakeBucketName ?? '', AccessLogBucketName: outputs['storage.stack']?.AccessLogBucketName ?? '', EfsFileSystemId: outputs['storage.stack']?.EfsFileSystemId ?? '' },
        evidence: { stacks, drEnv, region: deps.drRegion, completedAt: at },
      };
    },
  });
}

// ---------- teardown ----------

/** What the drill created, by evidence and by its deterministic names. */
async function drillResources(ctx: StepContext, ops: OpsPorts, op: Operation, deps: DrillDeps): Promise<string[]> {
  return (await drillResourceIds(ctx, ops, op, deps)).map((r) => r.text);
}

async function drillResourceIds(ctx: StepContext, ops: OpsPorts, op: Operation, deps: DrillDeps): Promise<Array<{ id: string; text: string }>> {
  const out: Array<{ id: string; text: string }> = [];
  const name = drillName(ctx.envCtx, op.stamp);
  const db = await ops.rds.describeInstance(`${name}-db`);
  if (db) out.push({ id: db.identifier, text: `RDS instance ${db.identifier} (${db.status})` });
  const fsId = stepOf(ctx.ledger, op, DRILL_STEPS.restoreFs)?.evidence.fileSystemId as string | undefined;
  if (fsId && (await ops.efs.describeFileSystems(fsId)).length) out.push({ id: fsId, text: `EFS ${fsId}` });
  const vpc = optionalOutput(ctx.ledger, 'network.stack', 'VpcId');
  const sgs = vpc ? await ops.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] }) : [];
  for (const g of sgs) out.push({ id: g.groupId, text: `security group ${g.groupId} (${g.groupName})` });
  const dr = stepOf(ctx.ledger, op, DRILL_STEPS.drRegion);
  if (dr && deps.drAws) {
    const cfn = await deps.drAws.cfn();
    for (const s of (dr.evidence.stacks as string[] | undefined) ?? []) if (s && (await cfn.describeStack(s))) out.push({ id: s, text: `stack ${s} in ${deps.drRegion}` });
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

  // 2. The restored file system (mount targets first).
  const fsId = stepOf(ctx.ledger, op, DRILL_STEPS.restoreFs)?.evidence.fileSystemId as string | undefined;
  if (fsId && (await ops.efs.describeFileSystems(fsId)).length) {
    for (const m of await ops.efs.describeMountTargets(fsId)) await ops.efs.deleteMountTarget(m.mountTargetId);
    await waitGone(ctx, `mount targets of ${fsId}`, async () => ((await ops.efs.describeMountTargets(fsId)).length ? 'deleting' : undefined), until());
    await ops.efs.deleteFileSystem(fsId);
    await waitGone(ctx, `EFS ${fsId}`, async () => (await ops.efs.describeFileSystems(fsId))[0]?.state, until());
    deleted.push(`EFS ${fsId}`);
  }

  // 3. The DR region's stacks (scope full): the retained data goes too — it is a drill copy.
  const dr = stepOf(ctx.ledger, op, DRILL_STEPS.drRegion);
  if (dr && deps.drAws) {
    const r = await tearDownDrRegion(ctx, deps, dr.outputs, (dr.evidence.stacks as string[] | undefined) ?? [], String(dr.evidence.drEnv ?? ''));
    deleted.push(...r.deleted);
    left.push(...r.left);
  }

  // 4. The security group, once nothing uses it (RDS network interfaces linger for minutes).
  const vpc = optionalOutput(ctx.ledger, 'network.stack', 'VpcId');
  const sgId = (stepOf(ctx.ledger, op, DRILL_STEPS.isolate)?.outputs.SecurityGroupId) || (vpc ? (await ops.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] }))[0]?.groupId : undefined);
  if (sgId) {
    const deadline = until();
    for (;;) {
      try {
        await ops.ec2.deleteSecurityGroup(sgId);
        deleted.push(`security group ${sgId}`);
        break;
      } catch (err) {
        if (!/DependencyViolation|in use/i.test(`${(err as { name?: string }).name} ${errorMessage(err)}`) || ctx.clock.now() >= deadline) {
          left.push(`security group ${sgId}: ${errorMessage(err)}`);
          break;
        }
        ctx.progress(`security group ${sgId} still in use; retrying`);
        await ctx.clock.sleep(30000, ctx.signal);
      }
    }
  }

  // Verify through describe calls, not through what the calls returned.
  for (const r of await drillResourceIds(ctx, ops, op, { ...deps, drAws: undefined }))
    if (!left.some((l) => l.includes(r.id))) left.push(`${r.text} still exists after teardown`);
  return { deleted, left };
}

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
    onTimeout: (s) => stepError('DrillTeardownTimedOut', `${what} is still ${s} after an hour.`, { hint: 'Rerun dpf dr-drill --teardown to keep waiting.' }),
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
    await ops.rds.modifyDeletionProtection(dbId, false).catch(() => undefined);
    await ops.rds.deleteInstance(dbId, { skipFinalSnapshot: true });
    await waitGone(ctx, `DR DB ${dbId}`, async () => (await ops.rds.describeInstance(dbId))?.status, new Date(ctx.clock.now().getTime() + 3600000));
    deleted.push(`RDS instance ${dbId} in ${deps.drRegion}`);
  }
  for (const stack of [...stacks].reverse().filter(Boolean)) {
    if (!(await cfn.describeStack(stack))) continue;
    try {
      await cfn.deleteStack(stack);
    } catch (err) {
      // An emulator answers DeleteStack with a resource's error and drops the stack; AWS would
      // report DELETE_FAILED. Either way the describe calls below say what is really left.
      const after = await cfn.describeStack(stack);
      if (after && !/DELETE_/.test(after.status)) {
        left.push(`stack ${stack} in ${deps.drRegion}: DeleteStack failed: ${errorMessage(err)}`);
        continue;
      }
      ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `DeleteStack ${stack} answered "${errorMessage(err)}"; the stack is ${after?.status ?? 'gone'}` });
    }
    let last: string | undefined;
    await waitGone(ctx, `stack ${stack}`, async () => {
      const s = await cfn.describeStack(stack);
      last = s?.status;
      return s && s.status !== 'DELETE_COMPLETE' && s.status !== 'DELETE_FAILED' ? s.status : undefined;
    }, new Date(ctx.clock.now().getTime() + 3600000));
    if (last === 'DELETE_FAILED') {
      const cause = rootCause(await cfn.describeStackEvents(stack), stack);
      left.push(`stack ${stack} in ${deps.drRegion}: DELETE_FAILED${cause ? ` (${cause.logicalId}: ${cause.reason ?? ''})` : ''}`);
    } else deleted.push(`stack ${stack} in ${deps.drRegion}`);
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
      for (const m of await ops.efs.describeMountTargets(outputs.EfsFileSystemId)) await ops.efs.deleteMountTarget(m.mountTargetId);
      await ops.efs.deleteFileSystem(outputs.EfsFileSystemId);
      deleted.push(`EFS ${outputs.EfsFileSystemId} in ${deps.drRegion}`);
    } catch (err) {
      left.push(`EFS ${outputs.EfsFileSystemId} in ${deps.drRegion}: ${errorMessage(err)} (mount targets may still be deleting; delete it by hand)`);
    }
  }
  if (drEnv) {
    const vpcs = await ops.ec2.describeVpcs({ 'tag:dpf:env': [drEnv] });
    for (const v of vpcs) left.push(`VPC ${v.vpcId} in ${deps.drRegion} (tag dpf:env=${drEnv}) still exists after its stack was deleted`);
  }
  left.push(`KMS key and AWS Backup vault of the DR storage stack in ${deps.drRegion} are retained by the template (DeletionPolicy Retain): schedule the key's deletion and delete the empty vault by hand`);
  return { deleted, left };
}

// ---------- the result ----------

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
  const td = get(DRILL_STEPS.teardown);
  const state = (ledger.data.operations ?? []).find((x) => x.id === op.id)?.state ?? {};
  const aborted = typeof state.aborted === 'string' ? state.aborted : undefined;
  const notes: string[] = [];
  const checks = ((val?.evidence.checks as Check[] | undefined) ?? []).slice();
  const done = (r: typeof rdb) => r?.status === 'done';

  const dbFailed = checks.filter((c) => c.name.startsWith('database:') && c.status === 'failed').map((c) => `${c.name.slice(10)} (${c.detail})`);
  const database = measureStore({
    name: 'database',
    drillStart: op.startedAt,
    validatedAt: done(val) && done(rdb) ? new Date(val!.outputs.DbValidatedAt!) : undefined,
    restorePoint: rdb?.outputs.RestorePoint ? new Date(rdb.outputs.RestorePoint) : rdb?.evidence.restorePoint ? new Date(String(rdb.evidence.restorePoint)) : undefined,
    rtoTargetSeconds: rec.rtoMinutes.data * 60,
    rpoTargetSeconds: rec.rpoMinutes.database * 60,
    unmeasured: !done(rdb) ? `the database was not restored${aborted ? ` (${aborted})` : rdb?.error ? ` (${rdb.error.message})` : ''}` : undefined,
    validationFailed: dbFailed.length ? dbFailed.join(', ') : undefined,
  });
  if (!done(rdb) && aborted) Object.assign(database, { passed: false });

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
    const completed = dr?.outputs.CompletedAt ? new Date(dr.outputs.CompletedAt) : undefined;
    const end = completed && done(val) ? new Date(Math.max(completed.getTime(), new Date(val!.outputs.DbValidatedAt!).getTime())) : undefined;
    const rto = end ? Math.max(0, Math.round((end.getTime() - op.startedAt.getTime()) / 1000)) : null;
    const target = rec.rtoMinutes.full * 60;
    environment = {
      region: deps.drRegion ?? rec.drRegion ?? '?',
      rtoSeconds: rto,
      rtoTargetSeconds: target,
      passed: rto === null ? (aborted ? false : null) : rto <= target,
      stacks: (dr?.evidence.stacks as string[] | undefined) ?? [],
      reason: rto === null ? `the DR region was not recreated${dr?.error ? ` (${dr.error.message})` : ''}` : rto > target ? `RTO ${fmt(rto)} exceeds the full-recovery target ${fmt(target)}` : undefined,
    };
    notes.push('Scope full recreates the network and storage stacks in the DR region (infrastructure RTO); the data there is not restored from cross-region copies by this drill.');
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
    verdict: verdictText(passed, stores, aborted),
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
