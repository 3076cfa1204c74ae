/**
 * bin/dpf in a real pseudo-terminal, read through a terminal emulator: what an operator sees.
 *
 * A pty (node-pty, prebuilt by @lydell/node-pty) gives dpf a TTY on stdin and stderr, so it takes
 * its interactive paths (live view, prompts, raw-mode Ctrl-C) exactly as at a keyboard; the output
 * is fed to a headless xterm (@xterm/headless), so assertions are on the screen as drawn — after
 * cursor moves, erases and redraws — not on the raw byte stream.
 *
 * Pacing: keys are typed one at a time with a short gap (as a person types), and every wait is
 * for text to appear on the screen (bounded), never a fixed sleep standing in for an assertion:
 * the suite stays correct on a loaded machine, only slower.
 */
import { spawn, type IPty } from '@lydell/node-pty';
import xterm from '@xterm/headless';
import { DPF, awsEnv, type Emulator } from './harness.js';

const { Terminal } = xterm;

export const KEY = { enter: '\r', ctrlC: '\x03', down: '\x1b[B', up: '\x1b[A', backspace: '\x7f' } as const;

export interface PtyRun {
  /** The screen as the operator sees it now (visible rows). */
  screen(): string;
  /** Everything drawn so far, scrollback included. */
  history(): string;
  /**
   * Resolves when `pattern` is drawn (screen or scrollback) at least `times` times (default 1: a
   * second identical question waits with times 2); rejects after `timeoutMs`, or when dpf exits
   * first, with the whole screen in the message.
   */
  waitFor(pattern: RegExp | string, timeoutMs?: number, times?: number): Promise<void>;
  /** Resolves when `pred(screen)` holds for the visible screen; rejects after `timeoutMs` with the screen. */
  waitUntil(pred: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Type text at a human's pace (one key at a time). */
  type(text: string): Promise<void>;
  /** Send one key (or control sequence) as is. */
  press(key: string): void;
  resize(cols: number, rows: number): void;
  /** The exit code (signal exits as 128 + n); resolves once the process is gone. */
  exited: Promise<number>;
  kill(): void;
}

export interface PtyOptions {
  cwd: string;
  env?: Record<string, string>;
  cols?: number;
  rows?: number;
  /** Without it, no AWS endpoint is configured (offline commands). */
  emulator?: Emulator;
}

export function runInPty(args: string[], o: PtyOptions): PtyRun {
  const cols = o.cols ?? 120;
  const rows = o.rows ?? 40;
  const term = new Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true });
  const base: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TERM: 'xterm-256color',
    ...(o.emulator ? awsEnv(o.emulator) : {}),
    ...o.env,
  };
  // The screen is read as text; colour escapes are drawn by the emulator either way.
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  delete base.CI;
  const p: IPty = spawn(process.execPath, [DPF, ...args], { name: 'xterm-256color', cols, rows, cwd: o.cwd, env: { ...base, ...o.env } });
  let pending = Promise.resolve();
  p.onData((d) => {
    pending = pending.then(() => new Promise<void>((r) => term.write(d, r)));
  });
  const exited = new Promise<number>((resolve) => p.onExit(({ exitCode, signal }) => resolve(signal ? 128 + signal : exitCode)));
  let done = false;
  void exited.then(() => (done = true));

  const lines = (from: number, to: number) => {
    const b = term.buffer.active;
    const out: string[] = [];
    for (let i = from; i < to; i++) out.push(b.getLine(i)?.translateToString(true) ?? '');
    return out.join('\n');
  };
  const screen = () => lines(term.buffer.active.baseY, term.buffer.active.baseY + term.rows);
  const history = () => lines(0, term.buffer.active.length);

  return {
    screen,
    history,
    async waitFor(pattern, timeoutMs = 60_000, times = 1) {
      const deadline = Date.now() + timeoutMs;
      const re =
        typeof pattern === 'string'
          ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g')
          : new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
      // Rows are joined without breaks too, so a match that wrapped at the terminal's edge is found.
      const seen = () => Math.max((history().match(re) ?? []).length, (history().replace(/\n/g, '').match(re) ?? []).length);
      for (;;) {
        await pending;
        if (seen() >= times) return;
        if (done) {
          await pending;
          if (seen() >= times) return;
          throw new Error(`dpf exited before ${String(pattern)} appeared${times > 1 ? ` ${times} times` : ''}. Screen:\n${history()}`);
        }
        if (Date.now() > deadline)
          throw new Error(`${String(pattern)} did not appear${times > 1 ? ` ${times} times` : ''} within ${timeoutMs} ms. Screen:\n${history()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async waitUntil(pred, what, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await pending;
        if (pred(screen())) return;
        if (done || Date.now() > deadline)
          throw new Error(`${what}: not on the screen${done ? ' (dpf exited)' : ` within ${timeoutMs} ms`}. Screen:\n${screen()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async type(text) {
      for (const ch of text) {
        p.write(ch);
        await new Promise((r) => setTimeout(r, 15));
      }
    },
    press(key) {
      p.write(key);
    },
    resize(c, r) {
      p.resize(c, r);
      term.resize(c, r);
    },
    exited: exited.then(async (code) => {
      await pending;
      return code;
    }),
    kill() {
      if (!done) p.kill('SIGKILL');
    },
  };
}

/** Type an answer to the question on screen and press Enter, after clearing the default. */
export async function answer(run: PtyRun, question: RegExp | string, text: string, opts: { clear?: boolean; times?: number } = {}): Promise<void> {
  await run.waitFor(question, 60_000, opts.times ?? 1);
  if (opts.clear) {
    // Inquirer's input: Ctrl-U is not bound, but backspace over the default (tab fills it in first).
    run.press('\t');
    for (let i = 0; i < 60; i++) run.press(KEY.backspace);
  }
  await run.type(text);
  run.press(KEY.enter);
}
