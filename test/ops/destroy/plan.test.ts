/**
 * dpf destroy deletes a phase's stacks in reverse deploy order: the dns stack holds records in
 * the identity stack's private zone, and Route 53 refuses to delete a zone that still has
 * records (HostedZoneNotEmpty, DeleteHostedZone API reference). The emulator does not delete
 * hosted zones with their stack, so it cannot show this; the order is checked here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { knownStacks } from '../../../src/ops/destroy/plan.js';
import { tempLedger } from '../../steps/engine-helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const envCtx = { project: 'dataplatform', name: 'dev' };

describe('GIVEN stacks recorded in the ledger', () => {
  it.each([
    ['the identity stack recorded first', ['identity.stack', 'identity.dns']],
    ['the dns stack recorded first (e.g. the identity stack updated later)', ['identity.dns', 'identity.stack']],
  ])('WHEN %s THEN the dns stack is deleted before the identity stack and its zone', async (_what, order) => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { ledger, cleanup } = await tempLedger(now);
    cleanups.push(cleanup);
    const names: Record<string, string> = { 'identity.stack': 'dataplatform-dev-identity', 'identity.dns': 'dataplatform-dev-dns' };
    for (const id of order) await ledger.updateStep(id, 'identity', { status: 'done', evidence: { stackName: names[id] } }, now);
    expect(knownStacks(ledger, envCtx).identity).toEqual(['dataplatform-dev-dns', 'dataplatform-dev-identity']);
  });

  it('WHEN the monitoring phase has its two stacks THEN the association stack goes before the monitoring stack', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { ledger, cleanup } = await tempLedger(now);
    cleanups.push(cleanup);
    await ledger.updateStep('monitoring.stack', 'monitoring', { status: 'done', evidence: { stackName: 'dataplatform-dev-monitoring' } }, now);
    await ledger.updateStep('monitoring.worker-bootstrap', 'monitoring', { status: 'done', evidence: { stackName: 'dataplatform-dev-autoconfig' } }, now);
    expect(knownStacks(ledger, envCtx).monitoring).toEqual(['dataplatform-dev-autoconfig', 'dataplatform-dev-monitoring']);
  });
});
