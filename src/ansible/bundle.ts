/**
 * The Ansible bundle: templates/ansible/ zipped reproducibly, stored in the state bucket under
 * its own hash and fetched by AWS-ApplyAnsiblePlaybooks on every node.
 *
 * Reproducible means: the same files give the same bytes, on any machine, in any time zone.
 * Files are sorted by path; every entry has the same mtime (1980-01-01 00:00, the earliest a
 * zip can hold), the same attributes (Unix, regular file 0644) and the same compression
 * level; no directory entries, no extra fields, no comments. Rendered variables are NOT in
 * the zip (they go as ExtraVariables), so the hash changes only when the content does.
 *
 * The hash is the sha256 of the zip bytes, so anyone can check an object against its key
 * (`sha256sum <sha>.zip`). The bytes also depend on fflate's deflate output: an fflate
 * upgrade that changes it changes the hash once (playbook steps then run again, harmlessly:
 * the roles are idempotent).
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { ANSIBLE_DIR } from '../templates/registry.js';
import type { ObjectStorePort } from '../aws/ports.js';

export interface Bundle {
  bytes: Uint8Array;
  /** sha256 of `bytes`, hex. */
  sha256: string;
  /** Paths inside the zip ('/'-separated), sorted. */
  files: string[];
}

/** Directories never bundled: VCS, Python and ansible-lint caches. */
const EXCLUDED_DIRS = new Set(['.git', '__pycache__', '.ansible', '.cache', '.pytest_cache', '.tox', '.venv', 'venv']);
/** File names never bundled: Ansible retry files, Python bytecode, editor and OS litter. */
const EXCLUDED_FILE = /(\.retry|\.pyc|\.swp|~)$|^\.DS_Store$/;

/** Unix "made by" (3) and mode -rw-r--r-- in the high 16 bits of the external attributes. */
const FIXED_OS = 3;
const FIXED_ATTRS = (0o100644 << 16) >>> 0;
const LEVEL = 9;

/** Paths of the files that go into the bundle, relative to `dir`, '/'-separated and sorted. */
export function bundleFiles(dir: string = ANSIBLE_DIR): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = rel ? path.join(dir, rel) : dir;
    for (const name of readdirSync(abs)) {
      const relPath = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(abs, name));
      if (st.isSymbolicLink()) throw new Error(`The Ansible bundle cannot contain symbolic links: ${relPath} (in ${dir}); copy the file instead.`);
      if (st.isDirectory()) {
        if (!EXCLUDED_DIRS.has(name)) walk(relPath);
      } else if (st.isFile() && !EXCLUDED_FILE.test(name)) {
        out.push(relPath);
      }
    }
  };
  walk('');
  // Code-unit order, not locale order: the same on every machine.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Zip `dir` (default: the bundled templates/ansible/) reproducibly. */
export function buildBundle(dir: string = ANSIBLE_DIR): Bundle {
  const files = bundleFiles(dir);
  if (!files.length) throw new Error(`The Ansible bundle directory ${dir} has no files.`);
  // 1980-01-01 00:00 in LOCAL time, made at build time: fflate writes DOS times from local
  // fields, so this is the same DOS time in every time zone (and after a TZ change).
  const mtime = new Date(1980, 0, 1, 0, 0, 0);
  const entries: Zippable = {};
  for (const f of files) {
    // fflate keeps insertion order for non-numeric keys; every path here has a '.' or a '/'
    // or is a plain name, and an all-digit top-level file name would be the only exception.
    if (/^\d+$/.test(f)) throw new Error(`The Ansible bundle cannot contain a top-level file named only with digits: ${f}`);
    entries[f] = [new Uint8Array(readFileSync(path.join(dir, ...f.split('/')))), { mtime, os: FIXED_OS, attrs: FIXED_ATTRS, level: LEVEL }];
  }
  const bytes = zipSync(entries);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), files };
}

/** Key of a bundle in the state bucket. */
export function bundleKey(sha256: string): string {
  return `bundles/${sha256}.zip`;
}

/** The https URL AWS-ApplyAnsiblePlaybooks downloads (SourceType S3, SourceInfo {"path": …}). */
export function bundleSourceUrl(region: string, bucket: string, key: string): string {
  return `https://s3.${region}.amazonaws.com/${bucket}/${key}`;
}

export interface UploadedBundle {
  key: string;
  /** The SourceInfo path (https, regional endpoint). */
  s3Url: string;
  /** False when the object was already there (or another step of this process uploaded it). */
  uploaded: boolean;
}

/** In-flight and finished uploads per object store, so concurrent playbook steps upload once. */
const uploads = new WeakMap<ObjectStorePort, Map<string, Promise<boolean>>>();

/**
 * Store the bundle at `bundles/<sha256>.zip` in the state bucket unless it is there already.
 * The key is content-addressed, so an existing object is the same bundle and is never
 * overwritten. Concurrent calls for the same bucket and bundle share one upload.
 */
export async function ensureBundleUploaded(objects: ObjectStorePort, bucket: string, bundle: Bundle, region: string): Promise<UploadedBundle> {
  const key = bundleKey(bundle.sha256);
  let perStore = uploads.get(objects);
  if (!perStore) uploads.set(objects, (perStore = new Map()));
  const id = `${bucket}/${key}`;
  let pending = perStore.get(id);
  const first = !pending;
  if (!pending) {
    pending = (async () => {
      if (await objects.exists(bucket, key)) return false;
      await objects.putBytes(bucket, key, bundle.bytes, 'application/zip');
      return true;
    })();
    perStore.set(id, pending);
    // A failed upload must be retried by the next caller, not remembered.
    pending.catch(() => perStore!.delete(id));
  }
  const uploaded = await pending;
  return { key, s3Url: bundleSourceUrl(region, bucket, key), uploaded: first && uploaded };
}
