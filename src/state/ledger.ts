/**
 * The ledger: per environment and step, what happened, with evidence. One JSON document,
 * written atomically at every change, kept locally under `.dpf/<env>/ledger.json` next to
 * the config and mirrored to the (versioned) state bucket once bootstrap has created it.
 *
 * A corrupt or newer-format ledger is refused, never overwritten.
 */
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { removeStaleTemps, writeFileAtomic } from './atomic.js';
import { StateInvalidError, errorMessage } from '../errors.js';
import type { StepStatus } from '../io/events.js';
import type { ProcessInfo } from '../settings.js';
import { migrateV1, type V1 } from './ledger-v1.js';

export { migrateV1 } from './ledger-v1.js';

export const LEDGER_FORMAT = 'dpf-ledger';
/** 2: one run history (day-2 operations are runs with a scope; schema 1 kept them in a list of their own). */
export const LEDGER_SCHEMA_VERSION = 2;

export interface StepError {
  message: string;
  code?: string;
  rootCause?: string;
  hint?: string;
}

export interface StepRecord {
  id: string;
  phase: string;
  status: StepStatus;
  inputHash?: string;
  outputs: Record<string, string>;
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  /** The ETA model's estimate for this step when it last ran (seconds). */
  estimateSeconds?: number;
  operator?: string;
  runId?: string;
  attempts: number;
  evidence: Record<string, unknown>;
  error?: StepError;
  /** The run scope (a day-2 operation's id) this record belongs to; a step is skipped only within its scope. */
  scope?: string;
}

export type RunStatus = 'running' | 'done' | 'failed' | 'interrupted' | 'died';

/** Day-2: the operation a run works on. Its id is the engine's run scope; the runs of one operation share it. */
export interface RunOperation {
  id: string;
  /** patch, patch-scan, backup, restore-db, restore-fs, dr-drill, destroy. */
  kind: string;
  /** The options that define it: resuming it with other options is refused. */
  key: string;
  params: Record<string, unknown>;
}

/** How an operation ended, on the run that ended it: no later run resumes it. */
export interface RunClosed {
  /** aborted: a drill torn down and reported after it failed; abandoned: by --new. */
  as: 'done' | 'aborted' | 'abandoned';
  at: string;
  note?: string;
}

export interface RunRecord {
  runId: string;
  command: string;
  operator: string;
  host: string;
  startedAt: string;
  finishedAt?: string;
  /** 'died': the process was killed (or crashed) without closing its run; a later run found it so. */
  status: RunStatus;
  steps: string[];
  /** Why the run ended the way it did, when dpf had to infer it (e.g. closed by a later run). */
  note?: string;
  /** Day-2 runs: the operation (see src/ops/operation.ts). */
  operation?: RunOperation;
  /** Day-2 runs: what the run achieved (the command's --json result, abridged). */
  summary?: Record<string, unknown>;
  /** Day-2 runs: set on the run that ended its operation. */
  closed?: RunClosed;
}

export interface LedgerData {
  format: typeof LEDGER_FORMAT;
  schemaVersion: number;
  project: string;
  env: string;
  /** Incremented at every write; the higher of local and remote wins on load. */
  revision: number;
  updatedAt: string;
  steps: Record<string, StepRecord>;
  runs: RunRecord[];
  /** Free-form per-environment facts (account id, state bucket) learned along the way. */
  facts: Record<string, string>;
}

/** Runs kept in the history (oldest dropped first). */
export const RUN_HISTORY_LIMIT = 300;

export function emptyLedger(project: string, env: string, now: Date): LedgerData {
  return {
    format: LEDGER_FORMAT,
    schemaVersion: LEDGER_SCHEMA_VERSION,
    project,
    env,
    revision: 0,
    updatedAt: now.toISOString(),
    steps: {},
    runs: [],
    facts: {},
  };
}

/** Parse and check a serialised ledger; throws StateInvalidError naming the problem. */
export function parseLedger(text: string, where: string): LedgerData {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new StateInvalidError(
      `The ledger at ${where} is corrupt (${errorMessage(err)}); dpf will not overwrite it.`,
      `Restore it from ${path.basename(where)}.bak next to it or from an earlier version in the state bucket (ledger/<env>/ledger.json is versioned), then run again.`,
    );
  }
  const d = data as Partial<LedgerData>;
  if (!d || typeof d !== 'object' || d.format !== LEDGER_FORMAT || typeof d.schemaVersion !== 'number' || typeof d.steps !== 'object')
    throw new StateInvalidError(
      `The file at ${where} is not a dpf ledger (missing format/schemaVersion/steps).`,
      'Move it aside or restore the real ledger, then run again.',
    );
  if (d.schemaVersion > LEDGER_SCHEMA_VERSION)
    throw new StateInvalidError(
      `The ledger at ${where} was written by a newer dpf (ledger schema ${d.schemaVersion}; this dpf understands ${LEDGER_SCHEMA_VERSION}).`,
      'Upgrade dpf (pull the newest release of this repository, then npm ci && npm run build) and run again.',
    );
  return migrate({ runs: [], facts: {}, revision: 0, ...d } as LedgerData, where);
}

