/** The drill's step ids, options, names and caps (the bottom of src/ops/drill/). */
import type { AwsPorts } from '../../aws/ports.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import type { EnvContext, StepContext } from '../../steps/types.js';
import { stepError, type Operation } from '../operation.js';
import { stepKey } from '../step.js';
import type { Check, DrillResult } from '../report.js';

export const DRILL_STEPS = {
  canary: 'operations.drill.canary',
  isolate: 'operations.drill.isolate',
  restoreDb: 'operations.drill.restore-db',
  restoreFs: 'operations.drill.restore-fs',
  drSource: 'operations.drill.dr-source',
  drRegion: 'operations.drill.dr-region',
  drData: 'operations.drill.dr-data',
  validate: 'operations.drill.validate',
  teardown: 'operations.drill.teardown',
  report: 'operations.drill.report',
} as const;

export type DrillScope = 'restore' | 'full';

export interface DrillOptions {
  scope: DrillScope;
  keep: boolean;
}

export interface DrillDeps {
  /** Where reports/<env>/ is written (the config file's folder). */
  reportDir: string;
  /** The environment drilled (its DR copy is named after it). */
  envName: string;
  /** Ports in recovery.drRegion (scope full). */
  drAws?: AwsPorts;
  drRegion?: string;
}

export function drillName(e: Pick<EnvContext, 'project' | 'name'>, stamp: string): string {
  return `${e.project}-${e.name}-drill-${stamp}`;
}

/** The environment name the DR-region stacks get (the templates allow 16 characters). */
export function drEnvName(env: string, stamp: string): string {
  return `${env.slice(0, 6).replace(/-+$/, '')}-d${stamp.slice(4, 12)}`;
}

export const deadlineOf = (op: Operation, env: EnvironmentConfig) => new Date(op.startedAt.getTime() + env.recovery.drill.maxMinutes * 60000);

export function capError(op: Operation, ctx: StepContext, what: string, status: string) {
  const cap = ctx.envCtx.env.recovery.drill.maxMinutes;
  return stepError(
    'DrillTimeCapExceeded',
    `The drill exceeded its time cap of ${cap} min (recovery.drill.maxMinutes) while waiting for ${what} (${status}); aborting and tearing down.`,
    {
      hint: `Raise recovery.drill.maxMinutes if the restore legitimately takes longer (the RTO target is ${ctx.envCtx.env.recovery.rtoMinutes.data} min).`,
    },
  );
}

/** What the drill's steps record, as their readers use it. */
export interface CanaryEvidence {
  detail: string[];
}
export interface IsolateEvidence {
  ingressRules: number;
  egressRules: number;
}
export interface RestoreDbEvidence {
  restorePoint: string;
}
export interface RestoreFsEvidence {
  fileSystemId: string;
}
export interface ChecksEvidence {
  checks: Check[];
}
export interface DrDataEvidence extends ChecksEvidence {
  securityGroupId: string;
}
export interface DrRegionEvidence {
  stacks: string[];
  drEnv: string;
  region: string;
  completedAt: string;
}
export interface TeardownEvidence {
  kept: boolean;
  /** With --keep: what was kept. */
  resources: string[];
  deleted: string[];
  left: string[];
  /** Why the drill was torn down before its main steps were done. */
  aborted: string;
}
export interface ReportEvidence {
  result: DrillResult;
}

/** The drill's steps with their evidence types (read with `.of(ledger, op)`). */
export const DRILL = {
  canary: stepKey<CanaryEvidence>(DRILL_STEPS.canary),
  isolate: stepKey<IsolateEvidence>(DRILL_STEPS.isolate),
  restoreDb: stepKey<RestoreDbEvidence>(DRILL_STEPS.restoreDb),
  restoreFs: stepKey<RestoreFsEvidence>(DRILL_STEPS.restoreFs),
  validate: stepKey<ChecksEvidence>(DRILL_STEPS.validate),
  drSource: stepKey<Record<string, never>>(DRILL_STEPS.drSource),
  drRegion: stepKey<DrRegionEvidence>(DRILL_STEPS.drRegion),
  drData: stepKey<DrDataEvidence>(DRILL_STEPS.drData),
  teardown: stepKey<TeardownEvidence>(DRILL_STEPS.teardown),
  report: stepKey<ReportEvidence>(DRILL_STEPS.report),
};
