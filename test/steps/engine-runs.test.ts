/**
 * What the engine owns for day-2 runs: the run scope (an operation's id on every record; a done
 * step is skipped only within it), the finally group (teardown after the main group, done or
 * failed), one run history (the operation on the run record) and record resets a step returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runSteps, type RunOptions } from '../../src/steps/engine.js';
import type { Ledger, RunOperation, StepRecord } from '../../src/state/ledger.js';
import { validateConfig } from '../../src/config/load.js';
import type { EnvContext, PhaseId, StepContext, StepDef, StepResult } from '../../src/steps/types.js';
import type { AwsPorts } from '../../src/aws/ports.js';
import { testSettings } from '../fakes/fake-settings.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { tempLedger } from './engine-helpers.js';

const ENV = validateConfig({ version: 1, project: 'dataplatform', environments: { dev: {} } }).config!.environments.dev!;
const OP_A: RunOperation = { id: 'backup-a', kind: 'backup', key: '', params: {} };
const OP_B: RunOperation = { id: 'backup-b', kind: 'backup', key: '', params: {} };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0)) await f();
});

interface Probe {
  ran: string[];
  /** The `previous` each step's run saw, by step id. */
  seen: Record<string, StepRecord | undefined>;
}

function step(probe: Probe, id: string, dependsOn: string[] = [], run?: (ctx: StepContext) => Promise<StepResult>): StepDef {
  return {
    id,
    phase: id.split('.')[0] as PhaseId,
    title: id,
    kind: 'check',
    dependsOn,
    prepare: async () => ({ inputHash: `h-${id}`, estimateSeconds: 1 }),
    async run(ctx) {
      probe.ran.push(id);
      probe.seen[id] = ctx.previous;
      return run ? run(ctx) : { changed: true, outputs: { at: ctx.envCtx.runId }, evidence: { by: ctx.envCtx.runId } };
    },
  };
}

const boom = async (): Promise<StepResult> => {
  throw new Error('boom');
};

async function harness() {
  const clock = new FakeClock().autoAdvance();
  const io = new FakeIoHost();
  const { ledger, cleanup } = await tempLedger(clock.now());
  cleanups.push(async () => {
    await ledger.flush().catch(() => undefined);
    cleanup();
  });
  let n = 0;
  const probe: Probe = { ran: [], seen: {} };
  const envCtx = (runId: string): EnvContext => ({
    project: 'dataplatform',
    name: 'dev',
    env: ENV,
    region: 'us-west-2',
    accountId: '123456789012',
    operator: 'alice',
    runId,
  });
  const run = (o: Partial<RunOptions> & Pick<RunOptions, 'steps'>) =>
    runSteps({
      ledger,
      envCtx: envCtx(`run-${++n}`),
      aws: {} as AwsPorts,
      io,
      clock,
      signal: new AbortController().signal,
      settings: testSettings(),
      concurrency: 2,
      command: 'backup',
      ...o,
    });
  return {
    ledger: ledger as Ledger,
    io,
    probe,
    run,
    step: (id: string, deps: string[] = [], r?: (ctx: StepContext) => Promise<StepResult>) => step(probe, id, deps, r),
  };
}

