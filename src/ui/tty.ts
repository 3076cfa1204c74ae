/**
 * The live view on a terminal. What it shows, and why:
 *
 * - A live region at the bottom, redrawn in place (log-update): only the steps that are running
 *   and the steps waiting with a reason (for the operator's answer), then one line of counts.
 *   Pending steps are counted, not drawn: 31 spinners at once hide the one that matters.
 * - Everything that finished is printed once above the region and scrolls like a log: done
 *   (green only for a real success), skipped, declined (not a failure), failed (red), and a
 *   check's verdict as itself — `unknown` is never green.
 * - A question steps the live view aside: the region is cleared and the redraw stops, the step's
 *   change set (and any security-widening change) is printed right above the question, and lines
 *   from other steps are held back until the answer, so the prompt is never overdrawn.
 * - Every line is cut to the terminal's width and the region to its height; a resize redraws.
 *
 * listr2 drew every step as a concurrent task (all spinning), could not step aside for one of
 * several concurrent prompts ("Only one prompt can be active"), and exited 127 on Ctrl-C from its
 * own signal handler; this view keeps the policy here and leaves the drawing to log-update.
 */
import { stripVTControlCharacters } from 'node:util';
import { createLogUpdate } from 'log-update';
import ansiEscapes from 'ansi-escapes';
import cliTruncate from 'cli-truncate';
import type { ChalkInstance } from 'chalk';
import type { ChangeView, DpfEvent } from '../io/events.js';
import type { Renderer } from './renderers.js';
import { makeChalk, paintState, duration, changeLine, runDoneLine, verdictMark, propertyLine, securityLines } from './format.js';

/** The terminal stream the view draws on (stderr). */
export interface TtyStream {
  write(chunk: string): boolean;
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
  /** The terminal's size asked now (tty.WriteStream: an ioctl), ahead of the SIGWINCH that updates `columns`. */
  getWindowSize?(): [number, number];
}

interface Live {
  id: string;
  title: string;
  startedAt: number;
  message?: string;
  state?: Parameters<typeof paintState>[1];
  /** Waiting for the operator (its question is queued behind another one). */
  waitingToAsk?: boolean;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** On a terminal a long change set would push everything off screen: the first lines, the rest via `dpf plan`. */
const SHOWN_CHANGES = 15;

export class TtyRenderer implements Renderer {
  private readonly c: ChalkInstance;
  private readonly log: ReturnType<typeof createLogUpdate>;
  private readonly running = new Map<string, Live>();
  private readonly titles = new Map<string, string>();
  private readonly pendingChanges = new Map<string, Extract<DpfEvent, { type: 'changeset' }>>();
  private readonly held: string[] = [];
  private total = 0;
  private finished = 0;
  private asking = false;
  private timer?: NodeJS.Timeout;
  private frame = 0;
  private closed = false;
  /** Whether log-update ever drew (and so hid the cursor); a view that drew nothing writes nothing on close. */
  private everDrawn = false;
  /** The region as last drawn (already cut to the width of that moment). */
  private drawn: string[] = [];
  /** The width the region was last drawn at. */
  private drawnWidth = 0;
  private readonly onResize = () => {
    this.reflow();
    this.draw();
  };

  /**
   * A narrower terminal reflows the region's lines onto more rows than log-update counted:
   * erase the rows they occupy now, forget log-update's count, so the next draw starts clean.
   * Run on 'resize' and also by draw() when the size asked now differs from the drawn width: a
   * tick between the terminal's resize and Node's SIGWINCH would otherwise erase by the old
   * count and leave the top of the reflowed region on screen (seen under load in the pty test).
   */
  private reflow(): void {
    const width = this.width;
    const rows = this.drawn.reduce((n, l) => n + Math.max(1, Math.ceil(stripVTControlCharacters(l).length / width)), 0);
    if (this.drawn.length) this.stream.write(ansiEscapes.eraseLines(rows + 1));
    this.drawn = [];
    this.log.done();
  }

  constructor(
    private readonly stream: TtyStream,
    color: boolean | number,
    private readonly o: { yes: boolean; now: () => number } = { yes: false, now: () => Date.now() },
  ) {
    this.c = makeChalk(color);
    this.log = createLogUpdate(stream as unknown as NodeJS.WriteStream);
  }

  private get width(): number {
    let now: number | undefined;
    try {
      now = this.stream.getWindowSize?.()[0];
    } catch {
      now = undefined; // not a terminal any more (closed): fall back to the last known width
    }
    // The smaller of the two: log-update wraps by `columns`, so a line must fit both until SIGWINCH lands.
    const known = this.stream.columns || 80;
    return Math.max(20, now ? Math.min(now, known) : known);
  }

