/**
 * CloudWatchPort and SnsPort over the AWS SDK v3. Only translation happens here.
 *
 * Protocol finding (measured with @aws-sdk/client-cloudwatch 3.1164 against moto 5.2.5 in
 * server mode): the SDK's default protocol for CloudWatch is now AWS JSON 1.0 (the service is
 * "awsQueryCompatible"); moto answers CloudWatch only in the query protocol and fails every JSON
 * call with HTTP 500 ("NotImplementedError: Unsupported protocol [json] for service cloudwatch").
 * The SDK lets a client choose another of the service's protocols through its documented
 * `protocol` option (the client README's "Supported Message Protocols"; the same class is
 * exported by @aws-sdk/config/protocol). So: when a custom endpoint is set (AWS_ENDPOINT_URL or
 * AWS_ENDPOINT_URL_CLOUDWATCH, i.e. an emulator), the client is built with AwsQueryProtocol;
 * with those, PutMetricAlarm, PutMetricData, DescribeAlarms, ListMetrics and GetMetricData all
 * answer. On real AWS the client keeps its default protocol. SNS still speaks query: no change.
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, ListMetricsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { SNSClient, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import type { AlarmInfo, CloudWatchPort, SnsPort } from './ops-ports.js';
import { chunk, isError } from './sdk-common.js';
import { AWS_ITSELF, isCustomEndpoint, type Endpoint } from './endpoint.js';

function dims(list: Array<{ Name?: string; Value?: string }> | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).filter((d) => d.Name).map((d) => [d.Name!, d.Value ?? '']));
}

function toAlarm(a: MetricAlarm): AlarmInfo {
  return {
    name: a.AlarmName ?? '',
    state: a.StateValue ?? 'INSUFFICIENT_DATA',
    reason: a.StateReason,
    metricName: a.MetricName,
    namespace: a.Namespace,
    threshold: a.Threshold,
    dimensions: dims(a.Dimensions),
    actions: a.AlarmActions ?? [],
  };
}

/** The period for a look-back: 1-minute data is kept 15 days, 5-minute 63 days. */
export function periodFor(minutes: number): number {
  if (minutes <= 3 * 24 * 60) return 60;
  if (minutes <= 15 * 24 * 60) return 300;
  return 3600;
}

export class SdkCloudWatch implements CloudWatchPort {
  constructor(private readonly client: CloudWatchClient) {}

  /** Metric alarms by names (≤100 per call) or by prefix, or all; with both, names filtered by prefix. */
  async describeAlarms(names?: string[], prefix?: string): Promise<AlarmInfo[]> {
    const out: AlarmInfo[] = [];
    const batches: Array<string[] | undefined> = names?.length ? chunk(names, 100) : [undefined];
    for (const batch of batches) {
      let token: string | undefined;
      do {
        const r = await this.client.send(new DescribeAlarmsCommand({ AlarmNames: batch, AlarmNamePrefix: batch ? undefined : prefix, NextToken: token }));
        for (const a of r.MetricAlarms ?? []) out.push(toAlarm(a));
        token = r.NextToken;
      } while (token);
    }
    return names?.length && prefix ? out.filter((a) => a.name.startsWith(prefix)) : out;
  }

  async getMetric(
    namespace: string,
    metric: string,
    dimensions: Record<string, string>,
    minutes: number,
    stat = 'Average',
  ): Promise<Array<{ timestamp: Date; value: number }>> {
    const end = new Date();
    const start = new Date(end.getTime() - minutes * 60_000);
    const points: Array<{ timestamp: Date; value: number }> = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          ScanBy: 'TimestampDescending',
          NextToken: token,
          MetricDataQueries: [
            {
              Id: 'm0',
              ReturnData: true,
              MetricStat: {
                Metric: { Namespace: namespace, MetricName: metric, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) },
                Period: periodFor(minutes),
                Stat: stat,
              },
            },
          ],
        }),
      );
      for (const res of r.MetricDataResults ?? []) {
        const ts = res.Timestamps ?? [];
        const vs = res.Values ?? [];
        for (let i = 0; i < Math.min(ts.length, vs.length); i++) points.push({ timestamp: ts[i]!, value: vs[i]! });
      }
      token = r.NextToken;
    } while (token);
    return points.sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime());
  }

  async listMetrics(namespace: string, metric?: string): Promise<Array<{ metric: string; dimensions: Record<string, string> }>> {
    const out: Array<{ metric: string; dimensions: Record<string, string> }> = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(new ListMetricsCommand({ Namespace: namespace, MetricName: metric, NextToken: token }));
      for (const m of r.Metrics ?? []) out.push({ metric: m.MetricName ?? '', dimensions: dims(m.Dimensions) });
      token = r.NextToken;
    } while (token);
    return out;
  }
}

export class SdkSns implements SnsPort {
  constructor(private readonly client: SNSClient) {}

  async listSubscriptions(topicArn: string): Promise<Array<{ arn: string; protocol: string; endpoint: string; pendingConfirmation: boolean }>> {
    const out: Array<{ arn: string; protocol: string; endpoint: string; pendingConfirmation: boolean }> = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }));
        for (const s of r.Subscriptions ?? [])
          out.push({
            arn: s.SubscriptionArn ?? '',
            protocol: s.Protocol ?? '',
            endpoint: s.Endpoint ?? '',
            // An unconfirmed subscription has the literal ARN "PendingConfirmation" (or "pending confirmation").
            pendingConfirmation: /^pending\s*confirmation$/i.test(s.SubscriptionArn ?? ''),
          });
        token = r.NextToken;
      } while (token);
    } catch (err) {
      if (isError(err, 'NotFoundException', 'NotFound')) return [];
      throw err;
    }
    return out;
  }
}

/** CloudWatch client config: the query protocol against an emulator (see the note at the top). */
export function cloudWatchClientConfig(cfg: Record<string, unknown>, endpoint: Endpoint = AWS_ITSELF): Record<string, unknown> {
  return isCustomEndpoint(endpoint, 'CLOUDWATCH') ? { ...cfg, protocol: AwsQueryProtocol } : cfg;
}

export function createCloudWatchPort(cfg: Record<string, unknown>, endpoint: Endpoint = AWS_ITSELF): CloudWatchPort {
  return new SdkCloudWatch(new CloudWatchClient(cloudWatchClientConfig(cfg, endpoint)));
}

export function createSnsPort(cfg: Record<string, unknown>): SnsPort {
  return new SdkSns(new SNSClient(cfg));
}
