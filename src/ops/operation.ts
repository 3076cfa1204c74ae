/**
 * Day-2 operations as step runs. An operation (a backup, a patch, a drill…) is a list of
 * StepDefs in phase 'operations' run by the ordinary engine, so the lock, the ledger, resume,
 * events and exit codes work as for a deploy. The same step ids are reused by every run of the
 * same kind of operation; what tells them apart is the run scope:
 *
 * - The ledger has one run history (`ledger.runs`). A day-2 run carries its `operation` (id,
 *   kind, key, params); the runs of one operation share its id. The run that ends an operation
 *   records `closed` (done, aborted, abandoned) and the `summary` of what it achieved. An
 *   operation's view (`operationsOf`) is read from its runs.
 * - The operation id is the engine's run scope: every step record stores it, a done step is
 *   skipped only within its scope, and a record of another scope is not the step's `previous`.
 *   A rerun of an UNFINISHED operation (not closed) reuses its id: done steps are skipped, a step
 *   left running is reconciled from its own evidence. A rerun after a closed one starts a new
 *   operation with a new id, so every step runs again. `--new` abandons an unfinished one.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { LedgerData, Ledger, RunOperation, RunRecord, RunStatus, StepRecord } from '../state/ledger.js';
import type { StepContext, StepDef, StepKind, StepResult } from '../steps/types.js';
import { BlockedError, DpfError, ExitCode, UserError } from '../errors.js';
import { endpointName as nameOfEndpoint, isCustomEndpoint, notOffered } from '../aws/endpoint.js';
import { pollInterval } from '../settings.js';
import { waitFor as poll } from '../wait.js';

export type OperationKind = 'patch' | 'patch-scan' | 'backup' | 'restore-db' | 'restore-fs' | 'dr-drill' | 'destroy';
export type OperationStatus = RunStatus | 'abandoned' | 'aborted';

/** An operation as its runs tell it (oldest run first). */
export interface OperationRecord {
  id: string;
  kind: string;
  key: string;
  params: Record<string, unknown>;
  /** How it was closed, else the status of its last run. */
  status: OperationStatus;
  /** False once a run closed it: the same command no longer resumes it. */
  open: boolean;
  startedAt: string;
  finishedAt?: string;
  runIds: string[];
  /** The newest summary a run of it recorded. */
  summary?: Record<string, unknown>;
}

export interface Operation {
  id: string;
  kind: OperationKind;
  key: string;
  /** When the operation (not this run) started: a resumed drill measures from here. */
  startedAt: Date;
  /** Short, name-safe stamp (YYYYMMDDHHMMSS of startedAt) used in AWS resource names. */
  stamp: string;
  params: Record<string, unknown>;
  /** True when this run resumes an unfinished operation. */
  resumed: boolean;
  /** This run (the one that records the summary and, at the end, closes the operation). */
  runId: string;
}

/** The engine's run scope of an operation. */
export function scopeOf(op: Operation): RunOperation {
  return { id: op.id, kind: op.kind, key: op.key, params: op.params };
}

