/**
 * The questions dpf asks on a terminal: the only user of @inquirer/prompts. Loaded lazily;
 * callers (the IO host) make sure a TTY exists and ask one question at a time. Questions are
 * drawn on the given output (stderr), so `dpf deploy > log` still asks on the terminal.
 */
export interface Choice<T extends string> {
  name: string;
  value: T;
}

/** Where a question is read and drawn, and what cancels it (Ctrl-C elsewhere, SIGTERM). */
export interface PromptContext {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

export async function askText(
  message: string,
  opts: { default?: string; validate?: (v: string) => true | string } = {},
  ctx: PromptContext = {},
): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message, default: opts.default, validate: opts.validate }, ctx);
}

export async function askSelect<T extends string>(message: string, choices: Array<Choice<T>>, def?: T, ctx: PromptContext = {}): Promise<T> {
  const { select } = await import('@inquirer/prompts');
  return select({ message, choices, default: def }, ctx);
}

export async function askConfirm(message: string, def = false, ctx: PromptContext = {}): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: def }, ctx);
}

/** Inquirer's answer to Ctrl-C inside a prompt (raw mode: no SIGINT reaches the process). */
export function isPromptInterrupt(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ExitPromptError';
}

/** A prompt cancelled through its signal (dpf is stopping for another reason). */
export function isPromptCancelled(err: unknown): boolean {
  return (err as { name?: string })?.name === 'AbortPromptError';
}
