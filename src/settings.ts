/**
 * What dpf takes from its process — environment variables, the terminal, this process's id and
 * host — read ONCE by src/cli.ts and passed down: CommandContext → the engine's RunOptions and
 * every StepContext → checks and day-2 steps; the AWS port factory. No other module reads
 * `process` (eslint.config.js enforces it), so a test states the settings it runs under instead
 * of mutating the environment, and a setting cannot be parsed two ways in two places.
 */

/** The AWS endpoint the SDK will really use (resolved by src/aws/profile.ts); the questions about it are answered by src/aws/endpoint.ts. */
export interface EndpointSetting {
  /** AWS_ENDPOINT_URL, else the profile's endpoint_url; undefined: AWS itself. */
  url?: string;
  /** Per-service overrides (AWS_ENDPOINT_URL_<SERVICE>), by the service's suffix: S3, SSM, CLOUDWATCH… */
  services: Readonly<Record<string, string>>;
}

/** This process as the lock and the state files see it. */
export interface ProcessInfo {
  pid: number;
  host: string;
  /** Whether a process of this host is still running (a lease or a temp file left by a dead one is stale). */
  isAlive(pid: number): boolean;
}

export interface Settings {
  /** DPF_POLL_MS: the first interval of every polling loop (tests and the emulator shorten it); undefined: each loop's own. */
  pollMs?: number;
  /**
   * DPF_POLL_MAX_MS: the slowest interval a polling loop backs off to while nothing moves
   * (stacks, SSM commands, checks); undefined: each loop's own (10 s). With DPF_POLL_MS it lets a
   * time-scaled emulator scale the whole schedule, not just its start (bench/deploy.mjs).
   */
  pollMaxMs?: number;
  endpoint: EndpointSetting;
  /**
   * Test hooks: hold a step so a test can kill or interrupt it at a known point.
   * DPF_TEST_HOLD_STEP (a stack step, after its change set is executed), DPF_TEST_HOLD_STEP_START
   * (any step, at its start), DPF_TEST_HOLD_MS (how long; default 600000).
   */
  testHold?: { afterExecute?: string; atStart?: string; ms: number };
  /** Columns of the terminal stdout draws on; undefined when stdout is not a terminal. */
  columns?: number;
  /**
   * Where dpf keeps what it can recompute (the validated config: src/state/config-cache.ts):
   * DPF_CACHE_DIR, else $XDG_CACHE_HOME/dpf, else ~/.cache/dpf. Undefined: nothing is cached.
   */
  cacheDir?: string;
  /** The PATH directories, where the linters are looked for. */
  path: string[];
  process: ProcessInfo;
}

/** The first poll interval: the setting when there is one, else the loop's own. */
export function pollInterval(s: Pick<Settings, 'pollMs'> | undefined, fallback: number): number {
  return s?.pollMs ?? fallback;
}

/** The slowest poll interval: the setting when there is one (never below the first interval), else the loop's own. */
export function pollCeiling(s: Pick<Settings, 'pollMs' | 'pollMaxMs'> | undefined, fallback: number): number {
  const max = s?.pollMaxMs ?? fallback;
  return Math.max(max, s?.pollMs ?? 0);
}

/** DPF_POLL_MS / DPF_POLL_MAX_MS as cli.ts reads them: a positive number of milliseconds, anything else is no setting. */
export function parsePollMs(raw: string | undefined): number | undefined {
  const ms = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
