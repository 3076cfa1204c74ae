/** What a drill recorded, measured against the RTO/RPO targets (src/ops/drill/result.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { drillResult, qualify } from '../../../src/ops/drill/result.js';
import { DRILL_STEPS, type DrillScope } from '../../../src/ops/drill/keys.js';
import { DR_STACK_STEPS } from '../../../src/ops/drill/dr-stacks.js';
import type { StoreResult } from '../../../src/ops/rto-rpo.js';
import type { StepRecord } from '../../../src/state/ledger.js';
import { DR_REGION } from '../helpers.js';
import { stepHarness, type StepHarness } from '../step-harness.js';

let h: StepHarness;
afterEach(() => h?.close());

describe('qualify', () => {
  const store = (passed: boolean | null, reason?: string): StoreResult => ({
    name: 'database',
    rtoSeconds: 60,
    rtoTargetSeconds: 7200,
    rpoSeconds: 60,
    rpoTargetSeconds: 900,
    rtoPassed: true,
    rpoPassed: true,
    passed,
    reason,
  });
  it.each([
    ['a pass lowered to not measured', store(true), null, null, 'canary unconfirmed'],
    ['a pass failed', store(true), false, false, 'canary unconfirmed'],
    ['a not-measured store failed, the new reason first', store(null, 'RPO not measured'), false, false, 'canary unconfirmed; RPO not measured'],
    ['a failed store never raised nor reworded', store(false, 'RTO missed'), null, false, 'RTO missed'],
    ['the same not-measured reason not repeated', store(null, 'x; canary unconfirmed'), null, null, 'x; canary unconfirmed'],
  ] as const)('GIVEN %s THEN passed=%s and the reason is as expected', (_n, s, verdict, passed, reason) => {
    qualify(s, verdict, 'canary unconfirmed');
    expect(s).toMatchObject({ passed, reason });
  });
});

const at = (min: number) => new Date(Date.parse('2025-01-04T03:00:00Z') + min * 60_000).toISOString();
type Seed = [string, Record<string, string>, Record<string, unknown>, Partial<StepRecord>?];

/** The records of a drill that went well: restored, validated within target, torn down. */
function good(): Record<string, Seed> {
  const canary = { name: 'database: canary covered', status: 'ok', detail: 'covered' };
  return {
    canary: [DRILL_STEPS.canary, { CanaryAt: at(0), Database: 'ok', FileSystem: 'ok' }, { detail: ['written from i-worker1'] }],
    isolate: [DRILL_STEPS.isolate, { SecurityGroupId: 'sg-drill' }, { ingressRules: 0, egressRules: 0 }],
    restoreDb: [DRILL_STEPS.restoreDb, { RpoPoint: at(-5), RestorePoint: at(1) }, {}],
    restoreFs: [DRILL_STEPS.restoreFs, { Status: 'restored', RestorePoint: at(-600) }, {}],
    validate: [DRILL_STEPS.validate, { DbValidatedAt: at(20), FsValidatedAt: at(30) }, { checks: [canary] }],
    teardown: [DRILL_STEPS.teardown, {}, { kept: false, deleted: ['RDS instance x-db'], left: [], aborted: undefined }],
  };
}

async function resultOf(records: Record<string, Seed>, scope: DrillScope = 'restore', keep = false) {
  h = await stepHarness();
  for (const [id, outputs, evidence, more] of Object.values(records)) await h.seed(id, outputs, evidence, more);
  const deps = { reportDir: h.w.dir, envName: 'dev', drRegion: DR_REGION };
  return drillResult(h.session.ledger, h.session.envCtx, h.op, { scope, keep }, deps, new Date(at(45)));
}
const store = (r: { stores: StoreResult[] }, name: string) => r.stores.find((s) => s.name === name)!;

