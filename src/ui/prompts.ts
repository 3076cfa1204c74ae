/**
 * The questions dpf asks on a terminal (the only user of @inquirer/prompts besides the listr2
 * adapter in tty.ts). Loaded lazily; callers make sure a TTY exists before asking.
 */
export interface Choice<T extends string> {
  name: string;
  value: T;
}

export async function askText(message: string, opts: { default?: string; validate?: (v: string) => true | string } = {}): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message, default: opts.default, validate: opts.validate });
}

export async function askSelect<T extends string>(message: string, choices: Array<Choice<T>>, def?: T): Promise<T> {
  const { select } = await import('@inquirer/prompts');
  return select({ message, choices, default: def });
}

export async function askConfirm(message: string, def = false): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: def });
}
