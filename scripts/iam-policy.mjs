#!/usr/bin/env node
// Regenerates docs/iam/ — the operator policy (src/iam/operator-policy.ts explains how) — from
// the SDK calls in src/aws/ and the handler permissions of the templates' resource types in the
// CloudFormation resource schemas shipped with cfn-lint (.venv). Run after `npm run build` and
// `bash tools/setup.sh`; test/iam/operator-policy.test.ts fails when docs/iam/ is out of date.
import { writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { operatorPolicyFiles } from '../dist/iam/generate.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'docs', 'iam');
// Generate first: a generator error leaves the published files as they were.
const files = Object.entries(operatorPolicyFiles(root));
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (/^dpf-operator-.*\.json$/.test(f)) rmSync(path.join(out, f));
for (const [name, body] of files) {
  writeFileSync(path.join(out, name), body);
  console.log(`docs/iam/${name}`);
}
