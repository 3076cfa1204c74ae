/**
 * The AWS port factory: ports for a region, each built on first use, so nothing here loads the
 * AWS SDK until a command really calls AWS (`dpf --help`, `init` and offline `status` never do).
 * Every port comes wrapped so AWS exceptions come out explained (./explain.ts).
 */
import type { AwsPorts } from './ports.js';
import type { AwsSettings } from './profile.js';
import { AWS_ITSELF, type Endpoint } from './endpoint.js';
import { explainAwsError, type AwsErrorContext } from './explain.js';

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

export interface PortFactoryOptions {
  /**
   * The profile/region/endpoint conventions (./profile.ts), resolved before the first client is
   * made: the profile's endpoint_url must be in effect by then.
   */
  awsSettings?: () => Promise<AwsSettings | undefined>;
  /** The endpoint the SDK uses (src/settings.ts). Default: AWS itself. */
  endpoint?: Endpoint;
}

export function sdkPorts(region: string, o: PortFactoryOptions = {}): AwsPorts {
  const endpoint = o.endpoint ?? AWS_ITSELF;
  let errCtx: AwsErrorContext = { endpointUrl: endpoint.url };
  const cfg = memo(async () => {
    const s = await o.awsSettings?.();
    if (s) errCtx = { profile: s.profile, profileNamed: s.profileNamed, endpointUrl: endpoint.url };
    return (await import('./clients.js')).clientConfig({ region, endpoint });
  });
  const wrap = <T extends object>(port: T, what: string) => explained(port, what, errCtx);
  return {
    region,
    cfn: memo(async () => {
      const [{ CloudFormationClient }, { SdkCloudFormation }] = await Promise.all([
        import('@aws-sdk/client-cloudformation'),
        import('./sdk-cloudformation.js'),
      ]);
      const c = await cfg();
      return wrap(new SdkCloudFormation(new CloudFormationClient(c)), 'CloudFormation');
    }),
    identity: memo(async () => {
      const [{ STSClient }, { SdkIdentity }] = await Promise.all([import('@aws-sdk/client-sts'), import('./sdk-identity.js')]);
      const c = await cfg();
      return wrap(new SdkIdentity(new STSClient(c)), 'STS');
    }),
    objects: memo(async () => {
      const [{ S3Client }, { SdkObjectStore }, { s3ClientConfig }] = await Promise.all([
        import('@aws-sdk/client-s3'),
        import('./sdk-state.js'),
        import('./clients.js'),
      ]);
      const c = await cfg();
      return wrap(new SdkObjectStore(new S3Client(s3ClientConfig(c, endpoint))), 'S3');
    }),
    leaseStore: async (table, env) => {
      const [{ DynamoDBClient }, { DynamoLeaseStore }] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('./sdk-state.js')]);
      const c = await cfg();
      return wrap(new DynamoLeaseStore(new DynamoDBClient(c), table, env), 'DynamoDB');
    },
    ops: memo(async () => {
      const c = await cfg();
      return (await import('./sdk-ops.js')).createOpsPorts(c, wrap, endpoint);
    }),
    preflight: memo(async () => wrap((await import('./sdk-preflight.js')).createPreflightPort(await cfg(), endpoint), 'preflight')),
  };
}
