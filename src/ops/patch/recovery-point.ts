/** The recovery point of the hosts that are not workers: an AMI each (no reboot), before any is patched. */
import type { StepDef } from '../../steps/types.js';
import { opStep, unavailableOnEndpoint, waitFor, stepError, endpointName, hostLabel, type Operation } from '../operation.js';
import { PATCH_STEPS, roleOf, type PatchOptions } from './keys.js';

/** AMIs of the non-worker hosts, taken without reboot; a resumed run reuses the images it requested. */
export function recoveryPointStep(op: Operation, o: PatchOptions, nonWorkers: string[]): StepDef {
  return opStep({
    id: PATCH_STEPS.recoveryPoint,
    title: `Recovery point: AMI of ${nonWorkers.length} host(s) (no reboot)`,
    estimateSeconds: 900,
    input: nonWorkers,
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      const images: Record<string, string> = { ...((mine.images as Record<string, string> | undefined) ?? {}) };
      const notes: string[] = [];
      for (const id of nonWorkers) {
        if (images[id]) continue;
        const role = roleOf(o.hosts, id);
        const name = `${ctx.envCtx.project}-${ctx.envCtx.name}-${role}-${id}-prepatch-${op.stamp}`;
        const tags = { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, 'dpf:operation': op.id, 'dpf:role': role, 'dpf:source-instance': id };
        try {
          images[id] = await ops.ec2.createImage(id, name, tags, true);
        } catch (err) {
          if (!unavailableOnEndpoint(ctx, err)) throw err;
          // An emulator without tag specifications on CreateImage: the image matters more than its tags.
          notes.push(`CreateImage with tags is not available on ${endpointName(ctx)}; ${id}'s image was made without tags`);
          images[id] = await ops.ec2.createImage(id, name, {}, true);
        }
        ctx.progress(`${hostLabel({ instanceId: id, role })}: image ${images[id]} requested`);
        await ctx.evidence({ images });
      }
      const ids = Object.values(images);
      const final = await waitFor(ctx, {
        stepId: ctx.stepId,
        what: `${ids.length} image(s)`,
        read: () => ops.ec2.describeImages(ids),
        state: (imgs) =>
          imgs.some((i) => i.state === 'failed' || i.state === 'error')
            ? 'failed'
            : imgs.length === ids.length && imgs.every((i) => i.state === 'available')
              ? 'done'
              : 'waiting',
        describe: (imgs) => imgs.map((i) => `${i.imageId}=${i.state}`).join(', ') || 'not visible yet',
        deadline: new Date(ctx.clock.now().getTime() + 90 * 60000),
        minMs: 10000,
        maxMs: 60000,
        onTimeout: (imgs) =>
          stepError('RecoveryPointTimedOut', `Images still not available after 90 min: ${imgs.map((i) => `${i.imageId}=${i.state}`).join(', ')}.`, {
            hint: `No host was patched. Rerun to keep waiting: ${o.rerun}`,
          }),
        onFailed: (imgs) =>
          stepError(
            'RecoveryPointFailed',
            `Image creation failed: ${imgs
              .filter((i) => i.state !== 'available')
              .map((i) => `${i.imageId}=${i.state}`)
              .join(', ')}.`,
            { hint: 'No host was patched. Fix the cause and rerun.' },
          ),
      });
      for (const n of notes) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: n });
      return {
        changed: true,
        summary: Object.entries(images)
          .map(([id, ami]) => `${hostLabel({ instanceId: id, role: roleOf(o.hosts, id) })} → ${ami}`)
          .join(', '),
        outputs: images,
        evidence: { images, states: final.map((i) => ({ imageId: i.imageId, state: i.state })), notes },
      };
    },
  });
}
