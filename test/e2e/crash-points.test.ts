/**
 * Crash points, end to end: bin/dpf deploy is killed with SIGKILL at a sample of points — right
 * after CreateStack (a --yes deploy's new stack), after a change set is created or executed (an
 * environment with deploy.newStacks: change-set), after SendCommand (the emulator carried
 * the call out, dpf never saw the answer), at step events, and after the Nth request — and
 * `dpf deploy` is run again. Every point must resume to all-done: no step left running, the
 * killed run closed in the history, no lock or temp file left, and no duplicate stack, change
 * set or SSM command in the emulator's audit log (with AWS's REVIEW_IN_PROGRESS and token
 * behaviour modelled in tools/moto_server.py). A fixed sample keeps this within a few minutes;
 * bench/chaos.mjs runs every point (tools/chaos.mjs).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startEmulator, DPF, type Emulator } from './harness.js';
// @ts-expect-error plain ESM module shared with bench/ (no types)
import { crashAndResume, pointName, STACKS, PLAYBOOK_STEPS } from '../../tools/chaos.mjs';
import { buildSteps } from '../../src/steps/phases.js';
import { environmentSchema } from '../../src/config/schema.js';

let em: Emulator;
beforeAll(async () => {
  em = await startEmulator();
});
afterAll(async () => {
  await em?.stop();
});

const SAMPLE = [
  { after: 'CreateStack', stack: 'bootstrap' },
  { after: 'CreateChangeSet', stack: 'bootstrap', newStacks: 'change-set' },
  { after: 'ExecuteChangeSet', stack: 'bootstrap', newStacks: 'change-set' },
  { after: 'CreateStack', stack: 'network' },
  { after: 'ExecuteChangeSet', stack: 'storage', newStacks: 'change-set' },
  { after: 'CreateStack', stack: 'identity' },
  { after: 'ExecuteChangeSet', stack: 'monitoring', newStacks: 'change-set' },
  { after: 'CreateStack', stack: 'autoconfig' },
  { after: 'SendCommand', step: 'identity.configure-worker' },
  { after: 'SendCommand', step: 'identity.ipa-server' },
  { after: 'SendCommand', step: 'identity.ipa-policy' },
  { event: 'step-start', step: 'network.stack' },
  { event: 'step-done', step: 'storage.stack' },
  { nth: 150 },
];

describe('GIVEN the crash points of tools/chaos.mjs (the bench runs them all)', () => {
  it('WHEN compared with the steps of a deploy THEN every stack and every playbook step has its points', () => {
    const steps = buildSteps(environmentSchema.parse({}));
    const templates = steps.filter((s) => s.kind === 'stack').map((s) => s.stack!.template);
    expect([...STACKS].sort()).toEqual([...templates].sort());
    expect([...PLAYBOOK_STEPS].sort()).toEqual(
      steps
        .filter((s) => s.kind === 'playbook')
        .map((s) => s.id)
        .sort(),
    );
  });
});

describe('GIVEN a deploy killed at a sampled point', () => {
  it.each(SAMPLE.map((p, i) => [pointName(p), p, `k${String(i + 1).padStart(2, '0')}`] as const))(
    'WHEN killed %s and rerun THEN it resumes to all-done with no duplicate write',
    { timeout: 200_000 },
    async (_name, point, env) => {
      const r = await crashAndResume({ dpfBin: DPF, emulator: em, env, point, timeoutMs: 180_000 });
      expect(r.problems).toEqual([]);
      expect(r).toMatchObject({ killed: true, completed: true, duplicates: 0 });
    },
  );
});
