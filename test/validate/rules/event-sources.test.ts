import { describe, expect, it } from 'vitest';
import { eventSources } from '../../../src/validate/rules/event-sources.js';
import { input, stack } from '../helpers.js';

const rule = `
  Topic:
    Type: AWS::SNS::Topic
    Properties: { TopicName: t }
  SgRule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: { source: [aws.ec2], detail-type: [AWS API Call via CloudTrail] }
      Targets: [{ Id: t, Arn: !Ref Topic }]`;
const policy = (service: string) => `
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument: { Statement: [{ Effect: Allow, Principal: { Service: ${service} }, Action: sns:Publish, Resource: '*' }] }`;
const trail = (extra = '') => `
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties: { IsLogging: true, IsMultiRegionTrail: true, S3BucketName: b${extra} }`;
const monitoring = (body: string) => stack('monitoring', `Resources:${body}\n`);

describe('rule event-sources', () => {
  it.each([
    [
      'a CloudTrail-event rule and no trail (the security-group alert never fires)',
      rule + policy('events.amazonaws.com'),
      'error',
      /no stack of this environment creates a trail/,
    ],
    [
      'a trail that records read-only events',
      rule + policy('events.amazonaws.com') + trail(', EventSelectors: [{ ReadWriteType: ReadOnly, IncludeManagementEvents: true }]'),
      'error',
      /no stack of this environment creates a trail/,
    ],
    [
      'a topic policy that does not let EventBridge publish',
      rule + policy('cloudwatch.amazonaws.com') + trail(),
      'error',
      /does not let events.amazonaws.com publish/,
    ],
  ])('GIVEN %s WHEN checked THEN %s', (_what, body, severity, message) => {
    const findings = eventSources.check(input([monitoring(body)]));
    expect(findings[0]).toMatchObject({ severity });
    expect(findings[0]!.message).toMatch(message);
  });

  it('GIVEN a multi-region trail logging management events and a topic EventBridge may publish to WHEN checked THEN it passes', () => {
    expect(eventSources.check(input([monitoring(rule + policy('events.amazonaws.com') + trail())]))).toEqual([]);
  });

  it("GIVEN monitoring.cloudTrail: existing WHEN checked THEN a warning says dpf doctor checks the account's trail", () => {
    const findings = eventSources.check(input([monitoring(rule + policy('events.amazonaws.com'))], { env: { monitoring: { cloudTrail: 'existing' } } }));
    expect(findings).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/dpf doctor/) })]);
  });
});
