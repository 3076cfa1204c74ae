/**
 * The go-live readiness checks, in report order. The golive phase's steps are built from them by
 * src/steps/golive.ts (checks sit below the engine: they import nothing of it).
 */
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

export function checkSpec(id: string): CheckSpec | undefined {
  return GOLIVE_CHECKS.find((c) => c.id === id);
}

export type { CheckSpec, CheckVerdict, CheckStatus, CheckCategory, CheckOutcome, CheckContext } from './types.js';
export { READINESS_CHECKLIST } from './checklist.js';
