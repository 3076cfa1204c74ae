/**
 * FakeSsm: SSM Run Command in memory, specified in FAKE-SSM.md (read it first; if the code
 * and the spec disagree, one of them is wrong).
 *
 * Invocations are scheduled in full when the command is sent (scripted outcomes, durations,
 * MaxConcurrency, MaxErrors, timeouts are all known then); every read computes what the
 * API would show at `clock.now()`. Time therefore only moves when the test's FakeClock
 * does, and nothing runs in the background.
 */
import type {
  Ec2Port,
  InstanceAssociationStatus,
  InstanceInfo,
  InvocationResult,
  ManagedInstance,
  SendCommandInput,
  SsmPort,
  CommandStatus,
} from '../../src/aws/ops-ports.js';
import type { ObjectStorePort } from '../../src/aws/ports.js';
import { FakeAwsError } from './fake-cloudformation.js';

export const OUTPUT_LIMIT = 24_000;
export const TRUNCATION_MARKER = '--output truncated--';
/** Statuses that count against MaxErrors. */
export const ERROR_STATUSES: ReadonlySet<string> = new Set(['Failed', 'TimedOut', 'DeliveryTimedOut', 'ExecutionTimedOut']);

export interface FakeInstanceInput {
  instanceId: string;
  tags?: Record<string, string>;
  /** EC2 state. Default 'running'. 'terminated' instances are never targeted. */
  state?: string;
  /** SSM agent ping status. Default 'Online'. 'NotRegistered': unknown to SSM (not listed, never targeted). */
  pingStatus?: string;
  /** The agent registers (Online) only this long after registerInstance: a freshly launched instance. */
  onlineAfterMs?: number;
  instanceType?: string;
  privateIp?: string;
}

interface FakeInstance {
  instanceId: string;
  tags: Record<string, string>;
  state: string;
  pingStatus: string;
  instanceType: string;
  privateIp?: string;
  registeredAt: number;
  onlineAt: number;
}

export interface ScriptedOutcome {
  /** Final status when the run ends within the execution timeout. Default 'Success'. */
  status?: 'Success' | 'Failed';
  stdout?: string;
  stderr?: string;
  /** Time InProgress. Default `defaultDurationMs` (5000). */
  durationMs?: number;
  /** Default 0 for Success, 2 for Failed (ansible-playbook's exit code for a failed task). */
  responseCode?: number;
}

export interface ScriptFilter {
  document?: string;
  /** Matches parameters.PlaybookFile[0]. */
  playbook?: string;
  /** Matches parameters.Check[0] === 'True'. */
  check?: boolean;
}

export interface FakeSsmOptions {
  /** Anything with now(); a FakeClock in tests. */
  clock: { now(): Date };
  /** Used in outputS3Url. Default 'us-west-2'. */
  region?: string;
  /** Time an invocation stays Pending before it starts. Default 1000. */
  deliveryMs?: number;
  /** Run time when the script says nothing. Default 5000. */
  defaultDurationMs?: number;
  /** Where the "S3 output" is written when a command names an output bucket. */
  outputStore?: Pick<ObjectStorePort, 'putText'>;
}

export interface RecordedCall {
  op: string;
  input: unknown;
  at: Date;
}

interface Plan {
  instanceId: string;
  /** undefined: never started (stays Pending until endAt, then `final`). */
  startAt?: number;
  endAt: number;
  final: string;
  stdout: string;
  stderr: string;
  responseCode: number;
}

interface Command {
  commandId: string;
  input: SendCommandInput;
  sentAt: number;
  targets: string[];
  plans: Map<string, Plan>;
  maxErrors: number;
  concurrency: number;
  written: Set<string>;
}

interface Script {
  target: string;
  outcome: ScriptedOutcome;
  filter: ScriptFilter;
  seq: number;
}

