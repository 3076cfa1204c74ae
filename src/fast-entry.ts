/**
 * dpf's entry module (bin/dpf loads it first). It answers the invocations it can answer exactly as
 * the full CLI would — `dpf --version` and `dpf status --offline` with the global options that
 * mean something offline — from a module graph without commander, the AWS SDK, the YAML parser,
 * the config schema and rules, chalk or cli-table3 (issue 14: start-up). Everything else, and
 * anything it cannot answer identically (no cached config, a config file changed since, an
 * unreadable ledger, a region mismatch, an unknown or repeated flag, --help), goes to src/cli.ts,
 * which prints the real output or error and fills the cache. Nothing is written before the answer
 * is whole, so falling through never leaves half an answer behind.
 *
 * Like src/cli.ts it reads `process` (the second of the two modules allowed to, see
 * eslint.config.js): the process settings both paths use are read here, once, so they cannot
 * differ between them. DPF_TEST_FAST_PATH (a test hook, read only here): `off` sends every
 * invocation to the full CLI; `only` makes an invocation the fast path declines exit 97 naming
 * why, instead of falling through (so a test proves which path answered).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from './context.js';
import type * as StatusCommand from './commands/status.js';
import { parsePollMs, type ProcessInfo, type Settings } from './settings.js';

/** What the fast path answers: the version, or status --offline with these globals. */
export type Invocation =
  { kind: 'version' } | { kind: 'status'; env?: string; config?: string; json: boolean; color: boolean; quiet: boolean; verbose: boolean; yes: boolean };

/** Exit code of a declined invocation under DPF_TEST_FAST_PATH=only (no dpf exit code uses it). */
export const DECLINED_EXIT = 97;

/** Short flags of the global options the fast path knows, by their long name. */
const SHORT: Record<string, string> = { '-e': '--env', '-c': '--config', '-q': '--quiet', '-y': '--yes' };
const VALUE_FLAGS = new Set(['--env', '--config']);
const BOOLEAN_FLAGS = new Set(['--json', '--no-color', '--quiet', '--verbose', '--yes']);

/**
 * The invocation when it is one the fast path answers; undefined otherwise. Only exact forms:
 * a flag given twice, a value that looks like a flag, `--flag=value` on a boolean, a short-flag
 * cluster, --region/--profile (the region is checked against the SDK's list), --drift, --help or
 * any other word go to the full CLI.
 */
export function recognise(args: readonly string[]): Invocation | undefined {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return { kind: 'version' };
  const seen = new Set<string>();
  const values: Record<string, string> = {};
  let command: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : (SHORT[arg] ?? arg);
    if (seen.has(flag)) return undefined;
    seen.add(flag);
    if (VALUE_FLAGS.has(flag)) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (!value || value.startsWith('-')) return undefined;
      values[flag] = value;
    } else if (eq > 0) return undefined;
    else if (flag === 'status' && command === undefined) command = flag;
    else if (flag === '--offline' && command === 'status') continue;
    else if (!BOOLEAN_FLAGS.has(flag)) return undefined;
  }
  if (command !== 'status' || !seen.has('--offline')) return undefined;
  return {
    kind: 'status',
    env: values['--env'],
    config: values['--config'],
    json: seen.has('--json'),
    color: !seen.has('--no-color'),
    quiet: seen.has('--quiet'),
    verbose: seen.has('--verbose'),
    yes: seen.has('--yes'),
  };
}

/** Whether a process of this host still runs (signal 0 probes without signalling; EPERM: it runs as another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** AWS_ENDPOINT_URL_<SERVICE> overrides (the SDK's service-specific endpoints), by service suffix. */
function serviceEndpoints(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v && k.startsWith('AWS_ENDPOINT_URL_')) out[k.slice('AWS_ENDPOINT_URL_'.length)] = v;
  return out;
}

/**
 * Everything dpf reads from its process, read here once for both paths (src/settings.ts). The
 * endpoint is the one the SDK will use — AWS_ENDPOINT_URL, else the profile's endpoint_url — so
 * the full CLI passes it once the AWS settings are resolved.
 */
export function readSettings(endpointUrl: string | undefined): Settings {
  const env = process.env;
  const hold = env.DPF_TEST_HOLD_STEP || env.DPF_TEST_HOLD_STEP_START;
  let host: string | undefined;
  const me: ProcessInfo = {
    pid: process.pid,
    // Asked only to judge a lock (the fast path's bundle then loads node:os: issue 14, start-up).
    get host() {
      return (host ??= os.hostname());
    },
    isAlive: isProcessAlive,
  };
  return {
    pollMs: parsePollMs(env.DPF_POLL_MS),
    pollMaxMs: parsePollMs(env.DPF_POLL_MAX_MS),
    endpoint: { url: endpointUrl, services: serviceEndpoints(env) },
    testHold: hold
      ? { afterExecute: env.DPF_TEST_HOLD_STEP || undefined, atStart: env.DPF_TEST_HOLD_STEP_START || undefined, ms: Number(env.DPF_TEST_HOLD_MS ?? 600000) }
      : undefined,
    columns: process.stdout.columns || undefined,
    cacheDir: env.DPF_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'dpf'),
    path: (env.PATH ?? '').split(path.delimiter).filter(Boolean),
    process: me,
  };
}

