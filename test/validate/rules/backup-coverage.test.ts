import { describe, expect, it } from 'vitest';
import { backupCoverage } from '../../../src/validate/rules/backup-coverage.js';
import { input, stack } from '../helpers.js';

const plan = (copy: string) => `
  Plan:
    Type: AWS::Backup::BackupPlan
    Properties:
      BackupPlan:
        BackupPlanName: p
        BackupPlanRule:
          - RuleName: daily
            TargetBackupVault: v
${copy}`;
const COPY = '            CopyActions: [{ DestinationBackupVaultArn: "arn:aws:backup:eu-central-1:111122223333:backup-vault:dr" }]';
const storage = (selection: string, copy = COPY) =>
  stack(
    'storage',
    `
Resources:
  Fs:
    Type: AWS::EFS::FileSystem
    Properties: {}
${plan(copy)}
${selection}
`,
  );
const byArn = `
  Sel:
    Type: AWS::Backup::BackupSelection
    Properties: { BackupPlanId: !Ref Plan, BackupSelection: { SelectionName: s, IamRoleArn: r, Resources: [!GetAtt Fs.Arn] } }`;
const compute = (volumeTags: string) =>
  stack(
    'compute',
    `
Resources:
  MasterLt:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        TagSpecifications: [{ ResourceType: volume, Tags: [{ Key: 'dpf:role', Value: master }${volumeTags}] }]
`,
  );
const byTags = `
  Volumes:
    Type: AWS::Backup::BackupSelection
    Properties:
      BackupPlanId: !Ref Plan
      BackupSelection:
        SelectionName: v
        IamRoleArn: r
        Resources: ['arn:aws:ec2:eu-west-1:111122223333:volume/*']
        Conditions: { StringEquals: [{ ConditionKey: 'aws:ResourceTag/dpf:backup', ConditionValue: daily }] }`;

describe('rule backup-coverage', () => {
  it.each([
    ['an EFS file system no selection selects', [storage('')], 'error', /EFS file system: no AWS Backup selection/],
    [
      "the master's volumes without the tag the volume selection asks for (EBS was never selected)",
      [storage(byArn + byTags), compute('')],
      'error',
      /EBS volumes of the master node/,
    ],
  ])('GIVEN %s WHEN checked THEN it fails', (_what, stacks, severity, message) => {
    const findings = backupCoverage.check(input(stacks));
    expect(findings[0]).toMatchObject({ severity });
    expect(findings[0]!.message).toMatch(message);
  });

  it('GIVEN EFS by ARN and the stateful volumes by tag, copied to another region WHEN checked THEN it passes', () => {
    expect(backupCoverage.check(input([storage(byArn + byTags), compute(", { Key: 'dpf:backup', Value: daily }")]))).toEqual([]);
  });

  it.each([
    ['dev', 'warning'],
    ['prod', 'error'],
  ])('GIVEN %s and no copy to another region WHEN checked THEN a(n) %s', (envName, severity) => {
    const findings = backupCoverage.check(input([storage(byArn, '')], { envName }));
    expect(findings).toEqual([expect.objectContaining({ severity, message: expect.stringMatching(/no copy to another region/) })]);
  });
});
