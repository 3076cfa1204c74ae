import { describe, expect, it } from 'vitest';
import { alarmMetricsProduced } from '../../../src/validate/rules/alarm-metrics-produced.js';
import { input, stack } from '../helpers.js';

const alarm = (metric: string, dims: string, period = 300, namespace = 'DataPlatform') => `
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: a
      Namespace: ${namespace}
      MetricName: ${metric}
      Dimensions: ${dims}
      Statistic: Maximum
      Period: ${period}
      EvaluationPeriods: 1
      Threshold: 80
      ComparisonOperator: GreaterThanThreshold`;
const monitoring = (resources: string) => stack('monitoring', `Resources:${resources}\n`);
const diskAlarm = alarm('disk_used_percent', "[{ Name: InstanceId, Value: i-1 }, { Name: path, Value: '/' }]");
/** The agent's aggregations before the fix: no [InstanceId, path] — the alarm got no data. */
const OLD_AGGREGATIONS = [['AutoScalingGroupName'], ['InstanceId']];

describe('rule alarm-metrics-produced', () => {
  it('GIVEN a disk alarm on {InstanceId, path} and the agent aggregating only [InstanceId], [ASG] WHEN checked THEN it fails: the metric carries fstype', () => {
    const findings = alarmMetricsProduced.check(input([monitoring(diskAlarm)], { agent: { aggregationDimensions: OLD_AGGREGATIONS } }));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/\{InstanceId, path\} is never published.*InstanceId, path, fstype/);
  });

  it('GIVEN the same alarm and the agent aggregating [InstanceId, path] WHEN checked THEN it passes', () => {
    expect(alarmMetricsProduced.check(input([monitoring(diskAlarm)], { agent: { aggregationDimensions: [['InstanceId', 'path']] } }))).toEqual([]);
  });

  it('GIVEN a disk alarm on a path the agent does not collect WHEN checked THEN it fails naming the paths', () => {
    const a = alarm('disk_used_percent', '[{ Name: InstanceId, Value: i-1 }, { Name: path, Value: /var }]');
    expect(alarmMetricsProduced.check(input([monitoring(a)], { agent: { aggregationDimensions: [['InstanceId', 'path']] } }))[0]!.message).toMatch(
      /not "\/var"/,
    );
  });

  it('GIVEN a JobFailures alarm and no publisher WHEN checked THEN it fails; WITH a metric filter publishing it THEN it passes', () => {
    const a = alarm('JobFailures', '[]');
    expect(alarmMetricsProduced.check(input([monitoring(a)]))[0]!.message).toMatch(/nothing dpf deploys publishes/);
    const filter = `
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: /acme/dev/system
      FilterPattern: '{ $.event = "dag_run_failed" }'
      MetricTransformations: [{ MetricName: JobFailures, MetricNamespace: DataPlatform, MetricValue: '1' }]`;
    expect(alarmMetricsProduced.check(input([monitoring(a + filter)]))).toEqual([]);
  });

  it.each([
    [
      'a service metric with a dimension the service does not publish it by',
      alarm('DatabaseConnections', '[{ Name: DBClusterIdentifier, Value: x }]', 300, 'AWS/RDS'),
      1,
    ],
    ['a service metric with its documented dimension', alarm('DatabaseConnections', '[{ Name: DBInstanceIdentifier, Value: x }]', 300, 'AWS/RDS'), 0],
  ])('GIVEN %s WHEN checked THEN %i finding(s)', (_what, a, count) => {
    expect(alarmMetricsProduced.check(input([monitoring(a)]))).toHaveLength(count);
  });

  const compute = (monitoringFlag: string) =>
    stack(
      'compute',
      `
Resources:
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties: { LaunchTemplateData: { Monitoring: { Enabled: ${monitoringFlag} } } }
  Node:
    Type: AWS::EC2::Instance
    Properties: { LaunchTemplate: { LaunchTemplateId: !Ref Lt, Version: '1' } }
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties: { AlarmName: a, Namespace: AWS/EC2, MetricName: CPUUtilization, Dimensions: [{ Name: InstanceId, Value: !Ref Node }], Statistic: Average, Period: 60, EvaluationPeriods: 5, Threshold: 90, ComparisonOperator: GreaterThanThreshold }
`,
    );
  it.each([
    ['false', 1],
    ['true', 0],
  ])('GIVEN a 1-minute EC2 CPU alarm on an instance whose launch template has detailed monitoring %s WHEN checked THEN %i finding(s)', (flag, count) => {
    expect(alarmMetricsProduced.check(input([compute(flag)]))).toHaveLength(count);
  });
});
