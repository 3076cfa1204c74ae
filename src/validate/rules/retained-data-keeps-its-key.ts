/**
 * A KMS key that encrypts a retained resource is retained too. Deleting the stack schedules the
 * key for deletion; 7-30 days later everything it encrypted — the retained state bucket, vault,
 * log group or final snapshot — is unreadable for good (cfn-lint I3011 reports the bucket, not
 * the key).
 */
import type { Finding, Rule } from '../types.js';
import { referencedResource } from '../../templates/render.js';

const KEEPS = new Set(['Retain', 'RetainExceptOnCreate', 'Snapshot']);

/** Logical ids of the KMS keys of the same template that a resource's properties point at. */
export function keysUsedBy(props: unknown, isKey: (id: string) => boolean): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      const id = referencedResource(v);
      if (id && isKey(id)) out.add(id);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(props);
  return [...out];
}

export const retainedDataKeepsItsKey: Rule = {
  id: 'retained-data-keeps-its-key',
  title: 'Retained data keeps its KMS key',
  rule: 'Every AWS::KMS::Key that encrypts a resource with DeletionPolicy Retain, RetainExceptOnCreate or Snapshot is itself retained.',
  protectsAgainst:
    'a destroyed stack scheduling the deletion of the key, which makes the retained bucket, vault, log group or final snapshot unreadable once the waiting period ends',
  docs: [
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html',
    'https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html',
  ],
  check({ env }) {
    const findings: Finding[] = [];
    for (const s of env.stacks) {
      const res = s.rendered.resources;
      const isKey = (id: string) => res[id]?.Type === 'AWS::KMS::Key';
      for (const [id, r] of Object.entries(res)) {
        if (!KEEPS.has(String(r.DeletionPolicy))) continue;
        for (const key of keysUsedBy(r.Properties, isKey)) {
          if (KEEPS.has(String(res[key]!.DeletionPolicy))) continue;
          findings.push({
            severity: 'error',
            subject: `${s.template}/${key}`,
            message: `encrypts ${id} (DeletionPolicy ${r.DeletionPolicy}) but is deleted with the stack (DeletionPolicy ${res[key]!.DeletionPolicy ?? 'Delete (default)'})`,
          });
        }
      }
    }
    return findings;
  },
};
