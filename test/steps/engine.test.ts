import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runSteps, summaryError, type RunOptions } from '../../src/steps/engine.js';
import { testSettings } from '../fakes/fake-settings.js';
import { deployStack } from '../../src/steps/stack-deployer.js';
import { SUCCESS_STATES } from '../../src/aws/cloudformation.js';
import { parseLedger, type Ledger, type StepRecord } from '../../src/state/ledger.js';
import { validateConfig } from '../../src/config/load.js';
import { AbortError, ExitCode, LockHeldError, NotConfirmedError, StepFailedError, type LockHolder } from '../../src/errors.js';
import { explainAwsError } from '../../src/aws/explain.js';
import type { EnvContext, PhaseId, StepContext, StepDef, StepResult } from '../../src/steps/types.js';
import type { AwsPorts } from '../../src/aws/ports.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeCloudFormation, type FakeCloudFormationOptions } from '../fakes/fake-cloudformation.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { BUCKET_AND_DB, deferred, templateBody, tempLedger, until, type Resources } from './engine-helpers.js';

// ---- harness ------------------------------------------------------------------------------

const ENV = validateConfig({ version: 1, project: 'dataplatform', environments: { dev: {} } }).config!.environments.dev!;

interface Tracker {
  running: number;
  max: number;
  started: string[];
  finished: string[];
}

interface FakeStepOptions {
  hash?: string;
  /** What run does; default: resolve at once with outputs {id}. */
  run?: (ctx: StepContext) => Promise<StepResult | void>;
  verify?: StepDef['verify'];
}

/** A step whose run the test controls; it records when it starts and ends in `tracker`. */
function fakeStep(tracker: Tracker, id: string, dependsOn: string[] = [], o: FakeStepOptions = {}): StepDef & { runs: number; prepares: number } {
  const s = {
    id,
    phase: id.split('.')[0] as PhaseId,
    title: `Title ${id}`,
    kind: 'check' as const,
    dependsOn,
    runs: 0,
    prepares: 0,
    async prepare() {
      s.prepares++;
      return { inputHash: o.hash ?? `hash-${id}`, estimateSeconds: 5 };
    },
    async run(ctx: StepContext): Promise<StepResult> {
      s.runs++;
      tracker.running++;
      tracker.max = Math.max(tracker.max, tracker.running);
      tracker.started.push(id);
      try {
        const r = o.run ? await o.run(ctx) : undefined;
        tracker.finished.push(id);
        return r ?? { changed: true, outputs: { name: id } };
      } finally {
        tracker.running--;
      }
    },
    verify: o.verify,
  };
  return s;
}

const harnesses: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of harnesses.splice(0)) await f();
});

async function engineHarness(opts: { autoAdvance?: boolean; cfn?: FakeCloudFormationOptions } = {}) {
  const clock = new FakeClock();
  if (opts.autoAdvance !== false) clock.autoAdvance();
  const io = new FakeIoHost();
  const cfn = new FakeCloudFormation({ clock, ...opts.cfn });
  const { ledger, file, cleanup } = await tempLedger(clock.now());
  harnesses.push(async () => {
    await ledger.flush().catch(() => undefined);
    cleanup();
  });
  const aws = { region: 'us-west-2', cfn: async () => cfn } as unknown as AwsPorts;
  const tracker: Tracker = { running: 0, max: 0, started: [], finished: [] };
  let runs = 0;
  let abort = new AbortController();
  const envCtx = (runId: string): EnvContext => ({
    project: 'dataplatform',
    name: 'dev',
    env: ENV,
    region: 'us-west-2',
    accountId: '123456789012',
    operator: 'arn:aws:iam::123456789012:user/alice',
    runId,
  });
  const run = (steps: StepDef[], o: Partial<RunOptions> = {}) => {
    abort = o.signal ? abort : new AbortController();
    return runSteps({
      steps,
      ledger,
      envCtx: envCtx(`run-${++runs}`),
      aws,
      io,
      clock,
      signal: abort.signal,
      settings: testSettings(),
      concurrency: 4,
      command: 'deploy',
      ...o,
    });
  };
  return {
    clock,
    io,
    cfn,
    ledger,
    file,
    aws,
    tracker,
    run,
    abort: () => abort.abort(),
    step: (id: string, dependsOn: string[] = [], o: FakeStepOptions = {}) => fakeStep(tracker, id, dependsOn, o),
  };
}

