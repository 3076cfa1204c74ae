/**
 * Day-2 operations as step runs. An operation (a backup, a patch, a drill…) is a list of
 * StepDefs in phase 'operations' run by the ordinary engine, so the lock, the ledger, resume,
 * events and exit codes work as for a deploy. The same step ids are reused by every run of the
 * same kind of operation; what tells them apart is the operation record:
 *
 * - `ledger.data.operations` holds one record per operation (id, kind, options, status, and
 *   the summary once finished), oldest first, capped at HISTORY_LIMIT.
 * - Each step's input hash includes the operation id, and its evidence carries `operationId`.
 *   A rerun of an UNFINISHED operation (status running / interrupted / failed) reuses its id:
 *   done steps are skipped, a step left running is reconciled from its own evidence.
 *   A rerun after a FINISHED one (done, abandoned) starts a new operation with a new id, so
 *   every step runs again. `--new` abandons an unfinished one and starts fresh. A drill that
 *   failed but was torn down and reported is finished too ('aborted').
 * - Evidence the engine merges from an older operation's record is cleared when a step of a
 *   new operation starts, so a step never mistakes last week's snapshot id for its own.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { LedgerData, Ledger, StepRecord } from '../state/ledger.js';
import type { StepContext, StepDef, StepKind, StepResult } from '../steps/types.js';
import { BlockedError, DpfError, ExitCode, UserError } from '../errors.js';
import { endpointName as nameOfEndpoint, isCustomEndpoint, notOffered } from '../aws/endpoint.js';
import { pollInterval } from '../settings.js';

export type OperationKind = 'patch' | 'patch-scan' | 'backup' | 'restore-db' | 'restore-fs' | 'dr-drill' | 'destroy';
export type OperationRecord = NonNullable<LedgerData['operations']>[number];
export type OperationStatus = 'running' | 'done' | 'failed' | 'interrupted' | 'abandoned' | 'aborted';

export const HISTORY_LIMIT = 100;
const UNFINISHED = new Set(['running', 'failed', 'interrupted']);

export interface Operation {
  id: string;
  kind: OperationKind;
  /** When the operation (not this run) started: a resumed drill measures from here. */
  startedAt: Date;
  /** Short, name-safe stamp (YYYYMMDDHHMMSS of startedAt) used in AWS resource names. */
  stamp: string;
  params: Record<string, unknown>;
  /** True when this run resumes an unfinished operation. */
  resumed: boolean;
}

/** 2025-01-02T03:04:05Z → "20250102030405": valid in RDS, EC2, EFS and S3 names. */
export function stampOf(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export function operations(data: LedgerData): OperationRecord[] {
  return data.operations ?? [];
}

/** The newest unfinished operation of a kind, if any. */
export function unfinishedOperation(data: LedgerData, kind: OperationKind): OperationRecord | undefined {
  return [...operations(data)].reverse().find((o) => o.kind === kind && UNFINISHED.has(o.status));
}

export function lastOperation(data: LedgerData, kind: OperationKind, pred: (o: OperationRecord) => boolean = () => true): OperationRecord | undefined {
  return [...operations(data)].reverse().find((o) => o.kind === kind && pred(o));
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

/** Resume the unfinished operation of this kind, or start a new one; recorded in the ledger. */
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
    await ledger.update((d) => {
      const r = operations(d).find((x) => x.id === open.id)!;
      r.status = 'running';
      r.runIds.push(o.runId);
    }, now);
    const startedAt = new Date(open.startedAt);
    return { id: open.id, kind: o.kind, startedAt, stamp: String(open.params.stamp ?? stampOf(startedAt)), params: open.params, resumed: true };
  }
  const stamp = stampOf(now);
  const id = `${o.kind}-${stamp}-${randomBytes(2).toString('hex')}`;
  const params = { ...o.params, stamp };
  await ledger.update((d) => {
    d.operations ??= [];
    if (open) {
      const r = d.operations.find((x) => x.id === open.id)!;
      r.status = 'abandoned';
      r.finishedAt = now.toISOString();
    }
    d.operations.push({ id, kind: o.kind, key: o.key, status: 'running', startedAt: now.toISOString(), runIds: [o.runId], params });
    if (d.operations.length > HISTORY_LIMIT) d.operations.splice(0, d.operations.length - HISTORY_LIMIT);
  }, now);
  return { id, kind: o.kind, startedAt: now, stamp, params, resumed: false };
}

/** Record the outcome (and summary) of this run of the operation. */
export async function finishOperation(ledger: Ledger, clock: Clock, op: Operation, status: OperationStatus, summary?: Record<string, unknown>): Promise<void> {
  const now = clock.now();
  await ledger.update((d) => {
    const r = operations(d).find((x) => x.id === op.id);
    if (!r) return;
    r.status = status;
    r.finishedAt = UNFINISHED.has(status) ? undefined : now.toISOString();
    if (summary) r.summary = summary;
  }, now);
}

