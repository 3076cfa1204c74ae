/**
 * Node health as the patch gate (and restore/drill validation) sees it, host by host:
 *   ssm       SSM agent Online (DescribeInstanceInformation)
 *   alarms    every CloudWatch alarm with the host's InstanceId (workers: the group's
 *             AutoScalingGroupName) dimension is OK
 *   services  the role's systemd units are active (AWS-RunShellScript `systemctl is-active`)
 * Each component is ok, failed or unknown. "unknown" (the endpoint lacks the API, SSM gave no
 * output, no alarm watches the host) is never read as healthy: the gate fails on it unless
 * the operator accepts it explicitly (`--accept-unknown-health`), and says so either way.
 */
import type { AlarmInfo, OpsPorts } from '../aws/ops-ports.js';
import type { StepContext } from '../steps/types.js';
import { runCommand, type CommandRun } from '../ssm/run-command.js';
import { unavailableOnEndpoint, endpointName } from './operation.js';
import { errorMessage } from '../errors.js';
import type { Check, CheckStatus } from './report.js';

export interface Host {
  instanceId: string;
  role: string;
}

export interface ComponentResult {
  component: 'ssm' | 'alarms' | 'services';
  status: CheckStatus;
  detail: string;
}

export interface HostHealth {
  instanceId: string;
  role: string;
  status: CheckStatus;
  components: ComponentResult[];
}

/** systemd units each role must have active, given what has been deployed. */
export function roleServices(role: string, deployed: { identity?: 'freeipa' | 'iam'; monitoring?: boolean }): string[] {
  const base = ['amazon-ssm-agent', 'sshd', 'chronyd'];
  if (role === 'identity') return [...base, ...(deployed.identity === 'freeipa' ? ['ipa'] : [])];
  const out = [...base];
  if (deployed.identity === 'freeipa') out.push('sssd');
  if (deployed.monitoring) out.push('amazon-cloudwatch-agent');
  return out;
}

/** Lines "dpf-svc <unit>=<state>" → { unit: state }. */
export function parseServiceStates(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^dpf-svc (\S+)=(\S*)\s*$/.exec(line.trim());
    if (m) out[m[1]!] = m[2] || 'unknown';
  }
  return out;
}

export function serviceScript(units: string[]): string[] {
  return [`for s in ${units.join(' ')}; do printf 'dpf-svc %s=%s\\n' "$s" "$(systemctl is-active "$s" 2>/dev/null)"; done`];
}

export interface ShellOptions {
  /** Labels shown next to instance ids. */
  labels?: Record<string, string>;
  timeoutSeconds?: number;
  comment?: string;
  outputS3Bucket?: string;
  outputS3KeyPrefix?: string;
}

/** Run a shell script on some instances through SSM (AWS-RunShellScript) and wait. */
export async function runShell(ctx: StepContext, ops: OpsPorts, instanceIds: string[], commands: string[], o: ShellOptions = {}): Promise<CommandRun> {
  const timeout = o.timeoutSeconds ?? 120;
  return runCommand(
    ops.ssm,
    { clock: ctx.clock, io: ctx.io, signal: ctx.signal, stepId: ctx.stepId },
    {
      documentName: 'AWS-RunShellScript',
      parameters: { commands, executionTimeout: [String(timeout)] },
      instanceIds,
      expectedInstanceIds: instanceIds,
      maxConcurrency: '50',
      maxErrors: '100%',
      timeoutSeconds: Math.max(30, timeout),
      comment: o.comment,
      outputS3Bucket: o.outputS3Bucket,
      outputS3KeyPrefix: o.outputS3KeyPrefix,
    },
    { labels: o.labels, pollMs: ctx.settings.pollMs, timeoutSeconds: timeout * 2 + 60 },
  );
}

export interface HealthOptions {
  hosts: Host[];
  services: (role: string) => string[];
  /** Alarm name prefix of the environment: "<project>-<env>-". */
  alarmPrefix: string;
  /** Worker Auto Scaling group (alarms on workers use its dimension). */
  workerGroup?: string;
}

export async function checkHealth(ctx: StepContext, ops: OpsPorts, o: HealthOptions): Promise<HostHealth[]> {
  const results = new Map<string, ComponentResult[]>(o.hosts.map((h) => [h.instanceId, []]));
  const add: AddResult = (id, c) => results.get(id)!.push(c);
  await ssmAgentChecks(ctx, ops, o, add);
  await alarmChecks(ctx, ops, o, add);
  await serviceChecks(ctx, ops, o, add);
  return o.hosts.map((h) => {
    const components = results.get(h.instanceId)!;
    const status: CheckStatus = components.some((c) => c.status === 'failed') ? 'failed' : components.some((c) => c.status === 'unknown') ? 'unknown' : 'ok';
    return { instanceId: h.instanceId, role: h.role, status, components };
  });
}

