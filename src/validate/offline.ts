/**
 * A StepContext that computes parameters without AWS: outputs of earlier steps are placeholders
 * ("@output/<step>/<key>": characters every consumer accepts, ExtraVariables included) and the few read-only lookups parameter computation makes (an
 * instance's private IP, an AMI) answer with fixed placeholder values. Anything else a step
 * asks of AWS throws, naming the call, so a new lookup cannot silently reach the network.
 */
import type { AwsPorts } from '../aws/ports.js';
import type { OpsPorts, InstanceInfo, ImageInfo } from '../aws/ops-ports.js';
import type { Ledger, LedgerData, StepRecord } from '../state/ledger.js';
import type { EnvContext, StepContext, StepDef } from '../steps/types.js';
import { emptyLedger } from '../state/ledger.js';
import { loadTemplate } from '../templates/registry.js';
import type { Clock } from '../clock.js';
import type { IoHost } from '../io/host.js';
import type { Settings } from '../settings.js';
import { AWS_ITSELF } from '../aws/endpoint.js';

export const OFFLINE_IMAGE = 'ami-0000000000offline';
export const OFFLINE_PRIVATE_IP = '10.0.11.10';
const EPOCH = new Date('2025-01-01T00:00:00Z');

export function outputPlaceholder(stepId: string, key: string): string {
  return `@output/${stepId}/${key}`;
}

/** True when a rendered value still holds a placeholder (another step's output, or the renderer's "{{Ref:X}}"): its real value is not known offline. */
export function holdsPlaceholder(value: string): boolean {
  return value.includes('{{') || value.includes('@output/');
}

/** "@output/compute.stack/MasterInstanceId" → ["compute.stack", "MasterInstanceId"]. */
export function parseOutputPlaceholder(value: unknown): [string, string] | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^@output\/([^/]+)\/([^/]+)$/.exec(value);
  return m ? [m[1]!, m[2]!] : undefined;
}

function refuse(what: string): never {
  throw new Error(`offline rendering: a step called ${what}, which needs AWS (add an offline answer in src/validate/offline.ts)`);
}

function strictPort<T extends object>(name: string, answers: Partial<T>): T {
  return new Proxy(answers as T, {
    get(target, prop) {
      if (prop in target) return (target as Record<PropertyKey, unknown>)[prop];
      if (prop === 'then') return undefined;
      return () => refuse(`${name}.${String(prop)}`);
    },
  });
}

const instance: InstanceInfo = {
  instanceId: 'i-0000000000offline',
  state: 'running',
  instanceType: 't3.medium',
  privateIp: OFFLINE_PRIVATE_IP,
  tags: {},
  securityGroupIds: [],
  volumeIds: [],
};
const image: ImageInfo = { imageId: OFFLINE_IMAGE, name: 'offline placeholder image', state: 'available', tags: {} };

function offlinePorts(region: string): AwsPorts {
  const ops = {
    ec2: strictPort('EC2', { describeInstances: async () => [instance], findImages: async () => [image] }),
    ssm: strictPort('SSM', { getParameter: async () => OFFLINE_IMAGE }),
    rds: strictPort('RDS', {}),
    autoscaling: strictPort('AutoScaling', {}),
    efs: strictPort('EFS', {}),
    backup: strictPort('Backup', {}),
    cloudwatch: strictPort('CloudWatch', {}),
    sns: strictPort('SNS', {}),
    buckets: strictPort('S3', {}),
  } as unknown as OpsPorts;
  return {
    region,
    cfn: async () => refuse('CloudFormation'),
    identity: async () => refuse('STS'),
    objects: async () => refuse('S3'),
    leaseStore: async () => refuse('DynamoDB'),
    ops: async () => ops,
    preflight: async () => refuse('the account preflight'),
  };
}

/** A read-only ledger in which every stack step is done with placeholder outputs. */
function offlineLedger(envCtx: EnvContext, steps: StepDef[]): Ledger {
  const data: LedgerData = emptyLedger(envCtx.project, envCtx.name, EPOCH);
  for (const s of steps) {
    const outputs: Record<string, string> = {};
    if (s.stack) for (const key of Object.keys(loadTemplate(s.stack.template).outputs)) outputs[key] = outputPlaceholder(s.id, key);
    const record: StepRecord = { id: s.id, phase: s.phase, status: 'done', outputs, attempts: 1, evidence: {} };
    data.steps[s.id] = record;
  }
  const p = envCtx.env.compute.imageParameter;
  if (!p.startsWith('ami-')) data.facts[`ami:${p}`] = OFFLINE_IMAGE;
  const ledger = {
    file: '(offline)',
    data,
    get: (id: string) => data.steps[id],
    outputs: (id: string) => data.steps[id]?.outputs ?? {},
    update: async () => refuse('the ledger (a write)'),
    updateStep: async () => refuse('the ledger (a write)'),
  };
  return ledger as unknown as Ledger;
}

/** No process behind an offline rendering: AWS itself, no poll or hold, and a host that owns nothing. */
const OFFLINE_SETTINGS: Settings = { endpoint: AWS_ITSELF, path: [], process: { pid: 0, host: '(offline)', isAlive: () => false } };

export function offlineContext(envCtx: EnvContext, steps: StepDef[]): (step: StepDef) => StepContext {
  const ledger = offlineLedger(envCtx, steps);
  const aws = offlinePorts(envCtx.region);
  const clock: Clock = { now: () => EPOCH, sleep: async () => refuse('the clock (a wait)') };
  const io: IoHost = { notify: () => undefined, confirm: async () => false };
  return (step) => ({
    stepId: step.id,
    attempt: 1,
    envCtx,
    ledger,
    aws,
    io,
    clock,
    signal: new AbortController().signal,
    settings: OFFLINE_SETTINGS,
    output(stepId, key) {
      const v = ledger.outputs(stepId)[key];
      if (v === undefined) throw new Error(`offline rendering: ${step.id} needs output ${key} of ${stepId}, which no step declares`);
      return v;
    },
    progress: () => undefined,
    evidence: async () => undefined,
  });
}
