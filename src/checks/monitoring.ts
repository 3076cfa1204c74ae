/** Monitoring checks: alarms exist and are quiet, the alert subscription is confirmed, agent metrics arrive. */
import type { AlarmInfo, InstanceInfo } from '../aws/ops-ports.js';
import { loadTemplate } from '../templates/registry.js';
import type { CheckSpec } from './types.js';
import { combine, couldNotAsk, emulatorGap, environmentInstances, label, unknown, type Part } from './common.js';

/** Agent metrics must be newer than this. */
export const METRIC_FRESH_MINUTES = 15;
export const AGENT_METRIC = 'mem_used_percent';

function sub(value: unknown, vars: Record<string, string>): string | undefined {
  const fill = (s: string) => s.replace(/\$\{([A-Za-z0-9:]+)\}/g, (m, k: string) => vars[k] ?? m);
  if (typeof value === 'string') return value;
  const s = (value as { 'Fn::Sub'?: unknown })?.['Fn::Sub'];
  if (typeof s === 'string') return fill(s);
  if (Array.isArray(s) && typeof s[0] === 'string') return fill(s[0]);
  return undefined;
}

/** Alarm names a template declares (AlarmName as a string or !Sub over ProjectName/EnvName). */
export function templateAlarmNames(template: Record<string, any>, project: string, env: string): string[] {
  return Object.values((template.Resources ?? {}) as Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && !r.Condition)
    .map((r) => sub(r.Properties?.AlarmName, { ProjectName: project, EnvName: env }))
    .filter((n): n is string => Boolean(n) && !n!.includes('${'));
}

export function expectedAlarms(outputs: Record<string, string>, project: string, env: string): { names: string[]; source: string } {
  if (outputs.AlarmNames)
    return {
      names: outputs.AlarmNames.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      source: 'monitoring stack output AlarmNames',
    };
  return {
    names: templateAlarmNames(loadTemplate('monitoring').template, project, env),
    source: 'the monitoring template (the stack has no AlarmNames output)',
  };
}

export function alarmParts(expected: string[], found: AlarmInfo[], emulator: string | undefined, topicArn?: string): Part[] {
  const byName = new Map(found.map((a) => [a.name, a]));
  return expected.map((name) => {
    const a = byName.get(name);
    if (!a)
      return emulator
        ? { subject: name, status: 'unknown', detail: `missing, but ${emulatorGap('skips AWS::CloudWatch::Alarm in templates', emulator)}` }
        : { subject: name, status: 'fail', detail: 'alarm does not exist' };
    if (a.state === 'ALARM') return { subject: name, status: 'fail', detail: `in ALARM: ${a.reason ?? 'no reason given'}` };
    if (a.state === 'INSUFFICIENT_DATA') return { subject: name, status: 'warn', detail: 'INSUFFICIENT_DATA (no data yet for its metric)' };
    if (!a.actions.length) return { subject: name, status: 'warn', detail: `${a.state}, but it notifies nobody (no alarm action)` };
    if (topicArn && !a.actions.includes(topicArn))
      return { subject: name, status: 'warn', detail: `${a.state}, but it does not notify the alert topic (actions: ${a.actions.join(', ')})` };
    return { subject: name, status: 'pass', detail: topicArn ? `${a.state}, notifies the alert topic` : a.state };
  });
}

export const alarmsCheck: CheckSpec = {
  id: 'golive.alarms',
  title: 'Every expected alarm exists and none is in ALARM',
  category: 'monitoring',
  checklist: 'monitoring-alerting',
  after: { 'monitoring.stack': { inspects: 'the alarms and topic it creates' } },
  criterion: 'each alarm of the monitoring stack exists, notifies the alert topic and is not in ALARM',
  estimateSeconds: 3,
  async run(ctx) {
    if (ctx.ledger.steps['monitoring.stack']?.status !== 'done') return unknown('the monitoring stack is not deployed (monitoring.stack is not done)');
    const { names, source } = expectedAlarms(ctx.outputs('monitoring.stack'), ctx.project, ctx.envName);
    if (!names.length) return unknown(`no alarm is expected (${source} names none)`, { source });
    const topic = ctx.outputs('monitoring.stack').AlarmTopicArn;
    const found = await (await ctx.ops()).cloudwatch.describeAlarms(names);
    return combine(
      alarmParts(names, found, ctx.emulator, topic),
      { passed: `${names.length} alarm(s) exist, none in ALARM`, nothing: 'no alarm is expected (empty alarm list)' },
      { source, topicArn: topic, expected: names, alarms: found.map((a) => ({ name: a.name, state: a.state, reason: a.reason, actions: a.actions })) },
      'Investigate alarms in ALARM before go-live; redeploy the monitoring phase to recreate missing alarms.',
    );
  },
};

export interface Subscription {
  arn: string;
  protocol: string;
  endpoint: string;
  pendingConfirmation: boolean;
}

export function subscriptionParts(subs: Subscription[], alarmEmail: string, emulator: string | undefined): Part[] {
  const parts: Part[] = subs.map((s) => ({
    subject: `${s.protocol}:${s.endpoint}`,
    status: s.pendingConfirmation ? 'fail' : 'pass',
    detail: s.pendingConfirmation ? 'PendingConfirmation: the recipient has not confirmed it, so alerts are not delivered' : 'confirmed',
  }));
  const mine = subs.some((s) => s.protocol === 'email' && s.endpoint.toLowerCase() === alarmEmail.toLowerCase());
  if (!mine)
    parts.push(
      emulator && !subs.length
        ? {
            subject: `email:${alarmEmail}`,
            status: 'unknown',
            detail: `not subscribed, but ${emulatorGap('skips AWS::SNS::Subscription in templates', emulator)}`,
          }
        : { subject: `email:${alarmEmail}`, status: 'fail', detail: 'monitoring.alarmEmail is not subscribed to the alert topic' },
    );
  return parts;
}

