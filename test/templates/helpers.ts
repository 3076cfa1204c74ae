/**
 * Helpers for the template tests: load a bundled CloudFormation template as data (the
 * same parser dpf uses before sending a template as JSON) and look at it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it, expect } from 'vitest';
import { parseCfnTemplate } from '../../src/templates/cfn-yaml.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TEMPLATE_DIR = path.join(REPO_ROOT, 'templates', 'cloudformation');

// Templates are free-form JSON; `any` keeps property access readable in assertions.
export type Json = any;

export interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  Condition?: string;
  DependsOn?: string | string[];
  Metadata?: Record<string, Json>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface CfnParameter {
  Type: string;
  Default?: string | number;
  AllowedValues?: Array<string | number>;
  AllowedPattern?: string;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean | string;
}

export interface CfnTemplate {
  Parameters: Record<string, CfnParameter>;
  Conditions?: Record<string, Json>;
  Rules?: Record<string, Json>;
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, { Value: Json; Condition?: string }>;
  [section: string]: Json;
}

const cache = new Map<string, CfnTemplate>();

/** `templates/cloudformation/<name>.yaml`, parsed with the short-form intrinsics expanded. */
export function loadTemplate(name: string): CfnTemplate {
  let t = cache.get(name);
  if (!t) {
    const text = readFileSync(path.join(TEMPLATE_DIR, `${name}.yaml`), 'utf8');
    t = parseCfnTemplate(text) as CfnTemplate;
    cache.set(name, t);
  }
  return t;
}

export const ref = (name: string) => ({ Ref: name });
export const getAtt = (resource: string, attribute: string) => ({ 'Fn::GetAtt': [resource, attribute] });
export const sub = (text: string) => ({ 'Fn::Sub': text });

/** The resource with this logical id; throws (failing the test) when it is missing. */
export function resource(t: CfnTemplate, logicalId: string): CfnResource {
  const r = t.Resources[logicalId];
  if (!r) throw new Error(`resource ${logicalId} not found in template`);
  return r;
}

/** Properties of a resource ({} when it has none). */
export function props(t: CfnTemplate, logicalId: string): Record<string, Json> {
  return resource(t, logicalId).Properties ?? {};
}

