/** A step is data: id, phase, title, dependencies, and functions the engine calls. */
import type { Clock } from '../clock.js';
import type { Settings } from '../settings.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { Ledger, StepRecord } from '../state/ledger.js';
import type { IoHost } from '../io/host.js';
import type { AwsPorts } from '../aws/ports.js';
import type { ResourceChange } from '../aws/cloudformation.js';
import type { HostRole, StepContract } from './contracts.js';
import type { SecurityChange, Verdict } from '../io/events.js';

/** A change set `dpf plan --out` made and kept, for `dpf deploy --plan` to execute as approved. */
export interface PlannedChangeSet {
  stackName: string;
  changeSetName: string;
  changeSetType: 'CREATE' | 'UPDATE';
}

export const PHASES = ['bootstrap', 'network', 'compute', 'storage', 'identity', 'monitoring', 'golive'] as const;
/** The deployment phases, plus 'operations' for day-2 runs (patch, backup, restore, drill, destroy). */
export type PhaseId = (typeof PHASES)[number] | 'operations';
export type DeployPhase = (typeof PHASES)[number];
export type StepKind = 'stack' | 'playbook' | 'check' | 'gate';

/** Who/where: the environment as a step sees it. */
export interface EnvContext {
  project: string;
  name: string;
  env: EnvironmentConfig;
  region: string;
  accountId: string;
  operator: string;
  runId: string;
}

export interface StepContext {
  readonly stepId: string;
  readonly envCtx: EnvContext;
  readonly ledger: Ledger;
  readonly aws: AwsPorts;
  /** Ports in another region (a stack that lives in recovery.drRegion); absent where the command offers none. */
  readonly awsIn?: (region: string) => AwsPorts;
  readonly io: IoHost;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** What src/cli.ts read from the process: poll interval, endpoint, test hooks (src/settings.ts). */
  readonly settings: Settings;
  /** The run scope (a day-2 operation's id); undefined for a deploy. */
  readonly scope?: string;
  /** The record from an earlier run of this scope, if any (status 'running' means the process died mid-step). */
  readonly previous?: StepRecord;
  /** `dpf deploy --plan`: execute this saved change set instead of making (and asking about) a new one. */
  readonly planned?: PlannedChangeSet;
  /** This attempt of the step (the ledger's `attempts` once it is marked running): an input of idempotency tokens. */
  readonly attempt: number;
  /** Outputs of an earlier step, read from the ledger (never from closures). Throws if missing. */
  output(stepId: string, key: string): string;
  progress(message: string): void;
  /** Persist evidence immediately (e.g. a stack id as soon as it is known). */
  evidence(e: Record<string, unknown>): Promise<void>;
}

export interface Prepared {
  inputHash: string;
  /** Typical duration on AWS (seconds), for the ETA. */
  estimateSeconds: number;
  data?: unknown;
}

export interface StepResult {
  outputs?: Record<string, string>;
  /** A check step's verdict (pass, warn, unknown): shown as such, never as a plain success. */
  verdict?: Exclude<Verdict, 'fail'>;
  evidence?: Record<string, unknown>;
  changed: boolean;
  summary?: string;
  /**
   * Other steps whose records this step's work made stale (dpf destroy: the phase's steps are no
   * longer deployed): the engine sets them back to pending, with this evidence, in the write that
   * marks this step done. A step never writes another step's record itself.
   */
  resets?: { steps: string[]; evidence: Record<string, unknown> };
}

export interface Preview {
  summary: string;
  changes?: ResourceChange[];
  /** Changes that widen access (new ingress, IAM statements). */
  security?: SecurityChange[];
  /** The change set kept for `dpf deploy --plan` (preview with keep), and the stack as it was. */
  changeSet?: PlannedChangeSet & { stackStatus?: string; stackLastUpdated?: string };
  /** True when the change set could not be computed yet (inputs come from earlier steps). */
  deferred?: boolean;
}

/** What a stack step deploys: the template and how its parameters are computed (read offline by src/validate/). */
export interface StackSource {
  template: string;
  /** Region the stack goes to when it is not the environment's (e.g. recovery.drRegion). */
  region?(env: EnvironmentConfig): string | undefined;
  parameters(ctx: StepContext): Record<string, string> | Promise<Record<string, string>>;
}

/** What a playbook step runs: the playbook and how its extra variables are computed (read offline by src/validate/). */
export interface PlaybookSource {
  file: string;
  extraVars(ctx: StepContext): Record<string, string> | Promise<Record<string, string>>;
}

/**
 * Why a step waits for another: what it consumes from it, or the rule that orders the two.
 * One edge may have several reasons. test/steps/graph.test.ts checks every claim against what
 * the step really reads (its parameter, variable and target functions, run against a recording
 * context), the hosts it runs on and the prerequisite model (src/steps/contracts.ts).
 */
export interface EdgeReason {
  /** Outputs of that step this one reads (stack parameters, playbook variables, targets). */
  reads?: readonly string[];
  /** Instances that step creates which this one looks up (by tag or id) to enrol, target or address them. */
  instances?: readonly HostRole[];
  /** Hosts that step creates and this one runs on. */
  hosts?: readonly HostRole[];
  /** What that step leaves that a role of this one needs before it runs: `what` on this step's own hosts, `what@place` elsewhere. */
  needs?: readonly string[];
  /** An ordering rule, when nothing is consumed: two playbooks on the same host. */
  order?: string;
  /** A go-live check: what of that step's work it inspects. */
  inspects?: string;
}

/** A step's dependencies with their reasons: step id → why. */
export type After = Record<string, EdgeReason>;

export interface StepDef {
  id: string;
  phase: PhaseId;
  title: string;
  kind: StepKind;
  /** The steps this one waits for (the engine's edges); for the deploy graph, the keys of `after`. */
  dependsOn: string[];
  /** Why it waits for each (the deploy graph has one for every edge; day-2 graphs may not). */
  after?: After;
  /** For the prerequisite model (src/steps/contracts.ts): where a playbook runs, what a stack creates. */
  contract?: StepContract;
  /** Inputs and their hash; reads earlier outputs from the ledger. */
  prepare(ctx: StepContext): Promise<Prepared>;
  run(ctx: StepContext, prepared: Prepared): Promise<StepResult>;
  /** For a done step with unchanged inputs: does the world still match? */
  verify?(ctx: StepContext, record: StepRecord): Promise<{ ok: boolean; reason?: string }>;
  /** What run would change, without changing anything (dpf plan); `keep` keeps the change set for `dpf deploy --plan`. */
  preview?(ctx: StepContext, prepared: Prepared, opts?: { keep?: boolean }): Promise<Preview>;
  /** Static estimate when prepare cannot run yet (inputs missing). */
  staticEstimateSeconds?(): number;
  /**
   * `dpf deploy --check`: report what run would do without changing anything (e.g. Ansible
   * in check mode). The engine records the result as evidence.lastCheck; the step's status
   * is not changed. Steps without it are skipped in check mode.
   */
  check?(ctx: StepContext, prepared: Prepared): Promise<StepResult>;
  /** Stack steps: the template and parameter computation (the semantic checks render them offline). */
  stack?: StackSource;
  /** Playbook steps: the playbook and its extra variables. */
  playbook?: PlaybookSource;
}
