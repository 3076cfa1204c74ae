/**
 * AWS schedule expressions, parsed for real: `cron(…)` in AWS's six-field form (minutes,
 * hours, day-of-month, month, day-of-week, year; one of the two day fields must be `?`),
 * checked by cron-validate's `aws-cloud-watch` preset, and `rate(value unit)` with the units
 * and singular/plural rule EventBridge documents
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html).
 * A wrong expression otherwise surfaces only when CloudFormation creates the resource, many
 * steps into a deploy.
 */
import cronModule from 'cron-validate';

type CronValidate = (cron: string, options: { preset: string }) => { isValid(): boolean; getError(): string[] };
// A CommonJS module with `exports.default`: Node's ESM loader gives `module.exports` as the default
// import, bundlers with interop (vitest) give `exports.default`.
const loaded = cronModule as unknown as CronValidate | { default: CronValidate };
const cronValidate: CronValidate = typeof loaded === 'function' ? loaded : loaded.default;

export interface ScheduleRules {
  /** Accept `rate(…)` too (AWS Backup takes cron only). Default false. */
  allowRate?: boolean;
  /**
   * Shortest interval the service accepts, in minutes. AWS Backup refuses rules that run more
   * often than hourly: with 60, the minutes field must be one fixed minute.
   */
  minIntervalMinutes?: number;
}

const RATE_UNITS: Record<string, number> = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 };

/** `undefined` when `expr` is a valid AWS cron expression body (without `cron(` `)`), else why not. */
export function cronProblem(body: string): string | undefined {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    return `has ${fields.length} field${fields.length === 1 ? '' : 's'}; AWS cron takes six: minutes hours day-of-month month day-of-week year, e.g. cron(0 5 ? * * *)`;
  const r = cronValidate(fields.join(' '), { preset: 'aws-cloud-watch' });
  if (r.isValid()) return undefined;
  // cron-validate names the field and the bound; drop its echo of the whole input.
  const reasons = [...new Set(r.getError().map((e) => e.replace(/\s*\(Input cron: '.*'\)\s*$/, '')))];
  return reasons.join('; ');
}

/** `undefined` when `body` (inside `rate(` `)`) is a valid rate, else why not. */
export function rateProblem(body: string): string | undefined {
  const m = /^([0-9]+) ([a-z]+)$/.exec(body.trim());
  if (!m) return 'must be rate(VALUE UNIT), e.g. rate(1 day) or rate(12 hours)';
  const [, digits, unit] = m as unknown as [string, string, string];
  const value = Number(digits);
  if (!(unit in RATE_UNITS)) return `unit "${unit}" is not one of minute(s), hour(s), day(s)`;
  if (!Number.isSafeInteger(value) || value < 1 || /^0/.test(digits)) return `the value must be a whole number of 1 or more, got ${digits}`;
  if (value === 1 && unit.endsWith('s')) return `with a value of 1 the unit is singular: rate(1 ${unit.slice(0, -1)})`;
  if (value > 1 && !unit.endsWith('s')) return `with a value over 1 the unit is plural: rate(${value} ${unit}s)`;
  return undefined;
}

/** `undefined` when `expr` is a valid schedule expression under `rules`, else a message naming what is wrong. */
export function scheduleProblem(expr: unknown, rules: ScheduleRules = {}): string | undefined {
  if (typeof expr !== 'string') return 'must be a string like cron(0 5 ? * * *)';
  const m = /^(cron|rate)\((.*)\)$/s.exec(expr.trim());
  if (!m) return `must be a cron(...)${rules.allowRate ? ' or rate(...)' : ''} expression, e.g. cron(0 5 ? * * *) (05:00 UTC daily)`;
  const [, kind, body] = m as unknown as [string, 'cron' | 'rate', string];
  if (kind === 'rate') {
    if (!rules.allowRate) return 'this schedule takes cron(...) only (the service does not accept rate expressions), e.g. cron(0 5 ? * * *)';
    const p = rateProblem(body);
    if (p) return p;
    const [value, unit] = body.trim().split(' ') as [string, string];
    const minutes = Number(value) * RATE_UNITS[unit]!;
    if (rules.minIntervalMinutes && minutes < rules.minIntervalMinutes)
      return `runs every ${minutes} minute(s); the shortest interval allowed is ${rules.minIntervalMinutes} minutes`;
    return undefined;
  }
  const p = cronProblem(body);
  if (p) return p;
  if (rules.minIntervalMinutes && rules.minIntervalMinutes >= 60 && !/^[0-9]{1,2}$/.test(body.trim().split(/\s+/)[0]!))
    return `the minutes field must be one fixed minute (e.g. 0): the service refuses schedules that run more often than every ${rules.minIntervalMinutes} minutes`;
  return undefined;
}