/** [logicalId, resource] pairs of one type, in template order. */
export function resourcesOfType(t: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

/** Logical ids of the resources of one type. */
export function idsOfType(t: CfnTemplate, type: string): string[] {
  return resourcesOfType(t, type).map(([id]) => id);
}

/** Parameters that have no Default (the caller must pass them). */
export function requiredParameters(t: CfnTemplate): string[] {
  return Object.entries(t.Parameters)
    .filter(([, p]) => p.Default === undefined)
    .map(([n]) => n)
    .sort();
}

/** Does `value` satisfy the parameter's AllowedPattern (CloudFormation anchors it whole)? */
export function matchesAllowedPattern(p: CfnParameter, value: string): boolean {
  if (!p.AllowedPattern) return true;
  return new RegExp(`^(?:${p.AllowedPattern})$`).test(value);
}

/** Tags as a plain map, whichever form the resource uses (list of Key/Value, or map). */
export function tagMap(tags: Json): Record<string, Json> {
  if (!tags) return {};
  if (Array.isArray(tags)) return Object.fromEntries(tags.map((x: Json) => [x.Key, x.Value]));
  return { ...tags };
}

/**
 * Where each taggable resource type keeps its tags. Every resource type used in the
 * three templates must be listed here or in NOT_TAGGABLE, so a new type forces a
 * decision (see the tagging tests).
 */
export const TAG_PROPERTY: Record<string, string> = {
  'AWS::EC2::VPC': 'Tags',
  'AWS::EC2::Subnet': 'Tags',
  'AWS::EC2::InternetGateway': 'Tags',
  'AWS::EC2::EIP': 'Tags',
  'AWS::EC2::NatGateway': 'Tags',
  'AWS::EC2::RouteTable': 'Tags',
  'AWS::EC2::NetworkAcl': 'Tags',
  'AWS::EC2::SecurityGroup': 'Tags',
  'AWS::EC2::VPCEndpoint': 'Tags',
  'AWS::EC2::FlowLog': 'Tags',
  'AWS::EC2::Instance': 'Tags',
  'AWS::EC2::LaunchTemplate': 'TagSpecifications',
  'AWS::AutoScaling::AutoScalingGroup': 'Tags',
  'AWS::CloudWatch::Alarm': 'Tags',
  'AWS::KMS::Key': 'Tags',
  'AWS::Logs::LogGroup': 'Tags',
  'AWS::IAM::Role': 'Tags',
  'AWS::S3::Bucket': 'Tags',
  'AWS::EFS::FileSystem': 'FileSystemTags',
  'AWS::EFS::AccessPoint': 'AccessPointTags',
  'AWS::RDS::DBSubnetGroup': 'Tags',
  'AWS::RDS::DBParameterGroup': 'Tags',
  'AWS::RDS::DBInstance': 'Tags',
  'AWS::Backup::BackupVault': 'BackupVaultTags',
  'AWS::Backup::BackupPlan': 'BackupPlanTags',
  'AWS::SSM::Parameter': 'Tags',
  'AWS::SSM::Document': 'Tags',
  'AWS::SSM::Association': 'Tags',
  'AWS::Events::Rule': 'Tags',
};

/** Types that cannot carry tags (or whose tags CloudFormation cannot set). */
export const NOT_TAGGABLE = new Set([
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::Route',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::NetworkAclEntry',
  'AWS::EC2::SubnetNetworkAclAssociation',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::KMS::Alias',
  'AWS::IAM::InstanceProfile',
  'AWS::IAM::ManagedPolicy',
  'AWS::AutoScaling::ScalingPolicy',
  'AWS::S3::BucketPolicy',
  'AWS::EFS::MountTarget',
  'AWS::Backup::BackupSelection',
]);

/** The tags a resource carries on itself (for a launch template: its own tag specification). */
export function resourceTags(r: CfnResource): Record<string, Json> {
  const key = TAG_PROPERTY[r.Type];
  if (!key) return {};
  const value = r.Properties?.[key];
  if (r.Type === 'AWS::EC2::LaunchTemplate') {
    const spec = (value ?? []).find((s: Json) => s.ResourceType === 'launch-template');
    return tagMap(spec?.Tags);
  }
  return tagMap(value);
}

/**
 * The tagging convention every template test checks: each resource type is known as taggable
 * or not (a new type forces a decision), and every taggable resource carries dpf:env and
 * dpf:project from the parameters. Call inside a describe block.
 */
export function itFollowsTheTaggingConvention(t: CfnTemplate): void {
  it('WHEN listing resource types THEN each is known as taggable or not (a new type forces a decision)', () => {
    const unknown = Object.values(t.Resources)
      .map((r) => r.Type)
      .filter((type) => !(type in TAG_PROPERTY) && !NOT_TAGGABLE.has(type));
    expect(unknown).toEqual([]);
  });

  it.each(
    Object.entries(t.Resources)
      .filter(([, r]) => r.Type in TAG_PROPERTY)
      .map(([id]) => id),
  )('WHEN reading the tags of %s THEN dpf:env and dpf:project are set from the parameters', (id) => {
    expect(resourceTags(resource(t, id))).toMatchObject({ 'dpf:env': ref('EnvName'), 'dpf:project': ref('ProjectName') });
  });
}

/** Tags a launch template applies to what it launches, by resource type (instance, volume). */
export function launchedTags(lt: CfnResource, resourceType: string): Record<string, Json> {
  const specs = lt.Properties?.LaunchTemplateData?.TagSpecifications ?? [];
  return tagMap(specs.find((s: Json) => s.ResourceType === resourceType)?.Tags);
}

/** Every value under `node` (depth first), with the key it sits under. */
export function* walk(node: Json, key = ''): Generator<{ key: string; value: Json }> {
  yield { key, value: node };
  if (Array.isArray(node)) for (const v of node) yield* walk(v, key);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) yield* walk(v, k);
}

/** True when any object in the template has `keyName` as a key (e.g. 'Fn::GetAZs'). */
export function usesKey(node: Json, keyName: string): boolean {
  for (const { value } of walk(node)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && keyName in value) return true;
  }
  return false;
}

/**
 * Resolve a value with the parameters' defaults: Ref to a parameter, Fn::Sub over
 * parameters. Anything else (resources, pseudo parameters) is returned unresolved,
 * which makes the assertion fail loudly rather than pass by accident.
 */
export function withDefaults(t: CfnTemplate, value: Json): Json {
  if (value && typeof value === 'object' && 'Ref' in value && t.Parameters[value.Ref]) {
    return t.Parameters[value.Ref].Default;
  }
  if (value && typeof value === 'object' && typeof value['Fn::Sub'] === 'string') {
    return (value['Fn::Sub'] as string).replace(/\$\{([^}!]+)\}/g, (m, name: string) => (t.Parameters[name] ? String(t.Parameters[name].Default) : m));
  }
  return value;
}

// ------------------------------------------------------------------ security groups

/**
 * One security group rule in a compact, comparable form:
 *   "in tcp 22 param:AdminCidr1", "out all cidr:127.0.0.1/32",
 *   "in tcp 8080-8090 sg:ComputeSecurityGroup", "in tcp 22 param:AdminCidr2 if:HasAdminCidr2"
 */
export function describeRule(direction: 'in' | 'out', rule: Json, condition?: string): string {
  const proto = String(rule.IpProtocol) === '-1' ? 'all' : String(rule.IpProtocol);
  let ports = '';
  if (proto !== 'all') {
    ports = rule.FromPort === rule.ToPort ? ` ${rule.FromPort}` : ` ${rule.FromPort}-${rule.ToPort}`;
  }
  const peerValue = rule.CidrIp ?? rule.SourceSecurityGroupId ?? rule.DestinationSecurityGroupId ?? rule.CidrIpv6;
  let peer: string;
  if (peerValue && typeof peerValue === 'object' && 'Ref' in peerValue) {
    peer = rule.CidrIp !== undefined ? `param:${peerValue.Ref}` : `sg:${peerValue.Ref}`;
  } else {
    peer = rule.CidrIpv6 !== undefined ? `cidr6:${peerValue}` : `cidr:${peerValue}`;
  }
  return `${direction} ${proto}${ports} ${peer}${condition ? ` if:${condition}` : ''}`;
}

