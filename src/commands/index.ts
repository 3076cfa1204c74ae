/** Commands beyond the foundation register here, each lazily importing its module. */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { PhaseId } from '../steps/types.js';

export interface OptionParsers {
  parsePhases: (v: string, prev?: PhaseId[]) => PhaseId[];
  parseIntOption: (name: string) => (v: string) => number;
  collect: (v: string, prev?: string[]) => string[];
}

export function registerMoreCommands(program: Command, makeContext: (cmd: Command) => Promise<CommandContext>, p: OptionParsers): void {
  void program;
  void makeContext;
  void p;
}
