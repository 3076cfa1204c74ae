/** dpf restore db's steps (src/ops/restore/db.ts): a new instance in the platform's network, then validated. */
import { afterEach, describe, expect, it } from 'vitest';
import { fails, priorRecord, stepHarness, WORKERS, world, type World } from '../helpers.js';
import { buildRestoreDbSteps, dbValidateStep, restoreDbStep } from '../../../src/ops/restore/db.js';
import { RESTORE_STEPS, type DbSource, type RestoreDbOptions } from '../../../src/ops/restore/keys.js';

let w: World;
afterEach(() => w?.cleanup());

const DB = 'dataplatform-dev-metadata';
const RERUN = 'dpf restore db --env dev --latest';
const options = (source: DbSource, o: Partial<RestoreDbOptions> = {}): RestoreDbOptions => ({
  source,
  promote: false,
  timeoutMinutes: 120,
  rerun: RERUN,
  ...o,
});
const restores = (x: World) => x.rds.calls.filter((c) => c.op.startsWith('restore'));

describe('restoreDbStep', () => {
  it('GIVEN a snapshot WHEN restoring THEN a new instance gets the platform subnet group, security group, parameter group and the operation tags', async () => {
    w = world();
    w.rds.addSnapshot(DB, 'nightly-1', new Date('2025-01-03T00:00:00Z'));
    const h = await stepHarness(w);
    const r = await h.run(restoreDbStep(h.op, options({ kind: 'snapshot', snapshotId: 'nightly-1' })));
    const target = `${DB}-restore-${h.op.stamp}`;
    expect(restores(w)).toEqual([
      {
        op: 'restoreFromSnapshot',
        input: expect.objectContaining({
          snapshotId: 'nightly-1',
          targetIdentifier: target,
          subnetGroup: 'dbsubnets',
          securityGroupIds: ['sg-db'],
          parameterGroup: 'dbparams',
          tags: { 'dpf:env': 'dev', 'dpf:project': 'dataplatform', 'dpf:operation': h.op.id, 'dpf:purpose': 'restore', 'dpf:restored-from': DB },
        }),
      },
    ]);
    expect(r.outputs).toEqual({ DbInstanceIdentifier: target, Endpoint: `${target}.fake.rds.amazonaws.com`, Port: '5432', SourceIdentifier: DB });
    expect(r.evidence).toMatchObject({ target, restoredFrom: 'snapshot nightly-1' });
  });

  it('GIVEN --latest WHEN restoring THEN the point-in-time restore uses the latest restorable time, not a time dpf computed', async () => {
    w = world();
    const h = await stepHarness(w);
    await h.run(restoreDbStep(h.op, options({ kind: 'latest' })));
    expect(restores(w)[0]!.input).toMatchObject({ source: DB, restoreTime: undefined, useLatestRestorableTime: true });
  });

  it.each([
    ['a snapshot that does not exist', 'SnapshotNotFound', { kind: 'snapshot', snapshotId: 'nope' }, 'Snapshot nope does not exist.'],
    ['a snapshot still being created', 'SnapshotNotReady', { kind: 'snapshot', snapshotId: 'fresh' }, 'Snapshot fresh is creating, not available.'],
    [
      'a time after the latest restorable time',
      'RestoreTimeTooLate',
      { kind: 'time', time: '2025-01-04T02:58:00.000Z' },
      /^2025-01-04T02:58:00.000Z is after the latest restorable time of dataplatform-dev-metadata \(2025-01-04T02:5\d:\d\d\.\d{3}Z\)\.$/,
    ],
  ] as const)('GIVEN %s WHEN restoring THEN %s, and nothing is restored', async (_n, code, source, message) => {
    w = world();
    await w.rds.createSnapshot(DB, 'fresh', {});
    const h = await stepHarness(w);
    const err = await fails(h.run(restoreDbStep(h.op, options(source as DbSource))));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(restores(w)).toEqual([]);
  });

  it('GIVEN a restore that stays "creating" past the timeout WHEN restoring THEN RestoreTimedOut, the copy recorded so a rerun waits on it, and how to give up', async () => {
    w = world();
    w.rds.stuck.add('*');
    const h = await stepHarness(w);
    const step = restoreDbStep(h.op, options({ kind: 'latest' }, { timeoutMinutes: 30 }));
    const err = await fails(h.run(step));
    const target = `${DB}-restore-${h.op.stamp}`;
    expect(err.code).toBe('RestoreTimedOut');
    expect(err.message).toBe(`The restored instance ${target} is still creating after 30 min; dpf stopped waiting.`);
    expect(err.hint).toContain(`aws rds delete-db-instance --db-instance-identifier ${target} --skip-final-snapshot`);
    expect(h.evidence(RESTORE_STEPS.db)).toMatchObject({ target, restoredFrom: `${DB} at its latest restorable time (2025-01-04T02:55:00.000Z)` });

    // The rerun waits for the same copy: no second restore.
    w.rds.stuck.clear();
    const r = await h.run(step, priorRecord(step.id, h.evidence(RESTORE_STEPS.db)));
    expect(restores(w)).toHaveLength(1);
    expect(r.outputs!.DbInstanceIdentifier).toBe(target);
  });

  it("GIVEN an instance with the copy's name that this operation did not make WHEN restoring THEN refused: dpf never adopts (and could later promote) someone else's database", async () => {
    w = world();
    const h = await stepHarness(w);
    const target = `${DB}-restore-${h.op.stamp}`;
    w.rds.addInstance({ identifier: target, tags: { 'dpf:operation': 'restore-db-older' } });
    const err = await fails(h.run(restoreDbStep(h.op, options({ kind: 'latest' }))));
    expect(err.code).toBe('RestoreTargetTaken');
    expect(err.message).toContain(`${target} already exists and this restore did not make it (dpf:operation restore-db-older)`);
    expect(err.hint).toContain(`${RERUN} --new`);
    expect(restores(w)).toEqual([]);
    expect(h.evidence(RESTORE_STEPS.db)).toEqual({});
  });

  it('GIVEN a run that died after RDS accepted the restore (its evidence never written) WHEN rerun THEN the copy tagged with this operation is adopted', async () => {
    w = world();
    const h = await stepHarness(w);
    const target = `${DB}-restore-${h.op.stamp}`;
    w.rds.addInstance({ identifier: target, tags: { 'dpf:operation': h.op.id } });
    const r = await h.run(restoreDbStep(h.op, options({ kind: 'latest' })));
    expect(restores(w)).toEqual([]);
    expect(r.outputs!.DbInstanceIdentifier).toBe(target);
  });
});

