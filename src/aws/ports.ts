/** Small ports for the non-CloudFormation calls dpf makes. Adapters live in sdk-*.ts. */
import type { LockHolder } from '../errors.js';
import type { CloudFormationPort } from './cloudformation.js';
import type { OpsPorts } from './ops-ports.js';
import type { AccountPreflightPort } from './preflight.js';
export interface IdentityPort {
  /** STS GetCallerIdentity. */
  whoami(): Promise<{ account: string; arn: string; userId: string }>;
}

export interface ObjectStorePort {
  getText(bucket: string, key: string): Promise<string | undefined>;
  putText(bucket: string, key: string, body: string, contentType?: string): Promise<{ versionId?: string }>;
  putBytes(bucket: string, key: string, body: Uint8Array, contentType?: string): Promise<{ versionId?: string }>;
  exists(bucket: string, key: string): Promise<boolean>;
  listKeys(bucket: string, prefix: string): Promise<string[]>;
}

export interface Lease extends LockHolder {
  env: string;
  token: string;
}

export type AcquireResult = { ok: true } | { ok: false; holder: Lease };

/** The lease port: the local lock file (src/state/lock.ts) and the DynamoDB table (sdk-state.ts) implement it. */
export interface LeaseStore {
  readonly where: string;
  tryAcquire(lease: Lease, now: Date, canTakeOver: (holder: Lease) => boolean): Promise<AcquireResult>;
  renew(lease: Lease): Promise<boolean>;
  release(lease: Lease): Promise<void>;
  read(): Promise<Lease | undefined>;
  forceRelease(): Promise<void>;
}

/** AWS behind small ports; each getter loads its SDK client on first use (the factory: ./factory.ts). */
export interface AwsPorts {
  region: string;
  cfn(): Promise<CloudFormationPort>;
  identity(): Promise<IdentityPort>;
  objects(): Promise<ObjectStorePort>;
  leaseStore(table: string, env: string): Promise<LeaseStore>;
  ops(): Promise<OpsPorts>;
  /** Read-only account checks (dpf doctor, the deploy preflight). */
  preflight(): Promise<AccountPreflightPort>;
}
