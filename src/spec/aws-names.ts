/**
 * AWS's naming rules for the custom names dpf gives resources, by CloudFormation type: where
 * the name sits, its length and characters, and where it must be unique. One table for the
 * config loader (the names dpf derives from the project and environment, config/names.ts) and
 * the semantic rules on the rendered templates (validate/physical-names.ts), so the two cannot
 * disagree on what AWS accepts.
 */

export interface NameSpec {
  /** Property path of the name, e.g. ['BackupPlan', 'BackupPlanName']. */
  path: string[];
  min: number;
  max: number;
  /** Allowed characters / shape of the whole name. */
  pattern: RegExp;
  /** Extra shape rules (return a problem, or undefined). */
  extra?: (name: string) => string | undefined;
  /** 'account' (IAM: global in the account), 'global' (S3), else per region. */
  scope: 'region' | 'account' | 'global';
  /** AWS compares these names case-insensitively. */
  caseInsensitive?: boolean;
  /** Names are unique only inside a parent (a plan, a log group): the parent's property. */
  parent?: string[];
  doc: string;
}

const S3_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const S3_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
const s3Extra = (n: string): string | undefined => {
  if (n.includes('..')) return 'contains two adjacent periods';
  const prefix = S3_RESERVED_PREFIXES.find((x) => n.startsWith(x));
  if (prefix) return `starts with "${prefix}", a prefix S3 reserves`;
  const suffix = S3_RESERVED_SUFFIXES.find((x) => n.endsWith(x));
  if (suffix) return `ends with "${suffix}", a suffix S3 reserves`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(n)) return 'has the form of an IP address';
  return undefined;
};

const rdsExtra = (n: string): string | undefined => {
  if (n.includes('--')) return 'contains two hyphens in a row';
  if (n.endsWith('-')) return 'ends with a hyphen';
  return undefined;
};

