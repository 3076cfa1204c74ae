/**
 * The basic ANSI styles of the views that must start fast (the status screen, which
 * src/fast-entry.ts draws without loading chalk, issue 14). The bytes are chalk 5's for one basic
 * style at any level ≥ 1 (its applyStyle: a close code inside the text re-opens the style, and a
 * line break closes it before and re-opens it after), the text unchanged at level 0;
 * test/ui/paint.test.ts compares the two. A chalk instance is a Paint too (ui/format.ts).
 */
import type { StateClass } from '../io/events.js';

const STYLES = {
  bold: ['\u001b[1m', '\u001b[22m'],
  red: ['\u001b[31m', '\u001b[39m'],
  green: ['\u001b[32m', '\u001b[39m'],
  yellow: ['\u001b[33m', '\u001b[39m'],
  blue: ['\u001b[34m', '\u001b[39m'],
  magenta: ['\u001b[35m', '\u001b[39m'],
  gray: ['\u001b[90m', '\u001b[39m'],
} as const;

export type Paint = Record<keyof typeof STYLES, (text: string) => string>;

function style(open: string, close: string): (text: string) => string {
  return (text) => {
    if (!text) return text;
    let s = text.includes('\u001b') ? text.split(close).join(close + open) : text;
    if (s.includes('\n')) s = s.replace(/\r?\n/g, (lf) => close + lf + open);
    return open + s + close;
  };
}

/** Styles for one stream: `true` = basic colours, or the level found for that stream (0: none). */
export function makePaint(color: boolean | number): Paint {
  const on = typeof color === 'number' ? color > 0 : color;
  const plain = (text: string) => text;
  return Object.fromEntries(Object.entries(STYLES).map(([name, [open, close]]) => [name, on ? style(open, close) : plain])) as Paint;
}

export function paintState(c: Paint, state: StateClass | undefined, text: string): string {
  switch (state) {
    case 'complete':
      return c.green(text);
    case 'in-progress':
      return c.yellow(text);
    case 'failed':
      return c.red(text);
    case 'cancelled':
      return c.gray(text);
    case 'pending':
      return c.blue(text);
    default:
      return text;
  }
}
