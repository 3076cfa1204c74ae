/**
 * monitoring.yaml as data: every alarm the seed asks for (metric, threshold, window,
 * operator, actions, severity), the alert topic, log groups and retention, the
 * authentication-failure metric filter, EventBridge rules and the dashboard.
 */
import { describe, expect, it } from 'vitest';
import { PSEUDO, asList, loadTemplate, ofType, render, tagsOf } from './cfn-eval.js';

const tpl = loadTemplate('monitoring.yaml');

const GIVEN = {
  ProjectName: 'acme',
  EnvName: 'dev',
  AlarmEmail: 'ops@example.com',
  WorkerAutoScalingGroupName: 'acme-dev-workers',
  MasterInstanceId: 'i-0aaaaaaaaaaaaaaa1',
  DevInstanceId: 'i-0bbbbbbbbbbbbbbb2',
  BastionInstanceId: 'i-0ccccccccccccccc3',
  DbInstanceIdentifier: 'acme-dev-db',
  EfsFileSystemId: 'fs-0123456789abcdef0',
  BackupVaultName: 'acme-dev-vault',
} as const;

const r = render(tpl, { ...GIVEN });
const TOPIC = '{{Ref:AlarmTopic}}';
const AGENT = 'DataPlatform';

interface AlarmView {
  namespace?: string;
  metric?: string;
  dimensions: Record<string, string>;
  statistic?: string;
  period?: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  operator: string;
  threshold: number;
  treatMissingData: string;
}

function alarmView(id: string, rendered = r): AlarmView {
  const p = rendered.resources[id].Properties;
  return {
    namespace: p.Namespace,
    metric: p.MetricName,
    dimensions: Object.fromEntries(asList<any>(p.Dimensions).map((d) => [d.Name, d.Value])),
    statistic: p.Statistic,
    period: p.Period === undefined ? undefined : Number(p.Period),
    evaluationPeriods: Number(p.EvaluationPeriods),
    datapointsToAlarm: Number(p.DatapointsToAlarm ?? p.EvaluationPeriods),
    operator: p.ComparisonOperator,
    threshold: Number(p.Threshold),
    treatMissingData: p.TreatMissingData ?? 'missing',
  };
}

describe('monitoring.yaml parameter and output contract', () => {
  it.each([
    ['ProjectName', 'String', 'dataplatform'],
    ['EnvName', 'String', 'dev'],
    ['AlarmEmail', 'String', undefined],
    ['WorkerAutoScalingGroupName', 'String', undefined],
    ['MasterInstanceId', 'AWS::EC2::Instance::Id', undefined],
    ['DevInstanceId', 'AWS::EC2::Instance::Id', undefined],
    ['BastionInstanceId', 'AWS::EC2::Instance::Id', undefined],
    ['DbInstanceIdentifier', 'String', undefined],
    ['EfsFileSystemId', 'String', undefined],
    ['BackupVaultName', 'String', undefined],
    ['CpuCriticalPercent', 'Number', '90'],
    ['CpuCriticalMinutes', 'Number', '5'],
    ['DiskWarningPercent', 'Number', '80'],
    ['MemoryWarningPercent', 'Number', '85'],
    ['RdsMaxConnections', 'Number', '100'],
    ['EfsThroughputWarningPercent', 'Number', '80'],
    ['DebugLogRetentionDays', 'Number', '30'],
    ['AuditLogRetentionDays', 'Number', '365'],
    ['AgentNamespace', 'String', 'DataPlatform'],
    ['JobFailureMetricName', 'String', 'JobFailures'],
    ['CreateTrail', 'String', 'true'],
  ])('GIVEN the template WHEN parameter %s is read THEN it is a %s with default %j', (name, type, def) => {
    const p = tpl.Parameters[name];
    expect(p, name).toBeDefined();
    expect(p.Type).toBe(type);
    expect(p.Default === undefined ? undefined : String(p.Default)).toBe(def);
  });

  it('GIVEN the parameters WHEN compared with the contract THEN there are no others', () => {
    expect(Object.keys(tpl.Parameters).length).toBe(21);
  });

  it.each([
    ['ops@example.com', true],
    ['a.b+alerts@corp.example.org', true],
    ['not-an-email', false],
    ['a@b', false],
  ])('GIVEN AlarmEmail %j WHEN validated THEN accepted=%s', (value, ok) => {
    expect(new RegExp(tpl.Parameters.AlarmEmail.AllowedPattern).test(value)).toBe(ok);
  });

  it.each([
    ['AlarmTopicArn', TOPIC],
    ['DashboardName', '{{Ref:PlatformDashboard}}'],
    ['SystemLogGroupName', '{{Ref:SystemLogGroup}}'],
    ['AuditLogGroupName', '{{Ref:AuditLogGroup}}'],
    ['LogsKmsKeyArn', '{{LogsKmsKey.Arn}}'],
  ])('GIVEN the template WHEN output %s is rendered THEN it is %s, unconditionally', (name, value) => {
    expect(tpl.Outputs[name].Condition).toBeUndefined();
    expect(r.outputs[name]).toBe(value);
  });

  it('GIVEN AlarmNames WHEN rendered THEN it joins a Ref to every alarm of the stack, each once', () => {
    const alarmIds = ofType(r, 'AWS::CloudWatch::Alarm')
      .map(([id]) => id)
      .sort();
    const joined: string[] = r.outputs.AlarmNames.split(',');
    expect(joined.map((s) => s.replace(/^\{\{Ref:(.*)\}\}$/, '$1')).sort()).toEqual(alarmIds);
    expect(tpl.Outputs.AlarmNames.Value['Fn::Join'][0]).toBe(',');
  });

  it('GIVEN every alarm WHEN named THEN the names are unique, comma-free and prefixed <project>-<env>-', () => {
    const names = ofType(r, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName as string);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) {
      expect(n).toMatch(/^acme-dev-[a-z0-9-]+$/);
      expect(n.length).toBeLessThanOrEqual(255);
    }
  });
});

