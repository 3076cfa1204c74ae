/**
 * In-memory CloudFormation behind `CloudFormationPort`, moving stacks through
 * `*_IN_PROGRESS` on an injected clock. The behaviour is specified in
 * FAKE-CLOUDFORMATION.md next to this file; keep the two in step.
 */
import type {
  ChangeSetDescription,
  ChangeSetSummary,
  CloudFormationPort,
  CreateChangeSetInput,
  CreateStackInput,
  ResourceChange,
  StackDescription,
  StackEvent,
  StackResource,
  StackSummary,
} from '../../src/aws/cloudformation.js';
import { parseCfnTemplate } from '../../src/templates/cfn-yaml.js';
import { FakeClock, type Clock } from './fake-clock.js';

// ---------------------------------------------------------------------------------------
// Tables (exported so tests and the spec can refer to them)

/** Properties whose change makes a Modify a replacement (`Replacement: 'True'`). */
export const DEFAULT_REPLACEMENT_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'AWS::EC2::VPC': ['CidrBlock'],
  'AWS::EC2::Subnet': ['CidrBlock', 'AvailabilityZone', 'VpcId'],
  'AWS::EC2::SecurityGroup': ['GroupDescription', 'GroupName', 'VpcId'],
  'AWS::EC2::Instance': ['ImageId', 'SubnetId', 'AvailabilityZone'],
  'AWS::RDS::DBInstance': ['DBName', 'Engine', 'DBInstanceIdentifier'],
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::EFS::FileSystem': ['PerformanceMode', 'Encrypted'],
  'AWS::DynamoDB::Table': ['TableName'],
  'AWS::IAM::Role': ['RoleName'],
};

/** Time one resource create / update / delete takes; any type not listed takes DEFAULT_RESOURCE_MS. */
export const DEFAULT_RESOURCE_MS = 2000;
export const DEFAULT_RESOURCE_DURATIONS_MS: Readonly<Record<string, number>> = {
  'AWS::EC2::Instance': 4000,
  'AWS::EC2::NatGateway': 6000,
  'AWS::RDS::DBInstance': 8000,
};

const ID_PREFIXES: Readonly<Record<string, string>> = {
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::SecurityGroup': 'sg',
  'AWS::EC2::Instance': 'i',
  'AWS::EC2::InternetGateway': 'igw',
  'AWS::EC2::RouteTable': 'rtb',
  'AWS::EC2::NatGateway': 'nat',
  'AWS::EC2::VPCEndpoint': 'vpce',
  'AWS::EC2::Volume': 'vol',
  'AWS::EC2::LaunchTemplate': 'lt',
  'AWS::EFS::FileSystem': 'fs',
  'AWS::EFS::MountTarget': 'fsmt',
};

/** When the template sets this property (to a string), it is the physical id. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Lambda::Function': 'FunctionName',
};

const NAMED_IAM_PROPERTIES = ['RoleName', 'UserName', 'GroupName', 'ManagedPolicyName', 'InstanceProfileName'];

const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

export const NO_CHANGES_REASON = "The submitted information didn't contain changes. Submit different information to create a change set.";

const MUTATING_OPS = new Set(['createStack', 'createChangeSet', 'executeChangeSet', 'deleteStack', 'continueUpdateRollback', 'deleteChangeSet']);

// ---------------------------------------------------------------------------------------
// Public types

/** An error shaped like an AWS SDK v3 service exception (name, message, $fault, $metadata). */
export class FakeAwsError extends Error {
  readonly $fault = 'client' as const;
  readonly $metadata = { httpStatusCode: 400 };
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface ResourceFailureOptions {
  /** Fail when the resource is being created. Default true, unless `onUpdate` is explicitly true. */
  onCreate?: boolean;
  /** Fail when the resource is being updated. Default true, unless `onCreate` is explicitly true. */
  onUpdate?: boolean;
  /** How many times the rule fires before it is used up. Default Infinity. */
  times?: number;
}

export interface InjectedResourceFailure extends ResourceFailureOptions {
  stackName: string; // or '*'
  logicalId: string;
  reason: string;
}

export interface FakeCloudFormationOptions {
  /** Default: a new FakeClock (reach it through `fake.clock`). */
  clock?: Clock;
  /** Default 'us-east-1'. */
  region?: string;
  /** Default '123456789012'. */
  accountId?: string;
  /** Time spent in each of CREATE_PENDING and CREATE_IN_PROGRESS by a change set. Default 1000. */
  changeSetStepMs?: number;
  /** Per-type duration of one resource operation, merged over DEFAULT_RESOURCE_DURATIONS_MS. */
  resourceDurationsMs?: Record<string, number>;
  /** Duration for types in neither table. Default 2000 (DEFAULT_RESOURCE_MS). */
  defaultResourceMs?: number;
  /** Pause at the start of *_CLEANUP_IN_PROGRESS before its deletions. Default 1000. */
  cleanupMs?: number;
  /** How many resources are created/updated at once, taken in template order. Default 1. */
  concurrency?: number;
  /** Per-type replacement properties; a listed type replaces the default list for that type. */
  replacementProperties?: Record<string, readonly string[]>;
  /** templateUrl → template text; any other URL is a ValidationError. Default {}. */
  templatesByUrl?: Record<string, string>;
  /** How long drift detection stays DETECTION_IN_PROGRESS. Default 0 (complete at once). */
  driftDetectionMs?: number;
  /** Resource failures armed from the start (same as calling failResource for each). */
  failures?: InjectedResourceFailure[];
}

export interface RecordedCall {
  op: string;
  input: unknown;
  at: Date;
}

export interface SeedStackInput {
  stackName: string;
  templateBody: string;
  parameters?: Record<string, string>;
  tags?: Record<string, string>;
  /** Default CREATE_COMPLETE. Resources are CREATE_COMPLETE whatever the stack status. */
  status?: string;
}

export interface StackSnapshot {
  stackId: string;
  stackName: string;
  status: string;
  statusReason?: string;
  template: Template;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  outputs: Record<string, string>;
  resources: Array<StackResource & { properties: unknown }>;
  changeSets: string[];
  events: StackEvent[];
}

export interface Template {
  Parameters?: Record<string, { Type?: string; Default?: unknown; NoEcho?: unknown }>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value?: unknown }>;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------
// Internal state

interface ResourceState {
  logicalId: string;
  type: string;
  physicalId?: string;
  status: string;
  /** Properties with parameter Refs substituted: what was last applied. */
  properties: unknown;
}

interface ChangeSetState {
  id: string;
  name: string;
  type: 'CREATE' | 'UPDATE';
  status: string;
  statusReason?: string;
  executionStatus: string;
  changes: ResourceChange[];
  template: Template;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  noChanges: boolean;
  description?: string;
  clientToken?: string;
  executeToken?: string;
  createdAt: Date;
}

interface RollbackItem {
  kind: 'revert' | 'delete';
  logicalId: string;
}

interface PendingRollback {
  work: RollbackItem[];
  previous: { template: Template; parameters: Record<string, string>; tags: Record<string, string>; resources: Map<string, ResourceState> };
  /** New physical resources created by replacements, deleted in the rollback cleanup. */
  orphans: ResourceState[];
}

interface StackState {
  name: string;
  id: string;
  status: string;
  statusReason?: string;
  template: Template;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  outputs: Record<string, string>;
  resources: Map<string, ResourceState>;
  events: StackEvent[];
  lastUpdated?: Date;
  changeSets: Map<string, ChangeSetState>;
  rollback?: PendingRollback;
  drift: 'IN_SYNC' | 'DRIFTED';
  lastDetectionId?: string;
  /** ClientRequestToken of the CreateStack that made the stack. */
  createToken?: string;
}

interface WorkItem {
  logicalId: string;
  type: string;
  action: 'Add' | 'Modify';
  replacement: boolean;
  properties: unknown;
}

interface RollbackRule {
  stackName: string;
  logicalId?: string;
  reason: string;
  exempt: Set<string>;
}

interface DeleteRule {
  stackName: string;
  logicalId: string;
  reason: string;
  remaining: number;
}

interface ResourceRule {
  stackName: string;
  logicalId: string;
  reason: string;
  onCreate: boolean;
  onUpdate: boolean;
  remaining: number;
}

// ---------------------------------------------------------------------------------------
// Helpers

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

function deepEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toMap(list: Array<{ key: string; value: string }>): Record<string, string> {
  return Object.fromEntries(list.map((p) => [p.key, p.value]));
}

function validationError(message: string): FakeAwsError {
  return new FakeAwsError('ValidationError', message);
}

function cloneResources(resources: Map<string, ResourceState>): Map<string, ResourceState> {
  return new Map([...resources].map(([k, v]) => [k, clone(v)]));
}

// ---------------------------------------------------------------------------------------

export class FakeCloudFormation implements CloudFormationPort {
  readonly clock: Clock;
  readonly calls: RecordedCall[] = [];

