import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openConfig, configCacheFile } from '../../src/state/config-cache.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigInvalidError } from '../../src/errors.js';

const VALID = 'version: 1\nproject: dataplatform\nenvironments:\n  dev: {}\n  prod:\n    compute: { workers: { max: 8 } }\n';
const owner = { pid: process.pid };
let dir: string;
let cacheDir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-config-cache-'));
  cacheDir = path.join(dir, 'cache');
  file = path.join(dir, 'dpf.config.yaml');
  writeFileSync(file, VALID);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('The validated config kept in the cache (issue 14, start-up)', () => {
  it('GIVEN a valid config WHEN opened twice THEN the second comes from the cache and is exactly what the full load gives', async () => {
    const first = await openConfig(file, { dir: cacheDir, owner });
    expect(first.cached).toBe(false);
    const second = await openConfig(file, { dir: cacheDir, owner });
    expect(second.cached).toBe(true);
    const full = await loadConfig(file);
    expect(second.loaded).toStrictEqual(full);
    // Nothing in the project folder: read-only commands leave it as they found it.
    expect(readdirSync(dir).sort()).toEqual(['cache', 'dpf.config.yaml']);
  });

  it('GIVEN a cached config WHEN the file is edited into an invalid one THEN the full load reports it, as without a cache', async () => {
    await openConfig(file, { dir: cacheDir, owner });
    writeFileSync(file, VALID.replace('dev: {}', 'dev: { region: mars-1 }'));
    await expect(openConfig(file, { dir: cacheDir, owner })).rejects.toBeInstanceOf(ConfigInvalidError);
  });

  it.each([
    ['corrupt JSON', '{"key": '],
    ['another key', JSON.stringify({ stamp: 'x', file: 'y', text: 'z', config: { environments: {} } })],
  ])('GIVEN a cache entry with %s WHEN opened THEN the full path answers and rewrites it', async (_what, body) => {
    await openConfig(file, { dir: cacheDir, owner });
    const entry = configCacheFile(cacheDir, path.resolve(file));
    writeFileSync(entry, body);
    const again = await openConfig(file, { dir: cacheDir, owner });
    expect(again.cached).toBe(false);
    expect(again.loaded.config.environments.prod!.compute.workers.max).toBe(8);
    expect((await openConfig(file, { dir: cacheDir, owner })).cached).toBe(true);
  });

  it('GIVEN something kept with the config WHEN the config changes THEN it is gone with the old entry', async () => {
    const o = await openConfig(file, { dir: cacheDir, owner });
    await o.keep('status-graph:dev', [{ id: 'a' }]);
    expect((await openConfig(file, { dir: cacheDir, owner })).derived('status-graph:dev')).toEqual([{ id: 'a' }]);
    writeFileSync(file, `${VALID}# a comment\n`);
    expect((await openConfig(file, { dir: cacheDir, owner })).derived('status-graph:dev')).toBeUndefined();
  });

  it('GIVEN no cache folder WHEN opened THEN every load is a full one and nothing is written', async () => {
    expect((await openConfig(file)).cached).toBe(false);
    expect((await openConfig(file)).cached).toBe(false);
    expect(readdirSync(dir)).toEqual(['dpf.config.yaml']);
  });

  it('GIVEN a full cache WHEN a new config is kept THEN the oldest entries go and at most 64 remain', async () => {
    await openConfig(file, { dir: cacheDir, owner });
    const body = readFileSync(configCacheFile(cacheDir, path.resolve(file)), 'utf8');
    for (let i = 0; i < 70; i++) {
      const f = path.join(cacheDir, `config-${i.toString(16).padStart(16, '0')}.json`);
      writeFileSync(f, body);
      utimesSync(f, new Date(1000 * i), new Date(1000 * i));
    }
    const other = path.join(dir, 'other.yaml');
    writeFileSync(other, VALID);
    await openConfig(other, { dir: cacheDir, owner });
    const left = readdirSync(cacheDir);
    expect(left).toHaveLength(64);
    expect(left).not.toContain(`config-${'0'.repeat(16)}.json`);
    expect(left).toContain(path.basename(configCacheFile(cacheDir, other)));
  });
});
