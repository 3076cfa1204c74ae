/**
 * The CloudWatch agent's metrics as the monitoring role configures them, read from the role's
 * data (roles/monitoring/defaults/main.yml: monitoring_agent_metrics), and the metrics that
 * configuration publishes — the names and the exact dimension sets, since CloudWatch treats each
 * dimension combination as a separate metric.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ANSIBLE_DIR } from '../templates/registry.js';

export interface AgentPlugin {
  measurement: string[];
  resources?: string[];
  drop_device?: boolean;
  totalcpu?: boolean;
}

export interface AgentMetrics {
  namespace: string;
  appendDimensions: string[];
  aggregationDimensions: string[][];
  plugins: Record<string, AgentPlugin>;
  /** Where it was read (for findings). */
  source: string;
}

/** One metric a producer publishes: the exact dimension sets, and the values known offline per dimension. */
export interface ProducedMetric {
  namespace: string;
  metric: string;
  dimensionSets: string[][];
  /** Known values of some dimensions (e.g. the agent's disk paths); absent = any value. */
  values?: Record<string, string[]>;
  producer: string;
}

export const AGENT_DEFAULTS_FILE = path.join('roles', 'monitoring', 'defaults', 'main.yml');
const GROUP_VARS_FILE = path.join('group_vars', 'all.yml');

/**
 * Read the agent's metrics configuration. The namespace resolves as Ansible would: the extra
 * variable dpf passes (cloudwatch_namespace) over group_vars/all.yml over the role default.
 */
export function loadAgentMetrics(extraVars: Record<string, string>, dir = ANSIBLE_DIR): AgentMetrics {
  const defaults = parse(readFileSync(path.join(dir, AGENT_DEFAULTS_FILE), 'utf8')) ?? {};
  const groupVars = parse(readFileSync(path.join(dir, GROUP_VARS_FILE), 'utf8')) ?? {};
  const m = defaults.monitoring_agent_metrics;
  if (!m || typeof m !== 'object') throw new Error(`${AGENT_DEFAULTS_FILE} has no monitoring_agent_metrics mapping`);
  const namespace = extraVars.cloudwatch_namespace || groupVars.cloudwatch_namespace || 'DataPlatform';
  return {
    namespace: String(namespace),
    appendDimensions: Object.keys(m.append_dimensions ?? {}),
    aggregationDimensions: (m.aggregation_dimensions ?? []).map((d: unknown[]) => d.map(String)),
    plugins: m.metrics_collected ?? {},
    source: `templates/ansible/${AGENT_DEFAULTS_FILE.split(path.sep).join('/')}`,
  };
}

/** Dimensions each plugin adds itself (device only when not dropped). */
function pluginDimensions(plugin: string, p: AgentPlugin): string[] {
  switch (plugin) {
    case 'cpu':
      return ['cpu'];
    case 'disk':
      return p.drop_device ? ['path', 'fstype'] : ['path', 'device', 'fstype'];
    case 'diskio':
      return ['name'];
    case 'net':
      return ['interface'];
    default:
      return [];
  }
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * What the agent publishes: `<plugin>_<measurement>` with the raw dimension set of a host outside
 * an Auto Scaling group and of one inside it (append_dimensions' AutoScalingGroupName is only
 * added there; the host dimension is omitted when append_dimensions is set), plus every
 * aggregation whose dimensions the raw metric carries.
 */
export function agentProducedMetrics(a: AgentMetrics): ProducedMetric[] {
  const out: ProducedMetric[] = [];
  const base = a.appendDimensions.length ? a.appendDimensions.filter((d) => d !== 'AutoScalingGroupName') : ['host'];
  for (const [plugin, p] of Object.entries(a.plugins)) {
    const own = pluginDimensions(plugin, p);
    const raw = [[...base, ...own]];
    if (a.appendDimensions.includes('AutoScalingGroupName')) raw.push([...base, 'AutoScalingGroupName', ...own]);
    const sets: string[][] = [...raw];
    for (const agg of a.aggregationDimensions) {
      if (raw.some((r) => agg.every((d) => r.includes(d))) && !sets.some((s) => sameSet(s, agg))) sets.push(agg);
    }
    const values: Record<string, string[]> = {};
    if (plugin === 'disk' && p.resources && !p.resources.includes('*')) values.path = p.resources;
    if (plugin === 'cpu') values.cpu = p.totalcpu === false ? [] : ['cpu-total'];
    for (const measurement of p.measurement ?? []) {
      const metric = measurement.startsWith(`${plugin}_`) ? measurement : `${plugin}_${measurement}`;
      out.push({ namespace: a.namespace, metric, dimensionSets: sets, values, producer: `CloudWatch agent (${a.source})` });
    }
  }
  return out;
}
