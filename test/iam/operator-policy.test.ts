/**
 * The published operator policy (docs/iam/) is what the generator makes from this checkout —
 * the SDK calls in src/aws/ and the handler permissions of the templates' resource types — so a
 * new call or resource type without a regenerated policy fails here (node scripts/iam-policy.mjs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { operatorPolicyFiles } from '../../src/iam/generate.js';
import { MANAGED_POLICY_LIMIT, directActions, policyDocuments, policySize, provisioningActions, type PolicyDocument } from '../../src/iam/operator-policy.js';
import { operatorActions } from '../../src/preflight/index.js';
import { PACKAGE_ROOT } from '../../src/templates/registry.js';

const DIR = path.join(PACKAGE_ROOT, 'docs', 'iam');
const published = Object.fromEntries(
  readdirSync(DIR)
    .filter((f) => f.startsWith('dpf-operator-'))
    .map((f) => [f, readFileSync(path.join(DIR, f), 'utf8')]),
);
const docs = Object.entries(published)
  .filter(([f]) => /-\d+\.json$/.test(f))
  .map(([, t]) => JSON.parse(t) as PolicyDocument);
const glob = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');

describe('GIVEN docs/iam', () => {
  it('WHEN regenerated from this checkout THEN it is byte for byte what is published (run node scripts/iam-policy.mjs after npm run build)', () => {
    expect(published).toEqual(operatorPolicyFiles(PACKAGE_ROOT));
  });

  it('WHEN each document is measured THEN it fits a managed policy (6,144 characters without whitespace)', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(policySize(d)).toBeLessThanOrEqual(MANAGED_POLICY_LIMIT);
  });

  it('WHEN every action dpf doctor simulates is matched against the documents THEN each is granted', () => {
    const actions = operatorActions();
    expect(actions.length).toBeGreaterThan(300);
    const granted = docs.flatMap((d) => d.Statement.flatMap((s) => s.Action));
    expect(actions.filter((a) => !granted.some((g) => glob(g).test(a)))).toEqual([]);
  });

  it.each([
    ['cloudformation:CreateChangeSet', 'the stack deployer'],
    ['cloudformation:ExecuteChangeSet', 'the stack deployer'],
    ['ssm:SendCommand', 'Ansible over SSM'],
    ['ec2:CreateNetworkInsightsPath', 'the reachability check'],
    ['tiros:CreateQuery', 'Reachability Analyzer'],
    ['iam:SimulatePrincipalPolicy', 'the preflight'],
    ['iam:PassRole', 'AWS Backup jobs and instance profiles'],
    ['ec2:RunInstances', 'the Marketplace dry run and the instances CloudFormation launches'],
    ['cloudtrail:CreateTrail', 'the monitoring stack'],
    ['backup:CreateBackupSelection', 'the storage stack'],
  ])('WHEN listing the actions THEN %s is there (%s)', (action) => {
    expect(operatorActions()).toContain(action);
  });
});

describe('the generator', () => {
  it('GIVEN adapter sources THEN each Command maps through its client to an IAM action, with the overrides', () => {
    const text = `import { S3Client, HeadObjectCommand, type X } from '@aws-sdk/client-s3';\nimport { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';\nimport { BackupClient, StartBackupJobCommand } from '@aws-sdk/client-backup';\n new HeadObjectCommand({}); new GetCallerIdentityCommand({}); new StartBackupJobCommand({});`;
    expect(directActions([{ file: 'a.ts', text }])).toEqual({ actions: ['backup:StartBackupJob', 'iam:PassRole', 's3:GetObject'], unknownClients: [] });
    expect(directActions([{ file: 'b.ts', text: `import { FooClient, BarCommand } from '@aws-sdk/client-foo';\nnew BarCommand({});` }]).unknownClients).toEqual(
      ['@aws-sdk/client-foo (b.ts)'],
    );
  });

  it('GIVEN a resource type without a schema THEN it is reported, not silently left out', () => {
    expect(provisioningActions(['AWS::EC2::VPC', 'AWS::Made::Up'], { 'AWS::EC2::VPC': ['EC2:CreateVpc'] })).toEqual({
      actions: ['ec2:CreateVpc'],
      missing: ['AWS::Made::Up'],
    });
  });

  it('GIVEN a small limit THEN statements are packed into several documents, reads collapsed per service', () => {
    const out = policyDocuments(['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:CreateVpc', 's3:GetObject', 's3:PutObject', 'kms:Decrypt'], [], 150);
    expect(out.length).toBeGreaterThan(1);
    expect(out.flatMap((d) => d.Statement)).toEqual([
      { Sid: 'Ec2', Effect: 'Allow', Action: ['ec2:CreateVpc', 'ec2:Describe*'], Resource: '*' },
      { Sid: 'Kms', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: '*' },
      { Sid: 'S3', Effect: 'Allow', Action: ['s3:Get*', 's3:PutObject'], Resource: '*' },
    ]);
  });
});
