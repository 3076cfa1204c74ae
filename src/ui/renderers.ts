/**
 * One event stream, three views: NDJSON (--json), plain timestamped lines (no TTY: CI sees
 * progress as it happens), and listr2 on a TTY (tty.ts).
 */
import type { DpfEvent } from '../steps/events.js';
import { makeChalk, paintState, duration, changeLine } from './format.js';

export type Write = (line: string) => void;

export interface Renderer {
  notify(e: DpfEvent): void;
  close(): Promise<void>;
}

export class JsonRenderer implements Renderer {
  constructor(private readonly write: Write, private readonly now: () => Date) {}
  notify(e: DpfEvent): void {
    this.write(JSON.stringify({ time: this.now().toISOString(), ...e }));
  }
  async close(): Promise<void> {}
}

export class PlainRenderer implements Renderer {
  private readonly c;
  constructor(private readonly write: Write, private readonly now: () => Date, color: boolean, private readonly verbose = false) {
    this.c = makeChalk(color);
  }
  private line(stepId: string | undefined, text: string): void {
    const t = this.now().toISOString().slice(11, 19);
    this.write(`${this.c.dim(t)} ${stepId ? `${this.c.bold(stepId.padEnd(22))} ` : ''}${text}`);
  }
  notify(e: DpfEvent): void {
    const c = this.c;
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
        return this.line(e.stepId, `${c.green('✔ done')} in ${duration(e.durationSeconds)}${e.summary ? ` — ${e.summary}` : ''}`);
      case 'step-failed':
        this.line(e.stepId, `${c.red('✖ failed')}: ${e.error}`);
        if (e.rootCause) this.line(e.stepId, c.red(`  ${e.rootCause}`));
        return;
      case 'step-blocked':
        return this.line(e.stepId, c.gray(`○ not started: waiting for ${e.waitingFor.join(', ')}`));
      case 'changeset':
        this.line(e.stepId, `change set for ${c.bold(e.stackName)}:`);
        for (const ch of e.changes) this.line(e.stepId, `  ${changeLine(c, ch)}`);
        return;
      case 'warning':
        return this.line(e.stepId, c.yellow(`⚠ ${e.message}`));
      case 'info':
        return this.line(e.stepId, e.message);
      case 'run-done': {
        const counts = Object.entries(e.counts).map(([k, v]) => `${v} ${k}`).join(', ');
        const mark = e.status === 'done' ? c.green('✔') : e.status === 'interrupted' ? c.yellow('■') : c.red('✖');
        this.line(undefined, `${mark} ${e.status} in ${duration(e.durationSeconds)} (${counts})${e.resume ? ` — resume with: ${e.resume}` : ''}`);
        return;
      }
    }
  }
  async close(): Promise<void> {}
}