async function seed(ledger: Ledger, id: string, patch: Partial<StepRecord>) {
  await ledger.updateStep(id, id.split('.')[0]!, patch, new Date('2024-12-31T00:00:00.000Z'));
}

const RESUME = 'dpf deploy --env dev';

// ---- scheduling -----------------------------------------------------------------------------

describe('runSteps: scheduling', () => {
  it.each([1, 2, 3])('GIVEN six independent gated steps and concurrency %i WHEN run THEN never more than that many run at once', async (limit) => {
    const h = await engineHarness();
    const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();
    const steps = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => {
      const id = `compute.${x}`;
      gates.set(id, deferred<void>());
      return h.step(id, [], { run: () => gates.get(id)!.promise.then(() => undefined) });
    });
    const done = h.run(steps, { concurrency: limit });

    for (let released = 0; released < steps.length; released++) {
      await until(() => h.tracker.started.length === Math.min(steps.length, released + limit), `${released + limit} started`);
      // Give the engine every chance to over-start before releasing one.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(h.tracker.running).toBe(Math.min(limit, steps.length - released));
      // prepare() is the first thing a started step does: none beyond the limit was begun.
      expect(steps.reduce((n, st) => n + st.prepares, 0)).toBe(Math.min(steps.length, released + limit));
      gates.get(h.tracker.started[released]!)!.resolve();
    }
    const summary = await done;
    expect(summary.status).toBe('done');
    expect(h.tracker.max).toBe(limit);
    expect(h.tracker.started).toEqual(steps.map((s) => s.id)); // started in graph order
  });

  it('GIVEN steps with durations on the fake clock WHEN run with concurrency 3 THEN three lanes run and the run takes the scheduled time', async () => {
    const h = await engineHarness({ autoAdvance: false });
    const durations: Record<string, number> = {
      'storage.a': 4000,
      'storage.b': 1000,
      'storage.c': 3000,
      'storage.d': 2000,
      'storage.e': 5000,
      'storage.f': 1000,
      'storage.g': 2000,
    };
    const steps = Object.entries(durations).map(([id, ms]) => h.step(id, [], { run: (ctx) => ctx.clock.sleep(ms, ctx.signal).then(() => undefined) }));
    const start = h.clock.now().getTime();
    let over = false;
    const done = h.run(steps, { concurrency: 3 }).finally(() => (over = true));
    // Move time only once every lane that should be busy is asleep, so ledger I/O cannot skew the schedule.
    while (!over && h.tracker.finished.length < steps.length) {
      const busy = Math.min(3, steps.length - h.tracker.finished.length);
      await until(() => over || h.clock.pendingSleeps === busy, `${busy} steps sleeping`);
      if (!over) await h.clock.advanceTo(h.clock.nextDeadline()!);
    }
    const summary = await done;
    expect(summary.status).toBe('done');
    expect(h.tracker.max).toBe(3);
    // a4 b1 c3 | b→d2 (t1-3) | c,d→e5 (t3-8), f1 (t3-4) | a,f→g2 (t4-6): 8 s, not the 18 s sum.
    expect(h.clock.now().getTime() - start).toBe(8000);
    expect(h.tracker.finished).toEqual(['storage.b', 'storage.c', 'storage.d', 'storage.a', 'storage.f', 'storage.g', 'storage.e']);
  });

  it('GIVEN a diamond and a chain WHEN run THEN every step starts only after its dependencies finished', async () => {
    const h = await engineHarness();
    const ms: Record<string, number> = {
      'bootstrap.state': 1000,
      'network.stack': 3000,
      'compute.stack': 5000,
      'storage.stack': 2000,
      'monitoring.stack': 1000,
      'golive.check': 500,
    };
    const deps: Record<string, string[]> = {
      'bootstrap.state': [],
      'network.stack': ['bootstrap.state'],
      'compute.stack': ['network.stack'],
      'storage.stack': ['network.stack'],
      'monitoring.stack': ['compute.stack', 'storage.stack'],
      'golive.check': ['monitoring.stack'],
    };
    const order: string[] = [];
    const steps = Object.keys(ms).map((id) =>
      h.step(id, deps[id], {
        run: async (ctx) => {
          order.push(`start ${id}`);
          await ctx.clock.sleep(ms[id]!, ctx.signal);
          order.push(`end ${id}`);
        },
      }),
    );
    const summary = await h.run([...steps].reverse());
    expect(summary.status).toBe('done');
    for (const [id, ds] of Object.entries(deps))
      for (const d of ds) expect(order.indexOf(`end ${d}`), `${d} before ${id}`).toBeLessThan(order.indexOf(`start ${id}`));
    // compute and storage ran side by side.
    expect(order.indexOf('start storage.stack')).toBeLessThan(order.indexOf('end compute.stack'));
  });

  it('GIVEN a step that reads an earlier output WHEN run THEN it reads it from the ledger', async () => {
    const h = await engineHarness();
    let seen = '';
    const a = h.step('network.stack', [], { run: async () => ({ changed: true, outputs: { VpcId: 'vpc-123' } }) });
    const b = h.step('compute.stack', ['network.stack'], { run: async (ctx) => void (seen = ctx.output('network.stack', 'VpcId')) });
    await h.run([a, b]);
    expect(seen).toBe('vpc-123');
    expect(h.ledger.get('network.stack')).toMatchObject({
      status: 'done',
      outputs: { VpcId: 'vpc-123' },
      attempts: 1,
      runId: 'run-1',
      operator: 'arn:aws:iam::123456789012:user/alice',
    });
  });

  it('GIVEN a step that needs an output the ledger lacks WHEN run THEN it fails saying which step produces it', async () => {
    const h = await engineHarness();
    const b = h.step('compute.stack', [], { run: async (ctx) => void ctx.output('network.stack', 'VpcId') });
    const summary = await h.run([b]);
    expect(summary.status).toBe('failed');
    const err = summary.failures[0]!.error as StepFailedError;
    expect(err.message).toContain('needs output "VpcId" of network.stack');
    expect(err.hint).toBe('Run the step that produces it: dpf deploy --env dev --phase network');
  });
});

