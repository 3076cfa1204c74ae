/**
 * Flag parsing for the commander program: every value a flag takes is checked where it is
 * typed (exit 2, the flag and the value named), before any config is read or AWS called.
 * Commander reports these as "option '--x <v>' argument 'y' is invalid. <why>".
 */
import { InvalidArgumentError, type Command, type Option } from 'commander';
import { PHASES, type PhaseId } from '../steps/types.js';
import { excerpt, UserError } from '../errors.js';

/** `--phase a,b` (repeatable): each name must be a phase; an empty list is refused. */
export function parsePhases(value: string, previous: PhaseId[] = []): PhaseId[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.every((n) => n === '')) throw new InvalidArgumentError(`Name at least one phase: ${PHASES.join(', ')}.`);
  const out = [...previous];
  for (const p of names) {
    if (p === '') throw new InvalidArgumentError(`An empty phase name in ${excerpt(value)}; phases: ${PHASES.join(', ')}.`);
    if (!(PHASES as readonly string[]).includes(p)) throw new InvalidArgumentError(`Unknown phase ${excerpt(p)}; phases: ${PHASES.join(', ')}.`);
    if (!out.includes(p as PhaseId)) out.push(p as PhaseId);
  }
  return out;
}

/** A whole number flag within [min, max]. */
export function parseIntOption(name: string, bounds: { min?: number; max?: number } = {}) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be a whole number, got ${excerpt(v)}.`);
    const n = Number(v);
    if (bounds.min !== undefined && n < bounds.min) throw new InvalidArgumentError(`${name} must be ${bounds.min} or more, got ${n}.`);
    if (bounds.max !== undefined && n > bounds.max) throw new InvalidArgumentError(`${name} must be ${bounds.max} or less, got ${n}.`);
    return n;
  };
}

/**
 * `--region`: a region the SDK's partition data lists (typos get a suggestion). Run from the
 * program's preAction hook: the partition data is loaded only when the flag is given, so
 * `dpf --help` stays free of the SDK.
 */
export async function checkRegionFlag(v: string | undefined): Promise<void> {
  if (v === undefined) return;
  const { regionProblem } = await import('../config/regions.js');
  const p = regionProblem(v);
  if (p)
    throw new UserError('BadRegion', `--region: ${p}`, {
      hint: "Pass a region name such as us-west-2, or leave --region out to use the environment's region from the config.",
    });
}

/** Repeatable, comma-separated list flags (`--az a,b,c`, `--admin-cidr x --admin-cidr y`). */
export function collect(v: string, prev: string[] = []): string[] {
  return [
    ...prev,
    ...v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/**
 * Refuse a single-value flag given twice (`--env dev --env prod`): commander would silently
 * keep the last, and the operator may well have meant the first. Every value-taking option
 * of `program` and its subcommands is wrapped, except the `repeatable` ones (by long name).
 * Call once, after every command is registered.
 */
export function refuseRepeatedOptions(program: Command, repeatable: ReadonlySet<string>): void {
  const seen = new Set<string>();
  const wrap = (cmd: Command, opt: Option) => {
    if (!(opt.required || opt.optional) || opt.variadic || !opt.long || repeatable.has(opt.long)) return;
    const key = `${cmd.name()} ${opt.long}`;
    const inner = opt.parseArg as ((value: string, previous: unknown) => unknown) | undefined;
    opt.argParser((value: string, previous: unknown) => {
      if (seen.has(key)) throw new InvalidArgumentError(`${opt.long} was given more than once; it takes one value.`);
      seen.add(key);
      return inner ? inner(value, previous) : value;
    });
  };
  const walk = (cmd: Command) => {
    for (const opt of cmd.options as readonly Option[]) wrap(cmd, opt);
    for (const sub of cmd.commands as readonly Command[]) walk(sub);
  };
  walk(program);
}
