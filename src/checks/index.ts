/**
 * The go-live readiness checks, in report order, and the golive phase's steps built from them.
 * Step ids are `golive.<check>`; each depends only on the deployment steps it inspects (the
 * lead's graph drops ids it does not have), never on another check.
 */
import type { StepDef } from '../steps/types.js';
import { checkStep } from '../steps/kinds/check.js';
import type { CheckSpec } from './types.js';
import { nodesOnlineCheck, stacksCheck, workersCheck } from './infrastructure.js';
import { databaseCheck, dataLakeAccessCheck, directoryCheck, efsMountCheck } from './hosts.js';
import { agentMetricsCheck, alarmsCheck, subscriptionCheck } from './monitoring.js';
import { backupCheck } from './backup.js';
import { reachabilityCheck } from './reachability.js';
import { dataEncryptionCheck, ebsEncryptionCheck, imdsCheck, publicAccessCheck, rdsPrivateCheck, sshExposureCheck } from './security.js';

export const GOLIVE_CHECKS: readonly CheckSpec[] = [
  stacksCheck,
  nodesOnlineCheck,
  workersCheck,
  databaseCheck,
  backupCheck,
  efsMountCheck,
  directoryCheck,
  sshExposureCheck,
  reachabilityCheck,
  ebsEncryptionCheck,
  dataEncryptionCheck,
  publicAccessCheck,
  imdsCheck,
  rdsPrivateCheck,
  dataLakeAccessCheck,
  alarmsCheck,
  subscriptionCheck,
  agentMetricsCheck,
];

/** The golive phase: one step per check. */
export function goliveSteps(): StepDef[] {
  return GOLIVE_CHECKS.map((c) => checkStep(c));
}

export function checkSpec(id: string): CheckSpec | undefined {
  return GOLIVE_CHECKS.find((c) => c.id === id);
}

export type { CheckSpec, CheckVerdict, CheckStatus, CheckCategory, CheckOutcome, CheckContext } from './types.js';
export { READINESS_CHECKLIST } from './checklist.js';
