/**
 * The DR-region stacks of a full drill as steps of their own: `operations.drill.dr-network` and
 * `operations.drill.dr-storage` are the deploy graph's network and storage stack steps run
 * against the drill's DR copy of the environment (the name `<env>-d<stamp>`, the DR region and
 * its zones, no HA, no Multi-AZ, no deletion protection) — each with its ledger record (scoped to
 * the drill), verify, events and change sets like any stack step, so a drill resumed after a kill
 * reconciles a stack left half-made instead of starting it over. `operations.drill.dr-region`
 * then gathers their outputs for the steps that read them (no AWS call).
 */
import type { AwsPorts } from '../../aws/ports.js';
import type { EnvContext, StepContext, StepDef } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { stackName } from '../../steps/kinds/stack.js';
import { buildSteps } from '../../steps/phases.js';
import { StepFailedError } from '../../errors.js';
import { opStep, stepOf, stepError, type Operation } from '../operation.js';

export const DR_STACK_STEPS = {
  network: 'operations.drill.dr-network',
  storage: 'operations.drill.dr-storage',
} as const;

/** Which drill step stands for which deploy step in the DR copy. */
const STANDS_FOR: Record<string, string> = { 'network.stack': DR_STACK_STEPS.network, 'storage.stack': DR_STACK_STEPS.storage };

export interface DrStackDeps {
  drAws?: AwsPorts;
  drRegion?: string;
  /** The DR copy's environment name (drEnvName). */
  drEnv: string;
}

/** The drill's DR copy of the environment: three zones of the DR region (its own answer, else a, b, c). */
export async function drEnvContext(ctx: Pick<StepContext, 'envCtx'>, aws: AwsPorts, region: string, drEnv: string): Promise<EnvContext> {
  const zones = (await (await aws.ops()).ec2.describeAvailabilityZones().catch(() => [] as string[])).sort().slice(0, 3);
  const env = ctx.envCtx.env;
  return {
    ...ctx.envCtx,
    name: drEnv,
    region,
    env: {
      ...env,
      region,
      availabilityZones: zones.length === 3 ? zones : ['a', 'b', 'c'].map((z) => `${region}${z}`),
      highAvailability: false,
      storage: { ...env.storage, rds: { ...env.storage.rds, deletionProtection: false, multiAz: false } },
    },
  };
}

/** The deploy step's context in the DR copy: its outputs are the drill's DR steps' (of this drill). */
async function drContext(ctx: StepContext, op: Operation, deps: DrStackDeps): Promise<StepContext> {
  if (!deps.drAws || !deps.drRegion)
    throw stepError('DrillNoDrRegion', 'scope full needs recovery.drRegion in the config.', {
      hint: 'Set recovery.drRegion (e.g. us-east-1) for the environment.',
    });
  return {
    ...ctx,
    envCtx: await drEnvContext(ctx, deps.drAws, deps.drRegion, deps.drEnv),
    aws: deps.drAws,
    output(stepId, key) {
      // The state backend is the environment's own; the rest are the DR copy's stacks.
      const from = stepId === 'bootstrap.state' ? ctx.ledger.get(stepId) : STANDS_FOR[stepId] ? stepOf(ctx.ledger, op, STANDS_FOR[stepId]!) : undefined;
      const v = from?.outputs[key];
      if (v === undefined) throw new StepFailedError(ctx.stepId, `The DR-region ${stepId} has no output ${key}.`);
      return v;
    },
  };
}

function drStackStep(op: Operation, deps: DrStackDeps, id: string, deployId: 'network.stack' | 'storage.stack', dependsOn: string[]): StepDef {
  const def = buildSteps().find((s) => s.id === deployId)!;
  return {
    id,
    phase: 'operations',
    title: `${def.title} in the DR region (${deps.drRegion ?? '?'}) as ${deps.drEnv}`,
    kind: 'stack',
    dependsOn,
    staticEstimateSeconds: def.staticEstimateSeconds,
    prepare: async (ctx) => def.prepare(await drContext(ctx, op, deps)),
    run: async (ctx, prepared) => def.run(await drContext(ctx, op, deps), prepared),
    ...(def.verify ? { verify: async (ctx, rec) => def.verify!(await drContext(ctx, op, deps), rec) } : {}),
  };
}

