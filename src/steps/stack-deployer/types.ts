/** The request, dependencies and result of one stack deployment (src/steps/stack-deployer.ts). */
import type { CloudFormationPort, ResourceChange } from '../../aws/cloudformation.js';
import type { Clock } from '../../clock.js';
import type { Settings } from '../../settings.js';
import type { IoHost } from '../../io/host.js';
import type { securityChanges, TemplateResources } from '../security-diff.js';

export interface PollSettings {
  /** First and fastest poll interval (ms). Default 1000. */
  minMs: number;
  /** Slowest poll interval while nothing moves (ms). Default 10000. */
  maxMs: number;
  /** Give up waiting for one stack operation after this long (ms). Default 2 h. */
  timeoutMs: number;
}
export const DEFAULT_POLL: PollSettings = { minMs: 1000, maxMs: 10000, timeoutMs: 2 * 3600 * 1000 };
/** Every stack may make IAM resources with names and use macros (CreateChangeSet and CreateStack alike). */
const STACK_CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'];

/** What the stack is made from, as CreateChangeSet and CreateStack both take it. */
export function stackDefinition(req: DeployStackRequest) {
  return {
    stackName: req.stackName,
    templateBody: req.templateBody,
    templateUrl: req.templateUrl,
    parameters: Object.entries(req.parameters).map(([key, value]) => ({ key, value })),
    tags: Object.entries(req.tags).map(([key, value]) => ({ key, value })),
    capabilities: STACK_CAPABILITIES,
  };
}

export interface DeployStackRequest {
  stepId: string;
  stackName: string;
  /** The template as JSON; or templateUrl (S3) when it is over CloudFormation's body limit. */
  templateBody?: string;
  templateUrl?: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  /** The template's Outputs section (used to fill outputs an emulator drops). */
  templateOutputs: Record<string, { Value: unknown; Condition?: string }>;
  changeSetName: string;
  /** Only create and describe the change set, then delete it (dpf plan). */
  previewOnly?: boolean;
  /**
   * Idempotency tokens, recorded in the ledger before the calls: ClientToken of CreateChangeSet,
   * ClientRequestToken of ExecuteChangeSet, DeleteStack and ContinueUpdateRollback. An SDK retry
   * after a lost answer carries the same token, and AWS does not do the call twice.
   */
  tokens?: Partial<Record<'create' | 'execute' | 'delete' | 'rollback', string>>;
  /**
   * The step's input hash (template, parameters, tags). It goes into the change set's
   * Description, so that a change set a dead run created and never executed is recognised as
   * this very change and executed instead of creating another.
   */
  inputHash?: string;
  /**
   * The ledger has no trace of this stack (the step never ran: no stack id, no change set): the
   * CREATE change set is asked for without a DescribeStacks first (issue 14: one call less per new
   * stack). If the stack exists after all (another operator, a lost ledger), CloudFormation refuses
   * a CREATE (AlreadyExistsException) and the deploy starts over the usual way, looking first.
   */
  presumedNew?: boolean;
  /**
   * What the template creates with these parameters (its resources that its conditions keep). With
   * presumedNew and an IO host that answers every confirmation itself (--yes), the stack is made
   * with CreateStack instead of a change set (./create.ts); without it, always a change set.
   */
  resourcesToCreate?: ReadonlyArray<{ logicalId: string; resourceType: string }>;
  /** The change set an interrupted run of this step recorded (before creating it). */
  resumeChangeSetName?: string;
  /** With previewOnly: keep the change set (and a new stack's REVIEW_IN_PROGRESS shell) for `dpf deploy --plan`. */
  keepChangeSet?: boolean;
  /**
   * Execute this change set, made by `dpf plan --out` and approved once for the whole plan,
   * instead of making a new one; refused (exit 8) when AWS no longer offers it for execution.
   */
  savedChangeSet?: { name: string; type: 'CREATE' | 'UPDATE' };
  /** The template's resources, to describe security-widening changes when AWS gives no property values. */
  templateResources?: TemplateResources;
}

export interface DeployStackDeps {
  cfn: CloudFormationPort;
  clock: Clock;
  io: IoHost;
  signal: AbortSignal;
  poll?: Partial<PollSettings>;
  /** The test hook DPF_TEST_HOLD_STEP (src/settings.ts). */
  testHold?: Settings['testHold'];
  /** Called as soon as ids are known so the ledger holds them even if the process dies. */
  onEvidence?: (evidence: Record<string, unknown>) => Promise<void>;
}

export interface DeployStackResult {
  stackId: string;
  status: string;
  changed: boolean;
  changes: ResourceChange[];
  changeSetId?: string;
  outputs: Record<string, string>;
  /** Outputs dpf had to read from the stack's resources because DescribeStacks lacked them. */
  outputsResolvedFromResources: string[];
  action: 'create' | 'update' | 'none' | 'preview';
  /** preview: changes that widen access; and whether the change set creates or updates the stack. */
  security?: ReturnType<typeof securityChanges>;
  changeSetType?: 'CREATE' | 'UPDATE';
}
