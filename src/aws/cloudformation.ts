/**
 * The CloudFormation port: only the calls dpf makes, in dpf's own types.
 * Adapters: `sdk-cloudformation.ts` (AWS SDK v3) and `test/fakes/fake-cloudformation.ts`.
 */
/** The stack statuses of a stack that stands complete (what a deploy waits for, what go-live checks). */
export const SUCCESS_STATES: ReadonlySet<string> = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

export type StackStatus = string; // e.g. CREATE_COMPLETE, UPDATE_ROLLBACK_FAILED, REVIEW_IN_PROGRESS

export interface StackParameter {
  key: string;
  value: string;
}
export interface StackTag {
  key: string;
  value: string;
}

export interface StackDescription {
  stackId: string;
  stackName: string;
  status: StackStatus;
  statusReason?: string;
  outputs: Record<string, string>;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  lastUpdated?: Date;
  driftStatus?: string;
}

export interface StackEvent {
  eventId: string;
  stackName: string;
  logicalId: string;
  physicalId?: string;
  resourceType: string;
  status: string;
  reason?: string;
  timestamp: Date;
}

export interface StackResource {
  logicalId: string;
  physicalId?: string;
  resourceType: string;
  status: string;
}

export type ChangeAction = 'Add' | 'Modify' | 'Remove' | 'Import' | 'Dynamic';
export interface ResourceChange {
  action: ChangeAction;
  logicalId: string;
  physicalId?: string;
  resourceType: string;
  /** 'True' | 'False' | 'Conditional' for Modify. */
  replacement?: string;
  /** Property-level changes (DescribeChangeSet with IncludePropertyValues), when the endpoint gives them. */
  details?: Array<{ path: string; change: string; before?: string; after?: string; recreation?: string }>;
  /** The resource's properties after the change, as JSON (IncludePropertyValues), when given. */
  afterContext?: string;
}

export interface ChangeSetDescription {
  changeSetId: string;
  stackId?: string;
  status: string; // CREATE_PENDING | CREATE_IN_PROGRESS | CREATE_COMPLETE | FAILED | DELETE_*
  statusReason?: string;
  executionStatus?: string;
  changes: ResourceChange[];
}

export interface CreateChangeSetInput {
  stackName: string;
  changeSetName: string;
  changeSetType: 'CREATE' | 'UPDATE';
  templateBody?: string;
  templateUrl?: string;
  parameters: StackParameter[];
  tags: StackTag[];
  capabilities: string[];
  description?: string;
  /** ClientToken: a retried CreateChangeSet with the same token gets the same change set (without one, AlreadyExists). */
  clientToken?: string;
}

/** CreateStack: a new stack made at once, without a change set (src/steps/stack-deployer/create.ts). */
export interface CreateStackInput {
  stackName: string;
  templateBody?: string;
  templateUrl?: string;
  parameters: StackParameter[];
  tags: StackTag[];
  capabilities: string[];
  /** ClientRequestToken: a retried CreateStack with the same token is not a second creation (AWS answers with the same stack). */
  clientRequestToken?: string;
}

export interface ChangeSetSummary {
  changeSetId: string;
  changeSetName: string;
  status: string;
  executionStatus?: string;
  description?: string;
  creationTime?: Date;
}

/** One stack as ListStacks summarises it. */
export interface StackSummary {
  stackId: string;
  stackName: string;
  status: StackStatus;
}

export interface CloudFormationPort {
  /** undefined when the stack does not exist (or only exists as DELETE_COMPLETE). */
  describeStack(stackName: string): Promise<StackDescription | undefined>;
  /** One page of the region's stacks that are not deleted (ListStacks, every status but DELETE_COMPLETE). */
  listStacks(nextToken?: string): Promise<{ stacks: StackSummary[]; nextToken?: string }>;
  /** Newest first, as the API returns them; the caller stops at the last seen event id. */
  describeStackEvents(stackName: string): Promise<StackEvent[]>;
  listStackResources(stackName: string): Promise<StackResource[]>;
  createChangeSet(input: CreateChangeSetInput): Promise<{ changeSetId: string; stackId?: string }>;
  /** Fails AlreadyExistsException when a stack of that name exists in any live state (REVIEW_IN_PROGRESS included). */
  createStack(input: CreateStackInput): Promise<{ stackId: string }>;
  describeChangeSet(stackName: string, changeSetName: string): Promise<ChangeSetDescription>;
  /** The stack's change sets (ListChangeSets); [] when the stack does not exist. */
  listChangeSets(stackName: string): Promise<ChangeSetSummary[]>;
  /** `clientRequestToken`: a retry with the same token is not a second execution. */
  executeChangeSet(stackName: string, changeSetName: string, clientRequestToken?: string): Promise<void>;
  deleteChangeSet(stackName: string, changeSetName: string): Promise<void>;
  deleteStack(stackName: string, retainResources?: string[], clientRequestToken?: string): Promise<void>;
  continueUpdateRollback(stackName: string, clientRequestToken?: string): Promise<void>;
  detectStackDrift(stackName: string): Promise<string>;
  describeStackDriftDetectionStatus(detectionId: string): Promise<{ status: string; driftStatus?: string; reason?: string }>;
}