// ---- failures -------------------------------------------------------------------------------

describe('runSteps: failures', () => {
  it('GIVEN a failing step WHEN run THEN its dependents are blocked, independent steps still run, and summaryError exits 3 with the resume hint', async () => {
    const h = await engineHarness();
    const failing = h.step('network.stack', [], {
      run: async () => {
        throw new StepFailedError('network.stack', 'Stack x ended in ROLLBACK_COMPLETE.', {
          details: ['root cause: Nat (AWS::EC2::NatGateway) CREATE_FAILED: quota'],
          hint: 'Fix the cause above.',
        });
      },
    });
    const dependent = h.step('compute.stack', ['network.stack']);
    const grandchild = h.step('golive.check', ['compute.stack']);
    const independent = h.step('monitoring.stack');

    const summary = await h.run([failing, dependent, grandchild, independent]);

    expect(summary.status).toBe('failed');
    expect(summary.outcomes).toEqual({ 'network.stack': 'failed', 'compute.stack': 'blocked', 'golive.check': 'blocked', 'monitoring.stack': 'done' });
    expect(dependent.runs + grandchild.runs).toBe(0);
    expect(independent.runs).toBe(1);
    expect(h.io.ofType('step-blocked')).toEqual([
      { type: 'step-blocked', stepId: 'compute.stack', waitingFor: ['network.stack'] },
      { type: 'step-blocked', stepId: 'golive.check', waitingFor: ['compute.stack'] },
    ]);
    expect(h.io.ofType('step-failed')).toEqual([
      {
        type: 'step-failed',
        stepId: 'network.stack',
        error: 'Stack x ended in ROLLBACK_COMPLETE.',
        rootCause: 'root cause: Nat (AWS::EC2::NatGateway) CREATE_FAILED: quota',
        hint: 'Fix the cause above.',
      },
    ]);
    expect(h.ledger.get('network.stack')).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: {
        message: 'Stack x ended in ROLLBACK_COMPLETE.',
        code: 'StepFailed',
        rootCause: 'root cause: Nat (AWS::EC2::NatGateway) CREATE_FAILED: quota',
        hint: 'Fix the cause above.',
      },
    });
    expect(h.ledger.get('compute.stack')).toBeUndefined();
    expect(h.io.ofType('run-done')[0]).toMatchObject({ status: 'failed', resume: RESUME, counts: { failed: 1, blocked: 2, done: 1 } });

    const err = summaryError(summary, RESUME)!;
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.message).toBe('1 step(s) failed: network.stack; 2 not started because of them: compute.stack, golive.check.');
    expect(err.hint).toBe(`Fix the cause above.\nResume with: ${RESUME}`);
    expect(err.details).toEqual(['network.stack: Stack x ended in ROLLBACK_COMPLETE.', '  root cause: Nat (AWS::EC2::NatGateway) CREATE_FAILED: quota']);
  });

  it('GIVEN a step failing with a plain Error WHEN summarised THEN exit 3 and a generic resume hint', async () => {
    const h = await engineHarness();
    const summary = await h.run([
      h.step('network.stack', [], {
        run: async () => {
          throw new Error('kaboom');
        },
      }),
    ]);
    const err = summaryError(summary, RESUME)!;
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.hint).toBe(`Fix the cause, then resume with: ${RESUME}`);
    expect(h.ledger.get('network.stack')!.error).toMatchObject({ message: 'kaboom' });
  });

  it('GIVEN a step that AWS throttled past every retry WHEN summarised THEN exit 7 says "rerun later", never "fix the cause"', async () => {
    const h = await engineHarness();
    const throttled = explainAwsError(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400, attempts: 13, totalRetryDelay: 95_000 } }),
      'calling CloudFormation.createChangeSet',
    );
    const summary = await h.run([
      h.step('network.stack', [], {
        run: async () => {
          throw throttled;
        },
      }),
    ]);
    const err = summaryError(summary, RESUME)!;
    expect(err.exitCode).toBe(ExitCode.AwsAccess);
    expect(err.code).toBe('AwsThrottled');
    expect(err.details[0]).toMatch(
      /AWS throttled dpf's requests while calling CloudFormation\.createChangeSet \(ThrottlingException, 13 attempts over 95 s of back-off\)/,
    );
    expect(err.hint).toMatch(/^Rerun the same command in a few minutes/);
    expect(err.hint).not.toMatch(/Fix the cause/);
  });

  it('GIVEN every step done WHEN summarised THEN there is no error', async () => {
    const h = await engineHarness();
    const summary = await h.run([h.step('network.stack')]);
    expect(summaryError(summary, RESUME)).toBeUndefined();
    const onDisk = parseLedger(readFileSync(h.file, 'utf8'), h.file);
    expect(onDisk.runs).toEqual([
      expect.objectContaining({ runId: 'run-1', command: 'deploy', status: 'done', steps: ['network.stack'], finishedAt: expect.any(String) }),
    ]);
  });

  it('GIVEN a prepare that throws WHEN run THEN the step fails without starting', async () => {
    const h = await engineHarness();
    const s = h.step('compute.stack');
    s.prepare = async () => {
      throw new StepFailedError('compute.stack', 'template compute needs parameter(s) X');
    };
    const summary = await h.run([s]);
    expect(summary.outcomes['compute.stack']).toBe('failed');
    expect(h.io.ofType('step-start')).toEqual([]);
    expect(h.io.ofType('step-failed')[0]).toMatchObject({ stepId: 'compute.stack', error: 'template compute needs parameter(s) X' });
  });
});

