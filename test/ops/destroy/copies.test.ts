/** The databases and file systems dpf made outside the stacks, on destroy (src/ops/destroy/copies.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { copiesStep, copyLeftover, findCopies, originOf, platformData, recordedCopies, type DpfCopy } from '../../../src/ops/destroy/copies.js';
import type { DestroyOptions } from '../../../src/ops/destroy/keys.js';
import type { Ledger, RunRecord, StepRecord } from '../../../src/state/ledger.js';
import { stepHarness, warnings, type StepHarness } from '../step-harness.js';

let h: StepHarness;
afterEach(() => h?.close());

const DB = 'dataplatform-dev-metadata';
const RESTORED = `${DB}-restore-20250103010000`;
const DRILL_DB = 'dataplatform-dev-drill-20250102010000-db';
const env = { project: 'dataplatform', name: 'dev' };

describe('originOf and copyLeftover', () => {
  it.each([
    [{ 'dpf:drill': 'dr-drill-1' }, 'dpf dr-drill (operation dr-drill-1)'],
    [{ 'dpf:operation': 'restore-db-1' }, 'dpf restore db (operation restore-db-1)'],
    [{ 'dpf:operation': 'restore-fs-1' }, 'dpf restore fs (operation restore-fs-1)'],
    [{ 'dpf:operation': 'backup-1' }, 'dpf (operation backup-1)'],
    [{}, 'the fallback'],
  ])('GIVEN tags %o THEN the origin is "%s"', (tags, origin) => {
    expect(originOf(tags, 'the fallback')).toBe(origin);
  });

  const copy = (o: Partial<DpfCopy>): DpfCopy => ({ kind: 'db', id: 'x', status: 'available', origin: 'dpf restore db', promoted: false, ...o });
  it.each([
    ['a promoted copy', copy({ promoted: true }), true, /promoted: the platform's data; kept \(data kept\); dpf destroy --env dev --delete-data deletes it/],
    [
      'a database copy',
      copy({}),
      false,
      /aws rds delete-db-instance --db-instance-identifier x --skip-final-snapshot\) or run dpf destroy --env dev --delete-data/,
    ],
    ['a file system copy', copy({ kind: 'fs', id: 'fs-1' }), false, /aws efs delete-file-system --file-system-id fs-1 \(after its mount targets\)/],
  ])('GIVEN %s kept THEN it is retained=%s with how to delete it', (_n, c, retained, detail) => {
    expect(copyLeftover(c, 'dev')).toEqual({
      resource: c.kind === 'db' ? `RDS instance ${c.id}` : `EFS ${c.id}`,
      retained,
      detail: expect.stringMatching(detail),
    });
  });
});

describe('recordedCopies', () => {
  const run = (id: string, kind: string, summary: Record<string, unknown>): RunRecord =>
    ({ runId: `r-${id}`, startedAt: '2025-01-01T00:00:00Z', status: 'done', steps: [], operation: { id, kind, key: '', params: {} }, summary }) as RunRecord;
  const ledger = (runs: RunRecord[], steps: Record<string, Partial<StepRecord>>) =>
    ({ data: { runs, steps }, get: (id: string) => steps[id] }) as unknown as Ledger;

  it('GIVEN restore operations and the last drill steps THEN each copy is named with what made it, and promoted ones are marked', () => {
    const r = recordedCopies(
      ledger(
        [
          run('restore-db-1', 'restore-db', { instance: RESTORED, promoted: true }),
          run('restore-fs-1', 'restore-fs', { fileSystemId: 'fs-r' }),
          run('backup-1', 'backup', { instance: 'not-a-copy' }),
        ],
        {
          'operations.drill.restore-db': { outputs: {}, evidence: { target: DRILL_DB }, scope: 'dr-drill-1' },
          'operations.drill.restore-fs': { outputs: { FileSystemId: 'fs-d' }, evidence: {}, scope: 'dr-drill-1' },
          'operations.restore.db': { outputs: { DbInstanceIdentifier: RESTORED }, evidence: {}, scope: 'restore-db-1' },
        },
      ),
    );
    expect(Object.fromEntries(r.db)).toEqual({ [RESTORED]: 'dpf restore db (operation restore-db-1)', [DRILL_DB]: 'dpf dr-drill (operation dr-drill-1)' });
    expect(Object.fromEntries(r.fs)).toEqual({ 'fs-r': 'dpf restore fs (operation restore-fs-1)', 'fs-d': 'dpf dr-drill (operation dr-drill-1)' });
    expect([...r.promoted]).toEqual([RESTORED]);
  });
});

describe('findCopies', () => {
  const find = async () => findCopies(await h.session.aws.ops(), h.session.ledger, env, platformData(h.session.ledger, env));
  const ids = (found: DpfCopy[]) => Object.fromEntries(found.map((c) => [c.id, c.promoted]));

  it("GIVEN instances and file systems of every kind THEN only this environment's copies are found, never the platform's own", async () => {
    h = await stepHarness({ kind: 'destroy' });
    const tags = (t: Record<string, string>) => ({ 'dpf:env': 'dev', 'dpf:project': 'dataplatform', ...t });
    h.w.rds
      .addInstance({ identifier: 'tagged-copy', tags: tags({ 'dpf:operation': 'restore-db-1' }) })
      .addInstance({ identifier: RESTORED })
      .addInstance({ identifier: DRILL_DB })
      .addInstance({ identifier: 'prod-copy', tags: { 'dpf:env': 'prod', 'dpf:operation': 'restore-db-2' } })
      .addInstance({ identifier: 'other-project', tags: { 'dpf:env': 'dev', 'dpf:project': 'x', 'dpf:operation': 'restore-db-3' } })
      .addInstance({ identifier: 'dev-but-no-purpose', tags: { 'dpf:env': 'dev' } });
    h.w.efs
      .add({ fileSystemId: 'fs-copy', tags: tags({ 'dpf:purpose': 'restore' }) })
      .add({ fileSystemId: 'fs-going', state: 'deleting', tags: tags({ 'dpf:purpose': 'restore' }) })
      .add({ fileSystemId: 'fs-untagged' });
    const found = await find();
    expect(found.filter((c) => c.kind === 'db').map((c) => [c.id, c.origin])).toEqual([
      ['tagged-copy', 'dpf restore db (operation restore-db-1)'],
      [RESTORED, 'dpf restore db'],
      [DRILL_DB, 'dpf dr-drill'],
    ]);
    expect(found.filter((c) => c.kind === 'fs').map((c) => c.id)).toEqual(['fs-copy']);
  });

  it('GIVEN the platform reads a copy (its endpoint and file system parameters point at it) THEN that copy is promoted', async () => {
    h = await stepHarness({ kind: 'destroy' });
    h.w.rds.addInstance({ identifier: RESTORED }).addInstance({ identifier: `${DB}-restore-20250103020000` });
    h.w.efs.add({ fileSystemId: 'fs-copy', tags: { 'dpf:env': 'dev', 'dpf:purpose': 'restore' } });
    await h.w.ssm.putParameter('/dataplatform/dev/rds/endpoint', `${RESTORED}.fake.rds.amazonaws.com`, true);
    await h.w.ssm.putParameter('/dataplatform/dev/efs/file-system-id', 'fs-copy', true);
    expect(ids(await find())).toEqual({ [RESTORED]: true, [`${DB}-restore-20250103020000`]: false, 'fs-copy': true });
  });

  it('GIVEN the parameters cannot be read THEN the copies are still found, none taken as promoted', async () => {
    h = await stepHarness({ kind: 'destroy' });
    h.w.rds.addInstance({ identifier: RESTORED });
    h.w.ssm.getParameter = async () => {
      throw new Error('AccessDenied');
    };
    expect(ids(await find())).toEqual({ [RESTORED]: false });
  });
});

describe('copiesStep', () => {
  const options = (deleteData: boolean): DestroyOptions => ({ deleteData, deleteState: false, phases: ['storage'], stacks: {} });
  const leftovers = (r: { evidence?: Record<string, unknown> }) =>
    (r.evidence!.leftovers as Array<{ resource: string; detail: string }>).map((l) => [l.resource, l.detail]);

  async function withCopies() {
    h = await stepHarness({ kind: 'destroy' });
    h.w.rds.addInstance({ identifier: RESTORED, deletionProtection: true }).addInstance({ identifier: DRILL_DB });
    h.w.efs.add({ fileSystemId: 'fs-copy', tags: { 'dpf:env': 'dev', 'dpf:purpose': 'restore' } }, 1);
  }

  it('GIVEN --delete-data THEN protection is lifted, each copy deleted with no final snapshot, the file system after its mount target, and verified gone', async () => {
    await withCopies();
    const r = await h.run(copiesStep(options(true)));
    expect(h.w.rds.calls.filter((c) => c.op === 'deleteInstance').map((c) => c.input)).toEqual([
      { identifier: RESTORED, skipFinalSnapshot: true },
      { identifier: DRILL_DB, skipFinalSnapshot: true },
    ]);
    expect(h.w.rds.instanceIds()).toEqual([DB]);
    expect(h.w.efs.fileSystems.has('fs-copy')).toBe(false);
    expect(r).toMatchObject({ changed: true, outputs: { Found: '3', Deleted: '3' } });
    expect(leftovers(r)).toEqual([]);
  });

  it('GIVEN a copy already being deleted (an interrupted run) THEN it is waited for, not deleted twice, and counted', async () => {
    h = await stepHarness({ kind: 'destroy' });
    h.w.rds.addInstance({ identifier: RESTORED });
    await h.w.rds.deleteInstance(RESTORED, { skipFinalSnapshot: true });
    h.w.rds.calls.length = 0;
    const r = await h.run(copiesStep(options(true)));
    expect(h.w.rds.calls.filter((c) => c.op === 'deleteInstance')).toEqual([]);
    expect(r.outputs).toMatchObject({ Found: '1', Deleted: '1' });
  });

  it.each([
    ['DeleteDBInstance is refused', 'db', /^DeleteDBInstance failed: InvalidDBInstanceState$/],
    ['the file system cannot be deleted', 'fs', /^not deleted: FileSystemInUse$/],
  ])('GIVEN %s THEN the others are still deleted and that copy is left behind with the error, and a warning', async (_n, which, detail) => {
    await withCopies();
    const del = h.w.rds.deleteInstance.bind(h.w.rds);
    if (which === 'db')
      h.w.rds.deleteInstance = async (id, o) => {
        if (id === RESTORED) throw new Error('InvalidDBInstanceState');
        return del(id, o);
      };
    else
      h.w.efs.deleteFileSystem = async () => {
        throw new Error('FileSystemInUse');
      };
    const r = await h.run(copiesStep(options(true)));
    const resource = which === 'db' ? `RDS instance ${RESTORED}` : 'EFS fs-copy';
    expect(leftovers(r)).toEqual([[resource, expect.stringMatching(detail)]]);
    expect(r.outputs).toMatchObject({ Found: '3', Deleted: '2' });
    expect(r.summary).toMatch(/; 1 LEFT BEHIND$/);
    expect(warnings(h.w)).toEqual([expect.stringContaining(`left behind: ${resource}`)]);
  });

  it('GIVEN a deletion that answered but left the copy THEN the describe check after it lists the copy as still there', async () => {
    h = await stepHarness({ kind: 'destroy' });
    h.w.efs.add({ fileSystemId: 'fs-copy', tags: { 'dpf:env': 'dev', 'dpf:purpose': 'restore' } });
    const describe = h.w.efs.describeFileSystems.bind(h.w.efs);
    let deleted = false;
    h.w.efs.deleteFileSystem = async () => void (deleted = true);
    // The deletion's own wait sees it gone (eventual consistency), the check after it does not.
    let reads = 0;
    h.w.efs.describeFileSystems = async (id) => (deleted && id && ++reads === 1 ? [] : describe(id));
    const r = await h.run(copiesStep(options(true)));
    expect(leftovers(r)).toEqual([['EFS fs-copy', expect.stringMatching(/^available: still exists after its deletion/)]]);
  });

  it('GIVEN the data is kept THEN nothing is deleted; un-promoted copies are warned about, promoted ones noted as retained', async () => {
    await withCopies();
    await h.w.ssm.putParameter('/dataplatform/dev/rds/endpoint', `${RESTORED}.fake.rds.amazonaws.com`, true);
    const r = await h.run(copiesStep(options(false)));
    expect(h.w.rds.calls.filter((c) => c.op === 'deleteInstance')).toEqual([]);
    expect(r).toMatchObject({ changed: false, outputs: { Found: '3', Deleted: '0' } });
    expect(h.w.io.ofType('info').map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`^retained: RDS instance ${RESTORED} — made by`))]);
    expect(warnings(h.w).map((m) => m.split(' — ')[0])).toEqual([`left behind: RDS instance ${DRILL_DB}`, 'left behind: EFS fs-copy']);
  });
});
