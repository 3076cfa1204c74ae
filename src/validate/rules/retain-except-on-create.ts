/**
 * Fixed-name resources that are retained use RetainExceptOnCreate. With plain Retain, a first
 * create that fails leaves the named resource behind when CloudFormation rolls back; dpf then
 * deletes the ROLLBACK_COMPLETE stack and creates it again, which fails with AlreadyExists on the
 * leftover — the retry is impossible without manual cleanup. RetainExceptOnCreate deletes what
 * the failed first create made and keeps the resource on every later delete.
 */
import type { Finding, Rule } from '../types.js';
import { namedResources } from '../physical-names.js';

/** Metadata that explains why a fixed-name resource keeps plain Retain: `Metadata: { dpf: { retainReason: "…" } }`. */
export function retainReason(metadata: Record<string, any> | undefined): string | undefined {
  const r = metadata?.dpf?.retainReason;
  return typeof r === 'string' && r.trim() ? r : undefined;
}

export const retainExceptOnCreate: Rule = {
  id: 'retain-except-on-create',
  title: 'Retained fixed-name resources use RetainExceptOnCreate',
  rule: 'Every resource with a custom physical name and DeletionPolicy Retain uses RetainExceptOnCreate instead, or says why not in Metadata.dpf.retainReason.',
  protectsAgainst:
    'a failed first deployment that cannot be retried: the rollback keeps the named bucket, vault or log group, and the recreated stack fails with AlreadyExists',
  docs: ['https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html'],
  check({ env }) {
    const findings: Finding[] = [];
    for (const n of namedResources(env.stacks)) {
      if (n.resource.DeletionPolicy !== 'Retain' || retainReason(n.resource.Metadata)) continue;
      findings.push({
        severity: 'error',
        subject: `${n.stack.template}/${n.logicalId}`,
        message: `${n.type} "${n.name}" has DeletionPolicy Retain: a failed first create leaves it behind and the retry fails with AlreadyExists (use RetainExceptOnCreate, or give Metadata.dpf.retainReason)`,
      });
    }
    return findings;
  },
};