/**
 * Schema n → n + 1, for every schema before LEDGER_SCHEMA_VERSION. Reading applies them in turn
 * and stamps each one's target, so bumping the version without adding the step from the
 * previous schema refuses the older ledgers (and fails the schema-1 test) instead of
 * stamping a ledger with a schema it does not have.
 */
export const LEDGER_MIGRATIONS: Readonly<Record<number, (d: LedgerData) => LedgerData>> = {
  1: (d) => migrateV1(d as LedgerData & V1),
};

function migrate(ledger: LedgerData, where: string): LedgerData {
  let d = ledger;
  for (let v = d.schemaVersion; v < LEDGER_SCHEMA_VERSION; v = d.schemaVersion) {
    const step = LEDGER_MIGRATIONS[v];
    if (!step)
      throw new StateInvalidError(
        `The ledger at ${where} has schema ${v}, which this dpf cannot read (no migration from schema ${v} to ${v + 1}).`,
        'Move it aside or restore the real ledger, then run again.',
      );
    d = { ...step(d), schemaVersion: v + 1 };
  }
  return d;
}

/**
 * The newest-copy rule, for every two copies of one environment's ledger (local, state bucket,
 * another operator's): the one with the higher revision (every write increments it) wins; a
 * copy of another environment never does.
 */
export function isNewerCopy(candidate: LedgerData, current: Pick<LedgerData, 'project' | 'env' | 'revision'>): boolean {
  return candidate.env === current.env && candidate.project === current.project && candidate.revision > current.revision;
}

/** Refuse a copy that belongs to another environment (adopting it would skip that one's steps here). */
export function assertLedgerOf(data: LedgerData, expected: Pick<LedgerData, 'project' | 'env'>, where: string, hint: string): void {
  if (data.env !== expected.env || data.project !== expected.project)
    throw new StateInvalidError(`The ledger at ${where} belongs to ${data.project}/${data.env}, not ${expected.project}/${expected.env}.`, hint);
}

/**
 * A ledger file as it is on disk (checked, and refused when it is another environment's); undefined
 * when there is none. Read synchronously: read-only commands have nothing to overlap it with, and a
 * thread-pool round trip is a measurable part of `status --offline`'s start (issue 14).
 */
export async function readLedgerFile(file: string, project: string, env: string): Promise<LedgerData | undefined> {
  if (!existsSync(file)) return undefined;
  const data = parseLedger(readFileSync(file, 'utf8'), file);
  assertLedgerOf(data, { project, env }, file, 'Check --env and --config.');
  return data;
}

export function serializeLedger(data: LedgerData): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/** Where a copy of the ledger is mirrored (the state bucket). */
export interface LedgerMirror {
  read(): Promise<string | undefined>;
  write(body: string): Promise<void>;
  describe(): string;
}

export type LedgerWarn = (message: string) => void;

/**
 * How long a change waits for the changes that come with it (a step's start, its change set's
 * ids, the next step's start) before the state-bucket copy is written: one upload per batch of
 * transitions, not one per transition. The local file is still written at every change; a
 * process killed before the upload leaves the mirror at most this batch behind, and the next
 * run on this machine pushes the newer local copy (attachMirror).
 */
export const MIRROR_BATCH_MS = 2000;

export class Ledger {
  private writeChain: Promise<void> = Promise.resolve();
  private mirror?: LedgerMirror;
  /** Changes made since the last upload started. */
  private mirrorDirty = false;
  private mirrorTimer?: ReturnType<typeof setTimeout>;
  private mirrorChain: Promise<void> = Promise.resolve();
  private mirrorBatchMs = MIRROR_BATCH_MS;
  /**
   * Read-only (`deploy --check`, `--dry-run`): changes are applied in memory, so the run can
   * go on as it would, but nothing is written, locally or to the state bucket.
   */
  private readOnly = false;

  private constructor(
    readonly file: string,
    public data: LedgerData,
    private readonly me: ProcessInfo,
    private readonly warn: LedgerWarn,
  ) {}

  /** From now on, keep changes in memory only (see `readOnly`). */
  makeReadOnly(): void {
    this.readOnly = true;
  }

  get isReadOnly(): boolean {
    return this.readOnly;
  }

  /** How long a batch of changes gathers before it is mirrored (default MIRROR_BATCH_MS; 0: at the next tick). */
  setMirrorBatch(ms: number): void {
    this.mirrorBatchMs = Math.max(0, ms);
  }

  /**
   * Open (or start) the ledger of an environment; refuses corrupt or newer files. Commands open it
   * through the state store (./store.ts), which knows where it lives.
   * @param me this process: temp files are named after it, and those of dead processes removed.
   */
  static async open(file: string, project: string, env: string, now: Date, me: ProcessInfo, warn: LedgerWarn = () => undefined): Promise<Ledger> {
    // Temp files of writes a killed process never renamed into place.
    await removeStaleTemps(path.dirname(file), me);
    const data = await readLedgerFile(file, project, env);
    return new Ledger(file, data ?? emptyLedger(project, env, now), me, warn);
  }

