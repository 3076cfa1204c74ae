/** dpf destroy's steps and their order for each choice (src/ops/destroy/build.ts). */
import { describe, it, expect } from 'vitest';
import { buildDestroySteps } from '../../../src/ops/destroy/build.js';
import { DESTROY_ORDER, DESTROY_STEPS, type DestroyOptions } from '../../../src/ops/destroy/keys.js';
import type { Operation } from '../../../src/ops/operation.js';
import type { DeployPhase } from '../../../src/steps/types.js';

const op = { id: 'destroy-1', stamp: '20250104030000', startedAt: new Date('2025-01-04T03:00:00Z') } as Operation;
const options = (phases: DeployPhase[], deleteData = false): DestroyOptions => ({
  deleteData,
  deleteState: false,
  phases,
  stacks: Object.fromEntries(phases.map((p) => [p, [`dataplatform-dev-${p}`]])),
});
const deps = (o: DestroyOptions) => Object.fromEntries(buildDestroySteps(op, o).map((s) => [s.id, s.dependsOn]));

describe('buildDestroySteps', () => {
  it.each([
    ['data kept', false, DESTROY_STEPS.finalSnapshot, 'Delete storage (data kept)'],
    ['--delete-data', true, DESTROY_STEPS.deleteDb, 'Delete storage'],
  ])('GIVEN %s THEN the storage stack waits for %s, the copies and the phases above it', (_n, deleteData, dataStep, title) => {
    const o = options(['monitoring', 'identity', 'storage', 'compute', 'network'], deleteData);
    const steps = buildDestroySteps(op, o);
    expect(steps.map((s) => s.id)).toEqual([DESTROY_STEPS.copies, dataStep, ...o.phases.map((p) => DESTROY_STEPS.phase(p))]);
    expect(deps(o)[DESTROY_STEPS.phase('storage')]).toEqual([
      DESTROY_STEPS.phase('monitoring'),
      DESTROY_STEPS.phase('identity'),
      dataStep,
      DESTROY_STEPS.copies,
    ]);
    expect(steps.find((s) => s.id === DESTROY_STEPS.phase('storage'))!.title).toBe(title);
  });

  it('GIVEN only compute and network left THEN no data step, and each waits only for phases in this destroy', () => {
    const o = options(['compute', 'network']);
    expect(deps(o)).toEqual({
      [DESTROY_STEPS.copies]: [],
      [DESTROY_STEPS.phase('compute')]: [],
      [DESTROY_STEPS.phase('network')]: [DESTROY_STEPS.phase('compute'), DESTROY_STEPS.copies],
    });
  });

  it('GIVEN every phase THEN every edge names a step of the run and the graph orders bootstrap last', () => {
    const o = options([...DESTROY_ORDER]);
    const d = deps(o);
    for (const [id, on] of Object.entries(d)) for (const x of on) expect(Object.keys(d), `${id} → ${x}`).toContain(x);
    expect(d[DESTROY_STEPS.phase('bootstrap')]).toEqual(
      expect.arrayContaining(['network', 'storage', 'compute', 'identity', 'monitoring'].map((p) => DESTROY_STEPS.phase(p as DeployPhase))),
    );
  });

  it('GIVEN --delete-data changes THEN the steps\u2019 inputs change (a rerun with the other choice runs them again)', async () => {
    const hashes = async (deleteData: boolean) =>
      Promise.all(buildDestroySteps(op, options(['storage'], deleteData)).map(async (s) => (await s.prepare({} as never)).inputHash));
    const [kept, deleted] = [await hashes(false), await hashes(true)];
    expect(kept[0]).not.toBe(deleted[0]); // the copies step
    expect(kept.at(-1)).not.toBe(deleted.at(-1)); // the storage phase
  });
});
