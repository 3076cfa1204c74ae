/** Scope full: the database copied into the DR region, restored there isolated, validated. */
import type { DbSnapshotInfo } from '../../aws/ops-ports.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import type { StepDef, StepResult } from '../../steps/types.js';
import { errorMessage } from '../../errors.js';
import { opStep, optionalOutput, unavailableOnEndpoint, waitFor, stepError, endpointName, type Operation } from '../operation.js';
import { waitDbAvailable, dbCopyChecks } from '../restore/copy.js';
import { type Check } from '../report.js';
import { DRILL_STEPS, deadlineOf, capError, drillName, type DrillDeps } from './keys.js';

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
export function drSourceStep(op: Operation): StepDef {
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
export function drDataStep(op: Operation, deps: DrillDeps): StepDef {
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
