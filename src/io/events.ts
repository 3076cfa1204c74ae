/**
 * The IO protocol, part 1: what the engine and its pollers say. The engine never prints: it
 * emits these to an IoHost (./host.ts); renderers (src/ui/) draw them as a live view on a TTY,
 * plain lines in CI, or NDJSON. The lowest layer: it imports nothing of dpf, so every layer
 * (state, ssm, checks, steps, ui) can speak it without importing upward.
 */
export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

/** Colour class of a CloudFormation/resource status (rain's five). */
export type StateClass = 'pending' | 'in-progress' | 'complete' | 'failed' | 'cancelled';

export type DpfEvent =
  | { type: 'run-start'; runId: string; command: string; env: string; steps: Array<{ id: string; title: string; phase: string }> }
  | { type: 'step-start'; stepId: string; title: string; reconcile?: boolean }
  | {
      type: 'step-progress';
      stepId: string;
      message: string;
      state?: StateClass;
      resource?: { logicalId: string; type: string; status: string; reason?: string };
    }
  | { type: 'step-skipped'; stepId: string; reason: string }
  | { type: 'step-done'; stepId: string; changed: boolean; durationSeconds: number; summary?: string; verdict?: CheckVerdictStatus }
  | { type: 'step-failed'; stepId: string; error: string; rootCause?: string; hint?: string }
  | { type: 'step-blocked'; stepId: string; waitingFor: string[] }
  /** The operator answered no: nothing was changed by the step (not a failure). */
  | { type: 'step-declined'; stepId: string; message: string }
  | {
      type: 'changeset';
      stepId: string;
      stackName: string;
      changes: ChangeView[];
      security?: SecurityChange[];
      /** 'template': no change set was made (a new stack under --yes, made with CreateStack); the list is the template's resources its conditions keep. */
      source?: 'template';
    }
  | { type: 'warning'; message: string; stepId?: string }
  | { type: 'info'; message: string; stepId?: string }
  | {
      type: 'run-done';
      runId: string;
      status: 'done' | 'failed' | 'interrupted';
      durationSeconds: number;
      /** Steps by outcome (done, skipped, failed, declined, blocked, interrupted). */
      counts: Record<string, number>;
      /** Check steps by verdict (pass, warn, unknown): a done check is not necessarily a pass. */
      verdicts?: Record<string, number>;
      resume?: string;
    };

/**
 * The one verdict vocabulary where the meaning is one: the go-live checks', the preflight's, a
 * check step's and (without `unknown`) the semantic rules'. Only `fail` fails; `unknown` is never
 * a pass. (The day-2 validation checks keep `ok | failed | unknown`: fields users read in
 * `dpf restore` and `dpf dr-drill --json`.)
 */
export type Verdict = 'pass' | 'warn' | 'unknown' | 'fail';

/** A check's verdict; only `fail` fails its step. */
export type CheckVerdictStatus = Verdict;

/** One resource change of a change set, as shown before asking. */
export interface ChangeView {
  action: string;
  logicalId: string;
  resourceType: string;
  replacement?: string;
  /** Property-level changes (DescribeChangeSet IncludePropertyValues), when AWS gave them. */
  properties?: Array<{ path: string; change: string; before?: string; after?: string; recreation?: string }>;
}

/** A change that widens access (new ingress, new IAM statements): shown before the question, as CDK does. */
export interface SecurityChange {
  logicalId: string;
  resourceType: string;
  kind: 'ingress' | 'iam';
  description: string;
}

/** The text with a–z in capitals and nothing else changed: how a case-insensitive regex compares ASCII letters. */
function asciiUpper(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c >= 97 && c <= 122 ? String.fromCharCode(c - 32) : text[i];
  }
  return out;
}

/**
 * How a status (CloudFormation's, SSM's, dpf's; any case) is drawn. String tests rather than
 * case-insensitive regexes: the status screen classifies every step at each start, and V8
 * compiles each regex on its first use (≈0.25 ms of `dpf status --offline`, issue 14).
 */
export function stateClass(status: string): StateClass {
  const s = asciiUpper(status);
  if (s.includes('CANCEL')) return 'cancelled';
  if (s.endsWith('ROLLBACK_COMPLETE') || s.endsWith('_FAILED') || s === 'FAILED' || s === 'TIMEDOUT') return 'failed';
  if (s.endsWith('_IN_PROGRESS') || s.startsWith('PENDING') || s.endsWith('_PENDING') || s === 'INPROGRESS' || s === 'RUNNING') return 'in-progress';
  if (s.endsWith('_COMPLETE') || s === 'SUCCESS' || s === 'DONE' || s === 'AVAILABLE') return 'complete';
  if (s.includes('SKIPPED')) return 'cancelled';
  return 'pending';
}