type AddResult = (instanceId: string, c: ComponentResult) => void;

/** The SSM agent of each host: registered and Online. */
async function ssmAgentChecks(ctx: StepContext, ops: OpsPorts, o: HealthOptions, add: AddResult): Promise<void> {
  const ids = o.hosts.map((h) => h.instanceId);
  try {
    const info = await ops.ssm.describeInstanceInformation(ids);
    for (const h of o.hosts) {
      const i = info.find((x) => x.instanceId === h.instanceId);
      if (!i)
        add(h.instanceId, { component: 'ssm', status: 'failed', detail: 'not registered with SSM (agent stopped, no instance profile, or no route to SSM)' });
      else if (i.pingStatus === 'Online') add(h.instanceId, { component: 'ssm', status: 'ok', detail: 'agent Online' });
      else
        add(h.instanceId, {
          component: 'ssm',
          status: 'failed',
          detail: `agent ${i.pingStatus}${i.lastPing ? ` (last ping ${i.lastPing.toISOString()})` : ''}`,
        });
    }
  } catch (err) {
    if (!unavailableOnEndpoint(ctx, err)) throw err;
    for (const id of ids) add(id, { component: 'ssm', status: 'unknown', detail: `SSM DescribeInstanceInformation is not available on ${endpointName(ctx)}` });
  }
}

/** The CloudWatch alarms that watch each host (a worker's by its Auto Scaling group). */
async function alarmChecks(ctx: StepContext, ops: OpsPorts, o: HealthOptions, add: AddResult): Promise<void> {
  let alarms: AlarmInfo[] | undefined;
  let alarmError: string | undefined;
  try {
    alarms = await ops.cloudwatch.describeAlarms(undefined, o.alarmPrefix);
  } catch (err) {
    alarmError = unavailableOnEndpoint(ctx, err)
      ? `CloudWatch DescribeAlarms is not available on ${endpointName(ctx)}`
      : `DescribeAlarms failed: ${errorMessage(err)}`;
  }
  for (const h of o.hosts) {
    if (!alarms) {
      add(h.instanceId, { component: 'alarms', status: 'unknown', detail: alarmError! });
      continue;
    }
    add(h.instanceId, alarmVerdict(h, alarms, o));
  }
}

function alarmVerdict(h: Host, alarms: AlarmInfo[], o: HealthOptions): ComponentResult {
  const mine = alarms.filter(
    (a) => a.dimensions.InstanceId === h.instanceId || (h.role === 'worker' && o.workerGroup && a.dimensions.AutoScalingGroupName === o.workerGroup),
  );
  const firing = mine.filter((a) => a.state === 'ALARM');
  if (firing.length)
    return {
      component: 'alarms',
      status: 'failed',
      detail: `in ALARM: ${firing.map((a) => `${a.name}${a.reason ? ` (${a.reason})` : ''}`).join(', ')}`,
    };
  else if (!mine.length)
    return {
      component: 'alarms',
      status: 'unknown',
      detail: `no alarm watches this host (prefix ${o.alarmPrefix}; is the monitoring phase deployed?)`,
    };
  else if (mine.every((a) => a.state === 'OK')) return { component: 'alarms', status: 'ok', detail: `${mine.length} alarm(s) OK` };
  else
    return {
      component: 'alarms',
      status: 'unknown',
      detail: `${mine
        .filter((a) => a.state !== 'OK')
        .map((a) => `${a.name}=${a.state}`)
        .join(', ')}`,
    };
}

/** The systemd units of each host, one command per role (the unit list differs by role). */
async function serviceChecks(ctx: StepContext, ops: OpsPorts, o: HealthOptions, add: AddResult): Promise<void> {
  const byRole = new Map<string, Host[]>();
  for (const h of o.hosts) byRole.set(h.role, [...(byRole.get(h.role) ?? []), h]);
  for (const [role, hosts] of byRole) {
    const units = o.services(role);
    let run: CommandRun;
    try {
      run = await runShell(
        ctx,
        ops,
        hosts.map((h) => h.instanceId),
        serviceScript(units),
        { labels: Object.fromEntries(hosts.map((h) => [h.instanceId, h.role])), timeoutSeconds: 60, comment: `dpf health ${role}` },
      );
    } catch (err) {
      const detail = unavailableOnEndpoint(ctx, err) ? `SSM SendCommand is not available on ${endpointName(ctx)}` : `could not ask SSM: ${errorMessage(err)}`;
      for (const h of hosts) add(h.instanceId, { component: 'services', status: unavailableOnEndpoint(ctx, err) ? 'unknown' : 'failed', detail });
      continue;
    }
    for (const h of hosts) {
      const r = run.hosts.find((x) => x.instanceId === h.instanceId);
      add(h.instanceId, serviceVerdict(units, r));
    }
  }
}

