/**
 * Ports for the services the later phases, checks and day-2 commands use. Each lists only
 * the calls dpf makes, in dpf's own types; adapters are in sdk-<service>.ts and are loaded
 * lazily by context.ts. Fakes for tests live in test/fakes/.
 *
 * Conventions: ids and names are strings; times are Date; "not found" is undefined or [],
 * never an exception; tags are Record<string,string>.
 */
import type { ReachabilityPort } from './reachability.js';

// ---------- EC2 ----------
export interface InstanceInfo {
  instanceId: string;
  state: string; // pending | running | stopping | stopped | terminated
  instanceType: string;
  subnetId?: string;
  availabilityZone?: string;
  privateIp?: string;
  publicIp?: string;
  imageId?: string;
  tags: Record<string, string>;
  securityGroupIds: string[];
  /** MetadataOptions.HttpTokens: 'required' means IMDSv2 only. */
  httpTokens?: string;
  volumeIds: string[];
  launchTime?: Date;
}
export interface VolumeInfo {
  volumeId: string;
  encrypted: boolean;
  sizeGb: number;
  state: string;
  attachedTo?: string;
  tags: Record<string, string>;
}
export interface SecurityGroupRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
  groupIds: string[];
}
export interface SecurityGroupInfo {
  groupId: string;
  groupName: string;
  vpcId?: string;
  tags: Record<string, string>;
  ingress: SecurityGroupRule[];
  egress: SecurityGroupRule[];
}
export interface VpcInfo {
  vpcId: string;
  cidr: string;
  tags: Record<string, string>;
}
export interface SubnetInfo {
  subnetId: string;
  vpcId: string;
  cidr: string;
  availabilityZone: string;
  tags: Record<string, string>;
}
export interface NatGatewayInfo {
  natGatewayId: string;
  subnetId?: string;
  state: string;
}
export interface ImageInfo {
  imageId: string;
  name?: string;
  state: string;
  creationDate?: string;
  tags: Record<string, string>;
}
export interface SnapshotInfo {
  snapshotId: string;
  volumeId?: string;
  state: string;
  startTime?: Date;
  tags: Record<string, string>;
}

export interface Ec2Port {
  describeInstances(filters: Record<string, string[]>): Promise<InstanceInfo[]>;
  describeVolumes(volumeIds: string[]): Promise<VolumeInfo[]>;
  describeSecurityGroups(filters: Record<string, string[]>): Promise<SecurityGroupInfo[]>;
  describeVpcs(filters: Record<string, string[]>): Promise<VpcInfo[]>;
  describeSubnets(filters: Record<string, string[]>): Promise<SubnetInfo[]>;
  describeNatGateways(filters: Record<string, string[]>): Promise<NatGatewayInfo[]>;
  createImage(instanceId: string, name: string, tags: Record<string, string>, noReboot: boolean): Promise<string>;
  describeImages(imageIds: string[]): Promise<ImageInfo[]>;
  /** Images owned by `owners` whose name matches `namePattern` (EC2 wildcards), newest first. */
  findImages(owners: string[], namePattern: string): Promise<ImageInfo[]>;
  createSnapshot(volumeId: string, description: string, tags: Record<string, string>): Promise<string>;
  describeSnapshots(snapshotIds: string[]): Promise<SnapshotInfo[]>;
  createSecurityGroup(vpcId: string, name: string, description: string, tags: Record<string, string>): Promise<string>;
  revokeAllEgress(groupId: string): Promise<void>;
  deleteSecurityGroup(groupId: string): Promise<void>;
  /** Zones offered in the client's region (state 'available' only). */
  describeAvailabilityZones(): Promise<string[]>;
}

// ---------- Auto Scaling ----------
export interface AutoScalingGroupInfo {
  name: string;
  min: number;
  max: number;
  desired: number;
  instances: Array<{ instanceId: string; lifecycleState: string; healthStatus: string; availabilityZone?: string }>;
  tags: Record<string, string>;
  subnetIds: string[];
}
export interface AutoScalingPort {
  describeGroup(name: string): Promise<AutoScalingGroupInfo | undefined>;
}

