/**
 * A second operator: a folder holding only the config of an environment another folder deployed
 * (no local .dpf/). `dpf status` and `dpf report` must find the ledger in the state bucket by its
 * derived name (<project>-<env>-dpf-state-<account>), as `dpf deploy` does, say that the copy came
 * from the bucket, and write nothing under .dpf/ (they only read).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startEmulator, dpf, dpfBackground, waitForEvent, workdir, sdkConfig, type Emulator } from './harness.js';

let em: Emulator;
let a: string;
let b: string;
const ENV = 'ops';
const BUCKET = `dataplatform-${ENV}-dpf-state-123456789012`;

beforeAll(async () => {
  em = await startEmulator();
  a = workdir('dpf-e2e-a-');
  b = workdir('dpf-e2e-b-');
  const init = await dpf(em, ['init', '--env', ENV, '--defaults', '--yes'], { cwd: a });
  expect(init.code, init.all).toBe(0);
  const deploy = await dpf(em, ['deploy', '--env', ENV, '--phase', 'bootstrap,network', '--yes'], { cwd: a, timeout: 300000 });
  expect(deploy.code, deploy.all).toBe(0);
  copyFileSync(path.join(a, 'dpf.config.yaml'), path.join(b, 'dpf.config.yaml'));
}, 400000);
afterAll(async () => {
  await em?.stop();
});

describe('GIVEN bootstrap and network deployed from folder A, and folder B holding only the config', () => {
  it('WHEN dpf status --json runs in B THEN bootstrap and network are done, read from the state bucket', async () => {
    const r = await dpf(em, ['status', '--env', ENV, '--json'], { cwd: b });
    expect(r.code, r.all).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ledger).toMatchObject({ source: 'state-bucket', remote: `s3://${BUCKET}/ledger/${ENV}/ledger.json` });
    const phase = (id: string) => doc.phases.find((p: any) => p.id === id);
    expect(phase('bootstrap').status).toBe('done');
    expect(phase('network').status).toBe('done');
    expect(doc.progress.done).toBeGreaterThanOrEqual(2);
    expect(existsSync(path.join(b, '.dpf')), 'status wrote under .dpf/ in B').toBe(false);
  });

  it('WHEN dpf status runs in B THEN the human view says where the ledger came from', async () => {
    const r = await dpf(em, ['status', '--env', ENV], { cwd: b });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain(`Ledger read from the state bucket (s3://${BUCKET}/ledger/${ENV}/ledger.json)`);
    expect(r.stdout).toMatch(/^bootstrap\s+done\s+1 step\s/m);
    expect(r.stdout).toMatch(/^network\s+done\s+1 step\s/m);
  });

  it('WHEN dpf report weekly runs in B THEN progress is not zero, the report is copied to the bucket, and the note names the bucket', async () => {
    const r = await dpf(em, ['report', 'weekly', '--env', ENV], { cwd: b });
    expect(r.code, r.all).toBe(0);
    const pct = Number(/Week \d+: Go-live readiness: .*; deployment \d+ of \d+ steps \((\d+)%\)/.exec(r.stdout)?.[1]);
    expect(pct, r.stdout).toBeGreaterThan(0);
    expect(r.stdout).not.toContain('Bootstrap is not done');
    expect(r.stdout).toContain(`note: Ledger read from the state bucket (s3://${BUCKET}/ledger/${ENV}/ledger.json)`);
    expect(r.stdout).toMatch(new RegExp(`s3://${BUCKET}/reports/${ENV}/weekly-week\\d\\d-.*\\.md`));
    const j = await dpf(em, ['report', 'weekly', '--env', ENV, '--json'], { cwd: b });
    expect(JSON.parse(j.stdout).ledger).toMatchObject({ source: 'state-bucket' });
    expect(existsSync(path.join(b, '.dpf')), 'report wrote under .dpf/ in B').toBe(false);
  });
});

describe('GIVEN a run in folder A that died holding the DynamoDB lease', () => {
  it(
    'WHEN dpf unlock runs in B (config only, no local ledger) THEN it finds the lease by the derived table name and breaks it',
    { timeout: 120_000 },
    async () => {
      const held = dpfBackground(em, ['deploy', '--env', ENV, '--phase', 'network', '--force', '--yes', '--json'], {
        cwd: a,
        env: { DPF_TEST_HOLD_STEP_START: 'network.stack' },
      });
      await waitForEvent(held, (e) => e.type === 'step-progress' && String(e.message).includes('test hook'));
      held.kill('SIGKILL');
      await held;
      const ddb = new DynamoDBClient(sdkConfig(em));
      const item = () => ddb.send(new GetItemCommand({ TableName: `dataplatform-${ENV}-dpf-lock`, Key: { lockId: { S: ENV } } })).then((r) => r.Item);
      expect(await item()).toBeDefined();

      const look = await dpf(em, ['unlock', '--env', ENV], { cwd: b });
      expect(look.code, look.all).toBe(6); // no TTY, no --yes: shows the lock, refuses to break it
      expect(look.stdout).toMatch(/Lock in DynamoDB table dataplatform-ops-dpf-lock: held by .* running "deploy --phase network"/);
      const broken = await dpf(em, ['unlock', '--env', ENV, '--yes'], { cwd: b });
      expect(broken.code, broken.all).toBe(0);
      expect(broken.stdout).toMatch(/Lock on ops broken \(.*DynamoDB table dataplatform-ops-dpf-lock/);
      expect(await item()).toBeUndefined();
      expect(existsSync(path.join(b, '.dpf', ENV, 'ledger.json'))).toBe(false);
    },
  );
});
