/**
 * Builders for the semantic rules' tests: a rendered stack from a small template written in
 * CloudFormation YAML, and a SemanticInput around stacks, with a config from the schema.
 */
import { parseCfnTemplate } from '../../src/templates/cfn-yaml.js';
import { render, type Pseudo } from '../../src/templates/render.js';
import { configSchema, type EnvironmentInput } from '../../src/config/schema.js';
import { loadAgentMetrics, type AgentMetrics } from '../../src/validate/agent.js';
import type { NameProbe, RenderedEnvironment, RenderedStack, SemanticInput } from '../../src/validate/types.js';
import type { StepDef } from '../../src/steps/types.js';

export const REGION = 'eu-west-1';
export const ACCOUNT = '111122223333';

export const SEED_STACK_TAGS = { 'dpf:env': 'dev', 'dpf:project': 'acme', Environment: 'dev', Purpose: 'DataPlatformFoundation' };

export interface StackOptions {
  stepId?: string;
  region?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

/** A stack rendered from YAML (short-form intrinsics allowed), as renderEnvironment would give it. */
export function stack(template: string, yaml: string, o: StackOptions = {}): RenderedStack {
  const source = parseCfnTemplate(yaml);
  const region = o.region ?? REGION;
  const pseudo: Pseudo = {
    'AWS::Region': region,
    'AWS::AccountId': ACCOUNT,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': `acme-dev-${template}`,
  };
  const rendered = render(source, o.params ?? {}, pseudo);
  return {
    stepId: o.stepId ?? `${template}.stack`,
    template,
    stackName: `acme-dev-${template}`,
    region,
    accountId: ACCOUNT,
    partition: 'aws',
    tags: o.tags ?? SEED_STACK_TAGS,
    parameters: rendered.params,
    rendered,
    source,
  };
}

export interface InputOptions {
  envName?: string;
  env?: EnvironmentInput;
  agent?: Partial<AgentMetrics>;
  patchSteps?: StepDef[];
  probes?: NameProbe[];
}

export function input(stacks: RenderedStack[], o: InputOptions = {}): SemanticInput {
  const envName = o.envName ?? 'dev';
  const config = configSchema.parse({
    project: 'acme',
    environments: { [envName]: { region: REGION, availabilityZones: [`${REGION}a`, `${REGION}b`, `${REGION}c`], ...(o.env ?? {}) } },
  });
  const env: RenderedEnvironment = {
    project: 'acme',
    envName,
    region: REGION,
    accountId: ACCOUNT,
    config: config.environments[envName]!,
    stacks,
    steps: [],
    patchSteps: o.patchSteps ?? [],
    agent: { ...loadAgentMetrics({}), ...(o.agent ?? {}) },
  };
  return { env, probes: o.probes ?? [] };
}

/** A step for graph rules: only id, kind and dependencies matter. */
export function step(id: string, kind: StepDef['kind'], dependsOn: string[] = []): StepDef {
  return {
    id,
    kind,
    dependsOn,
    phase: 'operations',
    title: id,
    prepare: async () => ({ inputHash: '', estimateSeconds: 0 }),
    run: async () => ({ changed: false }),
  };
}
