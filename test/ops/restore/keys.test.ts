/** dpf restore's step ids and evidence keys (src/ops/restore/keys.ts): ledger keys that readers (destroy, status) rely on. */
import { describe, expect, it } from 'vitest';
import { RESTORE, RESTORE_STEPS } from '../../../src/ops/restore/keys.js';

describe('RESTORE_STEPS', () => {
  // Pinned on purpose: a renamed id would orphan every record ledgers already hold.
  it.each([
    [RESTORE_STEPS.db, 'operations.restore.db'],
    [RESTORE_STEPS.dbValidate, 'operations.restore.db-validate'],
    [RESTORE_STEPS.dbPromote, 'operations.restore.db-promote'],
    [RESTORE_STEPS.fs, 'operations.restore.fs'],
    [RESTORE_STEPS.fsValidate, 'operations.restore.fs-validate'],
    [RESTORE_STEPS.fsPromote, 'operations.restore.fs-promote'],
  ])('GIVEN the id %s THEN it is %s (what ledgers already hold)', (id, want) => {
    expect(id).toBe(want);
  });

  it.each([
    [RESTORE_STEPS.db, RESTORE.db],
    [RESTORE_STEPS.dbValidate, RESTORE.dbValidate],
    [RESTORE_STEPS.fsValidate, RESTORE.fsValidate],
  ])('GIVEN the typed evidence key of %s THEN it reads that step', (id, key) => {
    expect(key.id).toBe(id);
  });
});