describe('drillResult (scope restore)', () => {
  it('GIVEN every store restored and validated within target THEN the drill passes, with its RTO/RPO, isolation and teardown', async () => {
    const r = await resultOf(good());
    expect(r).toMatchObject({ passed: true, verdict: expect.stringMatching(/^PASSED/), drillName: 'dataplatform-dev-drill-20250104030000' });
    expect(store(r, 'database')).toMatchObject({ rtoSeconds: 1200, rpoSeconds: 300, passed: true });
    expect(store(r, 'fileSystem')).toMatchObject({ rtoSeconds: 1800, rpoSeconds: 36000, passed: true });
    expect(r.isolation).toEqual({ securityGroupId: 'sg-drill', ingressRules: 0, egressRevoked: true });
    expect(r.teardown).toEqual({ kept: false, deleted: ['RDS instance x-db'], left: [] });
    expect(r.notes).toEqual(['Elapsed: 45 min from drill start to report.']);
  });

  it.each([
    [
      'the canary check unknown',
      (s: Record<string, Seed>) => (s.validate![2] = { checks: [{ name: 'database: canary covered', status: 'unknown', detail: 'no SSM output' }] }),
      null,
      /^the canary could not be confirmed: no SSM output/,
    ],
    [
      'the canary check failed',
      (s: Record<string, Seed>) => (s.validate![2] = { checks: [{ name: 'database: canary covered', status: 'failed', detail: 'lacks it' }] }),
      false,
      /^validation failed: canary covered \(lacks it\)/,
    ],
    ['no canary check recorded', (s: Record<string, Seed>) => (s.validate![2] = { checks: [] }), null, /the validation recorded no canary check/],
    ['the RPO missed', (s: Record<string, Seed>) => (s.restoreDb![1] = { RpoPoint: at(-30), RestorePoint: at(1) }), false, /RPO 30m exceeds the target 15m/],
    [
      'the restore failed',
      (s: Record<string, Seed>) => (s.restoreDb![3] = { status: 'failed', error: { message: 'quota exceeded' } as never }),
      null,
      /^the database was not restored \(quota exceeded\)/,
    ],
    ['records of another drill only', (s: Record<string, Seed>) => (s.restoreDb![3] = { scope: 'dr-drill-0' }), null, /^the database was not restored$/],
  ])('GIVEN %s THEN the database store is passed=%s with the reason', async (_n, change, passed, reason) => {
    const s = good();
    change(s);
    const r = await resultOf(s);
    expect(store(r, 'database')).toMatchObject({ passed, reason: expect.stringMatching(reason) });
    expect(r.passed).toBe(passed);
  });

  it('GIVEN the file system was not measured (no AWS Backup) THEN the drill is not a pass, and a note says why', async () => {
    const s = good();
    s.restoreFs![1] = { Status: 'unmeasured', Reason: 'AWS Backup is not available' };
    s.validate![1] = { DbValidatedAt: at(20), FsValidatedAt: '' };
    const r = await resultOf(s);
    expect(store(r, 'fileSystem')).toMatchObject({ passed: null, reason: 'AWS Backup is not available' });
    expect(r.passed).toBeNull();
    expect(r.verdict).toMatch(/^NOT FULLY MEASURED \(not a pass\): fileSystem: AWS Backup is not available/);
    expect(r.notes).toContain('The file system was NOT measured: AWS Backup is not available. The drill therefore cannot pass as a whole.');
  });

  it('GIVEN the drill was aborted while restoring THEN it fails, the stores not restored fail, and the notes say it was torn down', async () => {
    const s = good();
    s.restoreDb![3] = { status: 'failed', error: { message: 'past the time cap' } as never };
    s.validate![3] = { status: 'pending' };
    s.teardown![2] = { kept: false, deleted: [], left: [], aborted: 'operations.drill.restore-db failed: past the time cap' };
    const r = await resultOf(s);
    expect(r).toMatchObject({ passed: false, verdict: 'NOT PASSED: operations.drill.restore-db failed: past the time cap' });
    expect(store(r, 'database')).toMatchObject({ passed: false, reason: expect.stringContaining('(operations.drill.restore-db failed: past the time cap)') });
    expect(r.notes).toContain('The drill was aborted: operations.drill.restore-db failed: past the time cap. Everything it created was torn down.');
  });

  it.each([
    [false, ['RDS instance left-db'], ['Teardown left 1 resource(s) behind: delete them by hand (listed under Teardown).']],
    [true, ['RDS instance kept-db'], []],
  ])('GIVEN keep=%s and those resources THEN the teardown lists them and a note asks for hand deletion only when not kept', async (kept, listed, notes) => {
    const s = good();
    s.teardown![2] = kept ? { kept, deleted: [], left: [], resources: listed } : { kept, deleted: [], left: listed };
    const r = await resultOf(s, 'restore', kept);
    expect(r.teardown).toEqual({ kept, deleted: [], left: listed });
    for (const n of notes) expect(r.notes).toContain(n);
    expect(r.notes.some((n) => n.startsWith('Teardown left'))).toBe(notes.length > 0);
  });

  it('GIVEN the isolation step did not finish THEN egress is not claimed revoked', async () => {
    const s = good();
    s.isolate![3] = { status: 'failed' };
    expect((await resultOf(s)).isolation.egressRevoked).toBe(false);
  });
});