/**
 * Colour for one stream: off with --no-color; FORCE_COLOR wins next (a CI log that renders
 * colour); then NO_COLOR; then what supports-color finds for that stream (a TTY, TERM, CI).
 * Decided per stream: `dpf status | cat` gets no escape codes while stderr may still have colour.
 * A pipe without FORCE_COLOR is answered here with supports-color's own rule (no colour unless
 * Azure Pipelines' TF_BUILD and AGENT_NAME), so the usual offline cases load nothing.
 */
export async function colorLevel(stream: NodeJS.WriteStream, flag: boolean): Promise<number> {
  const env = process.env;
  if (!flag) return 0;
  if (env.FORCE_COLOR === undefined && env.NO_COLOR) return 0;
  if (!('FORCE_COLOR' in env) && !stream.isTTY && !('TF_BUILD' in env && 'AGENT_NAME' in env)) return 0;
  const { createSupportsColor } = await import('supports-color');
  const s = createSupportsColor(stream, { sniffFlags: false });
  return s ? s.level : 0;
}

/** Why the fast path gave an invocation to the full CLI (DPF_TEST_FAST_PATH=only prints it). */
class Declined extends Error {}

type StatusModule = typeof StatusCommand;

/** What the fast path prints, and what to do once it is printed. */
interface Answer {
  text: string;
  after?: () => void;
}

/**
 * The status command's module: the build's CommonJS bundle of it (scripts/bundle-fast-path.mjs:
 * the same code as one file, dist/fast/status.wrapped.cjs), compiled with V8's code cache kept in the cache folder
 * (src/state/code-cache.ts), else the module itself (the sources under test). `keep` stores the
 * compiled code when the cache did not answer; called once the status is printed.
 */
async function statusModule(settings: Settings): Promise<{ module: StatusModule; keep: () => void }> {
  const bundle = fileURLToPath(new URL('./fast/status.wrapped.cjs', import.meta.url));
  if (!existsSync(bundle)) return { module: await import('./commands/status.js'), keep: () => undefined };
  // On demand: the full CLI imports this module for readSettings and colorLevel, and needs none of it (the bundle inlines it).
  const { loadWrappedModule } = await import('./state/code-cache.js');
  const loaded = loadWrappedModule<StatusModule>(bundle, settings.cacheDir, { pid: settings.process.pid, uid: process.getuid?.() });
  return { module: loaded.exports, keep: loaded.keep };
}

/** `dpf status --offline` from the cache and the local ledger, through the same code as the full CLI; the text to print, or Declined. */
async function statusOffline(inv: Extract<Invocation, { kind: 'status' }>): Promise<Answer> {
  const settings = readSettings(process.env.AWS_ENDPOINT_URL || undefined);
  const { module, keep } = await statusModule(settings);
  const out: string[] = [];
  // The offline status emits no event and asks nothing; if it ever did, the full CLI's IO host must draw it.
  const refuse = (): never => {
    throw new Declined('the command used the IO host');
  };
  const ctx: CommandContext = {
    globals: {
      env: inv.env,
      config: inv.config ?? process.env.DPF_CONFIG ?? 'dpf.config.yaml',
      json: inv.json,
      yes: inv.yes,
      verbose: inv.verbose,
      quiet: inv.quiet,
      color: await colorLevel(process.stdout, inv.color),
    },
    settings,
    io: { notify: refuse, confirm: refuse },
    // Status reads the time only; nothing on the offline path waits.
    clock: { now: () => new Date(), sleep: async () => refuse() },
    signal: new AbortController().signal,
    aws: () => refuse(),
    stdout: (text) => void out.push(`${text}\n`),
    // Read when asked (the offline status never asks): touching process.stdin opens a stream on it.
    get isTTY() {
      return Boolean(process.stdin.isTTY && process.stderr.isTTY);
    },
    exitCode: () => refuse(),
  };
  try {
    await module.runStatus({ offline: true, cacheOnly: true }, ctx);
  } catch (err) {
    throw err instanceof Declined ? err : new Declined(err instanceof Error ? err.message : String(err));
  }
  return { text: out.join(''), after: keep };
}

async function answer(inv: Invocation): Promise<Answer> {
  if (inv.kind === 'version')
    return { text: `${(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version}\n` };
  return statusOffline(inv);
}

/** Runs dpf: the fast path when it can answer, else the full CLI (src/cli.ts). */
export async function run(argv: string[]): Promise<void> {
  const mode = process.env.DPF_TEST_FAST_PATH;
  const inv = mode === 'off' ? undefined : recognise(argv.slice(2));
  if (inv) {
    try {
      const a = await answer(inv);
      process.stdout.write(a.text);
      process.exitCode = 0;
      a.after?.();
      return;
    } catch (err) {
      if (mode === 'only') {
        process.stderr.write(`dpf fast path declined: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = DECLINED_EXIT;
        return;
      }
    }
  } else if (mode === 'only') {
    process.stderr.write('dpf fast path declined: not an invocation it answers\n');
    process.exitCode = DECLINED_EXIT;
    return;
  }
  const { main } = await import('./cli.js');
  await main(argv);
}
