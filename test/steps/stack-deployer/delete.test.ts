/** The one stack deletion (src/steps/stack-deployer/delete.ts), as the deployer and the reaper use it. */
import { describe, it, expect } from 'vitest';
import { deleteWatchedStack, StackWatcher } from '../../../src/steps/stack-deployer.js';
import { FakeCloudFormation } from '../../fakes/fake-cloudformation.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIoHost } from '../../fakes/fake-io-host.js';
import { BUCKET_AND_DB, templateBody } from '../engine-helpers.js';

function harness() {
  const clock = new FakeClock().autoAdvance();
  const cfn = new FakeCloudFormation({ clock });
  const io = new FakeIoHost();
  const statuses: string[] = [];
  cfn.seedStack({ stackName: 'dp-x', templateBody: templateBody(BUCKET_AND_DB) });
  const watcher = new StackWatcher(
    { stepId: 'x.stack', stackName: 'dp-x' },
    { cfn, clock, io, signal: new AbortController().signal },
    { minMs: 1000, maxMs: 10_000, timeoutMs: 3600_000 },
    (s) => statuses.push(s),
  );
  return { cfn, io, watcher, statuses, stackId: cfn.inspect('dp-x')!.stackId };
}

describe('deleteWatchedStack', () => {
  it('GIVEN a stack read by its id THEN every event of the deletion is shown, its last ones after the stack is gone', async () => {
    const h = harness();
    const r = await deleteWatchedStack(h.watcher, { token: 'dpf-delete-1', stackId: h.stackId });
    expect(r).toMatchObject({ gone: true, final: undefined, cause: undefined, notes: [] });
    expect(r.events.map((e) => `${e.logicalId} ${e.status}`)).toEqual([
      'dp-x DELETE_IN_PROGRESS',
      'Db DELETE_IN_PROGRESS',
      'Db DELETE_COMPLETE',
      'Logs DELETE_IN_PROGRESS',
      'Logs DELETE_COMPLETE',
      'dp-x DELETE_COMPLETE',
    ]);
    expect(h.io.resourceEvents('x.stack')).toHaveLength(6);
    expect(h.statuses).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'gone']);
    expect(h.cfn.mutatingCalls().map((c) => c.input)).toEqual([{ stackName: 'dp-x', retainResources: [], clientRequestToken: 'dpf-delete-1' }]);
  });

  it('GIVEN DeleteStack answers with an error while the stack goes away (an emulator) THEN describe calls are trusted: a warning, a note, and gone', async () => {
    const h = harness();
    const real = h.cfn.deleteStack.bind(h.cfn);
    h.cfn.deleteStack = async (name, retain, token) => {
      await real(name, retain, token);
      throw Object.assign(new Error('resource sg-1 has a dependent object'), { name: 'DependencyViolation' });
    };
    const r = await deleteWatchedStack(h.watcher, { stackId: h.stackId });
    expect(r).toMatchObject({ gone: true, notes: ['DeleteStack dp-x: resource sg-1 has a dependent object'] });
    expect(h.io.ofType('warning').map((w) => w.message)).toEqual([
      'DeleteStack dp-x answered "resource sg-1 has a dependent object" and the stack is DELETE_IN_PROGRESS; checking what is left through describe calls',
    ]);
  });

  it("GIVEN a resource that cannot be deleted THEN DELETE_FAILED with that resource as the root cause, not the stack's own event", async () => {
    const h = harness();
    h.cfn.failDelete('dp-x', 'Logs', 'The bucket you tried to delete is not empty');
    const r = await deleteWatchedStack(h.watcher, { stackId: h.stackId });
    expect(r.gone).toBe(false);
    expect(r.final?.status).toBe('DELETE_FAILED');
    expect(r.cause).toMatchObject({ logicalId: 'Logs', status: 'DELETE_FAILED', reason: 'The bucket you tried to delete is not empty' });
  });
});
