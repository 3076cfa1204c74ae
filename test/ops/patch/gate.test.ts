/** The health gate after a wave (src/ops/patch/gate.ts): which hosts it checks, when it halts, and what it tells the operator. */
import { afterEach, describe, expect, it } from 'vitest';
import { fails, healthy, HOSTS, stepHarness, WORKERS, world, type World } from '../helpers.js';
import { patchOptions, RERUN, waveOf } from './helpers.js';
import { gateStep } from '../../../src/ops/patch/gate.js';
import { rollbackHint } from '../../../src/ops/patch/waves.js';
import { PATCH_STEPS } from '../../../src/ops/patch/keys.js';

let w: World;
afterEach(() => w?.cleanup());

const SERVICES_OK = ['amazon-ssm-agent', 'sshd', 'chronyd'].map((u) => `dpf-svc ${u}=active`).join('\n');
const shellTargets = (x: World) =>
  x.ssm
    .sentCommands()
    .filter((c) => c.input.documentName === 'AWS-RunShellScript')
    .flatMap((c) => c.targets);

describe('gateStep', () => {
  it('GIVEN the wave recorded the hosts it patched WHEN the gate runs THEN it checks those hosts and passes with their health as evidence', async () => {
    w = world();
    healthy(w);
    const h = await stepHarness(w);
    await h.done(PATCH_STEPS.wave('master-dev'), { Hosts: HOSTS.master });
    const o = patchOptions();
    const r = await h.run(gateStep(o, waveOf(o, 'master-dev')));
    expect(shellTargets(w)).toEqual([HOSTS.master]);
    expect(r.outputs).toEqual({ Passed: 'true', AcceptedUnknown: '0' });
    expect(r.summary).toBe('1 host(s) healthy');
    expect((r.evidence!.health as Array<{ instanceId: string; status: string }>).map((x) => [x.instanceId, x.status])).toEqual([[HOSTS.master, 'ok']]);
  });

  it('GIVEN a worker in ALARM after the rolling wave WHEN the gate runs THEN it halts, naming the worker, its alarm and the worker rollback', async () => {
    w = world();
    healthy(w);
    w.alarms.find((a) => a.dimensions.InstanceId === WORKERS[1])!.state = 'ALARM';
    const h = await stepHarness(w);
    const o = patchOptions();
    const wave = waveOf(o, 'workers');
    const err = await fails(h.run(gateStep(o, wave)));
    expect(err.code).toBe('HealthGateFailed');
    expect(err.message).toBe('Health gate after wave workers failed on 1 host(s); the run is halted before the next wave.');
    expect(err.details).toEqual([
      `${WORKERS[1]} (worker): alarms: in ALARM: dataplatform-dev-${WORKERS[1]}-cpu; roll back: terminate it, the Auto Scaling group replaces it`,
    ]);
    expect(err.hint).toBe(`${rollbackHint(wave, RERUN)}\nOnce the host is healthy again, rerun to resume at this gate: ${RERUN}`);
    expect(h.evidence(PATCH_STEPS.gate('workers')).health).toHaveLength(2);
  });

  it.each([
    ['only unknown, not accepted', false, false, /--accept-unknown-health \(it resumes at this gate\): dpf patch --env dev --accept-unknown-health$/],
    ['only unknown, accepted', true, false, undefined],
    ['unknown and failed, accepted', true, true, /Replace root volume/],
  ])('GIVEN health %s WHEN the gate runs THEN it passes only without failures, and the hint fits the cause', async (_n, accept, failed, hint) => {
    w = world(); // no alarm watches any host: the alarms component is unknown
    w.ssm.script('*', { stdout: SERVICES_OK }, { document: 'AWS-RunShellScript' });
    if (failed) w.ssm.setPingStatus(HOSTS.bastion, 'ConnectionLost');
    const h = await stepHarness(w);
    const o = patchOptions({ acceptUnknownHealth: accept });
    const step = gateStep(o, waveOf(o, 'bastion'));
    if (hint) {
      const err = await fails(h.run(step));
      expect(err.code).toBe('HealthGateFailed');
      expect(err.hint).toMatch(hint);
      return;
    }
    const r = await h.run(step);
    expect(r.outputs).toEqual({ Passed: 'true', AcceptedUnknown: '1' });
    expect(w.io.ofType('warning').map((e) => e.message)).toEqual([
      expect.stringMatching(new RegExp(`^accepted \\(--accept-unknown-health\\): ${HOSTS.bastion} \\(bastion\\) alarms unknown: no alarm watches this host`)),
    ]);
  });

  it('GIVEN no worker is in service and the wave recorded none WHEN the gate runs THEN there is nothing to check and nothing is asked of SSM', async () => {
    w = world();
    w.deletedGroups.add('dataplatform-dev-workers');
    const h = await stepHarness(w);
    const o = patchOptions();
    const r = await h.run(gateStep(o, waveOf(o, 'workers')));
    expect(r).toMatchObject({ changed: false, summary: 'no host to check', evidence: { health: [] } });
    expect(w.ssm.calls).toEqual([]);
  });
});
