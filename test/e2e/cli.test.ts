/**
 * The CLI surface, as a user meets it: help and version without the AWS SDK, usage errors and
 * their exit codes, Ctrl-C at a safe point, and unlock of a lock a dead run left behind.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import path from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { DPF, ROOT, startEmulator, dpf, dpfBackground, waitForEvent, workdir, readLedger, sdkConfig, type Emulator } from './harness.js';

const HOOK = path.join(ROOT, 'test', 'e2e', 'support', 'forbid-aws-sdk.mjs');
const HEAVY_HOOK = path.join(ROOT, 'test', 'e2e', 'support', 'forbid-heavy.mjs');

describe('GIVEN no AWS at all', () => {
  it.each([['--help'], ['--version'], ['deploy', '--help'], ['init', '--help'], ['status', '--help'], ['schema']])(
    'WHEN dpf %s runs THEN it succeeds without loading the AWS SDK',
    async (...args) => {
      const r = await execa('node', ['--import', HOOK, DPF, ...args], { reject: false, env: { NO_COLOR: '1' } });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stderr)).not.toMatch(/AWS SDK loaded/);
    },
  );

  it('WHEN init --defaults writes a config offline THEN no AWS SDK is loaded either', async () => {
    const dir = workdir();
    const r = await execa('node', ['--import', HOOK, DPF, 'init', '--env', 'x', '--defaults', '--yes'], { cwd: dir, reject: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const v = await execa('node', ['--import', HOOK, DPF, 'status', '--env', 'x', '--offline'], { cwd: dir, reject: false });
    expect(v.exitCode, String(v.stderr)).toBe(0);
    expect(String(v.stdout)).toMatch(/bootstrap/);
  });

  it('WHEN status --offline runs again on an unchanged config THEN it loads neither the SDK, the YAML parser, the schema nor the live view, and shows the same', async () => {
    const dir = workdir();
    const env = { NO_COLOR: '1', DPF_CACHE_DIR: path.join(dir, 'cache') };
    expect((await execa('node', [DPF, 'init', '--env', 'x', '--defaults', '--yes'], { cwd: dir, reject: false, env })).exitCode).toBe(0);
    const cold = await execa('node', [DPF, 'status', '--env', 'x', '--offline', '--json'], { cwd: dir, reject: false, env });
    expect(cold.exitCode, String(cold.stderr)).toBe(0);
    const warm = await execa('node', ['--import', HEAVY_HOOK, DPF, 'status', '--env', 'x', '--offline', '--json'], { cwd: dir, reject: false, env });
    expect(warm.exitCode, String(warm.stderr)).toBe(0);
    const doc = (text: string) => ({ ...JSON.parse(text), live: undefined, ledger: undefined });
    expect(doc(String(warm.stdout))).toEqual(doc(String(cold.stdout)));
    // An edited config is validated again (the cache is keyed by the file's bytes): the error is the full load's.
    writeFileSync(path.join(dir, 'dpf.config.yaml'), readFileSync(path.join(dir, 'dpf.config.yaml'), 'utf8').replace(/region: us-west-2/, 'region: mars-1'));
    const edited = await execa('node', [DPF, 'status', '--env', 'x', '--offline'], { cwd: dir, reject: false, env });
    expect(edited.exitCode).toBe(2);
    expect(String(edited.stderr)).toMatch(/mars-1/);
  });

  it.each([
    [['deploy', '--phase', 'netwrok'], /Unknown phase "netwrok"/],
    [['init', '--env', 'Bad_Name', '--defaults', '--yes'], /Environment name "Bad_Name"/],
    [['init', '--env', 'x', '--defaults', '--yes', '--workers-min', 'two'], /--workers-min must be a whole number, got "two"/],
    [['init', '--env', 'x', '--defaults', '--yes', '--vpc-cidr', '10.0.0.0/8'], /network\.vpcCidr: "10\.0\.0\.0\/8" must have a prefix between \/16 and \/28/],
    [
      ['init', '--env', 'x', '--defaults', '--yes', '--vpc-cidr', '10.0.0.0/20'],
      /--vpc-cidr: 10\.0\.0\.0\/20 is too small for dpf's subnet layout[\s\S]*network\.subnets/,
    ],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['deploy', '--env', 'nope'], /No config file at/],
  ])('WHEN dpf %j runs THEN exit 2 with a message naming the bad value', async (args, message) => {
    const dir = workdir();
    const r = await dpf(undefined, args as string[], { cwd: dir });
    expect(r.code, r.all).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(existsSync(path.join(dir, 'dpf.config.yaml'))).toBe(false);
  });

  it('WHEN init --vpc-cidr 172.16.0.0/16 THEN the nine subnets are laid out inside it and the file validates', async () => {
    const dir = workdir();
    const r = await dpf(undefined, ['init', '--env', 'dev', '--defaults', '--yes', '--vpc-cidr', '172.16.0.0/16'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const text = readFileSync(path.join(dir, 'dpf.config.yaml'), 'utf8');
    for (const s of ['172.16.1.0/24', '172.16.13.0/24', '172.16.23.0/24']) expect(text).toContain(s);
    expect(text).not.toContain('10.0.1.0/24');
    expect(text).toMatch(/highAvailability: false/);
    expect(text).toMatch(/deletionProtection: false/);
    const v = await dpf(undefined, ['validate', '--env', 'dev', '--skip-linters'], { cwd: dir });
    expect(v.code, v.all).toBe(0);
  });

  it('WHEN validate runs on a prod environment without a DR region THEN the semantic rules are listed and backup-coverage fails (exit 3) naming what to set', async () => {
    const dir = workdir();
    expect((await dpf(undefined, ['init', '--env', 'prod', '--defaults', '--yes', '--region', 'eu-west-1'], { cwd: dir })).code).toBe(0);
    const { readFileSync: read, writeFileSync: write } = await import('node:fs');
    const file = path.join(dir, 'dpf.config.yaml');
    // init writes a DR region for production (src/config/production.ts defaultDrRegion): take it out to get a prod environment without one.
    expect(read(file, 'utf8')).toMatch(/\n      drRegion: eu-central-1\n/);
    write(file, read(file, 'utf8').replace(/\n      drRegion: eu-central-1\n/, '\n'));
    const r = await dpf(undefined, ['validate', '--env', 'prod', '--skip-linters', '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(3);
    // stdout: the results document, then the error document (--json failures end with {"error": …}).
    const out = JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf('\n{')));
    expect(JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('\n{')))).toMatchObject({ error: { code: 'ValidationFailed', exitCode: 3 } });
    const rules = Object.fromEntries(out.rules.map((v: { id: string; status: string }) => [v.id, v.status]));
    expect(rules).toMatchObject({ 'unique-physical-names': 'pass', 'production-defaults': 'pass', 'backup-coverage': 'fail' });
    expect(JSON.stringify(out.rules.find((v: { id: string }) => v.id === 'backup-coverage').findings)).toMatch(/recovery\.drRegion/);
    const fixed = await dpf(undefined, ['validate', '--env', 'prod', '--skip-linters'], { cwd: dir });
    expect(fixed.stdout).toMatch(/✖ backup-coverage/);
    write(file, read(file, 'utf8').replace(/recovery:\n/, 'recovery:\n      drRegion: eu-central-1\n'));
    const ok = await dpf(undefined, ['validate', '--env', 'prod', '--skip-linters'], { cwd: dir });
    expect(ok.code, ok.all).toBe(0);
    expect(ok.stdout).toMatch(/✔ backup-coverage/);
  });

  it('WHEN init runs without a TTY and without --defaults THEN it says how to run it non-interactively', async () => {
    const r = await dpf(undefined, ['init', '--env', 'x'], { cwd: workdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no terminal to ask on/);
    expect(r.stderr).toMatch(/--defaults --yes/);
  });
});

describe('GIVEN the emulator', () => {
  let em: Emulator;
  beforeAll(async () => {
    em = await startEmulator();
  });
  afterAll(async () => {
    await em?.stop();
  });

  it('WHEN Ctrl-C (SIGINT) arrives mid-step THEN dpf stops at a safe point: exit 130, ledger saved, lock released, resume command shown', async () => {
    const dir = workdir();
    expect((await dpf(em, ['init', '--env', 'sig', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const child = dpfBackground(em, ['deploy', '--env', 'sig', '--phase', 'bootstrap', '--yes', '--json'], {
      cwd: dir,
      env: { DPF_TEST_HOLD_STEP_START: 'bootstrap.state' },
    });
    await waitForEvent(child, (e) => e.type === 'step-progress' && String(e.message).includes('test hook'));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    const out = String(r.stdout)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.find((e) => e.type === 'run-done')).toMatchObject({ status: 'interrupted', resume: 'dpf deploy --phase bootstrap --env sig' });
    const ledger = readLedger(dir, 'sig');
    expect(ledger.steps['bootstrap.state'].status).toBe('running');
    expect(ledger.steps['bootstrap.state'].evidence.interrupted).toBe(true);
    expect(ledger.runs.at(-1).status).toBe('interrupted');
    expect(existsSync(path.join(dir, '.dpf', 'sig', 'lock.json'))).toBe(false);
    const again = await dpf(em, ['deploy', '--env', 'sig', '--phase', 'bootstrap', '--yes'], { cwd: dir });
    expect(again.code, again.all).toBe(0);
    expect(readLedger(dir, 'sig').steps['bootstrap.state'].status).toBe('done');
  });

  it('WHEN a dead run left a lock THEN unlock shows the holder as stale and breaks it; without --yes and no TTY it refuses', async () => {
    const dir = workdir();
    expect((await dpf(em, ['init', '--env', 'lk', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const child = dpfBackground(em, ['deploy', '--env', 'lk', '--phase', 'bootstrap', '--yes', '--json'], {
      cwd: dir,
      env: { DPF_TEST_HOLD_STEP_START: 'bootstrap.state' },
    });
    await waitForEvent(child, (e) => e.type === 'step-progress' && String(e.message).includes('test hook'));
    child.kill('SIGKILL');
    await child;
    const status = JSON.parse((await dpf(em, ['status', '--env', 'lk', '--json'], { cwd: dir })).stdout);
    expect(status.lock).toMatchObject({ command: 'deploy --phase bootstrap' });
    const refused = await dpf(em, ['unlock', '--env', 'lk'], { cwd: dir });
    expect(refused.code).toBe(6);
    expect(refused.stdout).toMatch(/stale: process \d+ on \S+ is no longer running/);
    const un = await dpf(em, ['unlock', '--env', 'lk', '--yes'], { cwd: dir });
    expect(un.code, un.all).toBe(0);
    expect(un.stdout).toMatch(/Lock on lk broken/);
    expect(existsSync(path.join(dir, '.dpf', 'lk', 'lock.json'))).toBe(false);
  });

  it('WHEN a later phase is deployed before the state backend exists THEN deploy refuses with exit 8 naming bootstrap.state, and creates no stack', async () => {
    // The VPC no longer waits for bootstrap.state in the graph (it reads nothing of it), but every run needs the state backend:
    // its lock table and the ledger's copy (RUN_NEEDS).
    const dir = workdir();
    expect((await dpf(em, ['init', '--env', 'nsb', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const r = await dpf(em, ['deploy', '--env', 'nsb', '--phase', 'network', '--yes'], { cwd: dir });
    expect(r.code, r.all).toBe(8);
    expect(r.stderr).toMatch(/this run needs bootstrap\.state \(pending\)/);
    expect(r.stderr).toMatch(/dpf deploy --env nsb --phase bootstrap/);
    const stacks = (await new CloudFormationClient(sdkConfig(em)).send(new ListStacksCommand({}))).StackSummaries ?? [];
    expect(stacks.filter((s) => s.StackName?.startsWith('dataplatform-nsb-'))).toEqual([]);
  });

  it('WHEN the ledger is corrupt THEN deploy refuses with exit 5 and leaves the file as it was', async () => {
    const dir = workdir();
    expect((await dpf(em, ['init', '--env', 'cor', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const { mkdirSync, writeFileSync, readFileSync } = await import('node:fs');
    mkdirSync(path.join(dir, '.dpf', 'cor'), { recursive: true });
    writeFileSync(path.join(dir, '.dpf', 'cor', 'ledger.json'), '{"format": "dpf-ledger", "schemaVer');
    const r = await dpf(em, ['deploy', '--env', 'cor', '--yes'], { cwd: dir });
    expect(r.code, r.all).toBe(5);
    expect(r.stderr).toMatch(/corrupt/);
    expect(readFileSync(path.join(dir, '.dpf', 'cor', 'ledger.json'), 'utf8')).toBe('{"format": "dpf-ledger", "schemaVer');
  });

  it('WHEN DPF_CONFIG names the config file THEN init, deploy and status use it (the ledger next to it), and --config still wins', async () => {
    const dir = workdir();
    const env = { DPF_CONFIG: path.join('team', 'platform.yaml') };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'team'));
    expect((await dpf(em, ['init', '--env', 'cfg', '--defaults', '--yes'], { cwd: dir, env })).code).toBe(0);
    expect(existsSync(path.join(dir, 'team', 'platform.yaml'))).toBe(true);
    expect(existsSync(path.join(dir, 'dpf.config.yaml'))).toBe(false);
    const d = await dpf(em, ['deploy', '--env', 'cfg', '--phase', 'bootstrap', '--yes'], { cwd: dir, env });
    expect(d.code, d.all).toBe(0);
    expect(readLedger(path.join(dir, 'team'), 'cfg').steps['bootstrap.state'].status).toBe('done');
    const s = await dpf(em, ['status', '--env', 'cfg', '--json'], { cwd: dir, env });
    expect(s.code, s.all).toBe(0);
    expect(JSON.parse(s.stdout).ledger.file).toBe(path.join(dir, 'team', '.dpf', 'cfg', 'ledger.json'));
    const flag = await dpf(em, ['status', '--env', 'cfg', '--offline', '--config', 'elsewhere.yaml'], { cwd: dir, env });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/No config file at .*elsewhere\.yaml/);
  });
});
