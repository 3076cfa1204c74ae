/**
 * Changes that widen access, shown before a change set is approved (the CDK's "security-related
 * changes" review): new or changed ingress rules, and new or changed IAM statements (identity
 * policies, trust policies, managed policy attachments, resource policies).
 *
 * Properties come from the change set (AfterContext, IncludePropertyValues) when the endpoint gives
 * them, else from the template being deployed (intrinsics shown as written: `Ref AdminCidr1`).
 * A Modify is flagged when one of its changed properties is access-bearing; its values are shown
 * when AWS gave them. Removals never widen access and are not listed.
 */
import type { ResourceChange } from '../aws/cloudformation.js';
import type { SecurityChange } from '../io/events.js';

type Props = Record<string, unknown>;
export type TemplateResources = Record<string, { Type?: string; Properties?: Props } | undefined>;

const INGRESS_PROPS = /^(Properties\.)?(SecurityGroupIngress|CidrIp|CidrIpv6|FromPort|ToPort|IpProtocol|SourceSecurityGroupId|SourcePrefixListId)\b/;
const IAM_PROPS = /^(Properties\.)?(PolicyDocument|Policies|ManagedPolicyArns|AssumeRolePolicyDocument|KeyPolicy|Roles|Users|Groups|PermissionsBoundary)\b/;
const RESOURCE_POLICY_TYPES = new Set(['AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy', 'AWS::KMS::Key']);

/** An intrinsic as an operator reads it: { Ref: X } → "Ref X", { 'Fn::GetAtt': [a, b] } → "GetAtt a.b". */
export function show(v: unknown): string {
  if (v === undefined || v === null) return '∅';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(show).join(', ');
  const o = v as Record<string, unknown>;
  if ('Ref' in o) return `Ref ${show(o.Ref)}`;
  if ('Fn::GetAtt' in o) return `GetAtt ${Array.isArray(o['Fn::GetAtt']) ? (o['Fn::GetAtt'] as unknown[]).map(show).join('.') : show(o['Fn::GetAtt'])}`;
  if ('Fn::Sub' in o) return `Sub ${show(Array.isArray(o['Fn::Sub']) ? (o['Fn::Sub'] as unknown[])[0] : o['Fn::Sub'])}`;
  if ('Fn::If' in o) return `If ${show((o['Fn::If'] as unknown[])[0])}`;
  if ('Fn::Join' in o) return `Join(${show((o['Fn::Join'] as unknown[])[1])})`;
  const k = Object.keys(o)[0];
  return k ? `${k.replace(/^Fn::/, '')} …` : '{}';
}

function ingressText(r: Props): string {
  const proto =
    String(r.IpProtocol ?? 'tcp') === '-1'
      ? 'all traffic'
      : `${show(r.IpProtocol ?? 'tcp')} ${show(r.FromPort)}${r.ToPort !== undefined && show(r.ToPort) !== show(r.FromPort) ? `-${show(r.ToPort)}` : ''}`;
  const from = r.CidrIp ?? r.CidrIpv6 ?? r.SourceSecurityGroupId ?? r.SourcePrefixListId ?? r.SourceSecurityGroupName;
  return `${proto} from ${show(from)}`;
}

function statementsOf(doc: unknown): Props[] {
  const d = doc as { Statement?: unknown } | undefined;
  const st = d?.Statement;
  return (Array.isArray(st) ? st : st ? [st] : []) as Props[];
}

function statementText(s: Props): string {
  const list = (v: unknown) => (Array.isArray(v) ? v.map(show).join(', ') : show(v));
  const principal = s.Principal
    ? ` for ${
        typeof s.Principal === 'object'
          ? Object.entries(s.Principal as Props)
              .map(([k, v]) => `${k} ${list(v)}`)
              .join('; ')
          : show(s.Principal)
      }`
    : '';
  const condition = s.Condition ? ' (with conditions)' : '';
  return `${show(s.Effect ?? 'Allow')} ${list(s.Action ?? s.NotAction)}${s.Resource || s.NotResource ? ` on ${list(s.Resource ?? s.NotResource)}` : ''}${principal}${condition}`;
}

function propsOf(ch: ResourceChange, template: TemplateResources): Props {
  if (ch.afterContext) {
    try {
      const ctx = JSON.parse(ch.afterContext) as Props;
      return ((ctx.Properties as Props | undefined) ?? ctx) as Props;
    } catch {
      /* fall back to the template */
    }
  }
  return template[ch.logicalId]?.Properties ?? {};
}

/** What a new resource grants: one entry per ingress rule or IAM statement. */
function added(ch: ResourceChange, p: Props): SecurityChange[] {
  const out: SecurityChange[] = [];
  const base = { logicalId: ch.logicalId, resourceType: ch.resourceType };
  if (ch.resourceType === 'AWS::EC2::SecurityGroupIngress') out.push({ ...base, kind: 'ingress', description: `new rule: ${ingressText(p)}` });
  if (ch.resourceType === 'AWS::EC2::SecurityGroup')
    for (const r of (p.SecurityGroupIngress as Props[] | undefined) ?? []) out.push({ ...base, kind: 'ingress', description: `new rule: ${ingressText(r)}` });
  if (ch.resourceType === 'AWS::IAM::Role') {
    for (const s of statementsOf(p.AssumeRolePolicyDocument)) out.push({ ...base, kind: 'iam', description: `trust: ${statementText(s)}` });
    for (const pol of (p.Policies as Props[] | undefined) ?? [])
      for (const s of statementsOf(pol.PolicyDocument)) out.push({ ...base, kind: 'iam', description: `new statement: ${statementText(s)}` });
    for (const arn of (p.ManagedPolicyArns as unknown[] | undefined) ?? [])
      out.push({ ...base, kind: 'iam', description: `attaches managed policy ${show(arn)}` });
  }
  if (ch.resourceType === 'AWS::IAM::Policy' || ch.resourceType === 'AWS::IAM::ManagedPolicy' || ch.resourceType === 'AWS::IAM::RolePolicy')
    for (const s of statementsOf(p.PolicyDocument)) out.push({ ...base, kind: 'iam', description: `new statement: ${statementText(s)}` });
  if (RESOURCE_POLICY_TYPES.has(ch.resourceType))
    for (const s of statementsOf(p.PolicyDocument ?? p.KeyPolicy))
      if (show(s.Effect ?? 'Allow') === 'Allow') out.push({ ...base, kind: 'iam', description: `resource policy: ${statementText(s)}` });
  return out;
}

/** What a modification changes in access-bearing properties (values when AWS gave them). */
function modified(ch: ResourceChange): SecurityChange[] {
  const out: SecurityChange[] = [];
  for (const d of ch.details ?? []) {
    const kind = INGRESS_PROPS.test(d.path) ? 'ingress' : IAM_PROPS.test(d.path) ? 'iam' : undefined;
    if (!kind || d.change === 'Remove') continue;
    const values = d.before !== undefined || d.after !== undefined ? `: ${d.before ?? '∅'} → ${d.after ?? '∅'}` : '';
    out.push({ logicalId: ch.logicalId, resourceType: ch.resourceType, kind, description: `${d.change === 'Add' ? 'adds' : 'changes'} ${d.path}${values}` });
  }
  return out;
}

export function securityChanges(changes: ResourceChange[], template: TemplateResources = {}): SecurityChange[] {
  return changes.flatMap((ch) => (ch.action === 'Add' ? added(ch, propsOf(ch, template)) : ch.action === 'Modify' ? modified(ch) : []));
}
