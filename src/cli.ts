/**
 * The commander program: global flags, command wiring, and error → exit code. With
 * src/fast-entry.ts (which loads it for every invocation it does not answer itself, and reads the
 * process settings both share) the only module that touches `process`. Commands are imported lazily, so `dpf --help` and
 * `dpf --version` load neither the AWS SDK nor any command's code.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { DpfError, ExitCode, errorMessage } from './errors.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { colorLevel, readSettings } from './fast-entry.js';
import { checkRegionFlag, collect, parseIntOption, parsePhases, refuseRepeatedOptions } from './commands/options.js';
import { registerFoundationCommands } from './commands/foundation.js';
import type { MakeContext } from './commands/index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const EXIT_HELP = `
Exit codes:
  0    success                      5    ledger corrupt or written by a newer dpf
  1    unexpected error             6    confirmation needed (no TTY, no --yes) or declined
  2    bad usage or invalid config  7    AWS credentials or endpoint problem
  3    a step failed                8    blocked: a phase it depends on is not done,
                                         or AWS drifted from a saved plan (deploy --plan)
  4    environment locked by another operator      130  interrupted (Ctrl-C); rerun to resume
  dpf plan: 0 no changes, 2 changes pending, 1 bad usage/config, other codes as above
`;

/** Flags that may be given more than once (they collect); every other value flag is refused when repeated. */
const REPEATABLE = new Set(['--phase', '--az', '--admin-cidr', '--set']);

/** What one run of dpf shares between its signal handlers, the command context and the exit path. */
interface RunState {
  controller: AbortController;
  onSignal: (sig: string) => void;
  globals?: GlobalOptions;
  /** Closes the IO host (a live view still drawing steps aside). */
  close?: () => Promise<void>;
  exitCode: number;
}

function installSignalHandlers(controller: AbortController): (sig: string) => void {
  let interrupts = 0;
  const onSignal = (sig: string) => {
    interrupts += 1;
    if (interrupts > 1) {
      process.stderr.write(`\n${sig} again: exiting now. The ledger keeps the step as running; the next run reconciles it.\n`);
      process.exit(ExitCode.Interrupted);
    }
    process.stderr.write(`\n${sig}: stopping at the next safe point (press Ctrl-C again to force)…\n`);
    controller.abort();
  };
  // dpf's only signal handlers: nothing else (no renderer) may exit the process on a signal, so
  // every Ctrl-C goes through the abort path (safe point, ledger saved, lock released, exit 130).
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return onSignal;
}

/**
 * The command context of one command: global options, settings, the IO host and the AWS ports.
 * offline: the command makes no AWS call (status --offline), so ~/.aws is not read at start (issue 14, start-up).
 */