// ---- skipping, verifying, reconciling -------------------------------------------------------------

describe('runSteps: done steps and reconciliation', () => {
  it.each<[string, Partial<StepRecord>, { ok: boolean; reason?: string } | undefined, boolean, 'skipped' | 'done', number]>([
    ['done, same inputs, verified', { status: 'done', inputHash: 'h1' }, { ok: true }, false, 'skipped', 0],
    ['done, same inputs, no verify', { status: 'done', inputHash: 'h1' }, undefined, false, 'skipped', 0],
    ['done, same inputs, verify fails', { status: 'done', inputHash: 'h1' }, { ok: false, reason: 'stack x no longer exists' }, false, 'done', 1],
    ['done, inputs changed', { status: 'done', inputHash: 'h0' }, { ok: true }, false, 'done', 1],
    ['done, same inputs, --force', { status: 'done', inputHash: 'h1' }, { ok: true }, true, 'done', 1],
    ['failed before', { status: 'failed', inputHash: 'h1' }, { ok: true }, false, 'done', 1],
  ])('GIVEN a step %s WHEN run THEN it is %s', async (_what, previous, verifyResult, force, outcome, runs) => {
    const h = await engineHarness();
    await seed(h.ledger, 'network.stack', { ...previous, attempts: 1, outputs: { VpcId: 'vpc-old' } });
    let verified = 0;
    const s = h.step('network.stack', [], { hash: 'h1', verify: verifyResult && (async () => (verified++, verifyResult)) });
    const summary = await h.run([s], { force });
    expect(summary.outcomes['network.stack']).toBe(outcome);
    expect(s.runs).toBe(runs);
    if (outcome === 'skipped') {
      expect(h.io.ofType('step-skipped')).toEqual([{ type: 'step-skipped', stepId: 'network.stack', reason: 'done, inputs unchanged, verified in AWS' }]);
      expect(h.ledger.get('network.stack')).toMatchObject({ status: 'done', attempts: 1, outputs: { VpcId: 'vpc-old' } });
    } else {
      expect(h.ledger.get('network.stack')).toMatchObject({ status: 'done', attempts: 2, inputHash: 'h1' });
    }
    if (verifyResult && !verifyResult.ok)
      expect(h.io.ofType('warning')[0]!.message).toBe('network.stack was done but stack x no longer exists; running it again.');
    expect(verified).toBe(previous.inputHash === 'h1' && previous.status === 'done' && !force && verifyResult ? 1 : 0);
  });

  it('GIVEN a skipped step WHEN run THEN afterStep still sees its record', async () => {
    const h = await engineHarness();
    await seed(h.ledger, 'bootstrap.state', { status: 'done', inputHash: 'h1', outputs: { StateBucketName: 'b' } });
    const seen: string[] = [];
    await h.run([h.step('bootstrap.state', [], { hash: 'h1' })], { afterStep: async (s, rec) => void seen.push(`${s.id}:${rec.outputs.StateBucketName}`) });
    expect(seen).toEqual(['bootstrap.state:b']);
  });

  it('GIVEN the VPC starting with the state backend WHEN the lease cannot be taken after bootstrap.state THEN it stays done, the VPC finishes, nothing else starts and the run fails with the lock error', async () => {
    const h = await engineHarness();
    const held = new LockHeldError(
      'dev',
      { identity: 'bob', host: 'other', pid: 7, command: 'deploy', since: '2025-01-01T00:00:00Z', expiresAt: '2025-01-01T00:05:00Z' } as LockHolder,
      'DynamoDB',
    );
    const steps = [
      h.step('bootstrap.state'),
      h.step('network.stack', [], { run: () => h.clock.sleep(10_000, new AbortController().signal) }),
      h.step('compute.stack', ['bootstrap.state', 'network.stack']),
    ];
    const summary = await h.run(steps, {
      afterStep: async (s) => {
        if (s.id === 'bootstrap.state') throw held;
      },
    });
    expect(summary.outcomes).toEqual({ 'bootstrap.state': 'done', 'network.stack': 'done', 'compute.stack': 'interrupted' });
    expect(h.tracker.started).toEqual(['bootstrap.state', 'network.stack']);
    expect(h.ledger.get('bootstrap.state')?.status).toBe('done');
    expect(summary.status).toBe('failed');
    expect(summaryError(summary, RESUME)).toMatchObject({ code: 'LockHeld', exitCode: ExitCode.LockHeld });
  });

  it('GIVEN a step a dead run left running WHEN run THEN step-start says reconcile and the record notes it', async () => {
    const h = await engineHarness();
    await seed(h.ledger, 'network.stack', {
      status: 'running',
      inputHash: 'h1',
      attempts: 1,
      operator: 'bob',
      runId: 'run-0',
      evidence: { stackId: 'arn:x', interrupted: true },
    });
    let previous: StepRecord | undefined;
    const s = h.step('network.stack', [], { hash: 'h1', run: async (ctx) => void (previous = ctx.previous) });
    await h.run([s]);
    expect(h.io.ofType('step-start')).toEqual([{ type: 'step-start', stepId: 'network.stack', title: 'Title network.stack', reconcile: true }]);
    expect(h.io.ofType('info')[0]!.message).toContain('was left running by bob (run run-0); reconciling');
    expect(previous).toMatchObject({ status: 'running', evidence: { stackId: 'arn:x' } });
    const rec = h.ledger.get('network.stack')!;
    expect(rec).toMatchObject({ status: 'done', attempts: 2, runId: 'run-1', evidence: { stackId: 'arn:x', reconciled: true } });
    expect(rec.evidence.interrupted).toBeUndefined();
  });

  it('GIVEN a run a killed process left "running" in the history WHEN the next run starts THEN it is closed as died, with when it was last seen', async () => {
    const h = await engineHarness();
    await h.ledger.update((d) => {
      d.runs.push({
        runId: 'run-dead',
        command: 'deploy',
        operator: 'bob',
        host: 'h',
        startedAt: '2024-12-31T00:00:00.000Z',
        status: 'running',
        steps: ['network.stack'],
      });
    }, new Date('2024-12-31T00:00:00.000Z'));
    await seed(h.ledger, 'network.stack', { status: 'running', inputHash: 'h1', attempts: 1, runId: 'run-dead', startedAt: '2024-12-31T00:05:00.000Z' });
    await h.run([h.step('network.stack', [], { hash: 'h1' })]);
    const runs = h.ledger.data.runs;
    expect(runs[0]).toMatchObject({
      runId: 'run-dead',
      status: 'died',
      finishedAt: '2024-12-31T00:05:00.000Z',
      note: expect.stringContaining('found by run run-1'),
    });
    expect(runs[1]).toMatchObject({ runId: 'run-1', status: 'done' });
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
  });

  it('GIVEN a fresh step WHEN run THEN step-start has reconcile false', async () => {
    const h = await engineHarness();
    await h.run([h.step('network.stack')]);
    expect(h.io.ofType('step-start')[0]).toMatchObject({ reconcile: false });
    expect(h.io.trace('network.stack')).toEqual(['step-start', 'step-done']);
  });
});

