/**
 * Every customer managed KMS key a service uses on dpf's behalf lets that service use it, in its
 * key policy (these services act as their own principal, so an IAM policy of the account cannot
 * grant it): CloudWatch Logs for an encrypted log group (with an encryption-context condition
 * that matches the group), each service publishing to an encrypted SNS topic, CloudTrail for an
 * encrypted trail, and the Auto Scaling service-linked role for encrypted volumes of the
 * instances it launches. An AWS managed key (alias/aws/…) cannot be opened to them at all.
 */
import { holdsPlaceholder } from '../offline.js';
import type { Finding, Rule, RenderedStack } from '../types.js';
import { asList, ofType, referencedResource } from '../../templates/render.js';
import { launchTemplateData, wildcard } from '../resolve.js';

interface Need {
  /** A service principal ("logs.eu-west-1.amazonaws.com") or a role ARN (`*` wildcards). */
  principal: string;
  actions: string[];
  why: string;
  /** ArnLike/ArnEquals conditions on this context key must match this value. */
  context?: { key: string; value: string };
}

const GLOB = (pattern: string) => wildcard(pattern, 'i');

function principals(st: any): string[] {
  const p = st.Principal;
  if (p === '*') return ['*'];
  return [...asList<string>(p?.Service), ...asList<string>(p?.AWS)];
}

function conditionAllows(st: any, need: Need): boolean {
  if (!need.context) return true;
  for (const op of ['ArnLike', 'ArnEquals', 'StringLike', 'StringEquals']) {
    const cond = st.Condition?.[op];
    if (!cond || !(need.context.key in cond)) continue;
    const patterns = asList<string>(cond[need.context.key]);
    if (!patterns.some((p) => GLOB(op.endsWith('Like') ? p : p.replace(/\*/g, '\\*')).test(need.context!.value))) return false;
  }
  return true;
}

/** Actions of `need` that no Allow statement of the key policy grants to its principal. */
export function missingActions(keyPolicy: any, need: Need): string[] {
  const allows = asList<any>(keyPolicy?.Statement).filter(
    (st) => st.Effect === 'Allow' && principals(st).some((p) => p === '*' || GLOB(need.principal).test(p)) && conditionAllows(st, need),
  );
  return need.actions.filter((a) => !allows.some((st) => asList<string>(st.Action).some((pattern) => GLOB(pattern).test(a))));
}

/** Service principals that publish to a topic: its policy, alarms and rules pointing at it, vault notifications. */
function topicPublishers(stack: RenderedStack, topicId: string): string[] {
  const res = stack.rendered.resources;
  const points = (v: unknown) => asList(v).some((x) => referencedResource(x) === topicId);
  const out = new Set<string>();
  for (const [, p] of ofType(stack.rendered, 'AWS::SNS::TopicPolicy'))
    if (asList(p.Properties.Topics).some((t) => referencedResource(t) === topicId))
      for (const st of asList<any>(p.Properties.PolicyDocument?.Statement))
        if (st.Effect === 'Allow') for (const s of asList<string>(st.Principal?.Service)) out.add(s);
  for (const r of Object.values(res)) {
    if (
      r.Type === 'AWS::CloudWatch::Alarm' &&
      (points(r.Properties.AlarmActions) || points(r.Properties.OKActions) || points(r.Properties.InsufficientDataActions))
    )
      out.add('cloudwatch.amazonaws.com');
    if (r.Type === 'AWS::Events::Rule' && asList<any>(r.Properties.Targets).some((t) => referencedResource(t.Arn) === topicId)) out.add('events.amazonaws.com');
    if (r.Type === 'AWS::Backup::BackupVault' && referencedResource(r.Properties.Notifications?.SNSTopicArn) === topicId) out.add('backup.amazonaws.com');
  }
  return [...out];
}