describe('drillResult (scope full)', () => {
  const full = (drData: Record<string, string>, drRegion: Record<string, string> | undefined, src: Record<string, string>) => {
    const s = good();
    s.drSource = [DRILL_STEPS.drSource, src, {}];
    s.drData = [DRILL_STEPS.drData, drData, { checks: [{ name: 'status', status: 'ok', detail: 'available' }] }];
    if (drRegion) s.drRegion = [DRILL_STEPS.drRegion, drRegion, { stacks: ['dataplatform-dev-d01040300-network', 'dataplatform-dev-d01040300-storage'] }];
    return s;
  };

  it.each([
    ['the DR database validated at 100 min, the stacks done at 110 min', 100, 110, 6600],
    ['the stacks done at 90 min, the DR database validated at 100 min', 100, 90, 6000],
  ])('GIVEN %s THEN the environment RTO is the later, %i s, within the 8 h target', async (_n, db, stacks, rto) => {
    const r = await resultOf(
      full({ Status: 'restored', ValidatedAt: at(db) }, { CompletedAt: at(stacks) }, { SnapshotId: 'nightly', Created: at(-10) }),
      'full',
    );
    expect(store(r, 'drDatabase')).toMatchObject({ rtoSeconds: db * 60, rpoSeconds: 600, passed: true });
    expect(r.environment).toMatchObject({ region: DR_REGION, rtoSeconds: rto, rtoTargetSeconds: 28800, passed: true });
    expect(r.checks).toContainEqual({ name: 'DR database: status', status: 'ok', detail: 'available' });
    expect(r.notes.join('\n')).toMatch(/DR-region RPO: drill start → creation of the newest snapshot \(nightly\)/);
    expect(r.passed).toBe(true);
  });

  it('GIVEN the snapshot was taken on demand THEN a note says the DR-region RPO is optimistic', async () => {
    const r = await resultOf(
      full({ Status: 'restored', ValidatedAt: at(100) }, { CompletedAt: at(90) }, { SnapshotId: 'x-src', OnDemand: 'true', Created: at(1) }),
      'full',
    );
    expect(r.notes.join('\n')).toMatch(/took x-src and copied it, so the DR-region RPO is optimistic/);
  });

  it('GIVEN the stacks were recreated but the database could not be copied there THEN the environment is not measured, naming why', async () => {
    const r = await resultOf(
      full({ Status: 'unmeasured', Reason: 'CopyDBSnapshot is not available' }, { CompletedAt: at(120) }, { SnapshotId: 'nightly', Created: at(-10) }),
      'full',
    );
    expect(store(r, 'drDatabase')).toMatchObject({ passed: null, reason: 'CopyDBSnapshot is not available' });
    expect(r.environment).toMatchObject({
      rtoSeconds: 7200,
      passed: null,
      reason: 'stacks recreated in 2h, but the database could not be restored there: CopyDBSnapshot is not available',
    });
    expect(r.passed).toBeNull();
  });

  it('GIVEN the DR database restored after the 2 h data target THEN it fails its RTO, and the drill with it', async () => {
    const r = await resultOf(full({ Status: 'restored', ValidatedAt: at(180) }, { CompletedAt: at(120) }, { SnapshotId: 'nightly', Created: at(-10) }), 'full');
    expect(store(r, 'drDatabase')).toMatchObject({ passed: false, reason: 'RTO 3h exceeds the target 2h' });
    expect(r.passed).toBe(false);
  });

  it('GIVEN the DR storage stack failed THEN the environment says the DR region was not recreated, with the stack error', async () => {
    const s = full({}, undefined, { SnapshotId: 'nightly', Created: at(-10) });
    delete s.drData;
    s.drStorage = [
      DR_STACK_STEPS.storage,
      {},
      { stackName: 'dataplatform-dev-d01040300-storage' },
      { status: 'failed', error: { message: 'Bucket name taken' } as never },
    ];
    const r = await resultOf(s, 'full');
    expect(r.environment).toMatchObject({
      passed: null,
      stacks: ['dataplatform-dev-d01040300-storage'],
      reason: 'the DR region was not recreated (Bucket name taken)',
    });
    expect(store(r, 'drDatabase').reason).toBe('the database was not restored in us-east-1 (the DR stacks failed: Bucket name taken)');
  });
});
