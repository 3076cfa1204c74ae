/**
 * Opening the config on the fast path (issue 14, start-up). The validated config is kept as JSON
 * in the user's cache folder (Settings.cacheDir: DPF_CACHE_DIR, else $XDG_CACHE_HOME/dpf, else
 * ~/.cache/dpf; never in the project, which read-only commands leave as they found it), keyed by
 * the file's path and text and by dpf's build, all three kept in the entry and compared whole (no
 * digest: exact, and node:crypto stays out of the fast entry's start, issue 14); a command
 * whose config did not change since the last full load reads it back without the YAML parser,
 * the schema, the semantic rules or the SDK's region data they use. Any difference — an edited
 * file, another dpf build, a cache unreadable, corrupt or of another file — takes the full path
 * (./load.ts), which reports every problem exactly as before. What the cache holds was valid
 * for this very text under this very build, so a hit can only return what the full path would.
 *
 * Commands may keep more in the same entry (`derived`: e.g. the step graph `dpf status` draws),
 * by the same key, so it goes stale with the config.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdir, stat, unlink } from 'node:fs/promises';
import type { DpfConfig } from '../config/schema.js';
import { normaliseConfig } from '../config/normalise.js';
import { MAX_CONFIG_BYTES, type LoadedConfig } from '../config/select.js';
import { writeFileAtomic } from './atomic.js';
import { digest64 } from './digest.js';
import type { ProcessInfo } from '../settings.js';

/** Entries kept at most; the oldest go when a new one is written (a test suite makes one per temp folder). */
const MAX_ENTRIES = 64;

interface CacheEntry {
  /** The key: this dpf build (stampOfThisBuild), the config file's absolute path and its text. */
  stamp: string;
  file: string;
  text: string;
  config: DpfConfig;
  derived?: Record<string, unknown>;
}

export interface OpenedConfig {
  loaded: LoadedConfig;
  /** Whether the cache answered (no YAML, schema or rules were loaded). */
  cached: boolean;
  /** Opened with cacheOnly: what is not kept must not be computed (the caller declines instead: NotCachedError). */
  cacheOnly: boolean;
  /** What a command kept with this config (undefined: nothing under that name). */
  derived(name: string): unknown;
  /** Keep something with this config (written at once; a failure to write only costs the next start). */
  keep(name: string, value: unknown): Promise<void>;
}

/** What a cacheOnly open (src/fast-entry.ts) throws when the cache cannot answer: the full path must. */
export class NotCachedError extends Error {}

/**
 * Where the entry of a config file lives: one per file, named by a 64-bit FNV-1a of its path (two
 * paths that share a name only take turns: the entry says whose it is).
 */
export function configCacheFile(cacheDir: string, abs: string): string {
  return path.join(cacheDir, `config-${digest64(abs)}.json`);
}

/** Where the cache is and who writes it; without it every load takes the full path and nothing is kept. */
export interface CacheOptions {
  dir?: string;
  owner: Pick<ProcessInfo, 'pid'>;
}

let buildStamp: string | undefined;
/**
 * This build of dpf: the build and an install rewrite every module, so the size and time of
 * dist/cli.js change with them. Named relative to this module (`../cli.js`), which resolves to the
 * same file from dist/state/ and from the fast path's bundle in dist/fast/ (scripts/bundle-fast-path.mjs);
 * where there is no cli.js beside (tests running the sources) this module stands for the build.
 */
function stampOfThisBuild(): string {
  if (buildStamp !== undefined) return buildStamp;
  for (const url of [new URL('../cli.js', import.meta.url), new URL(import.meta.url)])
    try {
      const s = statSync(fileURLToPath(url));
      return (buildStamp = `${s.size}:${s.mtimeMs}`);
    } catch {
      // the next candidate
    }
  return (buildStamp = '');
}

/**
 * The config, from the cache when its key matches, else from the full path (whose result is then
 * kept). Errors come from the full path. cacheOnly: a miss throws NotCachedError instead (the
 * fast entry then hands the command to the full CLI, which reports any problem).
 */
export async function openConfig(file: string, cache?: CacheOptions, o: { cacheOnly?: boolean } = {}): Promise<OpenedConfig> {
  const abs = path.resolve(file);
  const text = readSmallFile(abs);
  const stamp = stampOfThisBuild();
  const place = cache?.dir && text !== undefined && stamp ? { file: configCacheFile(cache.dir, abs), owner: cache.owner } : undefined;
  const key = { stamp, file: abs, text: text ?? '' };
  let entry = place ? readEntry(place.file, key) : undefined;
  const cached = entry !== undefined;
  if (entry) normaliseConfig(entry.config.environments);
  else if (o.cacheOnly) throw new NotCachedError(`the config cache has no entry for ${abs} as it is now`);
  else {
    const full = await import('../config/load.js');
    // The text the key was made of is the text validated (an edit in between makes another key).
    const config = text !== undefined ? full.configFromText(abs, text) : (await full.loadConfig(abs)).config;
    entry = { ...key, config };
    if (place) await save(place.file, entry, place.owner, true);
  }
  const e = entry;
  return {
    loaded: { file: abs, dir: path.dirname(abs), config: e.config },
    cached,
    cacheOnly: Boolean(o.cacheOnly),
    derived: (name) => e.derived?.[name],
    keep: async (name, value) => {
      e.derived = { ...e.derived, [name]: value };
      if (place) await save(place.file, e, place.owner, false);
    },
  };
}

/**
 * The file's text when it is a regular file of a config's size; undefined sends the caller down the
 * full path (which says what is wrong). Read synchronously, like the cache entry: two small files,
 * and each thread-pool round trip would cost a start-up that has no other work to overlap (issue 14).
 */
function readSmallFile(abs: string): string | undefined {
  try {
    const st = statSync(abs);
    if (!st.isFile() || st.size > MAX_CONFIG_BYTES) return undefined;
    return readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
}

function readEntry(file: string, key: Pick<CacheEntry, 'stamp' | 'file' | 'text'>): CacheEntry | undefined {
  try {
    const e = JSON.parse(readFileSync(file, 'utf8')) as CacheEntry;
    const same = e && e.stamp === key.stamp && e.file === key.file && e.text === key.text;
    return same && e.config && typeof e.config.environments === 'object' ? e : undefined;
  } catch {
    return undefined;
  }
}

/** Write an entry (a failure only costs the next start its speed); a new one makes room first. */
async function save(file: string, entry: CacheEntry, owner: Pick<ProcessInfo, 'pid'>, isNew: boolean): Promise<void> {
  try {
    if (isNew) await prune(path.dirname(file));
    await writeFileAtomic(file, JSON.stringify(entry), owner);
  } catch {
    // a cache, not state
  }
}

async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^config-[0-9a-f]{16}\.json$/.test(n));
  if (names.length < MAX_ENTRIES) return;
  const aged = await Promise.all(names.map(async (n) => ({ n, t: (await stat(path.join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  aged.sort((a, b) => a.t - b.t);
  await Promise.all(aged.slice(0, names.length - MAX_ENTRIES + 1).map((a) => unlink(path.join(dir, a.n)).catch(() => undefined)));
}
