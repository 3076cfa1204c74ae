/**
 * Render, offline, everything dpf deploys for one environment of a config: each stack step's
 * template with the parameters dpf computes (stack tags included), the agent's metrics, and the
 * step graphs. Also renders the same environment under the most extreme names the config loader
 * accepts (name probes: its schema and its per-service name rules, config/names.ts), read from
 * the loader itself so a tightened rule is followed.
 */
import { configSchema, type DpfConfig, type EnvironmentConfig } from '../config/schema.js';
import { derivedNameProblems } from '../config/names.js';
import { buildSteps } from '../steps/phases.js';
import { stackName, stackTags } from '../steps/kinds/stack.js';
import type { EnvContext, StepDef } from '../steps/types.js';
import { fullParameters, loadTemplate } from '../templates/registry.js';
import { render } from '../templates/render.js';
import { pseudoParameters } from '../templates/pseudo.js';
import { buildPatchSteps } from '../ops/patch/build.js';
import { planWaves } from '../ops/patch/hosts.js';
import { loadAgentMetrics } from './agent.js';
import { offlineContext } from './offline.js';
import type { NameProbe, RenderedEnvironment, RenderedStack, SemanticInput } from './types.js';

/** The account id used when the config pins none (any 12 digits: names are as long as on AWS). */
export const PLACEHOLDER_ACCOUNT = '111122223333';

function envContext(project: string, envName: string, env: EnvironmentConfig): EnvContext {
  return { project, name: envName, env, region: env.region, accountId: env.accountId ?? PLACEHOLDER_ACCOUNT, operator: 'offline', runId: 'offline' };
}

async function renderStacks(envCtx: EnvContext, steps: StepDef[]): Promise<RenderedStack[]> {
  const contextFor = offlineContext(envCtx, steps);
  const out: RenderedStack[] = [];
  for (const step of steps) {
    if (!step.stack) continue;
    const t = loadTemplate(step.stack.template);
    const ctx = contextFor(step);
    const parameters = fullParameters(t, await step.stack.parameters(ctx));
    const region = step.stack.region?.(envCtx.env) ?? envCtx.region;
    const name = stackName(envCtx, step.stack.template);
    const p = pseudoParameters(region, envCtx.accountId, name);
    out.push({
      stepId: step.id,
      template: step.stack.template,
      stackName: name,
      region,
      accountId: envCtx.accountId,
      partition: p['AWS::Partition'],
      tags: stackTags(envCtx),
      parameters,
      rendered: render(t.template, parameters, p),
      source: t.template,
    });
  }
  return out;
}

/** Render one environment of a config (no AWS call is made). */
export async function renderEnvironment(config: DpfConfig, envName: string): Promise<RenderedEnvironment> {
  const env = config.environments[envName];
  if (!env) throw new Error(`environment ${envName} is not in the config`);
  const envCtx = envContext(config.project, envName, env);
  const steps = buildSteps(env);
  const stacks = await renderStacks(envCtx, steps);
  const agentStep = steps.find((s) => s.id === 'monitoring.agent');
  const vars = agentStep?.playbook ? await agentStep.playbook.extraVars(offlineContext(envCtx, steps)(agentStep)) : {};
  const hosts = [
    { instanceId: 'i-bastion', role: 'bastion' },
    ...(env.identity.provider === 'freeipa'
      ? [
          { instanceId: 'i-ipa1', role: 'identity' },
          { instanceId: 'i-ipa2', role: 'identity' },
        ]
      : []),
    { instanceId: 'i-master', role: 'master' },
    { instanceId: 'i-dev', role: 'dev' },
    { instanceId: 'i-worker', role: 'worker' },
  ];
  const patchSteps = buildPatchSteps(
    { id: 'offline', kind: 'patch', key: '', startedAt: new Date(0), stamp: '19700101000000', params: {}, resumed: false, runId: 'offline' },
    { method: env.patching.method, waves: planWaves(hosts), hosts, acceptUnknownHealth: false, enforceWindow: false, rerun: 'dpf patch' },
  );
  return {
    project: config.project,
    envName,
    region: env.region,
    accountId: envCtx.accountId,
    config: env,
    stacks,
    steps,
    patchSteps,
    agent: loadAgentMetrics(vars),
  };
}

// ---------- name probes ----------

/** What the loader accepts: the schema's characters and lengths, and every AWS rule on the names derived from them. */
function accepted(project: string, envName: string): boolean {
  return configSchema.safeParse({ project, environments: { [envName]: {} } }).success && derivedNameProblems(project, envName).length === 0;
}

/** The longest name `make(n)` the schema accepts (n up to 255), or undefined when none is. */
function longest(make: (n: number) => string, ok: (s: string) => boolean): string | undefined {
  let best: string | undefined;
  for (let n = 1; n <= 255; n++) if (ok(make(n))) best = make(n);
  return best;
}

/** Extreme names the schema accepts: the longest, and the longest with the edge characters it allows. */
export function extremeNames(ok: (s: string) => boolean): string[] {
  const shapes: Array<(n: number) => string> = [
    (n) => 'a'.repeat(n),
    (n) => `${'a'.repeat(Math.max(0, n - 1))}-`,
    (n) => `a--${'a'.repeat(Math.max(0, n - 3))}`,
    (n) => `a${'9'.repeat(Math.max(0, n - 1))}`,
  ];
  const found = shapes.map((s) => longest(s, ok)).filter((s): s is string => Boolean(s));
  return [...new Set(found)];
}

/** Project × environment names at the loader's limits (read from its schema and name rules, never copied). */
export function nameProbes(): Array<{ project: string; envName: string }> {
  const defaultEnv = 'dev';
  const defaultProject = 'dataplatform';
  const projects = extremeNames((p) => accepted(p, defaultEnv));
  const envs = extremeNames((e) => accepted(defaultProject, e));
  const out: Array<{ project: string; envName: string }> = [];
  for (const project of projects) for (const envName of envs) if (accepted(project, envName)) out.push({ project, envName });
  return out;
}

async function renderProbe(config: DpfConfig, envName: string, probe: { project: string; envName: string }): Promise<NameProbe> {
  const env = config.environments[envName]!;
  // A 12-digit account, pinned or not: the derived names are as long as on AWS.
  const envCtx = envContext(probe.project, probe.envName, { ...env, accountId: env.accountId ?? PLACEHOLDER_ACCOUNT });
  const steps = buildSteps(env);
  return { ...probe, stacks: await renderStacks(envCtx, steps) };
}

/** What the rules read: the environment, and its name probes. */
export async function semanticInput(config: DpfConfig, envName: string): Promise<SemanticInput> {
  const env = await renderEnvironment(config, envName);
  const probes = await Promise.all(nameProbes().map((p) => renderProbe(config, envName, p)));
  return { env, probes };
}