// ---------- RDS ----------
export interface DbInstanceInfo {
  identifier: string;
  arn?: string;
  engine: string;
  engineVersion?: string;
  status: string;
  endpoint?: string;
  port?: number;
  encrypted: boolean;
  publiclyAccessible: boolean;
  multiAz: boolean;
  subnetGroup?: string;
  securityGroupIds: string[];
  parameterGroups: string[];
  backupRetentionDays?: number;
  deletionProtection?: boolean;
  latestRestorableTime?: Date;
  instanceClass?: string;
  tags: Record<string, string>;
  /** KMS key of an encrypted instance (ARN). */
  kmsKeyId?: string;
}
export interface DbSnapshotInfo {
  identifier: string;
  dbInstanceIdentifier: string;
  status: string;
  created?: Date;
  type?: string;
  encrypted?: boolean;
  /** The snapshot's ARN (a cross-region copy names its source by ARN). */
  arn?: string;
  /** KMS key of an encrypted snapshot (ARN). */
  kmsKeyId?: string;
}
export interface CopySnapshotInput {
  /**
   * KMS key in the client's (destination) region. Required by RDS for an encrypted snapshot
   * copied across regions: a KMS key never leaves its region.
   */
  kmsKeyId?: string;
  tags: Record<string, string>;
}
export interface RestoreDbInput {
  targetIdentifier: string;
  subnetGroup: string;
  securityGroupIds: string[];
  parameterGroup?: string;
  instanceClass?: string;
  multiAz?: boolean;
  tags: Record<string, string>;
}
export interface RdsPort {
  describeInstance(identifier: string): Promise<DbInstanceInfo | undefined>;
  describeInstances(): Promise<DbInstanceInfo[]>;
  createSnapshot(instance: string, snapshotId: string, tags: Record<string, string>): Promise<void>;
  describeSnapshots(filter: { instance?: string; snapshotId?: string }): Promise<DbSnapshotInfo[]>;
  restoreFromSnapshot(snapshotId: string, input: RestoreDbInput): Promise<void>;
  restoreToPointInTime(source: string, input: RestoreDbInput & { restoreTime?: Date; useLatestRestorableTime?: boolean }): Promise<void>;
  deleteInstance(identifier: string, opts: { skipFinalSnapshot: boolean; finalSnapshotId?: string }): Promise<void>;
  modifyDeletionProtection(identifier: string, enabled: boolean): Promise<void>;
  /**
   * CopyDBSnapshot INTO the client's region. `source` is the source snapshot's ARN when it lives
   * in another region (the adapter presigns the request for the source region), else its id.
   */
  copySnapshot(source: string, targetSnapshotId: string, input: CopySnapshotInput): Promise<void>;
  /** DeleteDBSnapshot; a snapshot that is already gone counts as deleted. */
  deleteSnapshot(snapshotId: string): Promise<void>;
}

// ---------- EFS ----------
export interface FileSystemInfo {
  fileSystemId: string;
  arn?: string;
  state: string;
  encrypted: boolean;
  kmsKeyId?: string;
  performanceMode?: string;
  throughputMode?: string;
  tags: Record<string, string>;
  sizeBytes?: number;
}
export interface MountTargetInfo {
  mountTargetId: string;
  fileSystemId: string;
  subnetId: string;
  state: string;
  ipAddress?: string;
}
export interface EfsPort {
  describeFileSystems(fileSystemId?: string): Promise<FileSystemInfo[]>;
  describeMountTargets(fileSystemId: string): Promise<MountTargetInfo[]>;
  deleteFileSystem(fileSystemId: string): Promise<void>;
  deleteMountTarget(mountTargetId: string): Promise<void>;
  /** TagResource (adds or overwrites the given tags): a restored file system gets dpf's tags this way (AWS Backup's EFS restore takes none). */
  tagFileSystem(fileSystemId: string, tags: Record<string, string>): Promise<void>;
}

// ---------- AWS Backup ----------
export interface RecoveryPointInfo {
  arn: string;
  resourceArn?: string;
  resourceType?: string;
  status: string;
  created?: Date;
  completed?: Date;
  vault: string;
}
export interface BackupJobInfo {
  jobId: string;
  state: string;
  resourceArn?: string;
  recoveryPointArn?: string;
  created?: Date;
  completed?: Date;
  statusMessage?: string;
}
export interface BackupVaultInfo {
  name: string;
  arn?: string;
  recoveryPoints?: number;
  locked?: boolean;
}
export interface BackupPort {
  /** DescribeBackupVault; undefined when the vault does not exist. */
  describeVault(vault: string): Promise<BackupVaultInfo | undefined>;
  describePlan(
    planId: string,
  ): Promise<{ planId: string; name: string; rules: Array<{ name: string; schedule?: string; deleteAfterDays?: number }> } | undefined>;
  listRecoveryPoints(vault: string, resourceArn?: string): Promise<RecoveryPointInfo[]>;
  /** `idempotencyToken`: a repeat with the same token starts no second job (default: one per call, so SDK retries share it). */
  startBackupJob(vault: string, resourceArn: string, iamRoleArn: string, idempotencyToken?: string): Promise<string>;
  describeBackupJob(jobId: string): Promise<BackupJobInfo>;
  startRestoreJob(
    recoveryPointArn: string,
    iamRoleArn: string,
    metadata: Record<string, string>,
    resourceType: string,
    idempotencyToken?: string,
  ): Promise<string>;
  describeRestoreJob(
    jobId: string,
  ): Promise<{ jobId: string; status: string; createdResourceArn?: string; statusMessage?: string; created?: Date; completed?: Date }>;
  /** DeleteRecoveryPoint (asynchronous: the point goes DELETING, then disappears); already gone counts as deleted. */
  deleteRecoveryPoint(vault: string, recoveryPointArn: string): Promise<void>;
  /** DeleteBackupVault (the vault must be empty); a vault that is already gone counts as deleted. */
  deleteBackupVault(vault: string): Promise<void>;
}

