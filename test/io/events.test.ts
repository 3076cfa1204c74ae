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
});
