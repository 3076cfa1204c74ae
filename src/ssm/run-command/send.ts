/** Sending one SSM command exactly once (a marker in its Comment, looked up after a lost answer). */
import { randomBytes } from 'node:crypto';
import type { SendCommandInput, SsmPort } from '../../aws/ops-ports.js';
import { AbortError, errorMessage } from '../../errors.js';
import { classifyAwsError } from '../../aws/retry.js';
import type { RunCommandDeps, RunCommandOptions } from './types.js';

/** A send marker: short, in the Comment's allowed characters. */
export function newMarker(): string {
  return `dpf-m-${randomBytes(6).toString('hex')}`;
}

/**
 * Send exactly once: the marker goes first in the Comment (SSM keeps 100 characters), then
 * after any failure the command is looked up by it before another attempt; so a lost answer
 * never runs a playbook twice. A refusal (throttled past the SDK's retries, invalid input) is
 * not retried here.
 */
export async function sendOnce(ssm: SsmPort, deps: RunCommandDeps, input: SendCommandInput, opts: RunCommandOptions): Promise<string> {
  const marker = opts.marker ?? newMarker();
  const withMarker: SendCommandInput = { ...input, comment: `${marker} ${input.comment ?? ''}`.trim().slice(0, 100) };
  const attempts = Math.max(1, opts.sendAttempts ?? 3);
  const since = deps.clock.now();
  await deps.onSending?.(marker, since);
  for (let attempt = 1; ; attempt++) {
    try {
      return await ssm.sendCommand(withMarker);
    } catch (err) {
      if (isAbort(err) || deps.signal.aborted) throw err;
      const kind = classifyAwsError((err as { cause?: unknown }).cause ?? err, false);
      if (kind !== 'lost-answer' && kind !== 'server-error') throw err;
      // The request reached SSM: did it create the command? (Listed within seconds on AWS; look twice.)
      for (let look = 0; look < 2; look++) {
        const found = await ssm.findCommandByMarker(marker, { documentName: input.documentName, since });
        if (found) {
          deps.io.notify({
            type: 'warning',
            stepId: deps.stepId,
            message: `SendCommand's answer was lost (${errorMessage(err)}); command ${found} carries marker ${marker}: watching it instead of sending again.`,
          });
          return found;
        }
        if (look === 0) await deps.clock.sleep(2000, deps.signal);
      }
      if (attempt >= attempts) throw err;
      deps.io.notify({
        type: 'warning',
        stepId: deps.stepId,
        message: `SendCommand failed (${errorMessage(err)}) and no command carries marker ${marker}: sending again (attempt ${attempt + 1} of ${attempts}).`,
      });
    }
  }
}

/** Who the command went to, for the progress line. */
export function describeTargets(input: SendCommandInput): string {
  if (input.instanceIds?.length) return input.instanceIds.join(', ');
  const t = input.targets ?? {};
  return Object.keys(t).length
    ? Object.entries(t)
        .map(([k, v]) => `tag ${k}=${v.join('|')}`)
        .join(' and ')
    : 'no targets';
}

export function isAbort(err: unknown): boolean {
  return err instanceof AbortError || (err as { name?: string })?.name === 'AbortError';
}
