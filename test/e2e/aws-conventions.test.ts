/**
 * The AWS CLI v2 conventions, with a temporary HOME holding ~/.aws/config and ~/.aws/credentials
 * (no real AWS): --profile is AWS_PROFILE (credentials, region, endpoint_url, SSO), the region
 * chain --region > AWS_REGION > AWS_DEFAULT_REGION > the profile's region as init's default, a
 * command aimed at another region than the environment's ledger is refused, and the messages say
 * what is actually wrong (no credentials, an SSO session to log in to with --profile).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { dpf, workdir, emulatorPerSuite } from './harness.js';

/** A HOME with the given ~/.aws files; every AWS_* variable of the test process is cleared for the run. */
function awsHome(config: string, credentials = ''): string {
  const home = workdir('dpf-home-');
  mkdirSync(path.join(home, '.aws'));
  writeFileSync(path.join(home, '.aws', 'config'), config);
  if (credentials) writeFileSync(path.join(home, '.aws', 'credentials'), credentials);
  return home;
}

const CLEAR = {
  AWS_REGION: '',
  AWS_DEFAULT_REGION: '',
  AWS_PROFILE: '',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_ENDPOINT_URL: '',
  AWS_CONFIG_FILE: '',
  AWS_SHARED_CREDENTIALS_FILE: '',
  AWS_EC2_METADATA_DISABLED: 'true',
  NO_COLOR: '1',
};

/** bin/dpf with only the environment given (plus HOME): nothing leaks from the test process's AWS settings. */
async function run(args: string[], o: { cwd: string; home: string; env?: Record<string, string> }) {
  const env = { ...CLEAR, HOME: o.home, ...o.env };
  // execa merges with process.env: empty strings stand for "unset" (the SDK and dpf treat "" as absent).
  return dpf(undefined, args, { cwd: o.cwd, env });
}

const CONFIG = `[default]
region = eu-north-1

[profile team]
region = ap-southeast-2

[profile sso-dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = PlatformAdmin
region = us-west-2

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
`;

describe('GIVEN a HOME with ~/.aws/config profiles and no real AWS', () => {
  const regionOf = (dir: string) => parse(readFileSync(path.join(dir, 'dpf.config.yaml'), 'utf8')).environments.dev.region as string;

  it.each([
    ['the default profile', [], {}, 'eu-north-1'],
    ['--profile team', ['--profile', 'team'], {}, 'ap-southeast-2'],
    ['AWS_PROFILE=team', [], { AWS_PROFILE: 'team' }, 'ap-southeast-2'],
    ['AWS_DEFAULT_REGION over the profile', ['--profile', 'team'], { AWS_DEFAULT_REGION: 'ca-central-1' }, 'ca-central-1'],
    ['AWS_REGION over AWS_DEFAULT_REGION', ['--profile', 'team'], { AWS_REGION: 'sa-east-1', AWS_DEFAULT_REGION: 'ca-central-1' }, 'sa-east-1'],
    ['--region over everything', ['--profile', 'team', '--region', 'eu-west-3'], { AWS_REGION: 'sa-east-1' }, 'eu-west-3'],
  ])("WHEN init --defaults runs with %s THEN the region written is the AWS CLI chain's (%s)", async (_what, flags, env, expected) => {
    const home = awsHome(CONFIG);
    const dir = workdir();
    const r = await run(['init', '--env', 'dev', '--defaults', '--yes', ...(flags as string[])], { cwd: dir, home, env: env as Record<string, string> });
    expect(r.code, r.all).toBe(0);
    expect(regionOf(dir)).toBe(expected);
    expect(parse(readFileSync(path.join(dir, 'dpf.config.yaml'), 'utf8')).environments.dev.availabilityZones[0]).toBe(`${expected}a`);
  });

  it('WHEN an SSO profile has no cached token THEN exit 7 says the SSO session is missing and how to log in with that profile', async () => {
    const home = awsHome(CONFIG);
    const dir = workdir();
    expect((await run(['init', '--env', 'dev', '--defaults', '--yes', '--region', 'us-west-2'], { cwd: dir, home })).code).toBe(0);
    const r = await run(['deploy', '--env', 'dev', '--yes', '--profile', 'sso-dev'], { cwd: dir, home });
    expect(r.code, r.all).toBe(7);
    expect(r.stderr).toMatch(/SSO\) session for profile "sso-dev" is missing or has expired/);
    expect(r.stderr).toMatch(/aws sso login --profile sso-dev/);
    expect(r.stderr).not.toMatch(/refused the credentials/);
  });

  it('WHEN there are no credentials at all THEN exit 7 says none were found (not "refused") and how to provide some', async () => {
    const home = awsHome('[default]\nregion = us-west-2\n');
    const dir = workdir();
    expect((await run(['init', '--env', 'dev', '--defaults', '--yes'], { cwd: dir, home })).code).toBe(0);
    const r = await run(['deploy', '--env', 'dev', '--yes'], { cwd: dir, home });
    expect(r.code, r.all).toBe(7);
    expect(r.stderr).toMatch(/No AWS credentials found for the default credential chain/);
    expect(r.stderr).toMatch(/--profile NAME or AWS_PROFILE/);
  });
});

