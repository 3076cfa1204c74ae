/** Step kind "stack": deploy one bundled template as one CloudFormation stack. */
import { createHash } from 'node:crypto';
import { loadTemplate, fullParameters, type TemplateName, type LoadedTemplate } from '../../templates/registry.js';
import { DEFAULT_POLL, deployStack, type DeployStackRequest } from '../stack-deployer.js';
import { pollCeiling } from '../../settings.js';
import { stackDirectory } from '../stack-directory.js';
import { SUCCESS_STATES } from '../../aws/cloudformation.js';
import { estimateTemplate } from '../eta.js';
import { render } from '../../templates/render.js';
import { pseudoParameters } from '../../templates/pseudo.js';
import type { After, PhaseId, StepContext, StepDef, StepResult, Prepared, EnvContext } from '../types.js';
import type { StepRecord } from '../../state/ledger.js';
import { StepFailedError } from '../../errors.js';
import type { StepContract } from '../contracts.js';
import type { AwsPorts } from '../../aws/ports.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import { clientToken } from '../tokens.js';

export interface StackStepSpec {
  id: string;
  phase: PhaseId;
  title: string;
  template: TemplateName;
  /** The steps it waits for, each with its reason (what the parameters read from it). */
  after: After;
  /** Parameter values dpf computes (from the config, the ledger, and read-only AWS lookups). */
  parameters(ctx: StepContext): Record<string, string> | Promise<Record<string, string>>;
  /** What the stack creates, for the prerequisite model. */
  contract?: StepContract;
  /** Side effects the stack needs before it is deployed (not run by dpf plan). */
  beforeDeploy?(ctx: StepContext): Promise<void>;
  /** Deploy to this region instead of the environment's (e.g. recovery.drRegion). */
  region?(env: EnvironmentConfig): string | undefined;
}

/** The ports of the region the stack lives in. */
function portsFor(spec: StackStepSpec, ctx: StepContext): AwsPorts {
  const region = spec.region?.(ctx.envCtx.env);
  if (!region || region === ctx.envCtx.region) return ctx.aws;
  if (!ctx.awsIn) throw new StepFailedError(spec.id, `Step ${spec.id} deploys to ${region}, and this command offers no AWS access there.`);
  return ctx.awsIn(region);
}

export function stackName(envCtx: Pick<EnvContext, 'project' | 'name'>, template: string): string {
  return `${envCtx.project}-${envCtx.name}-${template}`;
}

/** The specification's Purpose tag value (its Ansible inventory filters on tag:Purpose). */
export const SEED_PURPOSE = 'DataPlatformFoundation';

/**
 * Stack tags, which CloudFormation propagates to every resource it creates that takes tags:
 * dpf's own and the specification's Environment and Purpose (what launch templates and the worker
 * group launch carry them in the templates: stack tags do not reach those).
 */
export function stackTags(envCtx: Pick<EnvContext, 'project' | 'name'>): Record<string, string> {
  return { 'dpf:env': envCtx.name, 'dpf:project': envCtx.project, 'dpf:managed-by': 'dpf', Environment: envCtx.name, Purpose: SEED_PURPOSE };
}

interface StackInputs {
  stackName: string;
  /** Set when the stack is not in the environment's region. */
  region?: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
}

/** Load the template, complete its parameters and hash everything the stack is made from. */
async function prepareStack(spec: StackStepSpec, ctx: StepContext): Promise<Prepared> {
  const t = loadTemplate(spec.template);
  let parameters: Record<string, string>;
  try {
    parameters = fullParameters(t, await spec.parameters(ctx));
  } catch (err) {
    if (err instanceof StepFailedError) throw err;
    throw new StepFailedError(spec.id, (err as Error).message);
  }
  const tags = stackTags(ctx.envCtx);
  const region = spec.region?.(ctx.envCtx.env);
  const inputs: StackInputs = {
    stackName: stackName(ctx.envCtx, spec.template),
    parameters,
    tags,
    ...(region && region !== ctx.envCtx.region ? { region } : {}),
  };
  const inputHash = createHash('sha256')
    .update(t.body)
    .update(JSON.stringify(Object.entries(parameters).sort()))
    .update(JSON.stringify(Object.entries(tags).sort()))
    .update(inputs.region ?? '')
    .digest('hex');
  return { inputHash, estimateSeconds: estimateTemplate(t.template).totalSeconds, data: inputs };
}

/** What a deploy and a preview of this step send alike. */
async function stackRequest(spec: StackStepSpec, ctx: StepContext, prepared: Prepared, t: LoadedTemplate, changeSetName: string): Promise<DeployStackRequest> {
  const inputs = prepared.data as StackInputs;
  return {
    stepId: spec.id,
    stackName: inputs.stackName,
    ...(await templateSource(ctx, t, inputs.region)),
    parameters: inputs.parameters,
    tags: inputs.tags,
    templateOutputs: t.outputs,
    templateResources: t.template.Resources as never,
    changeSetName,
    inputHash: prepared.inputHash,
  };
}

