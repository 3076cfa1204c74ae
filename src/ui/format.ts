/** Shared formatting for the renderers. The only place (with tty.ts/prompts) that uses chalk. */
import { Chalk, type ChalkInstance } from 'chalk';
import type { ChangeView, CheckVerdictStatus, DpfEvent, SecurityChange } from '../io/events.js';
import { formatDuration } from '../duration.js';

/** The state colours (in paint.ts, so the status screen draws them without chalk); a chalk instance is a Paint. */
export { paintState } from './paint.js';

/** A chalk for one stream: `true` = basic colours, or the level supports-color found for that stream. */
export function makeChalk(color: boolean | number): ChalkInstance {
  const level = typeof color === 'number' ? color : color ? 1 : 0;
  return new Chalk({ level: Math.max(0, Math.min(3, level)) as 0 | 1 | 2 | 3 });
}

/** A check's verdict as a mark: only a pass is green; unknown is a question, never a tick. */
export function verdictMark(c: ChalkInstance, v: CheckVerdictStatus): string {
  switch (v) {
    case 'pass':
      return c.green('✔ pass');
    case 'warn':
      return c.yellow('⚠ warn');
    case 'unknown':
      return c.magenta('? unknown');
    case 'fail':
      return c.red('✖ fail');
  }
}

/**
 * The run's closing line. It counts unknown checks next to the steps (a run whose checks could
 * not be verified is not "all done" in green), and carries no resume command: the error printed
 * after it names that once.
 */
export function runDoneLine(c: ChalkInstance, ev: Extract<DpfEvent, { type: 'run-done' }>): string {
  const unknown = ev.verdicts?.unknown ?? 0;
  const order = ['done', 'skipped', 'declined', 'failed', 'blocked', 'interrupted'];
  const counts = Object.entries(ev.counts)
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([k, v]) => `${v} ${k}`);
  if (ev.verdicts)
    counts.push(
      ...Object.entries(ev.verdicts)
        .filter(([k]) => k !== 'pass')
        .map(([k, v]) => c.bold(`${v} check(s) ${k === 'unknown' ? 'unknown (not verified)' : k}`)),
    );
  const mark = ev.status === 'done' ? (unknown ? c.magenta('?') : c.green('✔')) : ev.status === 'interrupted' ? c.yellow('■') : c.red('✖');
  const what = ev.status === 'done' && unknown ? 'done, with unverified checks,' : ev.status;
  return `${mark} ${what} in ${duration(ev.durationSeconds)} (${counts.join(', ')})`;
}

export function duration(seconds: number | undefined): string {
  return formatDuration(seconds);
}

export function changeLine(c: ChalkInstance, ch: ChangeView): string {
  const sign = ch.action === 'Add' ? c.green('+') : ch.action === 'Remove' ? c.red('-') : ch.replacement === 'True' ? c.bgRed.white('±') : c.yellow('~');
  const rep =
    ch.action === 'Modify' && ch.replacement === 'True'
      ? c.red.bold('  REPLACEMENT')
      : ch.action === 'Modify' && ch.replacement === 'Conditional'
        ? c.yellow('  may be replaced')
        : '';
  return `${sign} ${ch.action.padEnd(6)} ${ch.logicalId.padEnd(34)} ${c.dim(ch.resourceType)}${rep}`;
}

export function propertyLine(p: NonNullable<ChangeView['properties']>[number]): string {
  const values = p.before !== undefined || p.after !== undefined ? `: ${p.before ?? '∅'} → ${p.after ?? '∅'}` : '';
  return `${p.change === 'Add' ? '+' : p.change === 'Remove' ? '-' : '~'} ${p.path}${values}${p.recreation && p.recreation !== 'Never' ? ` (recreation: ${p.recreation})` : ''}`;
}

export function securityLines(c: ChalkInstance, sec: SecurityChange[]): string[] {
  if (!sec.length) return [];
  return [
    c.yellow.bold(`  ⚠ ${sec.length} change(s) widen access (review before you answer):`),
    ...sec.map((s) => c.yellow(`    ${s.kind === 'ingress' ? 'ingress' : 'IAM    '} ${s.logicalId} (${s.resourceType}): ${s.description}`)),
  ];
}
