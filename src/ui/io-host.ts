/**
 * Builds the IoHost a command talks to: picks the renderer and decides how (and whether) to ask.
 *
 * Questions are serialised here: steps run concurrently (compute and storage reach their change
 * sets at the same moment), but the operator answers one question at a time. A question waits
 * its turn in a queue; the live view shows the step as waiting to ask, then steps aside for it.
 *
 * Ctrl-C inside a question arrives as a keypress (the prompt holds the terminal in raw mode, so
 * no SIGINT is raised): it is turned into the same abort as a SIGINT elsewhere (onInterrupt), and
 * the question fails with AbortError, so the run stops at a safe point and exits 130.
 */
import type { ConfirmRequest, IoHost, Prompter, TextQuestion } from '../io/host.js';
import type { DpfEvent } from '../io/events.js';
import { AbortError, NotConfirmedError } from '../errors.js';
import { JsonRenderer, PlainRenderer, type Renderer, type Write } from './renderers.js';
import type { TtyRenderer, TtyStream } from './tty.js';
import type { PromptContext } from './prompts.js';

export interface IoHostOptions {
  json: boolean;
  yes: boolean;
  /** stdin and stderr are terminals: live rendering and prompts are possible. */
  interactive: boolean;
  /** Colour level of the progress stream (stderr). */
  color: boolean | number;
  verbose: boolean;
  /** Only what needs attention: warnings, failures and the closing line (--quiet). */
  quiet?: boolean;
  now: () => Date;
  /** Progress goes here (stderr for humans; stdout for --json NDJSON). */
  progress: Write;
  events: Write;
  /** The terminal (stdin, stderr) for the live view and the questions; required when interactive. */
  terminal?: { input: NodeJS.ReadableStream; output: TtyStream & NodeJS.WritableStream };
  /** Aborted when dpf is stopping: a queued question is not asked, an open one is cancelled. */
  signal?: AbortSignal;
  /** Ctrl-C was pressed inside a question: stop the whole run as a SIGINT would. */
  onInterrupt?: () => void;
}

export class CliIoHost implements IoHost {
  private readonly renderer: Renderer;
  private readonly tty?: TtyRenderer;
  private queue: Promise<unknown> = Promise.resolve();
  readonly prompter?: Prompter;

  /**
   * The live view's code (log-update, cursor control) is loaded only when it will draw: a command
   * in a pipe, in CI or with --json starts without it (issue 14, start-up).
   */
  static async create(o: IoHostOptions): Promise<CliIoHost> {
    const live = !o.json && o.interactive && o.terminal && !o.quiet ? (await import('./tty.js')).TtyRenderer : undefined;
    return new CliIoHost(o, live);
  }

  private constructor(
    private readonly o: IoHostOptions,
    Live?: typeof TtyRenderer,
  ) {
    if (o.json) this.renderer = new JsonRenderer(o.events, o.now);
    else if (Live && o.terminal) this.renderer = this.tty = new Live(o.terminal.output, o.color, { yes: o.yes, now: () => o.now().getTime() });
    else this.renderer = new PlainRenderer(o.progress, o.now, o.color, o.verbose, o.quiet);
    if (o.interactive && !o.json && o.terminal) this.prompter = this.makePrompter();
  }

  get confirmsAll(): boolean {
    return this.o.yes;
  }

  notify(event: DpfEvent): void {
    this.renderer.notify(event);
  }

  private get promptContext(): PromptContext {
    return { input: this.o.terminal?.input, output: this.o.terminal?.output, signal: this.o.signal };
  }

  /** Run `ask` when every earlier question is answered; the live view steps aside meanwhile. */
  private serial<T>(stepId: string | undefined, ask: () => Promise<T>): Promise<T> {
    const turn = async (): Promise<T> => {
      if (this.o.signal?.aborted) throw new AbortError('Stopping: the question was not asked.');
      this.tty?.beginQuestion(stepId);
      try {
        return await ask();
      } catch (err) {
        const name = (err as { name?: string })?.name;
        if (name === 'ExitPromptError') {
          this.o.onInterrupt?.();
          throw new AbortError('Interrupted at a question (Ctrl-C): nothing was changed by it.');
        }
        if (name === 'AbortPromptError') throw new AbortError('Stopping: the open question was cancelled.');
        throw err;
      } finally {
        this.tty?.endQuestion();
      }
    };
    const mine = this.queue.then(turn, turn);
    this.queue = mine.catch(() => undefined);
    this.tty?.waitingToAsk(stepId);
    return mine;
  }

  async confirm(req: ConfirmRequest): Promise<boolean> {
    if (this.o.yes) return req.defaultAnswer ?? true;
    // Never prompt without a terminal (or into a JSON stream): say so instead of hanging.
    if (!this.o.interactive || this.o.json || !this.o.terminal) throw new NotConfirmedError(req.question, 'no-tty');
    return this.serial(req.stepId, async () => (await import('./prompts.js')).askConfirm(req.question, false, this.promptContext));
  }

  private makePrompter(): Prompter {
    return {
      text: (q: TextQuestion) => this.serial(undefined, async () => (await import('./prompts.js')).askText(q.message, q, this.promptContext)),
      select: (q) => this.serial(undefined, async () => (await import('./prompts.js')).askSelect(q.message, q.choices, q.default, this.promptContext)),
      confirm: (q) => this.serial(undefined, async () => (await import('./prompts.js')).askConfirm(q.message, q.default ?? false, this.promptContext)),
    };
  }

  async close(): Promise<void> {
    await this.renderer.close();
  }
}
