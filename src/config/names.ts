/**
 * The project and environment names end up inside AWS resource names (S3 buckets, the RDS
 * instance, IAM roles, stacks, …). Each service has its own rules, and a name one of them
 * refuses is otherwise found only when CloudFormation creates that resource, many steps and
 * minutes into a deploy. These are the names dpf derives (the shapes mirror the templates and
 * derivedNames() in ./normalise.ts; test/config/names.test.ts checks each one is a name the
 * rendered templates use), checked at config time against the one naming table
 * (spec/aws-names.ts) the semantic rules also use on the rendered templates.
 */
import { derivedNames } from './normalise.js';
import { NAME_SPECS, STACK_NAME_SPEC, nameRuleProblem, type NameSpec } from '../spec/aws-names.js';

export interface NameShape {
  /** What the name is, for the message. */
  what: string;
  /** AWS's rules for it (spec/aws-names.ts). */
  spec: NameSpec;
  /** The derived name for a project, environment and account. */
  name(project: string, env: string, account: string): string;
}

const PLACEHOLDER_ACCOUNT = '123456789012';
const derived = (project: string, name: string, accountId: string) => derivedNames({ project, name, accountId });
const specOf = (type: string): NameSpec => {
  const spec = NAME_SPECS[type];
  if (!spec) throw new Error(`no naming rules for ${type} in spec/aws-names.ts`);
  return spec;
};

export const DERIVED_NAMES: NameShape[] = [
  { what: 'S3 state bucket', spec: specOf('AWS::S3::Bucket'), name: (p, e, a) => derived(p, e, a).stateBucket },
  { what: 'S3 data lake bucket', spec: specOf('AWS::S3::Bucket'), name: (p, e, a) => derived(p, e, a).dataLakeBucket },
  { what: 'S3 data lake log bucket', spec: specOf('AWS::S3::Bucket'), name: (p, e, a) => `${derived(p, e, a).dataLakeBucket}-logs` },
  { what: 'RDS DB instance identifier', spec: specOf('AWS::RDS::DBInstance'), name: (p, e) => `${p}-${e}-metadata` },
  { what: 'IAM role name', spec: specOf('AWS::IAM::Role'), name: (p, e) => `${p}-${e}-DataEngineering-DeveloperRole` },
  { what: 'CloudFormation stack name', spec: STACK_NAME_SPEC, name: (p, e) => `${p}-${e}-monitoring` },
  { what: 'AWS Backup vault name', spec: specOf('AWS::Backup::BackupVault'), name: (p, e) => `${p}-${e}-vault` },
  { what: 'EventBridge rule name', spec: specOf('AWS::Events::Rule'), name: (p, e) => `${p}-${e}-security-group-changes` },
  { what: 'CloudTrail trail name', spec: specOf('AWS::CloudTrail::Trail'), name: (p, e) => `${p}-${e}-management-events` },
  { what: 'DynamoDB lock table', spec: specOf('AWS::DynamoDB::Table'), name: (p, e, a) => derived(p, e, a).lockTable },
  { what: 'SSM parameter path', spec: specOf('AWS::SSM::Parameter'), name: (p, e) => `/${p}/${e}/rds/endpoint` },
];

/**
 * Why the project or environment name would be refused by an AWS service, one message per
 * refused name, naming the derived name; [] when every derived name is valid.
 */
export function derivedNameProblems(project: string, env: string, account = PLACEHOLDER_ACCOUNT): string[] {
  const out: string[] = [];
  for (const shape of DERIVED_NAMES) {
    const name = shape.name(project, env, account);
    const why = nameRuleProblem(name, shape.spec);
    if (why) out.push(`${shape.what} "${name}" ${why}`);
  }
  return [...new Set(out)];
}
