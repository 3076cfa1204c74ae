/** The recovery point before any host is patched (src/ops/patch/recovery-point.ts): an AMI per host, without reboot. */
import { afterEach, describe, expect, it } from 'vitest';
import { fails, HOSTS, priorRecord, stepHarness, world, type World } from '../helpers.js';
import { patchOptions } from './helpers.js';
import { recoveryPointStep } from '../../../src/ops/patch/recovery-point.js';
import { PATCH_STEPS } from '../../../src/ops/patch/keys.js';

let w: World;
afterEach(() => w?.cleanup());

const NON_WORKERS = [HOSTS.bastion, HOSTS.master, HOSTS.dev];
const imaged = (x: World) =>
  x.ec2.calls
    .filter((c) => c.op === 'createImage')
    .map((c) => c.input as { instanceId: string; name: string; tags: Record<string, string>; noReboot: boolean });

describe('recoveryPointStep', () => {
  it('GIVEN three hosts WHEN the step runs THEN each gets a named, tagged AMI taken without reboot, and the outputs map host to image', async () => {
    w = world();
    const h = await stepHarness(w);
    const r = await h.run(recoveryPointStep(h.op, patchOptions(), NON_WORKERS));
    const calls = imaged(w);
    expect(calls.map((c) => c.instanceId)).toEqual(NON_WORKERS);
    expect(calls.every((c) => c.noReboot)).toBe(true);
    expect(calls[1]).toMatchObject({
      name: `dataplatform-dev-master-${HOSTS.master}-prepatch-${h.op.stamp}`,
      tags: { 'dpf:env': 'dev', 'dpf:operation': h.op.id, 'dpf:role': 'master', 'dpf:source-instance': HOSTS.master },
    });
    expect(Object.keys(r.outputs!)).toEqual(NON_WORKERS);
    expect((r.evidence!.states as Array<{ state: string }>).map((s) => s.state)).toEqual(['available', 'available', 'available']);
  });

  it('GIVEN an earlier run already requested the bastion image WHEN the step runs again THEN only the other hosts are imaged', async () => {
    w = world();
    const ami = await w.ec2.createImage(HOSTS.bastion, 'earlier', {}, true);
    const h = await stepHarness(w);
    const r = await h.run(recoveryPointStep(h.op, patchOptions(), NON_WORKERS), priorRecord(PATCH_STEPS.recoveryPoint, { images: { [HOSTS.bastion]: ami } }));
    expect(imaged(w).map((c) => c.instanceId)).toEqual([HOSTS.bastion, HOSTS.master, HOSTS.dev]); // the first is the test's own
    expect(r.outputs![HOSTS.bastion]).toBe(ami);
  });

  it.each([
    [
      'an image fails',
      (x: World) => x.ec2.failImages.add(HOSTS.master),
      'RecoveryPointFailed',
      /^Image creation failed: ami-\d+=failed\.$/,
      'No host was patched. Fix the cause and rerun.',
    ],
    [
      'the images stay pending past 90 min',
      (x: World) => (x.ec2.imageMs = 2 * 3600_000),
      'RecoveryPointTimedOut',
      /^Images still not available after 90 min: (ami-\d+=pending, ){2}ami-\d+=pending\.$/,
      'No host was patched. Rerun to keep waiting: dpf patch --env dev',
    ],
  ])('GIVEN %s WHEN the step runs THEN it fails with %s before any host is patched, the images kept as evidence', async (_n, arrange, code, message, hint) => {
    w = world();
    arrange(w);
    const h = await stepHarness(w);
    const err = await fails(h.run(recoveryPointStep(h.op, patchOptions(), NON_WORKERS)));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.hint).toBe(hint);
    expect(Object.keys(h.evidence(PATCH_STEPS.recoveryPoint).images as object)).toEqual(NON_WORKERS);
    expect(w.ssm.sentCommands()).toEqual([]);
  });

  it('GIVEN an endpoint whose CreateImage takes no tags WHEN the step runs THEN the image is made untagged and a warning says so', async () => {
    w = world();
    const create = w.ec2.createImage.bind(w.ec2);
    w.ec2.createImage = async (id, name, tags, noReboot) => {
      if (Object.keys(tags).length) throw Object.assign(new Error('TagSpecifications not implemented'), { name: 'NotImplementedByEndpoint' });
      return create(id, name, tags, noReboot);
    };
    const h = await stepHarness(w);
    const r = await h.run(recoveryPointStep(h.op, patchOptions(), [HOSTS.bastion]));
    expect(imaged(w)).toEqual([expect.objectContaining({ instanceId: HOSTS.bastion, tags: {} })]);
    expect(r.evidence!.notes).toEqual([
      expect.stringMatching(new RegExp(`CreateImage with tags is not available on .*; ${HOSTS.bastion}'s image was made without tags`)),
    ]);
    expect(w.io.ofType('warning')).toHaveLength(1);
  });
});
