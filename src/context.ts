/**
 * The factory of a command's dependencies (GitHub CLI's way): IO host, clock, config and
 * AWS ports, each created on first use. Nothing here imports the AWS SDK at load time, so
 * `dpf --help`, `--version`, `init` and offline `status` never load it.
 */
import type { Clock } from './clock.js';
import type { IoHost } from './steps/events.js';
import type { CloudFormationPort } from './aws/cloudformation.js';
import type { IdentityPort, ObjectStorePort } from './aws/ports.js';
import type { LeaseStore } from './state/lock.js';
import type { OpsPorts } from './aws/ops-ports.js';
import type { AccountPreflightPort } from './aws/preflight.js';
import { explainAwsError } from './errors.js';

export interface GlobalOptions {
  env?: string;
  profile?: string;
  region?: string;
  config: string;
  json: boolean;
  yes: boolean;
  verbose: boolean;
  color: boolean;
  /** AWS_ENDPOINT_URL when set (an emulator): shown by the preflight. */
  endpoint?: string;
}

/** AWS behind small ports; each getter loads its SDK client on first use. */
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

function memo<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

/** Wrap every async method of a port so AWS exceptions come out explained (credentials, network). */
export function explained<T extends object>(port: T, what: string): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => unknown).apply(target, args);
        } catch (err) {
          throw explainAwsError(err, `calling ${what}.${String(prop)}`);
        }
      };
    },
  });
}

export function sdkPorts(region: string, profile?: string): AwsPorts {
  const cfg = memo(async () => (await import('./aws/clients.js')).clientConfig({ region, profile }));
  return {
    region,
    cfn: memo(async () => {
      const [{ CloudFormationClient }, { SdkCloudFormation }] = await Promise.all([import('@aws-sdk/client-cloudformation'), import('./aws/sdk-cloudformation.js')]);
      return explained(new SdkCloudFormation(new CloudFormationClient(await cfg())), 'CloudFormation');
    }),
    identity: memo(async () => {
      const [{ STSClient }, { SdkIdentity }] = await Promise.all([import('@aws-sdk/client-sts'), import('./aws/sdk-state.js')]);
      return explained(new SdkIdentity(new STSClient(await cfg())), 'STS');
    }),
    objects: memo(async () => {
      const [{ S3Client }, { SdkObjectStore }, { usesCustomEndpoint }] = await Promise.all([import('@aws-sdk/client-s3'), import('./aws/sdk-state.js'), import('./aws/clients.js')]);
      return explained(new SdkObjectStore(new S3Client({ ...(await cfg()), forcePathStyle: usesCustomEndpoint() })), 'S3');
    }),
    leaseStore: async (table, env) => {
      const [{ DynamoDBClient }, { DynamoLeaseStore }] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('./aws/sdk-state.js')]);
      return explained(new DynamoLeaseStore(new DynamoDBClient(await cfg()), table, env), 'DynamoDB');
    },
    ops: memo(async () => (await import('./aws/sdk-ops.js')).createOpsPorts(await cfg(), explained)),
    preflight: memo(async () => explained((await import('./aws/sdk-preflight.js')).createPreflightPort(await cfg()), 'preflight')),
  };
}

export interface CommandContext {
  globals: GlobalOptions;
  io: IoHost;
  clock: Clock;
  /** Aborted on Ctrl-C / SIGTERM: work stops at the next safe point. */
  signal: AbortSignal;
  /** AWS ports for a region (built lazily; tests inject fakes here). */
  aws(region: string): AwsPorts;
  /** Where command output (tables, JSON) goes. */
  stdout: (text: string) => void;
  isTTY: boolean;
}
