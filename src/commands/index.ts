/**
 * Commands beyond the foundation register here, each lazily importing its module.
 * Each block is owned by one area; keep them separate (anchors below).
 */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { PhaseId } from '../steps/types.js';

export interface OptionParsers {
  parsePhases: (v: string, prev?: PhaseId[]) => PhaseId[];
  parseIntOption: (name: string) => (v: string) => number;
  collect: (v: string, prev?: string[]) => string[];
}

export type MakeContext = (cmd: Command) => Promise<CommandContext>;

export function registerMoreCommands(program: Command, makeContext: MakeContext, p: OptionParsers): void {
  program
    .command('plan')
    .description('show what each phase would change (change sets, nothing executed) and the ETA along the critical path')
    .option('-p, --phase <phases>', 'phase(s) to plan, comma-separated', p.parsePhases)
    .addHelpText('after', '\nExamples:\n  dpf plan --env dev\n  dpf plan --env prod --phase compute --json')
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runPlan } = await import('./plan.js');
      await runPlan({ phases: o.phase }, ctx);
    });

  // <validate-doctor-commands>
  program
    .command('validate')
    .description('offline checks: the config file, the bundled templates (cfn-lint, checkov) and playbooks (syntax, ansible-lint)')
    .option('--skip-linters', 'only the config and template parsing (fast)')
    .addHelpText('after', '\nExamples:\n  dpf validate\n  dpf validate --skip-linters --json')
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runValidate } = await import('./validate.js');
      await runValidate({ skipLinters: o.skipLinters }, ctx);
    });
  program
    .command('doctor')
    .description('preflight: credentials, account pin, zones, AMIs, state backend, lock, local tools (read-only)')
    .addHelpText('after', '\nExamples:\n  dpf doctor --env prod --profile platform-admin\n  dpf doctor --env dev --json')
    .action(async (_o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runDoctor } = await import('./doctor.js');
      await runDoctor({}, ctx);
    });
  // </validate-doctor-commands>

  // <report-commands>
  // </report-commands>

  // <day2-commands>
  // </day2-commands>
}
