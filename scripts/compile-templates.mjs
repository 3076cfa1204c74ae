#!/usr/bin/env node
// Part of `npm run build`, after tsc: parse each bundled CloudFormation template once and keep the
// result next to the registry (dist/templates/compiled/<name>.json) with the digest of the YAML it
// came from. dpf reads it instead of parsing the YAML when the digest matches (src/templates/registry.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
const dist = new URL('../dist/templates/', import.meta.url);
const { TEMPLATE_NAMES, COMPILED_DIR, templateFile, templateDigest } = await import(new URL('registry.js', dist).href);
const { parseCfnTemplate } = await import(new URL('cfn-yaml.js', dist).href);
mkdirSync(COMPILED_DIR, { recursive: true });
for (const name of TEMPLATE_NAMES) {
  const text = readFileSync(templateFile(name), 'utf8');
  writeFileSync(path.join(COMPILED_DIR, `${name}.json`), JSON.stringify({ sha256: templateDigest(text), template: parseCfnTemplate(text) }));
}