// ---------- CloudWatch / SNS ----------
export interface AlarmInfo {
  name: string;
  state: string;
  reason?: string;
  metricName?: string;
  namespace?: string;
  threshold?: number;
  dimensions: Record<string, string>;
  actions: string[];
}
export interface CloudWatchPort {
  describeAlarms(names?: string[], prefix?: string): Promise<AlarmInfo[]>;
  /** Datapoints of one metric over the last `minutes`, newest first. */
  getMetric(
    namespace: string,
    metric: string,
    dimensions: Record<string, string>,
    minutes: number,
    stat?: string,
  ): Promise<Array<{ timestamp: Date; value: number }>>;
  listMetrics(namespace: string, metric?: string): Promise<Array<{ metric: string; dimensions: Record<string, string> }>>;
}
export interface SnsPort {
  listSubscriptions(topicArn: string): Promise<Array<{ arn: string; protocol: string; endpoint: string; pendingConfirmation: boolean }>>;
}

// ---------- S3 (inspection, beyond ObjectStorePort) ----------
export interface BucketSecurity {
  exists: boolean;
  versioning?: string;
  encryption?: string;
  publicAccessBlocked?: boolean;
  policyDeniesInsecureTransport?: boolean;
}
export interface BucketInspectPort {
  inspect(bucket: string): Promise<BucketSecurity>;
  emptyAndDelete(bucket: string): Promise<void>;
}

// ---------- SSM ----------
export interface SendCommandInput {
  documentName: string;
  parameters: Record<string, string[]>;
  /** Tag targets, e.g. { 'dpf:env': ['dev'], 'dpf:role': ['worker'] } — or instance ids. */
  targets?: Record<string, string[]>;
  instanceIds?: string[];
  maxConcurrency: string;
  maxErrors: string;
  timeoutSeconds: number;
  outputS3Bucket?: string;
  outputS3KeyPrefix?: string;
  comment?: string;
}
export interface CommandStatus {
  commandId: string;
  status: string;
  targetCount?: number;
  completedCount?: number;
  errorCount?: number;
}
export interface InvocationResult {
  commandId: string;
  instanceId: string;
  status: string; // Pending | InProgress | Success | Failed | TimedOut | Cancelled | DeliveryTimedOut | ExecutionTimedOut
  responseCode?: number;
  stdout: string;
  stderr: string;
  outputS3Url?: string;
}
export interface ManagedInstance {
  instanceId: string;
  pingStatus: string;
  platform?: string;
  agentVersion?: string;
  lastPing?: Date;
}
/** One State Manager association's latest run on one instance. */
export interface InstanceAssociationStatus {
  associationId: string;
  associationName?: string;
  documentName: string;
  status: string;
  detailedStatus?: string;
  executionDate?: Date;
  executionSummary?: string;
}
export interface SsmPort {
  /**
   * SendCommand. It has no idempotency token: the adapter never repeats it after a lost answer
   * or a 5xx (the SDK retries only what was refused: throttling, no connection). The caller puts
   * a marker in `comment` and, after an error, looks for it with findCommandByMarker.
   */
  sendCommand(input: SendCommandInput): Promise<string>;
  /** The id of the command (of `documentName`, sent after `since`) whose Comment holds `marker`, if any (ListCommands). */
  findCommandByMarker(marker: string, opts: { documentName?: string; since: Date }): Promise<string | undefined>;
  getCommand(commandId: string): Promise<CommandStatus>;
  /** Per-instance results of a command (the instances it targeted). */
  listInvocations(commandId: string): Promise<InvocationResult[]>;
  getInvocation(commandId: string, instanceId: string): Promise<InvocationResult>;
  /** Throws an error named 'NotImplementedByEndpoint' where the endpoint (an emulator) lacks the call: report "unknown". */
  describeInstanceInformation(instanceIds?: string[]): Promise<ManagedInstance[]>;
  /** The associations that ran (or are to run) on an instance, with their latest status. Throws 'NotImplementedByEndpoint' like describeInstanceInformation. */
  describeInstanceAssociationsStatus(instanceId: string): Promise<InstanceAssociationStatus[]>;
  getParameter(name: string): Promise<string | undefined>;
  putParameter(name: string, value: string, overwrite: boolean): Promise<void>;
}

// ---------- Secrets Manager ----------
/** Only names, never values: dpf reads no secret itself (nodes read theirs at run time). */
export interface SecretsPort {
  /** Names of the secrets whose name starts with `prefix`. */
  listSecretNames(prefix: string): Promise<string[]>;
  /** DeleteSecret without a recovery window; a secret that is already gone counts as deleted. */
  deleteSecretNow(name: string): Promise<void>;
}

export interface OpsPorts {
  ec2: Ec2Port;
  /** VPC Reachability Analyzer (the go-live connectivity check). */
  reachability: ReachabilityPort;
  autoscaling: AutoScalingPort;
  rds: RdsPort;
  efs: EfsPort;
  backup: BackupPort;
  cloudwatch: CloudWatchPort;
  sns: SnsPort;
  buckets: BucketInspectPort;
  ssm: SsmPort;
  secrets: SecretsPort;
}
