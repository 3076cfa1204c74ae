/** dpf destroy's step ids, options and what it reports as left behind (the bottom of src/ops/destroy/). */
import type { StepContext, DeployPhase } from '../../steps/types.js';
import { optionalOutput } from '../operation.js';
import { stepKey } from '../step.js';
import type { DpfCopy } from './copies.js';

export const DESTROY_ORDER: DeployPhase[] = ['monitoring', 'identity', 'storage', 'compute', 'network', 'bootstrap'];
export const DESTROY_STEPS = {
  copies: 'operations.destroy.copies',
  finalSnapshot: 'operations.destroy.final-snapshot',
  deleteDb: 'operations.destroy.delete-db',
  phase: (p: DeployPhase) => `operations.destroy.${p}`,
} as const;

/** What must be gone before a phase's stacks are deleted. */
export const AFTER: Record<DeployPhase, DeployPhase[]> = {
  monitoring: [],
  identity: [],
  golive: [],
  storage: ['monitoring', 'identity'],
  compute: ['monitoring', 'identity'],
  network: ['storage', 'compute', 'identity', 'monitoring'],
  bootstrap: ['network', 'storage', 'compute', 'identity', 'monitoring'],
};

export interface DestroyOptions {
  deleteData: boolean;
  deleteState: boolean;
  /** Phases that have something to delete (from the ledger and/or existing stacks). */
  phases: DeployPhase[];
  /** Stack names per phase (ledger evidence, else dpf's derived name). */
  stacks: Partial<Record<DeployPhase, string[]>>;
  /** Outputs of a phase destroyed earlier with its data kept (retainedData), for --delete-data. */
  retained?: Partial<Record<DeployPhase, Record<string, string>>>;
}

export interface Leftover {
  resource: string;
  /** Kept on purpose (data kept) rather than leaked. */
  retained: boolean;
  detail: string;
}

/** The platform database's identifier: the ledger's output, else the template's fixed name. */
export function dbIdentifierOf(ctx: StepContext, mine: Record<string, unknown>): string {
  return (
    optionalOutput(ctx.ledger, 'storage.stack', 'DbInstanceIdentifier') ??
    (mine.dbInstance as string | undefined) ??
    `${ctx.envCtx.project}-${ctx.envCtx.name}-metadata`
  );
}

/** What a phase step records. */
export interface PhaseEvidence {
  /** The phase's outputs, saved before the ledger forgets them. */
  outputs: Record<string, string>;
  deleted: string[];
  leftovers: Leftover[];
  notes: string[];
  destroyedAt: string;
  /** The final snapshots left (storage, data kept). */
  finalSnapshots: string[];
}

/** What the copies step records. */
export interface CopiesEvidence {
  found: DpfCopy[];
  deleted: string[];
  leftovers: Leftover[];
}

export const PHASE_STEP = (p: DeployPhase) => stepKey<PhaseEvidence>(DESTROY_STEPS.phase(p));
export const COPIES_STEP = stepKey<CopiesEvidence>(DESTROY_STEPS.copies);
