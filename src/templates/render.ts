/**
 * Render a CloudFormation template for a set of parameter values, offline: conditions
 * evaluated, conditional resources and outputs dropped, intrinsic functions resolved — the
 * values AWS would see. The semantic checks (src/validate/) and the template tests read it.
 *
 * References that only exist at deploy time stay symbolic:
 *   Ref to a resource       → "{{Ref:Logical}}"
 *   Fn::GetAtt Logical.Attr → "{{Logical.Attr}}"
 */
export type Template = Record<string, any>;

export interface Pseudo {
  'AWS::Region': string;
  'AWS::AccountId': string;
  'AWS::Partition': string;
  'AWS::URLSuffix': string;
  'AWS::StackName': string;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** Defaults overlaid with `given`; every parameter must end up with a value (dpf passes all). */
export function parameterValues(tpl: Template, given: Record<string, string | number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, def] of Object.entries<any>(tpl.Parameters ?? {})) {
    if (name in given) out[name] = String(given[name]);
    else if (def.Default !== undefined) out[name] = Array.isArray(def.Default) ? def.Default.join(',') : String(def.Default);
    else throw new Error(`parameter ${name} has no default and was not given`);
  }
  for (const name of Object.keys(given)) {
    if (!(name in out)) throw new Error(`unknown parameter ${name}`);
  }
  return out;
}

interface Ctx {
  tpl: Template;
  params: Record<string, string>;
  pseudo: Pseudo;
  conditions: Record<string, boolean>;
}

function evalCondition(expr: any, ctx: Ctx, raw: Record<string, any>, seen: Set<string>): boolean {
  if (expr && typeof expr === 'object' && !Array.isArray(expr)) {
    const [fn, arg] = Object.entries<any>(expr)[0]!;
    switch (fn) {
      case 'Fn::Equals': {
        const [a, b] = arg.map((v: any) => resolve(v, ctx));
        return String(a) === String(b);
      }
      case 'Fn::Not':
        return !evalCondition(arg[0], ctx, raw, seen);
      case 'Fn::And':
        return arg.every((c: any) => evalCondition(c, ctx, raw, seen));
      case 'Fn::Or':
        return arg.some((c: any) => evalCondition(c, ctx, raw, seen));
      case 'Condition':
        return conditionValue(arg, ctx, raw, seen);
    }
  }
  throw new Error(`unsupported condition ${JSON.stringify(expr)}`);
}

function conditionValue(name: string, ctx: Ctx, raw: Record<string, any>, seen: Set<string>): boolean {
  if (name in ctx.conditions) return ctx.conditions[name]!;
  if (seen.has(name)) throw new Error(`condition cycle at ${name}`);
  if (!(name in raw)) throw new Error(`unknown condition ${name}`);
  seen.add(name);
  const value = evalCondition(raw[name], ctx, raw, seen);
  ctx.conditions[name] = value;
  return value;
}

function refValue(name: string, ctx: Ctx): string | typeof NO_VALUE {
  if (name === 'AWS::NoValue') return NO_VALUE;
  if (name in ctx.pseudo) return ctx.pseudo[name as keyof Pseudo];
  if (name in ctx.params) return ctx.params[name]!;
  if (name in (ctx.tpl.Resources ?? {})) return `{{Ref:${name}}}`;
  throw new Error(`Ref to unknown name ${name}`);
}

function substitute(text: string, vars: Record<string, any>, ctx: Ctx): string {
  return text.replace(/\$\{([^}]+)\}/g, (whole, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    if (inner in vars) return String(vars[inner]);
    if (inner.includes('.') && !inner.startsWith('AWS::')) return `{{${inner}}}`;
    const v = refValue(inner, ctx);
    if (v === NO_VALUE) throw new Error(`AWS::NoValue inside Fn::Sub: ${whole}`);
    return v;
  });
}

function resolve(value: any, ctx: Ctx): any {
  if (Array.isArray(value)) {
    return value.map((v) => resolve(v, ctx)).filter((v) => v !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const fn = keys[0]!;
    const arg = value[fn];
    switch (fn) {
      case 'Ref':
        return refValue(arg, ctx);
      case 'Fn::GetAtt': {
        const [res, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
        if (!(res in (ctx.tpl.Resources ?? {}))) throw new Error(`GetAtt on unknown resource ${res}`);
        return `{{${res}.${attr}}}`;
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return substitute(arg, {}, ctx);
        const [text, vars] = arg;
        return substitute(text, resolve(vars, ctx), ctx);
      }
      case 'Fn::Join': {
        const [delim, list] = arg;
        return resolve(list, ctx).join(delim);
      }
      case 'Fn::If': {
        const [cond, a, b] = arg;
        return resolve(ctx.conditions[cond] ? a : b, ctx);
      }
      case 'Fn::Base64':
        return resolve(arg, ctx);
      case 'Fn::Select': {
        const [i, list] = arg;
        return resolve(list, ctx)[Number(resolve(i, ctx))];
      }
      case 'Fn::Split': {
        const [delim, text] = arg;
        return String(resolve(text, ctx)).split(delim);
      }
      case 'Condition':
        return ctx.conditions[arg];
      default:
        if (fn.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${fn}`);
    }
  }
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = resolve(v, ctx);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

export interface RenderedResource {
  Type: string;
  Properties: Record<string, any>;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, any>;
  [k: string]: any;
}

export interface Rendered {
  params: Record<string, string>;
  conditions: Record<string, boolean>;
  /** Resources whose Condition holds, with Properties resolved. */
  resources: Record<string, RenderedResource>;
  outputs: Record<string, any>;
}

export function render(tpl: Template, given: Record<string, string | number>, pseudo: Pseudo): Rendered {
  const params = parameterValues(tpl, given);
  const ctx: Ctx = { tpl, params, pseudo, conditions: {} };
  const raw = tpl.Conditions ?? {};
  for (const name of Object.keys(raw)) conditionValue(name, ctx, raw, new Set());
  const active = (r: any) => r.Condition === undefined || ctx.conditions[r.Condition];
  const resources: Rendered['resources'] = {};
  for (const [id, r] of Object.entries<any>(tpl.Resources ?? {})) {
    if (!active(r)) continue;
    resources[id] = { ...r, Properties: resolve(r.Properties ?? {}, ctx) };
  }
  const outputs: Record<string, any> = {};
  for (const [id, o] of Object.entries<any>(tpl.Outputs ?? {})) {
    if (!active(o)) continue;
    outputs[id] = resolve(o.Value, ctx);
  }
  return { params, conditions: ctx.conditions, resources, outputs };
}

/** "{{Ref:X}}" or "{{X.Attr}}" → "X" (the logical id a rendered value points at); else undefined. */
export function referencedResource(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^\{\{(?:Ref:)?([A-Za-z0-9]+)(?:\.[^}]*)?\}\}$/.exec(value);
  return m?.[1];
}

export function ofType(r: Rendered, type: string): Array<[string, RenderedResource]> {
  return Object.entries(r.resources).filter(([, res]) => res.Type === type);
}

export function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
