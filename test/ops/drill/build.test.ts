/** The drill's two step groups for each scope (src/ops/drill/build.ts). */
import { describe, it, expect } from 'vitest';
import { buildDrillSteps } from '../../../src/ops/drill/build.js';
import { DRILL_STEPS } from '../../../src/ops/drill/keys.js';
import { DR_STACK_STEPS } from '../../../src/ops/drill/dr-stacks.js';
import type { Operation } from '../../../src/ops/operation.js';

const op = { id: 'dr-drill-20250104030000', stamp: '20250104030000', startedAt: new Date('2025-01-04T03:00:00Z') } as Operation;
const deps = { reportDir: '/tmp/x', envName: 'dev', drRegion: 'us-east-1' };
const PRIMARY = [DRILL_STEPS.canary, DRILL_STEPS.isolate, DRILL_STEPS.restoreDb, DRILL_STEPS.restoreFs];
const DR = [DRILL_STEPS.drSource, DR_STACK_STEPS.network, DR_STACK_STEPS.storage, DRILL_STEPS.drRegion, DRILL_STEPS.drData];

describe('buildDrillSteps', () => {
  it.each([
    ['restore', [...PRIMARY, DRILL_STEPS.validate]],
    ['full', [...PRIMARY, ...DR, DRILL_STEPS.validate]],
  ] as const)('GIVEN scope %s THEN the main group is exactly these steps, in order', (scope, main) => {
    const g = buildDrillSteps(op, { scope, keep: false }, deps);
    expect(g.main.map((s) => s.id)).toEqual(main);
  });

  it.each(['restore', 'full'] as const)('GIVEN scope %s THEN the finally group is teardown then report, and every edge names a step of the run', (scope) => {
    const g = buildDrillSteps(op, { scope, keep: false }, deps);
    expect(g.finish.map((s) => s.id)).toEqual([DRILL_STEPS.teardown, DRILL_STEPS.report]);
    const ids = new Set([...g.main, ...g.finish].map((s) => s.id));
    for (const s of [...g.main, ...g.finish]) for (const d of s.dependsOn) expect(ids.has(d), `${s.id} → ${d}`).toBe(true);
    for (const s of [...g.main, ...g.finish]) expect(s.phase).toBe('operations');
  });

  it('GIVEN scope full THEN the validation waits for no DR step: the primary stores\u2019 RTO excludes the DR region', () => {
    const validate = buildDrillSteps(op, { scope: 'full', keep: false }, deps).main.find((s) => s.id === DRILL_STEPS.validate)!;
    expect(validate.dependsOn.filter((d) => DR.includes(d as (typeof DR)[number]))).toEqual([]);
  });

  it.each([
    [false, 'Tear the drill down'],
    [true, 'Keep the drill resources (--keep)'],
  ])('GIVEN keep=%s THEN the teardown step is titled "%s" and its input differs (a rerun with the other flag runs it again)', async (keep, title) => {
    const [a, b] = [buildDrillSteps(op, { scope: 'restore', keep }, deps), buildDrillSteps(op, { scope: 'restore', keep: !keep }, deps)];
    expect(a.finish[0]!.title).toBe(title);
    const hash = async (s: (typeof a.finish)[number]) => (await s.prepare({} as never)).inputHash;
    expect(await hash(a.finish[0]!)).not.toBe(await hash(b.finish[0]!));
  });
});
