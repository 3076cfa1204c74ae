/** Reading the staging environment's ledger for the staging-first rule (src/ops/patch/staging.ts): local copy or mirror, the newer. */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { deployedLedger, stepHarness, world, type World } from '../helpers.js';
import { readStagingLedger } from '../../../src/ops/patch/staging.js';
import { serializeLedger } from '../../../src/state/ledger.js';
import { localLedgerPath } from '../../../src/state/store.js';
import { THIS_PROCESS } from '../../fakes/fake-settings.js';

let w: World;
afterEach(() => w?.cleanup());

const BUCKET = 'dataplatform-staging-dpf-state-123456789012';
const MIRROR = `s3://${BUCKET}/ledger/staging/ledger.json`;

/** Prod's session opened first (its own reads are not under test), then `arrange`, then the staging ledger read. */
async function read(x: World, arrange = () => {}) {
  const h = await stepHarness(x, { env: 'prod' });
  arrange();
  const warnings: string[] = [];
  const r = await readStagingLedger(
    h.session,
    THIS_PROCESS,
    (region) => x.ctx().aws(region),
    (m) => warnings.push(m),
  );
  return { ...r, warnings };
}
const mirror = (x: World, revision: number) =>
  x.objects.putText(BUCKET, 'ledger/staging/ledger.json', serializeLedger({ ...deployedLedger('staging', x.clock.now(), false), revision }));

describe('readStagingLedger', () => {
  it.each([
    ['only the local copy', undefined, 'local'],
    ['a mirror written later (higher revision)', 5, 'mirror'],
    ['a mirror older than the local copy', -1, 'local'],
  ])('GIVEN %s THEN the newer copy is used', async (_n, revision, want) => {
    w = world({ envs: ['prod', 'staging'] });
    if (revision !== undefined) await mirror(w, revision);
    const r = await read(w);
    const local = localLedgerPath(w.dir, 'staging');
    expect(r.found?.source).toBe(want === 'local' ? local : MIRROR);
    expect(r.found?.data.env).toBe('staging');
    expect(r.lookedAt).toEqual([local, MIRROR]);
    expect(r.warnings).toEqual([]);
  });

  it('GIVEN an unreadable local copy and a mirror THEN the mirror is used and the operator is told which file is broken', async () => {
    w = world({ envs: ['prod', 'staging'] });
    writeFileSync(localLedgerPath(w.dir, 'staging'), '{ not json');
    await mirror(w, 1);
    const r = await read(w);
    expect(r.found?.source).toBe(MIRROR);
    expect(r.warnings).toEqual([expect.stringMatching(new RegExp(`^The staging ledger at .*ledger\\.json is unreadable: `))]);
  });

  it('GIVEN the state bucket cannot be read THEN the local copy is used and where it looked says why the mirror was not', async () => {
    w = world({ envs: ['prod', 'staging'] });
    const r = await read(w, () => {
      w.objects.getText = async () => {
        throw new Error('AccessDenied: not authorized to perform s3:GetObject\nmore');
      };
    });
    expect(r.found?.source).toBe(localLedgerPath(w.dir, 'staging'));
    expect(r.lookedAt[1]).toBe(`${MIRROR} (unreadable: AccessDenied: not authorized to perform s3:GetObject)`);
  });

  it('GIVEN no copy anywhere THEN nothing is found and both places are named', async () => {
    w = world({ envs: ['prod'] });
    const r = await read(w);
    expect(r.found).toBeUndefined();
    expect(r.lookedAt).toEqual([localLedgerPath(w.dir, 'staging'), MIRROR]);
  });
});
