/**
 * Every alarm watches a metric something dpf deploys actually publishes, under exactly the
 * alarm's dimension set. CloudWatch treats each combination of dimensions as a separate metric
 * and never aggregates across them for an alarm: an alarm on {InstanceId, path} gets no data from
 * a metric published as {InstanceId, path, fstype} and sits in INSUFFICIENT_DATA forever, as does
 * an alarm on a metric nothing publishes. One-minute EC2 periods also need detailed monitoring.
 */
import { holdsPlaceholder } from '../offline.js';
import type { Finding, Rule, RenderedEnvironment, RenderedStack } from '../types.js';
import { agentProducedMetrics, type ProducedMetric } from '../agent.js';
import { serviceMetrics } from '../service-metrics.js';
import { launchTemplateData, locate } from '../resolve.js';
import { asList, ofType } from '../../templates/render.js';

interface WatchedMetric {
  namespace: string;
  metric: string;
  dimensions: Array<{ Name: string; Value: unknown }>;
  period?: number;
}

/** The metrics an alarm watches: its own, or each MetricStat of a metric-math alarm. */
export function watchedMetrics(props: Record<string, any>): WatchedMetric[] {
  if (props.MetricName)
    return [{ namespace: String(props.Namespace), metric: String(props.MetricName), dimensions: asList(props.Dimensions), period: Number(props.Period) }];
  return asList<any>(props.Metrics)
    .filter((m) => m.MetricStat)
    .map((m) => ({
      namespace: String(m.MetricStat.Metric.Namespace),
      metric: String(m.MetricStat.Metric.MetricName),
      dimensions: asList(m.MetricStat.Metric.Dimensions),
      period: Number(m.MetricStat.Period),
    }));
}

/** Metric filters of the stacks: the metric they publish, with their dimension names. */
export function metricFilterMetrics(stacks: RenderedStack[]): ProducedMetric[] {
  return stacks.flatMap((s) =>
    ofType(s.rendered, 'AWS::Logs::MetricFilter').flatMap(([id, r]) =>
      asList<any>(r.Properties.MetricTransformations).map((t) => ({
        namespace: String(t.MetricNamespace),
        metric: String(t.MetricName),
        dimensionSets: [Object.keys(t.Dimensions ?? {}).length ? Object.keys(Object.fromEntries(asList<any>(t.Dimensions).map((d) => [d.Key, d.Value]))) : []],
        producer: `metric filter ${s.template}/${id} on ${r.Properties.LogGroupName}`,
      })),
    ),
  );
}

export function producers(env: RenderedEnvironment): ProducedMetric[] {
  return [...serviceMetrics(), ...agentProducedMetrics(env.agent), ...metricFilterMetrics(env.stacks)];
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
const show = (dims: string[]) => `{${dims.join(', ')}}`;

export const alarmMetricsProduced: Rule = {
  id: 'alarm-metrics-produced',
  title: 'Every alarm watches a metric dpf makes sure is published',
  rule: "Each alarm's namespace, metric and exact dimension set is published by an AWS service, the CloudWatch agent configuration dpf installs, or a metric filter dpf deploys; 1-minute EC2 alarms watch instances with detailed monitoring.",
  protectsAgainst:
    'alarms that stay INSUFFICIENT_DATA forever (a dimension set nothing publishes, a metric without a publisher), which no linter and no emulator notices',
  docs: [
    'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension',
    'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html',
    'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringLogData.html',
    'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/manage-detailed-monitoring.html',
  ],
  check({ env }) {
    const known = producers(env);
    const findings: Finding[] = [];
    for (const s of env.stacks)
      for (const [id, alarm] of ofType(s.rendered, 'AWS::CloudWatch::Alarm'))
        for (const w of watchedMetrics(alarm.Properties)) {
          const subject = `${s.template}/${id}`;
          const dims = w.dimensions.map((d) => d.Name);
          const candidates = known.filter((p) => p.namespace === w.namespace && p.metric === w.metric);
          if (!candidates.length) {
            findings.push({
              severity: 'error',
              subject,
              message: `${w.namespace} ${w.metric}: nothing dpf deploys publishes this metric (no service metric, agent measurement or metric filter)`,
            });
            continue;
          }
          const match = candidates.find((p) => p.dimensionSets.some((set) => sameSet(set, dims)));
          if (!match) {
            const offered = [...new Set(candidates.flatMap((p) => p.dimensionSets.map(show)))].join(', ');
            findings.push({
              severity: 'error',
              subject,
              message: `${w.namespace} ${w.metric} with dimensions ${show(dims)} is never published (published as ${offered}; ${candidates[0]!.producer}): the alarm would stay INSUFFICIENT_DATA`,
            });
            continue;
          }
          for (const d of w.dimensions) {
            const allowed = match.values?.[d.Name];
            if (allowed && typeof d.Value === 'string' && !holdsPlaceholder(d.Value) && !allowed.includes(d.Value))
              findings.push({
                severity: 'error',
                subject,
                message: `${w.metric} is published for ${d.Name} ${allowed.map((v) => `"${v}"`).join(', ')}, not "${d.Value}" (${match.producer})`,
              });
          }
          if (w.namespace === 'AWS/EC2' && w.period !== undefined && w.period < 300) {
            for (const d of w.dimensions.filter((x) => x.Name === 'InstanceId' || x.Name === 'AutoScalingGroupName')) {
              const target = locate(env.stacks, s, d.Value);
              if (!target) continue;
              const data = launchTemplateData(target);
              const detailed =
                target.resource.Properties.Monitoring === true ||
                target.resource.Properties.Monitoring === 'true' ||
                String(data?.Monitoring?.Enabled) === 'true';
              if (!detailed)
                findings.push({
                  severity: 'error',
                  subject,
                  message: `a ${w.period}-second period on ${w.metric} of ${target.stack.template}/${target.logicalId} needs detailed monitoring (Monitoring.Enabled in its launch template); with basic monitoring EC2 publishes every 5 minutes`,
                });
            }
          }
        }
    return findings;
  },
};
