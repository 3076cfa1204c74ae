/** Security-widening changes listed before a change set is approved (the CDK's review), from AfterContext or the template. */
import { describe, it, expect } from 'vitest';
import { securityChanges, show } from '../../src/steps/security-diff.js';

describe('securityChanges', () => {
  const template = {
    Sg: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: { SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: { Ref: 'AdminCidr1' } }] },
    },
    Rule: {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8090, SourceSecurityGroupId: { 'Fn::GetAtt': ['Sg', 'GroupId'] } },
    },
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
        Policies: [
          {
            PolicyName: 'p',
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: { 'Fn::Sub': 'arn:aws:s3:::${Bucket}/*' } }] },
          },
        ],
        ManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'],
      },
    },
    Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
  };

  it.each([
    [
      'a new security group with an SSH rule',
      { action: 'Add', logicalId: 'Sg', resourceType: 'AWS::EC2::SecurityGroup' },
      ['ingress: new rule: tcp 22 from Ref AdminCidr1'],
    ],
    [
      'a new ingress rule',
      { action: 'Add', logicalId: 'Rule', resourceType: 'AWS::EC2::SecurityGroupIngress' },
      ['ingress: new rule: tcp 8080-8090 from GetAtt Sg.GroupId'],
    ],
    [
      'a new role',
      { action: 'Add', logicalId: 'Role', resourceType: 'AWS::IAM::Role' },
      [
        'iam: trust: Allow sts:AssumeRole for Service ec2.amazonaws.com',
        'iam: new statement: Allow s3:GetObject, s3:PutObject on Sub arn:aws:s3:::${Bucket}/*',
        'iam: attaches managed policy arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
      ],
    ],
    ['a bucket (no access granted)', { action: 'Add', logicalId: 'Bucket', resourceType: 'AWS::S3::Bucket' }, []],
    ['a removed role (never widens)', { action: 'Remove', logicalId: 'Role', resourceType: 'AWS::IAM::Role' }, []],
    [
      'an ingress rule changed, with values from AWS',
      {
        action: 'Modify',
        logicalId: 'Sg',
        resourceType: 'AWS::EC2::SecurityGroup',
        details: [
          { path: 'Properties.SecurityGroupIngress', change: 'Modify', before: '10.0.0.0/8', after: '0.0.0.0/0' },
          { path: 'Properties.Tags', change: 'Modify' },
        ],
      },
      ['ingress: changes Properties.SecurityGroupIngress: 10.0.0.0/8 → 0.0.0.0/0'],
    ],
    [
      'a new role whose AfterContext AWS gave',
      {
        action: 'Add',
        logicalId: 'Other',
        resourceType: 'AWS::IAM::Policy',
        afterContext: JSON.stringify({ Properties: { PolicyDocument: { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } } } }),
      },
      ['iam: new statement: Allow * on *'],
    ],
  ])('GIVEN %s THEN %j', (_what, change, expected) => {
    expect(securityChanges([change as never], template as never).map((c) => `${c.kind}: ${c.description}`)).toEqual(expected);
  });

  it.each([
    [{ Ref: 'X' }, 'Ref X'],
    [{ 'Fn::GetAtt': ['A', 'Arn'] }, 'GetAtt A.Arn'],
    [{ 'Fn::If': ['Cond', 'a', 'b'] }, 'If Cond'],
    [undefined, '∅'],
    [['a', { Ref: 'B' }], 'a, Ref B'],
  ])('GIVEN %j THEN it reads as %s', (v, text) => {
    expect(show(v)).toBe(text);
  });
});
