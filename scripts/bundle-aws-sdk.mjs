#!/usr/bin/env node
// Part of `npm run build` (after tsc): the AWS SDK v3 clients dpf loads (src/aws/, the only layer
// that may import them) are hundreds of small modules (@aws-sdk/*, @smithy/*) that Node 20 resolves,
// reads and compiles one by one — about a second before a deploy's first change set, on every run
// (issue 14, makespan). Here every module of dist/aws/ that imports the SDK is rebuilt in place
// with its SDK code bundled: the same tsc output, the packages inlined, what the modules share put
// in chunks (dist/aws/sdk-chunks/), dpf's own modules (relative imports) left as imports so there is
// one copy of each (error classes are compared with instanceof). The tests run on src/ with the
// packages themselves; the e2e tests run this build.
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const aws = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'aws');
const SDK = /(?:from |import\()['"]@(?:aws-sdk|smithy)\//;
const entries = readdirSync(aws).filter((f) => f.endsWith('.js') && SDK.test(readFileSync(path.join(aws, f), 'utf8')));
const out = mkdtempSync(path.join(tmpdir(), 'dpf-aws-'));
await build({
  input: Object.fromEntries(entries.map((f) => [f.replace(/\.js$/, ''), path.join(aws, f)])),
  platform: 'node',
  logLevel: 'warn',
  // dpf's own modules stay separate modules (one copy each), imported by the same relative path.
  external: (id, importer) => id.startsWith('.') && importer !== undefined && path.dirname(importer) === aws,
  output: { dir: out, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'sdk-chunks/[name]-[hash].js', sourcemap: false },
});
rmSync(path.join(aws, 'sdk-chunks'), { recursive: true, force: true });
for (const f of readdirSync(out)) {
  rmSync(path.join(aws, `${f}.map`), { force: true });
  renameSync(path.join(out, f), path.join(aws, f));
}
rmSync(out, { recursive: true, force: true });
console.log(`bundled the AWS SDK into ${entries.length} modules of dist/aws/`);
