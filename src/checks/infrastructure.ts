/** Infrastructure checks: stacks complete and in sync, nodes managed and online, workers at size. */
import { workerAssociationName, workerConfigurations, type WorkerConfiguration } from './workers.js';
import { SUCCESS_STATES, type CloudFormationPort } from '../aws/cloudformation.js';
import type { AutoScalingGroupInfo, InstanceInfo, ManagedInstance } from '../aws/ops-ports.js';
import { AbortError } from '../errors.js';
import { pollUntil } from '../wait.js';
import type { LedgerData } from '../state/ledger.js';
import type { CheckContext, CheckOutcome, CheckSpec } from './types.js';
import { awsErrorText, combine, couldNotAsk, environmentInstances, label, roleOf, unknown, type Part } from './common.js';

/** Every stack step of the deploy graph: the check inspects each stack that is done when it runs. */
export const STACK_STEPS = [
  'bootstrap.state',
  'network.stack',
  'compute.stack',
  'storage.stack',
  'storage.dr-vault',
  'identity.stack',
  'identity.dns',
  'monitoring.stack',
  'monitoring.worker-bootstrap',
];

/** Longest dpf waits for one stack's drift detection. */
export const DRIFT_TIMEOUT_MS = 5 * 60_000;

export interface StackDriftEvidence {
  step: string;
  status: string;
  drift: string;
  detectionId?: string;
  reason?: string;
}

/** Every stack a done deployment step made (evidence.stackName), in ledger order. */
export function deployedStacks(ledger: LedgerData): Array<{ step: string; name: string }> {
  // Stacks in the environment's region (the DR vault in recovery.drRegion is not checked here).
  return Object.values(ledger.steps)
    .filter(
      (r) =>
        r.status === 'done' && typeof r.evidence.stackName === 'string' && r.evidence.region === undefined && r.phase !== 'golive' && r.phase !== 'operations',
    )
    .map((r) => ({ step: r.id, name: r.evidence.stackName as string }));
}

/** DetectStackDrift, then DescribeStackDriftDetectionStatus until it ends (adaptive polling). */
export async function detectDrift(
  cfn: CloudFormationPort,
  stackName: string,
  o: { clock: CheckContext['clock']; signal: AbortSignal; pollMs: number; pollMaxMs?: number; timeoutMs?: number },
): Promise<{ drift: string; detectionId?: string; reason?: string }> {
  let id: string;
  try {
    id = await cfn.detectStackDrift(stackName);
  } catch (err) {
    if (err instanceof AbortError) throw err;
    return { drift: 'UNKNOWN', reason: `drift detection is not available: ${awsErrorText(err)}` };
  }
  const timeoutMs = o.timeoutMs ?? DRIFT_TIMEOUT_MS;
  type Read = { status: string; driftStatus?: string; reason?: string } | { error: unknown };
  const r = await pollUntil<Read>(
    { clock: o.clock, signal: o.signal },
    {
      what: `drift detection of ${stackName}`,
      read: () =>
        cfn.describeStackDriftDetectionStatus(id).catch((err: unknown) => {
          if (err instanceof AbortError) throw err;
          return { error: err };
        }),
      state: (s) => ('error' in s ? 'failed' : s.status === 'DETECTION_COMPLETE' || s.status === 'DETECTION_FAILED' ? 'done' : 'waiting'),
      deadline: o.clock.now().getTime() + timeoutMs,
      minMs: o.pollMs,
      maxMs: Math.max(o.pollMs, o.pollMaxMs ?? 10_000),
    },
  );
  const s = r.last;
  if ('error' in s) return { drift: 'UNKNOWN', detectionId: id, reason: `drift detection status could not be read: ${awsErrorText(s.error)}` };
  if (s.status === 'DETECTION_COMPLETE') return { drift: s.driftStatus ?? 'UNKNOWN', detectionId: id };
  if (s.status === 'DETECTION_FAILED')
    // Detection fails when some resources cannot be checked; what it found still counts.
    return { drift: s.driftStatus === 'DRIFTED' ? 'DRIFTED' : 'UNKNOWN', detectionId: id, reason: `drift detection failed: ${s.reason ?? 'no reason given'}` };
  return { drift: 'UNKNOWN', detectionId: id, reason: `drift detection still running after ${Math.round(timeoutMs / 1000)} s` };
}

/** One stack's part of the verdict. */
export function stackPart(name: string, e: StackDriftEvidence): Part {
  if (e.status === 'NOT_FOUND') return { subject: name, status: 'fail', detail: 'the stack no longer exists' };
  if (!SUCCESS_STATES.has(e.status)) return { subject: name, status: 'fail', detail: `stack is ${e.status}, not in a complete state` };
  if (e.drift === 'DRIFTED') return { subject: name, status: 'fail', detail: `${e.status} but DRIFTED: resources were changed outside CloudFormation` };
  if (e.drift === 'IN_SYNC') return { subject: name, status: 'pass', detail: `${e.status}, IN_SYNC` };
  return { subject: name, status: 'unknown', detail: `${e.status}; drift unknown (${e.reason ?? e.drift})` };
}

