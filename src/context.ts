/**
 * What a command is given (GitHub CLI's factory): the global flags, the settings read from the
 * process (src/settings.ts), the IO host, the clock, and AWS ports for a region built lazily
 * (src/aws/factory.ts). src/cli.ts builds it; tests build it from fakes.
 */
import type { Clock } from './clock.js';
import type { IoHost } from './io/host.js';
import type { AwsPorts } from './aws/ports.js';
import type { AwsSettings } from './aws/profile.js';
import type { Settings } from './settings.js';

export interface GlobalOptions {
  env?: string;
  profile?: string;
  region?: string;
  config: string;
  json: boolean;
  yes: boolean;
  verbose: boolean;
  /** Colour for what the command prints on stdout (decided for stdout, not stderr). */
  color: boolean | number;
  /** Only warnings, failures and results (--quiet). Default false. */
  quiet?: boolean;
}

export interface CommandContext {
  globals: GlobalOptions;
  /** Read once from the process by src/cli.ts: poll interval, endpoint, test hooks, terminal, this process. */
  settings: Settings;
  io: IoHost;
  clock: Clock;
  /** Aborted on Ctrl-C / SIGTERM: work stops at the next safe point. */
  signal: AbortSignal;
  /** AWS ports for a region (built lazily; tests inject fakes here). */
  aws(region: string): AwsPorts;
  /**
   * The AWS CLI conventions in effect (profile, region chain, endpoint), read from the flags, the
   * environment and ~/.aws (src/aws/profile.ts). Absent in tests that inject ports.
   */
  awsSettings?: () => Promise<AwsSettings>;
  /** Where command output (tables, JSON) goes. */
  stdout: (text: string) => void;
  isTTY: boolean;
  /** Exit with this code although the command succeeded (`dpf plan`: 2 = changes pending). */
  exitCode?: (code: number) => void;
}
