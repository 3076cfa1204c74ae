/**
 * The IAM policy an operator needs to run dpf, generated from what dpf does:
 *
 * 1. The calls dpf makes itself: every `new <Name>Command(` of the adapters in src/aws/, mapped
 *    to its IAM action through the SDK client it comes from (plus the few actions a call needs
 *    besides its own, e.g. ec2:CreateTags for tag specifications, iam:PassRole for a backup job).
 * 2. The calls CloudFormation makes with the operator's credentials for the resources of the
 *    bundled templates: each type's handler permissions (create, read, update, delete) from the
 *    CloudFormation resource provider schemas (shipped with cfn-lint).
 *
 * Writes are listed action by action; reads (Describe*, List*, Get*) are one wildcard per
 * service in the policy documents. The documents are packed under the managed-policy size
 * limit (6,144 characters without whitespace). docs/iam/ holds the result, kept in sync by
 * test/iam/operator-policy.test.ts; `node scripts/iam-policy.mjs` regenerates it.
 */

/** IAM service prefix of each AWS SDK v3 client dpf uses. */
export const CLIENT_PREFIX: Record<string, string> = {
  '@aws-sdk/client-auto-scaling': 'autoscaling',
  '@aws-sdk/client-backup': 'backup',
  '@aws-sdk/client-cloudformation': 'cloudformation',
  '@aws-sdk/client-cloudtrail': 'cloudtrail',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-efs': 'elasticfilesystem',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-kms': 'kms',
  '@aws-sdk/client-rds': 'rds',
  '@aws-sdk/client-route-53': 'route53',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-service-quotas': 'servicequotas',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sts': 'sts',
};

/** Calls whose IAM actions are not (only) `<prefix>:<Operation>`. */
export const ACTION_OVERRIDES: Record<string, string[]> = {
  'sts:GetCallerIdentity': [], // needs no permission
  's3:HeadObject': ['s3:GetObject'],
  's3:HeadBucket': ['s3:ListBucket'],
  's3:ListObjectsV2': ['s3:ListBucket'],
  's3:ListObjectVersions': ['s3:ListBucketVersions'],
  's3:GetBucketEncryption': ['s3:GetEncryptionConfiguration'],
  's3:GetPublicAccessBlock': ['s3:GetBucketPublicAccessBlock'],
  's3:DeleteObjects': ['s3:DeleteObject', 's3:DeleteObjectVersion'],
  'ec2:CreateImage': ['ec2:CreateImage', 'ec2:CreateTags'],
  'ec2:CreateSnapshot': ['ec2:CreateSnapshot', 'ec2:CreateTags'],
  'ec2:CreateSecurityGroup': ['ec2:CreateSecurityGroup', 'ec2:CreateTags'],
  'ec2:CreateNetworkInsightsPath': ['ec2:CreateNetworkInsightsPath', 'ec2:CreateTags'],
  // Reachability Analyzer reads the network through Tiros (docs: Required API permissions for Reachability Analyzer).
  'ec2:StartNetworkInsightsAnalysis': [
    'ec2:StartNetworkInsightsAnalysis',
    'ec2:CreateTags',
    'tiros:CreateQuery',
    'tiros:GetQueryAnswer',
    'tiros:GetQueryExplanation',
  ],
  'backup:StartBackupJob': ['backup:StartBackupJob', 'iam:PassRole'],
  'backup:StartRestoreJob': ['backup:StartRestoreJob', 'iam:PassRole'],
  'rds:CreateDBSnapshot': ['rds:CreateDBSnapshot', 'rds:AddTagsToResource'],
  'rds:CopyDBSnapshot': ['rds:CopyDBSnapshot', 'rds:AddTagsToResource', 'kms:CreateGrant', 'kms:DescribeKey'],
  'rds:RestoreDBInstanceFromDBSnapshot': ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:AddTagsToResource'],
  'rds:RestoreDBInstanceToPointInTime': ['rds:RestoreDBInstanceToPointInTime', 'rds:AddTagsToResource'],
  'elasticfilesystem:TagResource': ['elasticfilesystem:TagResource'],
  'ssm:SendCommand': ['ssm:SendCommand'],
};

export interface SourceFile {
  file: string;
  text: string;
}

