/** dpf restore's step ids and evidence keys (src/ops/restore/keys.ts): ledger keys that readers (destroy, status) rely on. */
import { describe, expect, it } from 'vitest';
import { RESTORE, RESTORE_STEPS } from '../../../src/ops/restore/keys.js';

describe('RESTORE_STEPS', () => {
  it('GIVEN the restore steps THEN their ids are the ones ledgers already hold', () => {
    expect(RESTORE_STEPS).toEqual({
      db: 'operations.restore.db',
      dbValidate: 'operations.restore.db-validate',
      dbPromote: 'operations.restore.db-promote',
      fs: 'operations.restore.fs',
      fsValidate: 'operations.restore.fs-validate',
      fsPromote: 'operations.restore.fs-promote',
    });
  });

  it.each([
    [RESTORE_STEPS.db, RESTORE.db],
    [RESTORE_STEPS.dbValidate, RESTORE.dbValidate],
    [RESTORE_STEPS.fsValidate, RESTORE.fsValidate],
  ])('GIVEN the typed evidence key of %s THEN it reads that step', (id, key) => {
    expect(key.id).toBe(id);
  });
});