describe('dbValidateStep', () => {
  const COPY = 'copy-1';
  async function validate(x: World, copy: Record<string, unknown> | undefined, pgOutput = 'dpf-pg-exit=0') {
    if (copy) x.rds.addInstance({ identifier: COPY, subnetGroup: 'dbsubnets', securityGroupIds: ['sg-db'], parameterGroups: ['dbparams'], ...copy });
    x.ssm.script(WORKERS[0]!, { stdout: pgOutput }, { document: 'AWS-RunShellScript' });
    const h = await stepHarness(x);
    await h.done(RESTORE_STEPS.db, { DbInstanceIdentifier: COPY });
    return h.run(dbValidateStep(options({ kind: 'latest' })));
  }

  it('GIVEN a copy as asked and pg_isready answering from a worker THEN every check is ok', async () => {
    w = world();
    const r = await validate(w, {});
    expect(r.outputs).toEqual({ Valid: 'true', Unknown: '0' });
    expect((r.evidence!.checks as Array<{ name: string; status: string }>).at(-1)).toMatchObject({
      name: 'reachable from a worker (pg_isready over SSM)',
      status: 'ok',
    });
  });

  it('GIVEN a copy in the default VPC group and public THEN RestoreInvalid lists both, and says not to promote it', async () => {
    w = world();
    const err = await fails(validate(w, { securityGroupIds: ['sg-default'], publiclyAccessible: true }));
    expect(err.code).toBe('RestoreInvalid');
    expect(err.message).toBe(`The restored instance ${COPY} failed 2 check(s).`);
    expect(err.details).toEqual(['security groups: sg-default (wanted sg-db)', 'not publicly accessible: PUBLIC']);
    expect(err.hint).toMatch(/^Do not promote it\./);
  });

  it('GIVEN SSM gives no output from the worker THEN reachability is unknown: valid, with a warning and Unknown=1', async () => {
    w = world();
    const r = await validate(w, {}, '');
    expect(r.outputs).toEqual({ Valid: 'true', Unknown: '1' });
    expect(w.io.ofType('warning').map((e) => e.message)).toEqual([
      expect.stringMatching(/^reachable from a worker \(pg_isready over SSM\): unknown — SSM returned no output/),
    ]);
  });

  it('GIVEN the copy was deleted since the restore THEN RestoreVanished, with how to restore again', async () => {
    w = world();
    const err = await fails(validate(w, undefined));
    expect(err.code).toBe('RestoreVanished');
    expect(err.hint).toBe(`Run the restore again: ${RERUN} --new`);
  });
});

describe('buildRestoreDbSteps', () => {
  it.each([
    [false, [RESTORE_STEPS.db, RESTORE_STEPS.dbValidate]],
    [true, [RESTORE_STEPS.db, RESTORE_STEPS.dbValidate, RESTORE_STEPS.dbPromote]],
  ])('GIVEN promote %s THEN the steps are %j', (promote, ids) => {
    const op = { id: 'restore-db-1' };
    expect(buildRestoreDbSteps(op as never, options({ kind: 'latest' }, { promote })).map((s) => s.id)).toEqual(ids);
  });
});