/** Every rule of one security group (inline and separate resources), sorted. */
export function securityGroupRules(t: CfnTemplate, groupId: string): string[] {
  const group = props(t, groupId);
  const rules: string[] = [];
  for (const r of group.SecurityGroupIngress ?? []) rules.push(describeRule('in', r));
  for (const r of group.SecurityGroupEgress ?? []) rules.push(describeRule('out', r));
  for (const [, r] of resourcesOfType(t, 'AWS::EC2::SecurityGroupIngress')) {
    if (r.Properties?.GroupId?.Ref === groupId) rules.push(describeRule('in', r.Properties, r.Condition));
  }
  for (const [, r] of resourcesOfType(t, 'AWS::EC2::SecurityGroupEgress')) {
    if (r.Properties?.GroupId?.Ref === groupId) rules.push(describeRule('out', r.Properties, r.Condition));
  }
  return rules.sort();
}

/** Every rule of every security group of a template, with its group. */
export function allSecurityGroupRules(t: CfnTemplate): Array<{ group: string; rule: string }> {
  return idsOfType(t, 'AWS::EC2::SecurityGroup').flatMap((group) => securityGroupRules(t, group).map((rule) => ({ group, rule })));
}

/** Rules that include a TCP port (or all traffic). */
export function ruleCoversPort(rule: string, port: number): boolean {
  const m = /^(in|out) (\S+)(?: (\d+)(?:-(\d+))?)? /.exec(rule);
  if (!m) return false;
  if (m[2] === 'all') return true;
  const from = Number(m[3]);
  const to = m[4] === undefined ? from : Number(m[4]);
  return port >= from && port <= to;
}

// ------------------------------------------------------------------ network ACLs

/** "in 100 allow tcp 22 param:AdminCidr1" for each entry of one network ACL, sorted by direction and rule number. */
export function networkAclEntries(t: CfnTemplate, aclId: string): string[] {
  return resourcesOfType(t, 'AWS::EC2::NetworkAclEntry')
    .filter(([, r]) => r.Properties?.NetworkAclId?.Ref === aclId)
    .map(([, r]) => {
      const p = r.Properties!;
      const dir = p.Egress === true || p.Egress === 'true' ? 'out' : 'in';
      const proto = { '-1': 'all', '6': 'tcp', '17': 'udp' }[String(p.Protocol)] ?? String(p.Protocol);
      let ports = '';
      if (p.PortRange) {
        ports = p.PortRange.From === p.PortRange.To ? ` ${p.PortRange.From}` : ` ${p.PortRange.From}-${p.PortRange.To}`;
      }
      const cidr = typeof p.CidrBlock === 'object' ? `param:${p.CidrBlock.Ref}` : `cidr:${p.CidrBlock}`;
      return {
        dir,
        n: Number(p.RuleNumber),
        text: `${dir} ${p.RuleNumber} ${p.RuleAction} ${proto}${ports} ${cidr}${r.Condition ? ` if:${r.Condition}` : ''}`,
      };
    })
    .sort((a, b) => (a.dir === b.dir ? a.n - b.n : a.dir.localeCompare(b.dir)))
    .map((e) => e.text);
}

// ------------------------------------------------------------------ IAM

/** All statements of a role: inline policies plus customer-managed policies of the same template it attaches. */
export function roleStatements(t: CfnTemplate, roleId: string): Json[] {
  const role = props(t, roleId);
  const inline = (role.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement);
  const managed = (role.ManagedPolicyArns ?? [])
    .filter((a: Json) => a && typeof a === 'object' && 'Ref' in a && t.Resources[a.Ref]?.Type === 'AWS::IAM::ManagedPolicy')
    .flatMap((a: Json) => props(t, a.Ref).PolicyDocument.Statement);
  return [...inline, ...managed];
}

/** Actions of a statement as an array. */
export function actionsOf(statement: Json): string[] {
  return ([] as string[]).concat(statement.Action ?? []);
}

/** Resources of a statement as an array. */
export function resourcesOf(statement: Json): Json[] {
  return ([] as Json[]).concat(statement.Resource ?? []);
}

/** Allow statements of a role that grant `action`. */
export function statementsGranting(t: CfnTemplate, roleId: string, action: string): Json[] {
  return roleStatements(t, roleId).filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
}

/** Checkov skips declared in a resource's Metadata. */
export function checkovSkips(r: CfnResource): Array<{ id: string; comment?: string }> {
  return r.Metadata?.checkov?.skip ?? [];
}
