/** What a run of the step engine is given, and what it returns (src/steps/engine.ts). */
import type { Clock } from '../../clock.js';
import type { Settings } from '../../settings.js';
import type { Ledger, RunOperation, StepRecord } from '../../state/ledger.js';
import type { AwsPorts } from '../../aws/ports.js';
import type { IoHost } from '../../io/host.js';
import type { EnvContext, PlannedChangeSet, StepDef } from '../types.js';

export interface RunOptions {
  /** The selected steps, the main group (dependencies outside the selection must be done in the ledger). */
  steps: StepDef[];
  /**
   * Steps that run after the main group has ended, done or failed (a drill's teardown and report);
   * not after an interruption, whose resume goes on where it stopped. Once one of them has started
   * in this scope, a later run of the scope does not go back to the main group.
   */
  finally?: StepDef[];
  /**
   * The run scope (a day-2 operation): recorded with the run and on every step record; a done
   * step is skipped only within its scope, and a record of another scope is not the step's
   * `previous` (it starts with no evidence).
   */
  scope?: RunOperation;
  ledger: Ledger;
  envCtx: EnvContext;
  aws: AwsPorts;
  /** Ports in another region, for steps that deploy there (e.g. the DR vault). */
  awsIn?: (region: string) => AwsPorts;
  io: IoHost;
  clock: Clock;
  signal: AbortSignal;
  /** What src/cli.ts read from the process (poll interval, endpoint, test hooks, this host): handed to every step. */
  settings: Settings;
  /** Steps running at once. Default 4. */
  concurrency?: number;
  /** Run steps even when done and unchanged. */
  force?: boolean;
  command: string;
  /**
   * Check mode (`dpf deploy --check`): each step's `check` reports what it would change
   * (stack: change set preview; playbook: Ansible --check) and nothing is changed; the
   * result is reported in events (and kept in memory as evidence.lastCheck), and the caller
   * makes the ledger read-only so that nothing is written.
   */
  check?: boolean;
  /** Called after a step is done (e.g. to attach the state bucket once bootstrap made it). */
  afterStep?: (step: StepDef, record: StepRecord) => Promise<void>;
  /** `dpf deploy --plan`: the saved change set each planned step executes (approved once). */
  planned?: Record<string, PlannedChangeSet>;
}

export type StepOutcome = 'done' | 'skipped' | 'failed' | 'blocked' | 'interrupted' | 'declined';
export type GroupStatus = 'done' | 'failed' | 'interrupted';

export interface RunSummary {
  status: 'done' | 'failed' | 'interrupted';
  /** Each group's own end: a drill whose main group failed and whose teardown is done. */
  groups: { main: GroupStatus; finally?: GroupStatus };
  outcomes: Record<string, StepOutcome>;
  failures: Array<{ stepId: string; error: unknown }>;
  durationSeconds: number;
  /** Check steps by verdict (pass, warn, unknown): "done" is not "verified". */
  verdicts: Record<string, number>;
}

/** Seconds between two instants, to a tenth. */
export const seconds = (a: Date, b: Date) => Math.round((b.getTime() - a.getTime()) / 100) / 10;
