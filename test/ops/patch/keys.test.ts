/** dpf patch's step ids and host roles (src/ops/patch/keys.ts): the ids are ledger keys, so they must not drift. */
import { describe, expect, it } from 'vitest';
import { PATCH_STEPS, roleOf } from '../../../src/ops/patch/keys.js';

describe('PATCH_STEPS', () => {
  it.each([
    [PATCH_STEPS.recoveryPoint, 'operations.patch.recovery-point'],
    [PATCH_STEPS.dbSnapshot, 'operations.patch.db-snapshot'],
    [PATCH_STEPS.scan, 'operations.patch.scan'],
    [PATCH_STEPS.wave('identity-2'), 'operations.patch.identity-2'],
    [PATCH_STEPS.gate('workers'), 'operations.patch.workers.gate'],
  ])('GIVEN the id %s THEN it is %s (what ledgers already hold)', (id, want) => {
    expect(id).toBe(want);
  });
});

describe('roleOf', () => {
  const hosts = [
    { instanceId: 'i-b', role: 'bastion' },
    { instanceId: 'i-m', role: 'master' },
  ];
  it.each([
    ['i-m', 'master'],
    ['i-b', 'bastion'],
    // A worker the group launched after the hosts were listed is not among them.
    ['i-new', 'worker'],
  ])('GIVEN %s THEN its role is %s', (id, role) => {
    expect(roleOf(hosts, id)).toBe(role);
  });
});
