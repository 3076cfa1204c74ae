/** Ledgers and inputs for the report tests: a deployment at a chosen point of the six-week plan. */
import { emptyLedger, type LedgerData, type StepRecord } from '../../src/state/ledger.js';
import { environmentSchema, type EnvironmentInput } from '../../src/config/schema.js';
import { goliveSteps } from '../../src/steps/golive.js';
import type { PhaseId, StepDef } from '../../src/steps/types.js';
import type { ReportInput } from '../../src/reports/model.js';
import { architectureFromLedger } from '../../src/reports/architecture.js';
import type { CheckVerdict } from '../../src/checks/types.js';

export const START = '2025-07-01';
export const day = (n: number, hour = 10) => new Date(Date.parse(`${START}T00:00:00.000Z`) + n * 86_400_000 + hour * 3_600_000);

function def(id: string, dependsOn: string[] = []): StepDef {
  return {
    id,
    phase: id.split('.')[0] as PhaseId,
    title: `title of ${id}`,
    kind: 'stack',
    dependsOn,
    prepare: async () => ({ inputHash: 'h', estimateSeconds: 1 }),
    run: async () => ({ changed: false }),
  };
}

/** One step per deployment phase (identity has two), then the golive checks. */
export const STEPS: StepDef[] = [
  def('bootstrap.state'),
  def('network.stack', ['bootstrap.state']),
  def('compute.stack', ['network.stack']),
  def('storage.stack', ['network.stack']),
  def('identity.stack', ['compute.stack']),
  def('identity.enrol', ['identity.stack']),
  def('monitoring.stack', ['compute.stack', 'storage.stack']),
  ...goliveSteps().map((s) => ({
    ...s,
    dependsOn: s.dependsOn.filter((d) =>
      ['bootstrap.state', 'network.stack', 'compute.stack', 'storage.stack', 'identity.stack', 'identity.enrol', 'monitoring.stack'].includes(d),
    ),
  })),
];

export const OUTPUTS: Record<string, Record<string, string>> = {
  'bootstrap.state': { StateBucketName: 'dp-dev-state' },
  'network.stack': {
    VpcId: 'vpc-0aaa',
    PublicSubnet1Id: 'subnet-pub1',
    PublicSubnet2Id: 'subnet-pub2',
    PrivateSubnet1Id: 'subnet-priv1',
    DatabaseSubnet1Id: 'subnet-db1',
    NatGateway1Id: 'nat-0aaa',
  },
  'compute.stack': { BastionInstanceId: 'i-0bastion', MasterInstanceId: 'i-0master', DevInstanceId: 'i-0dev', WorkerAutoScalingGroupName: 'dp-dev-workers' },
  'storage.stack': { DataLakeBucketName: 'dp-dev-datalake', EfsFileSystemId: 'fs-0123abcd', DbInstanceIdentifier: 'dp-dev-metadata' },
  'identity.stack': {
    IpaServerInstanceId: 'i-0ipa1',
    IpaReplicaInstanceId: 'i-0ipa2',
    IpaServerFqdn: 'ipa1.dataplatform.internal',
    IpaReplicaFqdn: 'ipa2.dataplatform.internal',
  },
  'monitoring.stack': { AlarmTopicArn: 'arn:aws:sns:us-west-2:111122223333:dp-dev-alerts' },
};

/** `done[id] = [startDay, endDay]` (hours 10:00 and 11:00); `failed` ids failed on their start day. */
export function ledgerAt(
  o: {
    done?: Record<string, [number, number]>;
    failed?: Record<string, number>;
    running?: Record<string, number>;
    verdicts?: Record<string, Partial<CheckVerdict> & { status: CheckVerdict['status'] }>;
  } = {},
): LedgerData {
  const d = emptyLedger('dataplatform', 'dev', day(0));
  const put = (id: string, r: Partial<StepRecord>) =>
    (d.steps[id] = { id, phase: id.split('.')[0]!, outputs: {}, attempts: 1, evidence: {}, status: 'pending', ...r });
  for (const [id, [a, b]] of Object.entries(o.done ?? {}))
    put(id, {
      status: 'done',
      startedAt: day(a, 10).toISOString(),
      finishedAt: day(b, 11).toISOString(),
      outputs: OUTPUTS[id] ?? {},
      evidence: id in OUTPUTS ? { stackName: `dp-dev-${id.split('.')[0]}` } : {},
    });
  for (const [id, a] of Object.entries(o.failed ?? {}))
    put(id, { status: 'failed', startedAt: day(a, 10).toISOString(), finishedAt: day(a, 11).toISOString(), error: { message: `${id} broke`, hint: 'fix it' } });
  for (const [id, a] of Object.entries(o.running ?? {})) put(id, { status: 'running', startedAt: day(a, 10).toISOString() });
  for (const [id, v] of Object.entries(o.verdicts ?? {})) {
    const checkedAt = day(35, 12).toISOString();
    put(id, {
      status: v.status === 'fail' ? 'failed' : 'done',
      startedAt: checkedAt,
      finishedAt: checkedAt,
      outputs: { verdict: v.status },
      evidence: { check: { summary: `${id} says ${v.status}`, evidence: {}, checkedAt, category: 'security', ...v } },
      ...(v.status === 'fail' ? { error: { message: `${id}: failed` } } : {}),
    });
  }
  const first = Object.values(d.steps)
    .map((s) => s.startedAt)
    .filter(Boolean)
    .sort()[0];
  if (first) d.runs.push({ runId: 'r1', command: 'deploy', operator: 'alice', host: 'h', startedAt: first, status: 'done', steps: [] });
  return d;
}

export function input(ledger: LedgerData, now: Date, env: EnvironmentInput = { deploy: { startDate: START } }): ReportInput {
  return {
    project: 'dataplatform',
    env: 'dev',
    region: 'us-west-2',
    accountId: '111122223333',
    config: environmentSchema.parse(env),
    ledger,
    steps: STEPS,
    now,
    architecture: architectureFromLedger(ledger),
  };
}