  private fit(line: string): string {
    return cliTruncate(line, this.width, { position: 'end' });
  }

  /** A line that stays (above the live region); held back while a question is on screen. */
  private print(...lines: string[]): void {
    if (this.asking) {
      this.held.push(...lines);
      return;
    }
    this.clearRegion();
    for (const l of lines) this.stream.write(`${l}\n`);
    this.draw();
  }

  private clearRegion(): void {
    this.log.clear();
    this.drawn = [];
  }

  private startTicking(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      this.frame = (this.frame + 1) % SPINNER.length;
      this.draw();
    }, 120);
    this.timer.unref?.();
    this.stream.on?.('resize', this.onResize);
  }

  private stopTicking(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stream.off?.('resize', this.onResize);
  }

  private draw(): void {
    if (this.asking || this.closed || !this.timer) return;
    if (this.drawn.length && this.width !== this.drawnWidth) this.reflow();
    const c = this.c;
    const now = this.o.now();
    const rows = Math.max(4, (this.stream.rows ?? 24) - 2);
    const active = [...this.running.values()];
    const lines: string[] = [];
    const idWidth = Math.min(24, Math.max(0, ...active.map((l) => l.id.length)));
    for (const l of active.filter((x) => !x.waitingToAsk)) {
      const head = `${c.yellow(SPINNER[this.frame])} ${c.bold(l.id.padEnd(idWidth))} ${c.dim(duration((now - l.startedAt) / 1000).padStart(7))}`;
      lines.push(`${head}  ${l.message ? paintState(c, l.state, l.message) : c.dim(l.title)}`);
    }
    for (const l of active.filter((x) => x.waitingToAsk))
      lines.push(`${c.cyan('?')} ${c.bold(l.id.padEnd(idWidth))} ${c.cyan('waiting to ask you: another question is open')}`);
    if (lines.length > rows - 1) {
      const more = lines.length - (rows - 2);
      lines.splice(rows - 2, lines.length, c.dim(`  … and ${more} more running`));
    }
    const toGo = Math.max(0, this.total - this.finished - active.length);
    lines.push(c.dim(`${active.length} running · ${this.finished} finished · ${toGo} to go · Ctrl-C stops at a safe point`));
    this.drawn = lines.map((l) => this.fit(l));
    this.drawnWidth = this.width;
    this.everDrawn = true;
    this.log(this.drawn.join('\n'));
  }

  private changeSetLines(ev: Extract<DpfEvent, { type: 'changeset' }>): string[] {
    const c = this.c;
    const rank = (ch: ChangeView) => (ch.replacement === 'True' ? 0 : ch.action === 'Remove' ? 1 : ch.action === 'Modify' ? 2 : 3);
    const sorted = [...ev.changes].sort((a, b) => rank(a) - rank(b));
    const shown = sorted.slice(0, SHOWN_CHANGES);
    const more = sorted.length - shown.length;
    const out = [`${c.bold(ev.stepId)}: ${ev.source === 'template' ? 'to create in' : 'change set for'} ${c.bold(ev.stackName)}:`];
    for (const ch of shown) {
      out.push(`  ${changeLine(c, ch)}`);
      for (const p of (ch.properties ?? []).slice(0, 5)) out.push(c.dim(`      ${propertyLine(p)}`));
    }
    if (more > 0) out.push(c.dim(`  … and ${more} more (all of them: dpf plan, or --json)`));
    const security = securityLines(c, ev.security ?? []);
    out.push(...security.slice(0, SHOWN_CHANGES + 1));
    if (security.length > SHOWN_CHANGES + 1)
      out.push(c.yellow(`    … and ${security.length - SHOWN_CHANGES - 1} more that widen access (all of them: dpf plan)`));
    return out.map((l) => this.fit(l));
  }

  notify(ev: DpfEvent): void {
    const c = this.c;
    switch (ev.type) {
      case 'run-start':
        this.total = ev.steps.length;
        for (const s of ev.steps) this.titles.set(s.id, s.title);
        this.startTicking();
        this.draw();
        return;
      case 'step-start':
        this.running.set(ev.stepId, {
          id: ev.stepId,
          title: ev.title,
          startedAt: this.o.now(),
          message: ev.reconcile ? 'reconciling an interrupted run' : undefined,
          state: ev.reconcile ? 'in-progress' : undefined,
        });
        this.draw();
        return;
      case 'step-progress': {
        const l = this.running.get(ev.stepId);
        if (l) {
          l.message = ev.message;
          l.state = ev.state;
        }
        return this.draw();
      }
      case 'changeset':
        if (this.o.yes) this.print(...this.changeSetLines(ev));
        else this.pendingChanges.set(ev.stepId, ev);
        return;
      case 'step-skipped':
        return this.end(ev.stepId, `${c.gray('↷')} ${c.gray(`${ev.stepId}  skipped: ${ev.reason}`)}`);
      case 'step-done': {
        const mark = ev.verdict ? verdictMark(c, ev.verdict) : c.green('✔');
        return this.end(ev.stepId, `${mark} ${c.bold(ev.stepId)}  ${c.dim(duration(ev.durationSeconds))}${ev.summary ? `  ${ev.summary}` : ''}`);
      }
      case 'step-declined':
        return this.end(ev.stepId, `${c.yellow('■')} ${c.bold(ev.stepId)}  declined: nothing was changed`);
      case 'step-failed':
        return this.end(ev.stepId, `${c.red('✖')} ${c.bold(ev.stepId)}  ${c.red(ev.error)}`, ...(ev.rootCause ? [c.red(`    ${ev.rootCause}`)] : []));
      case 'step-blocked':
        return this.end(ev.stepId, `${c.gray('○')} ${c.gray(`${ev.stepId}  not started: waiting for ${ev.waitingFor.join(', ')}`)}`);
      case 'warning': {
        const l = ev.stepId ? this.running.get(ev.stepId) : undefined;
        if (l) {
          l.message = `⚠ ${ev.message}`;
          l.state = 'in-progress';
        }
        return this.print(this.fit(c.yellow(`⚠ ${ev.stepId ? `${ev.stepId}: ` : ''}${ev.message}`)));
      }
      case 'info': {
        const l = ev.stepId ? this.running.get(ev.stepId) : undefined;
        if (l) {
          l.message = ev.message;
          return this.draw();
        }
        return this.print(ev.message);
      }
      case 'run-done':
        for (const id of [...this.running.keys()])
          this.end(id, `${c.yellow('■')} ${c.bold(id)}  ${c.gray('stopped (interrupted): the next run reconciles it')}`);
        this.print(runDoneLine(c, ev));
        this.stopTicking();
        this.clearRegion();
        this.log.done();
        return;
    }
  }

  private end(id: string, ...lines: string[]): void {
    if (this.running.delete(id) || this.titles.has(id)) this.finished += 1;
    this.titles.delete(id);
    this.pendingChanges.delete(id);
    this.print(...lines.map((l) => this.fit(l)));
  }

  /** A question for `stepId` waits for another one to be answered. */
  waitingToAsk(stepId: string | undefined): void {
    const l = stepId ? this.running.get(stepId) : undefined;
    if (l) l.waitingToAsk = true;
    this.draw();
  }

  /** Step aside: clear the live region, stop redrawing, and print what the question is about. */
  beginQuestion(stepId: string | undefined): void {
    const l = stepId ? this.running.get(stepId) : undefined;
    if (l) l.waitingToAsk = false;
    this.clearRegion();
    const cs = stepId ? this.pendingChanges.get(stepId) : undefined;
    if (cs) {
      this.pendingChanges.delete(stepId!);
      for (const line of this.changeSetLines(cs)) this.stream.write(`${line}\n`);
    }
    const queued = [...this.running.values()].filter((x) => x.waitingToAsk && x.id !== stepId).map((x) => x.id);
    if (queued.length)
      this.stream.write(
        `${this.fit(this.c.cyan(`(then ${queued.length === 1 ? 'one more question waits' : `${queued.length} more questions wait`}, one at a time: ${queued.join(', ')})`))}\n`,
      );
    this.asking = true;
  }

  /** The answer is in: print what was held back and resume the live region. */
  endQuestion(): void {
    this.asking = false;
    this.clearRegion();
    for (const l of this.held.splice(0)) this.stream.write(`${l}\n`);
    this.draw();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // A command that emitted nothing (status) leaves the terminal as it found it: no erase, no
    // cursor-show code on stderr — so `dpf status --offline` prints the same on a terminal as the
    // fast entry, which has no live view (src/fast-entry.ts, issue 14).
    if (!this.everDrawn && !this.asking) {
      this.stopTicking();
      this.closed = true;
      return;
    }
    if (this.asking) this.endQuestion();
    this.stopTicking();
    this.clearRegion();
    this.log.done();
    this.closed = true;
  }
}
