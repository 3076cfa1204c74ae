import { describe, expect, it } from 'vitest';
import { kmsServiceAccess } from '../../../src/validate/rules/kms-service-access.js';
import { input, stack } from '../helpers.js';

const key = (statements: string) => `
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - { Effect: Allow, Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }
${statements}`;
const logsStatement = (pattern: string) => `          - Effect: Allow
            Principal: { Service: logs.eu-west-1.amazonaws.com }
            Action: [kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe*]
            Resource: '*'
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': '${pattern}' } }`;
const logGroup = `
  Group:
    Type: AWS::Logs::LogGroup
    Properties: { LogGroupName: /acme/dev/audit, KmsKeyId: !GetAtt Key.Arn }`;
const tpl = (body: string) => stack('monitoring', `Resources:${body}\n`);

describe('rule kms-service-access', () => {
  it.each([
    ['a log group whose key does not name CloudWatch Logs (the group cannot be created)', key('') + logGroup, /does not let logs.eu-west-1.amazonaws.com/],
    [
      "a key policy whose encryption-context condition covers another environment's groups",
      key(logsStatement('arn:aws:logs:eu-west-1:111122223333:log-group:/acme/prod/*')) + logGroup,
      /where kms:EncryptionContext:aws:logs:arn is/,
    ],
  ])('GIVEN %s WHEN checked THEN it fails', (_what, body, message) => {
    expect(kmsServiceAccess.check(input([tpl(body)]))[0]!.message).toMatch(message);
  });

  it("GIVEN CloudWatch Logs allowed for this environment's groups WHEN checked THEN it passes", () => {
    expect(kmsServiceAccess.check(input([tpl(key(logsStatement('arn:aws:logs:eu-west-1:111122223333:log-group:/acme/dev/*')) + logGroup)]))).toEqual([]);
  });

  const alarmOn = `
  Topic:
    Type: AWS::SNS::Topic
    Properties: { KmsMasterKeyId: TOPICKEY }
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties: { AlarmActions: [!Ref Topic], Namespace: AWS/EC2, MetricName: CPUUtilization }`;
  it.each([
    ['an alarm publishing to a topic under the AWS managed key alias/aws/sns', alarmOn.replace('TOPICKEY', 'alias/aws/sns'), /AWS managed key alias\/aws\/sns/],
    [
      'an alarm publishing to a topic whose key does not name CloudWatch',
      key('') + alarmOn.replace('TOPICKEY', '!Ref Key'),
      /does not let cloudwatch.amazonaws.com/,
    ],
  ])('GIVEN %s WHEN checked THEN it fails (notifications silently dropped)', (_what, body, message) => {
    expect(kmsServiceAccess.check(input([tpl(body)]))[0]!.message).toMatch(message);
  });

  it('GIVEN the topic key allows CloudWatch to GenerateDataKey* and Decrypt WHEN checked THEN it passes', () => {
    const stmt = `          - { Effect: Allow, Principal: { Service: [cloudwatch.amazonaws.com] }, Action: [kms:Decrypt, kms:GenerateDataKey*], Resource: '*' }`;
    expect(kmsServiceAccess.check(input([tpl(key(stmt) + alarmOn.replace('TOPICKEY', '!Ref Key'))]))).toEqual([]);
  });

  const asg = (statements: string) => `${key(statements)}
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties: { LaunchTemplateData: { BlockDeviceMappings: [{ DeviceName: /dev/xvda, Ebs: { Encrypted: true, KmsKeyId: !GetAtt Key.Arn } }] } }
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: { LaunchTemplate: { LaunchTemplateId: !Ref Lt, Version: '1' }, MinSize: '1', MaxSize: '2' }`;
  it.each([
    ['without a statement for the Auto Scaling service-linked role (launches fail)', '', 1],
    [
      'with the documented statement for the service-linked role',
      `          - { Effect: Allow, Principal: { AWS: 'arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling' }, Action: [kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey, kms:CreateGrant], Resource: '*' }`,
      0,
    ],
  ])('GIVEN a worker launch template with a customer managed key %s WHEN checked THEN %i finding(s)', (_what, stmt, count) => {
    expect(kmsServiceAccess.check(input([tpl(asg(stmt))]))).toHaveLength(count);
  });
});
