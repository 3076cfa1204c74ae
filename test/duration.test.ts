/** The one duration formatter: no carries shown as "1m60s" or "1 h 60 min". */
import { describe, it, expect } from 'vitest';
import { formatDuration } from '../src/duration.js';

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [0.4, '400ms'],
    [5.25, '5.3s'],
    [59.6, '1m'],
    [119.6, '2m'],
    [90, '1m 30s'],
    [3599.7, '1h'],
    [7199.9, '2h'],
    [7260, '2h 1m'],
    [86400 * 2 + 5, '2d 5s'],
    [86400 + 3600 * 3 + 61, '1d 3h'],
    [undefined, '-'],
    [null, '-'],
    [Number.NaN, '-'],
    [-1, '-'],
  ])('GIVEN %s seconds THEN %s', (s, text) => {
    expect(formatDuration(s as number)).toBe(text);
  });
});
