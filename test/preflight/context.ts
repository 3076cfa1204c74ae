/** The account context the preflight checks run on, over stubbed port answers (a call a test did not stub rejects, naming it). */
import type { AccountContext } from '../../src/preflight/checks.js';
import type { AccountPreflightPort } from '../../src/aws/preflight.js';
import type { OpsPorts } from '../../src/aws/ops-ports.js';
import { configSchema, type EnvironmentInput } from '../../src/config/schema.js';

export const ACCOUNT = '111122223333';

export function ctx(
  preflight: Partial<AccountPreflightPort>,
  o: {
    env?: EnvironmentInput;
    envName?: string;
    pending?: string[];
    ops?: Partial<OpsPorts['ec2']>;
    outputs?: Record<string, Record<string, string>>;
    actions?: string[];
    caller?: string;
  } = {},
): AccountContext {
  const envName = o.envName ?? 'dev';
  const env = configSchema.parse({
    environments: { [envName]: { region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], ...(o.env ?? {}) } },
  }).environments[envName]!;
  const missing = (name: string) => () => Promise.reject(new Error(`stub: ${name} not expected`));
  return {
    envName,
    env,
    region: 'eu-west-1',
    account: ACCOUNT,
    partition: 'aws',
    pending: new Set(o.pending ?? ['network', 'compute', 'identity', 'monitoring']),
    outputs: (id) => o.outputs?.[id] ?? {},
    preflight: new Proxy(preflight, { get: (t, p: string) => (t as Record<string, unknown>)[p] ?? missing(p) }) as AccountPreflightPort,
    ops: { ec2: { findImages: async () => [], ...(o.ops ?? {}) } } as unknown as OpsPorts,
    operatorActions: o.actions ?? ['ec2:RunInstances', 'cloudformation:CreateChangeSet'],
    callerArn: o.caller ?? `arn:aws:sts::${ACCOUNT}:assumed-role/platform-admin/alice`,
  };
}
