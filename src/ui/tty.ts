/** The TTY view: a listr2 task per step, updated from the event stream; prompts go through listr2. */
import { Listr, type ListrTaskWrapper, type ListrDefaultRenderer, type ListrSimpleRenderer } from 'listr2';
import type { DpfEvent } from '../steps/events.js';
import type { Renderer, Write } from './renderers.js';
import { makeChalk, paintState, duration, changeLine } from './format.js';

type Wrapper = ListrTaskWrapper<unknown, ListrDefaultRenderer, ListrSimpleRenderer>;

interface Entry {
  title: string;
  wrapper?: Wrapper;
  ready: Promise<Wrapper>;
  setWrapper: (w: Wrapper) => void;
  settle: (err?: Error) => void;
  settled: boolean;
  promise: Promise<void>;
}

export class TtyRenderer implements Renderer {
  private readonly entries = new Map<string, Entry>();
  private running?: Promise<unknown>;
  private readonly c;
  constructor(private readonly fallback: Write, color: boolean) {
    this.c = makeChalk(color);
  }

  private start(steps: Array<{ id: string; title: string }>): void {
    for (const s of steps) {
      let settle!: (err?: Error) => void;
      let setWrapper!: (w: Wrapper) => void;
      const promise = new Promise<void>((res, rej) => (settle = (err) => (err ? rej(err) : res())));
      const ready = new Promise<Wrapper>((res) => (setWrapper = res));
      const entry: Entry = { title: `${s.id}  ${this.c.dim(s.title)}`, ready, setWrapper, settle, settled: false, promise };
      this.entries.set(s.id, entry);
    }
    const listr = new Listr(
      [...this.entries.entries()].map(([, e]) => ({
        title: e.title,
        task: (_ctx: unknown, task: Wrapper) => {
          e.wrapper = task;
          e.setWrapper(task);
          return e.promise;
        },
        rendererOptions: { persistentOutput: true, outputBar: 12 },
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false, showErrorMessage: true } },
    );
    this.running = listr.run().catch(() => undefined);
  }

  private finish(id: string, err?: Error): void {
    const e = this.entries.get(id);
    if (!e || e.settled) return;
    e.settled = true;
    e.settle(err);
  }

  notify(ev: DpfEvent): void {
    const c = this.c;
    if (ev.type === 'run-start') return this.start(ev.steps);
    const id = 'stepId' in ev ? ev.stepId : undefined;
    const e = id ? this.entries.get(id) : undefined;
    const w = e?.wrapper;
    switch (ev.type) {
      case 'step-start':
        if (w && ev.reconcile) w.output = c.yellow('reconciling an interrupted run');
        return;
      case 'step-progress':
        if (w) w.output = paintState(c, ev.state, ev.message);
        return;
      case 'changeset':
        if (w) {
          // On a terminal a long change set would push everything else off screen: replacements
          // and removals first (they matter most), then the first additions; `dpf plan` lists all.
          const rank = (ch: { action: string; replacement?: string }) => (ch.replacement === 'True' ? 0 : ch.action === 'Remove' ? 1 : ch.action === 'Modify' ? 2 : 3);
          const sorted = [...ev.changes].sort((a, b) => rank(a) - rank(b));
          const shown = sorted.slice(0, 15);
          const more = sorted.length - shown.length;
          w.output = [`change set for ${c.bold(ev.stackName)}:`, ...shown.map((ch) => `  ${changeLine(c, ch)}`), ...(more > 0 ? [c.dim(`  … and ${more} more (all of them: dpf plan, or --json)`)] : [])].join('\n');
        }
        return;
      case 'step-skipped':
        if (w) w.skip(`${e!.title} ${c.gray(`(${ev.reason})`)}`);
        return this.finish(ev.stepId);
      case 'step-done':
        if (w) w.title = `${e!.title} ${c.green(duration(ev.durationSeconds))}${ev.summary ? c.dim(` — ${ev.summary}`) : ''}`;
        return this.finish(ev.stepId);
      case 'step-failed':
        return this.finish(ev.stepId, new Error(`${ev.error}${ev.rootCause ? `\n${ev.rootCause}` : ''}`));
      case 'step-blocked':
        if (w) w.skip(`${e!.title} ${c.gray(`(not started: waiting for ${ev.waitingFor.join(', ')})`)}`);
        return this.finish(ev.stepId);
      case 'warning':
        if (w) w.output = c.yellow(`⚠ ${ev.message}`);
        else this.fallback(c.yellow(`⚠ ${ev.message}`));
        return;
      case 'info':
        if (w) w.output = ev.message;
        else this.fallback(ev.message);
        return;
      case 'run-done':
        for (const [sid, en] of this.entries) {
          if (!en.settled) {
            en.wrapper?.skip(`${en.title} ${c.gray('(interrupted)')}`);
            this.finish(sid);
          }
        }
        void this.running?.then(() => {
          const mark = ev.status === 'done' ? c.green('✔') : ev.status === 'interrupted' ? c.yellow('■') : c.red('✖');
          this.fallback(`${mark} ${ev.status} in ${duration(ev.durationSeconds)}${ev.resume ? ` — resume with: ${ev.resume}` : ''}`);
        });
        return;
    }
  }

  /** Ask inside the step's listr2 task so the live display and the prompt do not fight. */
  async confirm(stepId: string | undefined, question: string): Promise<boolean | undefined> {
    const e = stepId ? this.entries.get(stepId) : undefined;
    if (!e) return undefined;
    const w = await e.ready;
    const [{ ListrInquirerPromptAdapter }, { confirm }] = await Promise.all([import('@listr2/prompt-adapter-inquirer'), import('@inquirer/prompts')]);
    return (await w.prompt(ListrInquirerPromptAdapter).run(confirm, { message: question, default: false })) as boolean;
  }

  async close(): Promise<void> {
    for (const id of this.entries.keys()) this.finish(id);
    await this.running;
  }
}
