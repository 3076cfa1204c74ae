/**
 * The operation runner (src/ops/runner.ts): the lifecycle every day-2 command shares, on a
 * world of fakes with steps whose outcome the test decides.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { world, type World, fails } from './helpers.js';
import { runOperation, type OperationSpec } from '../../src/ops/runner.js';
import { opStep, operationsOf, type OperationKind } from '../../src/ops/operation.js';
import type { StepResult } from '../../src/steps/types.js';
import { DpfError, ExitCode } from '../../src/errors.js';

let w: World;
afterEach(() => w?.cleanup());

const KINDS: OperationKind[] = ['patch', 'patch-scan', 'backup', 'restore-db', 'restore-fs', 'dr-drill', 'destroy'];

/** A spec of one step that fails while `failing.now` is true. */
function spec(kind: OperationKind, failing: { now: boolean }, o: Partial<OperationSpec> = {}): OperationSpec {
  return {
    kind,
    command: kind,
    define: async () => ({ key: 'k', params: { given: 1 } }),
    build: () => ({
      steps: [
        opStep({
          id: 'operations.test.work',
          title: 'work',
          run: async (): Promise<StepResult> => {
            if (failing.now) throw new DpfError('Boom', 'boom', ExitCode.StepFailed);
            return { changed: true, outputs: { Done: 'yes' } };
          },
        }),
      ],
    }),
    summarize: (op, _s, run) => ({ json: { id: op.id, status: run.status }, lines: [`${op.kind} ${op.id}: ${run.status}`], record: { status: run.status } }),
    ...o,
  };
}

describe('runOperation', () => {
  it.each(KINDS)('GIVEN an unfinished %s WHEN the same command runs again THEN it says "Resuming <kind> <id> (started …)" and closes it', async (kind) => {
    w = world();
    const failing = { now: true };
    const err = await fails(runOperation(w.ctx(), spec(kind, failing)));
    expect(err.exitCode).toBe(ExitCode.StepFailed);
    expect(err.hint).toContain(`dpf ${kind} --env dev`);
    const first = operationsOf((await w.ledger()).data).at(-1)!;
    expect(first).toMatchObject({ kind, status: 'failed', open: true, summary: { status: 'failed' } });

    failing.now = false;
    await runOperation(w.ctx(), spec(kind, failing));
    const info = w.io.ofType('info').map((e) => e.message);
    expect(info).toContain(`Resuming ${kind} ${first.id} (started ${first.startedAt}).`);
    const after = operationsOf((await w.ledger()).data).at(-1)!;
    expect(after).toMatchObject({ id: first.id, status: 'done', open: false, runIds: [expect.any(String), expect.any(String)] });
    expect(w.out.join('\n')).toContain(`${kind} ${first.id}: done`);
  });

  it('GIVEN an unfinished operation WHEN run with other options THEN refused with --new in the hint; with --new it is abandoned and a new one starts', async () => {
    w = world();
    const failing = { now: true };
    await fails(runOperation(w.ctx(), spec('backup', failing)));
    const other = spec('backup', failing, { define: async () => ({ key: 'other', params: {} }) });
    const err = await fails(runOperation(w.ctx(), other));
    expect(err.code).toBe('OperationUnfinished');
    expect(err.hint).toMatch(/dpf backup --env dev( --config \S+)? --new$/);
    failing.now = false;
    await runOperation(w.ctx(), { ...other, fresh: true });
    expect(operationsOf((await w.ledger()).data).map((o) => o.status)).toEqual(['abandoned', 'done']);
  });

  it('GIVEN define says nothing to do THEN its output is printed and no run is recorded', async () => {
    w = world();
    const runs = (await w.ledger()).data.runs.length;
    await runOperation(
      w.ctx({ json: true }),
      spec('destroy', { now: false }, { define: async () => ({ nothing: { json: { nothing: true }, lines: ['Nothing.'] } }) }),
    );
    expect(JSON.parse(w.out.at(-1)!)).toEqual({ nothing: true });
    expect((await w.ledger()).data.runs).toHaveLength(runs);
  });

  it("GIVEN summarize returns its own error THEN it is thrown instead of the engine's, after the summary is recorded", async () => {
    w = world();
    const err = await fails(
      runOperation(
        w.ctx(),
        spec(
          'dr-drill',
          { now: false },
          {
            summarize: () => ({
              json: {},
              lines: [],
              record: { mine: true },
              close: 'aborted',
              error: new DpfError('DrillAborted', 'aborted', ExitCode.StepFailed),
            }),
          },
        ),
      ),
    );
    expect(err.code).toBe('DrillAborted');
    expect(operationsOf((await w.ledger()).data).at(-1)).toMatchObject({ status: 'aborted', open: false, summary: { mine: true } });
  });
});
