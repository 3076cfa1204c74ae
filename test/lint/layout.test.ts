/**
 * Tests mirror src/: a test of src/<folder>/x.ts lives under test/<folder>/, so the tests of a
 * module are found where the module is. The only other folders are the ones that test no single
 * module: e2e (bin/dpf against the emulator), fakes (in-repo fakes with their specs), bench (the
 * benchmark's own arithmetic), tools (the test tooling of tools/: the fault proxy) and lint (the
 * lint rules and this layout).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NOT_A_SRC_FOLDER = new Set(['e2e', 'fakes', 'bench', 'tools', 'lint']);
const dirs = (p: string) => readdirSync(p).filter((n) => statSync(path.join(p, n)).isDirectory());

describe('GIVEN the test tree', () => {
  it('WHEN its folders are listed THEN each one is a folder of src/ (or e2e, fakes, bench, tools, lint)', () => {
    const src = new Set(dirs(path.join(ROOT, 'src')));
    const strays = dirs(path.join(ROOT, 'test')).filter((d) => !src.has(d) && !NOT_A_SRC_FOLDER.has(d));
    expect(strays, `test folders with no src/ folder of the same name: move their tests next to the module they test`).toEqual([]);
  });

  it('WHEN a test file sits at the top of test/ THEN a module of the same name sits at the top of src/', () => {
    const top = readdirSync(path.join(ROOT, 'test')).filter((n) => n.endsWith('.test.ts'));
    for (const t of top) expect(statSync(path.join(ROOT, 'src', t.replace(/\.test\.ts$/, '.ts'))).isFile(), t).toBe(true);
  });
});