async function makeContext(run: RunState, cmd: Command, o: { offline?: boolean } = {}): Promise<CommandContext> {
  const g = cmd.optsWithGlobals() as Record<string, unknown>;
  const colorFlag = g.color !== false;
  const globals: GlobalOptions = {
    env: g.env as string | undefined,
    profile: (g.profile as string | undefined) ?? undefined,
    region: g.region as string | undefined,
    config: (g.config as string | undefined) ?? process.env.DPF_CONFIG ?? 'dpf.config.yaml',
    json: Boolean(g.json),
    yes: Boolean(g.yes),
    verbose: Boolean(g.verbose),
    quiet: Boolean(g.quiet),
    color: await colorLevel(process.stdout, colorFlag),
  };
  run.globals = globals;
  // --profile X is AWS_PROFILE=X for everything the SDK reads: credentials (SSO, roles), region, endpoint_url.
  if (globals.profile) process.env.AWS_PROFILE = globals.profile;
  const [{ CliIoHost }, { systemClock }, { sdkPorts }] = await Promise.all([import('./ui/io-host.js'), import('./clock.js'), import('./aws/factory.js')]);
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const io = await CliIoHost.create({
    json: globals.json,
    yes: globals.yes,
    interactive,
    color: await colorLevel(process.stderr, colorFlag),
    verbose: globals.verbose,
    quiet: globals.quiet,
    now: () => new Date(),
    progress: (line) => process.stderr.write(`${line}\n`),
    // With --json, `deploy` streams its NDJSON events on stdout (the stream is its output);
    // every other command prints one result object on stdout and its events go to stderr.
    events: cmd.name() === 'deploy' ? (line) => process.stdout.write(`${line}\n`) : (line) => process.stderr.write(`${line}\n`),
    terminal: interactive ? { input: process.stdin, output: process.stderr } : undefined,
    signal: run.controller.signal,
    onInterrupt: () => run.onSignal('Ctrl-C'),
  });
  run.close = () => io.close();
  // The AWS CLI conventions (profile, region chain, endpoint), from the flags, the environment and ~/.aws.
  const resolve = async () =>
    (await import('./aws/profile.js')).resolveAwsSettings({ flagProfile: globals.profile, flagRegion: globals.region, env: process.env });
  const aws = o.offline ? undefined : await resolve();
  // The profile's endpoint_url applies like AWS_ENDPOINT_URL (which wins when both are set).
  if (aws?.endpointSource === 'profile' && aws.endpointUrl) process.env.AWS_ENDPOINT_URL = aws.endpointUrl;
  let later: ReturnType<typeof resolve> | undefined;
  const awsSettings = async () => aws ?? (later ??= resolve());
  const settings = readSettings(aws ? aws.endpointUrl : process.env.AWS_ENDPOINT_URL || undefined);
  return {
    globals,
    settings,
    io,
    clock: systemClock,
    signal: run.controller.signal,
    aws: (region) => sdkPorts(region, { awsSettings, endpoint: settings.endpoint }),
    awsSettings,
    stdout: (text) => process.stdout.write(`${text}\n`),
    isTTY: interactive,
    exitCode: (code) => {
      run.exitCode = code;
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  // The pinned SDK supports Node 20 (package.json engines); its notice about future releases is noise on every command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = new AbortController();
  const run: RunState = { controller, onSignal: installSignalHandlers(controller), exitCode: ExitCode.Ok };
  const wantsJson = argv.includes('--json');
  const program = new Command('dpf');
  // Every subcommand's --help lists the global options too (they are accepted after the command).
  program.configureHelp({ showGlobalOptions: true });
  // Under --json a usage error is one JSON object on stdout (report() writes it), not commander's text.
  if (wantsJson) program.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  const context: MakeContext = (cmd, o) => makeContext(run, cmd, o);

  configureGlobalOptions(program);
  registerFoundationCommands(program, context);
  registerSchema(program);
  const { registerMoreCommands } = await import('./commands/index.js');
  registerMoreCommands(program, context, { parsePhases, parseIntOption: (name) => parseIntOption(name, { min: 1 }), collect });
  refuseRepeatedOptions(program, REPEATABLE);
  registerCompletion(program);

  process.exitCode = await parseAndReport(program, argv, run, wantsJson);
}

/** Runs the command line; returns the exit code (the command's, or the error's). */
async function parseAndReport(program: Command, argv: string[], run: RunState, wantsJson: boolean): Promise<number> {
  let code: number = ExitCode.Ok;
  try {
    await program.parseAsync(argv);
    code = run.exitCode;
  } catch (err) {
    // A live view still drawing must step aside before the error is printed.
    await run.close?.().catch(() => undefined);
    code = report(err, run.globals, wantsJson);
    // `dpf plan` exits 2 for "changes pending" (terraform's -detailed-exitcode): there a usage or
    // config error exits 1, so a CI gate never reads a typo as "changes".
    const commandName = argv.slice(2).find((a) => program.commands.some((c) => c.name() === a));
    if (commandName === 'plan' && code === ExitCode.Usage) code = ExitCode.Internal;
  } finally {
    await run.close?.().catch(() => undefined);
  }
  return code;
}

function configureGlobalOptions(program: Command): void {
  program
    .description('Deploy and operate the AWS Data Platform Foundation: resumable phases, CloudFormation, Ansible over SSM, day-2 operations.')
    .version(pkg.version, '-V, --version')
    .option('-e, --env <name>', 'environment from the config file (dev, staging, prod, …)')
    .option('--profile <name>', 'AWS named profile (default: the standard credential chain)')
    .option('--region <region>', "AWS region (default: the environment's region in the config)")
    .option('-c, --config <file>', 'config file (default: dpf.config.yaml, or DPF_CONFIG)')
    .option('--json', 'machine output: NDJSON events while running, one JSON object for results')
    .option('-y, --yes', 'answer yes to every confirmation (CI); without a TTY dpf never prompts')
    .option('--verbose', 'show stack traces and debug detail')
    .option('-q, --quiet', 'print only warnings, failures and results (no progress)')
    .option('--no-color', 'disable colours (NO_COLOR is honoured; FORCE_COLOR forces them)')
    .addHelpText(
      'after',
      `\nExamples:\n  dpf init --env dev --defaults --yes\n  dpf plan --env dev\n  dpf deploy --env dev --yes\n  dpf deploy --env dev --phase network\n  dpf status --env dev --json\n  dpf unlock --env dev\n  source <(dpf completion bash)\n${EXIT_HELP}\nAWS: as the AWS CLI v2 — --profile is AWS_PROFILE (credentials, SSO, region, endpoint_url);\nregion: --region > AWS_REGION > AWS_DEFAULT_REGION > the profile's region (init's default; an\nenvironment's region in the config file pins where it lives); AWS_ENDPOINT_URL > the profile's endpoint_url.`,
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Flags whose check needs data loaded on demand (the SDK's region list): before any action runs.
    .hook('preAction', async (_program, action) => {
      await checkRegionFlag(action.optsWithGlobals().region as string | undefined);
    });
}

function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of the config file (for editors)')
    .action(async () => {
      const { configJsonSchema } = await import('./config/schema.js');
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}

function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (commands, options, phases, environments)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      '\nExamples:\n  source <(dpf completion bash)                      # this shell\n  dpf completion bash > /etc/bash_completion.d/dpf   # every shell\n  dpf completion zsh > "${fpath[1]}/_dpf"            # zsh (then: autoload -U compinit && compinit)',
    )
    .action(async (shell: string) => {
      const { completionScript } = await import('./completion.js');
      process.stdout.write(completionScript(program, shell));
    });
  // Hidden: what the completion scripts call for values that live in the config file.
  program
    .command('__complete', { hidden: true })
    .argument('<what>')
    .action(async (what: string) => {
      const { completeValues } = await import('./completion.js');
      const words = await completeValues(what, process.env.DPF_CONFIG ?? 'dpf.config.yaml');
      if (words.length) process.stdout.write(`${words.join('\n')}\n`);
    });
}

function report(err: unknown, g: GlobalOptions | undefined, wantsJson: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
    // commander printed the message, unless --json asked for it as JSON.
    if (wantsJson)
      process.stdout.write(
        `${JSON.stringify({ error: { code: 'Usage', exitCode: ExitCode.Usage, message: err.message.replace(/^error: /, ''), details: [], hint: 'run with --help for usage' } })}\n`,
      );
    return ExitCode.Usage;
  }
  const json = g?.json ?? wantsJson;
  if (err instanceof DpfError) {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ error: { code: err.code, exitCode: err.exitCode, message: err.message, details: err.details, hint: err.hint } })}\n`,
      );
    else {
      process.stderr.write(`\nError: ${err.message}\n`);
      for (const d of err.details) process.stderr.write(`  ${d}\n`);
      if (err.hint) process.stderr.write(`\n${err.hint}\n`);
      if (g?.verbose && err.cause) process.stderr.write(`\ncause: ${(err.cause as Error)?.stack ?? String(err.cause)}\n`);
    }
    return err.exitCode;
  }
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'Internal', exitCode: 1, message: errorMessage(err) } })}\n`);
  else {
    process.stderr.write(`\nUnexpected error: ${errorMessage(err)}\n`);
    if (g?.verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write('(run with --verbose for the stack trace)\n');
  }
  return ExitCode.Internal;
}
