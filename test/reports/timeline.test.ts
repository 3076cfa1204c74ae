/** The plan against the ledger: week numbers, per-phase schedule and the overall on track / at risk / behind, with a fake clock. */
import { describe, expect, it } from 'vitest';
import { buildTimeline, overallSchedule, planStart, weekNumber } from '../../src/reports/timeline.js';
import { environmentSchema } from '../../src/config/schema.js';
import { emptyLedger } from '../../src/state/ledger.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { STEPS, START, day, ledgerAt } from './fixtures.js';

const start = new Date(`${START}T00:00:00.000Z`);
const schedules = (l: ReturnType<typeof ledgerAt>, now: Date) => Object.fromEntries(buildTimeline(l, STEPS, start, now).map((p) => [p.id, p.schedule]));

describe('planStart and weekNumber', () => {
  it('GIVEN deploy.startDate THEN week 1 starts that day', () => {
    expect(planStart(environmentSchema.parse({ deploy: { startDate: '2025-07-01' } }), emptyLedger('p', 'dev', day(0)), day(3))).toEqual({
      date: start,
      source: 'config',
    });
  });
  it('GIVEN no startDate THEN week 1 starts on the day of the first run; with no run, today', () => {
    const env = environmentSchema.parse({});
    expect(planStart(env, ledgerAt({ done: { 'bootstrap.state': [2, 2] } }), day(9))).toEqual({ date: day(2, 0), source: 'first-run' });
    expect(planStart(env, emptyLedger('p', 'dev', day(0)), day(9, 15))).toEqual({ date: day(9, 0), source: 'today' });
  });
  it.each([
    [0, 1],
    [6, 1],
    [7, 2],
    [20, 3],
    [41, 6],
  ])('GIVEN day %i THEN week %i', (d, w) => expect(weekNumber(start, day(d))).toBe(w));
});

describe('GIVEN a deployment and a fake clock', () => {
  it('WHEN bootstrap and network finished in their windows on day 4 THEN everything is on track', () => {
    const clock = new FakeClock(day(4, 12));
    const l = ledgerAt({ done: { 'bootstrap.state': [0, 1], 'network.stack': [2, 3] } });
    expect(schedules(l, clock.now())).toEqual({
      bootstrap: 'done',
      network: 'done',
      compute: 'on-track',
      storage: 'on-track',
      identity: 'on-track',
      monitoring: 'on-track',
      golive: 'on-track',
    });
    expect(overallSchedule(buildTimeline(l, STEPS, start, clock.now()))).toBe('On Track');
  });

  it("WHEN time passes the middle of compute's window without it starting THEN at risk; after its end THEN behind", async () => {
    const clock = new FakeClock(day(4, 12));
    const l = ledgerAt({ done: { 'bootstrap.state': [0, 1], 'network.stack': [2, 3] } });
    await clock.advanceTo(day(8, 11)); // compute is planned for days 7-10: its middle is day 8, 12:00
    expect(schedules(l, clock.now()).compute).toBe('on-track');
    await clock.advanceTo(day(8, 13));
    const t = buildTimeline(l, STEPS, start, clock.now());
    expect(t.find((p) => p.id === 'compute')).toMatchObject({ schedule: 'at-risk', reason: 'half of its planned window has passed and it has not started' });
    expect(overallSchedule(t)).toBe('At Risk');
    await clock.advanceTo(day(10, 0));
    const late = buildTimeline(l, STEPS, start, clock.now());
    expect(late.find((p) => p.id === 'compute')).toMatchObject({ schedule: 'behind', reason: 'planned to finish by 2025-07-10; 0/1 step(s) done' });
    expect(overallSchedule(late)).toBe('Behind Schedule');
  });

  it('WHEN a step of a phase in its window failed THEN the phase is at risk, naming it', () => {
    const l = ledgerAt({ done: { 'bootstrap.state': [0, 1], 'network.stack': [2, 3], 'compute.stack': [7, 7] }, failed: { 'storage.stack': 9 } });
    const t = buildTimeline(l, STEPS, start, day(10, 12));
    expect(t.find((p) => p.id === 'storage')).toMatchObject({
      status: 'failed',
      schedule: 'at-risk',
      reason: 'failed step(s): storage.stack',
      failedSteps: ['storage.stack'],
    });
  });

  it('WHEN a phase finished after its planned end THEN it is done, noted late', () => {
    const l = ledgerAt({ done: { 'bootstrap.state': [0, 4] } });
    const b = buildTimeline(l, STEPS, start, day(5)).find((p) => p.id === 'bootstrap')!;
    expect(b.schedule).toBe('done');
    expect(b.reason).toMatch(/finished 2\.5 day\(s\) after the planned end/);
    expect(b.plannedEnd.toISOString()).toBe('2025-07-03T00:00:00.000Z');
  });
});
