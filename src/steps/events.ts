/**
 * What the engine and its pollers say. The engine never prints: it emits these to an
 * IoHost; renderers (src/ui/) draw them as listr2 on a TTY, plain lines in CI, or NDJSON.
 */
export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

/** Colour class of a CloudFormation/resource status (rain's five). */
export type StateClass = 'pending' | 'in-progress' | 'complete' | 'failed' | 'cancelled';

export type DpfEvent =
  | { type: 'run-start'; runId: string; command: string; env: string; steps: Array<{ id: string; title: string; phase: string }> }
  | { type: 'step-start'; stepId: string; title: string; reconcile?: boolean }
  | { type: 'step-progress'; stepId: string; message: string; state?: StateClass; resource?: { logicalId: string; type: string; status: string; reason?: string } }
  | { type: 'step-skipped'; stepId: string; reason: string }
  | { type: 'step-done'; stepId: string; changed: boolean; durationSeconds: number; summary?: string }
  | { type: 'step-failed'; stepId: string; error: string; rootCause?: string; hint?: string }
  | { type: 'step-blocked'; stepId: string; waitingFor: string[] }
  | { type: 'changeset'; stepId: string; stackName: string; changes: Array<{ action: string; logicalId: string; resourceType: string; replacement?: string }> }
  | { type: 'warning'; message: string; stepId?: string }
  | { type: 'info'; message: string; stepId?: string }
  | { type: 'run-done'; runId: string; status: 'done' | 'failed' | 'interrupted'; durationSeconds: number; counts: Record<string, number>; resume?: string };

export interface ConfirmRequest {
  question: string;
  stepId?: string;
  /** What the answer is when --yes is given. */
  defaultAnswer?: boolean;
}

export interface IoHost {
  notify(event: DpfEvent): void;
  /** Ask a yes/no question. Resolves true with --yes; throws NotConfirmedError without a TTY. */
  confirm(req: ConfirmRequest): Promise<boolean>;
  /** Called once the run is over so a live renderer can stop drawing. */
  close?(): Promise<void>;
}

export function stateClass(status: string): StateClass {
  if (/CANCEL/i.test(status)) return 'cancelled';
  if (/ROLLBACK_COMPLETE$|ROLLBACK_FAILED$|_FAILED$|^FAILED$|^failed$|^TimedOut$/i.test(status)) return 'failed';
  if (/_IN_PROGRESS$|^PENDING|_PENDING$|^InProgress$|^running$/i.test(status)) return 'in-progress';
  if (/_COMPLETE$|^Success$|^done$|^available$/i.test(status)) return 'complete';
  if (/CANCEL|SKIPPED|^Cancelled$/i.test(status)) return 'cancelled';
  return 'pending';
}
