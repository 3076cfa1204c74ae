/** Scope full: the database copied into the DR region, restored there isolated, validated. */
import type { DbSnapshotInfo, Ec2Port, OpsPorts } from '../../aws/ops-ports.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import type { StepContext, StepDef, StepResult } from '../../steps/types.js';
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
  return opStep({
    id: DRILL_STEPS.drSource,
    title: 'Database snapshot to recover in the DR region (newest at drill start)',
    estimateSeconds: 60,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const db = optionalOutput(ctx.ledger, 'storage.stack', 'DbInstanceIdentifier');
      if (!db)
        throw stepError('NoDatabase', 'The ledger has no DbInstanceIdentifier for storage.stack.', {
          hint: `Deploy storage first: dpf deploy --env ${ctx.envCtx.name} --phase storage`,
        });
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
        outputs: {
          SnapshotId: snapshotId,
          SnapshotArn: arn,
          Created: created,
          Encrypted: String(snap!.encrypted !== false),
          OnDemand: String(onDemand),
          DbInstanceIdentifier: db,
        },
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
  return opStep({
    id: DRILL_STEPS.drData,
    title: `Restore the database in the DR region (${deps.drRegion ?? '?'}) from a copied snapshot (isolated)`,
    kind: 'stack',
    dependsOn: [DRILL_STEPS.drSource, DRILL_STEPS.drRegion],
    estimateSeconds: 2700,
    run: (ctx, mine) => runDrData(op, deps, ctx, mine),
  });
}

async function runDrData(op: Operation, deps: DrillDeps, ctx: StepContext, mine: Record<string, unknown>): Promise<StepResult> {
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

  const { key, from } = drKmsKey(ctx.envCtx.env, drOut);
  if (encrypted && !key)
    throw stepError('DrillNoDrKey', `Snapshot ${sourceId} is encrypted and no KMS key of ${region} is known to encrypt its copy there (looked at ${from}).`, {
      hint: `A KMS key never leaves its region: set recovery.drKmsKeyArn to a key in ${region} this account can use, or make the DR storage stack output DataKmsKeyArn.`,
    });
  const { vpc, subnetGroup, parameterGroup } = await drNetwork(dr, drOut);

  // 1. The drill's own group in the DR VPC: no ingress, egress revoked.
  const sg = await isolatedGroup(ctx, dr.ec2, {
    vpc,
    name,
    region,
    description: `dpf DR drill ${op.id} (DR region): no ingress, no egress`,
    tags,
    known: mine.securityGroupId as string | undefined,
  });
  // 2. The snapshot copied into the DR region, 3. restored into the DR network with the isolated group.
  const copyId = `${name}-dr`;
  const target = `${name}-dr-db`;
  const src = await ops.rds.describeInstance(ctx.output(DRILL_STEPS.drSource, 'DbInstanceIdentifier'));
  const why = await copyAndRestore(ctx, op, dr, {
    sourceArn,
    sourceId,
    copyId,
    target,
    region,
    key: encrypted ? key : undefined,
    from,
    tags,
    deadline,
    sg,
    subnetGroup,
    parameterGroup,
    instanceClass: src?.instanceClass,
  });
  if (why) return unmeasuredDr(ctx, why);
  const inst = await waitDbAvailable(ctx, dr, target, deadline, (status) => capError(op, ctx, `${target} in ${region}`, status));

  // 4. Validated there, against the source's engine and port and the DR network settings.
  const checks: Check[] = dbCopyChecks(inst, { engine: src?.engine ?? inst.engine, port: src?.port, subnetGroup, securityGroupIds: [sg], parameterGroup });
  if (encrypted && key)
    checks.push({
      name: `KMS key of ${region}`,
      status: sameKey(inst.kmsKeyId, key) ? 'ok' : inst.kmsKeyId ? 'failed' : 'unknown',
      detail: `${inst.kmsKeyId ?? 'not reported'}${sameKey(inst.kmsKeyId, key) ? '' : ` (wanted ${key})`}`,
    });
  return restoredDr(ctx, { region, target, copyId, sourceId, sg, key, from, endpoint: inst.endpoint, checks });
}

function unmeasuredDr(ctx: StepContext, reason: string): StepResult {
  ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `DR-region database not restored, so not measured: ${reason}` });
  return {
    changed: false,
    summary: `not measured: ${reason}`,
    outputs: { Status: 'unmeasured', Reason: reason },
    evidence: { status: 'unmeasured', reason },
  };
}

