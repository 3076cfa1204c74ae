/** A patch wave: run, halted before the next on failure, with the rollback named. */
import type { OpsPorts, InstanceInfo } from '../../aws/ops-ports.js';
import type { StepContext, StepDef } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { runCommand, type CommandRun } from '../../ssm/run-command.js';
import { BlockedError } from '../../errors.js';
import { opStep, unavailableOnEndpoint, waitFor, stepError, endpointName, hostLabel, type Operation } from '../operation.js';
import { windowState, describeWindow, until } from '../windows.js';
import { PATCH_STEPS, roleOf, type PatchOptions, type Wave } from './keys.js';
import { execSecondsOf, patchDocument, patchTimeouts, rebootScheduled, sendFor, pollOpts } from './document.js';
import { workerIds } from './hosts.js';

/** One wave: the document sent to its hosts (rolling for workers), halted on failure; reboots waited for. */
export function waveStep(op: Operation, o: PatchOptions, wave: Wave, previous: string[]): StepDef {
  const waveId = PATCH_STEPS.wave(wave.name);
  return opStep({
    id: waveId,
    title: `Patch wave ${wave.name}${wave.rolling ? ' (rolling)' : ''}`,
    kind: 'playbook',
    dependsOn: previous,
    estimateSeconds: 900,
    input: { wave, method: o.method },
    async run(ctx, mine) {
      const ops = await ctx.aws.ops();
      if (o.enforceWindow) refuseClosedWindow(ctx, wave, o.rerun);
      const ids = wave.rolling ? await workerIds(ops, ctx.ledger) : wave.hosts;
      if (!ids.length) return { changed: false, summary: `no ${wave.role} host in service`, evidence: { hosts: [] } };
      const doc = await patchDocument(ctx, o.method, false, wave.role);
      const labels = Object.fromEntries(ids.map((id) => [id, roleOf(o.hosts, id)]));
      const sentAt = ctx.clock.now();
      const run: CommandRun = await runCommand(
        ops.ssm,
        {
          clock: ctx.clock,
          io: ctx.io,
          signal: ctx.signal,
          stepId: ctx.stepId,
          objects: await ctx.aws.objects(),
          onSent: (commandId) => ctx.evidence({ commandId, sentAt: sentAt.toISOString(), document: doc.documentName }),
        },
        sendFor(ctx, wave, ids, doc, op.id),
        {
          attachTo: mine.commandId as string | undefined,
          labels,
          timeoutSeconds: patchTimeouts(ids.length, wave.rolling ? ctx.envCtx.env.ssm.maxConcurrency : '1', execSecondsOf(doc)).waitSeconds,
          ...pollOpts(ctx),
        },
      );
      const hosts = run.hosts.map((h) => ({
        instanceId: h.instanceId,
        role: labels[h.instanceId] ?? 'worker',
        status: h.status,
        responseCode: h.responseCode,
        reboot: rebootScheduled(h.tail),
        tail: h.tail.slice(-5),
        log: h.outputS3Url,
        note: h.note,
      }));
      await ctx.evidence({ commandId: run.commandId, document: doc.documentName, hosts });
      if (!run.ok) throw waveFailed(ctx, wave, run, labels, o.rerun);
      const rebooting = hosts.filter((h) => h.reboot === true).map((h) => h.instanceId);
      const unknownReboot = hosts.filter((h) => h.reboot === undefined).map((h) => h.instanceId);
      let rebootWait = 'none';
      if (rebooting.length) rebootWait = await waitForReboot(ctx, ops, rebooting, sentAt);
      if (unknownReboot.length)
        ctx.io.notify({
          type: 'warning',
          stepId: ctx.stepId,
          message: `no playbook output from ${unknownReboot.join(', ')} (empty SSM output): whether they reboot is unknown; the health gate decides`,
        });
      return {
        changed: true,
        summary: `${run.summary}${rebooting.length ? `; ${rebooting.length} rebooted (${rebootWait})` : ''}`,
        outputs: { CommandId: run.commandId, Hosts: ids.join(',') },
        evidence: { commandId: run.commandId, document: doc.documentName, hosts, rebooted: rebooting, rebootWait },
      };
    },
  });
}

