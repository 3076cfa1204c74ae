/**
 * The account preflight through bin/dpf against the emulator: `dpf doctor` reports every check
 * (calls the emulator does not offer say unknown, with the reason), and `dpf deploy` stops before
 * its first change set (exit 8, nothing created) when a blocking check fails.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { startEmulator, dpf, workdir, sdkConfig, type Emulator } from './harness.js';

let em: Emulator;
beforeAll(async () => {
  em = await startEmulator();
}, 60000);
afterAll(async () => {
  await em?.stop();
});

interface Check {
  id: string;
  status: string;
  detail: string;
  blocking: boolean;
}

describe('GIVEN a fresh environment on the emulator', () => {
  it('WHEN dpf doctor --json runs THEN every check is listed; what the emulator cannot answer is unknown with the reason, never pass', async () => {
    const dir = workdir();
    expect((await dpf(em, ['init', '--env', 'doc', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const r = await dpf(em, ['doctor', '--env', 'doc', '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const checks: Check[] = JSON.parse(r.stdout).checks;
    const by = (id: string) => checks.filter((c) => c.id === id);
    expect(by('credentials')[0]).toMatchObject({ status: 'pass', blocking: true });
    expect(by('availability-zones')[0]).toMatchObject({ status: 'pass' });
    expect(by('ebs-default-key')[0]).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/GetEbsDefaultKmsKeyId is not offered/) });
    expect(by('marketplace')[0]).toMatchObject({ status: 'pass', detail: expect.stringMatching(/no Marketplace product code/) });
    expect(
      by('quotas')
        .map((c) => c.detail)
        .join('\n'),
    ).toMatch(/VPCs: \d+ in use \+ 1 to add ≤ quota 5/);
    expect(by('quotas').some((c) => c.status === 'unknown' && /Elastic IP/.test(c.detail))).toBe(true);
    expect(by('instance-offerings').every((c) => c.status === 'pass')).toBe(true);
    expect(by('permissions')[0]!.status).toBe('unknown');
    expect(checks.map((c) => c.id)).toEqual(
      expect.arrayContaining(['endpoint', 'account-pin', 'platform-image', 'cloudtrail', 'state-backend', 'lock', 'local-linters']),
    );
  });

  it('WHEN the worker instance type is not offered and dpf deploy runs THEN it stops before the first change set with exit 8 and nothing more is created', async () => {
    const dir = workdir();
    expect((await dpf(em, ['init', '--env', 'blk', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const file = path.join(dir, 'dpf.config.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(workers:\n(?:.*\n)*?\s+instanceType: )m5\.xlarge/, '$1m5.huge'));
    expect(readFileSync(file, 'utf8')).toContain('m5.huge');
    // The preflight follows the phases of the run: bootstrap launches no instance.
    const boot = await dpf(em, ['deploy', '--env', 'blk', '--phase', 'bootstrap', '--yes'], { cwd: dir });
    expect(boot.code, boot.all).toBe(0);
    expect(boot.all).toMatch(/preflight: \d+ pass/);
    // A rerun of a done phase adds nothing to the account: no preflight calls (issue 14).
    const again = await dpf(em, ['deploy', '--env', 'blk', '--phase', 'bootstrap', '--yes'], { cwd: dir });
    expect(again.code, again.all).toBe(0);
    expect(again.all).toMatch(/preflight: skipped, every selected step is done/);
    const r = await dpf(em, ['deploy', '--env', 'blk', '--yes'], { cwd: dir });
    expect(r.code, r.all).toBe(8);
    expect(r.stderr).toMatch(/preflight found \d+ blocking problem/);
    expect(r.stderr).toMatch(/m5\.huge is not offered/);
    const stacks = (await new CloudFormationClient(sdkConfig(em)).send(new ListStacksCommand({}))).StackSummaries ?? [];
    expect(stacks.filter((s) => s.StackName?.startsWith('dataplatform-blk-')).map((s) => s.StackName)).toEqual(['dataplatform-blk-bootstrap']);
    const doctor = await dpf(em, ['doctor', '--env', 'blk'], { cwd: dir });
    expect(doctor.code).toBe(3);
    expect(doctor.stdout).toMatch(/✖ instance types in the zones\s+workers \(at max\): m5\.huge is not offered/);
    // --skip-preflight deploys anyway (the emulator accepts the type AWS would refuse).
    const skipped = await dpf(em, ['deploy', '--env', 'blk', '--phase', 'network', '--yes', '--skip-preflight', '--json'], { cwd: dir });
    expect(skipped.code, skipped.all).toBe(0);
    expect(skipped.all).not.toMatch(/preflight/);
  });
});
