/** The document a wave sends and its timeouts (src/ops/patch/document.ts; output parsing basics: plan.test.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { fails, stepHarness, world, type World } from '../helpers.js';
import { DOC, patchOptions, waveOf } from './helpers.js';
import {
  concurrencyOf,
  DELIVERY_SECONDS,
  execSecondsOf,
  patchDocument,
  patchTimeouts,
  pendingUpdates,
  PATCH_BASELINE_EXEC_SECONDS,
  pollOpts,
  rebootScheduled,
  sendFor,
} from '../../../src/ops/patch/document.js';
import { testSettings } from '../../fakes/fake-settings.js';

let w: World;
afterEach(() => w?.cleanup());

const BUCKET = 'dataplatform-dev-dpf-state-123456789012';

describe('concurrencyOf', () => {
  it.each([
    ['50%', 4, 2],
    ['50%', 1, 1],
    ['1%', 3, 1],
    ['100%', 7, 7],
    ['3', 10, 3],
    ['nonsense', 5, 1],
  ])('GIVEN MaxConcurrency %s over %i hosts THEN %i run at once', (c, n, want) => {
    expect(concurrencyOf(c, n)).toBe(want);
  });
});

describe('patchTimeouts', () => {
  it.each([
    [1, '1', 7200, DELIVERY_SECONDS],
    [3, '1', 3600, DELIVERY_SECONDS + 2 * 3600],
    [4, '50%', 3600, DELIVERY_SECONDS + 3600],
    [1000, '1', 7200, 2_592_000],
  ])('GIVEN %i host(s) at MaxConcurrency %s and %i s each THEN the delivery timeout covers every earlier batch: %i s', (hosts, c, exec, delivery) => {
    expect(patchTimeouts(hosts, c, exec)).toEqual({ deliverySeconds: delivery, waitSeconds: delivery + exec + 60 });
  });
});

describe('execSecondsOf', () => {
  it.each([
    [{ TimeoutSeconds: ['1800'] }, 1800],
    [{ Operation: ['Install'] }, PATCH_BASELINE_EXEC_SECONDS],
    [{ TimeoutSeconds: ['0'] }, PATCH_BASELINE_EXEC_SECONDS],
  ])('GIVEN parameters %j THEN each host may run %i s', (parameters, want) => {
    expect(execSecondsOf({ documentName: 'd', parameters })).toBe(want);
  });
});

describe('patchDocument', () => {
  it.each([
    [false, 'Install', 'RebootIfNeeded'],
    [true, 'Scan', 'NoReboot'],
  ])('GIVEN the patch-baseline method, check %s THEN AWS-RunPatchBaseline with Operation=%s, RebootOption=%s', async (check, operation, reboot) => {
    w = world();
    const h = await stepHarness(w);
    expect(await patchDocument(h.context(), 'patch-baseline', check, 'bastion')).toEqual({
      documentName: 'AWS-RunPatchBaseline',
      parameters: { Operation: [operation], RebootOption: [reboot] },
    });
    expect(w.objects.puts).toEqual([]);
  });

  it("GIVEN the Ansible method THEN the bundle is uploaded to the state bucket and patch.yml runs through dpf's document with the host role (master for master-dev)", async () => {
    w = world();
    const h = await stepHarness(w);
    const doc = await patchDocument(h.context(), 'ansible', false, 'master-dev');
    expect(doc.documentName).toBe(DOC);
    expect(w.objects.puts).toEqual([{ bucket: BUCKET, key: expect.stringMatching(/\.zip$/) }]);
    expect(doc.parameters).toMatchObject({ PlaybookFile: ['patch.yml'], Check: ['False'], TimeoutSeconds: ['3600'] });
    expect(doc.parameters.ExtraVariables![0]).toBe('SSM=True dpf_env=dev dpf_project=dataplatform dpf_region=us-west-2 dpf_role=master');
  });

  it('GIVEN the Ansible method and a ledger without a state bucket THEN PatchNoStateBucket, pointing at the bootstrap phase', async () => {
    w = world();
    const h = await stepHarness(w);
    await h.ledger.updateStep('bootstrap.state', 'bootstrap', { outputs: {} }, w.clock.now());
    const err = await fails(patchDocument(h.context(), 'ansible', false, 'bastion'));
    expect(err.code).toBe('PatchNoStateBucket');
    expect(err.hint).toBe('dpf deploy --env dev --phase bootstrap');
  });
});

describe('sendFor', () => {
  const doc = { documentName: DOC, parameters: { TimeoutSeconds: ['3600'] } };

  it('GIVEN the rolling workers wave THEN they are targeted by tag under the configured rate control, output kept in the state bucket', async () => {
    w = world();
    const h = await stepHarness(w);
    const input = sendFor(h.context(), waveOf(patchOptions(), 'workers'), ['i-1', 'i-2'], doc, 'op-9');
    expect(input).toMatchObject({
      targets: { 'dpf:env': ['dev'], 'dpf:role': ['worker'] },
      maxConcurrency: '50%',
      maxErrors: '1',
      expectedInstanceIds: ['i-1', 'i-2'],
      outputS3Bucket: BUCKET,
      outputS3KeyPrefix: 'ssm/dev/patch/op-9/workers',
      comment: 'dpf patch workers op-9',
      timeoutSeconds: DELIVERY_SECONDS + 3600,
    });
    expect(input).not.toHaveProperty('instanceIds');
  });

  it('GIVEN a named wave and no state bucket THEN the hosts by id, one at a time, no error allowed, and no S3 output', async () => {
    w = world();
    const h = await stepHarness(w);
    await h.ledger.updateStep('bootstrap.state', 'bootstrap', { outputs: {} }, w.clock.now());
    const input = sendFor(h.context(), waveOf(patchOptions(), 'master-dev'), ['i-m', 'i-d'], doc, 'op-9');
    expect(input).toMatchObject({ instanceIds: ['i-m', 'i-d'], maxConcurrency: '1', maxErrors: '0', outputS3Bucket: undefined, outputS3KeyPrefix: undefined });
    // One at a time: the second host starts only after the first ran out its hour.
    expect(input.timeoutSeconds).toBe(DELIVERY_SECONDS + 3600);
    expect(input).not.toHaveProperty('targets');
  });
});

describe('output and settings', () => {
  it.each([
    [['Rebooting the instance now'], true],
    [['   ', ''], undefined],
    [['initiating reboot in 1 minute'], true],
  ])('GIVEN output %j THEN a reboot is scheduled: %s', (tail, want) => {
    expect(rebootScheduled(tail)).toBe(want);
  });

  it('GIVEN a scan reporting "Missing: 0" THEN zero pending updates, not unknown', () => {
    expect(pendingUpdates(['Missing: 0'])).toBe(0);
  });

  it.each([
    [250, { pollMs: 250 }],
    [undefined, {}],
  ])('GIVEN a poll interval of %s THEN the command is polled with %j', (pollMs, want) => {
    expect(pollOpts({ settings: testSettings({ pollMs }) } as never)).toEqual(want);
  });
});