/** The DR network the database is restored into. */
async function drNetwork(dr: OpsPorts, drOut: Record<string, string>): Promise<{ vpc: string; subnetGroup: string; parameterGroup?: string }> {
  // The DR stacks' outputs first; the DR storage stack's own instance fills what they lack
  // (an emulator drops some outputs of stacks made through change sets).
  const stackDb = drOut.DbInstanceIdentifier ? await dr.rds.describeInstance(drOut.DbInstanceIdentifier) : undefined;
  const vpc = drOut.VpcId || undefined;
  const subnetGroup = drOut.DbSubnetGroupName || stackDb?.subnetGroup;
  const parameterGroup = drOut.DbParameterGroupName || stackDb?.parameterGroups[0];
  if (!vpc || !subnetGroup)
    throw stepError(
      'DrillDrOutputMissing',
      `The DR-region stacks gave no ${!vpc ? 'VpcId' : 'DbSubnetGroupName'} output${vpc ? ` and their database ${drOut.DbInstanceIdentifier || '(none)'} names no subnet group` : ''}: the database cannot be restored into the DR network.`,
    );
  return { vpc, subnetGroup, parameterGroup };
}

/** The DR-region database restored: its outputs and evidence, each check reported as progress. */
function restoredDr(
  ctx: StepContext,
  o: { region: string; target: string; copyId: string; sourceId: string; sg: string; key?: string; from: string; endpoint?: string; checks: Check[] },
): StepResult {
  const { region, target, copyId, sourceId, sg, key, from, checks } = o;
  const validatedAt = ctx.clock.now().toISOString();
  for (const c of checks) ctx.progress(`${c.status.padEnd(7)} DR database: ${c.name}: ${c.detail}`);
  const failed = checks.filter((c) => c.status === 'failed');
  return {
    changed: true,
    summary: `${target} available in ${region} from ${sourceId}; ${checks.length - failed.length}/${checks.length} check(s) not failed`,
    outputs: {
      Status: 'restored',
      DbInstanceIdentifier: target,
      SnapshotCopyId: copyId,
      SecurityGroupId: sg,
      KmsKeyId: key ?? '',
      ValidatedAt: validatedAt,
      Failed: String(failed.length),
    },
    evidence: {
      status: 'restored',
      target,
      copySnapshotId: copyId,
      securityGroupId: sg,
      kmsKeyId: key,
      keyFrom: from,
      endpoint: o.endpoint,
      checks,
      validatedAt,
    },
  };
}

/** The drill's own security group in a VPC, found or made: no ingress, egress revoked, verified. */
async function isolatedGroup(
  ctx: StepContext,
  ec2: Ec2Port,
  o: { vpc: string; name: string; region: string; description: string; tags: Record<string, string>; known?: string },
): Promise<string> {
  // A group an earlier attempt made may have been deleted since: one that is gone isolates nothing.
  const known = o.known && (await ec2.describeSecurityGroups({ 'group-id': [o.known] })).length ? o.known : undefined;
  let sg = known ?? (await ec2.describeSecurityGroups({ 'vpc-id': [o.vpc], 'group-name': [o.name] }))[0]?.groupId;
  if (!sg) {
    sg = await ec2.createSecurityGroup(o.vpc, o.name, o.description, { ...o.tags, Name: o.name });
    await ctx.evidence({ securityGroupId: sg });
  }
  await ec2.revokeAllEgress(sg);
  const g = (await ec2.describeSecurityGroups({ 'group-id': [sg] }))[0];
  if (!g || g.ingress.length || g.egress.length)
    throw stepError(
      'DrillNotIsolated',
      `DR security group ${sg} in ${o.region} ${g ? `still has ${g.ingress.length} ingress and ${g.egress.length} egress rule(s)` : 'is not visible'}.`,
    );
  return sg;
}