/** The DR network, the DR storage on it, and the step that gathers what they made. */
export function drStackSteps(op: Operation, deps: DrStackDeps, gatherId: string): StepDef[] {
  const network = drStackStep(op, deps, DR_STACK_STEPS.network, 'network.stack', []);
  const storage = drStackStep(op, deps, DR_STACK_STEPS.storage, 'storage.stack', [DR_STACK_STEPS.network]);
  const gather = opStep({
    id: gatherId,
    title: `DR region (${deps.drRegion ?? '?'}) recreated`,
    dependsOn: [DR_STACK_STEPS.network, DR_STACK_STEPS.storage],
    estimateSeconds: 1,
    async run(ctx) {
      const net = stepOf(ctx.ledger, op, DR_STACK_STEPS.network);
      const st = stepOf(ctx.ledger, op, DR_STACK_STEPS.storage);
      const stacks = [net, st].map((r) => String(r?.evidence.stackName ?? ''));
      // When the later of the two stacks was complete: the environment's recovery time counts from here.
      const completedAt =
        [net?.finishedAt, st?.finishedAt]
          .filter((t): t is string => Boolean(t))
          .sort()
          .at(-1) ?? ctx.clock.now().toISOString();
      const so = st?.outputs ?? {};
      return {
        changed: false,
        summary: `${stacks.join(', ')} complete in ${deps.drRegion}`,
        outputs: {
          CompletedAt: completedAt,
          DrEnv: deps.drEnv,
          Region: deps.drRegion ?? '',
          Stacks: stacks.join(','),
          VpcId: net?.outputs.VpcId ?? '',
          DbInstanceIdentifier: so.DbInstanceIdentifier ?? '',
          DbSubnetGroupName: so.DbSubnetGroupName ?? '',
          DbParameterGroupName: so.DbParameterGroupName ?? '',
          DataKmsKeyArn: so.DataKmsKeyArn ?? '',
          DataKmsKeyId: so.DataKmsKeyId ?? '',
          BackupVaultName: so.BackupVaultName ?? '',
          DataLakeBucketName: so.DataLakeBucketName ?? '',
          AccessLogBucketName: so.AccessLogBucketName ?? '',
          EfsFileSystemId: so.EfsFileSystemId ?? '',
        },
        evidence: { stacks, drEnv: deps.drEnv, region: deps.drRegion, completedAt },
      };
    },
  });
  return [network, storage, gather];
}

/** What the DR stack steps of this drill recorded, whatever their status (a teardown after a failure needs it too). */
export interface DrRecorded {
  /** The stacks the drill started (network first), named even when the step failed before AWS answered. */
  stacks: string[];
  /** The outputs of both stacks, as far as they got. */
  outputs: Record<string, string>;
  /** The first error of the two steps, with its root cause. */
  error?: string;
}

export function drRecorded(ledger: Ledger, op: Pick<Operation, 'id'>, envCtx: Pick<EnvContext, 'project'>, drEnv: string): DrRecorded | undefined {
  const recs = (['network', 'storage'] as const).map((t) => ({ t, r: stepOf(ledger, op, DR_STACK_STEPS[t]) })).filter((x) => x.r);
  if (!recs.length) return undefined;
  return {
    stacks: recs.map(({ t, r }) =>
      typeof r!.evidence.stackName === 'string' ? r!.evidence.stackName : stackName({ project: envCtx.project, name: drEnv }, t),
    ),
    outputs: Object.assign({}, ...recs.map(({ r }) => r!.outputs)) as Record<string, string>,
    error: recs.map(({ r }) => r!.error && [r!.error.message, r!.error.rootCause].filter(Boolean).join(' ')).find(Boolean),
  };
}
