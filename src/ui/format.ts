/** Shared formatting for the renderers. The only place (with tty.ts/prompts) that uses chalk. */
import { Chalk, type ChalkInstance } from 'chalk';
import type { StateClass } from '../steps/events.js';

export function makeChalk(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

export function paintState(c: ChalkInstance, state: StateClass | undefined, text: string): string {
  switch (state) {
    case 'complete': return c.green(text);
    case 'in-progress': return c.yellow(text);
    case 'failed': return c.red(text);
    case 'cancelled': return c.gray(text);
    case 'pending': return c.blue(text);
    default: return text;
  }
}

export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function changeLine(c: ChalkInstance, ch: { action: string; logicalId: string; resourceType: string; replacement?: string }): string {
  const sign = ch.action === 'Add' ? c.green('+') : ch.action === 'Remove' ? c.red('-') : ch.replacement === 'True' ? c.bgRed.white('±') : c.yellow('~');
  const rep = ch.action === 'Modify' && ch.replacement === 'True' ? c.red.bold('  REPLACEMENT') : ch.action === 'Modify' && ch.replacement === 'Conditional' ? c.yellow('  may be replaced') : '';
  return `${sign} ${ch.action.padEnd(6)} ${ch.logicalId.padEnd(34)} ${c.dim(ch.resourceType)}${rep}`;
}
