#!/usr/bin/env node
// Part of `npm run build` (after tsc): bundles the fast entry (dist/fast-entry.js) and the code
// `dpf status --offline` runs on it (dist/commands/status.js and what it imports statically) into
// one CommonJS file, dist/fast/entry.cjs, which bin/dpf (CommonJS too) requires (issue 14,
// start-up). Why CommonJS: Node 20 starts its ES-module loader for the first ES module it meets
// (resolution, linking and async reads of each module), which `node -e 0` never does; a CommonJS
// entry requiring one CommonJS file keeps the warm path off it. The code is the same (tsc's output,
// nothing rewritten but what the bundle format needs, below); packages stay external but three.
//
// What is not on the warm path stays out of the file, loaded on first use:
//  - the modules status imports on demand (the config loader and rules, the step graph, the
//    live checks: only when the cache cannot answer, which the fast entry never lets happen, or
//    online) stay `import()`s of their tsc output in dist/, so the bundle holds no second copy;
//    `./cli.js` (the full CLI, for whatever the fast path declines) the same;
//  - node:fs/promises (loading it loads readline and streams: ≈1.5 ms), node:tty (net and
//    streams: ≈4 ms; supports-color's, which runs only for a terminal or FORCE_COLOR),
//    node:module (≈0.5 ms) and node:os (≈0.25 ms) are required on the first call of one of their
//    functions; the warm path calls none of the first three, and node:os only for the home folder
//    (no DPF_CACHE_DIR) or a lock's host.
// `import.meta.url` becomes the URL of the module's own file in dist/, so the relative paths the
// modules name (../package.json, the build stamp's ../cli.js) mean what they mean unbundled; a
// default import of a builtin (`import path from 'node:path'`) becomes a plain require.
import { rmSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import * as tty from 'node:tty';
import * as nodeModule from 'node:module';
import * as os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const INLINED = new Set(['pretty-ms', 'parse-ms', 'supports-color']);
const ON_PATH = new Set(['supports-color', 'state/code-cache.js']);
const LAZY_BUILTINS = { 'node:fs/promises': fsPromises, 'node:tty': tty, 'node:module': nodeModule, 'node:os': os };
/** A default import of a builtin: bundled as is, it would be copied property by property into an ES namespace (≈0.3 ms for these). */
const DEFAULT_BUILTIN = /^import (\w+) from '(node:[\w/]+)';$/gm;
const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const out = path.join(dist, 'fast');
const slash = (p) => p.split(path.sep).join('/');

/**
 * A module standing for a builtin, which it requires on first use: its functions as named exports
 * (each requiring it on its first call; a module importing a class or a value by name fails the
 * build, a missing export, rather than getting something that is not the builtin's), and as the
 * default export an object whose every member is a getter of the builtin's.
 */
function lazyBuiltin(name) {
  const mod = LAZY_BUILTINS[name];
  const keys = Object.keys(mod).filter((k) => k !== 'default');
  const fns = keys.filter((k) => typeof mod[k] === 'function' && !/^[A-Z]/.test(k));
  return [
    `let m;`,
    `const load = () => (m ??= require(${JSON.stringify(name)}));`,
    ...fns.map((f) => `export const ${f} = (...a) => load().${f}(...a);`),
    `export default Object.defineProperties({}, {`,
    ...keys.map((k) => `  ${JSON.stringify(k)}: { get: () => load()[${JSON.stringify(k)}], enumerable: true },`),
    `});`,
  ].join('\n');
}

const plugin = {
  name: 'dpf-fast-path',
  resolveId(id, importer, extra) {
    if (id in LAZY_BUILTINS) return importer?.startsWith('\0lazy:') ? { id, external: true } : `\0lazy:${id}`;
    if (extra.kind !== 'dynamic-import' || ON_PATH.has(id) || !id.startsWith('.')) return null;
    const abs = path.resolve(path.dirname(importer), id);
    if (ON_PATH.has(slash(path.relative(dist, abs)))) return null;
    return { id: `./${slash(path.relative(out, abs))}`, external: true };
  },
  load(id) {
    return id.startsWith('\0lazy:') ? lazyBuiltin(id.slice('\0lazy:'.length)) : null;
  },
  transform(code, id) {
    let out = code.replace(DEFAULT_BUILTIN, (line, name, builtin) => (builtin in LAZY_BUILTINS ? line : `const ${name} = require('${builtin}');`));
    if (id.startsWith(dist) && out.includes('import.meta.url'))
      out = out.replaceAll(
        'import.meta.url',
        `new URL(${JSON.stringify(`../${slash(path.relative(dist, id))}`)}, require('node:url').pathToFileURL(__filename)).href`,
      );
    return out === code ? null : { code: out };
  },
};

rmSync(out, { recursive: true, force: true });
// Two files: the entry (fast-entry and what it imports statically: settings, the code cache,
// supports-color), which bin/dpf requires, and status (the command and what it imports
// statically), which the entry loads with V8's code cache (src/state/code-cache.ts). That one is
// written inside Node's CommonJS wrapper, `(function (exports, require, module, __filename,
// __dirname) {…})`, as the loader compiles it: wrapping it there would copy the whole text at
// every start. Both are ASCII without comments: V8 keeps such a text one byte per character, half
// the memory of the same text with one `…` in it (which, with the wrapper's copy, cost a garbage
// collection at every start). What either imports on demand and is on the path (supports-color)
// is inlined.
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];
for (const [file, input, wrap] of [
  ['entry.cjs', 'fast-entry.js', false],
  ['status.wrapped.cjs', 'commands/status.js', true],
])
  await build({
    input: path.join(dist, input),
    platform: 'node',
    logLevel: 'warn',
    plugins: [plugin],
    external: (id) => !id.startsWith('.') && !id.startsWith('\0') && !path.isAbsolute(id) && !INLINED.has(id) && !(id in LAZY_BUILTINS),
    output: {
      file: path.join(out, file),
      format: 'cjs',
      // ES modules are strict; their CommonJS bundle must say so.
      strict: true,
      codeSplitting: false,
      charset: 'ascii',
      comments: false,
      ...(wrap ? { postBanner: WRAPPER[0], postFooter: WRAPPER[1] } : {}),
    },
  });
