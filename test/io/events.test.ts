import { describe, expect, it } from 'vitest';
import { stateClass } from '../../src/io/events.js';

describe('stateClass', () => {
  it.each([
    ['CREATE_COMPLETE', 'complete'],
    ['UPDATE_COMPLETE', 'complete'],
    ['CREATE_IN_PROGRESS', 'in-progress'],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'in-progress'],
    ['REVIEW_IN_PROGRESS', 'in-progress'],
    ['CREATE_PENDING', 'in-progress'],
    ['CREATE_FAILED', 'failed'],
    ['ROLLBACK_COMPLETE', 'failed'],
    ['UPDATE_ROLLBACK_COMPLETE', 'failed'],
    ['UPDATE_ROLLBACK_FAILED', 'failed'],
    ['FAILED', 'failed'],
    ['DELETE_SKIPPED', 'cancelled'],
    ['', 'pending'],
  ])('GIVEN %s WHEN classified THEN it is %s', (status, cls) => {
    expect(stateClass(status)).toBe(cls);
  });

  /** The classification as it was written first, with case-insensitive regexes: the string tests must agree with it everywhere. */
  const byRegex = (status: string) => {
    if (/CANCEL/i.test(status)) return 'cancelled';
    if (/ROLLBACK_COMPLETE$|ROLLBACK_FAILED$|_FAILED$|^FAILED$|^failed$|^TimedOut$/i.test(status)) return 'failed';
    if (/_IN_PROGRESS$|^PENDING|_PENDING$|^InProgress$|^running$/i.test(status)) return 'in-progress';
    if (/_COMPLETE$|^Success$|^done$|^available$/i.test(status)) return 'complete';
    if (/CANCEL|SKIPPED|^Cancelled$/i.test(status)) return 'cancelled';
    return 'pending';
  };
  const CFN = [
    'CREATE',
    'DELETE',
    'UPDATE',
    'ROLLBACK',
    'UPDATE_ROLLBACK',
    'IMPORT',
    'IMPORT_ROLLBACK',
    'REVIEW',
    'UPDATE_COMPLETE_CLEANUP',
    'UPDATE_ROLLBACK_COMPLETE_CLEANUP',
  ].flatMap((verb) => ['IN_PROGRESS', 'COMPLETE', 'FAILED', 'PENDING', 'SKIPPED'].map((end) => `${verb}_${end}`));
  const OTHERS = [
    'Pending',
    'InProgress',
    'Delayed',
    'Success',
    'Cancelled',
    'TimedOut',
    'Failed',
    'Cancelling',
    'Undeliverable',
    'Terminated',
    'done',
    'running',
    'failed',
    'skipped',
    'pending',
    'available',
    'creating',
    'NOT_FOUND',
    'interrupted',
  ];
  // Non-ASCII letters that upper-case to ASCII ones (ı → I, ſ → S, ﬀ → FF, K (Kelvin) → k in lower case): a case-insensitive regex never matches them to ASCII.
  const TRICKY = [
    'faıled',
    'FAıLED',
    'ſuccess',
    'SUCCEſS',
    'ﬀ_FAILED',
    'CANCEL',
    'cancelled',
    'pre-CANCELLED',
    'pending-ish',
    'PENDINGX',
    'X_pending',
    'TIMEDOUT',
    'timedout',
    'RUNNING ',
    ' done',
    'DONE\n',
    'failed\n',
    '_COMPLETE',
    'rollback_complete',
    'ROLLBACK_COMPLETE',
    '',
    'ü',
    'ÄVAILABLE',
    'available\u0000',
  ];
  const ALL = [...CFN, ...OTHERS, ...TRICKY];

  it.each([...new Set(ALL.flatMap((s) => [s, s.toLowerCase(), s.toUpperCase()]))].map((s) => [s]))(
    'GIVEN %j WHEN classified THEN it is what the regexes said',
    (status) => {
      expect(stateClass(status)).toBe(byRegex(status));
    },
  );
});