interface CopyRestore {
  sourceArn: string;
  sourceId: string;
  copyId: string;
  target: string;
  region: string;
  /** The DR region's key (encrypted snapshots) and where it came from. */
  key?: string;
  from: string;
  tags: Record<string, string>;
  deadline: Date;
  sg: string;
  subnetGroup: string;
  parameterGroup?: string;
  instanceClass?: string;
}

/**
 * The snapshot copied into the DR region and restored there (each only once: a resumed drill
 * finds the copy or the instance). Returns why it could not be (the endpoint offers no
 * cross-region copy), else undefined.
 */
async function copyAndRestore(ctx: StepContext, op: Operation, dr: OpsPorts, c: CopyRestore): Promise<string | undefined> {
  if (await dr.rds.describeInstance(c.target)) {
    ctx.progress(`${c.target} already requested by this drill; waiting for it`);
    return undefined;
  }
  if (!(await dr.rds.describeSnapshots({ snapshotId: c.copyId })).length) {
    ctx.progress(`copying ${c.sourceArn} to ${c.region} as ${c.copyId}${c.key ? ` (encrypted with ${c.key}, from ${c.from})` : ''}`);
    try {
      await dr.rds.copySnapshot(c.sourceArn, c.copyId, { kmsKeyId: c.key, tags: c.tags });
    } catch (err) {
      if (unavailableOnEndpoint(ctx, err))
        return `RDS CopyDBSnapshot into ${c.region} is not available on ${endpointName(ctx)} (${errorMessage(err).split('\n')[0]})`;
      throw err;
    }
    await ctx.evidence({ securityGroupId: c.sg, copySnapshotId: c.copyId, kmsKeyId: c.key, copyRequestedAt: ctx.clock.now().toISOString() });
  }
  const copy = await waitFor<DbSnapshotInfo | undefined>(ctx, {
    stepId: ctx.stepId,
    what: `snapshot copy ${c.copyId} in ${c.region}`,
    read: async () => (await dr.rds.describeSnapshots({ snapshotId: c.copyId }))[0],
    state: (x) => (x?.status === 'available' ? 'done' : !x || SNAPSHOT_FAILED.has(x.status) ? 'failed' : 'waiting'),
    describe: (x) => x?.status ?? 'gone',
    deadline: c.deadline,
    minMs: 10000,
    maxMs: 60000,
    onTimeout: (x) => capError(op, ctx, `snapshot copy ${c.copyId}`, x?.status ?? 'gone'),
    onFailed: (x) =>
      stepError('DrillCopyFailed', `The copy ${c.copyId} of ${c.sourceId} in ${c.region} is ${x?.status ?? 'gone'}.`, {
        hint: 'Check that the DR key allows RDS to use it (kms:CreateGrant, kms:DescribeKey) and the snapshot copy quota of the region.',
      }),
  });
  ctx.progress(
    `restoring ${c.copyId} as ${c.target} in ${c.region} (subnet group ${c.subnetGroup}, security group ${c.sg} only, parameter group ${c.parameterGroup ?? 'default'})`,
  );
  await dr.rds.restoreFromSnapshot(c.copyId, {
    targetIdentifier: c.target,
    subnetGroup: c.subnetGroup,
    securityGroupIds: [c.sg],
    parameterGroup: c.parameterGroup,
    instanceClass: c.instanceClass,
    multiAz: false,
    tags: c.tags,
  });
  await ctx.evidence({ target: c.target, copyAvailableAt: ctx.clock.now().toISOString(), copyKmsKeyId: copy?.kmsKeyId });
  return undefined;
}
