/**
 * The platform's stateful stores are in the AWS Backup plan, and the plan copies them to another
 * region (the specification: EFS, RDS and EBS backups with cross-region copies for disaster
 * recovery). Stores: every EFS file system and RDS instance, and the EBS volumes of the nodes
 * that hold state (master: orchestration and its data volume; dev: notebooks and work;
 * identity: the directory). Workers and the bastion are rebuilt, not restored.
 */
import { holdsPlaceholder } from '../offline.js';
import type { Finding, Rule, RenderedEnvironment, RenderedStack } from '../types.js';
import { asList, ofType, referencedResource, type RenderedResource } from '../../templates/render.js';
import { normalised } from '../../config/normalise.js';
import { parseOutputPlaceholder } from '../offline.js';
import { wildcard } from '../resolve.js';

export const STATEFUL_NODE_ROLES = ['master', 'dev', 'identity'] as const;

interface Store {
  subject: string;
  kind: string;
  /** The logical id, for ARN references in selections. */
  logicalId: string;
  stack: RenderedStack;
  /** An ARN standing for it (tag/wildcard selections are matched against this). */
  arn: string;
  tags: Record<string, string>;
}

const tagMap = (list: unknown): Record<string, string> =>
  Array.isArray(list) ? Object.fromEntries(list.map((t: any) => [t.Key, String(t.Value)])) : { ...((list as Record<string, string>) ?? {}) };

function stores(env: RenderedEnvironment): Store[] {
  const out: Store[] = [];
  const arn = (svc: string, rest: string) => `arn:aws:${svc}:${env.region}:${env.accountId}:${rest}`;
  for (const s of env.stacks) {
    for (const [id, r] of ofType(s.rendered, 'AWS::EFS::FileSystem'))
      out.push({
        subject: `${s.template}/${id}`,
        kind: 'EFS file system',
        logicalId: id,
        stack: s,
        arn: arn('elasticfilesystem', `file-system/fs-${id}`),
        tags: tagMap(r.Properties.FileSystemTags),
      });
    for (const [id, r] of ofType(s.rendered, 'AWS::RDS::DBInstance'))
      out.push({
        subject: `${s.template}/${id}`,
        kind: 'RDS instance',
        logicalId: id,
        stack: s,
        arn: arn('rds', `db:${r.Properties.DBInstanceIdentifier ?? id}`),
        tags: tagMap(r.Properties.Tags),
      });
    for (const [id, r] of ofType(s.rendered, 'AWS::EC2::LaunchTemplate')) {
      const specs = asList<any>(r.Properties.LaunchTemplateData?.TagSpecifications);
      const volumeTags = tagMap(specs.find((t) => t.ResourceType === 'volume')?.Tags);
      const role = volumeTags['dpf:role'] ?? tagMap(specs.find((t) => t.ResourceType === 'instance')?.Tags)['dpf:role'];
      if (!role || !(STATEFUL_NODE_ROLES as readonly string[]).includes(role)) continue;
      out.push({
        subject: `${s.template}/${id}`,
        kind: `EBS volumes of the ${role} node(s)`,
        logicalId: id,
        stack: s,
        arn: arn('ec2', `volume/vol-${id}`),
        tags: volumeTags,
      });
    }
  }
  return out;
}

interface Selection {
  subject: string;
  stack: RenderedStack;
  plan?: RenderedResource;
  resources: string[];
  tagConditions: Array<Record<string, string>>;
}

function selections(env: RenderedEnvironment): Selection[] {
  return env.stacks.flatMap((s) =>
    ofType(s.rendered, 'AWS::Backup::BackupSelection').map(([id, r]) => {
      const sel = r.Properties.BackupSelection ?? {};
      const planId = referencedResource(r.Properties.BackupPlanId);
      const equals: Record<string, string> = {};
      for (const c of asList<any>(sel.Conditions?.StringEquals)) equals[String(c.ConditionKey).replace(/^aws:ResourceTag\//, '')] = String(c.ConditionValue);
      const tagConditions = [
        ...(Object.keys(equals).length ? [equals] : []),
        ...asList<any>(sel.ListOfTags)
          .filter((t) => t.ConditionType === 'STRINGEQUALS')
          .map((t) => ({ [String(t.ConditionKey).replace(/^aws:ResourceTag\//, '')]: String(t.ConditionValue) })),
      ];
      return {
        subject: `${s.template}/${id}`,
        stack: s,
        plan: planId ? s.rendered.resources[planId] : undefined,
        resources: asList<any>(sel.Resources).map(String),
        tagConditions,
      };
    }),
  );
}

function covers(sel: Selection, store: Store): boolean {
  return sel.resources.some((res) => {
    const named = sel.stack === store.stack && (res.includes(`{{Ref:${store.logicalId}}}`) || res.includes(`{{${store.logicalId}.`));
    if (named) return true;
    if (holdsPlaceholder(res) || !wildcard(res).test(store.arn)) return false;
    return sel.tagConditions.every((cond) => Object.entries(cond).every(([k, v]) => store.tags[k] === v));
  });
}

/** Regions the plan's copy actions send recovery points to. */
function copyRegions(env: RenderedEnvironment, plan: RenderedResource | undefined): string[] {
  const rules = asList<any>(plan?.Properties.BackupPlan?.BackupPlanRule);
  return rules.flatMap((r) =>
    asList<any>(r.CopyActions).map((c) => {
      const arn = String(c.DestinationBackupVaultArn ?? '');
      const out = parseOutputPlaceholder(arn);
      if (out) return env.stacks.find((s) => s.stepId === out[0])?.region ?? '?';
      return /^arn:[^:]+:backup:([^:]+):/.exec(arn)?.[1] ?? '?';
    }),
  );
}

export const backupCoverage: Rule = {
  id: 'backup-coverage',
  title: 'Stateful stores are backed up and copied to another region',
  rule: 'Every EFS file system, RDS instance and EBS volume of a stateful node (master, dev, identity) is selected by an AWS Backup selection, whose plan copies recovery points to another region (required in production, a warning elsewhere).',
  protectsAgainst:
    'a region-wide outage or a lost volume with no recovery point to restore from (the specification asks for EBS backups and cross-region copies; only EFS was selected and nothing was copied)',
  docs: [
    'https://docs.aws.amazon.com/aws-backup/latest/devguide/assigning-resources.html',
    'https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html',
  ],
  check({ env }) {
    const findings: Finding[] = [];
    const sels = selections(env);
    const prod = normalised(env.envName, env.config).production;
    for (const store of stores(env)) {
      const covering = sels.filter((sel) => covers(sel, store));
      if (!covering.length) {
        findings.push({
          severity: 'error',
          subject: store.subject,
          message: `${store.kind}: no AWS Backup selection selects it (by ARN, or by a wildcard ARN and tags it carries)`,
        });
        continue;
      }
      const copied = covering.some((sel) => copyRegions(env, sel.plan).some((r) => r !== env.region && r !== '?'));
      if (!copied)
        findings.push({
          severity: prod ? 'error' : 'warning',
          subject: store.subject,
          message: `${store.kind}: backed up in ${env.region} only — no copy to another region (set recovery.drRegion, or storage.backup.copyToVaultArn, for environment ${env.envName})`,
        });
    }
    return findings;
  },
};