const APPLY_ANSIBLE = 'AWS-ApplyAnsiblePlaybooks';
/** dpf's own document (compute stack): dpf-<project>-<env>-ApplyAnsiblePlaybooks. */
const DPF_ANSIBLE = /^dpf-.+-ApplyAnsiblePlaybooks$/;
const DPF_ANSIBLE_PARAMETERS = new Set([
  'SourceType',
  'SourceInfo',
  'PlaybookFile',
  'ExtraVariables',
  'Check',
  'Verbose',
  'TimeoutSeconds',
  'AnsibleCoreVersion',
]);
const DPF_EXTRA_VARS_PATTERN = /^$|^\w+=[^\s|:();&'"`$\\{}<>]+(\s+\w+=[^\s|:();&'"`$\\{}<>]+)*$/;
const DPF_PLAYBOOK_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\.ya?ml$/;
const EXTRA_VARS_PATTERN = /^$|^\w+=[^\s|:();&]+(\s\w+=[^\s|:();&]+)*$/;
const PLAYBOOK_PATTERN = /[(a-z_A-Z0-9\-)/]+(.yml|.yaml)$/;

export class FakeSsm implements SsmPort {
  readonly calls: RecordedCall[] = [];
  readonly clock: { now(): Date };
  readonly region: string;
  readonly deliveryMs: number;
  readonly defaultDurationMs: number;
  #outputStore?: Pick<ObjectStorePort, 'putText'>;
  #instances = new Map<string, FakeInstance>();
  #commands = new Map<string, Command>();
  #scripts: Script[] = [];
  #seq = 0;
  #parameters = new Map<string, string>();
  #associationRuns = new Map<string, InstanceAssociationStatus[]>();
  #lose = new Map<string, number>();

  constructor(options: FakeSsmOptions) {
    this.clock = options.clock;
    this.region = options.region ?? 'us-west-2';
    this.deliveryMs = options.deliveryMs ?? 1000;
    this.defaultDurationMs = options.defaultDurationMs ?? 5000;
    this.#outputStore = options.outputStore;
  }

  // ----- test controls -------------------------------------------------------------------

  registerInstance(i: FakeInstanceInput): this {
    this.#instances.set(i.instanceId, {
      instanceId: i.instanceId,
      tags: { ...(i.tags ?? {}) },
      state: i.state ?? 'running',
      pingStatus: i.pingStatus ?? 'Online',
      instanceType: i.instanceType ?? 'm5.large',
      privateIp: i.privateIp,
      registeredAt: this.#seq++,
      onlineAt: this.clock.now().getTime() + (i.onlineAfterMs ?? 0),
    });
    return this;
  }

  /** Known to SSM: its agent has registered (AWS lists and targets only those). */
  #registered(i: FakeInstance): boolean {
    return i.pingStatus !== 'NotRegistered' && this.clock.now().getTime() >= i.onlineAt;
  }

  /** Record a State Manager association run on an instance (what DescribeInstanceAssociationsStatus lists). */
  setAssociationStatus(instanceId: string, run: Partial<InstanceAssociationStatus> & { associationName: string; status: string }): this {
    const runs = (this.#associationRuns.get(instanceId) ?? []).filter((r) => r.associationName !== run.associationName);
    runs.push({
      associationId: run.associationId ?? `assoc-${run.associationName}`,
      documentName: run.documentName ?? 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks',
      executionDate: run.executionDate ?? this.clock.now(),
      ...run,
    });
    this.#associationRuns.set(instanceId, runs);
    return this;
  }

  clearAssociationStatus(instanceId: string): this {
    this.#associationRuns.delete(instanceId);
    return this;
  }

  setPingStatus(instanceId: string, pingStatus: string): this {
    this.#instance(instanceId).pingStatus = pingStatus;
    return this;
  }

  setInstanceState(instanceId: string, state: string): this {
    this.#instance(instanceId).state = state;
    return this;
  }

  /**
   * How a host's run ends. The most specific rule wins: an instance id beats '*', a rule with
   * a filter beats one without; among equals the one scripted last wins.
   */
  script(target: string, outcome: ScriptedOutcome, filter: ScriptFilter = {}): this {
    this.#scripts.push({ target, outcome: { ...outcome }, filter: { ...filter }, seq: this.#seq++ });
    return this;
  }

  clearScripts(): this {
    this.#scripts = [];
    return this;
  }

  /** The whole output of a host's run (the "S3 object"), untruncated; undefined until it ended. */
  fullOutput(commandId: string, instanceId: string): { stdout: string; stderr: string } | undefined {
    const p = this.#commands.get(commandId)?.plans.get(instanceId);
    if (!p || this.#now() < p.endAt || p.startAt === undefined) return undefined;
    return { stdout: p.stdout, stderr: p.stderr };
  }

  /** Commands sent so far, in order (inputs as sent). */
  sentCommands(): Array<{ commandId: string; input: SendCommandInput; targets: string[] }> {
    return [...this.#commands.values()].map((c) => ({ commandId: c.commandId, input: clone(c.input), targets: [...c.targets] }));
  }

  /**
   * The next `n` calls of `op` are carried out, then their answer is lost: they reject with the
   * error the SDK gives for a connection reset after the request was sent (code ECONNRESET).
   */
  loseAnswers(op: 'sendCommand', n = 1): this {
    this.#lose.set(op, (this.#lose.get(op) ?? 0) + n);
    return this;
  }

  /** Calls of one operation. */
  callsOf(op: string): RecordedCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  /** An Ec2Port whose describeInstances reads the registered instances; every other call throws. */
  ec2(): Ec2Port {
    const describeInstances = async (filters: Record<string, string[]>): Promise<InstanceInfo[]> => {
      this.#record('ec2.describeInstances', filters);
      return [...this.#instances.values()].filter((i) => matchesFilters(i, filters)).map((i) => this.#info(i));
    };
    return new Proxy({ describeInstances } as unknown as Ec2Port, {
      get(target, prop, receiver) {
        if (prop === 'describeInstances' || prop === 'then' || typeof prop === 'symbol') return Reflect.get(target, prop, receiver);
        return async () => {
          throw new Error(`FakeSsm.ec2(): ${String(prop)} is not implemented by the fake`);
        };
      },
    });
  }

  // ----- SsmPort ---------------------------------------------------------------------------

  async sendCommand(input: SendCommandInput): Promise<string> {
    this.#record('sendCommand', input);
    const hasTargets = input.targets && Object.keys(input.targets).length > 0;
    const hasIds = !!input.instanceIds?.length;
    if (hasTargets === hasIds) throw new FakeAwsError('ValidationException', 'Exactly one of Targets or InstanceIds must be given.');
    if (!/^\d+%?$/.test(input.maxConcurrency) || /^0+%?$/.test(input.maxConcurrency))
      throw new FakeAwsError('ValidationException', `MaxConcurrency "${input.maxConcurrency}" must be a positive number or percentage.`);
    if (!/^\d+%?$/.test(input.maxErrors)) throw new FakeAwsError('ValidationException', `MaxErrors "${input.maxErrors}" must be a number or percentage.`);
    if (!(input.timeoutSeconds >= 30 && input.timeoutSeconds <= 2592000))
      throw new FakeAwsError('ValidationException', `TimeoutSeconds ${input.timeoutSeconds} must be between 30 and 2592000.`);
    if (input.documentName === APPLY_ANSIBLE) validateApplyAnsible(input.parameters);
    if (DPF_ANSIBLE.test(input.documentName)) validateDpfAnsible(input.parameters);

    let targets: FakeInstance[];
    if (hasIds) {
      const unknown = input.instanceIds!.filter(
        (id) => !this.#instances.has(id) || this.#instances.get(id)!.state === 'terminated' || !this.#registered(this.#instances.get(id)!),
      );
      if (unknown.length) throw new FakeAwsError('InvalidInstanceId', `Instances [${unknown.join(', ')}] not in a valid state for account`);
      targets = [...new Set(input.instanceIds)].map((id) => this.#instances.get(id)!);
    } else {
      targets = [...this.#instances.values()]
        .filter((i) => i.state !== 'terminated' && this.#registered(i) && Object.entries(input.targets!).every(([k, vs]) => vs.includes(i.tags[k] ?? '\u0000')))
        .sort((a, b) => a.registeredAt - b.registeredAt);
    }

    const commandId = uuid(this.#commands.size + 1);
    const n = targets.length;
    const cmd: Command = {
      commandId,
      input: clone(input),
      sentAt: this.#now(),
      targets: targets.map((t) => t.instanceId),
      plans: new Map(),
      concurrency: Math.max(1, amount(input.maxConcurrency, n, Math.ceil)),
      maxErrors: amount(input.maxErrors, n, Math.floor),
      written: new Set(),
    };
    this.#schedule(cmd, targets);
    this.#commands.set(commandId, cmd);
    const lose = this.#lose.get('sendCommand') ?? 0;
    if (lose > 0) {
      this.#lose.set('sendCommand', lose - 1);
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    return commandId;
  }

  async findCommandByMarker(marker: string, opts: { documentName?: string; since: Date }): Promise<string | undefined> {
    this.#record('findCommandByMarker', { marker, ...opts });
    // Like ListCommands: AWS keeps commands 30 days; the caller's `since` only narrows the listing.
    const hit = [...this.#commands.values()].find(
      (c) =>
        (c.input.comment ?? '').split(/\s+/).includes(marker) &&
        (!opts.documentName || c.input.documentName === opts.documentName) &&
        c.sentAt >= opts.since.getTime() - 300_000,
    );
    return hit?.commandId;
  }

  async getCommand(commandId: string): Promise<CommandStatus> {
    this.#record('getCommand', { commandId });
    const cmd = this.#command(commandId);
    await this.#materialize(cmd);
    const t = this.#now();
    const statuses = [...cmd.plans.values()].map((p) => statusAt(p, t));
    const ended = statuses.filter((s) => s !== 'Pending' && s !== 'InProgress');
    const errors = ended.filter((s) => ERROR_STATUSES.has(s)).length;
    let status: string;
    if (!statuses.length) status = 'Success';
    else if (ended.length < statuses.length) status = statuses.some((s) => s !== 'Pending') ? 'InProgress' : 'Pending';
    else status = errors > cmd.maxErrors || statuses.includes('Cancelled') ? 'Failed' : 'Success';
    return { commandId, status, targetCount: statuses.length, completedCount: ended.length, errorCount: errors };
  }

  async listInvocations(commandId: string): Promise<InvocationResult[]> {
    this.#record('listInvocations', { commandId });
    const cmd = this.#command(commandId);
    await this.#materialize(cmd);
    // Like ListCommandInvocations without Details: statuses, no output.
    return cmd.targets.map((id) => ({ ...this.#invocation(cmd, id), stdout: '', stderr: '' }));
  }

  async getInvocation(commandId: string, instanceId: string): Promise<InvocationResult> {
    this.#record('getInvocation', { commandId, instanceId });
    const cmd = this.#command(commandId);
    if (!cmd.plans.has(instanceId)) throw new FakeAwsError('InvocationDoesNotExist', `Command ${commandId} has no invocation on ${instanceId}.`);
    await this.#materialize(cmd);
    return this.#invocation(cmd, instanceId);
  }

  async describeInstanceInformation(instanceIds?: string[]): Promise<ManagedInstance[]> {
    this.#record('describeInstanceInformation', { instanceIds });
    return [...this.#instances.values()]
      .filter((i) => i.state !== 'terminated' && this.#registered(i) && (!instanceIds || instanceIds.includes(i.instanceId)))
      .map((i) => ({
        instanceId: i.instanceId,
        pingStatus: i.state === 'running' ? i.pingStatus : 'ConnectionLost',
        platform: 'Linux',
        agentVersion: '3.3.0.0',
        lastPing: this.clock.now(),
      }));
  }

  async describeInstanceAssociationsStatus(instanceId: string): Promise<InstanceAssociationStatus[]> {
    this.#record('describeInstanceAssociationsStatus', { instanceId });
    return clone(this.#associationRuns.get(instanceId) ?? []).map((r) => ({ ...r, executionDate: r.executionDate ? new Date(r.executionDate) : undefined }));
  }

  async getParameter(name: string): Promise<string | undefined> {
    this.#record('getParameter', { name });
    return this.#parameters.get(name);
  }

  async putParameter(name: string, value: string, overwrite: boolean): Promise<void> {
    this.#record('putParameter', { name, overwrite });
    if (this.#parameters.has(name) && !overwrite) throw new FakeAwsError('ParameterAlreadyExists', `The parameter ${name} already exists.`);
    this.#parameters.set(name, value);
  }

  // ----- internals -------------------------------------------------------------------------

  /** The whole schedule of a command, decided at send time (see FAKE-SSM.md, "Scheduling"). */
  #schedule(cmd: Command, targets: FakeInstance[]): void {
    const t0 = cmd.sentAt;
    const deliveryDeadline = t0 + cmd.input.timeoutSeconds * 1000;
    const execParam = Number(cmd.input.parameters.TimeoutSeconds?.[0] ?? cmd.input.parameters.executionTimeout?.[0] ?? 3600);
    const execMs = (Number.isFinite(execParam) && execParam > 0 ? execParam : 3600) * 1000;
    const reachable = (i: FakeInstance) => i.state === 'running' && i.pingStatus === 'Online';
    const queue = targets.filter(reachable);
    let unreachable = targets.filter((i) => !reachable(i));
    const running: Plan[] = [];
    let errors = 0;
    let stoppedAt: number | undefined;
    const never = (id: string, final: string, at: number): Plan => ({ instanceId: id, endAt: at, final, stdout: '', stderr: '', responseCode: -1 });
    const noteEnd = (final: string, t: number) => {
      if (ERROR_STATUSES.has(final)) errors++;
      if (stoppedAt === undefined && errors > cmd.maxErrors) stoppedAt = t;
    };
    const fill = (t: number) => {
      while (stoppedAt === undefined && running.length < cmd.concurrency && queue.length) {
        const inst = queue.shift()!;
        if (t >= deliveryDeadline) {
          cmd.plans.set(inst.instanceId, never(inst.instanceId, 'DeliveryTimedOut', deliveryDeadline));
          noteEnd('DeliveryTimedOut', t);
          continue;
        }
        const o = this.#outcome(inst.instanceId, cmd.input);
        const duration = o.durationMs ?? this.defaultDurationMs;
        const startAt = t + this.deliveryMs;
        const timedOut = duration > execMs;
        const status = o.status ?? 'Success';
        const p: Plan = {
          instanceId: inst.instanceId,
          startAt,
          endAt: startAt + (timedOut ? execMs : duration),
          final: timedOut ? 'TimedOut' : status,
          stdout: o.stdout ?? '',
          stderr: o.stderr ?? '',
          responseCode: timedOut ? -1 : (o.responseCode ?? (status === 'Success' ? 0 : 2)),
        };
        cmd.plans.set(inst.instanceId, p);
        running.push(p);
      }
    };
    fill(t0);
    for (;;) {
      // Everything that ends at the same instant is counted before any new host starts.
      const offlineAt = unreachable.length && stoppedAt === undefined ? deliveryDeadline : Infinity;
      const t = Math.min(offlineAt, ...running.map((p) => p.endAt));
      if (t === Infinity) break;
      for (const p of running.filter((r) => r.endAt === t)) {
        running.splice(running.indexOf(p), 1);
        noteEnd(p.final, t);
      }
      if (offlineAt === t) {
        for (const i of unreachable) {
          cmd.plans.set(i.instanceId, never(i.instanceId, 'DeliveryTimedOut', t));
          noteEnd('DeliveryTimedOut', t);
        }
        unreachable = [];
      }
      fill(t);
    }
    // Whatever never started was cancelled when MaxErrors was exceeded.
    for (const i of [...queue, ...unreachable]) cmd.plans.set(i.instanceId, never(i.instanceId, 'Cancelled', stoppedAt ?? t0));
  }

  #outcome(instanceId: string, input: SendCommandInput): ScriptedOutcome {
    const matches = (f: ScriptFilter) =>
      (f.document === undefined || f.document === input.documentName) &&
      (f.playbook === undefined || f.playbook === input.parameters.PlaybookFile?.[0]) &&
      (f.check === undefined || f.check === (input.parameters.Check?.[0] === 'True'));
    const rank = (s: Script) => (s.target === instanceId ? 2 : 0) + (Object.keys(s.filter).length ? 1 : 0);
    const best = this.#scripts
      .filter((s) => (s.target === instanceId || s.target === '*') && matches(s.filter))
      .sort((a, b) => rank(b) - rank(a) || b.seq - a.seq)[0];
    return best?.outcome ?? {};
  }

  #invocation(cmd: Command, instanceId: string): InvocationResult {
    const p = cmd.plans.get(instanceId)!;
    const t = this.#now();
    const status = statusAt(p, t);
    const ended = status !== 'Pending' && status !== 'InProgress';
    return {
      commandId: cmd.commandId,
      instanceId,
      status,
      responseCode: ended ? p.responseCode : -1,
      stdout: ended ? truncate(p.stdout) : '',
      stderr: ended ? truncate(p.stderr) : '',
      outputS3Url: cmd.input.outputS3Bucket
        ? `https://s3.${this.region}.amazonaws.com/${cmd.input.outputS3Bucket}/${outputKey(cmd, instanceId, 'stdout')}`
        : undefined,
    };
  }

  /** Write the full output of runs that ended to the output store, once each. */
  async #materialize(cmd: Command): Promise<void> {
    const bucket = cmd.input.outputS3Bucket;
    if (!bucket || !this.#outputStore) return;
    const t = this.#now();
    for (const p of cmd.plans.values()) {
      if (p.startAt === undefined || t < p.endAt || cmd.written.has(p.instanceId)) continue;
      cmd.written.add(p.instanceId);
      await this.#outputStore.putText(bucket, outputKey(cmd, p.instanceId, 'stdout'), p.stdout);
      if (p.stderr) await this.#outputStore.putText(bucket, outputKey(cmd, p.instanceId, 'stderr'), p.stderr);
    }
  }

  #info(i: FakeInstance): InstanceInfo {
    return {
      instanceId: i.instanceId,
      state: i.state,
      instanceType: i.instanceType,
      privateIp: i.privateIp,
      tags: { ...i.tags },
      securityGroupIds: [],
      volumeIds: [],
      httpTokens: 'required',
    };
  }

  #instance(id: string): FakeInstance {
    const i = this.#instances.get(id);
    if (!i) throw new Error(`FakeSsm: instance ${id} is not registered`);
    return i;
  }

  #command(commandId: string): Command {
    const c = this.#commands.get(commandId);
    if (!c) throw new FakeAwsError('InvalidCommandId', `Command ${commandId} does not exist.`);
    return c;
  }

  #now(): number {
    return this.clock.now().getTime();
  }

  #record(op: string, input: unknown): void {
    this.calls.push({ op, input: clone(input), at: this.clock.now() });
  }
}

/** An ObjectStorePort in memory (the state bucket and the SSM output bucket in tests). */
export class MemoryObjectStore implements ObjectStorePort {
  readonly objects = new Map<string, Uint8Array>();
  readonly puts: Array<{ bucket: string; key: string }> = [];

  async getText(bucket: string, key: string): Promise<string | undefined> {
    const b = this.objects.get(`${bucket}/${key}`);
    return b === undefined ? undefined : new TextDecoder().decode(b);
  }
  async putText(bucket: string, key: string, body: string): Promise<{ versionId?: string }> {
    return this.putBytes(bucket, key, new TextEncoder().encode(body));
  }
  async putBytes(bucket: string, key: string, body: Uint8Array): Promise<{ versionId?: string }> {
    this.objects.set(`${bucket}/${key}`, new Uint8Array(body));
    this.puts.push({ bucket, key });
    return { versionId: String(this.puts.length) };
  }
  async exists(bucket: string, key: string): Promise<boolean> {
    return this.objects.has(`${bucket}/${key}`);
  }
  async listKeys(bucket: string, prefix: string): Promise<string[]> {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }
  bytes(bucket: string, key: string): Uint8Array | undefined {
    return this.objects.get(`${bucket}/${key}`);
  }
}

// ----- helpers ---------------------------------------------------------------------------

function statusAt(p: Plan, t: number): string {
  if (t >= p.endAt) return p.final;
  if (p.startAt === undefined || t < p.startAt) return 'Pending';
  return 'InProgress';
}

/** "50%" of n rounded with `round`, or the number itself. */
function amount(spec: string, n: number, round: (x: number) => number): number {
  return spec.endsWith('%') ? round((Number(spec.slice(0, -1)) * n) / 100) : Number(spec);
}

function truncate(s: string): string {
  return s.length > OUTPUT_LIMIT ? s.slice(0, OUTPUT_LIMIT - TRUNCATION_MARKER.length) + TRUNCATION_MARKER : s;
}

function outputKey(cmd: Command, instanceId: string, stream: 'stdout' | 'stderr'): string {
  const prefix = (cmd.input.outputS3KeyPrefix ?? '').replace(/\/+$/, '');
  return `${prefix ? `${prefix}/` : ''}${cmd.commandId}/${instanceId}/awsrunShellScript/runShellScript/${stream}`;
}

function validateApplyAnsible(params: Record<string, string[]>): void {
  const one = (name: string) => params[name]?.[0];
  const bad = (name: string, why: string) => {
    throw new FakeAwsError('InvalidParameters', `Parameter "${name}" ${why}`);
  };
  const allowed: Record<string, string[]> = {
    SourceType: ['GitHub', 'S3'],
    InstallDependencies: ['True', 'False'],
    Check: ['True', 'False'],
    Verbose: ['-v', '-vv', '-vvv', '-vvvv'],
  };
  for (const [name, values] of Object.entries(allowed)) {
    const v = one(name);
    if (v !== undefined && !values.includes(v)) bad(name, `value "${v}" is not one of ${values.join(', ')}.`);
  }
  const ev = one('ExtraVariables');
  if (ev !== undefined && !EXTRA_VARS_PATTERN.test(ev))
    bad('ExtraVariables', `"${ev}" failed to satisfy constraint: Member must satisfy regular expression pattern: ${EXTRA_VARS_PATTERN.source}`);
  const pb = one('PlaybookFile');
  if (pb !== undefined && !PLAYBOOK_PATTERN.test(pb))
    bad('PlaybookFile', `"${pb}" failed to satisfy constraint: Member must satisfy regular expression pattern: ${PLAYBOOK_PATTERN.source}`);
  const si = one('SourceInfo');
  if (si !== undefined) {
    try {
      const parsed = JSON.parse(si) as { path?: unknown };
      if (typeof parsed.path !== 'string') bad('SourceInfo', 'must be a JSON object with a "path".');
    } catch (err) {
      if (err instanceof FakeAwsError) throw err;
      bad('SourceInfo', 'is not valid JSON.');
    }
  }
  const to = one('TimeoutSeconds');
  if (to !== undefined && !/^\d+$/.test(to)) bad('TimeoutSeconds', `"${to}" is not a number of seconds.`);
}

/** dpf's document: only its own parameters (AWS refuses any other), with its patterns. */
function validateDpfAnsible(params: Record<string, string[]>): void {
  const unknown = Object.keys(params).filter((k) => !DPF_ANSIBLE_PARAMETERS.has(k));
  if (unknown.length) throw new FakeAwsError('InvalidParameters', `document dpf-…-ApplyAnsiblePlaybooks does not support parameter(s) ${unknown.join(', ')}`);
  validateApplyAnsible(params);
  if (params.SourceType && params.SourceType[0] !== 'S3') throw new FakeAwsError('InvalidParameters', 'Parameter "SourceType" must be S3.');
  const ev = params.ExtraVariables?.[0];
  if (ev !== undefined && !DPF_EXTRA_VARS_PATTERN.test(ev))
    throw new FakeAwsError('InvalidParameters', `Parameter "ExtraVariables" "${ev}" failed to satisfy constraint: ${DPF_EXTRA_VARS_PATTERN.source}`);
  const pb = params.PlaybookFile?.[0];
  if (pb !== undefined && !DPF_PLAYBOOK_PATTERN.test(pb))
    throw new FakeAwsError('InvalidParameters', `Parameter "PlaybookFile" "${pb}" failed to satisfy constraint: ${DPF_PLAYBOOK_PATTERN.source}`);
}

function matchesFilters(i: FakeInstance, filters: Record<string, string[]>): boolean {
  return Object.entries(filters).every(([name, values]) => {
    if (name.startsWith('tag:')) return values.includes(i.tags[name.slice(4)] ?? '\u0000');
    if (name === 'instance-state-name') return values.includes(i.state);
    if (name === 'instance-id') return values.includes(i.instanceId);
    throw new Error(`FakeSsm.ec2().describeInstances: filter ${name} is not implemented by the fake`);
  });
}

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