export const subscriptionCheck: CheckSpec = {
  id: 'golive.alarm-subscription',
  title: 'Alert e-mail subscription confirmed',
  category: 'monitoring',
  checklist: 'monitoring-alerting',
  after: { 'monitoring.stack': { inspects: 'the alarms and topic it creates' } },
  criterion: 'monitoring.alarmEmail is subscribed to the alert topic and has confirmed (not PendingConfirmation)',
  estimateSeconds: 2,
  async run(ctx) {
    const topic = ctx.outputs('monitoring.stack').AlarmTopicArn;
    if (!topic) return unknown('the monitoring stack has no AlarmTopicArn output in the ledger');
    const subs = await (await ctx.ops()).sns.listSubscriptions(topic);
    return combine(
      subscriptionParts(subs, ctx.env.monitoring.alarmEmail, ctx.emulator),
      { passed: `${ctx.env.monitoring.alarmEmail} confirmed on ${topic}`, nothing: '' },
      { topicArn: topic, subscriptions: subs },
      `Ask ${ctx.env.monitoring.alarmEmail} to click the confirmation link AWS sent (or resend it: aws sns subscribe --topic-arn ${topic} --protocol email --notification-endpoint ${ctx.env.monitoring.alarmEmail}).`,
    );
  },
};

export interface NodeMetric {
  instanceId: string;
  latest?: { timestamp: Date; value: number };
  dimensions?: Record<string, string>;
}

export function metricParts(instances: InstanceInfo[], metrics: NodeMetric[], now: Date, emulator: string | undefined): Part[] {
  const byId = new Map(metrics.map((m) => [m.instanceId, m]));
  const freshAfter = now.getTime() - METRIC_FRESH_MINUTES * 60_000;
  return instances.map((i) => {
    const m = byId.get(i.instanceId);
    if (m?.latest && m.latest.timestamp.getTime() >= freshAfter)
      return { subject: label(i), status: 'pass', detail: `${AGENT_METRIC} ${m.latest.value.toFixed(1)} at ${m.latest.timestamp.toISOString()}` };
    const why = m?.latest
      ? `last ${AGENT_METRIC} at ${m.latest.timestamp.toISOString()}, older than ${METRIC_FRESH_MINUTES} min`
      : `no ${AGENT_METRIC} datapoint in the last ${METRIC_FRESH_MINUTES} min`;
    if (emulator) return { subject: label(i), status: 'unknown', detail: `${why}, but ${emulatorGap('runs no CloudWatch agent on its instances', emulator)}` };
    return { subject: label(i), status: 'fail', detail: why };
  });
}

export const agentMetricsCheck: CheckSpec = {
  id: 'golive.agent-metrics',
  title: 'CloudWatch agent metrics arrive from every node',
  category: 'monitoring',
  checklist: 'monitoring-alerting',
  after: {
    'monitoring.stack': { inspects: 'the namespace its alarms watch' },
    'monitoring.agent': { inspects: 'the metrics of the agent it configures on every node' },
  },
  criterion: `every running node published ${AGENT_METRIC} to the agent namespace within the last ${METRIC_FRESH_MINUTES} minutes`,
  estimateSeconds: 10,
  async run(ctx) {
    const namespace = String(loadTemplate('monitoring').parameters.AgentNamespace?.Default ?? 'DataPlatform');
    const instances = (await environmentInstances(ctx)).filter((i) => i.state === 'running');
    const cw = (await ctx.ops()).cloudwatch;
    let listed: Array<{ metric: string; dimensions: Record<string, string> }>;
    try {
      listed = await cw.listMetrics(namespace, AGENT_METRIC);
    } catch (err) {
      return couldNotAsk(`CloudWatch ListMetrics (${namespace})`, err);
    }
    const metrics: NodeMetric[] = [];
    for (const i of instances) {
      const dims = listed.filter((m) => m.dimensions.InstanceId === i.instanceId).map((m) => m.dimensions);
      let latest: NodeMetric['latest'];
      for (const d of dims) {
        const points = await cw.getMetric(namespace, AGENT_METRIC, d, METRIC_FRESH_MINUTES, 'Maximum');
        if (points[0] && (!latest || points[0].timestamp > latest.timestamp)) latest = points[0];
      }
      metrics.push({ instanceId: i.instanceId, latest, dimensions: dims[0] });
    }
    return combine(
      metricParts(instances, metrics, ctx.clock.now(), ctx.emulator),
      { passed: `${instances.length} node(s) sent ${AGENT_METRIC} to ${namespace} within ${METRIC_FRESH_MINUTES} min`, nothing: 'no running node to inspect' },
      {
        namespace,
        metric: AGENT_METRIC,
        nodes: metrics.map((m) => ({
          instanceId: m.instanceId,
          latest: m.latest ? { timestamp: m.latest.timestamp.toISOString(), value: m.latest.value } : null,
        })),
      },
      'Check the agent on the node (systemctl status amazon-cloudwatch-agent) and rerun the monitoring phase (monitoring.agent).',
    );
  },
};
