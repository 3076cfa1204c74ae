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
import { explainAwsError, type AwsErrorContext } from './errors.js';
import type { AwsSettings } from './aws/profile.js';

export interface GlobalOptions {
  env?: string;
  profile?: string;
  region?: string;
  config: string;
  json: boolean;
  yes: boolean;
  verbose: boolean;
  /** Colour for what the command prints on stdout (decided for stdout, not stderr). */
  color: boolean | number;
  /** Only warnings, failures and results (--quiet). Default false. */
  quiet?: boolean;
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
export function explained<T extends object>(port: T, what: string, aws: AwsErrorContext = {}): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => unknown).apply(target, args);
        } catch (err) {
          throw explainAwsError(err, `calling ${what}.${String(prop)}`, aws);
        }
      };
    },
  });
}

/**
 * @param settings the profile/region/endpoint conventions (src/aws/profile.ts), resolved before
 *   the first client is made: the profile's endpoint_url must be in effect by then.
 */
export function sdkPorts(region: string, settings: () => Promise<AwsSettings | undefined> = async () => undefined): AwsPorts {
  let errCtx: AwsErrorContext = {};
  const cfg = memo(async () => {
    const s = await settings();
    if (s) errCtx = { profile: s.profile, profileNamed: s.profileNamed, endpointUrl: s.endpointUrl };
    return (await import('./aws/clients.js')).clientConfig({ region });
  });
  const wrap = <T extends object>(port: T, what: string) => explained(port, what, errCtx);
  return {
    region,
    cfn: memo(async () => {
      const [{ CloudFormationClient }, { SdkCloudFormation }] = await Promise.all([import('@aws-sdk/client-cloudformation'), import('./aws/sdk-cloudformation.js')]);
      const c = await cfg();
      return wrap(new SdkCloudFormation(new CloudFormationClient(c)), 'CloudFormation');
    }),
    identity: memo(async () => {
      const [{ STSClient }, { SdkIdentity }] = await Promise.all([import('@aws-sdk/client-sts'), import('./aws/sdk-state.js')]);
      const c = await cfg();
      return wrap(new SdkIdentity(new STSClient(c)), 'STS');
    }),
    objects: memo(async () => {
      const [{ S3Client }, { SdkObjectStore }, { usesCustomEndpoint }] = await Promise.all([import('@aws-sdk/client-s3'), import('./aws/sdk-state.js'), import('./aws/clients.js')]);
      const c = await cfg();
      return wrap(new SdkObjectStore(new S3Client({ ...c, forcePathStyle: usesCustomEndpoint() })), 'S3');
    }),
    leaseStore: async (table, env) => {
      const [{ DynamoDBClient }, { DynamoLeaseStore }] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('./aws/sdk-state.js')]);
      const c = await cfg();
      return wrap(new DynamoLeaseStore(new DynamoDBClient(c), table, env), 'DynamoDB');
    },
    ops: memo(async () => {
      const c = await cfg();
      return (await import('./aws/sdk-ops.js')).createOpsPorts(c, wrap);
    }),
    preflight: memo(async () => wrap((await import('./aws/sdk-preflight.js')).createPreflightPort(await cfg()), 'preflight')),
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
  /**
   * The AWS CLI conventions in effect (profile, region chain, endpoint), read on first use from the
   * flags, the environment and ~/.aws (src/aws/profile.ts). Absent in tests that inject ports.
   */
  awsSettings?: () => Promise<AwsSettings>;
  /** Where command output (tables, JSON) goes. */
  stdout: (text: string) => void;
  isTTY: boolean;
  /** Exit with this code although the command succeeded (`dpf plan`: 2 = changes pending). */
  exitCode?: (code: number) => void;
}
