/**
 * The IO protocol, part 2: the host the engine talks to — events out (notify), questions in
 * (confirm, prompter). src/ui/io-host.ts is the terminal's implementation; tests use a fake.
 */
import type { DpfEvent } from './events.js';

export interface ConfirmRequest {
  question: string;
  stepId?: string;
  /** What the answer is when --yes is given. */
  defaultAnswer?: boolean;
}

export interface TextQuestion {
  message: string;
  default?: string;
  /** Checked as the answer is typed (Enter): true, or the message shown under the prompt. */
  validate?: (value: string) => true | string;
}

/** Free-form questions (the init wizard); asked one at a time, like confirmations. */
export interface Prompter {
  text(q: TextQuestion): Promise<string>;
  select<T extends string>(q: { message: string; choices: Array<{ name: string; value: T }>; default?: T }): Promise<T>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
}

export interface IoHost {
  notify(event: DpfEvent): void;
  /**
   * Every confirmation is answered without asking (--yes): nobody reads what is shown before it is
   * done, so a new stack needs no change set (src/steps/stack-deployer/create.ts).
   */
  readonly confirmsAll?: boolean;
  /** Ask a yes/no question. Resolves true with --yes; throws NotConfirmedError without a TTY. */
  confirm(req: ConfirmRequest): Promise<boolean>;
  /** Called once the run is over so a live renderer can stop drawing. */
  close?(): Promise<void>;
  /** Questions beyond yes/no; only on a terminal (undefined otherwise). */
  prompter?: Prompter;
}
