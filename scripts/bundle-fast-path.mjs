#!/usr/bin/env node
// Part of `npm run build` (after tsc): bundles the code `dpf status --offline` runs on the fast
// entry (dist/commands/status.js and the modules it imports statically) into one ES module,
// dist/fast/status.js, which src/fast-entry.ts loads (issue 14, start-up). Node 20 resolves, reads
// and compiles every module of a graph one by one; about 30 small modules were most of the fast
// path's time. The code is the same (tsc's output, nothing rewritten); packages stay external
// imports (but two, below), and what the module imports on demand (the step graph, the config loader: only when the
// cache cannot answer, which the fast entry never lets happen) becomes chunks beside it.
// The bundle sits one folder below dist/, like dist/state/config-cache.js, so the build stamp the
// config cache takes from `../cli.js` is the same file in both (src/state/config-cache.ts).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const INLINED = new Set(['pretty-ms', 'parse-ms']);
const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
rmSync(path.join(dist, 'fast'), { recursive: true, force: true });
await build({
  input: path.join(dist, 'commands', 'status.js'),
  platform: 'node',
  logLevel: 'warn',
  // Packages (zod, yaml behind the chunks) load from node_modules as usual, except pretty-ms and
  // parse-ms: two small modules whose resolution (package.json exports) costs more than their code.
  external: (id) => !id.startsWith('.') && !path.isAbsolute(id) && !INLINED.has(id),
  output: { dir: path.join(dist, 'fast'), format: 'esm', entryFileNames: 'status.js', chunkFileNames: '[name]-[hash].js' },
});