describe('seed alarms', () => {
  const inst = (id: string) => ({ InstanceId: id });
  const asg = { AutoScalingGroupName: GIVEN.WorkerAutoScalingGroupName };
  const db = { DBInstanceIdentifier: GIVEN.DbInstanceIdentifier };

  // id, severity, namespace, metric, dimensions, statistic, period, evaluation periods,
  // datapoints to alarm, operator, threshold, missing data
  const TABLE: Array<[string, string, string, string, Record<string, string>, string, number, number, number, string, number, string]> = [
    ['MasterCpuAlarm', 'critical', 'AWS/EC2', 'CPUUtilization', inst(GIVEN.MasterInstanceId), 'Average', 60, 5, 5, 'GreaterThanThreshold', 90, 'missing'],
    ['DevCpuAlarm', 'critical', 'AWS/EC2', 'CPUUtilization', inst(GIVEN.DevInstanceId), 'Average', 60, 5, 5, 'GreaterThanThreshold', 90, 'missing'],
    ['BastionCpuAlarm', 'critical', 'AWS/EC2', 'CPUUtilization', inst(GIVEN.BastionInstanceId), 'Average', 60, 5, 5, 'GreaterThanThreshold', 90, 'missing'],
    ['WorkerCpuAlarm', 'critical', 'AWS/EC2', 'CPUUtilization', asg, 'Average', 60, 5, 5, 'GreaterThanThreshold', 90, 'missing'],
    [
      'MasterStatusCheckAlarm',
      'critical',
      'AWS/EC2',
      'StatusCheckFailed',
      inst(GIVEN.MasterInstanceId),
      'Maximum',
      60,
      2,
      2,
      'GreaterThanOrEqualToThreshold',
      1,
      'missing',
    ],
    [
      'DevStatusCheckAlarm',
      'critical',
      'AWS/EC2',
      'StatusCheckFailed',
      inst(GIVEN.DevInstanceId),
      'Maximum',
      60,
      2,
      2,
      'GreaterThanOrEqualToThreshold',
      1,
      'missing',
    ],
    [
      'BastionStatusCheckAlarm',
      'critical',
      'AWS/EC2',
      'StatusCheckFailed',
      inst(GIVEN.BastionInstanceId),
      'Maximum',
      60,
      2,
      2,
      'GreaterThanOrEqualToThreshold',
      1,
      'missing',
    ],
    [
      'MasterDiskAlarm',
      'warning',
      AGENT,
      'disk_used_percent',
      { ...inst(GIVEN.MasterInstanceId), path: '/' },
      'Average',
      300,
      2,
      2,
      'GreaterThanThreshold',
      80,
      'missing',
    ],
    ['WorkerDiskAlarm', 'warning', AGENT, 'disk_used_percent', { ...asg, path: '/' }, 'Maximum', 300, 2, 2, 'GreaterThanThreshold', 80, 'missing'],
    ['MasterMemoryAlarm', 'warning', AGENT, 'mem_used_percent', inst(GIVEN.MasterInstanceId), 'Average', 300, 2, 2, 'GreaterThanThreshold', 85, 'missing'],
    ['WorkerMemoryAlarm', 'warning', AGENT, 'mem_used_percent', asg, 'Maximum', 300, 2, 2, 'GreaterThanThreshold', 85, 'missing'],
    ['JobFailureAlarm', 'warning', AGENT, 'JobFailures', {}, 'Sum', 300, 1, 1, 'GreaterThanOrEqualToThreshold', 1, 'notBreaching'],
    [
      'BackupJobsFailedAlarm',
      'warning',
      'AWS/Backup',
      'NumberOfBackupJobsFailed',
      { BackupVaultName: GIVEN.BackupVaultName },
      'Sum',
      3600,
      24,
      1,
      'GreaterThanOrEqualToThreshold',
      1,
      'notBreaching',
    ],
    ['RdsConnectionsAlarm', 'critical', 'AWS/RDS', 'DatabaseConnections', db, 'Maximum', 300, 1, 1, 'GreaterThanThreshold', 100, 'missing'],
    ['RdsCpuAlarm', 'warning', 'AWS/RDS', 'CPUUtilization', db, 'Average', 300, 3, 3, 'GreaterThanThreshold', 80, 'missing'],
    ['RdsFreeStorageAlarm', 'warning', 'AWS/RDS', 'FreeStorageSpace', db, 'Minimum', 300, 1, 1, 'LessThanThreshold', 10 * 1024 ** 3, 'missing'],
    [
      'EfsIoLimitAlarm',
      'warning',
      'AWS/EFS',
      'PercentIOLimit',
      { FileSystemId: GIVEN.EfsFileSystemId },
      'Maximum',
      300,
      3,
      3,
      'GreaterThanThreshold',
      80,
      'notBreaching',
    ],
    ['AuthenticationFailuresAlarm', 'warning', AGENT, 'AuthenticationFailures', {}, 'Sum', 300, 1, 1, 'GreaterThanOrEqualToThreshold', 5, 'notBreaching'],
  ];

  it.each(TABLE)(
    'GIVEN the defaults WHEN %s is read THEN it is [%s] on %s %s %j',
    (id, severity, namespace, metric, dimensions, statistic, period, evals, dta, operator, threshold, missing) => {
      const alarm = r.resources[id];
      expect(alarm?.Type, id).toBe('AWS::CloudWatch::Alarm');
      expect(alarmView(id)).toEqual({
        namespace,
        metric,
        dimensions,
        statistic,
        period,
        evaluationPeriods: evals,
        datapointsToAlarm: dta,
        operator,
        threshold,
        treatMissingData: missing,
      });
      expect(alarm.Properties.AlarmDescription.startsWith(`[${severity}] `)).toBe(true);
    },
  );

  it.each([
    ['EC2 CPU', 'MasterCpuAlarm', 5 * 60],
    ['worker CPU', 'WorkerCpuAlarm', 5 * 60],
    ['instance failure', 'MasterStatusCheckAlarm', 2 * 60],
    ['disk', 'MasterDiskAlarm', 10 * 60],
    ['memory', 'WorkerMemoryAlarm', 10 * 60],
    ['job failures (5 min)', 'JobFailureAlarm', 5 * 60],
    ['backup failures (per day)', 'BackupJobsFailedAlarm', 24 * 3600],
    ['RDS connections', 'RdsConnectionsAlarm', 5 * 60],
    ['authentication failures (5 min)', 'AuthenticationFailuresAlarm', 5 * 60],
  ])('GIVEN the %s alarm WHEN period × evaluation periods is computed THEN the window is %i s', (_l, id, seconds) => {
    const a = alarmView(id);
    expect(a.period! * a.evaluationPeriods).toBe(seconds);
  });

  it('GIVEN CpuCriticalPercent 95 and CpuCriticalMinutes 10 WHEN rendered THEN every CPU alarm needs 10 breaching minutes above 95', () => {
    const tuned = render(tpl, { ...GIVEN, CpuCriticalPercent: 95, CpuCriticalMinutes: 10 });
    for (const id of ['MasterCpuAlarm', 'DevCpuAlarm', 'BastionCpuAlarm', 'WorkerCpuAlarm']) {
      const a = alarmView(id, tuned);
      expect(a.threshold, id).toBe(95);
      expect(a.period! * a.evaluationPeriods, id).toBe(600);
      expect(a.datapointsToAlarm, id).toBe(10);
    }
  });

  it.each([
    ['DiskWarningPercent', 70, ['MasterDiskAlarm', 'WorkerDiskAlarm']],
    ['MemoryWarningPercent', 90, ['MasterMemoryAlarm', 'WorkerMemoryAlarm']],
    ['RdsMaxConnections', 250, ['RdsConnectionsAlarm']],
    ['EfsThroughputWarningPercent', 60, ['EfsThroughputAlarm', 'EfsIoLimitAlarm']],
  ])('GIVEN %s = %i WHEN rendered THEN %j use it as threshold', (param, value, ids) => {
    const tuned = render(tpl, { ...GIVEN, [param]: value });
    for (const id of ids) expect(alarmView(id, tuned).threshold, id).toBe(value);
  });

  it('GIVEN another AgentNamespace and job metric WHEN rendered THEN the agent and job alarms follow', () => {
    const tuned = render(tpl, { ...GIVEN, AgentNamespace: 'Acme/Platform', JobFailureMetricName: 'FailedJobs' });
    expect(alarmView('MasterMemoryAlarm', tuned).namespace).toBe('Acme/Platform');
    expect(alarmView('JobFailureAlarm', tuned)).toMatchObject({ namespace: 'Acme/Platform', metric: 'FailedJobs' });
  });

  it('GIVEN the EFS throughput alarm WHEN its metric math is read THEN it is metered bytes per second over permitted throughput, in %', () => {
    const p = r.resources.EfsThroughputAlarm.Properties;
    expect(p.Namespace).toBeUndefined();
    const byId = Object.fromEntries(p.Metrics.map((m: any) => [m.Id, m]));
    expect(byId.metered.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/EFS', MetricName: 'MeteredIOBytes', Dimensions: [{ Name: 'FileSystemId', Value: GIVEN.EfsFileSystemId }] },
      Period: 300,
      Stat: 'Sum',
    });
    expect(byId.permitted.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/EFS', MetricName: 'PermittedThroughput', Dimensions: [{ Name: 'FileSystemId', Value: GIVEN.EfsFileSystemId }] },
      Period: 300,
      Stat: 'Average',
    });
    expect(byId.utilization.Expression).toBe('(metered / PERIOD(metered)) / permitted * 100');
    expect(p.Metrics.filter((m: any) => m.ReturnData).map((m: any) => m.Id)).toEqual(['utilization']);
    expect(alarmView('EfsThroughputAlarm')).toMatchObject({ evaluationPeriods: 3, operator: 'GreaterThanThreshold', threshold: 80 });
    expect(p.AlarmDescription.startsWith('[warning] ')).toBe(true);
  });

  it('GIVEN the alarm table WHEN compared with the template THEN every alarm is covered', () => {
    const covered = new Set([...TABLE.map((row) => row[0]), 'EfsThroughputAlarm']);
    expect(
      ofType(r, 'AWS::CloudWatch::Alarm')
        .map(([id]) => id)
        .filter((id) => !covered.has(id)),
    ).toEqual([]);
  });

  it.each(ofType(r, 'AWS::CloudWatch::Alarm').map(([id]) => [id]))(
    'GIVEN alarm %s WHEN its actions are read THEN ALARM and OK notify the alert topic, with a severity prefix',
    (id) => {
      const p = r.resources[id].Properties;
      expect(p.AlarmActions).toEqual([TOPIC]);
      expect(p.OKActions).toEqual([TOPIC]);
      expect(p.ActionsEnabled ?? true).toBe(true);
      expect(p.AlarmDescription).toMatch(/^\[(critical|warning)\] \S/);
    },
  );
});

