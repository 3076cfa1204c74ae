/**
 * An IoHost for tests: records every event and every question, and answers questions the
 * way the test says (yes, no, or "no terminal", which throws NotConfirmedError as the CLI's
 * host does without a TTY and without --yes).
 */
import type { ConfirmRequest, IoHost } from '../../src/io/host.js';
import type { DpfEvent } from '../../src/io/events.js';
import { NotConfirmedError } from '../../src/errors.js';

export type ConfirmAnswer = boolean | 'no-tty' | ((req: ConfirmRequest) => boolean | 'no-tty');

export class FakeIoHost implements IoHost {
  readonly events: DpfEvent[] = [];
  readonly questions: ConfirmRequest[] = [];
  /** Called after each event is recorded (e.g. to abort a run at a chosen moment). */
  onEvent?: (event: DpfEvent) => void;
  /**
   * IoHost.confirmsAll: what the CLI's host says under --yes. Default false: the answers above are
   * a person's (or a test's) at the prompt, so the deployer shows change sets first.
   */
  confirmsAll = false;

  /** @param answer what confirm() answers; default true (like --yes). */
  constructor(public answer: ConfirmAnswer = true) {}

  notify(event: DpfEvent): void {
    this.events.push(event);
    this.onEvent?.(event);
  }

  async confirm(req: ConfirmRequest): Promise<boolean> {
    this.questions.push(req);
    const a = typeof this.answer === 'function' ? this.answer(req) : this.answer;
    if (a === 'no-tty') throw new NotConfirmedError(req.question, 'no-tty');
    return a;
  }

  /** Events of one type, narrowed. */
  ofType<T extends DpfEvent['type']>(type: T): Array<Extract<DpfEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<DpfEvent, { type: T }> => e.type === type);
  }

  /** The `resource` part of step-progress events, in the order they were emitted. */
  resourceEvents(stepId?: string): Array<{ logicalId: string; type: string; status: string; reason?: string }> {
    return this.ofType('step-progress')
      .filter((e) => e.resource && (stepId === undefined || e.stepId === stepId))
      .map((e) => e.resource!);
  }

  /** Event types in order, optionally for one step: a compact trace to assert against. */
  trace(stepId?: string): string[] {
    return this.events.filter((e) => stepId === undefined || ('stepId' in e && e.stepId === stepId)).map((e) => e.type);
  }
}