/** Keep per-operation state (e.g. "the drill reached teardown") in its record. */
export async function setOperationState(ledger: Ledger, clock: Clock, op: Operation, patch: Record<string, unknown>): Promise<void> {
  await ledger.update((d) => {
    const r = operations(d).find((x) => x.id === op.id);
    if (r) r.state = { ...(r.state ?? {}), ...patch };
  }, clock.now());
}

export function operationState(ledger: Ledger, op: Pick<Operation, 'id'>): Record<string, unknown> {
  return operations(ledger.data).find((x) => x.id === op.id)?.state ?? {};
}

// ---------- steps ----------

export interface OpStepSpec {
  id: string;
  title: string;
  dependsOn?: string[];
  kind?: StepKind;
  /** Typical seconds on AWS (ETA). */
  estimateSeconds?: number;
  /** Inputs besides the operation id that, when changed, make a done step run again. */
  input?: unknown;
  /**
   * The step's work. `mine` is this operation's earlier evidence for the step (empty on a
   * first attempt): a step left running by a dead process reconciles from it.
   */
  run(ctx: StepContext, mine: Record<string, unknown>): Promise<StepResult>;
}

/** A StepDef in phase 'operations' bound to one operation. */
export function opStep(op: Pick<Operation, 'id'>, spec: OpStepSpec): StepDef {
  return {
    id: spec.id,
    phase: 'operations',
    title: spec.title,
    kind: spec.kind ?? 'check',
    dependsOn: spec.dependsOn ?? [],
    staticEstimateSeconds: () => spec.estimateSeconds ?? 30,
    async prepare() {
      const inputHash = createHash('sha256').update(op.id).update('\0').update(spec.id).update('\0').update(JSON.stringify(spec.input ?? null)).digest('hex');
      return { inputHash, estimateSeconds: spec.estimateSeconds ?? 30 };
    },
    async run(ctx) {
      const prev = ctx.previous;
      const same = prev?.evidence.operationId === op.id;
      if (prev && !same) {
        // The engine merged the record of an earlier operation: forget its evidence.
        const cleared: Record<string, unknown> = Object.fromEntries(Object.keys(prev.evidence).map((k) => [k, undefined]));
        await ctx.evidence({ ...cleared, operationId: op.id });
      } else await ctx.evidence({ operationId: op.id });
      const mine = same ? { ...prev!.evidence } : {};
      const r = await spec.run(ctx, mine);
      return { ...r, evidence: { ...(r.evidence ?? {}), operationId: op.id } };
    },
  };
}

/** The record of a step of this operation (undefined if it belongs to another one). */
export function stepOf(ledger: Ledger, op: Pick<Operation, 'id'>, stepId: string): StepRecord | undefined {
  const r = ledger.get(stepId);
  return r && r.evidence.operationId === op.id ? r : undefined;
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

/** Poll until done, with backoff while nothing changes; progress on every change. */
export async function waitFor<T>(ctx: Pick<StepContext, 'clock' | 'signal' | 'progress' | 'settings'>, o: WaitOptions<T>): Promise<T> {
  const min = pollInterval(ctx.settings, o.minMs ?? 5000);
  const max = Math.max(min, o.maxMs ?? 30000);
  let delay = min;
  let lastDesc = '';
  for (;;) {
    const v = await o.read();
    const st = o.state(v);
    const desc = o.describe(v);
    if (desc !== lastDesc) {
      ctx.progress(`${o.what}: ${desc}`);
      delay = min;
      lastDesc = desc;
    } else delay = Math.min(max, Math.round(delay * 1.5));
    if (st === 'done') return v;
    if (st === 'failed') throw o.onFailed(v);
    const left = o.deadline.getTime() - ctx.clock.now().getTime();
    if (left <= 0) throw o.onTimeout(v);
    await ctx.clock.sleep(Math.min(delay, left), ctx.signal);
  }
}

export function stepError(code: string, message: string, opts: { hint?: string; details?: string[]; exit?: (typeof ExitCode)[keyof typeof ExitCode] } = {}): DpfError {
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

// ---------- running ----------

/** Reopen a finished operation (e.g. to tear down a drill kept with --keep). */
export async function reopenOperation(ledger: Ledger, clock: Clock, record: OperationRecord, runId: string): Promise<Operation> {
  await ledger.update((d) => {
    const r = operations(d).find((x) => x.id === record.id)!;
    r.status = 'running';
    r.finishedAt = undefined;
    r.runIds.push(runId);
  }, clock.now());
  const startedAt = new Date(record.startedAt);
  return { id: record.id, kind: record.kind as OperationKind, startedAt, stamp: String(record.params.stamp ?? stampOf(startedAt)), params: record.params, resumed: true };
}
