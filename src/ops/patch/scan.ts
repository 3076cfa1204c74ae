/** dpf patch --dry-run: each host scanned in check mode, its pending updates listed. */
import type { StepDef } from '../../steps/types.js';
import { runCommand, type CommandRun } from '../../ssm/run-command.js';
import { errorMessage } from '../../errors.js';
import { opStep, stepError, hostLabel, type Operation } from '../operation.js';
import { PATCH_STEPS, roleOf, type PatchOptions, type ScanRow } from './keys.js';
import { execSecondsOf, patchDocument, patchTimeouts, pendingUpdates, sendFor, pollOpts } from './document.js';
import { workerIds } from './hosts.js';

export function buildScanSteps(op: Operation, o: Omit<PatchOptions, 'acceptUnknownHealth' | 'enforceWindow'>): StepDef[] {
  return [
    opStep({
      id: PATCH_STEPS.scan,
      title: `Scan for pending updates (${o.method === 'ansible' ? 'patch.yml in Check mode' : 'AWS-RunPatchBaseline Operation=Scan'})`,
      kind: 'playbook',
      estimateSeconds: 300,
      input: { waves: o.waves.map((w) => w.name), method: o.method },
      async run(ctx) {
        const ops = await ctx.aws.ops();
        const rows: ScanRow[] = [];
        for (const wave of o.waves) {
          const ids = wave.rolling ? await workerIds(ops, ctx.ledger) : wave.hosts;
          if (!ids.length) continue;
          const doc = await patchDocument(ctx, o.method, true, wave.role);
          const labels = Object.fromEntries(ids.map((id) => [id, roleOf(o.hosts, id)]));
          let run: CommandRun;
          try {
            run = await runCommand(
              ops.ssm,
              { clock: ctx.clock, io: ctx.io, signal: ctx.signal, stepId: ctx.stepId, objects: await ctx.aws.objects() },
              sendFor(ctx, wave, ids, doc, op.id),
              {
                labels,
                timeoutSeconds: patchTimeouts(ids.length, wave.rolling ? ctx.envCtx.env.ssm.maxConcurrency : '1', execSecondsOf(doc)).waitSeconds,
                ...pollOpts(ctx),
              },
            );
          } catch (err) {
            throw stepError('PatchScanFailed', `Scan of wave ${wave.name} could not be sent: ${errorMessage(err)}`);
          }
          for (const h of run.hosts) {
            const pending = pendingUpdates(h.tail);
            rows.push({
              wave: wave.name,
              instanceId: h.instanceId,
              role: labels[h.instanceId] ?? 'worker',
              status: h.status,
              pending: pending ?? null,
              tail: h.tail.slice(-3),
            });
            ctx.progress(
              `${wave.name} ${hostLabel({ instanceId: h.instanceId, role: labels[h.instanceId] })}: ${h.status}, pending updates: ${pending ?? 'unknown (no output)'}`,
            );
          }
        }
        const failed = rows.filter((r) => r.status !== 'Success');
        if (failed.length)
          throw stepError('PatchScanFailed', `The scan failed on ${failed.length} host(s): ${failed.map((r) => `${r.instanceId} ${r.status}`).join(', ')}.`);
        const known = rows.filter((r) => r.pending !== null);
        return {
          changed: false,
          summary: `${rows.length} host(s) scanned; ${known.length ? `${known.reduce((a, r) => a + (r.pending ?? 0), 0)} pending update(s) on ${known.length} host(s) that reported` : 'no host reported a count'}`,
          outputs: { Hosts: String(rows.length) },
          evidence: { rows },
        };
      },
    }),
  ];
}
