/**
 * The bundled CloudFormation templates, as data: name → file, and the JSON body dpf sends.
 * Parameters are computed by the phase definitions (src/steps/phases.ts) from the config and
 * from earlier steps' outputs in the ledger.
 */
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCfnTemplate } from './cfn-yaml.js';

export const TEMPLATE_NAMES = ['bootstrap', 'network', 'compute', 'storage', 'identity', 'dns', 'monitoring', 'autoconfig', 'dr-vault'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Package root: dist/templates/registry.js (or src/templates/registry.ts) → two levels up. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CFN_DIR = path.join(PACKAGE_ROOT, 'templates', 'cloudformation');
export const ANSIBLE_DIR = path.join(PACKAGE_ROOT, 'templates', 'ansible');

export interface LoadedTemplate {
  name: string;
  file: string;
  template: Record<string, any>;
  /** Compact JSON, as sent to CloudFormation. */
  body: string;
  parameters: Record<string, { Type: string; Default?: unknown; NoEcho?: boolean }>;
  outputs: Record<string, { Value: unknown; Condition?: string }>;
}

const cache = new Map<string, LoadedTemplate>();

export function templateFile(name: string): string {
  return path.join(CFN_DIR, `${name}.yaml`);
}

export function loadTemplate(name: string): LoadedTemplate {
  const hit = cache.get(name);
  if (hit) return hit;
  const file = templateFile(name);
  if (!existsSync(file)) throw new Error(`bundled template ${name} is missing at ${file}`);
  const text = readFileSync(file, 'utf8');
  const template = precompiled(name, text) ?? parseCfnTemplate(text);
  const t: LoadedTemplate = {
    name,
    file,
    template,
    body: JSON.stringify(template),
    parameters: template.Parameters ?? {},
    outputs: template.Outputs ?? {},
  };
  cache.set(name, t);
  return t;
}

/**
 * Where `npm run build` leaves each template parsed (scripts/compile-templates.mjs): parsing the
 * YAML took most of an unchanged rerun's CPU time (issue 14). Next to this module in dist/ only.
 */
export const COMPILED_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'compiled');

export function templateDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A compiled entry's template when it was made from this very text (a template edited since the build is parsed again). */
export function compiledTemplate(entry: unknown, text: string): Record<string, any> | undefined {
  const c = entry as { sha256?: unknown; template?: unknown } | undefined;
  return c && c.sha256 === templateDigest(text) && c.template && typeof c.template === 'object' ? (c.template as Record<string, any>) : undefined;
}

function precompiled(name: string, text: string): Record<string, any> | undefined {
  try {
    return compiledTemplate(JSON.parse(readFileSync(path.join(COMPILED_DIR, `${name}.json`), 'utf8')), text);
  } catch {
    return undefined;
  }
}

/**
 * Every parameter the template declares, explicitly: dpf's values first, then the
 * template's defaults (emulators mishandle defaulted and UsePreviousValue parameters).
 * Throws naming any parameter with neither, or any value the template does not declare.
 */
export function fullParameters(t: LoadedTemplate, given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const unknown = Object.keys(given).filter((k) => !(k in t.parameters));
  if (unknown.length) throw new Error(`template ${t.name} has no parameter(s) ${unknown.join(', ')}`);
  const missing: string[] = [];
  for (const [k, p] of Object.entries(t.parameters)) {
    if (k in given) out[k] = given[k]!;
    else if (p.Default !== undefined) out[k] = Array.isArray(p.Default) ? p.Default.join(',') : String(p.Default);
    else missing.push(k);
  }
  if (missing.length) throw new Error(`template ${t.name} needs parameter(s) ${missing.join(', ')} that dpf did not compute`);
  return out;
}
