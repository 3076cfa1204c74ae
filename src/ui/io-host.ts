/** Builds the IoHost a command talks to: picks the renderer and decides how (and whether) to ask. */
import type { ConfirmRequest, DpfEvent, IoHost } from '../steps/events.js';
import { NotConfirmedError } from '../errors.js';
import { JsonRenderer, PlainRenderer, type Renderer, type Write } from './renderers.js';
import { TtyRenderer } from './tty.js';

export interface IoHostOptions {
  json: boolean;
  yes: boolean;
  /** stdin and stderr are terminals: live rendering and prompts are possible. */
  interactive: boolean;
  color: boolean;
  verbose: boolean;
  now: () => Date;
  /** Progress goes here (stderr for humans; stdout for --json NDJSON). */
  progress: Write;
  events: Write;
}

export class CliIoHost implements IoHost {
  private readonly renderer: Renderer;
  private readonly tty?: TtyRenderer;
  constructor(private readonly o: IoHostOptions) {
    if (o.json) this.renderer = new JsonRenderer(o.events, o.now);
    else if (o.interactive) this.renderer = this.tty = new TtyRenderer(o.progress, o.color);
    else this.renderer = new PlainRenderer(o.progress, o.now, o.color, o.verbose);
  }
  notify(event: DpfEvent): void {
    this.renderer.notify(event);
  }
  async confirm(req: ConfirmRequest): Promise<boolean> {
    if (this.o.yes) return req.defaultAnswer ?? true;
    // Never prompt without a terminal (or into a JSON stream): say so instead of hanging.
    if (!this.o.interactive || this.o.json) throw new NotConfirmedError(req.question, 'no-tty');
    const viaTask = await this.tty?.confirm(req.stepId, req.question);
    if (viaTask !== undefined) return viaTask;
    return (await import('./prompts.js')).askConfirm(req.question);
  }
  async close(): Promise<void> {
    await this.renderer.close();
  }
}
