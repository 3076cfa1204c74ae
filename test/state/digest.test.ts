/**
 * digest64 (src/state/digest.ts): 64-bit FNV-1a in 16-bit limbs. Its digits name cache files and
 * an unreadable lock's token, so they must be FNV-1a's: checked against the BigInt definition.
 */
import { describe, it, expect } from 'vitest';
import { digest64 } from '../../src/state/digest.js';

/** FNV-1a 64 as defined: offset basis, then per byte xor and multiply by the prime, modulo 2^64. */
function reference(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

describe('digest64', () => {
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('GIVEN %j WHEN digested THEN it is the published FNV-1a 64 value %s', (text, expected) => {
    expect(digest64(text)).toBe(expected);
    expect(reference(text)).toBe(expected);
  });

  it.each([
    ['/home/op/project/dpf.config.yaml'],
    ['/work/dpf/dist/fast/status.wrapped.cjs'],
    ['ünïcödé — ✓ 🔒'],
    ['\u0000\u00ff\uffff'],
    ['x'.repeat(1000)],
    [Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('')],
  ])('GIVEN %j WHEN digested THEN the digits are the BigInt definition’s', (text) => {
    expect(digest64(text)).toBe(reference(text));
  });
});
