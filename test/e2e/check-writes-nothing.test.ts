/**
 * `--check`, `--dry-run` and `plan` change nothing: the local ledger (bytes), the ledger copy in
 * the state bucket, the stacks (status, parameters, last update), their change sets, the lock
 * table, the SSM parameters and the objects of the state bucket are snapshotted around every
 * such path, before any deploy and after a full one, and must be identical.
 * (What these paths do leave, by design: SSM commands sent with Check=True, and their output
 * under ssm-output/ on AWS — evidence of the check, not state; they are left out of the snapshot.)
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, ListStacksCommand, DescribeStacksCommand, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { S3Client, ListObjectsV2Command, HeadObjectCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, ScanCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SSMClient, GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { startEmulator, dpf, workdir, sdkConfig, type Emulator } from './harness.js';
import { CHECK_TIME_BUCKET_MS } from '../../src/steps/kinds/check.js';

let em: Emulator;
beforeAll(async () => {
  em = await startEmulator();
});
afterAll(async () => {
  await em?.stop();
});

async function awsState(env: string) {
  const cfn = new CloudFormationClient(sdkConfig(em));
  const live = ((await cfn.send(new ListStacksCommand({}))).StackSummaries ?? []).filter(
    (s) => s.StackName?.startsWith(`dataplatform-${env}-`) && s.StackStatus !== 'DELETE_COMPLETE',
  );
  const stacks: Record<string, unknown> = {};
  for (const s of live) {
    const d = (await cfn.send(new DescribeStacksCommand({ StackName: s.StackName }))).Stacks![0]!;
    const cs = (await cfn.send(new ListChangeSetsCommand({ StackName: s.StackName }))).Summaries ?? [];
    stacks[s.StackName!] = {
      status: d.StackStatus,
      updated: String(d.LastUpdatedTime ?? d.CreationTime),
      parameters: d.Parameters,
      changeSets: cs.map((c) => [c.ChangeSetName, c.ExecutionStatus]),
    };
  }
  const s3 = new S3Client(sdkConfig(em));
  const bucket = `dataplatform-${env}-dpf-state-123456789012`;
  const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name).filter((n) => n?.startsWith(`dataplatform-${env}-`));
  let objects: unknown[] = [];
  let ledgerEtag: string | undefined;
  if (buckets.includes(bucket)) {
    objects = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [])
      .filter((o) => !o.Key!.startsWith('ssm-output/'))
      .map((o) => [o.Key, o.ETag, o.Size]);
    ledgerEtag = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `ledger/${env}/ledger.json` })).catch(() => undefined))?.ETag;
  }
  const ddb = new DynamoDBClient(sdkConfig(em));
  const table = `dataplatform-${env}-dpf-lock`;
  const tables = (await ddb.send(new ListTablesCommand({}))).TableNames ?? [];
  const locks = tables.includes(table) ? ((await ddb.send(new ScanCommand({ TableName: table }))).Items ?? []) : 'no table';
  const params = (
    (await new SSMClient(sdkConfig(em)).send(new GetParametersByPathCommand({ Path: `/dataplatform/${env}`, Recursive: true }))).Parameters ?? []
  ).map((p) => [p.Name, p.Value, p.Version]);
  return { stacks, buckets, objects, ledgerEtag, locks, params };
}

function localState(dir: string, env: string) {
  const file = path.join(dir, '.dpf', env, 'ledger.json');
  return { ledger: existsSync(file) ? readFileSync(file, 'utf8') : 'absent', lock: existsSync(path.join(dir, '.dpf', env, 'lock.json')) };
}

const PATHS: Array<[string, (env: string) => string[]]> = [
  ['deploy --check', (env) => ['deploy', '--env', env, '--check', '--yes']],
  ['deploy --check --refresh-ami', (env) => ['deploy', '--env', env, '--check', '--refresh-ami', '--yes']],
  ['deploy --phase identity --check', (env) => ['deploy', '--env', env, '--phase', 'identity', '--check', '--yes']],
  ['plan', (env) => ['plan', '--env', env]],
  ['patch --dry-run', (env) => ['patch', '--env', env, '--dry-run', '--yes']],
];

describe('GIVEN an environment never deployed', () => {
  it.each(PATHS.filter(([name]) => !name.startsWith('patch') && !name.includes('--phase')))(
    'WHEN %s runs THEN nothing is created, in AWS or on disk',
    { timeout: 120_000 },
    async (name, argv) => {
      const dir = workdir('dpf-check-');
      const env = 'ck0';
      expect((await dpf(em, ['init', '--env', env, '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
      const before = { aws: await awsState(env), local: localState(dir, env) };
      const r = await dpf(em, argv(env), { cwd: dir });
      // Everything is still to create: `dpf plan` says "changes pending" with exit 2 (terraform's -detailed-exitcode).
      expect(r.code, r.all).toBe(name === 'plan' ? 2 : 0);
      expect({ aws: await awsState(env), local: localState(dir, env) }).toEqual(before);
    },
  );
});

describe('GIVEN a deployed environment', () => {
  let dir: string;
  const env = 'ck1';
  /** The 15-minute bucket a check's verdict is fresh for (src/steps/kinds/check.ts), when the deploy began. */
  let deployedIn: number;
  const bucket = () => Math.floor(Date.now() / CHECK_TIME_BUCKET_MS);
  beforeAll(async () => {
    dir = workdir('dpf-check-');
    expect((await dpf(em, ['init', '--env', env, '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    deployedIn = bucket();
    const r = await dpf(em, ['deploy', '--env', env, '--yes'], { cwd: dir, timeout: 300_000 });
    expect(r.code, r.all).toBe(0);
  }, 320_000);

  it.each(PATHS)(
    'WHEN %s runs THEN the ledger, its copy in S3, the stacks, change sets, lock table, parameters and state objects are unchanged',
    { timeout: 180_000 },
    async (name, argv) => {
      const before = { aws: await awsState(env), local: localState(dir, env) };
      const r = await dpf(em, argv(env), { cwd: dir, timeout: 170_000 });
      // Once a 15-minute boundary has passed since the deploy began, the go-live checks are due
      // again (a check's verdict is fresh for its bucket): `dpf plan` then says so with exit 2,
      // and nothing but those checks may be pending.
      const checksDue = bucket() !== deployedIn;
      if (name === 'plan' && checksDue && r.code === 2) {
        const pending = r.stdout.split('\n').filter((l) => /^▶ /.test(l));
        expect(pending.length, r.all).toBeGreaterThan(0);
        expect(
          pending.filter((l) => !/^▶ golive\./.test(l)),
          r.all,
        ).toEqual([]);
      } else expect(r.code, r.all).toBe(0);
      expect({ aws: await awsState(env), local: localState(dir, env) }).toEqual(before);
      if (name.includes('--check')) expect(r.stdout).toMatch(/nothing was changed \(neither in AWS nor in the ledger\)/);
    },
  );
});
