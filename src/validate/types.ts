/**
 * The semantic check tier: offline rules over what dpf would deploy for one environment of a
 * config — the bundled templates rendered with the parameters dpf computes, the CloudWatch
 * agent's metric configuration, and the step graphs. Each rule is a small pure function with a
 * name, the rule in one sentence, and the AWS documentation it follows. They catch what the
 * linters and the emulator accept and AWS does not (or accepts and then silently ignores).
 */
import type { Verdict } from '../io/events.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { Rendered } from '../templates/render.js';
import type { StepDef } from '../steps/types.js';
import type { AgentMetrics } from './agent.js';

export interface RenderedStack {
  /** The step that deploys it, e.g. `storage.stack`. */
  stepId: string;
  template: string;
  stackName: string;
  /** Region the stack is deployed to (the environment's, or recovery.drRegion for the DR vault). */
  region: string;
  /** Account and partition the stack is rendered for (pseudo parameters). */
  accountId: string;
  partition: string;
  /** Stack-level tags (CloudFormation propagates them to the resources it creates). */
  tags: Record<string, string>;
  parameters: Record<string, string>;
  rendered: Rendered;
  /** The parsed template (declared Parameters with their constraints). */
  source: Record<string, any>;
}

/** Everything dpf deploys for one environment, rendered offline. */
export interface RenderedEnvironment {
  project: string;
  envName: string;
  region: string;
  accountId: string;
  config: EnvironmentConfig;
  stacks: RenderedStack[];
  /** The deploy step graph for this config. */
  steps: StepDef[];
  /** The step graph of `dpf patch` for a platform with every kind of host. */
  patchSteps: StepDef[];
  /** The CloudWatch agent's metrics section as the monitoring role renders it. */
  agent: AgentMetrics;
}

/**
 * The same config rendered with the most extreme project/environment names the config schema
 * accepts (longest, and the edge characters it allows): names dpf derives must fit AWS's limits
 * for all of them, not just for the names in this file.
 */
export interface NameProbe {
  project: string;
  envName: string;
  stacks: RenderedStack[];
}

export interface SemanticInput {
  env: RenderedEnvironment;
  probes: NameProbe[];
}

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** Where: "stack/LogicalId", a step id, or a config path. */
  subject: string;
  message: string;
}

export interface Rule {
  /** kebab-case id, stable (used by --json and the docs). */
  id: string;
  title: string;
  /** The rule, in one sentence. */
  rule: string;
  /** What goes wrong on AWS when it is broken. */
  protectsAgainst: string;
  /** AWS documentation it follows. */
  docs: string[];
  check(input: SemanticInput): Finding[];
}

/** A rule always knows: no `unknown`. */
export type RuleStatus = Exclude<Verdict, 'unknown'>;

export interface RuleVerdict {
  id: string;
  title: string;
  rule: string;
  protectsAgainst: string;
  docs: string[];
  status: RuleStatus;
  findings: Finding[];
}

/** A rule's verdict from its findings: any error fails, warnings alone warn, nothing passes. */
export function verdictOf(rule: Rule, findings: Finding[]): RuleVerdict {
  const status: RuleStatus = findings.some((f) => f.severity === 'error') ? 'fail' : findings.length ? 'warn' : 'pass';
  return { id: rule.id, title: rule.title, rule: rule.rule, protectsAgainst: rule.protectsAgainst, docs: rule.docs, status, findings };
}
