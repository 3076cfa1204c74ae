/** The whole step graph status and the reports draw (its own module: `dpf status --offline` reads it from the config cache instead). */
import type { EnvironmentConfig } from '../config/schema.js';
import { buildSteps } from '../steps/phases.js';
import type { StepDef } from '../steps/types.js';
import { goliveSteps } from '../steps/golive.js';

/**
 * The step graph: the phases' steps plus the golive checks (added here until the phase
 * definitions carry them; an id already present is not added twice). Dependencies on steps
 * the graph does not have are dropped, as the phase wiring does.
 */
export function stepGraph(env?: EnvironmentConfig): StepDef[] {
  const base = buildSteps(env);
  const ids = new Set(base.map((s) => s.id));
  const all = [...base, ...goliveSteps().filter((s) => !ids.has(s.id))];
  const known = new Set(all.map((s) => s.id));
  return all.map((s) => (s.dependsOn.every((d) => known.has(d)) ? s : { ...s, dependsOn: s.dependsOn.filter((d) => known.has(d)) }));
}
