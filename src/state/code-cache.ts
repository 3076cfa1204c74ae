/**
 * Loading a CommonJS file with V8's code cache (issue 14, start-up): the fast entry loads the
 * bundle of `dpf status --offline` (dist/fast/status.cjs) this way. Compiling that code is a good
 * part of the command's time, and Node 20 keeps no compiled code between runs for user modules
 * (module.enableCompileCache is Node 22). After a run the code V8 compiled (the top level and every
 * function that ran) is kept in the user's cache folder (Settings.cacheDir, beside the config
 * cache), and the next run compiles from it instead of from the source.
 *
 * The kept data is checked before V8 sees it: the file it was made from (path, size and time of
 * the build, like the config cache's build stamp), its length and a checksum of every byte (V8
 * checks only its own version, flags and the source's length, and a release build does not
 * verify its checksum). A cache that is missing, of another build, truncated or corrupt is not
 * used; V8 may still reject data (another Node, other flags). In every such case the source is
 * compiled as usual and the cache written anew, atomically (temp file, rename); a cache folder
 * that cannot be written only costs the next start its speed.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { digest64 } from './digest.js';

/**
 * How the kept code was used: `used`, or why not (`absent`, `stale`: another build, `corrupt`,
 * `rejected` by V8, `foreign`: another user's file, `off`: no cache folder).
 */
export type CodeCacheUse = 'used' | 'absent' | 'stale' | 'corrupt' | 'rejected' | 'foreign' | 'off';

/** Who loads: the process (its temp files' names) and, where the system has them, the user id the kept file must belong to. */
export interface CacheOwner {
  pid: number;
  uid?: number;
}

export interface LoadedModule<T> {
  exports: T;
  cache: CodeCacheUse;
  /** Keeps the compiled code when the cache was not used; call after the module's work (so it holds what ran). Never throws. */
  keep(): void;
}

/** The first line of a kept file (JSON), then the data. */
interface KeptHeader {
  /** The format, and the file the code was made from: its path, size and time (a build rewrites it). */
  of: string;
  bytes: number;
  sum: number;
}

const FORMAT = 'dpf-code-cache 1';

/** Where the code of a file is kept: one per file, named by a 64-bit FNV-1a of its path. */
export function codeCacheFile(cacheDir: string, file: string): string {
  return path.join(cacheDir, `code-${digest64(file)}.bin`);
}

/** What kept code must say it was made from: this format, and the file's size, time (a build rewrites it) and path. */
export function keptFor(file: string): string {
  const st = statSync(file);
  return `${FORMAT}:${st.size}:${st.mtimeMs}:${file}`;
}

/**
 * A 32-bit checksum of the bytes: FNV-1a over 32-bit words in four interleaved lanes, then the
 * lanes and the tail bytes folded in. It runs at every start (≈0.6 ms for the status bundle's 80 KB; one lane took
 * four times that, in V8's interpreter the loop's own cost dominates).
 */
export function checksum(bytes: Uint8Array): number {
  // The 32-bit view needs an aligned start: the kept file puts the data at one (writeKept), else a copy.
  const copy = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  const w = new Int32Array(copy.buffer, copy.byteOffset, copy.length >> 2);
  const P = 16777619;
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  let c = 0x1b873593;
  let d = 0x2545f491;
  const whole = w.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    a = Math.imul(a ^ w[i]!, P);
    b = Math.imul(b ^ w[i + 1]!, P);
    c = Math.imul(c ^ w[i + 2]!, P);
    d = Math.imul(d ^ w[i + 3]!, P);
  }
  let h = Math.imul(Math.imul(Math.imul(Math.imul(0x811c9dc5 ^ a, P) ^ b, P) ^ c, P) ^ d, P);
  for (let i = whole << 2; i < copy.length; i++) h = Math.imul(h ^ copy[i]!, P);
  return (h ^ copy.length) >>> 0;
}