export const NAME_SPECS: Record<string, NameSpec> = {
  'AWS::IAM::Role': {
    path: ['RoleName'],
    min: 1,
    max: 64,
    pattern: /^[\w+=,.@-]+$/,
    scope: 'account',
    caseInsensitive: true,
    doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
  },
  'AWS::IAM::InstanceProfile': {
    path: ['InstanceProfileName'],
    min: 1,
    max: 128,
    pattern: /^[\w+=,.@-]+$/,
    scope: 'account',
    caseInsensitive: true,
    doc: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html',
  },
  'AWS::IAM::Group': {
    path: ['GroupName'],
    min: 1,
    max: 128,
    pattern: /^[\w+=,.@-]+$/,
    scope: 'account',
    caseInsensitive: true,
    doc: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateGroup.html',
  },
  'AWS::IAM::ManagedPolicy': {
    path: ['ManagedPolicyName'],
    min: 1,
    max: 128,
    pattern: /^[\w+=,.@-]+$/,
    scope: 'account',
    caseInsensitive: true,
    doc: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html',
  },
  'AWS::S3::Bucket': {
    path: ['BucketName'],
    min: 3,
    max: 63,
    pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    extra: s3Extra,
    scope: 'global',
    doc: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html',
  },
  'AWS::RDS::DBInstance': {
    path: ['DBInstanceIdentifier'],
    min: 1,
    max: 63,
    pattern: /^[a-zA-Z][a-zA-Z0-9-]*$/,
    extra: rdsExtra,
    scope: 'region',
    caseInsensitive: true,
    doc: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints',
  },
  'AWS::RDS::DBSubnetGroup': {
    path: ['DBSubnetGroupName'],
    min: 1,
    max: 255,
    pattern: /^[a-zA-Z0-9 ._-]+$/,
    scope: 'region',
    caseInsensitive: true,
    doc: 'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html',
  },
  'AWS::RDS::DBParameterGroup': {
    path: ['DBParameterGroupName'],
    min: 1,
    max: 255,
    pattern: /^[a-zA-Z][a-zA-Z0-9-]*$/,
    extra: rdsExtra,
    scope: 'region',
    caseInsensitive: true,
    doc: 'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html',
  },
  'AWS::AutoScaling::AutoScalingGroup': {
    path: ['AutoScalingGroupName'],
    min: 1,
    max: 255,
    pattern: /^[^:]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html',
  },
  'AWS::EC2::LaunchTemplate': {
    path: ['LaunchTemplateName'],
    min: 3,
    max: 128,
    pattern: /^[a-zA-Z0-9().\-/_]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html',
  },
  'AWS::EC2::SecurityGroup': {
    path: ['GroupName'],
    min: 1,
    max: 255,
    pattern: /^[\w .:/()#,@[\]+=&;{}!$*-]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html',
  },
  'AWS::CloudWatch::Alarm': {
    path: ['AlarmName'],
    min: 1,
    max: 255,
    pattern: /^[^\u0000-\u001f]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html',
  },
  'AWS::CloudWatch::Dashboard': {
    path: ['DashboardName'],
    min: 1,
    max: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html',
  },
  'AWS::Logs::LogGroup': {
    path: ['LogGroupName'],
    min: 1,
    max: 512,
    pattern: /^[.\-_/#A-Za-z0-9]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html',
  },
  'AWS::Logs::MetricFilter': {
    path: ['FilterName'],
    min: 1,
    max: 512,
    pattern: /^[^:*]+$/,
    scope: 'region',
    parent: ['LogGroupName'],
    doc: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html',
  },
  'AWS::SNS::Topic': {
    path: ['TopicName'],
    min: 1,
    max: 256,
    pattern: /^[A-Za-z0-9_-]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html',
  },
  'AWS::Events::Rule': {
    path: ['Name'],
    min: 1,
    max: 64,
    pattern: /^[.\-_A-Za-z0-9]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html',
  },
  'AWS::KMS::Alias': {
    path: ['AliasName'],
    min: 7,
    max: 256,
    pattern: /^alias\/[a-zA-Z0-9/_-]+$/,
    extra: (n) => (n.startsWith('alias/aws/') ? 'starts with alias/aws/, a prefix AWS KMS reserves' : undefined),
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html',
  },
  'AWS::Backup::BackupVault': {
    path: ['BackupVaultName'],
    min: 2,
    max: 50,
    pattern: /^[a-zA-Z0-9_-]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html',
  },
  'AWS::Backup::BackupPlan': {
    path: ['BackupPlan', 'BackupPlanName'],
    min: 1,
    max: 50,
    pattern: /^[a-zA-Z0-9_.-]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupPlanInput.html',
  },
  'AWS::Backup::BackupSelection': {
    path: ['BackupSelection', 'SelectionName'],
    min: 1,
    max: 50,
    pattern: /^[a-zA-Z0-9_.-]+$/,
    scope: 'region',
    parent: ['BackupPlanId'],
    doc: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html',
  },
  'AWS::DynamoDB::Table': {
    path: ['TableName'],
    min: 3,
    max: 255,
    pattern: /^[a-zA-Z0-9_.-]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html',
  },
  'AWS::SecretsManager::Secret': {
    path: ['Name'],
    min: 1,
    max: 512,
    pattern: /^[a-zA-Z0-9/_+=.@-]+$/,
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html',
  },
  'AWS::SSM::Parameter': {
    path: ['Name'],
    min: 1,
    max: 1011,
    pattern: /^[a-zA-Z0-9_.\-/]+$/,
    extra: (n) => (/^\/?(aws|ssm)/i.test(n) ? 'starts with "aws" or "ssm", which SSM Parameter Store reserves' : undefined),
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html',
  },
  'AWS::CloudTrail::Trail': {
    path: ['TrailName'],
    min: 3,
    max: 128,
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$/,
    extra: (n) => (/[._-]{2}/.test(n) ? 'has two periods, underscores or dashes in a row, which CloudTrail refuses' : undefined),
    scope: 'region',
    doc: 'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html',
  },
};

/** CloudFormation stack names (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html); not a resource property. */
export const STACK_NAME_SPEC: NameSpec = {
  path: ['StackName'],
  min: 1,
  max: 128,
  pattern: /^[a-zA-Z][-a-zA-Z0-9]*$/,
  scope: 'region',
  doc: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html',
};

/** Why AWS would refuse this name, as a phrase that follows it ("is 70 characters (…)"), or undefined. */
export function nameRuleProblem(name: string, spec: NameSpec): string | undefined {
  if (name.length < spec.min || name.length > spec.max) return `is ${name.length} characters (AWS allows ${spec.min}-${spec.max})`;
  if (!spec.pattern.test(name)) return `holds characters or a shape AWS does not allow (${spec.pattern.source})`;
  return spec.extra?.(name);
}
