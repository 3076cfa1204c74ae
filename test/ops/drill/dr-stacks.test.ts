/**
 * The DR-region stacks of a full drill are stack steps of their own (src/ops/drill/dr-stacks.ts):
 * each has a ledger record scoped to the drill, and a failed one is torn down and reported.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { world, type World } from '../helpers.js';
import { runDrDrill } from '../../../src/commands/dr-drill.js';
import { operationsOf } from '../../../src/ops/operation.js';
import { DR_STACK_STEPS } from '../../../src/ops/drill/dr-stacks.js';
import type { DpfError } from '../../../src/errors.js';

let w: World;
afterEach(() => w?.cleanup());

const withDrRegion = () => writeFileSync(w.config, readFileSync(w.config, 'utf8').replace('  dev: {}', '  dev:\n    recovery:\n      drRegion: us-east-1'));

describe('dpf dr-drill --scope full: the DR stacks as steps', () => {
  it('GIVEN a full drill THEN dr-network and dr-storage are stack steps with their own records, scoped to the drill, in the DR region', async () => {
    w = world();
    withDrRegion();
    w.rds.addSnapshot('dataplatform-dev-metadata', 'nightly', new Date(w.clock.now().getTime() - 10 * 60_000));
    await runDrDrill({ scope: 'full' }, w.ctx({ json: true }));
    const l = await w.ledger();
    const op = operationsOf(l.data).at(-1)!;
    for (const [id, template] of [
      [DR_STACK_STEPS.network, 'network'],
      [DR_STACK_STEPS.storage, 'storage'],
    ] as const) {
      const rec = l.get(id)!;
      expect(rec).toMatchObject({
        status: 'done',
        scope: op.id,
        evidence: { stackName: expect.stringMatching(new RegExp(`^dataplatform-dev-d\\d{8}-${template}$`)) },
      });
      // The engine ran it: step events, not a hand-made call.
      expect(w.io.ofType('step-done').some((e) => e.stepId === id)).toBe(true);
    }
    expect(l.get('operations.drill.dr-region')).toMatchObject({ status: 'done', scope: op.id });
    expect(w.io.ofType('step-start').map((e) => e.stepId)).toEqual(
      expect.arrayContaining([DR_STACK_STEPS.network, DR_STACK_STEPS.storage, 'operations.drill.dr-region']),
    );
  });

  it('GIVEN the DR storage stack fails THEN the drill aborts, the DR network stack is deleted all the same, and the report names the stack failure', async () => {
    w = world({ drCfn: { failures: [{ stackName: '*', logicalId: 'DataLakeBucket', reason: 'Bucket name taken' }] } });
    withDrRegion();
    let err: DpfError | undefined;
    try {
      await runDrDrill({ scope: 'full' }, w.ctx({ json: true }));
    } catch (e) {
      err = e as DpfError;
    }
    expect(err?.code).toBe('DrillAborted');
    expect(err?.message).toContain(`${DR_STACK_STEPS.storage} failed`);
    const l = await w.ledger();
    expect(l.get(DR_STACK_STEPS.storage)?.status).toBe('failed');
    const stacks = [l.get(DR_STACK_STEPS.network)!.evidence.stackName as string, l.get(DR_STACK_STEPS.storage)!.evidence.stackName as string];
    for (const s of stacks) expect(await w.dr.cfn.describeStack(s)).toBeUndefined();
    const report = l.get('operations.drill.report')!.evidence.result as { environment: { passed: unknown; reason: string }; teardown: { deleted: string[] } };
    expect(report.environment).toMatchObject({ passed: false, reason: expect.stringMatching(/^the DR region was not recreated \(.*Bucket name taken/) });
    expect(report.teardown.deleted).toEqual(expect.arrayContaining(stacks.filter((s) => s.endsWith('-network')).map((s) => `stack ${s} in us-east-1`)));
  });
});