// ---- interruption and declining ---------------------------------------------------------------

describe('runSteps: abort and NotConfirmed', () => {
  it('GIVEN a running step WHEN the run is aborted THEN it is interrupted, the step stays running with evidence, and nothing new starts', async () => {
    const h = await engineHarness({ autoAdvance: false });
    const long = h.step('network.stack', [], {
      run: async (ctx) => {
        await ctx.evidence({ stackId: 'arn:network' });
        await ctx.clock.sleep(3600_000, ctx.signal);
      },
    });
    const dependent = h.step('compute.stack', ['network.stack']);
    const other = h.step('storage.other');
    const pending = h.run([long, dependent, other], { concurrency: 1 });
    await until(() => h.clock.pendingSleeps === 1, 'network.stack sleeping');
    h.abort();
    const summary = await pending;

    expect(summary.status).toBe('interrupted');
    expect(summary.outcomes).toEqual({ 'network.stack': 'interrupted', 'compute.stack': 'interrupted', 'storage.other': 'interrupted' });
    expect(summary.failures[0]!.error).toBeInstanceOf(AbortError);
    expect(dependent.runs + other.runs).toBe(0);
    expect(h.io.ofType('step-start').map((e) => e.stepId)).toEqual(['network.stack']);
    expect(h.ledger.get('network.stack')).toMatchObject({
      status: 'running',
      evidence: { stackId: 'arn:network', interrupted: true, interruptedAt: h.clock.now().toISOString() },
    });
    expect(h.ledger.data.runs.at(-1)).toMatchObject({ status: 'interrupted' });
    expect(h.io.ofType('run-done')[0]).toMatchObject({ status: 'interrupted', resume: RESUME });

    const err = summaryError(summary, RESUME)!;
    expect(err).toBeInstanceOf(AbortError);
    expect(err.exitCode).toBe(ExitCode.Interrupted);
    expect(err.hint).toBe(`Resume with: ${RESUME}`);
  });

  it('GIVEN an aborted signal before the run WHEN run THEN no step starts', async () => {
    const h = await engineHarness();
    const ac = new AbortController();
    ac.abort();
    const s = h.step('network.stack');
    const summary = await h.run([s], { signal: ac.signal });
    expect(summary.status).toBe('interrupted');
    expect(s.prepares).toBe(0);
  });

  it.each<[string, Partial<StepRecord> | undefined]>([
    [
      'a failed record from an earlier run',
      { status: 'failed', inputHash: 'h0', attempts: 1, error: { message: 'old failure' }, evidence: { stackId: 'arn:old' } },
    ],
    ['no earlier record', undefined],
  ])('GIVEN %s WHEN the step is not confirmed THEN the record is restored and summaryError exits 6', async (_what, previous) => {
    const h = await engineHarness();
    if (previous) await seed(h.ledger, 'network.stack', previous);
    const before = structuredClone(h.ledger.get('network.stack'));
    const s = h.step('network.stack', [], {
      run: async (ctx) => {
        await ctx.evidence({ changeSetId: 'arn:cs' });
        throw new NotConfirmedError('Update stack x?', 'no-tty');
      },
    });
    const after = h.step('compute.stack', ['network.stack']);

    const summary = await h.run([s, after]);

    expect(summary.status).toBe('failed');
    expect(summary.outcomes).toEqual({ 'network.stack': 'declined', 'compute.stack': 'blocked' });
    expect(h.ledger.get('network.stack')).toEqual(before);
    const onDisk = parseLedger(readFileSync(h.file, 'utf8'), h.file);
    expect(onDisk.steps['network.stack']).toEqual(before);
    const err = summaryError(summary, RESUME)!;
    expect(err).toBeInstanceOf(NotConfirmedError);
    expect(err.exitCode).toBe(ExitCode.NotConfirmed);
    expect(h.io.ofType('step-failed')[0]).toMatchObject({ stepId: 'network.stack', hint: expect.stringContaining('--yes') });
  });
});