export const stacksCheck: CheckSpec = {
  id: 'golive.stacks',
  title: 'Stacks complete and without drift',
  category: 'infrastructure',
  checklist: 'iac-validated',
  after: Object.fromEntries(STACK_STEPS.map((s) => [s, { inspects: 'its stack: status and drift' }])),
  criterion: 'every stack dpf deployed is in a complete state and drift detection finds it IN_SYNC',
  estimateSeconds: 60,
  async run(ctx) {
    const stacks = deployedStacks(ctx.ledger);
    const cfn = await ctx.cfn();
    const evidence: Record<string, StackDriftEvidence> = {};
    await Promise.all(
      stacks.map(async ({ step, name }) => {
        const d = await cfn.describeStack(name);
        const status = d?.status ?? 'NOT_FOUND';
        if (!d || !SUCCESS_STATES.has(status)) {
          evidence[name] = { step, status, drift: 'NOT_CHECKED' };
          return;
        }
        ctx.progress(`detecting drift of ${name}`);
        evidence[name] = { step, status, ...(await detectDrift(cfn, name, ctx)) };
      }),
    );
    const parts = stacks.map(({ name }) => stackPart(name, evidence[name]!));
    return combine(
      parts,
      { passed: `${stacks.length} stack(s) complete and IN_SYNC`, nothing: 'no stack has been deployed yet' },
      { stacks: evidence },
      'Look at the drifted resources (aws cloudformation describe-stack-resource-drifts) and either revert the manual change or redeploy the phase.',
    );
  },
};

/** SSM's view of each node: pass when running and Online. */
export function nodeParts(instances: InstanceInfo[], managed: ManagedInstance[]): Part[] {
  const byId = new Map(managed.map((m) => [m.instanceId, m]));
  return instances.map((i) => {
    const m = byId.get(i.instanceId);
    if (i.state !== 'running') return { subject: label(i), status: 'fail', detail: `instance is ${i.state}` };
    if (!m) return { subject: label(i), status: 'fail', detail: 'not registered with SSM (is the agent running, and does its instance profile allow SSM?)' };
    if (m.pingStatus !== 'Online') return { subject: label(i), status: 'fail', detail: `SSM agent ${m.pingStatus}` };
    return { subject: label(i), status: 'pass', detail: `Online (agent ${m.agentVersion ?? '?'})` };
  });
}

/** Instances the stacks created (their outputs in the ledger) that are no longer among the environment's nodes. */
export function missingNodeParts(ctx: Pick<CheckContext, 'outputs' | 'envName'>, instances: InstanceInfo[]): Part[] {
  const c = ctx.outputs('compute.stack');
  const i = ctx.outputs('identity.stack');
  const known = new Set(instances.map((x) => x.instanceId));
  const expected: Array<[string | undefined, string]> = [
    [c.BastionInstanceId, 'bastion'],
    [c.MasterInstanceId, 'master'],
    [c.DevInstanceId, 'dev'],
    [i.IpaServerInstanceId, 'identity'],
    [i.IpaReplicaInstanceId, 'identity'],
  ];
  return expected
    .filter((e): e is [string, string] => Boolean(e[0]) && !known.has(e[0]!))
    .map(([id, role]) => ({
      subject: `${id} (${role})`,
      status: 'fail',
      detail: `created by the stacks but not among the running or stopped nodes tagged dpf:env=${ctx.envName} (terminated, or its tags changed)`,
    }));
}

export const nodesOnlineCheck: CheckSpec = {
  id: 'golive.nodes-online',
  title: 'Every node managed by SSM and online',
  category: 'infrastructure',
  checklist: 'aws-components',
  after: {
    'compute.stack': { inspects: 'the nodes it launches (SSM agent online)' },
    'identity.stack': { inspects: 'the IPA servers it launches (SSM agent online)' },
  },
  criterion: 'every running instance tagged dpf:env is registered with Systems Manager and its agent is Online',
  estimateSeconds: 5,
  async run(ctx) {
    const instances = await environmentInstances(ctx);
    const nodes = instances.map((i) => ({ instanceId: i.instanceId, role: roleOf(i), state: i.state }));
    if (!instances.length)
      return ctx.ledger.steps['compute.stack']?.status === 'done'
        ? { status: 'fail', summary: `no instance is tagged dpf:env=${ctx.envName}, although the compute stack is deployed`, evidence: { nodes } }
        : unknown(`no instance is tagged dpf:env=${ctx.envName} yet`, { nodes });
    let managed: ManagedInstance[];
    try {
      managed = await (await ctx.ops()).ssm.describeInstanceInformation(instances.map((i) => i.instanceId));
    } catch (err) {
      return couldNotAsk('SSM DescribeInstanceInformation', err, { nodes });
    }
    const byId = new Map(managed.map((m) => [m.instanceId, m]));
    const evidenceNodes = nodes.map((n) => ({
      ...n,
      pingStatus: byId.get(n.instanceId)?.pingStatus ?? 'NotRegistered',
      agentVersion: byId.get(n.instanceId)?.agentVersion,
      lastPing: byId.get(n.instanceId)?.lastPing?.toISOString(),
    }));
    const parts = [...nodeParts(instances, managed), ...missingNodeParts(ctx, instances)];
    return combine(
      parts,
      { passed: `${instances.length} node(s) Online in SSM`, nothing: 'no node to inspect' },
      { nodes: evidenceNodes, online: parts.filter((p) => p.status === 'pass').length, total: instances.length },
      'Start stopped nodes; for nodes not registered, check the SSM agent (systemctl status amazon-ssm-agent) and the instance profile (AmazonSSMManagedInstanceCore).',
    );
  },
};

