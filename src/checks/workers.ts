/**
 * Which workers are configured: a worker the Auto Scaling group launched after the deploy
 * configures itself through the State Manager association (autoconfig stack); the ones that
 * were there during the deploy were configured by the identity.configure-worker step. A worker
 * that is InService but not configured (no EFS, no directory, no Spark, no agent) would dilute
 * the CPU average that drives scaling, so capacity counts only configured workers.
 */
import type { SsmPort } from '../aws/ops-ports.js';
import type { LedgerData } from '../state/ledger.js';

/** The association the autoconfig stack creates (its AssociationName). */
export function workerAssociationName(project: string, env: string): string {
  return `${project}-${env}-worker-launch`;
}

export interface WorkerConfiguration {
  instanceId: string;
  configured: boolean;
  /** How it got configured, or why it is not. */
  detail: string;
}

/**
 * The association's latest run on the worker decides when there is one (a failed re-run means
 * the node is not in its configured state); otherwise the deploy's configure step, when its
 * evidence shows the worker succeeded. Throws what the SSM port throws (NotImplementedByEndpoint).
 */
export async function workerConfigurations(
  ssm: Pick<SsmPort, 'describeInstanceAssociationsStatus'>,
  data: LedgerData,
  instanceIds: string[],
  association: string,
): Promise<WorkerConfiguration[]> {
  const step = data.steps['identity.configure-worker'];
  const hosts = (step?.status === 'done' ? step.evidence.hosts : undefined) as Record<string, { status?: string }> | undefined;
  const out: WorkerConfiguration[] = [];
  for (const id of instanceIds) {
    const runs = (await ssm.describeInstanceAssociationsStatus(id)).filter((a) => a.associationName === association);
    const latest = runs.sort((a, b) => (b.executionDate?.getTime() ?? 0) - (a.executionDate?.getTime() ?? 0))[0];
    if (latest?.status === 'Success')
      out.push({
        instanceId: id,
        configured: true,
        detail: `association ${association} succeeded${latest.executionDate ? ` at ${latest.executionDate.toISOString()}` : ''}`,
      });
    else if (latest)
      out.push({
        instanceId: id,
        configured: false,
        detail: `association ${association} is ${latest.status}${latest.detailedStatus && latest.detailedStatus !== latest.status ? ` (${latest.detailedStatus})` : ''} on it`,
      });
    else if (hosts?.[id]?.status === 'Success') out.push({ instanceId: id, configured: true, detail: 'configured by dpf deploy (identity.configure-worker)' });
    else
      out.push({
        instanceId: id,
        configured: false,
        detail: `not configured: no run of ${association} on it yet, and not among the workers dpf deploy configured`,
      });
  }
  return out;
}
