import { describe, expect, it } from 'vitest';
import { uniquePhysicalNames } from '../../../src/validate/rules/unique-physical-names.js';
import { input, stack } from '../helpers.js';

const alarm = (name: string) => `
Resources:
  A:
    Type: AWS::CloudWatch::Alarm
    Properties: { AlarmName: ${name}, Namespace: AWS/EC2, MetricName: CPUUtilization, Statistic: Average, Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanThreshold }
`;
const role = (name: string) => `
Resources:
  R:
    Type: AWS::IAM::Role
    Properties: { RoleName: ${name}, AssumeRolePolicyDocument: {} }
`;

describe('rule unique-physical-names', () => {
  it.each([
    [
      'the same alarm name in two stacks (the scale-out alarm overwritten)',
      [stack('compute', alarm('acme-dev-workers-cpu-high')), stack('monitoring', alarm('acme-dev-workers-cpu-high'))],
      1,
    ],
    [
      'IAM role names that differ only in case (IAM compares them case-insensitively)',
      [stack('compute', role('acme-dev-Master')), stack('identity', role('acme-dev-master'))],
      1,
    ],
    ['different alarm names', [stack('compute', alarm('acme-dev-workers-scale-out')), stack('monitoring', alarm('acme-dev-workers-cpu-high'))], 0],
    ['the same name for different types (separate namespaces)', [stack('compute', alarm('acme-dev-x')), stack('identity', role('acme-dev-x'))], 0],
  ])('GIVEN %s WHEN checked THEN %i finding(s)', (_what, stacks, count) => {
    const findings = uniquePhysicalNames.check(input(stacks));
    expect(findings).toHaveLength(count);
    if (count) expect(findings[0]).toMatchObject({ severity: 'error' });
  });

  it('GIVEN the same name in the same region for a region-scoped type but different regions THEN no finding', () => {
    const findings = uniquePhysicalNames.check(input([stack('a', alarm('n'), { region: 'eu-west-1' }), stack('b', alarm('n'), { region: 'eu-central-1' })]));
    expect(findings).toEqual([]);
  });
});