  readonly #region: string;
  readonly #accountId: string;
  readonly #changeSetStepMs: number;
  readonly #durations: Record<string, number>;
  readonly #defaultResourceMs: number;
  readonly #cleanupMs: number;
  readonly #concurrency: number;
  readonly #replacement: Record<string, readonly string[]>;
  readonly #templatesByUrl: Record<string, string>;
  readonly #driftDetectionMs: number;

  readonly #stacks = new Map<string, StackState>();
  readonly #deleted: StackState[] = [];
  readonly #detections = new Map<string, { stackName: string; startedAt: number; result: 'IN_SYNC' | 'DRIFTED' }>();
  #resourceRules: ResourceRule[] = [];
  #rollbackRules: RollbackRule[] = [];
  #deleteRules: DeleteRule[] = [];

  readonly #running = new Set<Promise<void>>();
  readonly #errors: unknown[] = [];
  #seq = 0;

  constructor(options: FakeCloudFormationOptions = {}) {
    this.clock = options.clock ?? new FakeClock();
    this.#region = options.region ?? 'us-east-1';
    this.#accountId = options.accountId ?? '123456789012';
    this.#changeSetStepMs = options.changeSetStepMs ?? 1000;
    this.#durations = { ...DEFAULT_RESOURCE_DURATIONS_MS, ...options.resourceDurationsMs };
    this.#defaultResourceMs = options.defaultResourceMs ?? DEFAULT_RESOURCE_MS;
    this.#cleanupMs = options.cleanupMs ?? 1000;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.#replacement = { ...DEFAULT_REPLACEMENT_PROPERTIES, ...options.replacementProperties };
    this.#templatesByUrl = { ...options.templatesByUrl };
    this.#driftDetectionMs = options.driftDetectionMs ?? 0;
    for (const f of options.failures ?? []) this.failResource(f.stackName, f.logicalId, f.reason, f);
  }

  // ----- test controls -------------------------------------------------------------------

  /** The recorded calls that change something in the account. */
  mutatingCalls(): RecordedCall[] {
    return this.calls.filter((c) => MUTATING_OPS.has(c.op));
  }