describe('GIVEN the emulator reached only through a profile (endpoint_url, keys in ~/.aws/credentials)', () => {
  const emulator = emulatorPerSuite({ beforeAll, afterAll });
  const files = () =>
    awsHome(
      `[profile emu]\nregion = us-west-2\nendpoint_url = ${emulator().endpoint}\n`,
      `[emu]\naws_access_key_id = testing\naws_secret_access_key = testing\n`,
    );

  it.each([
    ['--profile emu', ['--profile', 'emu'], {}],
    ['AWS_PROFILE=emu', [], { AWS_PROFILE: 'emu' }],
  ])("WHEN dpf runs with %s THEN the profile's endpoint_url, region and keys are all used, as the AWS CLI would", async (_what, flags, env) => {
    const home = files();
    const dir = workdir();
    const init = await run(['init', '--env', 'dev', '--defaults', '--yes', ...(flags as string[])], {
      cwd: dir,
      home,
      env: { ...(env as Record<string, string>), DPF_POLL_MS: '100' },
    });
    expect(init.code, init.all).toBe(0);
    const r = await run(['deploy', '--env', 'dev', '--phase', 'bootstrap', '--yes', ...(flags as string[])], {
      cwd: dir,
      home,
      env: { ...(env as Record<string, string>), DPF_POLL_MS: '100' },
    });
    expect(r.code, r.all).toBe(0);
    const s = await run(['status', '--env', 'dev', '--json', ...(flags as string[])], { cwd: dir, home, env: env as Record<string, string> });
    expect(s.code, s.all).toBe(0);
    const doc = JSON.parse(s.stdout);
    expect(doc.aws.reachable).toBe(true);
    expect(doc.accountId).toBe('123456789012');
  });

  it('WHEN status (or deploy) is aimed at another region than the environment lives in THEN it is refused, naming both, instead of reporting steps done where nothing exists', async () => {
    const home = files();
    const dir = workdir();
    expect((await run(['init', '--env', 'dev', '--defaults', '--yes', '--profile', 'emu'], { cwd: dir, home })).code).toBe(0);
    expect(
      (await run(['deploy', '--env', 'dev', '--phase', 'bootstrap', '--yes', '--profile', 'emu'], { cwd: dir, home, env: { DPF_POLL_MS: '100' } })).code,
    ).toBe(0);
    // doctor and unlock select the environment as the session does (they used to skip the ledger's place).
    for (const cmd of [['status'], ['status', '--offline'], ['deploy', '--yes'], ['doctor'], ['unlock', '--yes']]) {
      const r = await run([...cmd, '--env', 'dev', '--profile', 'emu', '--region', 'ap-south-1'], { cwd: dir, home });
      expect(r.code, r.all).toBe(2);
      expect(r.stderr).toMatch(/Environment "dev" lives in us-west-2 .* but this command would use ap-south-1 \(--region\)/);
    }
  });

  it('WHEN the endpoint comes only from the profile THEN the preflight names it (the endpoint the SDK really uses, not just AWS_ENDPOINT_URL)', async () => {
    const home = files();
    const dir = workdir();
    expect((await run(['init', '--env', 'dev', '--defaults', '--yes', '--profile', 'emu'], { cwd: dir, home })).code).toBe(0);
    const r = await run(['doctor', '--env', 'dev', '--json', '--profile', 'emu'], { cwd: dir, home });
    const doc = JSON.parse(r.stdout);
    expect(doc.checks.find((c: { id: string }) => c.id === 'endpoint').detail).toBe(`custom endpoint ${emulator().endpoint} (an emulator?)`);
  });

  it("WHEN AWS_REGION differs from the environment's region THEN dpf says so and uses the environment's", async () => {
    const home = files();
    const dir = workdir();
    expect((await run(['init', '--env', 'dev', '--defaults', '--yes', '--region', 'us-west-2'], { cwd: dir, home })).code).toBe(0);
    const r = await run(['plan', '--env', 'dev', '--profile', 'emu', '--phase', 'bootstrap'], { cwd: dir, home, env: { AWS_REGION: 'eu-central-1' } });
    expect([0, 2]).toContain(r.code);
    expect(r.stderr).toMatch(/AWS_REGION is eu-central-1, but environment "dev" lives in us-west-2 .*using us-west-2/);
  });
});