/** IAM actions of the SDK calls made in the given source files (import module → prefix). */
export function directActions(sources: SourceFile[]): { actions: string[]; unknownClients: string[] } {
  const actions = new Set<string>();
  const unknownClients = new Set<string>();
  for (const { file, text } of sources) {
    const clientOf = new Map<string, string>();
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g))
      for (const name of m[1]!
        .split(',')
        .map((x) => x.trim().replace(/^type\s+/, ''))
        .filter(Boolean))
        clientOf.set(name, m[2]!);
    for (const m of text.matchAll(/new\s+([A-Za-z0-9]+)Command\(/g)) {
      const client = clientOf.get(`${m[1]}Command`);
      if (!client) continue;
      const prefix = CLIENT_PREFIX[client];
      if (!prefix) {
        unknownClients.add(`${client} (${file})`);
        continue;
      }
      const key = `${prefix}:${m[1]}`;
      for (const a of ACTION_OVERRIDES[key] ?? [key]) actions.add(a);
    }
  }
  return { actions: [...actions].sort(), unknownClients: [...unknownClients].sort() };
}

/** Resource types of the bundled templates (parameter types like AWS::EC2::VPC::Id left out). */
export function resourceTypes(templates: Array<Record<string, any>>): string[] {
  const out = new Set<string>();
  for (const t of templates) for (const r of Object.values<any>(t.Resources ?? {})) if (typeof r?.Type === 'string') out.add(r.Type);
  return [...out].sort();
}

/** IAM action names are case-insensitive; the service prefix is written in lower case. */
export function normalize(action: string): string {
  const [service, name] = action.split(':');
  return `${service!.toLowerCase()}:${name}`;
}

/** CloudFormation's handler permissions for the resource types (missing schemas are reported). */
export function provisioningActions(types: string[], handlerPermissions: Record<string, string[] | undefined>): { actions: string[]; missing: string[] } {
  const actions = new Set<string>();
  const missing: string[] = [];
  for (const t of types) {
    const perms = handlerPermissions[t];
    if (!perms) missing.push(t);
    else for (const p of perms) actions.add(normalize(p));
  }
  return { actions: [...actions].sort(), missing };
}

/** Every concrete action (what `dpf doctor` simulates). */
export function operatorActions(direct: string[], provisioning: string[]): string[] {
  return [...new Set([...direct, ...provisioning].map(normalize))].filter((a) => !a.includes('*')).sort();
}

const READ = /^(Describe|List|Get)/;

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<{ Sid: string; Effect: 'Allow'; Action: string[]; Resource: '*' }>;
}

/** Managed policies allow 6,144 characters, whitespace not counted. */
export const MANAGED_POLICY_LIMIT = 6144;

export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).replace(/\s/g, '').length;
}

/**
 * The policy documents: per service, reads as `<service>:Describe*` / `List*` / `Get*` and
 * writes one by one; statements packed in order into as few documents as fit the limit.
 */
export function policyDocuments(actions: string[], withWildcards: string[] = [], limit = MANAGED_POLICY_LIMIT): PolicyDocument[] {
  const byService = new Map<string, Set<string>>();
  for (const a of [...actions, ...withWildcards].map(normalize)) {
    const [service, name] = a.split(':') as [string, string];
    const read = READ.exec(name);
    const entry = read ? `${service}:${read[1]}*` : a;
    byService.set(service, (byService.get(service) ?? new Set()).add(entry));
  }
  const statements = [...byService]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, set]) => ({
      Sid: service
        .replace(/[^A-Za-z0-9]/g, ' ')
        .replace(/(^|\s)(\w)/g, (_m, _s, c: string) => c.toUpperCase())
        .replace(/\s/g, ''),
      Effect: 'Allow' as const,
      Action: [...set].sort(),
      Resource: '*' as const,
    }));
  const docs: PolicyDocument[] = [];
  let current: PolicyDocument = { Version: '2012-10-17', Statement: [] };
  for (const st of statements) {
    const next = { ...current, Statement: [...current.Statement, st] };
    if (current.Statement.length && policySize(next) > limit) {
      docs.push(current);
      current = { Version: '2012-10-17', Statement: [st] };
    } else current = next;
    if (policySize(current) > limit) throw new Error(`the ${st.Sid} statement alone is over ${limit} characters`);
  }
  if (current.Statement.length) docs.push(current);
  return docs;
}
