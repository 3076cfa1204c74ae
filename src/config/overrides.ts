/**
 * The `--set path=value` language of `dpf init`: a dotted path inside an environment, checked
 * against the environment schema (an unknown key is refused naming the known ones), and a value
 * typed by the schema's leaf (strings as typed, numbers and booleans as YAML scalars, lists split
 * on commas).
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { environmentSchema } from './schema.js';
import { UserError } from '../errors.js';

export interface SetOverride {
  /** As given on the command line (named in every message about it). */
  text: string;
  path: string[];
  value: unknown;
}

type AnySchema = z.ZodType & { _zod: { def: { type: string; innerType?: AnySchema; element?: AnySchema; shape?: Record<string, AnySchema> } } };

/** Through default / optional / prefault / nullable wrappers to the schema that types the value. */
function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  while (['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch'].includes(cur._zod.def.type) && cur._zod.def.innerType)
    cur = cur._zod.def.innerType;
  return cur;
}

function shapeOf(s: AnySchema): Record<string, AnySchema> | undefined {
  const u = unwrap(s);
  return u._zod.def.type === 'object' ? ((u as unknown as { shape: Record<string, AnySchema> }).shape ?? u._zod.def.shape) : undefined;
}

const scalar = (raw: string): unknown => {
  try {
    return parseYaml(raw) ?? raw;
  } catch {
    return raw;
  }
};

/** One value for a leaf schema: strings stay as typed; others are YAML scalars; lists split on commas. */
function valueFor(leaf: AnySchema, raw: string): unknown {
  const u = unwrap(leaf);
  const t = u._zod.def.type;
  if (t === 'string' || t === 'enum') return raw;
  if (t === 'array') {
    if (raw.trim().startsWith('[')) return scalar(raw);
    const el = u._zod.def.element ? unwrap(u._zod.def.element)._zod.def.type : 'string';
    const parts = raw
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    return parts.map((x) => (el === 'string' || el === 'enum' ? x : scalar(x)));
  }
  return scalar(raw);
}

/**
 * Parse `--set path=value` against the environment schema. Throws a UserError naming the --set
 * value when the path is not a key of the schema (or not `path=value` at all).
 */
export function parseSet(text: string): SetOverride {
  const eq = text.indexOf('=');
  const bad = (why: string, hint?: string) =>
    new UserError('BadSet', `--set ${text}: ${why}`, {
      hint: hint ?? 'Give --set path=value, path dotted inside the environment, e.g. --set compute.workers.max=8 (run dpf schema for every key).',
    });
  if (eq <= 0) throw bad('expected path=value');
  const pathText = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  const parts = pathText.split('.');
  if (parts.some((p) => !p)) throw bad(`"${pathText}" is not a dotted path`);
  let shape: Record<string, AnySchema> | undefined = environmentSchema.shape as unknown as Record<string, AnySchema>;
  let leaf: AnySchema | undefined;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i]!;
    const here = parts.slice(0, i).join('.') || 'the environment';
    if (!shape) throw bad(`${here} is not a section: it has no key "${key}"`);
    const next: AnySchema | undefined = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!next) throw bad(`unknown key "${key}" in ${here}`, `Known keys of ${here}: ${Object.keys(shape).join(', ')}.`);
    leaf = next;
    shape = shapeOf(next);
  }
  if (shape && !raw.startsWith('{'))
    throw bad(
      `${pathText} is a section, not a value`,
      `Set one of its keys: ${Object.keys(shape)
        .map((k) => `${pathText}.${k}`)
        .join(', ')}.`,
    );
  return { text, path: parts, value: shape ? scalar(raw) : valueFor(leaf!, raw) };
}

/** Write each override into `env` (creating the sections on its path), in order: the last wins. */
export function applySets(env: Record<string, unknown>, sets: SetOverride[]): Record<string, unknown> {
  for (const s of sets) {
    let cur = env;
    for (const key of s.path.slice(0, -1)) {
      const next = cur[key];
      cur = cur[key] = next && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
    }
    cur[s.path.at(-1)!] = s.value;
  }
  return env;
}
