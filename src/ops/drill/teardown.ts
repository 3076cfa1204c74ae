/** Deleting every drill resource (verified through describe calls), or keeping them with --keep. */
import type { OpsPorts } from '../../aws/ops-ports.js';
import type { StepContext, StepDef } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { errorMessage } from '../../errors.js';
import { opStep, optionalOutput, stepOf, waitFor, stepError, type Operation } from '../operation.js';
import { drRecorded } from './dr-stacks.js';
import { deleteFileSystem, deleteSecurityGroup, deleteStack } from '../reap.js';
import { deleteVaultAndPoints } from '../backup/vault.js';
import { DRILL, DRILL_STEPS, drillName, drEnvName, type DrillOptions, type DrillDeps } from './keys.js';

/** Delete every drill resource (or keep them with --keep); records why the drill is torn down early. */
export function teardownStep(op: Operation, o: DrillOptions, deps: DrillDeps, mainIds: string[]): StepDef {
  return opStep({
    id: DRILL_STEPS.teardown,
    title: o.keep ? 'Keep the drill resources (--keep)' : 'Tear the drill down',
    input: { keep: o.keep },
    estimateSeconds: 600,
    async run(ctx) {
      const aborted = abortedReason(ctx.ledger, op, mainIds);
      const ops = await ctx.aws.ops();
      const found = await drillResources(ctx, ops, op, deps);
      if (o.keep) {
        for (const r of found)
          ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `kept: ${r} (remove with dpf dr-drill --env ${ctx.envCtx.name} --teardown)` });
        return {
          changed: false,
          summary: `kept ${found.length} resource(s)`,
          outputs: { Kept: 'true', Left: String(found.length) },
          evidence: { kept: true, resources: found, deleted: [], left: found, aborted },
        };
      }
      const { deleted, left } = await tearDown(ctx, ops, op, deps);
      for (const l of left) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `left behind: ${l}` });
      return {
        changed: deleted.length > 0,
        summary: `${deleted.length} deleted${left.length ? `, ${left.length} LEFT` : ''}`,
        outputs: { Kept: 'false', Left: String(left.length) },
        evidence: { kept: false, deleted, left, aborted },
      };
    },
  });
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

/** What the drill created, by evidence and by its deterministic names. */
export async function drillResources(ctx: StepContext, ops: OpsPorts, op: Operation, deps: DrillDeps): Promise<string[]> {
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
  for (const s of await dr.rds.describeSnapshots({ snapshotId: `${name}-dr` }))
    out.push({ id: s.identifier, text: `RDS snapshot ${s.identifier} (${s.status}) in ${deps.drRegion}`, kind: 'snapshot' });
  const vpc = drRecorded(ctx.ledger, op, ctx.envCtx, drEnvName(deps.envName, op.stamp))?.outputs.VpcId;
  const sgId = DRILL.drData.of(ctx.ledger, op)?.evidence.securityGroupId;
  const groups = vpc
    ? await dr.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] })
    : sgId
      ? await dr.ec2.describeSecurityGroups({ 'group-id': [sgId] })
      : [];
  for (const g of groups) out.push({ id: g.groupId, text: `security group ${g.groupId} (${g.groupName}) in ${deps.drRegion}`, kind: 'sg' });
  return out;
}

async function drillResourceIds(
  ctx: StepContext,
  ops: OpsPorts,
  op: Operation,
  deps: DrillDeps,
  withStacks: boolean,
): Promise<Array<{ id: string; text: string }>> {
  const out: Array<{ id: string; text: string }> = [];
  const name = drillName(ctx.envCtx, op.stamp);
  const db = await ops.rds.describeInstance(`${name}-db`);
  if (db) out.push({ id: db.identifier, text: `RDS instance ${db.identifier} (${db.status})` });
  for (const s of await ops.rds.describeSnapshots({ snapshotId: `${name}-src` }))
    out.push({ id: s.identifier, text: `RDS snapshot ${s.identifier} (${s.status})` });
  const fsId = DRILL.restoreFs.of(ctx.ledger, op)?.evidence.fileSystemId;
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
  const fsId = DRILL.restoreFs.of(ctx.ledger, op)?.evidence.fileSystemId;
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
  const sgId =
    stepOf(ctx.ledger, op, DRILL_STEPS.isolate)?.outputs.SecurityGroupId ||
    (vpc ? (await ops.ec2.describeSecurityGroups({ 'vpc-id': [vpc], 'group-name': [name] }))[0]?.groupId : undefined);
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

async function tearDownDrRegion(
  ctx: StepContext,
  deps: DrillDeps,
  outputs: Record<string, string>,
  stacks: string[],
  drEnv: string,
): Promise<{ deleted: string[]; left: string[] }> {
  const deleted: string[] = [];
  const left: string[] = [];
  const aws = deps.drAws!;
  const [cfn, ops] = [await aws.cfn(), await aws.ops()];
  const dbId = outputs.DbInstanceIdentifier;
  if (dbId && (await ops.rds.describeInstance(dbId))) {
    try {
      await ops.rds.modifyDeletionProtection(dbId, false);
    } catch (err) {
      ctx.io.notify({
        type: 'warning',
        stepId: ctx.stepId,
        message: `could not turn off deletion protection of ${dbId} in ${deps.drRegion}: ${errorMessage(err)}`,
      });
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
  if (key)
    left.push(
      `KMS key ${key} in ${deps.drRegion} (retained by the DR storage stack; it encrypted the drill's copies): aws kms schedule-key-deletion --region ${deps.drRegion} --key-id ${key} --pending-window-in-days 7`,
    );
  else if (stacks.some((s) => s.endsWith('-storage')))
    left.push(
      `the KMS key of the DR storage stack in ${deps.drRegion} (retained by the template; the stack reported no key id): find it by the tag dpf:env=${drEnv} and schedule its deletion`,
    );
  return { deleted, left };
}
