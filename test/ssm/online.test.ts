import { describe, expect, it } from 'vitest';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { FakeSsm } from '../fakes/fake-ssm.js';
import { waitUntilOnline } from '../../src/ssm/online.js';
import { NotImplementedByEndpointError } from '../../src/aws/endpoint.js';
import { AbortError, StepFailedError } from '../../src/errors.js';
import type { SsmPort } from '../../src/aws/ops-ports.js';

function setup() {
  const clock = new FakeClock().autoAdvance();
  const ssm = new FakeSsm({ clock });
  const io = new FakeIoHost();
  const abort = new AbortController();
  const deps = { clock, io, signal: abort.signal, stepId: 'identity.ipa-server' };
  return { clock, ssm, io, abort, deps };
}

describe('waitUntilOnline', () => {
  it('GIVEN instances already Online WHEN waited for THEN it returns at once without a progress line', async () => {
    const h = setup();
    h.ssm.registerInstance({ instanceId: 'i-1' }).registerInstance({ instanceId: 'i-2' });
    const r = await waitUntilOnline(h.ssm, h.deps, ['i-1', 'i-2'], { timeoutSeconds: 60 });
    expect(r).toMatchObject({
      waitedSeconds: 0,
      online: [
        { instanceId: 'i-1', pingStatus: 'Online' },
        { instanceId: 'i-2', pingStatus: 'Online' },
      ],
    });
    expect(h.io.ofType('step-progress')).toEqual([]);
  });

  it('GIVEN the IPA server whose user data installs the agent for 5 minutes WHEN waited for THEN it polls with back-off and returns when it registers', async () => {
    const h = setup();
    h.ssm.registerInstance({ instanceId: 'i-ipa', onlineAfterMs: 300_000 });
    const r = await waitUntilOnline(h.ssm, h.deps, ['i-ipa'], { timeoutSeconds: 900, labels: { 'i-ipa': 'identity' } });
    expect(r.waitedSeconds).toBeGreaterThanOrEqual(300);
    expect(r.waitedSeconds).toBeLessThan(340);
    // One progress line: the state did not change until it came Online.
    expect(h.io.ofType('step-progress').map((e) => e.message)).toEqual(['waiting for 1 of 1 instance(s) to be Online in SSM: i-ipa (identity) not registered']);
    // Back-off: far fewer calls than one per 5 s.
    expect(h.ssm.callsOf('describeInstanceInformation').length).toBeLessThan(20);
  });

  it('GIVEN one instance that never comes Online WHEN the time is up THEN StepFailedError names it, its status and what to check', async () => {
    const h = setup();
    h.ssm.registerInstance({ instanceId: 'i-1' }).registerInstance({ instanceId: 'i-2', pingStatus: 'Inactive' });
    const err = await waitUntilOnline(h.ssm, h.deps, ['i-1', 'i-2', 'i-3'], { timeoutSeconds: 60 }).catch((e) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.message).toBe('2 of 3 instance(s) did not come Online in SSM within 60 s: i-2 Inactive, i-3 not registered.');
    expect(err.hint).toMatch(/systemctl status amazon-ssm-agent/);
  });

  it('GIVEN an endpoint without DescribeInstanceInformation WHEN waited for THEN it warns that it cannot tell and returns unknown', async () => {
    const h = setup();
    const ssm = {
      describeInstanceInformation: async () => {
        throw new NotImplementedByEndpointError('SSM DescribeInstanceInformation');
      },
    } as unknown as SsmPort;
    const r = await waitUntilOnline(ssm, h.deps, ['i-1'], { timeoutSeconds: 60 });
    expect(r.unknown).toMatch(/cannot tell whether the instances are Online/);
    expect(h.io.ofType('warning')).toHaveLength(1);
  });

  it('GIVEN Ctrl-C while waiting WHEN the sleep is interrupted THEN AbortError', async () => {
    const h = setup();
    h.ssm.registerInstance({ instanceId: 'i-1', onlineAfterMs: 600_000 });
    const p = waitUntilOnline(h.ssm, h.deps, ['i-1'], { timeoutSeconds: 900 });
    h.abort.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });
});
