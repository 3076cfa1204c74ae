/** Reading a ledger of schema 1: its day-2 operations list folded onto the runs (src/state/ledger.ts). */
import type { LedgerData, RunOperation, RunStatus } from './ledger.js';

/** Schema 1 kept day-2 operations in a list of their own, beside the runs. */
export interface V1 {
  operations?: Array<{
    id: string;
    kind: string;
    key: string;
    status: string;
    startedAt: string;
    finishedAt?: string;
    runIds: string[];
    params: Record<string, unknown>;
    state?: Record<string, unknown>;
    summary?: Record<string, unknown>;
  }>;
}

const V1_RUN_STATUS: Record<string, RunStatus> = {
  running: 'running',
  done: 'done',
  failed: 'failed',
  interrupted: 'interrupted',
  aborted: 'failed',
  abandoned: 'interrupted',
};

/**
 * Schema 1 → 2, in memory (written back as 2 at the next change): each operation record is
 * folded onto the runs it names (and a drill's "-finish" runs); one whose runs the capped history
 * dropped gets a run of its own. A step's evidence.operationId becomes its record's scope.
 */
export function migrateV1(d: LedgerData & V1): LedgerData {
  const runs = [...d.runs];
  for (const o of d.operations ?? []) {
    const operation: RunOperation = { id: o.id, kind: o.kind, key: o.key, params: o.params };
    const mine = runs.filter((r) => o.runIds.some((id) => r.runId === id || r.runId === `${id}-finish`));
    for (const r of mine) r.operation = operation;
    let last = mine.sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1);
    if (!last) {
      last = {
        runId: o.runIds.at(-1) ?? o.id,
        command: o.kind,
        operator: 'unknown',
        host: 'unknown',
        startedAt: o.startedAt,
        finishedAt: o.finishedAt,
        status: V1_RUN_STATUS[o.status] ?? 'failed',
        steps: [],
        note: 'from the operations list of ledger schema 1 (this run was no longer in the run history)',
        operation,
      };
      runs.push(last);
    }
    const kept = o.state?.kept === true && o.state?.tornDown !== true;
    if (o.summary || o.state?.kept !== undefined) last.summary = { ...(o.summary ?? {}), ...(o.state?.kept !== undefined ? { kept } : {}) };
    if (o.status === 'done' || o.status === 'aborted' || o.status === 'abandoned')
      last.closed = { as: o.status, at: o.finishedAt ?? last.finishedAt ?? o.startedAt };
  }
  runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  for (const st of Object.values(d.steps)) {
    const id = st.evidence.operationId;
    if (typeof id !== 'string') continue;
    st.scope = id;
    delete st.evidence.operationId;
  }
  const { operations: _v1, ...rest } = d;
  // The caller (LEDGER_MIGRATIONS in ledger.ts) stamps schema 2; a type-only import keeps the modules acyclic.
  return { ...rest, runs };
}
