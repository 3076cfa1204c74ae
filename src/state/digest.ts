/**
 * A 64-bit FNV-1a digest of a text, as 16 hex digits: names and tokens derived from a path or a
 * file's bytes (the config cache's file name, an unreadable lock's token). Not for security, and
 * never the only check of a match (the config cache compares the whole key). Hand-written rather
 * than node:crypto so the fast entry (src/fast-entry.ts) starts without loading it (issue 14).
 */
export function digest64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
