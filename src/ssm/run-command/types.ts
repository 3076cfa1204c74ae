/** What runCommand (src/ssm/run-command.ts) is given and what it reports. */
import type { Clock } from '../../clock.js';
import type { IoHost } from '../../io/host.js';
import type { ObjectStorePort } from '../../aws/ports.js';

export interface HostRun {
  instanceId: string;
  status: string;
  responseCode?: number;
  /** Last lines of the output (stdout, then up to 5 stderr lines prefixed "stderr: "). */
  tail: string[];
  /** Folder of this host's full output: s3://<bucket>/<prefix>/<commandId>/<instanceId>/ (when output goes to S3). */
  outputS3Url?: string;
  /** The API cut the output at 24,000 characters. */
  truncated?: boolean;
  /** Where `tail` was read from: the API response, or the full log in S3. */
  tailFrom?: 'api' | 's3';
  /** Label given by the caller (e.g. the node's role). */
  label?: string;
  /** Why dpf set the status itself (wait timed out, never targeted). */
  note?: string;
}

export interface CommandRun {
  commandId: string;
  hosts: HostRun[];
  ok: boolean;
  summary: string;
  /** dpf stopped waiting before every host ended (the command may still be running). */
  waitTimedOut: boolean;
}

export interface RunCommandDeps {
  clock: Clock;
  io: IoHost;
  signal: AbortSignal;
  stepId: string;
  /** Reads a truncated host's full log from the S3 output location (optional). */
  objects?: ObjectStorePort;
  /** Called as soon as the command id is known, so it can be saved before waiting. */
  onSent?: (commandId: string) => Promise<void>;
  /**
   * Called with the send marker before SendCommand goes out (and before each new attempt), so
   * the ledger holds it: a run that dies before it learns the command id finds the command by it.
   */
  onSending?: (marker: string, at: Date) => Promise<void>;
}

export interface RunCommandOptions {
  /** First (fastest) poll interval in ms. Default 2000. */
  pollMs?: number;
  /** Slowest poll interval while nothing changes, in ms. Default 10000. */
  maxPollMs?: number;
  /**
   * Stop waiting after this many seconds; hosts still running are reported as TimedOut.
   * Default: the delivery timeout (input.timeoutSeconds) + the execution timeout (document
   * parameter TimeoutSeconds or executionTimeout, if numeric) + 60 s.
   */
  timeoutSeconds?: number;
  /** Lines of output kept per host. Default 20. */
  tailLines?: number;
  /** Watch this already-sent command instead of sending a new one (resuming after a crash). */
  attachTo?: string;
  /**
   * The marker of this send (put first in the command's Comment). SendCommand has no
   * idempotency token: after an error, the command is looked up by its marker (ListCommands)
   * before it is sent again. Default: a random one.
   */
  marker?: string;
  /** A marker an interrupted run recorded before sending: if a command carries it, watch that one instead of sending. */
  adoptMarker?: { marker: string; since: Date };
  /** Attempts at sending (after a lost answer that no lookup explains). Default 3. */
  sendAttempts?: number;
  /** Labels shown next to instance ids, e.g. { 'i-0abc': 'worker' }. */
  labels?: Record<string, string>;
}
