/**
 * Test helper: what a deploy step really consumes, found by running it. Each stack and playbook
 * step is prepared (its parameter, variable and target functions run) against a recording
 * context: every ledger output read (required or optional), every EC2 lookup of instances by
 * their dpf:role tag, and the reads each kind makes when it runs (PLAYBOOK_RUN_READS; a template
 * over CloudFormation's body limit is uploaded to the state bucket). Run twice: with every
 * output in the ledger, and with the optional ones missing (their fallbacks read other keys).
 */
import type { StepContext, StepDef, EnvContext } from '../../src/steps/types.js';
import type { EnvironmentConfig } from '../../src/config/schema.js';
import { PLAYBOOK_RUN_READS } from '../../src/steps/kinds/playbook.js';
import { TEMPLATE_BODY_LIMIT } from '../../src/steps/kinds/stack.js';
import { loadTemplate, type TemplateName } from '../../src/templates/registry.js';
import type { HostRole } from '../../src/steps/contracts.js';

export interface Consumption {
  /** Producer step → output keys read. */
  reads: Map<string, Set<string>>;
  /** Host roles whose instances were looked up by tag. */
  instances: Set<HostRole>;
}

/** A plausible value for an output: enough for the parameter and variable functions to pass their own checks. */
function fakeOutput(key: string): string {
  if (/InstanceId$/.test(key)) return 'i-0123456789abcdef0';
  const known: Record<string, string> = {
    HostedZoneId: 'Z0123456789ABCDEFGHIJ',
    EfsFileSystemId: 'fs-0123456789abcdef0',
    EfsAccessPointId: 'fsap-0123456789abcdef0',
    DbEndpointAddress: 'dataplatform-dev-metadata.abcdefghij.us-west-2.rds.amazonaws.com',
    DbSecretArn: 'arn:aws:secretsmanager:us-west-2:111122223333:secret:rds!db-0123-AbCdEf',
    StateBucketName: 'dataplatform-dev-dpf-state-111122223333',
    VaultArn: 'arn:aws:backup:us-east-1:111122223333:backup-vault:dataplatform-dev-dr-vault',
  };
  return known[key] ?? `${key.toLowerCase()}-value`;
}

/** The dpf:role tag values → the host roles of the prerequisite model. */
const TAG_ROLES: Record<string, HostRole[]> = {
  bastion: ['bastion'],
  master: ['master'],
  dev: ['dev'],
  worker: ['worker'],
  identity: ['ipa-server', 'ipa-replica'],
};

function recordingContext(step: StepDef, env: EnvironmentConfig, optionalPresent: boolean, into: Consumption): StepContext {
  const note = (producer: string, key: string) => {
    if (!into.reads.has(producer)) into.reads.set(producer, new Set());
    into.reads.get(producer)!.add(key);
  };
  const data = { facts: {} as Record<string, string>, steps: {} };
  const ledger = {
    data,
    outputs: (producer: string) =>
      new Proxy({} as Record<string, string>, {
        get(_t, key) {
          if (typeof key !== 'string') return undefined;
          note(producer, key);
          return optionalPresent ? fakeOutput(key) : undefined;
        },
      }),
    async update(mutate: (d: typeof data) => void) {
      mutate(data);
    },
    get: () => undefined,
  };
  const ec2 = {
    async describeInstances(filters: Record<string, string[]>) {
      for (const tag of filters['tag:dpf:role'] ?? []) for (const r of TAG_ROLES[tag] ?? []) into.instances.add(r);
      return [{ instanceId: 'i-0fedcba9876543210', privateIp: '10.0.11.10', state: 'running', tags: {} }];
    },
    findImages: async () => [{ imageId: 'ami-0123456789abcdef0', name: 'Rocky-9-EC2-Base-9.4' }],
  };
  const ops = {
    ec2,
    rds: { describeInstance: async () => ({ endpoint: fakeOutput('DbEndpointAddress'), status: 'available' }) },
    ssm: { getParameter: async (name: string) => (name.includes('secret') ? fakeOutput('DbSecretArn') : 'ami-0123456789abcdef0') },
  };
  const envCtx: EnvContext = {
    project: 'dataplatform',
    name: 'dev',
    env,
    region: env.region,
    accountId: '111122223333',
    operator: 'probe',
    runId: 'probe-run',
  };
  return {
    stepId: step.id,
    envCtx,
    ledger: ledger as unknown as StepContext['ledger'],
    aws: { ops: async () => ops } as unknown as StepContext['aws'],
    io: { notify: () => undefined } as unknown as StepContext['io'],
    clock: { now: () => new Date('2026-01-01T00:00:00Z') } as unknown as StepContext['clock'],
    signal: new AbortController().signal,
    attempt: 1,
    output(producer, key) {
      note(producer, key);
      return fakeOutput(key);
    },
    progress: () => undefined,
    evidence: async () => undefined,
  };
}

/** What a stack or playbook step consumes (checks are not probed: they only inspect). */
export async function consumptionOf(step: StepDef, env: EnvironmentConfig): Promise<Consumption> {
  const c: Consumption = { reads: new Map(), instances: new Set() };
  for (const optionalPresent of [true, false]) await step.prepare(recordingContext(step, env, optionalPresent, c));
  const add = (producer: string, keys: readonly string[]) => {
    if (!c.reads.has(producer)) c.reads.set(producer, new Set());
    for (const k of keys) c.reads.get(producer)!.add(k);
  };
  if (step.kind === 'playbook') for (const [producer, keys] of Object.entries(PLAYBOOK_RUN_READS)) add(producer, keys);
  if (step.stack && loadTemplate(step.stack.template as TemplateName).body.length > TEMPLATE_BODY_LIMIT) add('bootstrap.state', ['StateBucketName']);
  return c;
}
