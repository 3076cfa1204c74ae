import { describe, expect, it } from 'vitest';
import { snapshotBeforeChange } from '../../../src/validate/rules/snapshot-before-change.js';
import { PATCH_STEPS } from '../../../src/ops/patch/keys.js';
import { input, step } from '../helpers.js';

describe('rule snapshot-before-change', () => {
  it.each([
    [
      'waves after the AMIs only (the patch took no database snapshot)',
      [step(PATCH_STEPS.recoveryPoint, 'gate'), step('operations.patch.bastion', 'playbook', [PATCH_STEPS.recoveryPoint])],
      /RDS snapshot/,
    ],
    [
      'a second wave that does not wait for the AMIs',
      [step(PATCH_STEPS.dbSnapshot, 'gate'), step(PATCH_STEPS.recoveryPoint, 'gate'), step('operations.patch.bastion', 'playbook', [PATCH_STEPS.dbSnapshot])],
      /host AMIs/,
    ],
    ['no wave at all', [], /no wave/],
  ])('GIVEN %s WHEN checked THEN it fails', (_what, patchSteps, message) => {
    const findings = snapshotBeforeChange.check(input([], { patchSteps }));
    expect(findings.map((f) => f.message).join('\n')).toMatch(message);
  });

  it('GIVEN every wave after both recovery points (directly or through earlier waves) WHEN checked THEN it passes', () => {
    const patchSteps = [
      step(PATCH_STEPS.dbSnapshot, 'gate'),
      step(PATCH_STEPS.recoveryPoint, 'gate'),
      step('operations.patch.bastion', 'playbook', [PATCH_STEPS.dbSnapshot, PATCH_STEPS.recoveryPoint]),
      step('operations.patch.bastion.gate', 'check', ['operations.patch.bastion']),
      step('operations.patch.workers', 'playbook', ['operations.patch.bastion.gate']),
    ];
    expect(snapshotBeforeChange.check(input([], { patchSteps }))).toEqual([]);
  });
});
