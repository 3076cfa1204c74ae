import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { SNSClient, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { cloudWatchClientConfig, createCloudWatchPort, createSnsPort, periodFor } from '../../src/aws/sdk-cloudwatch.js';
import { awsError, cfg } from './helpers.js';

const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
beforeEach(() => {
  cw.reset();
  sns.reset();
});
afterEach(() => vi.unstubAllEnvs());

describe('CloudWatch adapter', () => {
  it('uses the query protocol only against a custom endpoint', () => {
    expect(cloudWatchClientConfig(cfg, { services: {} })).toEqual(cfg);
    expect(cloudWatchClientConfig(cfg, { url: 'http://127.0.0.1:5000', services: {} })).toEqual({ ...cfg, protocol: AwsQueryProtocol });
    expect(cloudWatchClientConfig(cfg, { services: { CLOUDWATCH: 'http://127.0.0.1:5000' } }).protocol).toBe(AwsQueryProtocol);
    expect(cloudWatchClientConfig(cfg, { services: { S3: 'http://127.0.0.1:5000' } })).toEqual(cfg);
  });

  it('describeAlarms by prefix maps metric alarms and follows NextToken', async () => {
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({
        NextToken: 'n',
        MetricAlarms: [
          {
            AlarmName: 'dpf-dev-cpu',
            StateValue: 'ALARM',
            StateReason: 'Threshold crossed',
            MetricName: 'CPUUtilization',
            Namespace: 'AWS/EC2',
            Threshold: 80,
            Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'dpf-dev-workers' }],
            AlarmActions: ['arn:sns:alerts'],
          },
        ],
      })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'dpf-dev-disk' }] });
    expect(await createCloudWatchPort(cfg).describeAlarms(undefined, 'dpf-dev-')).toEqual([
      {
        name: 'dpf-dev-cpu',
        state: 'ALARM',
        reason: 'Threshold crossed',
        metricName: 'CPUUtilization',
        namespace: 'AWS/EC2',
        threshold: 80,
        dimensions: { AutoScalingGroupName: 'dpf-dev-workers' },
        actions: ['arn:sns:alerts'],
      },
      {
        name: 'dpf-dev-disk',
        state: 'INSUFFICIENT_DATA',
        reason: undefined,
        metricName: undefined,
        namespace: undefined,
        threshold: undefined,
        dimensions: {},
        actions: [],
      },
    ]);
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: undefined, AlarmNamePrefix: 'dpf-dev-', NextToken: undefined },
      { AlarmNames: undefined, AlarmNamePrefix: 'dpf-dev-', NextToken: 'n' },
    ]);
  });

  it('describeAlarms by names: batches of 100, names filtered by the prefix when both are given', async () => {
    const names = Array.from({ length: 150 }, (_, i) => (i === 0 ? `other-${i}` : `dpf-${i}`));
    cw.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({ MetricAlarms: input.AlarmNames.map((AlarmName) => ({ AlarmName })) }));
    const out = await createCloudWatchPort(cfg).describeAlarms(names, 'dpf-');
    const calls = cw.commandCalls(DescribeAlarmsCommand);
    expect(calls.map((c) => c.args[0].input.AlarmNames?.length)).toEqual([100, 50]);
    expect(calls[0]!.args[0].input.AlarmNamePrefix).toBeUndefined();
    expect(out).toHaveLength(149);
  });

  it('getMetric asks GetMetricData for one stat, newest first, and pages', async () => {
    vi.useFakeTimers({ now: new Date('2025-03-01T12:00:00Z') });
    try {
      const t = (m: number) => new Date(Date.UTC(2025, 2, 1, 11, m));
      cw.on(GetMetricDataCommand)
        .resolvesOnce({ MetricDataResults: [{ Id: 'm0', Timestamps: [t(58), t(57)], Values: [10, 20] }], NextToken: 'n' })
        .resolvesOnce({ MetricDataResults: [{ Id: 'm0', Timestamps: [t(59)], Values: [5] }] });
      const out = await createCloudWatchPort(cfg).getMetric('AWS/EC2', 'CPUUtilization', { AutoScalingGroupName: 'g' }, 10, 'Maximum');
      expect(out).toEqual([
        { timestamp: t(59), value: 5 },
        { timestamp: t(58), value: 10 },
        { timestamp: t(57), value: 20 },
      ]);
      const calls = cw.commandCalls(GetMetricDataCommand);
      expect(calls[0]!.args[0].input).toEqual({
        StartTime: new Date('2025-03-01T11:50:00Z'),
        EndTime: new Date('2025-03-01T12:00:00Z'),
        ScanBy: 'TimestampDescending',
        NextToken: undefined,
        MetricDataQueries: [
          {
            Id: 'm0',
            ReturnData: true,
            MetricStat: {
              Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'g' }] },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      });
      expect(calls[1]!.args[0].input.NextToken).toBe('n');
    } finally {
      vi.useRealTimers();
    }
  });

  it('getMetric defaults to Average; periodFor widens with the look-back', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    expect(await createCloudWatchPort(cfg).getMetric('N', 'M', {}, 5)).toEqual([]);
    expect(cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries![0]!.MetricStat!.Stat).toBe('Average');
    expect([periodFor(60), periodFor(7 * 24 * 60), periodFor(30 * 24 * 60)]).toEqual([60, 300, 3600]);
  });

  it('listMetrics maps dimensions and pages', async () => {
    cw.on(ListMetricsCommand)
      .resolvesOnce({
        Metrics: [
          {
            MetricName: 'disk_used_percent',
            Dimensions: [
              { Name: 'host', Value: 'a' },
              { Name: 'path', Value: '/' },
            ],
          },
        ],
        NextToken: 'n',
      })
      .resolvesOnce({ Metrics: [{ MetricName: 'mem_used_percent' }] });
    expect(await createCloudWatchPort(cfg).listMetrics('CWAgent', undefined)).toEqual([
      { metric: 'disk_used_percent', dimensions: { host: 'a', path: '/' } },
      { metric: 'mem_used_percent', dimensions: {} },
    ]);
    expect(cw.commandCalls(ListMetricsCommand)[1]!.args[0].input).toEqual({ Namespace: 'CWAgent', MetricName: undefined, NextToken: 'n' });
  });
});

describe('SNS adapter', () => {
  it('listSubscriptions maps, flags pending confirmations, pages; missing topic → []', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand)
      .resolvesOnce({ Subscriptions: [{ SubscriptionArn: 'arn:sub1', Protocol: 'email', Endpoint: 'ops@example.com' }], NextToken: 'n' })
      .resolvesOnce({ Subscriptions: [{ SubscriptionArn: 'PendingConfirmation', Protocol: 'email', Endpoint: 'new@example.com' }] });
    expect(await createSnsPort(cfg).listSubscriptions('arn:topic')).toEqual([
      { arn: 'arn:sub1', protocol: 'email', endpoint: 'ops@example.com', pendingConfirmation: false },
      { arn: 'PendingConfirmation', protocol: 'email', endpoint: 'new@example.com', pendingConfirmation: true },
    ]);
    expect(sns.commandCalls(ListSubscriptionsByTopicCommand)[1]!.args[0].input).toEqual({ TopicArn: 'arn:topic', NextToken: 'n' });
    sns.on(ListSubscriptionsByTopicCommand).rejects(awsError('NotFoundException', 404));
    expect(await createSnsPort(cfg).listSubscriptions('arn:gone')).toEqual([]);
  });
});
