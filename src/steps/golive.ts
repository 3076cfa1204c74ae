/**
 * The golive phase: one step per go-live check (src/checks/), in report order. Step ids are
 * `golive.<check>`; each depends only on the deployment steps it inspects (the graph drops ids
 * it does not have), never on another check.
 */
import type { StepDef } from './types.js';
import { checkStep } from './kinds/check.js';
import { GOLIVE_CHECKS } from '../checks/index.js';

export function goliveSteps(): StepDef[] {
  return GOLIVE_CHECKS.map((c) => checkStep(c));
}
