/**
 * V8's code cache for the fast path's status bundle (src/state/code-cache.ts): the module runs
 * the same whatever the kept file holds — nothing, another build's code, a truncated or altered
 * copy, data V8 refuses — and a folder that cannot be written only means nothing is kept.
 * In one process V8 reuses what it compiled from the same text and file without reading the kept
 * data, so 'used' here means the data passed the checks; that V8 really takes it in a new process
 * is shown end to end (test/fast-entry.test.ts: the kept file is not rewritten by the next run).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checksum, codeCacheFile, keptFor, loadWrappedModule, type CodeCacheUse } from '../../src/state/code-cache.js';

const owner = { pid: process.pid, uid: process.getuid?.() };
let dir: string;
let cacheDir: string;
let file: string;

/** A module in Node's wrapper, as the bundle script writes dist/fast/status.wrapped.cjs. */
const moduleText = (answer: number) =>
  [
    '(function (exports, require, module, __filename, __dirname) {',
    '"use strict";',
    'const path = require("node:path");',
    `exports.answer = () => ${answer};`,
    'exports.where = () => [path.basename(__filename), __dirname];',
    'exports.sibling = () => require("./sibling.cjs").value;',
    'exports.later = () => import("./later.mjs").then((m) => m.value);',
    'exports.strict = (function () { return this === undefined; })();',
    '\n})',
  ].join('\n');

