/**
 * dpf at a real terminal: bin/dpf in a pseudo-terminal (test/e2e/pty.ts), driven at a person's
 * pace, asserted on the screen as a terminal draws it and on the exit code. These are the paths
 * the non-TTY tests cannot reach: the wizard, change-set prompts asked by concurrent steps, the
 * live view, raw-mode Ctrl-C inside a prompt, Ctrl-C in the live view, and a resize.
 *
 * Every wait is for text on the screen (bounded); nothing sleeps as an assertion.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CloudFormationClient, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { dpf, workdir, readLedger, sdkConfig, emulatorPerSuite, initEnvDir, type Emulator } from './harness.js';
import { runInPty, answer, KEY, type PtyRun } from './pty.js';

const TIMEOUT = 240_000;

async function finish(run: PtyRun): Promise<number> {
  try {
    return await Promise.race([
      run.exited,
      new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`dpf did not exit. Screen:\n${run.history()}`)), 60_000)),
    ]);
  } finally {
    run.kill();
  }
}

/** "Resume with" lines on the whole screen: the safe-stop promise says exactly one. */
const resumeLines = (run: PtyRun) =>
  run
    .history()
    .split('\n')
    .filter((l) => /resume with/i.test(l));

describe('GIVEN the init wizard on a terminal', () => {
  it(
    'WHEN answers are typed, some wrong THEN each is refused as it is typed (nothing lost), placeholders need a yes, and the file holds the answers',
    async () => {
      const dir = workdir('dpf-pty-');
      const run = runInPty(['init', '--env', 'dev'], { cwd: dir, env: { AWS_REGION: 'eu-west-1', AWS_PROFILE: '', HOME: dir } });
      try {
        // The region's default follows the AWS CLI chain (AWS_REGION here), not a hard-coded one.
        await run.waitFor('AWS region (eu-west-1)');
        await answer(run, 'AWS region', 'eu-wset-1');
        await run.waitFor('"eu-wset-1" is not an AWS region (did you mean eu-west-1?)');
        for (let i = 0; i < 9; i++) run.press(KEY.backspace);
        await run.type('eu-central-1');
        run.press(KEY.enter);
        await answer(run, 'Three availability zones', '');
        await answer(run, 'VPC CIDR', '10.0.0.0/20', { clear: true });
        await run.waitFor('too small for dpf');
        for (let i = 0; i < 11; i++) run.press(KEY.backspace);
        await run.type('10.20.0.0/16');
        run.press(KEY.enter);
        // The placeholder admin range (RFC 5737) is refused unless confirmed: say no, type a real one.
        await answer(run, 'Admin CIDRs', '');
        await run.waitFor('documentation range');
        await answer(run, 'Keep this placeholder anyway?', 'n');
        await answer(run, 'Admin CIDRs', '198.51.7.0/24', { clear: true, times: 2 });
        await answer(run, 'E-mail for alarms', 'not-an-email', { clear: true });
        await run.waitFor('must be an e-mail address (got "not-an-email")');
        for (let i = 0; i < 12; i++) run.press(KEY.backspace);
        await run.type('ops@corp.test');
        run.press(KEY.enter);
        await run.waitFor('Identity provider');
        run.press(KEY.down);
        run.press(KEY.enter);
        await answer(run, 'Worker minimum', '3', { clear: true });
        await answer(run, 'Worker maximum', '2', { clear: true });
        await run.waitFor('min (3) must not exceed max (2)');
        run.press(KEY.backspace);
        await run.type('8');
        run.press(KEY.enter);
        await answer(run, 'One NAT gateway per AZ', 'n');
        await run.waitFor('Wrote environment "dev"');
        expect(await finish(run)).toBe(0);
      } finally {
        run.kill();
      }
      const env = parse(readFileSync(path.join(dir, 'dpf.config.yaml'), 'utf8')).environments.dev;
      expect(env.region).toBe('eu-central-1');
      expect(env.availabilityZones).toEqual(['eu-central-1a', 'eu-central-1b', 'eu-central-1c']);
      expect(env.network.vpcCidr).toBe('10.20.0.0/16');
      expect(env.network.subnets.public[0]).toBe('10.20.1.0/24');
      expect(env.network.adminCidrs).toEqual(['198.51.7.0/24']);
      expect(env.monitoring.alarmEmail).toBe('ops@corp.test');
      expect(env.identity.provider).toBe('iam');
      expect(env.compute.workers).toMatchObject({ min: 3, max: 8 });
    },
    TIMEOUT,
  );

  it(
    'WHEN Ctrl-C is pressed mid-wizard THEN exit 130, "interrupted", no file, no "Unexpected error"',
    async () => {
      const dir = workdir('dpf-pty-');
      const run = runInPty(['init', '--env', 'dev'], { cwd: dir, env: { AWS_REGION: 'us-west-2', HOME: dir } });
      await answer(run, 'AWS region', '');
      await run.waitFor('Three availability zones');
      run.press(KEY.ctrlC);
      expect(await finish(run)).toBe(130);
      expect(run.history()).toMatch(/Interrupted at a question/);
      expect(run.history()).not.toMatch(/Unexpected error|force closed/);
      expect(existsSync(path.join(dir, 'dpf.config.yaml'))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'WHEN the environment exists THEN "replace it?" is the first question, and no keeps the file (comments too) untouched',
    async () => {
      const dir = workdir('dpf-pty-');
      expect((await dpf(undefined, ['init', '--env', 'dev', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
      const file = path.join(dir, 'dpf.config.yaml');
      writeFileSync(file, `# our team's notes: keep\n${readFileSync(file, 'utf8')}`);
      const before = readFileSync(file, 'utf8');
      const run = runInPty(['init', '--env', 'dev'], { cwd: dir, env: { HOME: dir } });
      await answer(run, /Environment "dev" exists in .*Replace it\?/, 'n');
      expect(await finish(run)).toBe(2);
      expect(run.history()).not.toMatch(/AWS region/);
      expect(run.history()).toMatch(/already exists/);
      expect(readFileSync(file, 'utf8')).toBe(before);
    },
    TIMEOUT,
  );
});

describe('GIVEN the emulator and a terminal', () => {
  const emulator = emulatorPerSuite({ beforeAll, afterAll });
  let em: Emulator;
  beforeEach(() => {
    em = emulator();
  });
  const initEnv = (env: string) => initEnvDir(em, env, 'dpf-pty-');

  /** Until the stack's change set is CREATE_COMPLETE, then one poll interval (DPF_POLL_MS) more for dpf to see it and ask. */
  async function changeSetReady(stackName: string): Promise<void> {
    const cfn = new CloudFormationClient(sdkConfig(em));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const sets = await cfn.send(new ListChangeSetsCommand({ StackName: stackName })).catch(() => undefined);
      if (sets?.Summaries?.some((x) => x.Status === 'CREATE_COMPLETE')) break;
      if (Date.now() > deadline) throw new Error(`no change set for ${stackName} within 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500));
  }

  /** The lock is released: `dpf status --json` shows no holder (works before and after bootstrap). */
  async function lockFree(dir: string, env: string): Promise<boolean> {
    const r = await dpf(em, ['status', '--env', env, '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    return JSON.parse(r.stdout).lock === null;
  }

  it(
    'WHEN a first deploy asks for every change set THEN the questions come one at a time (compute and storage too), yes and no are honoured, and a no is a decline, not a failure',
    async () => {
      const dir = await initEnv('ask');
      const run = runInPty(['deploy', '--env', 'ask', '--phase', 'bootstrap,network,compute,storage'], { cwd: dir, emulator: em, cols: 120, rows: 40 });
      try {
        await answer(run, 'Create stack dataplatform-ask-bootstrap', 'y');
        await answer(run, 'Create stack dataplatform-ask-network', 'y');
        // Compute and storage reach their change sets together. Keep the first question open until
        // the other step's change set is ready too (its question then comes while this one is on
        // screen: listr2 crashed here with "Only one prompt can be active"); the second waits its turn.
        await run.waitFor(/Create stack dataplatform-ask-(compute|storage)/);
        const first = /Create stack dataplatform-ask-compute/.test(run.screen()) ? 'compute' : 'storage';
        const second = first === 'compute' ? 'storage' : 'compute';
        await changeSetReady(`dataplatform-ask-${second}`);
        await answer(run, `Create stack dataplatform-ask-${first}`, first === 'compute' ? 'n' : 'y');
        await answer(run, `Create stack dataplatform-ask-${second}`, second === 'compute' ? 'n' : 'y');
        await run.waitFor(/declined: nothing was changed/);
        const code = await finish(run);
        expect(run.history()).not.toMatch(/Only one prompt|Unexpected error/);
        expect(run.history()).not.toMatch(/✖ compute\.stack/);
        expect(code).toBe(6);
      } finally {
        run.kill();
      }
      const ledger = readLedger(dir, 'ask');
      expect(ledger.steps['storage.stack'].status).toBe('done');
      expect(ledger.steps['compute.stack']).toBeUndefined();
      expect(await lockFree(dir, 'ask')).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'WHEN Ctrl-C is pressed at a change-set prompt THEN exit 130, one resume line, the ledger saved, the lock released, nothing executed',
    async () => {
      const dir = await initEnv('cq');
      expect((await dpf(em, ['deploy', '--env', 'cq', '--phase', 'bootstrap', '--yes'], { cwd: dir })).code).toBe(0);
      const run = runInPty(['deploy', '--env', 'cq', '--phase', 'network'], { cwd: dir, emulator: em });
      await run.waitFor('Create stack dataplatform-cq-network');
      run.press(KEY.ctrlC);
      expect(await finish(run)).toBe(130);
      expect(run.history()).not.toMatch(/step failed|Unexpected error/);
      expect(resumeLines(run)).toEqual([expect.stringContaining('dpf deploy --phase network --env cq')]);
      const ledger = readLedger(dir, 'cq');
      expect(ledger.runs.at(-1).status).toBe('interrupted');
      expect(ledger.steps['network.stack']?.status ?? 'pending').not.toBe('done');
      expect(await lockFree(dir, 'cq')).toBe(true);
      const again = await dpf(em, ['deploy', '--env', 'cq', '--phase', 'network', '--yes'], { cwd: dir });
      expect(again.code, again.all).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'WHEN Ctrl-C is pressed in the live view THEN pending steps are not shown as failed, exit 130, one resume line, lock released; a resize redraws within the new width',
    async () => {
      const dir = await initEnv('live');
      const run = runInPty(['deploy', '--env', 'live', '--phase', 'bootstrap,network', '--yes'], {
        cwd: dir,
        emulator: em,
        cols: 120,
        rows: 30,
        env: { DPF_TEST_HOLD_STEP_START: 'network.stack', DPF_TEST_HOLD_MS: '120000' },
      });
      // The live view shows the running step (not every pending one) and the counts.
      await run.waitFor(/network\.stack .*test hook/);
      await run.waitFor(/1 running · 1 finished · 0 to go/);
      run.resize(60, 30);
      // Redrawn once at the new width: one footer, cut to fit (no remnant of the wider one).
      await run.waitUntil((s) => {
        const footers = s.split('\n').filter((l) => /running · \d+ finished/.test(l));
        return footers.length === 1 && footers[0]!.trimEnd().endsWith('…');
      }, 'the live region redrawn within 60 columns');
      expect(
        run
          .screen()
          .split('\n')
          .filter((l) => /network\.stack .*test hook|network\.stack\s+\d/.test(l)),
      ).toHaveLength(1);
      run.press(KEY.ctrlC);
      expect(await finish(run)).toBe(130);
      const screen = run.history();
      expect(screen).toMatch(/■ network\.stack\s+stopped/);
      expect(screen).not.toMatch(/✖/);
      expect(resumeLines(run)).toHaveLength(1);
      expect(readLedger(dir, 'live').steps['network.stack'].evidence.interrupted).toBe(true);
      expect(await lockFree(dir, 'live')).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'WHEN Ctrl-C is pressed while a playbook step runs THEN the same safe stop: exit 130, the step left for the next run to reconcile, lock released',
    async () => {
      const dir = await initEnv('pb');
      const pre = await dpf(em, ['deploy', '--env', 'pb', '--phase', 'bootstrap,network,compute,storage', '--yes'], { cwd: dir, timeout: 180_000 });
      expect(pre.code, pre.all).toBe(0);
      const run = runInPty(['deploy', '--env', 'pb', '--phase', 'identity', '--yes'], {
        cwd: dir,
        emulator: em,
        env: { DPF_TEST_HOLD_STEP_START: 'identity.ipa-server', DPF_TEST_HOLD_MS: '120000' },
      });
      await run.waitFor(/identity\.ipa-server .*test hook/);
      run.press(KEY.ctrlC);
      expect(await finish(run)).toBe(130);
      expect(resumeLines(run)).toHaveLength(1);
      expect(readLedger(dir, 'pb').steps['identity.ipa-server']).toMatchObject({ status: 'running', evidence: { interrupted: true } });
      expect(await lockFree(dir, 'pb')).toBe(true);
    },
    TIMEOUT,
  );
});