async function runStack(spec: StackStepSpec, ctx: StepContext, prepared: Prepared): Promise<StepResult> {
  const inputs = prepared.data as StackInputs;
  const t = loadTemplate(spec.template);
  await spec.beforeDeploy?.(ctx);
  const token = (purpose: string) => clientToken(ctx.envCtx.runId, spec.id, ctx.attempt, purpose);
  // A run that died in this step recorded its change set's name before creating it.
  const prev = ctx.previous;
  const resumeChangeSetName = prev?.status === 'running' && typeof prev.evidence.changeSetName === 'string' ? prev.evidence.changeSetName : undefined;
  // Never run, nothing recorded: the stack is new unless someone else made it (deployStack checks).
  const presumedNew = !prev?.evidence.stackId && !prev?.evidence.changeSetName && !prev?.evidence.stackName;
  const r = await deployStack(
    {
      ...(await stackRequest(spec, ctx, prepared, t, `dpf-${ctx.envCtx.runId}-${spec.template}`)),
      tokens: { create: token('create'), execute: token('execute'), delete: token('delete'), rollback: token('rollback') },
      resumeChangeSetName,
      presumedNew,
      ...(presumedNew && ctx.envCtx.env.deploy.newStacks === 'create-stack' ? { resourcesToCreate: resourcesToCreate(t, inputs, ctx.envCtx) } : {}),
      ...(ctx.planned ? { savedChangeSet: { name: ctx.planned.changeSetName, type: ctx.planned.changeSetType } } : {}),
    },
    {
      cfn: await portsFor(spec, ctx).cfn(),
      clock: ctx.clock,
      io: ctx.io,
      signal: ctx.signal,
      poll: stackPoll(ctx),
      testHold: ctx.settings.testHold,
      onEvidence: (e) => ctx.evidence({ ...e, stackName: inputs.stackName, ...(inputs.region ? { region: inputs.region } : {}) }),
    },
  );
  return {
    changed: r.changed,
    outputs: r.outputs,
    summary: r.action === 'none' ? 'no changes' : `${r.action}d ${inputs.stackName} (${r.changes.length} resource change(s))`,
    evidence: {
      stackName: inputs.stackName,
      ...(inputs.region ? { region: inputs.region } : {}),
      stackId: r.stackId,
      stackStatus: r.status,
      changeSetId: r.changeSetId,
      action: r.action,
      changes: r.changes.map((c) => `${c.action} ${c.logicalId} (${c.resourceType})${c.replacement === 'True' ? ' REPLACED' : ''}`),
      outputsResolvedFromResources: r.outputsResolvedFromResources.length ? r.outputsResolvedFromResources : undefined,
      templateHash: createHash('sha256').update(t.body).digest('hex').slice(0, 16),
    },
  };
}

/**
 * The template's resources that its conditions keep with these parameters: what a CREATE change set
 * would list. undefined when the template cannot be rendered offline (the deployer then makes a
 * change set, as it always may).
 */
function resourcesToCreate(t: LoadedTemplate, inputs: StackInputs, envCtx: EnvContext): Array<{ logicalId: string; resourceType: string }> | undefined {
  try {
    const rendered = render(t.template, inputs.parameters, pseudoParameters(inputs.region ?? envCtx.region, envCtx.accountId, inputs.stackName));
    return Object.entries(rendered.resources).map(([logicalId, r]) => ({ logicalId, resourceType: r.Type }));
  } catch {
    return undefined;
  }
}

async function verifyStack(spec: StackStepSpec, ctx: StepContext, record: StepRecord): Promise<{ ok: boolean; reason?: string }> {
  const name = String(record.evidence.stackName ?? stackName(ctx.envCtx, spec.template));
  const ports = portsFor(spec, ctx);
  // One ListStacks for every done stack of this run in this region (./stack-directory.ts).
  const status = await stackDirectory(ctx.envCtx, ports.region, await ports.cfn()).status(name);
  if (!status) return { ok: false, reason: `stack ${name} no longer exists` };
  if (!SUCCESS_STATES.has(status)) return { ok: false, reason: `stack ${name} is ${status}` };
  return { ok: true };
}

type PreviewFn = NonNullable<StepDef['preview']>;

