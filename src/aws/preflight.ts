/**
 * The read-only calls of the account preflight (`dpf doctor`, and the blocking part `dpf deploy`
 * runs first): only the calls dpf makes, in dpf's own types. The adapter is sdk-preflight.ts.
 *
 * A call the endpoint does not offer (an emulator) throws NotImplementedByEndpointError; an
 * AccessDenied stays an AccessDenied: the checks turn both into "unknown" with the reason.
 */

export interface KeyInfo {
  arn: string;
  /** AWS (an AWS managed key, e.g. alias/aws/ebs) or CUSTOMER. */
  manager: 'AWS' | 'CUSTOMER';
  state: string;
}

export interface ImageDetail {
  imageId: string;
  name?: string;
  ownerId?: string;
  state: string;
  /** Marketplace product codes of the image (empty for community and Amazon images). */
  productCodes: Array<{ id: string; type: string }>;
}

export interface TrailInfo {
  name: string;
  arn?: string;
  homeRegion?: string;
  multiRegion: boolean;
}

export interface TrailSelectors {
  /** Management events recorded: All, WriteOnly, ReadOnly, or none. */
  management: 'All' | 'WriteOnly' | 'ReadOnly' | 'none';
}

export type DryRunOutcome = { ok: true } | { ok: false; code: string; message: string };

export interface AccountPreflightPort {
  /** EC2 GetEbsDefaultKmsKeyId: the key new volumes get when encrypted without a KmsKeyId (ARN or alias ARN). */
  ebsDefaultKmsKeyId(): Promise<string>;
  /** KMS DescribeKey (by id, ARN or alias). */
  describeKey(keyId: string): Promise<KeyInfo>;
  /** KMS GetKeyPolicy (the "default" policy), parsed. */
  keyPolicy(keyId: string): Promise<unknown>;
  /** KMS ListGrants: the grantee principals and operations of the key's grants. */
  keyGrants(keyId: string): Promise<Array<{ grantee: string; operations: string[] }>>;
  /** EC2 DescribeImages with product codes; [] when not found. */
  describeImages(imageIds: string[]): Promise<ImageDetail[]>;
  /** EC2 RunInstances with DryRun: creates nothing; says whether the launch would be accepted (OptInRequired: no Marketplace subscription). */
  dryRunLaunch(imageId: string, instanceType: string, subnetId?: string): Promise<DryRunOutcome>;
  /** EC2 DescribeInstanceTypeOfferings (availability-zone): for each type, the zones (of those asked) that offer it. */
  instanceTypeOfferings(types: string[], zones: string[]): Promise<Record<string, string[]>>;
  /** EC2 DescribeInstanceTypes: default vCPUs per type. */
  instanceTypeVcpus(types: string[]): Promise<Record<string, number>>;
  /** Running and pending instances: their types. */
  runningInstanceTypes(): Promise<string[]>;
  /** Counts of what the account already has in the region. */
  countAddresses(): Promise<number>;
  countVpcs(): Promise<number>;
  countInternetGateways(): Promise<number>;
  /** Pending/available NAT gateways per availability zone. */
  natGatewaysPerZone(): Promise<Record<string, number>>;
  /** Service Quotas: the applied value (ListServiceQuotas), else the AWS default (ListAWSDefaultServiceQuotas); undefined when neither lists it. */
  serviceQuota(serviceCode: string, quotaCode: string): Promise<number | undefined>;
  /** CloudTrail DescribeTrails (shadow trails of other regions included). */
  describeTrails(): Promise<TrailInfo[]>;
  /** CloudTrail GetTrailStatus: IsLogging. */
  trailLogging(name: string): Promise<boolean>;
  /** CloudTrail GetEventSelectors, reduced to what it records of management events. */
  trailSelectors(name: string): Promise<TrailSelectors>;
  /** IAM GetRole: the role's ARN (with its path). */
  roleArn(roleName: string): Promise<string>;
  /** IAM SimulatePrincipalPolicy for the actions, on any resource: the decision per action. */
  simulate(principalArn: string, actions: string[]): Promise<Array<{ action: string; decision: string }>>;
}
