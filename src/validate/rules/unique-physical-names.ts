/**
 * Physical names unique across all stacks of an environment. CloudFormation checks a custom
 * name only against the stack it creates; a second stack with the same name fails with
 * AlreadyExists (or, for alarms, silently replaces the first stack's alarm: PutMetricAlarm
 * overwrites) — e.g. a scaling alarm taken over by a notification alarm never scales out.
 */
import type { Rule } from '../types.js';
import { namedResources, uniquenessKey } from '../physical-names.js';

export const uniquePhysicalNames: Rule = {
  id: 'unique-physical-names',
  title: 'Physical names are unique across the stacks of an environment',
  rule: 'No two resources of the same type (in the same region, account or global namespace) get the same custom name from any two stacks of one environment.',
  protectsAgainst:
    "the second stack failing with AlreadyExists, or an alarm of one stack silently overwriting another stack's (PutMetricAlarm replaces an alarm of the same name)",
  docs: [
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html',
    'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html',
  ],
  check({ env }) {
    const seen = new Map<string, string>();
    const findings = [];
    for (const n of namedResources(env.stacks)) {
      const key = uniquenessKey(n);
      const where = `${n.stack.template}/${n.logicalId}`;
      const first = seen.get(key);
      if (first) findings.push({ severity: 'error' as const, subject: where, message: `${n.type} name "${n.name}" is also given to ${first}` });
      else seen.set(key, where);
    }
    return findings;
  },
};