function serviceVerdict(units: string[], r: CommandRun['hosts'][number] | undefined): ComponentResult {
  if (!r || r.status !== 'Success')
    return {
      component: 'services',
      status: 'failed',
      detail: `systemctl check did not run: ${r?.status ?? 'not targeted'}${r?.note ? ` (${r.note})` : ''}`,
    };
  const states = parseServiceStates(r.tail.join('\n'));
  const seen = units.filter((u) => u in states);
  if (!seen.length)
    return {
      component: 'services',
      status: 'unknown',
      detail: `SSM returned no output for systemctl (${units.join(', ')}); an emulator answers every command with empty output`,
    };
  const down = units.filter((u) => states[u] !== 'active');
  if (down.length) return { component: 'services', status: 'failed', detail: `not active: ${down.map((u) => `${u}=${states[u] ?? 'missing'}`).join(', ')}` };
  return { component: 'services', status: 'ok', detail: `${units.join(', ')} active` };
}

export interface GateVerdict {
  passed: boolean;
  /** One line per failed (or, when not accepted, unknown) component. */
  problems: Array<{ instanceId: string; role: string; reason: string }>;
  /** Unknown components the operator accepted. */
  accepted: Array<{ instanceId: string; role: string; reason: string }>;
}

export function evaluateGate(health: HostHealth[], acceptUnknown: boolean): GateVerdict {
  const problems: GateVerdict['problems'] = [];
  const accepted: GateVerdict['accepted'] = [];
  for (const h of health)
    for (const c of h.components) {
      if (c.status === 'failed') problems.push({ instanceId: h.instanceId, role: h.role, reason: `${c.component}: ${c.detail}` });
      else if (c.status === 'unknown')
        (acceptUnknown ? accepted : problems).push({ instanceId: h.instanceId, role: h.role, reason: `${c.component} unknown: ${c.detail}` });
    }
  return { passed: problems.length === 0, problems, accepted };
}

/**
 * Is the database reachable from a worker? `pg_isready` through SSM: ok when it accepts
 * connections, failed when it does not answer, unknown when SSM gives no output (emulator),
 * pg_isready is not installed, or no worker is available.
 */
export async function probeDbFromWorker(
  ctx: StepContext,
  ops: OpsPorts,
  worker: string | undefined,
  endpoint: string | undefined,
  port: number,
): Promise<Check> {
  const name = 'reachable from a worker (pg_isready over SSM)';
  if (!worker) return { name, status: 'unknown', detail: 'no running worker to test from' };
  if (!endpoint) return { name, status: 'unknown', detail: 'the instance has no endpoint yet' };
  let run: CommandRun;
  try {
    run = await runShell(
      ctx,
      ops,
      [worker],
      [`if command -v pg_isready >/dev/null 2>&1; then pg_isready -h ${endpoint} -p ${port} -t 10; echo "dpf-pg-exit=$?"; else echo "dpf-pg-exit=127"; fi`],
      { labels: { [worker]: 'worker' }, timeoutSeconds: 60, comment: 'dpf restore: pg_isready' },
    );
  } catch (err) {
    if (unavailableOnEndpoint(ctx, err)) return { name, status: 'unknown', detail: `SSM SendCommand is not available on ${endpointName(ctx)}` };
    return { name, status: 'unknown', detail: `could not run pg_isready through SSM: ${errorMessage(err)}` };
  }
  const h = run.hosts[0];
  const out = h?.tail.join('\n') ?? '';
  const code = /dpf-pg-exit=(\d+)/.exec(out)?.[1];
  if (!h || h.status !== 'Success') return { name, status: 'unknown', detail: `SSM command on ${worker} ended ${h?.status ?? 'untargeted'}` };
  if (code === undefined) return { name, status: 'unknown', detail: `SSM returned no output from ${worker} (an emulator answers with empty output)` };
  if (code === '0') return { name, status: 'ok', detail: `${endpoint}:${port} accepting connections (from ${worker})` };
  if (code === '127') return { name, status: 'unknown', detail: `pg_isready is not installed on ${worker}` };
  return {
    name,
    status: 'failed',
    detail: `${endpoint}:${port} not reachable from ${worker} (pg_isready exit ${code}: ${code === '1' ? 'rejecting connections' : code === '2' ? 'no response' : 'no attempt'})`,
  };
}

/** An InService worker of the platform (for probes), if any. */
export async function anyWorker(ops: OpsPorts, groupName: string | undefined): Promise<string | undefined> {
  if (!groupName) return undefined;
  const g = await ops.autoscaling.describeGroup(groupName).catch(() => undefined);
  return g?.instances.find((i) => i.lifecycleState === 'InService')?.instanceId;
}
