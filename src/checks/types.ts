/**
 * Go-live checks: each one is a step of the `golive` phase (kind 'check') that inspects the
 * running platform through the ports and returns a verdict with its evidence. The verdict is
 * kept in the ledger (evidence.check) and read by `dpf report golive` and `dpf status`.
 */
import type { Verdict } from '../io/events.js';
import type { Clock } from '../clock.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { LedgerData } from '../state/ledger.js';
import type { IoHost } from '../io/host.js';
import type { CloudFormationPort } from '../aws/cloudformation.js';
import type { ObjectStorePort } from '../aws/ports.js';
import type { OpsPorts } from '../aws/ops-ports.js';

/** Deployment steps a check inspects, and what of each (the engine's edge reason: `inspects`). */
export type CheckAfter = Record<string, { inspects: string }>;

export type CheckStatus = Verdict;
export type CheckCategory = 'infrastructure' | 'security' | 'monitoring' | 'backup' | 'configuration' | 'identity';

export const CHECK_STATUSES: readonly CheckStatus[] = ['pass', 'warn', 'unknown', 'fail'];

/** What a check concluded, when, and on what evidence. */
export interface CheckVerdict {
  status: CheckStatus;
  summary: string;
  evidence: Record<string, unknown>;
  checkedAt: string;
  category: CheckCategory;
}

/** What a check function returns; the step kind adds checkedAt and category. */
export interface CheckOutcome {
  status: CheckStatus;
  summary: string;
  evidence: Record<string, unknown>;
  /** What to do about a fail/warn/unknown (shown with the failed step and in the report). */
  hint?: string;
}

/** Everything a check may use. Built from the StepContext by the check step kind. */
export interface CheckContext {
  stepId: string;
  project: string;
  envName: string;
  env: EnvironmentConfig;
  region: string;
  accountId: string;
  /** The ledger as it is now (read only). */
  ledger: LedgerData;
  /** Outputs of a deployment step from the ledger; {} when it has none. */
  outputs(stepId: string): Record<string, string>;
  ops(): Promise<OpsPorts>;
  cfn(): Promise<CloudFormationPort>;
  objects(): Promise<ObjectStorePort>;
  clock: Clock;
  io: IoHost;
  signal: AbortSignal;
  progress(message: string): void;
  /**
   * The local emulator dpf talks to, named (a custom endpoint and one of the documented
   * placeholder account ids, which no real account can have); undefined on AWS. Only used to
   * turn a negative answer the emulator is known to give wrongly into "unknown", never into "pass".
   */
  emulator?: string;
  /** False in `dpf deploy --check`: a check must not offer to change anything. */
  mayAct: boolean;
  /** First poll interval (ms) for drift detection and SSM commands. */
  pollMs: number;
  /** Slowest poll interval (ms) they back off to; undefined: their own (10 s). */
  pollMaxMs?: number;
}

/** One line of the seed's Implementation Readiness Checklist (see checklist.ts). */
export type ChecklistLineId = 'aws-components' | 'iac-validated' | 'ansible-automation' | 'security-controls' | 'monitoring-alerting';

export interface CheckSpec {
  /** Step id: `golive.<name>`. */
  id: string;
  title: string;
  category: CheckCategory;
  /** The readiness-checklist line this check gives evidence for. */
  checklist: ChecklistLineId;
  /** Deployment steps it inspects, with what it inspects of each (never other checks, so one failing check blocks none). */
  after: CheckAfter;
  /** One sentence: what passing means. */
  criterion: string;
  /** Typical duration on AWS (seconds), for the ETA. */
  estimateSeconds: number;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}
