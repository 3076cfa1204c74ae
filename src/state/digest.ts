/**
 * A 64-bit FNV-1a digest of a text, as 16 hex digits: names and tokens derived from a path or a
 * file's bytes (the config cache's and the code cache's file names, an unreadable lock's token).
 * Not for security, and never the only check of a match (the caches compare the whole key).
 * Hand-written rather than node:crypto so the fast entry (src/fast-entry.ts) starts without
 * loading it (issue 14). The 64-bit product is worked in four 16-bit limbs of plain numbers:
 * the same digits as BigInt arithmetic, at a fraction of its cost in a process that just started.
 */
export function digest64(text: string): string {
  // The offset basis 0xcbf29ce484222325, least significant limb first.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (const byte of Buffer.from(text, 'utf8')) {
    h0 ^= byte;
    // × the FNV prime 0x100000001b3 = 0x1b3 + 0x100·2^32, modulo 2^64; every sum stays below 2^31.
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return [h3, h2, h1, h0].map((x) => x.toString(16).padStart(4, '0')).join('');
}