const ENVELOPE = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** Which key each service-used resource of a stack names, and what the key must allow. */
export function keyNeeds(stack: RenderedStack): Array<{ subject: string; key: unknown; need: Need }> {
  const out: Array<{ subject: string; key: unknown; need: Need }> = [];
  for (const [id, r] of ofType(stack.rendered, 'AWS::Logs::LogGroup')) {
    if (!r.Properties.KmsKeyId) continue;
    const name = String(r.Properties.LogGroupName ?? '');
    const arn = `arn:${stack.partition}:logs:${stack.region}:${stack.accountId}:log-group:${name}`;
    out.push({
      subject: `${stack.template}/${id}`,
      key: r.Properties.KmsKeyId,
      need: {
        principal: `logs.${stack.region}.amazonaws.com`,
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        why: `log group ${name}`,
        context: name && !holdsPlaceholder(name) ? { key: 'kms:EncryptionContext:aws:logs:arn', value: arn } : undefined,
      },
    });
  }
  for (const [id, r] of ofType(stack.rendered, 'AWS::SNS::Topic')) {
    if (!r.Properties.KmsMasterKeyId) continue;
    for (const svc of topicPublishers(stack, id))
      out.push({
        subject: `${stack.template}/${id}`,
        key: r.Properties.KmsMasterKeyId,
        need: { principal: svc, actions: ENVELOPE, why: `${svc} publishing to topic ${r.Properties.TopicName ?? id}` },
      });
  }
  for (const [id, r] of ofType(stack.rendered, 'AWS::CloudTrail::Trail')) {
    if (!r.Properties.KMSKeyId) continue;
    out.push({
      subject: `${stack.template}/${id}`,
      key: r.Properties.KMSKeyId,
      need: { principal: 'cloudtrail.amazonaws.com', actions: ['kms:GenerateDataKey', 'kms:DescribeKey'], why: `trail ${r.Properties.TrailName ?? id}` },
    });
  }
  for (const [id, r] of ofType(stack.rendered, 'AWS::AutoScaling::AutoScalingGroup')) {
    const data = launchTemplateData({ stack, logicalId: id, resource: r });
    for (const bdm of asList<any>(data?.BlockDeviceMappings)) {
      if (!bdm.Ebs?.KmsKeyId) continue;
      out.push({
        subject: `${stack.template}/${id}`,
        key: bdm.Ebs.KmsKeyId,
        need: {
          principal: 'arn:*:iam::*:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey', 'kms:CreateGrant'],
          why: `volume ${bdm.DeviceName} of the instances the group launches`,
        },
      });
    }
  }
  return out;
}

export const kmsServiceAccess: Rule = {
  id: 'kms-service-access',
  title: 'Every KMS key a service uses lets that service use it',
  rule: 'The key policy of each customer managed key used by CloudWatch Logs, an SNS publisher (CloudWatch, EventBridge, AWS Backup), CloudTrail or the Auto Scaling service-linked role allows that principal the KMS actions it needs; AWS managed keys are not used where a service must be let in.',
  protectsAgainst:
    'log groups that cannot be created, alarms and events whose notifications are silently dropped, a trail that stops delivering, and worker launches that fail with Client.InternalError',
  docs: [
    'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html',
    'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services',
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html',
    'https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html',
  ],
  check({ env }) {
    const findings: Finding[] = [];
    for (const s of env.stacks)
      for (const { subject, key, need } of keyNeeds(s)) {
        if (typeof key === 'string' && /^(arn:[^:]+:kms:[^:]*:[^:]*:)?alias\/aws\//.test(key)) {
          findings.push({ severity: 'error', subject, message: `${need.why} uses the AWS managed key ${key}, whose policy cannot let ${need.principal} in` });
          continue;
        }
        const keyId = referencedResource(key);
        const keyRes = keyId ? s.rendered.resources[keyId] : undefined;
        if (!keyRes || keyRes.Type !== 'AWS::KMS::Key') continue;
        const missing = missingActions(keyRes.Properties.KeyPolicy, need);
        if (missing.length)
          findings.push({
            severity: 'error',
            subject,
            message: `key ${keyId} does not let ${need.principal} ${missing.join(', ')} (${need.why})${need.context ? ` where ${need.context.key} is ${need.context.value}` : ''}`,
          });
      }
    return findings;
  },
};
