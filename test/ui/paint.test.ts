/** ui/paint.ts draws the status screen without chalk: its bytes must be chalk's (the full CLI used chalk there before). */
import { describe, it, expect } from 'vitest';
import { Chalk } from 'chalk';
import { makePaint, type Paint } from '../../src/ui/paint.js';

const STYLES: Array<keyof Paint> = ['bold', 'red', 'green', 'yellow', 'blue', 'magenta', 'gray'];
const inner = new Chalk({ level: 1 });
const TEXTS = [
  '',
  'plain',
  `a ${inner.red('red')} word and ${inner.bold('bold')} one`,
  `${inner.gray('gray')}${inner.green('green')}`,
  'two\nlines',
  'crlf\r\nlines\n',
  `${inner.yellow('nested\nover lines')} tail`,
];

describe('makePaint', () => {
  it.each([0, 1, 2, 3, true, false])('GIVEN colour %j WHEN each style paints each text THEN the bytes are chalk 5’s', (color) => {
    const chalk = new Chalk({ level: typeof color === 'number' ? (color as 0 | 1 | 2 | 3) : color ? 1 : 0 });
    const paint = makePaint(color);
    for (const style of STYLES) for (const text of TEXTS) expect(JSON.stringify(paint[style](text))).toBe(JSON.stringify(chalk[style](text)));
  });
});
