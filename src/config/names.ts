/**
 * The project and environment names end up inside AWS resource names (S3 buckets, the RDS
 * instance, IAM roles, stacks, …). Each service has its own rules, and a name one of them
 * refuses is otherwise found only when CloudFormation creates that resource, many steps and
 * minutes into a deploy. These are the rules, per service, checked at config time against the
 * names dpf derives (the shapes below mirror the templates and derivedNames() in ./normalise.ts;
 * test/config/names.test.ts checks each one is a name the rendered templates use). The length of every derived name is also a
 * matter for the templates' own check (the longest allowed project and environment names).
 */
import { derivedNames } from './normalise.js';

export interface NameShape {
  /** What the name is, for the message. */
  what: string;
  /** The derived name for a project, environment and account. */
  name(project: string, env: string, account: string): string;
  /** Service rules; each returns why the name is refused, or undefined. */
  rules: Array<(name: string) => string | undefined>;
}

const PLACEHOLDER_ACCOUNT = '123456789012';
const derived = (project: string, name: string, accountId: string) => derivedNames({ project, name, accountId });

const maxLength = (n: number) => (name: string) => (name.length > n ? `is ${name.length} characters, over the limit of ${n}` : undefined);
const noDoubleHyphen = (name: string) => (name.includes('--') ? 'contains two hyphens in a row' : undefined);
const noTrailingHyphen = (name: string) => (name.endsWith('-') ? 'ends with a hyphen' : undefined);

/** S3 general purpose bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
const S3_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const S3_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
const s3Bucket = [
  maxLength(63),
  (n: string) => (/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(n) ? undefined : 'must be lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit'),
  (n: string) => {
    const p = S3_RESERVED_PREFIXES.find((x) => n.startsWith(x));
    return p ? `starts with "${p}", a prefix S3 reserves` : undefined;
  },
  (n: string) => {
    const s = S3_RESERVED_SUFFIXES.find((x) => n.endsWith(x));
    return s ? `ends with "${s}", a suffix S3 reserves` : undefined;
  },
];

/** RDS DB identifiers: letter first, letters/digits/hyphens, no "--", no trailing hyphen, ≤ 63. */
const rdsIdentifier = [
  maxLength(63),
  (n: string) => (/^[a-zA-Z][a-zA-Z0-9-]*$/.test(n) ? undefined : 'must start with a letter and hold only letters, digits and hyphens'),
  noDoubleHyphen,
  noTrailingHyphen,
];

export const DERIVED_NAMES: NameShape[] = [
  { what: 'S3 state bucket', name: (p, e, a) => derived(p, e, a).stateBucket, rules: s3Bucket },
  { what: 'S3 data lake bucket', name: (p, e, a) => derived(p, e, a).dataLakeBucket, rules: s3Bucket },
  { what: 'S3 data lake log bucket', name: (p, e, a) => `${derived(p, e, a).dataLakeBucket}-logs`, rules: s3Bucket },
  { what: 'RDS DB instance identifier', name: (p, e) => `${p}-${e}-metadata`, rules: rdsIdentifier },
  { what: 'IAM role name', name: (p, e) => `${p}-${e}-DataEngineering-DeveloperRole`, rules: [maxLength(64), (n) => (/^[\w+=,.@-]+$/.test(n) ? undefined : 'holds characters IAM refuses')] },
  { what: 'CloudFormation stack name', name: (p, e) => `${p}-${e}-monitoring`, rules: [maxLength(128), (n) => (/^[a-zA-Z][-a-zA-Z0-9]*$/.test(n) ? undefined : 'must start with a letter and hold only letters, digits and hyphens')] },
  { what: 'AWS Backup vault name', name: (p, e) => `${p}-${e}-vault`, rules: [maxLength(50), (n) => (/^[a-zA-Z0-9_-]{2,50}$/.test(n) ? undefined : 'holds characters AWS Backup refuses')] },
  { what: 'EventBridge rule name', name: (p, e) => `${p}-${e}-security-group-changes`, rules: [maxLength(64)] },
  {
    what: 'CloudTrail trail name',
    name: (p, e) => `${p}-${e}-management-events`,
    // API_CreateTrail: letters, digits, periods, underscores, dashes; starts and ends with a letter or digit; no two of . _ - adjacent.
    rules: [
      maxLength(128),
      (n) => (/^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$/.test(n) ? undefined : 'must start and end with a letter or digit and hold only letters, digits, ".", "_" and "-"'),
      (n) => (/[._-]{2}/.test(n) ? 'has two periods, underscores or dashes in a row, which CloudTrail refuses' : undefined),
    ],
  },
  { what: 'DynamoDB lock table', name: (p, e, a) => derived(p, e, a).lockTable, rules: [maxLength(255), (n) => (/^[a-zA-Z0-9_.-]{3,255}$/.test(n) ? undefined : 'holds characters DynamoDB refuses')] },
  {
    what: 'SSM parameter path',
    name: (p, e) => `/${p}/${e}/rds/endpoint`,
    // "Parameter names can't be prefixed with aws or ssm (case-insensitive)", also as the first level of a path.
    rules: [(n) => (/^\/(aws|ssm)/i.test(n) ? 'starts with "aws" or "ssm", which SSM Parameter Store reserves' : undefined)],
  },
];

/**
 * Why the project or environment name would be refused by an AWS service, one message per
 * broken rule, naming the derived name; [] when every derived name is valid.
 */
export function derivedNameProblems(project: string, env: string, account = PLACEHOLDER_ACCOUNT): string[] {
  const out: string[] = [];
  for (const shape of DERIVED_NAMES) {
    const name = shape.name(project, env, account);
    for (const rule of shape.rules) {
      const why = rule(name);
      if (why) out.push(`${shape.what} "${name}" ${why}`);
    }
  }
  return [...new Set(out)];
}
