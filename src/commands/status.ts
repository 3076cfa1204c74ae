/**
 * dpf status: where are we, what is next, what blocks it — in one screen. The facts are gathered
 * by src/status/facts.ts (ledger, lock, live AWS facts, each time-boxed) and drawn by
 * src/ui/status-view.ts; --json prints the document.
 */
import type { CommandContext } from '../context.js';
import { gatherStatus, type StatusQuery } from '../status/facts.js';
import { renderStatus } from '../ui/status-view.js';

export interface StatusOptions extends StatusQuery {
  /** Width of the human view (columns). Default: the terminal's, else 120; not a CLI option. */
  width?: number;
}

export async function runStatus(opts: StatusOptions, ctx: CommandContext): Promise<void> {
  const status = await gatherStatus(opts, ctx);
  if (ctx.globals.json) ctx.stdout(JSON.stringify(status.doc, null, 2));
  else ctx.stdout(renderStatus(status, { color: ctx.globals.color, width: opts.width ?? ctx.settings.columns, now: ctx.clock.now() }));
}
