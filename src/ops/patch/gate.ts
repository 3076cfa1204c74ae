/** The health gate after each wave. */
import type { StepDef } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import { opStep, optionalOutput, stepError, hostLabel } from '../operation.js';
import { checkHealth, evaluateGate, roleServices, type Host } from '../health.js';
import { PATCH_STEPS, roleOf, type PatchOptions, type Wave } from './keys.js';
import { rollbackHint } from './waves.js';
import { deployedServices, workerIds } from './hosts.js';

/** The health gate after a wave: every host's services, agent and alarms; unknown is not healthy unless accepted. */
export function gateStep(o: PatchOptions, wave: Wave): StepDef {
  const waveId = PATCH_STEPS.wave(wave.name);
  const gateId = PATCH_STEPS.gate(wave.name);
  return opStep({
    id: gateId,
    title: `Health gate after ${wave.name}`,
    kind: 'check',
    dependsOn: [waveId],
    estimateSeconds: 60,
    input: { accept: o.acceptUnknownHealth },
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const recorded = ctx.ledger.outputs(waveId).Hosts;
      const ids = recorded ? recorded.split(',') : wave.rolling ? await workerIds(ops, ctx.ledger) : wave.hosts;
      const hosts: Host[] = ids.filter(Boolean).map((id) => ({ instanceId: id, role: roleOf(o.hosts, id) }));
      if (!hosts.length) return { changed: false, summary: 'no host to check', evidence: { health: [] } };
      const deployed = deployedServices(ctx.ledger, ctx.envCtx);
      const health = await checkHealth(ctx, ops, {
        hosts,
        services: (role) => roleServices(role, deployed),
        alarmPrefix: `${ctx.envCtx.project}-${ctx.envCtx.name}-`,
        workerGroup: optionalOutput(ctx.ledger, 'compute.stack', 'WorkerAutoScalingGroupName'),
      });
      const verdict = evaluateGate(health, o.acceptUnknownHealth);
      for (const h of health) ctx.progress(`${hostLabel(h)}: ${h.components.map((c) => `${c.component} ${c.status}`).join(', ')}`);
      await ctx.evidence({ health, accepted: verdict.accepted });
      if (!verdict.passed) {
        const unknownOnly = verdict.problems.every((p) => / unknown: /.test(p.reason));
        throw stepError(
          'HealthGateFailed',
          `Health gate after wave ${wave.name} failed on ${new Set(verdict.problems.map((p) => p.instanceId)).size} host(s); the run is halted before the next wave.`,
          {
            details: verdict.problems.map((p) => {
              const ami = amiOf(ctx.ledger, p.instanceId);
              return `${hostLabel(p)}: ${p.reason}${ami ? `; roll back to ${ami}` : p.role === 'worker' ? '; roll back: terminate it, the Auto Scaling group replaces it' : ''}`;
            }),
            hint: unknownOnly
              ? `dpf could not tell whether these hosts are healthy and never counts that as healthy. Check them yourself; to accept unknown health explicitly, rerun with --accept-unknown-health (it resumes at this gate): ${o.rerun} --accept-unknown-health`
              : `${rollbackHint(wave, o.rerun)}\nOnce the host is healthy again, rerun to resume at this gate: ${o.rerun}`,
          },
        );
      }
      for (const a of verdict.accepted)
        ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `accepted (--accept-unknown-health): ${hostLabel(a)} ${a.reason}` });
      return {
        changed: false,
        summary: `${health.length} host(s) healthy${verdict.accepted.length ? ` (${verdict.accepted.length} unknown component(s) accepted)` : ''}`,
        outputs: { Passed: 'true', AcceptedUnknown: String(verdict.accepted.length) },
        evidence: { health, accepted: verdict.accepted },
      };
    },
  });
}

const amiOf = (ledger: Ledger, id: string) => ledger.outputs(PATCH_STEPS.recoveryPoint)[id];
