/** The order of dpf patch's steps (src/ops/patch/build.ts): recovery points first, then wave → gate → next wave. */
import { describe, expect, it } from 'vitest';
import { buildPatchSteps } from '../../../src/ops/patch/build.js';
import { planWaves } from '../../../src/ops/patch/hosts.js';
import { patchOptions } from './helpers.js';
import type { Host } from '../../../src/ops/health.js';

const OP = { id: 'patch-1', kind: 'patch' as const, key: '', startedAt: new Date(0), stamp: '19700101000000', params: {}, resumed: false, runId: 'r-1' };
const graph = (hosts: Host[]) => buildPatchSteps(OP, patchOptions({ hosts, waves: planWaves(hosts) })).map((s) => [s.id, s.dependsOn]);

describe('buildPatchSteps', () => {
  it('GIVEN every kind of host THEN the DB snapshot and the AMIs come first, and each wave waits for the gate of the one before', () => {
    expect(
      graph([
        { instanceId: 'i-b', role: 'bastion' },
        { instanceId: 'i-ipa', role: 'identity' },
        { instanceId: 'i-m', role: 'master' },
        { instanceId: 'i-w', role: 'worker' },
      ]),
    ).toEqual([
      ['operations.patch.db-snapshot', []],
      ['operations.patch.recovery-point', []],
      ['operations.patch.bastion', ['operations.patch.db-snapshot', 'operations.patch.recovery-point']],
      ['operations.patch.bastion.gate', ['operations.patch.bastion']],
      ['operations.patch.identity-1', ['operations.patch.bastion.gate']],
      ['operations.patch.identity-1.gate', ['operations.patch.identity-1']],
      ['operations.patch.master-dev', ['operations.patch.identity-1.gate']],
      ['operations.patch.master-dev.gate', ['operations.patch.master-dev']],
      ['operations.patch.workers', ['operations.patch.master-dev.gate']],
      ['operations.patch.workers.gate', ['operations.patch.workers']],
    ]);
  });

  it('GIVEN only workers THEN no AMI step (workers roll back by replacement) and the workers wave waits for the DB snapshot alone', () => {
    expect(graph([{ instanceId: 'i-w', role: 'worker' }])).toEqual([
      ['operations.patch.db-snapshot', []],
      ['operations.patch.workers', ['operations.patch.db-snapshot']],
      ['operations.patch.workers.gate', ['operations.patch.workers']],
    ]);
  });

  it('GIVEN the steps THEN the AMI step images exactly the hosts that are not workers', () => {
    const steps = buildPatchSteps(OP, patchOptions());
    expect(steps.find((s) => s.id === 'operations.patch.recovery-point')!.title).toBe('Recovery point: AMI of 3 host(s) (no reboot)');
    expect(steps.every((s) => s.phase === 'operations')).toBe(true);
  });
});
