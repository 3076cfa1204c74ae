/** The canary (what the copies must contain) and the isolation of the copies. */
import type { EnvContext, StepDef } from '../../steps/types.js';
import { errorMessage } from '../../errors.js';
import { opStep, optionalOutput, unavailableOnEndpoint, stepError, endpointName, type Operation } from '../operation.js';
import { anyWorker, runShell } from '../health.js';
import { type CheckStatus } from '../report.js';
import { DRILL_STEPS, drillName } from './keys.js';

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

/** A row in the database and a file on EFS, written at drill start through SSM on a worker. */
export function canaryStep(op: Operation): StepDef {
  return opStep({
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
          const run = await runShell(ctx, ops, [worker], canaryScript(ctx.envCtx, token), {
            labels: { [worker]: 'worker' },
            timeoutSeconds: 90,
            comment: 'dpf dr-drill canary',
          });
          const out = run.hosts[0]?.tail.join('\n') ?? '';
          const pick = (k: string): CheckStatus => {
            const m = new RegExp(`dpf-canary-${k}=(ok|failed)`).exec(out)?.[1];
            return m === 'ok' ? 'ok' : m === 'failed' ? 'failed' : 'unknown';
          };
          db = pick('db');
          fs = pick('fs');
          if (db === 'unknown' && fs === 'unknown')
            detail.push(
              `SSM returned no output from ${worker} (${run.hosts[0]?.status ?? 'no invocation'}; an emulator answers with empty output): canary time recorded, its write unconfirmed`,
            );
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
}

/** The drill's own security group in the VPC: no ingress, egress revoked. */
export function isolateStep(op: Operation): StepDef {
  return opStep({
    id: DRILL_STEPS.isolate,
    title: 'Isolated security group for the drill',
    estimateSeconds: 10,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const vpc = ctx.output('network.stack', 'VpcId');
      const name = drillName(ctx.envCtx, op.stamp);
      let groupId = mine.groupId as string | undefined;
      // A group an earlier attempt made may have been deleted since: one that is gone isolates nothing.
      if (groupId && !(await ops.ec2.describeSecurityGroups({ 'group-id': [groupId] })).length) groupId = undefined;
      if (!groupId) groupId = (await ops.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] }))[0]?.groupId;
      if (!groupId) {
        groupId = await ops.ec2.createSecurityGroup(vpc, name, `dpf DR drill ${op.id}: no ingress, no egress`, {
          'dpf:env': ctx.envCtx.name,
          'dpf:project': ctx.envCtx.project,
          'dpf:drill': op.id,
          Name: name,
        });
        await ctx.evidence({ groupId });
      }
      await ops.ec2.revokeAllEgress(groupId);
      const g = (await ops.ec2.describeSecurityGroups({ 'group-id': [groupId] }))[0];
      const ingress = g?.ingress.length ?? 0;
      const egress = g?.egress.length ?? 0;
      if (!g) throw stepError('DrillNotIsolated', `Drill security group ${groupId} is not visible after it was made.`);
      if (ingress || egress) throw stepError('DrillNotIsolated', `Drill security group ${groupId} still has ${ingress} ingress and ${egress} egress rule(s).`);
      return {
        changed: true,
        summary: `${groupId} (${name}): no ingress, egress revoked`,
        outputs: { SecurityGroupId: groupId },
        evidence: { groupId, name, vpc, ingressRules: ingress, egressRules: egress },
      };
    },
  });
}