  /**
   * Make `logicalId` fail with `reason` when it is created and/or updated in `stackName`
   * ('*' = any stack). See ResourceFailureOptions for the flags.
   */
  failResource(stackName: string, logicalId: string, reason: string, options: ResourceFailureOptions = {}): void {
    this.#resourceRules.push({
      stackName,
      logicalId,
      reason,
      onCreate: options.onCreate ?? options.onUpdate !== true,
      onUpdate: options.onUpdate ?? options.onCreate !== true,
      remaining: options.times ?? Infinity,
    });
  }

  /**
   * Make the rollback of `stackName` ('*' = any) fail on `logicalId`, or on the first
   * resource the rollback touches when `logicalId` is omitted. Stays armed until
   * continueUpdateRollback is called on that stack.
   */
  failRollback(stackName: string, logicalId?: string, reason = 'Resource handler returned message: "Rollback failed (injected)"'): void {
    this.#rollbackRules.push({ stackName, logicalId, reason, exempt: new Set() });
  }

  /** Make deleteStack fail to delete `logicalId` in `stackName` ('*' = any). Default: every time. */
  failDelete(stackName: string, logicalId: string, reason: string, options: { times?: number } = {}): void {
    this.#deleteRules.push({ stackName, logicalId, reason, remaining: options.times ?? Infinity });
  }

  /** Disarm every injected resource, rollback and delete failure. */
  clearFailures(): void {
    this.#resourceRules = [];
    this.#rollbackRules = [];
    this.#deleteRules = [];
  }

  /** What the next drift detection of `stackName` will find. */
  setDrift(stackName: string, status: 'IN_SYNC' | 'DRIFTED'): void {
    const stack = this.#stacks.get(stackName);
    if (!stack) throw new Error(`FakeCloudFormation.setDrift: no stack ${stackName}`);
    stack.drift = status;
  }

  /** Put a stack in place instantly (no calls recorded, no clock time). */
  seedStack(input: SeedStackInput): void {
    if (this.#stacks.has(input.stackName)) throw new Error(`FakeCloudFormation.seedStack: ${input.stackName} exists`);
    const template = this.#parseTemplate(input.templateBody);
    const stack = this.#newStack(input.stackName);
    stack.template = template;
    stack.parameters = this.#resolveParameters(template, input.parameters ?? {});
    stack.tags = { ...input.tags };
    for (const [logicalId, r] of Object.entries(template.Resources)) {
      const properties = this.#substituteParams(r.Properties ?? {}, stack.parameters);
      stack.resources.set(logicalId, {
        logicalId,
        type: r.Type,
        status: 'CREATE_COMPLETE',
        properties,
        physicalId: this.#physicalId(stack, logicalId, r.Type, properties),
      });
    }
    stack.outputs = this.#resolveOutputs(stack);
    this.#setStatus(stack, input.status ?? 'CREATE_COMPLETE');
  }

  /** A copy of everything the fake knows about a live stack (by name or id), or undefined. */
  inspect(stackNameOrId: string): StackSnapshot | undefined {
    const s = this.#find(stackNameOrId);
    if (!s) return undefined;
    return {
      stackId: s.id,
      stackName: s.name,
      status: s.status,
      statusReason: s.statusReason,
      template: clone(s.template),
      parameters: { ...s.parameters },
      tags: { ...s.tags },
      outputs: { ...s.outputs },
      resources: [...s.resources.values()].map((r) => ({ ...this.#toResource(r), properties: clone(r.properties) })),
      changeSets: [...s.changeSets.keys()],
      events: s.events.map((e) => ({ ...e })),
    };
  }

  /** Number of background operations still running. */
  get pendingOperations(): number {
    return this.#running.size;
  }

  /**
   * Wait for every background operation (including ones they start) to finish. Does not
   * move the clock: use with `clock.autoAdvance()` or while something else advances it.
   * Rethrows (once) the first error a background operation hit since the last settle.
   */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
    const [first] = this.#errors.splice(0);
    if (first !== undefined) throw first;
  }

  // ----- the port ------------------------------------------------------------------------

  async describeStack(stackName: string): Promise<StackDescription | undefined> {
    this.#record('describeStack', { stackName });
    const s = this.#find(stackName);
    if (!s) return undefined;
    const noEcho = new Set(
      Object.entries(s.template.Parameters ?? {})
        .filter(([, p]) => p.NoEcho === true || p.NoEcho === 'true')
        .map(([k]) => k),
    );
    return {
      stackId: s.id,
      stackName: s.name,
      status: s.status,
      statusReason: s.statusReason,
      outputs: { ...s.outputs },
      parameters: Object.fromEntries(Object.entries(s.parameters).map(([k, v]) => [k, noEcho.has(k) ? '****' : v])),
      tags: { ...s.tags },
      lastUpdated: s.lastUpdated ? new Date(s.lastUpdated) : undefined,
      driftStatus: this.#driftStatus(s),
    };
  }

  /** Every live stack in one page (the fake never paginates). */
  async listStacks(nextToken?: string): Promise<{ stacks: StackSummary[]; nextToken?: string }> {
    this.#record('listStacks', { nextToken });
    return {
      stacks: [...this.#stacks.values()].filter((s) => s.status !== 'DELETE_COMPLETE').map((s) => ({ stackId: s.id, stackName: s.name, status: s.status })),
    };
  }

  async describeStackEvents(stackName: string): Promise<StackEvent[]> {
    this.#record('describeStackEvents', { stackName });
    // A deleted stack's events stay readable by stack id, as in AWS.
    const s = this.#find(stackName) ?? this.#deleted.find((d) => d.id === stackName);
    if (!s) throw validationError(`Stack [${stackName}] does not exist`);
    return s.events.map((e) => ({ ...e, timestamp: new Date(e.timestamp) }));
  }

  async listStackResources(stackName: string): Promise<StackResource[]> {
    this.#record('listStackResources', { stackName });
    const s = this.#find(stackName);
    if (!s) throw validationError(`Stack with id ${stackName} does not exist`);
    return [...s.resources.values()].map((r) => this.#toResource(r));
  }

  async createChangeSet(input: CreateChangeSetInput): Promise<{ changeSetId: string; stackId?: string }> {
    this.#record('createChangeSet', input);
    const { stackName, changeSetName, changeSetType } = input;

    const template = this.#parseTemplate(this.#templateText(input));
    let stack = this.#stacks.get(stackName);
    if (changeSetType === 'CREATE') {
      if (stack && stack.status !== 'REVIEW_IN_PROGRESS') {
        throw new FakeAwsError(
          'AlreadyExistsException',
          `Stack [${stackName}] already exists and cannot be created again with the changeSet [${changeSetName}].`,
        );
      }
    } else {
      if (!stack) throw validationError(`Stack [${stackName}] does not exist`);
      if (!UPDATABLE.has(stack.status)) throw validationError(`Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
    }
    const existing = stack?.changeSets.get(changeSetName);
    if (existing) {
      // A retry with the request's ClientToken is the same request: the same change set, nothing new.
      if (input.clientToken && existing.clientToken === input.clientToken) return { changeSetId: existing.id, stackId: stack!.id };
      throw new FakeAwsError('AlreadyExistsException', `ChangeSet [${changeSetName}] already exists`);
    }
    const parameters = this.#resolveParameters(template, toMap(input.parameters));
    this.#checkCapabilities(template, input.capabilities);

    if (!stack) {
      stack = this.#newStack(stackName);
      this.#setStatus(stack, 'REVIEW_IN_PROGRESS', 'User Initiated');
    }
    const tags = toMap(input.tags);
    const isUpdate = changeSetType === 'UPDATE';
    const noChanges = isUpdate && deepEqual(template, stack.template) && deepEqual(parameters, stack.parameters) && deepEqual(tags, stack.tags);
    const cs: ChangeSetState = {
      id: `arn:aws:cloudformation:${this.#region}:${this.#accountId}:changeSet/${changeSetName}/${this.#uuid()}`,
      name: changeSetName,
      type: changeSetType,
      status: 'CREATE_PENDING',
      executionStatus: 'UNAVAILABLE',
      changes: this.#diff(stack, isUpdate, template, parameters),
      template,
      parameters,
      tags,
      noChanges,
      description: input.description,
      clientToken: input.clientToken,
      createdAt: this.clock.now(),
    };
    stack.changeSets.set(changeSetName, cs);
    this.#spawn(async () => {
      await this.clock.sleep(this.#changeSetStepMs);
      cs.status = 'CREATE_IN_PROGRESS';
      await this.clock.sleep(this.#changeSetStepMs);
      if (cs.noChanges) {
        cs.status = 'FAILED';
        cs.statusReason = NO_CHANGES_REASON;
      } else {
        cs.status = 'CREATE_COMPLETE';
        cs.executionStatus = 'AVAILABLE';
      }
    });
    return { changeSetId: cs.id, stackId: stack.id };
  }

  /**
   * CreateStack: the stack is made and its creation starts at once (CREATE_IN_PROGRESS), no change
   * set. A stack of that name in any state (REVIEW_IN_PROGRESS included) refuses it with
   * AlreadyExistsException, unless the call repeats the ClientRequestToken of the CreateStack that
   * made it (a retry: the same stack id, nothing new).
   */
  async createStack(input: CreateStackInput): Promise<{ stackId: string }> {
    this.#record('createStack', input);
    const existing = this.#stacks.get(input.stackName);
    if (existing) {
      if (input.clientRequestToken && existing.createToken === input.clientRequestToken) return { stackId: existing.id };
      throw new FakeAwsError('AlreadyExistsException', `Stack [${input.stackName}] already exists`);
    }
    const template = this.#parseTemplate(this.#templateText(input));
    const parameters = this.#resolveParameters(template, toMap(input.parameters));
    this.#checkCapabilities(template, input.capabilities);
    const stack = this.#newStack(input.stackName);
    stack.createToken = input.clientRequestToken;
    // The creation runs as a CREATE change set's execution does, from an operation no one can list.
    const op: ChangeSetState = {
      id: `${stack.id}#create`,
      name: '',
      type: 'CREATE',
      status: 'CREATE_COMPLETE',
      executionStatus: 'EXECUTE_IN_PROGRESS',
      changes: this.#diff(stack, false, template, parameters),
      template,
      parameters,
      tags: toMap(input.tags),
      noChanges: false,
      createdAt: this.clock.now(),
    };
    this.#spawn(() => this.#runCreate(stack, op));
    return { stackId: stack.id };
  }

  async describeChangeSet(stackName: string, changeSetName: string): Promise<ChangeSetDescription> {
    this.#record('describeChangeSet', { stackName, changeSetName });
    const { stack, cs } = this.#requireChangeSet(stackName, changeSetName);
    return {
      changeSetId: cs.id,
      stackId: stack.id,
      status: cs.status,
      statusReason: cs.statusReason,
      executionStatus: cs.executionStatus,
      changes: cs.status === 'CREATE_COMPLETE' ? cs.changes.map((c) => ({ ...c })) : [],
    };
  }

  async listChangeSets(stackName: string): Promise<ChangeSetSummary[]> {
    this.#record('listChangeSets', { stackName });
    const stack = this.#find(stackName);
    if (!stack) return [];
    return [...stack.changeSets.values()].map((c) => ({
      changeSetId: c.id,
      changeSetName: c.name,
      status: c.status,
      executionStatus: c.executionStatus,
      description: c.description,
      creationTime: c.createdAt,
    }));
  }

  async executeChangeSet(stackName: string, changeSetName: string, clientRequestToken?: string): Promise<void> {
    this.#record('executeChangeSet', { stackName, changeSetName, clientRequestToken });
    const { stack, cs } = this.#requireChangeSet(stackName, changeSetName);
    // The same ClientRequestToken again is a retry of the call already carried out.
    if (clientRequestToken && cs.executeToken === clientRequestToken) return;
    if (cs.status !== 'CREATE_COMPLETE' || cs.executionStatus !== 'AVAILABLE') {
      throw new FakeAwsError(
        'InvalidChangeSetStatusException',
        `ChangeSet [${cs.id}] cannot be executed in its current status of [${cs.status}] and execution status of [${cs.executionStatus}]`,
      );
    }
    const expected = cs.type === 'CREATE' ? stack.status === 'REVIEW_IN_PROGRESS' : UPDATABLE.has(stack.status);
    if (!expected) throw validationError(`Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
    // AWS: "When you execute a change set, CloudFormation deletes all other change sets associated with the stack."
    for (const other of [...stack.changeSets.values()]) if (other !== cs) stack.changeSets.delete(other.name);
    cs.executionStatus = 'EXECUTE_IN_PROGRESS';
    cs.executeToken = clientRequestToken;
    this.#spawn(() => (cs.type === 'CREATE' ? this.#runCreate(stack, cs) : this.#runUpdate(stack, cs)));
  }

  async deleteChangeSet(stackName: string, changeSetName: string): Promise<void> {
    this.#record('deleteChangeSet', { stackName, changeSetName });
    const { stack, cs } = this.#requireChangeSet(stackName, changeSetName);
    if (cs.status === 'CREATE_PENDING' || cs.status === 'CREATE_IN_PROGRESS' || cs.executionStatus === 'EXECUTE_IN_PROGRESS') {
      const current = cs.executionStatus === 'EXECUTE_IN_PROGRESS' ? cs.executionStatus : cs.status;
      throw new FakeAwsError('InvalidChangeSetStatusException', `Cannot delete ChangeSet [${cs.id}] while it is in ${current} status`);
    }
    stack.changeSets.delete(cs.name);
  }

  async deleteStack(stackName: string, retainResources: string[] = [], clientRequestToken?: string): Promise<void> {
    this.#record('deleteStack', { stackName, retainResources, ...(clientRequestToken ? { clientRequestToken } : {}) });
    const stack = this.#find(stackName);
    if (!stack || stack.status === 'DELETE_IN_PROGRESS') return;
    if (stack.status.endsWith('_IN_PROGRESS') && stack.status !== 'REVIEW_IN_PROGRESS') {
      throw validationError(`Stack [${stack.id}] cannot be deleted while in status ${stack.status}`);
    }
    if (retainResources.length > 0 && stack.status !== 'DELETE_FAILED') {
      throw validationError(`Invalid operation on stack [${stack.id}]. RetainResources can only be specified when the stack is in the DELETE_FAILED state.`);
    }
    this.#setStatus(stack, 'DELETE_IN_PROGRESS', 'User Initiated');
    const retain = new Set(retainResources);
    this.#spawn(() => this.#runDelete(stack, retain));
  }

  async continueUpdateRollback(stackName: string, clientRequestToken?: string): Promise<void> {
    this.#record('continueUpdateRollback', { stackName, ...(clientRequestToken ? { clientRequestToken } : {}) });
    const stack = this.#find(stackName);
    if (!stack) throw validationError(`Stack [${stackName}] does not exist`);
    if (stack.status !== 'UPDATE_ROLLBACK_FAILED') {
      throw validationError(
        `Stack:${stack.id} is in ${stack.status} state. ContinueUpdateRollback can only be called on a stack in UPDATE_ROLLBACK_FAILED state.`,
      );
    }
    this.#rollbackRules = this.#rollbackRules.filter((r) => r.stackName !== stack.name);
    for (const r of this.#rollbackRules) if (r.stackName === '*') r.exempt.add(stack.name);
    stack.rollback ??= {
      work: [],
      previous: { template: stack.template, parameters: stack.parameters, tags: stack.tags, resources: cloneResources(stack.resources) },
      orphans: [],
    };
    this.#setStatus(stack, 'UPDATE_ROLLBACK_IN_PROGRESS', 'User Initiated');
    this.#spawn(() => this.#runUpdateRollback(stack));
  }

  async detectStackDrift(stackName: string): Promise<string> {
    this.#record('detectStackDrift', { stackName });
    const stack = this.#find(stackName);
    if (!stack) throw validationError(`Stack [${stackName}] does not exist`);
    const id = this.#uuid();
    this.#detections.set(id, { stackName: stack.name, startedAt: this.clock.now().getTime(), result: stack.drift });
    stack.lastDetectionId = id;
    return id;
  }

  async describeStackDriftDetectionStatus(detectionId: string): Promise<{ status: string; driftStatus?: string; reason?: string }> {
    this.#record('describeStackDriftDetectionStatus', { detectionId });
    const d = this.#detections.get(detectionId);
    if (!d) throw validationError(`Drift detection with id [${detectionId}] does not exist`);
    if (this.clock.now().getTime() < d.startedAt + this.#driftDetectionMs) return { status: 'DETECTION_IN_PROGRESS' };
    return { status: 'DETECTION_COMPLETE', driftStatus: d.result };
  }

  // ----- operations (background) ---------------------------------------------------------

  async #runCreate(stack: StackState, cs: ChangeSetState): Promise<void> {
    stack.template = cs.template;
    stack.parameters = cs.parameters;
    stack.tags = cs.tags;
    this.#setStatus(stack, 'CREATE_IN_PROGRESS', 'User Initiated');
    const items = cs.changes.map((c) => this.#workItem(stack, c));
    const { touched, failed } = await this.#runResources(stack, items);
    if (failed.length === 0) {
      stack.outputs = this.#resolveOutputs(stack);
      this.#setStatus(stack, 'CREATE_COMPLETE');
      cs.executionStatus = 'EXECUTE_COMPLETE';
      return;
    }
    cs.executionStatus = 'EXECUTE_FAILED';
    this.#setStatus(stack, 'ROLLBACK_IN_PROGRESS', `${this.#failureSummary(failed)} Rollback requested by user.`);
    const deleteFailed: string[] = [];
    for (const item of [...touched].reverse()) {
      const res = stack.resources.get(item.logicalId);
      if (!res) continue;
      if (res.physicalId === undefined) {
        this.#resourceEvent(stack, res, 'DELETE_COMPLETE');
        stack.resources.delete(res.logicalId);
        continue;
      }
      this.#resourceEvent(stack, res, 'DELETE_IN_PROGRESS');
      await this.clock.sleep(this.#duration(res.type));
      const rule = this.#rollbackRule(stack.name, res.logicalId);
      if (rule) {
        this.#resourceEvent(stack, res, 'DELETE_FAILED', rule.reason);
        deleteFailed.push(res.logicalId);
      } else {
        this.#resourceEvent(stack, res, 'DELETE_COMPLETE');
        stack.resources.delete(res.logicalId);
      }
    }
    if (deleteFailed.length > 0) {
      this.#setStatus(stack, 'ROLLBACK_FAILED', `The following resource(s) failed to delete: [${deleteFailed.join(', ')}].`);
    } else {
      this.#setStatus(stack, 'ROLLBACK_COMPLETE');
    }
  }

  async #runUpdate(stack: StackState, cs: ChangeSetState): Promise<void> {
    const previous = { template: stack.template, parameters: stack.parameters, tags: stack.tags, resources: cloneResources(stack.resources) };
    const previousOrder = [...stack.resources.keys()];
    stack.template = cs.template;
    stack.parameters = cs.parameters;
    stack.tags = cs.tags;
    stack.lastUpdated = this.clock.now();
    this.#setStatus(stack, 'UPDATE_IN_PROGRESS', 'User Initiated');

    const items = cs.changes.filter((c) => c.action !== 'Remove').map((c) => this.#workItem(stack, c));
    const { touched, failed } = await this.#runResources(stack, items);

    if (failed.length > 0) {
      cs.executionStatus = 'EXECUTE_FAILED';
      stack.template = previous.template;
      stack.parameters = previous.parameters;
      stack.tags = previous.tags;
      stack.rollback = {
        previous,
        orphans: [],
        work: [...touched].reverse().map((t) => ({ kind: t.action === 'Add' ? 'delete' : 'revert', logicalId: t.logicalId })),
      };
      this.#setStatus(stack, 'UPDATE_ROLLBACK_IN_PROGRESS', this.#failureSummary(failed));
      await this.#runUpdateRollback(stack);
      return;
    }

    stack.outputs = this.#resolveOutputs(stack);
    this.#setStatus(stack, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    await this.clock.sleep(this.#cleanupMs);
    // Old physical resources of replacements first, then removed resources, newest first.
    for (const item of items.filter((i) => i.replacement)) {
      const old = previous.resources.get(item.logicalId);
      if (old) await this.#deleteQuietly(stack, old);
    }
    const removed = cs.changes.filter((c) => c.action === 'Remove').map((c) => c.logicalId);
    for (const logicalId of previousOrder.reverse().filter((id) => removed.includes(id))) {
      const res = stack.resources.get(logicalId);
      if (!res) continue;
      await this.#deleteQuietly(stack, res);
      stack.resources.delete(logicalId);
    }
    this.#setStatus(stack, 'UPDATE_COMPLETE');
    cs.executionStatus = 'EXECUTE_COMPLETE';
  }

  async #runUpdateRollback(stack: StackState): Promise<void> {
    const rb = stack.rollback!;
    while (rb.work.length > 0) {
      const item = rb.work[0]!;
      const res = stack.resources.get(item.logicalId);
      if (!res) {
        rb.work.shift();
        continue;
      }
      if (item.kind === 'delete' && res.physicalId === undefined) {
        this.#resourceEvent(stack, res, 'DELETE_COMPLETE');
        stack.resources.delete(res.logicalId);
        rb.work.shift();
        continue;
      }
      const verb = item.kind === 'revert' ? 'UPDATE' : 'DELETE';
      this.#resourceEvent(stack, res, `${verb}_IN_PROGRESS`);
      await this.clock.sleep(this.#duration(res.type));
      const rule = this.#rollbackRule(stack.name, res.logicalId);
      if (rule) {
        this.#resourceEvent(stack, res, `${verb}_FAILED`, rule.reason);
        this.#setStatus(stack, 'UPDATE_ROLLBACK_FAILED', `The following resource(s) failed to ${verb.toLowerCase()}: [${res.logicalId}].`);
        return;
      }
      if (item.kind === 'delete') {
        this.#resourceEvent(stack, res, 'DELETE_COMPLETE');
        stack.resources.delete(res.logicalId);
      } else {
        const before = rb.previous.resources.get(res.logicalId);
        if (before && res.physicalId !== undefined && res.physicalId !== before.physicalId) {
          rb.orphans.push({ ...clone(res), status: 'UPDATE_COMPLETE' });
        }
        const restored: ResourceState = before ? { ...clone(before), status: 'UPDATE_COMPLETE' } : { ...res, status: 'UPDATE_COMPLETE' };
        stack.resources.set(res.logicalId, restored);
        this.#resourceEvent(stack, restored, 'UPDATE_COMPLETE');
      }
      rb.work.shift();
    }
    stack.template = rb.previous.template;
    stack.parameters = rb.previous.parameters;
    stack.tags = rb.previous.tags;
    stack.outputs = this.#resolveOutputs(stack);
    this.#setStatus(stack, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    await this.clock.sleep(this.#cleanupMs);
    for (const orphan of rb.orphans) await this.#deleteQuietly(stack, orphan);
    stack.rollback = undefined;
    this.#setStatus(stack, 'UPDATE_ROLLBACK_COMPLETE');
  }

  async #runDelete(stack: StackState, retain: Set<string>): Promise<void> {
    const failed: string[] = [];
    for (const res of [...stack.resources.values()].reverse()) {
      if (retain.has(res.logicalId)) {
        this.#resourceEvent(stack, res, 'DELETE_SKIPPED');
        stack.resources.delete(res.logicalId);
        continue;
      }
      if (res.physicalId === undefined) {
        this.#resourceEvent(stack, res, 'DELETE_COMPLETE');
        stack.resources.delete(res.logicalId);
        continue;
      }
      this.#resourceEvent(stack, res, 'DELETE_IN_PROGRESS');
      await this.clock.sleep(this.#duration(res.type));
      const rule = this.#deleteRules.find((r) => (r.stackName === '*' || r.stackName === stack.name) && r.logicalId === res.logicalId);
      if (rule) {
        if (--rule.remaining <= 0) this.#deleteRules.splice(this.#deleteRules.indexOf(rule), 1);
        this.#resourceEvent(stack, res, 'DELETE_FAILED', rule.reason);
        failed.push(res.logicalId);
      } else {
        this.#resourceEvent(stack, res, 'DELETE_COMPLETE');
        stack.resources.delete(res.logicalId);
      }
    }
    if (failed.length > 0) {
      this.#setStatus(stack, 'DELETE_FAILED', `The following resource(s) failed to delete: [${failed.join(', ')}].`);
      return;
    }
    this.#setStatus(stack, 'DELETE_COMPLETE');
    stack.changeSets.clear();
    this.#stacks.delete(stack.name);
    this.#deleted.push(stack);
  }

  /**
   * Create/update `items` in order, `concurrency` at a time. The first failure cancels the
   * ones still in progress and stops new ones from starting.
   */
  async #runResources(stack: StackState, items: WorkItem[]): Promise<{ touched: WorkItem[]; failed: Array<{ item: WorkItem; cancelled: boolean }> }> {
    const touched: WorkItem[] = [];
    const failed: Array<{ item: WorkItem; cancelled: boolean }> = [];
    const cancel = new AbortController();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!cancel.signal.aborted && next < items.length) {
        const item = items[next++]!;
        touched.push(item);
        const isAdd = item.action === 'Add';
        const verb = isAdd ? 'CREATE' : 'UPDATE';
        let res = stack.resources.get(item.logicalId);
        if (isAdd || !res) {
          res = { logicalId: item.logicalId, type: item.type, status: 'CREATE_IN_PROGRESS', properties: item.properties };
          stack.resources.set(item.logicalId, res);
        }
        this.#resourceEvent(
          stack,
          res,
          `${verb}_IN_PROGRESS`,
          item.replacement ? 'Requested update requires the creation of a new physical resource; hence creating one.' : undefined,
        );
        try {
          await this.clock.sleep(this.#duration(item.type), cancel.signal);
        } catch (err) {
          if (!cancel.signal.aborted) throw err;
          this.#resourceEvent(stack, res, `${verb}_FAILED`, isAdd ? 'Resource creation cancelled' : 'Resource update cancelled');
          failed.push({ item, cancelled: true });
          return;
        }
        const rule = this.#resourceRule(stack.name, item.logicalId, isAdd ? 'create' : 'update');
        if (rule) {
          this.#resourceEvent(stack, res, `${verb}_FAILED`, rule.reason);
          failed.push({ item, cancelled: false });
          cancel.abort();
          return;
        }
        res.type = item.type;
        res.properties = item.properties;
        if (isAdd || item.replacement) res.physicalId = this.#physicalId(stack, item.logicalId, item.type, item.properties);
        this.#resourceEvent(stack, res, `${verb}_COMPLETE`);
      }
    };
    await Promise.all(Array.from({ length: this.#concurrency }, worker));
    return { touched, failed };
  }

  /** DELETE_IN_PROGRESS → DELETE_COMPLETE for cleanup phases, which never fail. */
  async #deleteQuietly(stack: StackState, res: ResourceState): Promise<void> {
    const copy = { ...res };
    this.#resourceEvent(stack, copy, 'DELETE_IN_PROGRESS');
    await this.clock.sleep(this.#duration(res.type));
    this.#resourceEvent(stack, copy, 'DELETE_COMPLETE');
  }

  #failureSummary(failed: Array<{ item: WorkItem }>): string {
    const created = failed.filter((f) => f.item.action === 'Add').map((f) => f.item.logicalId);
    const updated = failed.filter((f) => f.item.action === 'Modify').map((f) => f.item.logicalId);
    const parts: string[] = [];
    if (created.length) parts.push(`The following resource(s) failed to create: [${created.join(', ')}].`);
    if (updated.length) parts.push(`The following resource(s) failed to update: [${updated.join(', ')}].`);
    return parts.join(' ');
  }

  // ----- failure rules -------------------------------------------------------------------

  #resourceRule(stackName: string, logicalId: string, op: 'create' | 'update'): ResourceRule | undefined {
    const rule = this.#resourceRules.find(
      (r) => (r.stackName === '*' || r.stackName === stackName) && r.logicalId === logicalId && (op === 'create' ? r.onCreate : r.onUpdate),
    );
    if (rule && --rule.remaining <= 0) this.#resourceRules.splice(this.#resourceRules.indexOf(rule), 1);
    return rule;
  }

  #rollbackRule(stackName: string, logicalId: string): RollbackRule | undefined {
    return this.#rollbackRules.find(
      (r) => (r.stackName === stackName || (r.stackName === '*' && !r.exempt.has(stackName))) && (r.logicalId === undefined || r.logicalId === logicalId),
    );
  }

  // ----- templates, diff, outputs --------------------------------------------------------

  #templateText(input: CreateChangeSetInput | CreateStackInput): string {
    if (input.templateBody !== undefined) return input.templateBody;
    if (input.templateUrl !== undefined) {
      const text = this.#templatesByUrl[input.templateUrl];
      if (text === undefined) throw validationError(`TemplateURL must be a supported URL. (${input.templateUrl} is not registered with the fake)`);
      return text;
    }
    throw validationError('Either Template URL or Template Body must be specified.');
  }

  #parseTemplate(text: string): Template {
    let doc: Record<string, unknown>;
    try {
      doc = parseCfnTemplate(text);
    } catch (err) {
      throw validationError(`Template format error: ${(err as Error).message}`);
    }
    if (!isRecord(doc.Resources) || Object.keys(doc.Resources).length === 0) {
      throw validationError('Template format error: At least one Resources member must be defined.');
    }
    for (const [id, r] of Object.entries(doc.Resources)) {
      if (!isRecord(r) || typeof r.Type !== 'string') {
        throw validationError(`Template format error: [/Resources/${id}] Every Resources object must contain a Type member.`);
      }
    }
    return doc as Template;
  }

  #resolveParameters(template: Template, given: Record<string, string>): Record<string, string> {
    const declared = template.Parameters ?? {};
    const unknown = Object.keys(given).filter((k) => !(k in declared));
    if (unknown.length) throw validationError(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
    const out: Record<string, string> = {};
    const missing: string[] = [];
    for (const [name, p] of Object.entries(declared)) {
      if (name in given) out[name] = given[name]!;
      else if (p?.Default !== undefined) out[name] = Array.isArray(p.Default) ? p.Default.join(',') : String(p.Default);
      else missing.push(name);
    }
    if (missing.length) throw validationError(`Parameters: [${missing.join(', ')}] must have values`);
    return out;
  }

  #checkCapabilities(template: Template, capabilities: string[]): void {
    const iam = Object.values(template.Resources).filter((r) => r.Type.startsWith('AWS::IAM::'));
    if (iam.length === 0) return;
    const named = iam.some((r) => NAMED_IAM_PROPERTIES.some((p) => r.Properties?.[p] !== undefined));
    const needed = named ? 'CAPABILITY_NAMED_IAM' : 'CAPABILITY_IAM';
    const ok = named ? capabilities.includes('CAPABILITY_NAMED_IAM') : capabilities.some((c) => c === 'CAPABILITY_IAM' || c === 'CAPABILITY_NAMED_IAM');
    if (!ok) throw new FakeAwsError('InsufficientCapabilitiesException', `Requires capabilities : [${needed}]`);
  }

  /** `{Ref: Param}` → the parameter value, everywhere in `value`; everything else kept. */
  #substituteParams(value: unknown, parameters: Record<string, string>): unknown {
    if (Array.isArray(value)) return value.map((v) => this.#substituteParams(v, parameters));
    if (isRecord(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === 'Ref' && typeof value.Ref === 'string' && value.Ref in parameters) return parameters[value.Ref];
      return Object.fromEntries(keys.map((k) => [k, this.#substituteParams(value[k], parameters)]));
    }
    return value;
  }

  #diff(stack: StackState, isUpdate: boolean, template: Template, parameters: Record<string, string>): ResourceChange[] {
    const changes: ResourceChange[] = [];
    const oldResources = isUpdate ? stack.template.Resources : {};
    for (const [logicalId, r] of Object.entries(template.Resources)) {
      const old = oldResources[logicalId];
      if (!old) {
        changes.push({ action: 'Add', logicalId, resourceType: r.Type });
        continue;
      }
      const before = this.#substituteParams(old.Properties ?? {}, stack.parameters) as Record<string, unknown>;
      const after = this.#substituteParams(r.Properties ?? {}, parameters) as Record<string, unknown>;
      if (old.Type === r.Type && deepEqual(before, after)) continue;
      const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !deepEqual(before[k], after[k]));
      const replaces = old.Type !== r.Type || changed.some((k) => (this.#replacement[r.Type] ?? []).includes(k));
      changes.push({
        action: 'Modify',
        logicalId,
        physicalId: stack.resources.get(logicalId)?.physicalId,
        resourceType: r.Type,
        replacement: replaces ? 'True' : 'False',
      });
    }
    for (const [logicalId, old] of Object.entries(oldResources)) {
      if (!(logicalId in template.Resources)) {
        changes.push({ action: 'Remove', logicalId, physicalId: stack.resources.get(logicalId)?.physicalId, resourceType: old.Type });
      }
    }
    return changes;
  }

  #workItem(stack: StackState, change: ResourceChange): WorkItem {
    const r = stack.template.Resources[change.logicalId]!;
    return {
      logicalId: change.logicalId,
      type: r.Type,
      action: change.action === 'Add' ? 'Add' : 'Modify',
      replacement: change.replacement === 'True',
      properties: this.#substituteParams(r.Properties ?? {}, stack.parameters),
    };
  }

  #resolveOutputs(stack: StackState): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, o] of Object.entries(stack.template.Outputs ?? {})) {
      const v = o?.Value;
      out[key] = typeof v === 'string' ? v : (this.#tryResolve(stack, v) ?? JSON.stringify(v));
    }
    return out;
  }

  #tryResolve(stack: StackState, v: unknown): string | undefined {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (!isRecord(v) || Object.keys(v).length !== 1) return undefined;
    if (typeof v.Ref === 'string') return this.#ref(stack, v.Ref);
    const getAtt = v['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const dot = typeof getAtt === 'string' ? getAtt.indexOf('.') : -1;
      const [name, attr] =
        typeof getAtt === 'string' ? (dot < 0 ? [getAtt] : [getAtt.slice(0, dot), getAtt.slice(dot + 1)]) : Array.isArray(getAtt) ? getAtt : [];
      const physicalId = typeof name === 'string' ? stack.resources.get(name)?.physicalId : undefined;
      return physicalId !== undefined && typeof attr === 'string' ? `${physicalId}.${attr}` : undefined;
    }
    const sub = v['Fn::Sub'];
    if (sub !== undefined) {
      const [text, vars] = typeof sub === 'string' ? [sub, {}] : (sub as [unknown, unknown]);
      if (typeof text !== 'string' || !isRecord(vars)) return undefined;
      let ok = true;
      const result = text.replace(/\$\{(!?)([^}]+)\}/g, (whole, bang: string, name: string) => {
        if (bang) return `\${${name}}`;
        const resolved =
          name in vars ? this.#tryResolve(stack, vars[name]) : name.includes('.') ? this.#tryResolve(stack, { 'Fn::GetAtt': name }) : this.#ref(stack, name);
        if (resolved === undefined) ok = false;
        return resolved ?? whole;
      });
      return ok ? result : undefined;
    }
    const join = v['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const parts = join[1].map((p) => this.#tryResolve(stack, p));
      return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
    }
    return undefined;
  }

  #ref(stack: StackState, name: string): string | undefined {
    const pseudo: Record<string, string> = {
      'AWS::StackName': stack.name,
      'AWS::StackId': stack.id,
      'AWS::Region': this.#region,
      'AWS::AccountId': this.#accountId,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[name] ?? stack.parameters[name] ?? stack.resources.get(name)?.physicalId;
  }

  // ----- small utilities -----------------------------------------------------------------

  #record(op: string, input: unknown): void {
    this.calls.push({ op, input: clone(input), at: this.clock.now() });
  }

  #spawn(operation: () => Promise<void>): void {
    const p: Promise<void> = operation()
      .catch((err: unknown) => {
        this.#errors.push(err);
      })
      .finally(() => {
        this.#running.delete(p);
      });
    this.#running.add(p);
  }

  #find(nameOrId: string): StackState | undefined {
    return this.#stacks.get(nameOrId) ?? [...this.#stacks.values()].find((s) => s.id === nameOrId);
  }

  #requireChangeSet(stackName: string, changeSetName: string): { stack: StackState; cs: ChangeSetState } {
    const stack = this.#find(stackName);
    const cs = stack?.changeSets.get(changeSetName) ?? [...(stack?.changeSets.values() ?? [])].find((c) => c.id === changeSetName);
    if (!stack || !cs) throw new FakeAwsError('ChangeSetNotFoundException', `ChangeSet [${changeSetName}] does not exist`);
    return { stack, cs };
  }

  #newStack(name: string): StackState {
    const stack: StackState = {
      name,
      id: `arn:aws:cloudformation:${this.#region}:${this.#accountId}:stack/${name}/${this.#uuid()}`,
      status: 'REVIEW_IN_PROGRESS',
      template: { Resources: {} },
      parameters: {},
      tags: {},
      outputs: {},
      resources: new Map(),
      events: [],
      changeSets: new Map(),
      drift: 'IN_SYNC',
    };
    this.#stacks.set(name, stack);
    return stack;
  }

  #setStatus(stack: StackState, status: string, reason?: string): void {
    stack.status = status;
    stack.statusReason = reason;
    this.#pushEvent(stack, { logicalId: stack.name, physicalId: stack.id, resourceType: 'AWS::CloudFormation::Stack', status, reason });
  }

  #resourceEvent(stack: StackState, res: ResourceState, status: string, reason?: string): void {
    res.status = status;
    this.#pushEvent(stack, { logicalId: res.logicalId, physicalId: res.physicalId, resourceType: res.type, status, reason });
  }

  #pushEvent(stack: StackState, e: Omit<StackEvent, 'eventId' | 'stackName' | 'timestamp'>): void {
    const event: StackEvent = { eventId: this.#uuid(), stackName: stack.name, timestamp: this.clock.now(), ...e };
    if (event.physicalId === undefined) delete event.physicalId;
    if (event.reason === undefined) delete event.reason;
    stack.events.unshift(event);
  }

  #toResource(r: ResourceState): StackResource {
    const out: StackResource = { logicalId: r.logicalId, resourceType: r.type, status: r.status };
    if (r.physicalId !== undefined) out.physicalId = r.physicalId;
    return out;
  }

  #driftStatus(stack: StackState): string {
    const d = stack.lastDetectionId ? this.#detections.get(stack.lastDetectionId) : undefined;
    if (!d || this.clock.now().getTime() < d.startedAt + this.#driftDetectionMs) return 'NOT_CHECKED';
    return d.result;
  }

  #duration(type: string): number {
    return this.#durations[type] ?? this.#defaultResourceMs;
  }

  #physicalId(stack: StackState, logicalId: string, type: string, properties: unknown): string {
    const n = ++this.#seq;
    const nameProp = NAME_PROPERTIES[type];
    const named = nameProp && isRecord(properties) ? properties[nameProp] : undefined;
    if (typeof named === 'string') return named;
    const prefix = ID_PREFIXES[type];
    if (prefix) return `${prefix}-${n.toString(16).padStart(17, '0')}`;
    return `${stack.name}-${logicalId}-${n.toString(36).toUpperCase().padStart(12, '0')}`;
  }

  #uuid(): string {
    return `00000000-0000-4000-8000-${(++this.#seq).toString(16).padStart(12, '0')}`;
  }
}
