import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { buildBundle, bundleFiles, bundleKey, ensureBundleUploaded } from '../../src/ansible/bundle.js';
import { ANSIBLE_DIR } from '../../src/templates/registry.js';
import { MemoryObjectStore } from '../fakes/fake-ssm.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-bundle-'));
  cpSync(ANSIBLE_DIR, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** DOS time and date fields of every central-directory entry. */
function centralDirectoryTimes(zip: Uint8Array): Array<{ name: string; time: number; date: number; madeBy: number; attrs: number }> {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.byteLength - 22;
  expect(v.getUint32(eocd, true)).toBe(0x06054b50);
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const out = [];
  for (let i = 0; i < count; i++) {
    expect(v.getUint32(p, true)).toBe(0x02014b50);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    out.push({
      name: new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen)),
      madeBy: zip[p + 5]!,
      time: v.getUint16(p + 12, true),
      date: v.getUint16(p + 14, true),
      attrs: v.getUint32(p + 38, true),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

describe('buildBundle', () => {
  it('GIVEN the bundled content WHEN built twice THEN the zips are byte-identical with the same hash', () => {
    const a = buildBundle();
    const b = buildBundle();
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(a.sha256).toBe(b.sha256);
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('GIVEN the bundled content WHEN unzipped THEN it holds every playbook and role file, byte for byte, sorted', () => {
    const b = buildBundle();
    const unzipped = unzipSync(b.bytes);
    expect(Object.keys(unzipped)).toEqual(b.files);
    expect(b.files).toEqual([...b.files].sort());
    for (const f of [
      'site.yml',
      'bastion.yml',
      'master.yml',
      'worker.yml',
      'worker-launch.yml',
      'dev.yml',
      'ipa-server.yml',
      'ipa-replica.yml',
      'nfs.yml',
      'freeipa-client.yml',
      'freeipa-policy.yml',
      'monitoring.yml',
      'patch.yml',
      'ansible.cfg',
      'group_vars/all.yml',
    ])
      expect(b.files).toContain(f);
    for (const role of [
      'common',
      'freeipa_server',
      'freeipa_client',
      'nfs_client',
      'data_processing',
      'spark_worker',
      'job_scheduler',
      'monitoring',
      'kubernetes',
      'jupyterhub',
    ])
      expect(b.files).toContain(`roles/${role}/tasks/main.yml`);
    for (const f of b.files) expect(Buffer.from(unzipped[f]!).equals(readFileSync(path.join(ANSIBLE_DIR, f)))).toBe(true);
  });

  it('GIVEN any entry WHEN its header is read THEN mtime is 1980-01-01 00:00 and attributes are Unix 0644', () => {
    for (const e of centralDirectoryTimes(buildBundle().bytes)) {
      expect(e.date).toBe((0 << 9) | (1 << 5) | 1);
      expect(e.time).toBe(0);
      expect(e.madeBy).toBe(3);
      expect(e.attrs >>> 16).toBe(0o100644);
    }
  });

  it('GIVEN another time zone WHEN built THEN the bytes do not change', () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      const west = buildBundle(dir).sha256;
      process.env.TZ = 'Asia/Tokyo';
      const east = buildBundle(dir).sha256;
      expect(west).toBe(east);
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it('GIVEN a copy of the content WHEN a file changes THEN the hash changes', () => {
    const before = buildBundle(dir).sha256;
    appendFileSync(path.join(dir, 'nfs.yml'), '# changed\n');
    expect(buildBundle(dir).sha256).not.toBe(before);
  });

  it('GIVEN caches, retry files and .git WHEN built THEN they are left out and the hash is unchanged', () => {
    const before = buildBundle(dir);
    for (const d of ['.git', '__pycache__', '.ansible', 'roles/common/__pycache__', '.cache']) mkdirSync(path.join(dir, d), { recursive: true });
    writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(path.join(dir, '__pycache__', 'x.cpython-312.pyc'), 'x');
    writeFileSync(path.join(dir, 'roles/common/__pycache__', 'y.pyc'), 'y');
    writeFileSync(path.join(dir, '.ansible', 'lint-cache'), 'z');
    writeFileSync(path.join(dir, '.cache', 'c'), 'c');
    writeFileSync(path.join(dir, 'site.retry'), 'localhost\n');
    const after = buildBundle(dir);
    expect(after.files).toEqual(before.files);
    expect(after.sha256).toBe(before.sha256);
    expect(bundleFiles(dir).some((f) => /__pycache__|\.git\/|\.retry$|^\.ansible\//.test(f))).toBe(false);
  });
});

describe('ensureBundleUploaded', () => {
  it('GIVEN an empty state bucket WHEN called twice THEN the bundle is stored once under bundles/<sha256>.zip', async () => {
    const objects = new MemoryObjectStore();
    const b = buildBundle();
    const first = await ensureBundleUploaded(objects, 'dpf-state', b, 'eu-west-1');
    const second = await ensureBundleUploaded(objects, 'dpf-state', b, 'eu-west-1');
    expect(first).toEqual({ key: `bundles/${b.sha256}.zip`, s3Url: `https://s3.eu-west-1.amazonaws.com/dpf-state/bundles/${b.sha256}.zip`, uploaded: true });
    expect(second.uploaded).toBe(false);
    expect(objects.puts).toEqual([{ bucket: 'dpf-state', key: bundleKey(b.sha256) }]);
    expect(Buffer.from(objects.bytes('dpf-state', first.key)!).equals(Buffer.from(b.bytes))).toBe(true);
  });

  it('GIVEN two concurrent callers WHEN both find no object THEN only one uploads', async () => {
    const objects = new MemoryObjectStore();
    const b = buildBundle();
    const [x, y] = await Promise.all([ensureBundleUploaded(objects, 'dpf-state', b, 'us-west-2'), ensureBundleUploaded(objects, 'dpf-state', b, 'us-west-2')]);
    expect([x.uploaded, y.uploaded].filter(Boolean)).toHaveLength(1);
    expect(objects.puts).toHaveLength(1);
  });

  it('GIVEN the object already in the bucket (an earlier run) WHEN called THEN nothing is uploaded', async () => {
    const objects = new MemoryObjectStore();
    const b = buildBundle();
    await objects.putBytes('dpf-state', bundleKey(b.sha256), b.bytes);
    const r = await ensureBundleUploaded(objects, 'dpf-state', b, 'us-west-2');
    expect(r.uploaded).toBe(false);
    expect(objects.puts).toHaveLength(1);
  });
});
