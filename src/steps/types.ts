/** A step is data: id, phase, title, dependencies, and functions the engine calls. */
import type { Clock } from '../clock.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { Ledger, StepRecord } from '../state/ledger.js';
import type { IoHost } from './events.js';
import type { AwsPorts } from '../context.js';
import type { ResourceChange } from '../aws/cloudformation.js';

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
  readonly io: IoHost;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** The record from an earlier run, if any (status 'running' means the process died mid-step). */
  readonly previous?: StepRecord;
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
  evidence?: Record<string, unknown>;
  changed: boolean;
  summary?: string;
}

export interface Preview {
  summary: string;
  changes?: ResourceChange[];
  /** True when the change set could not be computed yet (inputs come from earlier steps). */
  deferred?: boolean;
}

export interface StepDef {
  id: string;
  phase: PhaseId;
  title: string;
  kind: StepKind;
  dependsOn: string[];
  /** Inputs and their hash; reads earlier outputs from the ledger. */
  prepare(ctx: StepContext): Promise<Prepared>;
  run(ctx: StepContext, prepared: Prepared): Promise<StepResult>;
  /** For a done step with unchanged inputs: does the world still match? */
  verify?(ctx: StepContext, record: StepRecord): Promise<{ ok: boolean; reason?: string }>;
  /** What run would change, without changing anything (dpf plan). */
  preview?(ctx: StepContext, prepared: Prepared): Promise<Preview>;
  /** Static estimate when prepare cannot run yet (inputs missing). */
  staticEstimateSeconds?(): number;
  /**
   * `dpf deploy --check`: report what run would do without changing anything (e.g. Ansible
   * in check mode). The engine records the result as evidence.lastCheck; the step's status
   * is not changed. Steps without it are skipped in check mode.
   */
  check?(ctx: StepContext, prepared: Prepared): Promise<StepResult>;
}
