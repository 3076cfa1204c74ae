/**
 * The phases and their steps, as data. Each phase maps to the seed's six-week plan so that
 * status and the reports can show the plan against what actually happened.
 *
 * Dependencies are not phase order: each step waits only for what it consumes, and says why
 * (`after`: step → reason). A stack waits for the steps whose outputs its parameters read; a
 * playbook for the stacks that create its hosts, the outputs its roles' variables and its
 * targets read, what its roles need before they run (src/steps/contracts.ts), and the other
 * playbooks on the same hosts (never two at once). test/steps/graph.test.ts checks every reason
 * against what the step really reads and against the prerequisite model; docs/architecture.md
 * ("The step graph") lists the edges and the critical path.
 */
import type { After, PhaseId, StepDef } from './types.js';
import { mergeAfter } from './graph.js';
import { hostProviders, hostsOf, type IdentityProvider } from './contracts.js';
import { PHASES } from './types.js';
import { goliveSteps } from './golive.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { bootstrapStateStep, computeStep, drVaultSteps, networkStep, storageStep } from './phases/infrastructure.js';
import { identitySteps } from './phases/identity.js';
import { monitoringSteps } from './phases/monitoring.js';

// In their own module so `dpf status --offline` can name the phases without loading the steps' code.
export { PHASE_INFO, type PhaseInfo } from './phase-info.js';
export { RUN_NEEDS, sameHosts } from './phases/shared.js';
export { ipaServerFqdn, ipaReplicaFqdn, STEP_VARIABLE_SOURCES, DATA_VOLUME_DEVICE, ipaPolicyVariable } from './phases/node-config.js';

export function buildSteps(env?: EnvironmentConfig): StepDef[] {
  const provider: IdentityProvider = env?.identity.provider ?? 'freeipa';
  const steps: StepDef[] = [bootstrapStateStep(), networkStep(), computeStep(), ...drVaultSteps(env), storageStep()];
  steps.push(...identitySteps(provider), ...monitoringSteps(provider), ...goliveSteps());
  return withHostEdges(steps, provider);
}

/**
 * The graph's last touches: a step that runs on hosts waits for the stacks that create them;
 * edges to steps this graph does not have (the DR vault, the IPA steps with the iam provider,
 * a check's) are dropped; dependsOn is the list of the remaining edges.
 */
function withHostEdges(steps: StepDef[], provider: IdentityProvider): StepDef[] {
  const ids = new Set(steps.map((s) => s.id));
  const creators = hostProviders(steps, provider);
  const present = new Set(hostsOf(provider));
  for (const s of steps) {
    const hosts: After[] = (s.contract?.runsOn ?? [])
      .filter((h) => present.has(h))
      .flatMap((h) => (creators.get(h) ?? []).map((c) => ({ [c]: { hosts: [h] } })));
    const after = mergeAfter(s.after ?? {}, ...hosts);
    s.after = Object.fromEntries(Object.entries(after).filter(([d]) => ids.has(d)));
    s.dependsOn = Object.keys(s.after);
  }
  return steps;
}

export function phaseOf(stepId: string): PhaseId {
  const p = stepId.split('.')[0] as PhaseId;
  if (!(PHASES as readonly string[]).includes(p) && p !== 'operations') throw new Error(`step id ${stepId} does not start with a phase`);
  return p;
}