/** The kept code when it was made from this very file, arrived whole and is the user's own; else why not. */
function readKept(cacheFile: string, of: string, uid: number | undefined): { data?: Buffer; use: CodeCacheUse } {
  let raw: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(cacheFile, 'r');
    // Code runs as whoever starts dpf: never code another user could have written (a shared DPF_CACHE_DIR).
    if (uid !== undefined && fstatSync(fd).uid !== uid) return { use: 'foreign' };
    raw = readFileSync(fd);
  } catch {
    return { use: 'absent' };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const nl = raw.indexOf(10);
  let h: Partial<KeptHeader> | undefined;
  try {
    h = nl > 0 ? (JSON.parse(raw.subarray(0, nl).toString('utf8')) as Partial<KeptHeader>) : undefined;
  } catch {
    // not a header: corrupt
  }
  if (typeof h?.of !== 'string') return { use: 'corrupt' };
  if (h.of !== of) return { use: h.of.startsWith(`${FORMAT}:`) ? 'stale' : 'corrupt' };
  const data = raw.subarray(nl + 1);
  return data.length === h.bytes && checksum(data) === h.sum ? { data, use: 'used' } : { use: 'corrupt' };
}

/** Write the kept code (temp file beside, then rename: a reader sees the old file or the new one). */
function writeKept(cacheFile: string, of: string, data: Buffer, pid: number): void {
  const random = ((Math.random() * 2 ** 32) >>> 0).toString(16).padStart(8, '0');
  const tmp = path.join(path.dirname(cacheFile), `.${path.basename(cacheFile)}.${pid}.${random}.tmp`);
  const header: KeptHeader = { of, bytes: data.length, sum: checksum(data) };
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    // The header line padded with spaces to a multiple of 8 bytes: the data then starts aligned (checksum, no copy).
    const line = Buffer.from(JSON.stringify(header), 'utf8');
    const padded = Buffer.alloc(line.length + 1 + ((8 - ((line.length + 1) % 8)) % 8), ' ');
    line.copy(padded);
    padded[padded.length - 1] = 10;
    writeFileSync(tmp, Buffer.concat([padded, data]), { flag: 'wx' });
    renameSync(tmp, cacheFile);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // a cache, not state: nothing to clean
    }
  }
}

/**
 * A require relative to `file`. In the fast path's bundle (dist/fast/entry.cjs, CommonJS) this
 * module has Node's own `require`, which resolves from the same folder as the bundles it loads:
 * that one, rather than loading node:module for createRequire (≈0.5 ms of start-up, issue 14).
 */
function requireFor(file: string): NodeJS.Require {
  if (typeof require === 'function' && typeof __filename === 'string' && path.dirname(__filename) === path.dirname(file)) return require;
  return createRequire(file);
}

/**
 * Loads a CommonJS module whose file holds it already inside Node's module wrapper,
 * `(function (exports, require, module, __filename, __dirname) {…\n})` (so its text is compiled
 * as read, not copied into a wrapper first), and runs it as Node's require would: the same
 * arguments, a require relative to the file. Compiled from the kept code when there is valid code
 * for this very file. cacheDir undefined: no cache is read or kept.
 */
export function loadWrappedModule<T>(file: string, cacheDir: string | undefined, owner: CacheOwner): LoadedModule<T> {
  const source = readFileSync(file, 'utf8');
  const of = keptFor(file);
  const cacheFile = cacheDir ? codeCacheFile(cacheDir, file) : undefined;
  const kept = cacheFile ? readKept(cacheFile, of, owner.uid) : { use: 'off' as const };
  const script = new vm.Script(source, {
    filename: file,
    cachedData: kept.data,
    // import() inside resolves from the file as in any module of the main context (Node ≥ 20.12; before, an
    // import() here fails, and the fast entry declines the command).
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const use: CodeCacheUse = kept.use === 'used' && script.cachedDataRejected ? 'rejected' : kept.use;
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, requireFor(file), module, file, path.dirname(file));
  return {
    exports: module.exports,
    cache: use,
    keep: () => {
      if (use === 'used' || use === 'foreign' || !cacheFile) return;
      try {
        writeKept(cacheFile, of, script.createCachedData(), owner.pid);
      } catch {
        // createCachedData failing only costs the next start its speed
      }
    },
  };
}
