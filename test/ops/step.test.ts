/** Typed evidence keys (src/ops/step.ts): a step's record read for one operation, or whichever wrote it last. */
import { afterEach, describe, expect, it } from 'vitest';
import { world, type World } from './helpers.js';
import { stepKey } from '../../src/ops/step.js';

let w: World;
afterEach(() => w?.cleanup());

const KEY = stepKey<{ target: string; count: number }>('operations.test.thing');

async function ledgerWith(x: World, scope: string | undefined) {
  const l = await x.ledger();
  if (scope !== undefined) await l.updateStep(KEY.id, 'operations', { status: 'done', scope, evidence: { target: 'db-copy' } }, x.clock.now());
  return l;
}

describe('stepKey', () => {
  it.each([
    ['this operation', 'op-1', 'db-copy', 'db-copy'],
    ['another operation', 'op-0', undefined, 'db-copy'],
    ['no operation (never run)', undefined, undefined, undefined],
  ])('GIVEN the record was written by %s WHEN read for op-1 THEN of() gives %s and latest() %s', async (_n, scope, mine, latest) => {
    w = world();
    const l = await ledgerWith(w, scope);
    expect(KEY.of(l, { id: 'op-1' })?.evidence.target).toBe(mine);
    expect(KEY.latest(l)?.evidence.target).toBe(latest);
  });

  it('GIVEN a run that died before writing a field THEN that field reads as missing, not as a default', async () => {
    w = world();
    const l = await ledgerWith(w, 'op-1');
    expect(KEY.of(l, { id: 'op-1' })!.evidence.count).toBeUndefined();
  });
});