interface Fixture {
  answer(): number;
  where(): [string, string];
  sibling(): string;
  later(): Promise<string>;
  strict: boolean;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-code-cache-'));
  cacheDir = path.join(dir, 'cache');
  file = path.join(dir, 'status.wrapped.cjs');
  writeFileSync(file, moduleText(42));
  writeFileSync(path.join(dir, 'sibling.cjs'), 'exports.value = "sibling";\n');
  writeFileSync(path.join(dir, 'later.mjs'), 'export const value = "later";\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Load, check the module is whole and runs as Node would run it, and return how the cache was used. */
async function loadAndCheck(expected = 42): Promise<{ use: CodeCacheUse; keep: () => void }> {
  const m = loadWrappedModule<Fixture>(file, cacheDir, owner);
  expect(m.exports.answer()).toBe(expected);
  expect(m.exports.where()).toEqual(['status.wrapped.cjs', dir]);
  expect(m.exports.sibling()).toBe('sibling');
  expect(await m.exports.later()).toBe('later');
  expect(m.exports.strict).toBe(true);
  return { use: m.cache, keep: m.keep };
}

const kept = () => codeCacheFile(cacheDir, file);
/** The kept file's header line and data. */
const parts = () => {
  const raw = readFileSync(kept());
  const nl = raw.indexOf(10);
  return { header: raw.subarray(0, nl + 1), data: raw.subarray(nl + 1) };
};

describe('Loading a module with V8’s code cache (issue 14, start-up)', () => {
  it('GIVEN no cache folder WHEN loaded THEN it runs and nothing is kept', async () => {
    const m = loadWrappedModule<Fixture>(file, undefined, owner);
    expect(m.cache).toBe('off');
    expect(m.exports.answer()).toBe(42);
    m.keep();
    expect(readdirSync(dir).sort()).toEqual(['later.mjs', 'sibling.cjs', 'status.wrapped.cjs']);
  });

  it('GIVEN nothing kept WHEN loaded, kept and loaded again THEN the second compile uses the kept code, whose data starts aligned', async () => {
    const first = await loadAndCheck();
    expect(first.use).toBe('absent');
    first.keep();
    const { header, data } = parts();
    expect(header.length % 8).toBe(0);
    expect(JSON.parse(header.toString('utf8'))).toEqual({ of: expect.stringContaining(file), bytes: data.length, sum: checksum(data) });
    const second = await loadAndCheck();
    expect(second.use).toBe('used');
    // Used code is not written again.
    const before = readFileSync(kept());
    second.keep();
    expect(readFileSync(kept()).equals(before)).toBe(true);
  });

  it.each<[string, CodeCacheUse, () => void]>([
    ['emptied', 'corrupt', () => writeFileSync(kept(), '')],
    ['not a header', 'corrupt', () => writeFileSync(kept(), 'garbage\n\u0001\u0002')],
    ['cut short', 'corrupt', () => writeFileSync(kept(), readFileSync(kept()).subarray(0, -100))],
    [
      'one byte of the data altered',
      'corrupt',
      () => {
        const raw = readFileSync(kept());
        raw[raw.length >> 1] ^= 0x20;
        writeFileSync(kept(), raw);
      },
    ],
    [
      'of another build of the file',
      'stale',
      () => {
        writeFileSync(file, moduleText(7));
      },
    ],
    [
      'whole but not V8’s (its checksum right)',
      'rejected',
      () => {
        // A text this process never compiled: V8 keeps what it compiled, and would not read the data at all.
        writeFileSync(file, moduleText(43));
        const junk = Buffer.alloc(parts().data.length, 0x5a);
        const line = `${JSON.stringify({ of: keptFor(file), bytes: junk.length, sum: checksum(junk) })}\n`;
        writeFileSync(kept(), Buffer.concat([Buffer.from(line), junk]));
      },
    ],
  ])('GIVEN kept code %s WHEN loaded THEN the module runs from its source (%s) and the code is kept anew', async (_what, use, spoil) => {
    (await loadAndCheck()).keep();
    spoil();
    const answer = Number(/=> (\d+);/.exec(readFileSync(file, 'utf8'))![1]);
    const spoiled = await loadAndCheck(answer);
    expect(spoiled.use).toBe(use);
    spoiled.keep();
    expect((await loadAndCheck(answer)).use).toBe('used');
  });

  it('GIVEN kept code in a file of another user WHEN loaded THEN it is not used, nor replaced', async () => {
    (await loadAndCheck()).keep();
    const before = readFileSync(kept());
    const m = loadWrappedModule<Fixture>(file, cacheDir, { pid: process.pid, uid: (process.getuid?.() ?? 0) + 1 });
    expect(m.cache).toBe('foreign');
    expect(m.exports.answer()).toBe(42);
    m.keep();
    expect(readFileSync(kept()).equals(before)).toBe(true);
  });

  it.each([
    ['the cache folder is a file', () => writeFileSync(cacheDir, 'not a folder')],
    ['the kept file’s name is a folder', () => mkdirSync(kept(), { recursive: true })],
  ])('GIVEN %s WHEN loaded and kept THEN the module runs, keeping fails quietly and leaves no temp file', async (_what, block) => {
    block();
    const m = await loadAndCheck();
    expect(m.use).not.toBe('used');
    expect(() => m.keep()).not.toThrow();
    expect((await loadAndCheck()).use).not.toBe('used');
    const names = readdirSync(dir, { recursive: true }) as string[];
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('checksum', () => {
  const bytes = Buffer.from(Array.from({ length: 1031 }, (_, i) => (i * 37) & 0xff));

  it.each([[0], [1], [2], [3], [4], [5]])('GIVEN the same bytes at offset %i of a buffer WHEN summed THEN the sum is the same', (offset) => {
    const shifted = Buffer.alloc(bytes.length + 8);
    bytes.copy(shifted, offset);
    expect(checksum(shifted.subarray(offset, offset + bytes.length))).toBe(checksum(bytes));
  });

  it.each([[0], [1], [513], [1027], [1030]])('GIVEN one bit of byte %i flipped WHEN summed THEN the sum differs', (at) => {
    const copy = Buffer.from(bytes);
    copy[at]! ^= 1;
    expect(checksum(copy)).not.toBe(checksum(bytes));
  });

  it('GIVEN a trailing zero byte WHEN summed THEN the sum differs (the length counts)', () => {
    expect(checksum(Buffer.concat([bytes, Buffer.from([0])]))).not.toBe(checksum(bytes));
  });
});