/** A change set made and described, then deleted (or kept, `keep`, for `dpf deploy --plan`). */
async function previewStack(spec: StackStepSpec, ctx: StepContext, prepared: Prepared, opts: Parameters<PreviewFn>[2]): ReturnType<PreviewFn> {
  const inputs = prepared.data as StackInputs;
  const t = loadTemplate(spec.template);
  const cfn = await portsFor(spec, ctx).cfn();
  const before = opts?.keep ? await cfn.describeStack(inputs.stackName) : undefined;
  const changeSetName = `dpf-plan-${ctx.envCtx.runId}-${spec.template}`;
  const r = await deployStack(
    {
      ...(await stackRequest(spec, ctx, prepared, t, changeSetName)),
      previewOnly: true,
      keepChangeSet: opts?.keep,
      tokens: {
        create: clientToken(ctx.envCtx.runId, spec.id, ctx.attempt, 'preview'),
        delete: clientToken(ctx.envCtx.runId, spec.id, ctx.attempt, 'preview-delete'),
      },
    },
    { cfn, clock: ctx.clock, io: ctx.io, signal: ctx.signal, poll: stackPoll(ctx) },
  );
  return {
    summary: r.changed ? `${r.changes.length} change(s)` : 'no changes',
    changes: r.changes,
    ...(r.security?.length ? { security: r.security } : {}),
    ...(opts?.keep && r.changed
      ? {
          changeSet: {
            stackName: inputs.stackName,
            changeSetName,
            changeSetType: r.changeSetType ?? 'UPDATE',
            stackStatus: before?.status,
            stackLastUpdated: before?.lastUpdated?.toISOString(),
          },
        }
      : {}),
  };
}

export function stackStep(spec: StackStepSpec): StepDef {
  return {
    id: spec.id,
    phase: spec.phase,
    title: spec.title,
    kind: 'stack',
    dependsOn: Object.keys(spec.after),
    after: spec.after,
    contract: spec.contract,
    stack: { template: spec.template, parameters: spec.parameters, region: spec.region },
    prepare: (ctx) => prepareStack(spec, ctx),
    staticEstimateSeconds: () => estimateTemplate(loadTemplate(spec.template).template).totalSeconds,
    run: (ctx, prepared) => runStack(spec, ctx, prepared),
    verify: (ctx, record) => verifyStack(spec, ctx, record),

    async check(ctx, prepared) {
      const pv = await this.preview!(ctx, prepared);
      return {
        changed: Boolean(pv.changes?.length),
        summary: pv.summary,
        evidence: { changes: pv.changes?.map((c) => `${c.action} ${c.logicalId} (${c.resourceType})${c.replacement === 'True' ? ' REPLACED' : ''}`) },
      };
    },

    preview: (ctx, prepared, opts) => previewStack(spec, ctx, prepared, opts),
  };
}

/** CloudFormation's limit for TemplateBody; larger templates go through the state bucket. */
export const TEMPLATE_BODY_LIMIT = 51200;

async function templateSource(
  ctx: StepContext,
  t: LoadedTemplate,
  region?: string,
): Promise<{ templateBody: string } | { templateBody?: undefined; templateUrl: string }> {
  if (t.body.length <= TEMPLATE_BODY_LIMIT) return { templateBody: t.body };
  // The state bucket is in the environment's region; CloudFormation reads a TemplateURL in its own.
  if (region)
    throw new StepFailedError(
      ctx.stepId,
      `Template ${t.name} is ${t.body.length} bytes, over CloudFormation's ${TEMPLATE_BODY_LIMIT}-byte TemplateBody limit, and is deployed to ${region}, where dpf has no bucket to upload it to.`,
    );
  const bucket = ctx.ledger.outputs('bootstrap.state').StateBucketName;
  if (!bucket)
    throw new StepFailedError(
      ctx.stepId,
      `Template ${t.name} is ${t.body.length} bytes, over CloudFormation's ${TEMPLATE_BODY_LIMIT}-byte TemplateBody limit, and there is no state bucket to upload it to yet.`,
    );
  const key = `templates/${t.name}-${createHash('sha256').update(t.body).digest('hex').slice(0, 16)}.json`;
  const objects = await ctx.aws.objects();
  if (!(await objects.exists(bucket, key))) await objects.putText(bucket, key, t.body);
  return { templateUrl: `https://${bucket}.s3.${ctx.envCtx.region}.amazonaws.com/${key}` };
}

/** The poll settings (DPF_POLL_MS, DPF_POLL_MAX_MS: tests, the time-scaled emulator) override the first and slowest intervals. */
function stackPoll(ctx: StepContext) {
  const { pollMs, pollMaxMs } = ctx.settings;
  if (!pollMs && !pollMaxMs) return undefined;
  const minMs = pollMs ?? DEFAULT_POLL.minMs;
  return { minMs, maxMs: pollCeiling(ctx.settings, DEFAULT_POLL.maxMs) };
}
