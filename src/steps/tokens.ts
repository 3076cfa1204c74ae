/**
 * Idempotency tokens and markers for AWS writes, derived from the run, the step and the
 * step's attempt: the same (run, step, attempt) always gives the same token, so every SDK
 * retry of one call carries the same token (AWS then carries the call out once), and the
 * ledger, which records the token before the call, says exactly which call a dead run made.
 * A new attempt (a rerun) gets a new token: it is a new request.
 */
import { createHash } from 'node:crypto';

/**
 * `dpf-<purpose>-<32 hex>`: within CloudFormation's ClientToken/ClientRequestToken pattern
 * `[a-zA-Z0-9][-a-zA-Z0-9]*` (1-128), AWS Backup's IdempotencyToken and EC2's ClientToken (≤ 64).
 */
export function clientToken(runId: string, stepId: string, attempt: number, purpose: string): string {
  const h = createHash('sha256').update(`${runId}\n${stepId}\n${attempt}\n${purpose}`).digest('hex').slice(0, 32);
  return `dpf-${purpose.replace(/[^a-zA-Z0-9]/g, '').slice(0, 16)}-${h}`;
}

/** The marker put in an SSM command's Comment (SendCommand has no token): short, no spaces. */
export function sendMarker(runId: string, stepId: string, attempt: number): string {
  return `dpf-m-${createHash('sha256').update(`${runId}\n${stepId}\n${attempt}\nsend`).digest('hex').slice(0, 12)}`;
}