describe('runSteps: run scope', () => {
  it('GIVEN a step done in one scope WHEN a run of the same scope THEN it is skipped; of another scope THEN it runs afresh with no previous', async () => {
    const h = await harness();
    await h.run({ steps: [h.step('operations.x')], scope: OP_A });
    expect(h.ledger.get('operations.x')).toMatchObject({ status: 'done', scope: 'backup-a', evidence: { by: 'run-1' } });

    const again = await h.run({ steps: [h.step('operations.x')], scope: OP_A });
    expect(again.outcomes['operations.x']).toBe('skipped');

    h.probe.seen = {};
    const other = await h.run({ steps: [h.step('operations.x')], scope: OP_B });
    expect(other.outcomes['operations.x']).toBe('done');
    expect(h.probe.seen['operations.x']).toBeUndefined();
    // Replaced whole: none of the other operation's evidence is left on the record.
    expect(h.ledger.get('operations.x')).toMatchObject({ scope: 'backup-b', attempts: 1, evidence: { by: 'run-3' } });
  });

  it('GIVEN a step that failed in this scope WHEN rerun in it THEN its run sees that record as previous', async () => {
    const h = await harness();
    await h.run({ steps: [h.step('operations.x', [], async (ctx) => (await ctx.evidence({ half: 'way' }), boom()))], scope: OP_A });
    await h.run({ steps: [h.step('operations.x')], scope: OP_A });
    expect(h.probe.seen['operations.x']).toMatchObject({ status: 'failed', scope: 'backup-a', evidence: { half: 'way' } });
    expect(h.ledger.get('operations.x')).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('GIVEN a scoped run THEN the run history records the operation on the run', async () => {
    const h = await harness();
    await h.run({ steps: [h.step('operations.x')], scope: OP_A });
    expect(h.ledger.data.runs.at(-1)).toMatchObject({ runId: 'run-1', status: 'done', operation: OP_A, steps: ['operations.x'] });
  });
});

describe('runSteps: finally group', () => {
  it.each([
    ['done', undefined, 'done', 'done'],
    ['failed', boom, 'failed', 'failed'],
  ] as const)('GIVEN a main group that ends %s WHEN run THEN the finally group runs after it', async (_n, mainRun, main, status) => {
    const h = await harness();
    const s = await h.run({
      steps: [h.step('operations.a', [], mainRun), h.step('operations.b', ['operations.a'])],
      finally: [h.step('operations.teardown'), h.step('operations.report', ['operations.teardown'])],
      scope: OP_A,
    });
    expect(s.groups).toEqual({ main, finally: 'done' });
    expect(s.status).toBe(status);
    expect(h.probe.ran.slice(-2)).toEqual(['operations.teardown', 'operations.report']);
    if (main === 'failed') {
      expect(s.outcomes['operations.b']).toBe('blocked');
      expect(h.io.ofType('warning').some((w) => w.message.includes('running operations.teardown, operations.report all the same'))).toBe(true);
    }
  });

  it('GIVEN a finally step of this scope has begun in an earlier run WHEN rerun THEN the main group is not run again', async () => {
    const h = await harness();
    await h.run({ steps: [h.step('operations.a', [], boom)], finally: [h.step('operations.teardown', [], boom)], scope: OP_A });
    h.probe.ran = [];
    const s = await h.run({ steps: [h.step('operations.a')], finally: [h.step('operations.teardown')], scope: OP_A });
    expect(h.probe.ran).toEqual(['operations.teardown']);
    expect(s.outcomes['operations.a']).toBe('skipped');
    expect(s.groups).toEqual({ main: 'done', finally: 'done' });
  });

  it('GIVEN a finally record of ANOTHER scope WHEN a new operation runs THEN its main group runs', async () => {
    const h = await harness();
    await h.run({ steps: [h.step('operations.a')], finally: [h.step('operations.teardown')], scope: OP_A });
    h.probe.ran = [];
    await h.run({ steps: [h.step('operations.a')], finally: [h.step('operations.teardown')], scope: OP_B });
    expect(h.probe.ran).toEqual(['operations.a', 'operations.teardown']);
  });
});

describe('runSteps: resets a step returns', () => {
  it('GIVEN a step that returns resets THEN the engine sets those records back to pending with the evidence, in the same write as its own', async () => {
    const h = await harness();
    await h.run({ steps: [h.step('storage.stack'), h.step('storage.db')] });
    const revisions: number[] = [];
    const destroy = h.step('operations.destroy.storage', [], async () => ({
      changed: true,
      resets: { steps: ['storage.stack', 'storage.db', 'operations.destroy.storage', 'nope'], evidence: { destroyedBy: 'destroy-1' } },
    }));
    await h.run({ steps: [destroy], scope: { ...OP_A, kind: 'destroy' }, afterStep: async () => void revisions.push(h.ledger.data.revision) });
    for (const id of ['storage.stack', 'storage.db'])
      expect(h.ledger.get(id)).toMatchObject({ status: 'pending', outputs: {}, inputHash: undefined, evidence: { destroyedBy: 'destroy-1' } });
    // Its own record is not reset, and no record is made for an unknown id.
    expect(h.ledger.get('operations.destroy.storage')?.status).toBe('done');
    expect(h.ledger.get('nope')).toBeUndefined();
    expect(revisions).toHaveLength(1);
  });
});