/** The worker group at its desired size with configured workers, and at the size the config asks for. */
export function workerCapacity(g: AutoScalingGroupInfo, config: { min: number; max: number }, configured?: WorkerConfiguration[]): CheckOutcome {
  const healthy = g.instances.filter((i) => i.lifecycleState === 'InService' && i.healthStatus === 'Healthy');
  const ready = configured ? healthy.filter((i) => configured.find((c) => c.instanceId === i.instanceId)?.configured) : healthy;
  const evidence = {
    group: g.name,
    min: g.min,
    max: g.max,
    desired: g.desired,
    inService: healthy.length,
    configured: configured ? ready.length : undefined,
    workers: configured,
    instances: g.instances,
  };
  if (healthy.length < g.desired)
    return {
      status: 'fail',
      summary: `${g.name}: ${healthy.length} healthy InService instance(s) of ${g.desired} desired`,
      evidence,
      hint: "Look at the group's scaling activities (aws autoscaling describe-scaling-activities) for the launch failures.",
    };
  if (ready.length < g.desired) {
    const not = (configured ?? []).filter((c) => !c.configured && healthy.some((h) => h.instanceId === c.instanceId));
    return {
      status: 'fail',
      summary: `${g.name}: ${ready.length} of ${g.desired} desired worker(s) configured; ${not.map((c) => `${c.instanceId}: ${c.detail}`).join('; ')}`,
      evidence,
      hint: 'New workers configure themselves through the State Manager association of the autoconfig stack: aws ssm describe-instance-associations-status --instance-id <id>, and its output under ssm-output/<env>/association/ in the state bucket.',
    };
  }
  if (g.min !== config.min || g.max !== config.max)
    return {
      status: 'warn',
      summary: `${g.name} at desired size ${g.desired}, but its min/max ${g.min}/${g.max} differ from the config's ${config.min}/${config.max}`,
      evidence,
      hint: 'Someone changed the group outside dpf; redeploy the compute phase to restore the configured limits.',
    };
  return {
    status: 'pass',
    summary: `${g.name}: ${ready.length} of ${g.desired} desired worker(s) healthy, InService${configured ? ' and configured' : ''} (min ${g.min}, max ${g.max})`,
    evidence,
  };
}

export const workersCheck: CheckSpec = {
  id: 'golive.workers-capacity',
  title: 'Worker group at its desired size, every worker configured',
  category: 'infrastructure',
  checklist: 'aws-components',
  after: {
    'compute.stack': { inspects: 'the worker group at its desired size' },
    'identity.configure-worker': { inspects: 'the workers it configured' },
    'monitoring.worker-bootstrap': { inspects: 'the association that configures new workers' },
  },
  criterion:
    'the worker Auto Scaling group has as many healthy InService instances as it desires, each configured (by the deploy or the worker association), with the configured min/max',
  estimateSeconds: 5,
  async run(ctx) {
    const name = ctx.outputs('compute.stack').WorkerAutoScalingGroupName;
    if (!name) return unknown('the compute stack has no WorkerAutoScalingGroupName output in the ledger');
    const ops = await ctx.ops();
    const g = await ops.autoscaling.describeGroup(name);
    if (!g) return { status: 'fail', summary: `Auto Scaling group ${name} does not exist`, evidence: { group: name } };
    const inService = g.instances.filter((i) => i.lifecycleState === 'InService').map((i) => i.instanceId);
    let configured: WorkerConfiguration[];
    try {
      configured = await workerConfigurations(ops.ssm, ctx.ledger, inService, workerAssociationName(ctx.project, ctx.envName));
    } catch (err) {
      const capacity = workerCapacity(g, ctx.env.compute.workers);
      if (capacity.status === 'fail') return capacity;
      return couldNotAsk('SSM DescribeInstanceAssociationsStatus (which workers are configured)', err, capacity.evidence);
    }
    return workerCapacity(g, ctx.env.compute.workers, configured);
  },
};