/** Outside the maintenance window a wave does not start: say when the next one opens. */
function refuseClosedWindow(ctx: StepContext, wave: Wave, rerun: string): void {
  const w = windowState(ctx.envCtx.env.patching.maintenanceWindow, ctx.clock.now());
  if (!w.open)
    throw new BlockedError(
      `The maintenance window (${describeWindow(ctx.envCtx.env.patching.maintenanceWindow)}) is closed: wave ${wave.name} was not started.`,
      `Resume in the next window${w.nextOpensAt ? ` (${w.nextOpensAt.toISOString()}, in ${until(ctx.clock.now(), w.nextOpensAt)})` : ''}: ${rerun}`,
    );
}

/** The failed wave's error: each failed host with its output and recovery point, and how to roll back. */
function waveFailed(ctx: StepContext, wave: Wave, run: CommandRun, labels: Record<string, string>, rerun: string): Error {
  const bad = run.hosts.filter((h) => h.status !== 'Success');
  return stepError('PatchFailed', `Wave ${wave.name}: ${run.summary}; the run is halted before the next wave.`, {
    details: bad.map((h) => {
      const ami = amiOf(ctx.ledger, h.instanceId);
      return `${hostLabel({ instanceId: h.instanceId, role: labels[h.instanceId] })}: ${h.status}${h.responseCode !== undefined ? ` (exit ${h.responseCode})` : ''}${h.note ? ` — ${h.note}` : ''}${h.tail.length ? ` — ${h.tail.slice(-2).join(' / ')}` : ''}${ami ? `; recovery point ${ami}` : ''}${h.outputS3Url ? `; log ${h.outputS3Url}` : ''}`;
    }),
    hint: rollbackHint(wave, rerun),
  });
}

const amiOf = (ledger: Ledger, id: string) => ledger.outputs(PATCH_STEPS.recoveryPoint)[id];

export function rollbackHint(wave: Wave, rerun: string): string {
  return wave.rolling
    ? 'Roll a bad worker back by terminating it (aws autoscaling terminate-instance-in-auto-scaling-group --instance-id ID --no-should-decrement-desired-capacity): the group replaces it from the launch template.'
    : `Roll a host back to its recovery point: EC2 "Replace root volume" with the AMI named above (aws ec2 create-replace-root-volume-task --instance-id ID --image-id AMI), or launch a replacement from it. Resume afterwards with: ${rerun}`;
}

/** The playbook reboots with `shutdown -r +1`: wait for the hosts to leave and come back to SSM. */
async function waitForReboot(ctx: StepContext, ops: OpsPorts, ids: string[], sentAt: Date): Promise<string> {
  ctx.progress(`${ids.join(', ')} reboot into a new kernel (shutdown +1); waiting for them to come back`);
  await ctx.clock.sleep(75_000, ctx.signal);
  const back = new Date(sentAt.getTime() + 60_000);
  try {
    await waitFor(ctx, {
      stepId: ctx.stepId,
      what: `${ids.length} rebooting host(s)`,
      read: async () => {
        const [info, inst] = await Promise.all([ops.ssm.describeInstanceInformation(ids), ops.ec2.describeInstances({ 'instance-id': ids })]);
        return ids.map((id) => {
          const i = info.find((x) => x.instanceId === id);
          const e = inst.find((x: InstanceInfo) => x.instanceId === id);
          return { id, ec2: e?.state ?? '?', ssm: i?.pingStatus ?? 'absent', fresh: Boolean(i?.lastPing && i.lastPing >= back) };
        });
      },
      state: (xs) => (xs.every((x) => x.ec2 === 'running' && x.ssm === 'Online' && x.fresh) ? 'done' : 'waiting'),
      describe: (xs) => xs.map((x) => `${x.id} ${x.ec2}/${x.ssm}`).join(', '),
      deadline: new Date(ctx.clock.now().getTime() + 15 * 60000),
      minMs: 10000,
      maxMs: 30000,
      onTimeout: (xs) =>
        stepError(
          'PatchRebootTimedOut',
          `Hosts did not come back within 15 min of their reboot: ${xs
            .filter((x) => !(x.ec2 === 'running' && x.ssm === 'Online'))
            .map((x) => `${x.id} ${x.ec2}/${x.ssm}`)
            .join(', ')}.`,
          { hint: 'Look at the instance console output (aws ec2 get-console-output); roll back to the recovery point if it does not boot.' },
        ),
      onFailed: () => stepError('PatchRebootFailed', 'reboot failed'),
    });
    return 'back online';
  } catch (err) {
    if (unavailableOnEndpoint(ctx, err)) return `unknown: SSM DescribeInstanceInformation is not available on ${endpointName(ctx)}`;
    throw err;
  }
}