  /** Attach the state-bucket mirror; adopts the remote copy when it is newer than the local one. */
  async attachMirror(mirror: LedgerMirror): Promise<'remote-newer' | 'local-newer' | 'same'> {
    let remote: LedgerData | undefined;
    const body = await mirror.read();
    if (body !== undefined) remote = parseLedger(body, mirror.describe());
    // Same refusal as open(): adopting another environment's ledger would skip its steps here.
    if (remote) assertLedgerOf(remote, this.data, mirror.describe(), 'Check --env and the state bucket.');
    // Attached only once the remote copy is known good: a refused copy is never overwritten.
    this.mirror = mirror;
    if (remote && isNewerCopy(remote, this.data)) {
      this.data = remote;
      if (!this.readOnly) await this.persistLocal();
      return 'remote-newer';
    }
    if (!remote || remote.revision < this.data.revision) {
      // Pushed with the batch the run is about to make (its next step's start), or at flush().
      this.scheduleMirror();
      return 'local-newer';
    }
    return 'same';
  }

  /** Take a copy read elsewhere when it is newer than ours; returns whether it was taken. */
  async adopt(other: LedgerData): Promise<boolean> {
    if (!isNewerCopy(other, this.data)) return false;
    this.data = other;
    if (!this.readOnly) await this.persistLocal();
    return true;
  }

  get(stepId: string): StepRecord | undefined {
    return this.data.steps[stepId];
  }

  outputs(stepId: string): Record<string, string> {
    return this.data.steps[stepId]?.outputs ?? {};
  }

  /** Apply a change and write it out (serialised: concurrent steps never interleave writes). */
  async update(mutate: (d: LedgerData) => void, now: Date): Promise<void> {
    mutate(this.data);
    if (this.readOnly) return;
    this.data.revision += 1;
    this.data.updatedAt = now.toISOString();
    await this.persistLocal();
    this.scheduleMirror();
  }

  async updateStep(id: string, phase: string, patch: Partial<StepRecord>, now: Date): Promise<StepRecord> {
    await this.update((d) => {
      const prev = d.steps[id] ?? { id, phase, status: 'pending', outputs: {}, attempts: 0, evidence: {} };
      d.steps[id] = { ...prev, ...patch, id, phase, evidence: { ...prev.evidence, ...(patch.evidence ?? {}) } };
    }, now);
    return this.data.steps[id]!;
  }

  private persistLocal(): Promise<void> {
    const body = serializeLedger(this.data);
    // A failed write fails its caller, but must not poison the writes queued after it.
    this.writeChain = this.writeChain
      .catch(() => undefined)
      .then(async () => {
        // The copy the exit-5 message tells operators to restore from: written as atomically as the
        // ledger itself (a kill mid-copy must not leave it empty), from the complete previous version.
        const previous = await readFile(this.file, 'utf8').catch(() => undefined);
        if (previous !== undefined) {
          try {
            await writeFileAtomic(`${this.file}.bak`, previous, this.me);
          } catch (err) {
            this.warn(`Could not write ${path.basename(this.file)}.bak: ${errorMessage(err)} (the ledger itself is written next).`);
          }
        }
        await writeFileAtomic(this.file, body, this.me);
      });
    return this.writeChain;
  }

  /** A change to mirror: the first one of a batch starts the batch's clock, the others join it. */
  private scheduleMirror(): void {
    if (!this.mirror || this.readOnly) return;
    this.mirrorDirty = true;
    if (this.mirrorTimer) return;
    this.mirrorTimer = setTimeout(() => {
      this.mirrorTimer = undefined;
      void this.pushMirror();
    }, this.mirrorBatchMs);
    // A pending batch never keeps the process alive: commands flush() when they close.
    this.mirrorTimer.unref?.();
  }

  /** One upload carrying every change made before it starts (uploads never overlap). */
  private pushMirror(): Promise<void> {
    const mirror = this.mirror;
    if (!mirror) return this.mirrorChain;
    this.mirrorChain = this.mirrorChain.then(async () => {
      if (!this.mirrorDirty) return;
      this.mirrorDirty = false;
      try {
        await mirror.write(serializeLedger(this.data));
      } catch (err) {
        this.mirrorDirty = true;
        this.warn(`Could not mirror the ledger to ${mirror.describe()}: ${errorMessage(err)} (the local copy is intact; it will be retried).`);
      }
    });
    return this.mirrorChain;
  }

  /** Wait until the local copy is written and the state-bucket copy carries every change (the pending batch is sent now). */
  async flush(): Promise<void> {
    if (this.mirrorTimer) clearTimeout(this.mirrorTimer);
    this.mirrorTimer = undefined;
    await this.writeChain;
    await this.pushMirror();
  }
}