/** 2025-01-02T03:04:05Z → "20250102030405": valid in RDS, EC2, EFS and S3 names. */
export function stampOf(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Every operation of the run history, oldest first. */
export function operationsOf(data: LedgerData): OperationRecord[] {
  const byId = new Map<string, RunRecord[]>();
  for (const r of data.runs) if (r.operation) byId.set(r.operation.id, [...(byId.get(r.operation.id) ?? []), r]);
  return [...byId.values()].map((runs) => {
    const first = runs[0]!;
    const last = runs.at(-1)!;
    // A run after the one that closed it (a kept drill torn down) reopens it until it closes again.
    const closedOnLast = last.closed !== undefined;
    const op = last.operation!;
    return {
      id: op.id,
      kind: op.kind,
      key: op.key,
      params: op.params,
      status: closedOnLast ? last.closed!.as : last.status,
      open: !closedOnLast,
      startedAt: first.startedAt,
      finishedAt: closedOnLast ? last.closed!.at : last.finishedAt,
      runIds: runs.map((r) => r.runId),
      summary: [...runs].reverse().find((r) => r.summary)?.summary,
    };
  });
}

/** The newest unfinished operation of a kind, if any. */
export function unfinishedOperation(data: LedgerData, kind: OperationKind): OperationRecord | undefined {
  return [...operationsOf(data)].reverse().find((o) => o.kind === kind && o.open);
}

export function lastOperation(data: LedgerData, kind: OperationKind, pred: (o: OperationRecord) => boolean = () => true): OperationRecord | undefined {
  return [...operationsOf(data)].reverse().find((o) => o.kind === kind && pred(o));
}

export interface BeginOptions {
  kind: OperationKind;
  /**
   * What defines this operation (its options, e.g. "waves=all method=ansible"). Resuming an
   * unfinished operation with a different key is refused: the operator meant something else.
   */
  key: string;
  params: Record<string, unknown>;
  /** Abandon an unfinished operation of this kind and start a new one. */
  fresh?: boolean;
  runId: string;
  /** How to start a new one, for the refusal's hint (e.g. "dpf patch --env prod --new"). */
  newHint: string;
}

/**
 * Resume the unfinished operation of this kind, or start a new one. The run that works on it is
 * recorded by the engine (with the operation as its scope); only abandoning one writes here.
 */
export async function beginOperation(ledger: Ledger, clock: Clock, o: BeginOptions): Promise<Operation> {
  const now = clock.now();
  const open = unfinishedOperation(ledger.data, o.kind);
  if (open && !o.fresh) {
    if (open.key !== o.key)
      throw new UserError(
        'OperationUnfinished',
        `An unfinished ${o.kind} (${open.id}, started ${open.startedAt}, ${open.status}) was run with other options (${open.key || 'none'}; now: ${o.key || 'none'}).`,
        { hint: `Resume it with the same options, or abandon it and start a new one: ${o.newHint}` },
      );
    return resumeOf(open, o.runId);
  }
  if (open) await closeRun(ledger, now, open.runIds.at(-1)!, { as: 'abandoned', at: now.toISOString() });
  const stamp = stampOf(now);
  const id = `${o.kind}-${stamp}-${randomBytes(2).toString('hex')}`;
  return { id, kind: o.kind, key: o.key, startedAt: now, stamp, params: { ...o.params, stamp }, resumed: false, runId: o.runId };
}

function resumeOf(record: OperationRecord, runId: string): Operation {
  const startedAt = new Date(record.startedAt);
  return {
    id: record.id,
    kind: record.kind as OperationKind,
    key: record.key,
    startedAt,
    stamp: String(record.params.stamp ?? stampOf(startedAt)),
    params: record.params,
    resumed: true,
    runId,
  };
}

/** Mark the last run of an operation as the one that ended it (abandoned by --new). */
async function closeRun(ledger: Ledger, now: Date, runId: string, closed: NonNullable<RunRecord['closed']>): Promise<void> {
  await ledger.update((d) => {
    const r = d.runs.find((x) => x.runId === runId);
    if (r) r.closed = closed;
  }, now);
}

/**
 * Record what this run of the operation achieved; `done` and `aborted` close the operation, any
 * other status leaves it open for the same command to resume.
 */
export async function finishOperation(ledger: Ledger, clock: Clock, op: Operation, status: OperationStatus, summary?: Record<string, unknown>): Promise<void> {
  const now = clock.now();
  await ledger.update((d) => {
    const r = d.runs.find((x) => x.runId === op.runId);
    if (!r) return;
    if (summary) r.summary = summary;
    if (status === 'done' || status === 'aborted') r.closed = { as: status, at: now.toISOString() };
  }, now);
}

/** Reopen a closed operation (e.g. to tear down a drill kept with --keep): this run works on it again. */
export function reopenOperation(record: OperationRecord, runId: string): Operation {
  return resumeOf(record, runId);
}

// ---------- steps ----------

export interface OpStepSpec {
  id: string;
  title: string;
  dependsOn?: string[];
  kind?: StepKind;
  /** Typical seconds on AWS (ETA). */
  estimateSeconds?: number;
  /** Inputs that, when changed, make a done step of this operation run again (the engine's run scope tells operations apart). */
  input?: unknown;
  /**
   * The step's work. `mine` is this operation's earlier evidence for the step (empty on a
   * first attempt): a step left running by a dead process reconciles from it.
   */
  run(ctx: StepContext, mine: Record<string, unknown>): Promise<StepResult>;
}

/** A StepDef in phase 'operations' of one operation (the engine's run scope tells operations apart). */
export function opStep(spec: OpStepSpec): StepDef {
  return {
    id: spec.id,
    phase: 'operations',
    title: spec.title,
    kind: spec.kind ?? 'check',
    dependsOn: spec.dependsOn ?? [],
    staticEstimateSeconds: () => spec.estimateSeconds ?? 30,
    async prepare() {
      const inputHash = createHash('sha256')
        .update(spec.id)
        .update('\0')
        .update(JSON.stringify(spec.input ?? null))
        .digest('hex');
      return { inputHash, estimateSeconds: spec.estimateSeconds ?? 30 };
    },
    // The engine passes `previous` only within the run's scope: it is this operation's record.
    run: (ctx) => spec.run(ctx, { ...(ctx.previous?.evidence ?? {}) }),
  };
}

/** The record of a step of this operation (undefined if it belongs to another one). */
export function stepOf(ledger: Ledger, op: Pick<Operation, 'id'>, stepId: string): StepRecord | undefined {
  const r = ledger.get(stepId);
  return r && r.scope === op.id ? r : undefined;
}

// ---------- preconditions ----------

/** Refuse (exit 8) unless the deploy steps an operation reads from are done. */
export function requireDeployed(ledger: Ledger, env: string, stepIds: string[], what: string): void {
  const missing = stepIds.filter((id) => ledger.get(id)?.status !== 'done');
  if (!missing.length) return;
  const phases = [...new Set(missing.map((m) => m.split('.')[0]))];
  throw new BlockedError(
    `${what} needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not deployed in environment "${env}" (${missing.map((m) => ledger.get(m)?.status ?? 'never run').join(', ')}).`,
    `Deploy first: dpf deploy --env ${env} --phase ${phases.join(',')}`,
  );
}

/** An output of a deploy step, or undefined when missing or empty (an emulator may drop outputs). */
export function optionalOutput(ledger: Ledger, stepId: string, key: string): string | undefined {
  const v = ledger.outputs(stepId)[key];
  return v === undefined || v === '' ? undefined : v;
}

// ---------- AWS helpers ----------

/** The endpoint does not offer this API (an emulator): src/aws/endpoint.ts's one rule. */
export function unavailableOnEndpoint(ctx: Pick<StepContext, 'settings'>, err: unknown): boolean {
  return notOffered(err, isCustomEndpoint(ctx.settings.endpoint));
}

/** Why AWS Backup cannot be used when the storage stack gave no vault/role: on an emulator, say it plainly. */
export function noVaultReason(ctx: Pick<StepContext, 'settings'>, missing: string): string {
  return isCustomEndpoint(ctx.settings.endpoint)
    ? `AWS Backup is not available on ${endpointName(ctx)}: the storage stack has no ${missing} output (the emulator does not create AWS Backup vaults)`
    : `the storage stack has no ${missing} output (was the storage phase deployed with its backup vault?)`;
}

export function endpointName(ctx: Pick<StepContext, 'settings'>): string {
  return nameOfEndpoint(ctx.settings.endpoint);
}

export interface WaitOptions<T> {
  stepId: string;
  /** What is being waited for, for messages ("snapshot s-1 to be available"). */
  what: string;
  read(): Promise<T>;
  /** 'done' ends the wait, 'failed' throws, anything else keeps waiting. */
  state(v: T): 'done' | 'failed' | 'waiting';
  /** A short status for progress lines. */
  describe(v: T): string;
  /** Give up at this time (the earliest of a step timeout and an operation's cap). */
  deadline: Date;
  /** Error raised at the deadline. */
  onTimeout(last: T): DpfError;
  onFailed(last: T): DpfError;
  minMs?: number;
  maxMs?: number;
}

/** Poll until done, with backoff while nothing changes; progress on every change (src/wait.ts). */
export function waitFor<T>(ctx: Pick<StepContext, 'clock' | 'signal' | 'progress' | 'settings'>, o: WaitOptions<T>): Promise<T> {
  const minMs = pollInterval(ctx.settings, o.minMs ?? 5000);
  return poll({ clock: ctx.clock, signal: ctx.signal, progress: (m) => ctx.progress(m) }, { ...o, minMs, maxMs: Math.max(minMs, o.maxMs ?? 30000) });
}

export function stepError(
  code: string,
  message: string,
  opts: { hint?: string; details?: string[]; exit?: (typeof ExitCode)[keyof typeof ExitCode] } = {},
): DpfError {
  return new DpfError(code, message, opts.exit ?? ExitCode.StepFailed, { hint: opts.hint, details: opts.details });
}

export function minutes(ms: number): string {
  const m = ms / 60000;
  if (m < 1) return `${Math.round(ms / 1000)} s`;
  if (m < 120) return `${Math.round(m)} min`;
  return `${(m / 60).toFixed(1)} h`;
}

/** "i-0abc (master)" */
export function hostLabel(h: { instanceId: string; role?: string }): string {
  return h.role ? `${h.instanceId} (${h.role})` : h.instanceId;
}

/** `--config` in resume hints only when it is not the default. */
export function configFlag(config: string): string {
  return config !== 'dpf.config.yaml' ? ` --config ${config}` : '';
}