// ---- resume with CloudFormation ---------------------------------------------------------------

/** A stack step like kinds/stack.ts, on a tiny template. */
function cfnStep(id: string, stackName: string, resources: Resources, dependsOn: string[] = []): StepDef {
  const body = templateBody(resources);
  return {
    id,
    phase: id.split('.')[0] as PhaseId,
    title: `Stack ${stackName}`,
    kind: 'stack',
    dependsOn,
    prepare: async () => ({ inputHash: createHash('sha256').update(body).digest('hex'), estimateSeconds: 30 }),
    async run(ctx) {
      const r = await deployStack(
        { stepId: id, stackName, templateBody: body, parameters: {}, tags: {}, templateOutputs: {}, changeSetName: `dpf-${ctx.envCtx.runId}` },
        { cfn: await ctx.aws.cfn(), clock: ctx.clock, io: ctx.io, signal: ctx.signal, onEvidence: (e) => ctx.evidence({ ...e, stackName }) },
      );
      return { changed: r.changed, outputs: r.outputs, evidence: { stackName, stackId: r.stackId, action: r.action } };
    },
    async verify(ctx) {
      const s = await (await ctx.aws.cfn()).describeStack(stackName);
      return s && SUCCESS_STATES.has(s.status) ? { ok: true } : { ok: false, reason: `stack ${stackName} is ${s?.status ?? 'gone'}` };
    },
  };
}

