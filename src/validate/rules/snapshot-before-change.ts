/**
 * A recovery point comes before every change to the hosts or the database: in the patch step
 * graph, every wave depends (directly or through earlier steps) on an RDS snapshot and on the
 * AMIs of the non-worker hosts. The specification asks for manual snapshots before major
 * changes; a patch that reboots the master mid-migration otherwise has nothing to return to.
 */
import type { Finding, Rule } from '../types.js';
import type { StepDef } from '../../steps/types.js';
import { PATCH_STEPS } from '../../ops/patch/keys.js';

function ancestors(steps: StepDef[], id: string): Set<string> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const visit = (x: string) => {
    for (const d of byId.get(x)?.dependsOn ?? []) if (!seen.has(d)) (seen.add(d), visit(d));
  };
  visit(id);
  return seen;
}

export const snapshotBeforeChange: Rule = {
  id: 'snapshot-before-change',
  title: 'A recovery point (RDS snapshot, host AMIs) precedes every patch wave',
  rule: 'In the dpf patch step graph every wave depends on the RDS snapshot step and on the AMI step of the non-worker hosts.',
  protectsAgainst: 'a patch wave that breaks the database or a host with no recent recovery point to return to',
  docs: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CreateSnapshot.html',
    'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/creating-an-ami-ebs.html',
  ],
  check({ env }) {
    const findings: Finding[] = [];
    const waves = env.patchSteps.filter((s) => s.kind === 'playbook');
    if (!waves.length) return [{ severity: 'error', subject: 'dpf patch', message: 'the patch step graph has no wave (nothing to check)' }];
    const ids = new Set(env.patchSteps.map((s) => s.id));
    for (const w of waves) {
      const before = ancestors(env.patchSteps, w.id);
      if (!before.has(PATCH_STEPS.dbSnapshot))
        findings.push({
          severity: 'error',
          subject: w.id,
          message: `does not wait for an RDS snapshot (${PATCH_STEPS.dbSnapshot}${ids.has(PATCH_STEPS.dbSnapshot) ? '' : ', which the graph does not have'})`,
        });
      if (ids.has(PATCH_STEPS.recoveryPoint) && !before.has(PATCH_STEPS.recoveryPoint))
        findings.push({ severity: 'error', subject: w.id, message: `does not wait for the host AMIs (${PATCH_STEPS.recoveryPoint})` });
    }
    return findings;
  },
};