describe('alert topic', () => {
  it('GIVEN the topic WHEN read THEN it is KMS-encrypted with the alerts key and e-mails AlarmEmail', () => {
    expect(r.resources.AlarmTopic.Properties.KmsMasterKeyId).toBe('{{Ref:AlertsKmsKey}}');
    expect(r.resources.AlertsKmsKey.Properties.EnableKeyRotation).toBe(true);
    const subs = ofType(r, 'AWS::SNS::Subscription');
    expect(subs).toHaveLength(1);
    expect(subs[0][1].Properties).toEqual({ TopicArn: TOPIC, Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it.each(['cloudwatch.amazonaws.com', 'backup.amazonaws.com', 'events.amazonaws.com'])(
    'GIVEN the topic policy and key policy WHEN %s publishes THEN both allow it',
    (service) => {
      const policy = r.resources.AlarmTopicPolicy.Properties;
      expect(policy.Topics).toEqual([TOPIC]);
      const allow = policy.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow' && asList(s.Principal?.Service).includes(service));
      expect(allow).toHaveLength(1);
      expect(allow[0]).toMatchObject({ Action: 'sns:Publish', Resource: TOPIC });
      const keyStatements = r.resources.AlertsKmsKey.Properties.KeyPolicy.Statement;
      const keyAllow = keyStatements.find((s: any) => asList(s.Principal?.Service).includes(service));
      expect(keyAllow.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    },
  );

  it("GIVEN the CloudWatch publish statement WHEN read THEN it is limited to this account's alarms", () => {
    const s = r.resources.AlarmTopicPolicy.Properties.PolicyDocument.Statement.find((st: any) => st.Sid === 'CloudWatchAlarms');
    expect(s.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': PSEUDO['AWS::AccountId'] },
      ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*' },
    });
  });
});

describe('log groups and the authentication-failure filter', () => {
  it.each([
    ['SystemLogGroup', '/acme/dev/system', 30, {}],
    ['AuditLogGroup', '/acme/dev/audit', 365, {}],
    ['SystemLogGroup', '/acme/dev/system', 14, { DebugLogRetentionDays: 14 }],
    ['AuditLogGroup', '/acme/dev/audit', 731, { AuditLogRetentionDays: 731 }],
  ])('GIVEN %s WHEN rendered THEN %s keeps logs %i days, KMS-encrypted', (id, name, days, overrides) => {
    const g = render(tpl, { ...GIVEN, ...overrides }).resources[id];
    expect(g.Properties.LogGroupName).toBe(name);
    expect(Number(g.Properties.RetentionInDays)).toBe(days);
    expect(g.Properties.KmsKeyId).toBe('{{LogsKmsKey.Arn}}');
  });

  it('GIVEN the audit log group and its key WHEN the stack is deleted THEN both are retained (except when the first create rolls back)', () => {
    for (const id of ['AuditLogGroup', 'LogsKmsKey']) {
      expect(tpl.Resources[id].DeletionPolicy, id).toBe('RetainExceptOnCreate');
      expect(tpl.Resources[id].UpdateReplacePolicy, id).toBe('Retain');
    }
  });

  it("GIVEN the logs key policy WHEN read THEN CloudWatch Logs of this region may use it for this environment's groups only", () => {
    const key = r.resources.LogsKmsKey.Properties;
    expect(key.EnableKeyRotation).toBe(true);
    const s = key.KeyPolicy.Statement.find((st: any) => st.Principal?.Service === 'logs.eu-west-1.amazonaws.com');
    expect(s.Effect).toBe('Allow');
    expect(s.Action).toEqual(expect.arrayContaining(['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*']));
    expect(s.Condition).toEqual({
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:111122223333:log-group:/acme/dev/*' },
    });
  });

  it('GIVEN the metric filter WHEN read THEN it counts authentication failures of the audit group into AuthenticationFailures', () => {
    const f = r.resources.AuthenticationFailureMetricFilter.Properties;
    expect(f.LogGroupName).toBe('{{Ref:AuditLogGroup}}');
    expect(f.FilterPattern).toBe('?"authentication failure" ?"Failed password" ?"authentication failed"');
    expect(f.MetricTransformations).toEqual([
      {
        MetricName: 'AuthenticationFailures',
        MetricNamespace: AGENT,
        MetricValue: '1',
        DefaultValue: 0,
        Unit: 'Count',
      },
    ]);
    const alarm = alarmView('AuthenticationFailuresAlarm');
    expect([alarm.namespace, alarm.metric]).toEqual([AGENT, 'AuthenticationFailures']);
  });

  // CloudWatch Logs semantics of `?"a" ?"b"`: a line matches when it contains any quoted term.
  const terms = [...tpl.Resources.AuthenticationFailureMetricFilter.Properties.FilterPattern.matchAll(/\?"([^"]+)"/g)].map((m) => m[1]);
  it.each([
    ['sshd[812]: pam_unix(sshd:auth): authentication failure; logname= uid=0 rhost=203.0.113.9', true],
    ['sshd[812]: Failed password for invalid user admin from 203.0.113.9 port 51234 ssh2', true],
    ['krb5kdc[77]: preauth (encrypted_timestamp) verify failure: authentication failed', true],
    ['sshd[812]: Accepted publickey for ec2-user from 10.0.1.5 port 50022 ssh2', false],
    ['sudo: pam_unix(sudo:session): session opened for user root', false],
  ])('GIVEN the audit line %j WHEN the filter is applied THEN it counts=%s', (line, counted) => {
    expect(terms.some((t) => line.includes(t))).toBe(counted);
  });
});

describe('EventBridge rules', () => {
  it('GIVEN the security-group rule WHEN read THEN CloudTrail SG changes reach the topic as a [critical] message', () => {
    const rule = r.resources.SecurityGroupChangeRule.Properties;
    expect(rule.State).toBe('ENABLED');
    expect(rule.EventPattern).toMatchObject({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['ec2.amazonaws.com'] },
    });
    expect(rule.EventPattern.detail.eventName).toEqual(
      expect.arrayContaining([
        'AuthorizeSecurityGroupIngress',
        'AuthorizeSecurityGroupEgress',
        'RevokeSecurityGroupIngress',
        'RevokeSecurityGroupEgress',
        'ModifySecurityGroupRules',
        'CreateSecurityGroup',
        'DeleteSecurityGroup',
      ]),
    );
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toBe(TOPIC);
    expect(rule.Targets[0].InputTransformer.InputTemplate).toMatch(/^"\[critical\] acme-dev: security group change <eventName> by <actor>/);
  });

  it('GIVEN the backup rule WHEN read THEN failed, aborted and expired backup/copy jobs reach the topic', () => {
    const rule = r.resources.BackupFailureRule.Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.backup'],
      'detail-type': ['Backup Job State Change', 'Copy Job State Change'],
      detail: { state: ['FAILED', 'ABORTED', 'EXPIRED'] },
    });
    expect(rule.Targets.map((t: any) => t.Arn)).toEqual([TOPIC]);
  });

  it('GIVEN the topic policy WHEN EventBridge publishes THEN only these two rules may', () => {
    const s = r.resources.AlarmTopicPolicy.Properties.PolicyDocument.Statement.find((st: any) => st.Sid === 'EventBridgeRules');
    expect(s.Condition.ArnEquals['aws:SourceArn']).toEqual(['{{SecurityGroupChangeRule.Arn}}', '{{BackupFailureRule.Arn}}']);
  });
});

describe('dashboard', () => {
  const dash = r.resources.PlatformDashboard.Properties;
  const body = JSON.parse(dash.DashboardBody);
  const metricRows: any[][] = body.widgets.filter((w: any) => w.type === 'metric').flatMap((w: any) => w.properties.metrics);
  const has = (...prefix: string[]) => metricRows.some((row) => prefix.every((p, i) => row[i] === p));

  it('GIVEN the dashboard WHEN named THEN it is <project>-<env>-platform with a JSON body', () => {
    expect(dash.DashboardName).toBe('acme-dev-platform');
    expect(Array.isArray(body.widgets)).toBe(true);
    for (const w of body.widgets) {
      if (w.type === 'metric') expect(w.properties.region).toBe(PSEUDO['AWS::Region']);
    }
  });

  it.each([
    ['master CPU', ['AWS/EC2', 'CPUUtilization', 'InstanceId', GIVEN.MasterInstanceId]],
    ['dev CPU', ['AWS/EC2', 'CPUUtilization', 'InstanceId', GIVEN.DevInstanceId]],
    ['workers CPU', ['AWS/EC2', 'CPUUtilization', 'AutoScalingGroupName', GIVEN.WorkerAutoScalingGroupName]],
    ['master memory', [AGENT, 'mem_used_percent', 'InstanceId', GIVEN.MasterInstanceId]],
    ['workers memory', [AGENT, 'mem_used_percent', 'AutoScalingGroupName', GIVEN.WorkerAutoScalingGroupName]],
    ['master disk', [AGENT, 'disk_used_percent', 'InstanceId', GIVEN.MasterInstanceId, 'path', '/']],
    ['workers disk', [AGENT, 'disk_used_percent', 'AutoScalingGroupName', GIVEN.WorkerAutoScalingGroupName, 'path', '/']],
    ['RDS connections', ['AWS/RDS', 'DatabaseConnections', 'DBInstanceIdentifier', GIVEN.DbInstanceIdentifier]],
    ['RDS CPU', ['AWS/RDS', 'CPUUtilization', 'DBInstanceIdentifier', GIVEN.DbInstanceIdentifier]],
    ['RDS free storage', ['AWS/RDS', 'FreeStorageSpace', 'DBInstanceIdentifier', GIVEN.DbInstanceIdentifier]],
    ['EFS throughput', ['AWS/EFS', 'MeteredIOBytes', 'FileSystemId', GIVEN.EfsFileSystemId]],
    ['EFS I/O limit', ['AWS/EFS', 'PercentIOLimit', 'FileSystemId', GIVEN.EfsFileSystemId]],
    ['ASG in service', ['AWS/AutoScaling', 'GroupInServiceInstances', 'AutoScalingGroupName', GIVEN.WorkerAutoScalingGroupName]],
  ])('GIVEN the dashboard WHEN its metrics are listed THEN %s is graphed', (_l, prefix) => {
    expect(has(...prefix)).toBe(true);
  });

  it('GIVEN the dashboard WHEN the alarm widget is read THEN it shows every alarm of the stack', () => {
    const alarmWidgets = body.widgets.filter((w: any) => w.type === 'alarm');
    expect(alarmWidgets).toHaveLength(1);
    const expected = ofType(r, 'AWS::CloudWatch::Alarm')
      .map(([id]) => `{{${id}.Arn}}`)
      .sort();
    expect([...alarmWidgets[0].properties.alarms].sort()).toEqual(expected);
  });
});

describe('tags', () => {
  const TAGGABLE = [
    'AWS::KMS::Key',
    'AWS::SNS::Topic',
    'AWS::Logs::LogGroup',
    'AWS::Events::Rule',
    'AWS::CloudWatch::Alarm',
    'AWS::CloudWatch::Dashboard',
    'AWS::S3::Bucket',
    'AWS::CloudTrail::Trail',
  ];
  const UNTAGGABLE = ['AWS::KMS::Alias', 'AWS::SNS::Subscription', 'AWS::SNS::TopicPolicy', 'AWS::Logs::MetricFilter', 'AWS::S3::BucketPolicy'];

  it.each(Object.entries<any>(tpl.Resources).map(([id, res]) => [id, res.Type]))(
    'GIVEN resource %s (%s) WHEN tags are checked THEN a taggable type has dpf:env and dpf:project',
    (id, type) => {
      expect([...TAGGABLE, ...UNTAGGABLE]).toContain(type);
      if (TAGGABLE.includes(type)) expect(tagsOf(r.resources[id])).toMatchObject({ 'dpf:env': 'dev', 'dpf:project': 'acme' });
    },
  );
});
