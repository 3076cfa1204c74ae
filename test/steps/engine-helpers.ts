/**
 * Shared set-up for the engine tests: a FakeCloudFormation on an auto-advancing FakeClock,
 * a recording FakeIoHost, and a deployStack call that needs no StepContext.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeCloudFormation, type FakeCloudFormationOptions } from '../fakes/fake-cloudformation.js';
import { FakeIoHost, type ConfirmAnswer } from '../fakes/fake-io-host.js';
import { deployStack, type DeployStackRequest, type DeployStackResult, type PollSettings } from '../../src/steps/stack-deployer.js';
import { Ledger } from '../../src/state/ledger.js';
import { localLedgerPath } from '../../src/state/store.js';
import { THIS_PROCESS } from '../fakes/fake-settings.js';

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** A small stack: an S3 bucket (2 s in the fake) and an RDS instance (8 s). */
export const BUCKET_AND_DB: Resources = {
  Logs: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'dp-logs' } },
  Db: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceIdentifier: 'dp-db', AllocatedStorage: '20' } },
};

export const BUCKET_AND_DB_OUTPUTS = {
  LogsBucketName: { Value: { Ref: 'Logs' } },
  DbEndpoint: { Value: { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] } },
};

export function templateBody(resources: Resources, outputs: Record<string, { Value: unknown }> = {}): string {
  return JSON.stringify({ Resources: resources, ...(Object.keys(outputs).length ? { Outputs: outputs } : {}) });
}

export interface DeployOptions {
  outputs?: Record<string, { Value: unknown }>;
  stepId?: string;
  poll?: Partial<PollSettings>;
  signal?: AbortSignal;
  onEvidence?: (e: Record<string, unknown>) => Promise<void>;
  /** The ledger knows nothing of the stack (DeployStackRequest.presumedNew). */
  presumedNew?: boolean;
  /** Idempotency tokens (DeployStackRequest.tokens). */
  tokens?: DeployStackRequest['tokens'];
  /** DeployStackRequest.resourcesToCreate: what the template creates. */
  resourcesToCreate?: DeployStackRequest['resourcesToCreate'];
}

export function cfnHarness(options: FakeCloudFormationOptions = {}, answer: ConfirmAnswer = true) {
  const clock = new FakeClock().autoAdvance();
  const cfn = new FakeCloudFormation({ clock, ...options });
  const io = new FakeIoHost(answer);
  const abort = new AbortController();
  let changeSets = 0;
  /** Deploy `resources` as stack `stackName` with the production deployer, no StepContext needed. */
  const deploy = (stackName: string, resources: Resources, o: DeployOptions = {}): Promise<DeployStackResult> =>
    deployStack(
      {
        stepId: o.stepId ?? 'storage.stack',
        stackName,
        templateBody: templateBody(resources, o.outputs),
        parameters: {},
        tags: { 'dpf:env': 'dev' },
        templateOutputs: o.outputs ?? {},
        changeSetName: `dpf-run-${++changeSets}`,
        presumedNew: o.presumedNew,
        tokens: o.tokens,
        resourcesToCreate: o.resourcesToCreate,
      },
      { cfn, clock, io, signal: o.signal ?? abort.signal, poll: o.poll, onEvidence: o.onEvidence },
    );
  return { clock, cfn, io, abort, deploy };
}

/** The ops of the recorded calls, optionally only those after index `from`. */
export function ops(cfn: FakeCloudFormation, from = 0): string[] {
  return cfn.calls.slice(from).map((c) => c.op);
}

export function mutatingOps(cfn: FakeCloudFormation): string[] {
  return cfn.mutatingCalls().map((c) => c.op);
}

/** A fresh ledger in its own temp dir; call cleanup() after the test. */
export async function tempLedger(now: Date) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-engine-'));
  const file = localLedgerPath(dir, 'dev');
  const ledger = await Ledger.open(file, 'dataplatform', 'dev', now, THIS_PROCESS);
  return { dir, file, ledger, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Let queued callbacks (and real file I/O, e.g. ledger writes) run until `cond` holds.
 * Checks on every macrotask turn; gives up after `timeoutMs` of real time.
 */
export async function until(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`until: ${what} never became true`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