describe('runSteps + deployStack: resume after a kill', () => {
  it('GIVEN A deployed and the run killed while B executes WHEN rerun THEN A is skipped without calls and B is reconciled, not created twice', async () => {
    const h = await engineHarness();
    const A = cfnStep('network.stack', 'dp-dev-network', { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } } });
    const B = cfnStep('storage.stack', 'dp-dev-storage', BUCKET_AND_DB, ['network.stack']);
    // Kill at B's execution: abort, and freeze time so the stack is still CREATE_IN_PROGRESS at the rerun.
    h.io.onEvent = (e) => {
      if (e.type === 'step-progress' && e.stepId === 'storage.stack' && e.message.startsWith('executing change set')) {
        h.clock.autoAdvance(false);
        h.abort();
      }
    };
    const first = await h.run([A, B]);
    expect(first.status).toBe('interrupted');
    expect(first.outcomes).toEqual({ 'network.stack': 'done', 'storage.stack': 'interrupted' });
    expect(h.cfn.inspect('dp-dev-storage')!.status).toBe('CREATE_IN_PROGRESS');
    expect(h.ledger.get('storage.stack')).toMatchObject({
      status: 'running',
      evidence: { interrupted: true, stackName: 'dp-dev-storage', stackId: expect.stringContaining('stack/dp-dev-storage/') },
    });

    // Time moves again once the rerun has found B still in progress.
    h.io.onEvent = (e) => {
      if (e.type === 'step-progress' && e.message.startsWith('stack is CREATE_IN_PROGRESS')) h.clock.autoAdvance();
    };
    h.io.events.length = 0;
    const from = h.cfn.calls.length;
    const second = await h.run([A, B]);

    expect(second.status).toBe('done');
    expect(second.outcomes).toEqual({ 'network.stack': 'skipped', 'storage.stack': 'done' });
    const rerunCalls = h.cfn.calls.slice(from);
    expect(rerunCalls.filter((c) => (c.input as { stackName?: string }).stackName === 'dp-dev-network').map((c) => c.op)).toEqual(['describeStack']);
    expect(h.io.ofType('step-start')).toEqual([{ type: 'step-start', stepId: 'storage.stack', title: 'Stack dp-dev-storage', reconcile: true }]);
    expect(h.io.ofType('step-progress').map((e) => e.message)).toContain(
      'stack is CREATE_IN_PROGRESS (an earlier run, or someone else); waiting for it to settle',
    );
    expect(h.io.ofType('step-done')[0]).toMatchObject({ stepId: 'storage.stack', changed: false });
    // One stack B, created once.
    const creates = h.cfn.calls
      .filter((c) => c.op === 'createChangeSet' && (c.input as { changeSetType: string }).changeSetType === 'CREATE')
      .map((c) => (c.input as { stackName: string }).stackName);
    expect(creates).toEqual(['dp-dev-network', 'dp-dev-storage']);
    expect(h.cfn.calls.filter((c) => c.op === 'executeChangeSet')).toHaveLength(2);
    expect(h.cfn.inspect('dp-dev-storage')!.status).toBe('CREATE_COMPLETE');
    expect(h.ledger.get('storage.stack')).toMatchObject({ status: 'done', attempts: 2, evidence: { reconciled: true, action: 'none' } });
  });

  it('GIVEN a first run whose stack creation fails WHEN rerun after the fix THEN the engine recreates it after confirmation', async () => {
    const h = await engineHarness({
      cfn: { failures: [{ stackName: 'dp-dev-storage', logicalId: 'Db', reason: 'DBInstance quota exceeded', onCreate: true, times: 1 }] },
    });
    const B = cfnStep('storage.stack', 'dp-dev-storage', BUCKET_AND_DB);
    const first = await h.run([B]);
    expect(first.status).toBe('failed');
    expect(h.ledger.get('storage.stack')!.error).toMatchObject({ rootCause: 'root cause: Db (AWS::RDS::DBInstance) CREATE_FAILED: DBInstance quota exceeded' });
    const second = await h.run([B]);
    expect(second.status).toBe('done');
    expect(h.io.questions.map((q) => q.question)).toEqual([
      expect.stringContaining('Create stack dp-dev-storage'),
      expect.stringContaining('is ROLLBACK_COMPLETE'),
      expect.stringContaining('Create stack dp-dev-storage'),
    ]);
    expect(h.cfn.inspect('dp-dev-storage')!.status).toBe('CREATE_COMPLETE');
    expect(h.cfn.calls.filter((c) => c.op === 'deleteStack')).toHaveLength(1);
  });
});
