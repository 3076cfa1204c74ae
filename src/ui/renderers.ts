/**
 * One event stream, three views: NDJSON (--json), plain timestamped lines (no TTY: CI sees
 * progress as it happens), and the live view on a TTY (tty.ts).
 */
import type { DpfEvent } from '../io/events.js';
import { makeChalk, paintState, duration, changeLine, runDoneLine, verdictMark, propertyLine, securityLines } from './format.js';

export type Write = (line: string) => void;

export interface Renderer {
  notify(e: DpfEvent): void;
  close(): Promise<void>;
}

export class JsonRenderer implements Renderer {
  constructor(
    private readonly write: Write,
    private readonly now: () => Date,
  ) {}
  notify(e: DpfEvent): void {
    this.write(JSON.stringify({ time: this.now().toISOString(), ...e }));
  }
  async close(): Promise<void> {}
}

export class PlainRenderer implements Renderer {
  private readonly c;
  /**
   * @param quiet only what needs attention (warnings, failures, declines, the closing line): --quiet
   */
  constructor(
    private readonly write: Write,
    private readonly now: () => Date,
    color: boolean | number,
    private readonly verbose = false,
    private readonly quiet = false,
  ) {
    this.c = makeChalk(color);
  }
  private line(stepId: string | undefined, text: string): void {
    const t = this.now().toISOString().slice(11, 19);
    this.write(`${this.c.dim(t)} ${stepId ? `${this.c.bold(stepId.padEnd(22))} ` : ''}${text}`);
  }
  notify(e: DpfEvent): void {
    const c = this.c;
    if (this.quiet && !['step-failed', 'step-declined', 'warning', 'run-done'].includes(e.type)) return;
    switch (e.type) {
      case 'run-start':
        return this.line(undefined, `dpf ${e.command} on ${c.bold(e.env)}: ${e.steps.length} step(s) — ${e.steps.map((s) => s.id).join(', ')}`);
      case 'step-start':
        return this.line(e.stepId, `${c.yellow('▶')} ${e.title}${e.reconcile ? c.yellow(' (reconciling an interrupted run)') : ''}`);
      case 'step-progress':
        return this.line(e.stepId, paintState(c, e.state, e.message));
      case 'step-skipped':
        return this.line(e.stepId, `${c.gray('↷ skipped')} ${c.gray(e.reason)}`);
      case 'step-done':
        return this.line(
          e.stepId,
          `${e.verdict ? verdictMark(c, e.verdict) : c.green('✔ done')} in ${duration(e.durationSeconds)}${e.summary ? ` — ${e.summary}` : ''}`,
        );
      case 'step-declined':
        return this.line(e.stepId, `${c.yellow('■ declined')}: ${e.message}`);
      case 'step-failed':
        this.line(e.stepId, `${c.red('✖ failed')}: ${e.error}`);
        if (e.rootCause) this.line(e.stepId, c.red(`  ${e.rootCause}`));
        return;
      case 'step-blocked':
        return this.line(e.stepId, c.gray(`○ not started: waiting for ${e.waitingFor.join(', ')}`));
      case 'changeset':
        this.line(e.stepId, `${e.source === 'template' ? 'to create in' : 'change set for'} ${c.bold(e.stackName)}:`);
        for (const ch of e.changes) {
          this.line(e.stepId, `  ${changeLine(c, ch)}`);
          for (const p of ch.properties ?? []) this.line(e.stepId, c.dim(`      ${propertyLine(p)}`));
        }
        for (const l of securityLines(c, e.security ?? [])) this.line(e.stepId, l);
        return;
      case 'warning':
        return this.line(e.stepId, c.yellow(`⚠ ${e.message}`));
      case 'info':
        return this.line(e.stepId, e.message);
      case 'run-done':
        return this.line(undefined, runDoneLine(c, e));
    }
  }
  async close(): Promise<void> {}
}
