/** The AWS CLI v2 chain for profile, region and endpoint, read from temp ~/.aws files. */
import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveAwsSettings } from '../../src/aws/profile.js';

describe('resolveAwsSettings', () => {
  beforeEach(() => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dpf-aws-'));
    writeFileSync(
      path.join(dir, 'config'),
      '[default]\nregion = eu-north-1\n[profile team]\nregion = ap-southeast-2\nendpoint_url = http://127.0.0.1:4566\n[profile sso]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://x\n',
    );
    writeFileSync(path.join(dir, 'credentials'), '[keys]\naws_access_key_id = a\naws_secret_access_key = b\nregion = us-east-2\n');
    vi.stubEnv('AWS_CONFIG_FILE', path.join(dir, 'config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', path.join(dir, 'credentials'));
  });
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    ['nothing named', {}, {}, { profile: 'default', profileNamed: false, region: 'eu-north-1', regionSource: 'profile' }],
    [
      '--profile team',
      { flagProfile: 'team' },
      {},
      { profile: 'team', region: 'ap-southeast-2', endpointUrl: 'http://127.0.0.1:4566', endpointSource: 'profile' },
    ],
    ['AWS_PROFILE=team', {}, { AWS_PROFILE: 'team' }, { profile: 'team', profileNamed: true, region: 'ap-southeast-2' }],
    ['--profile over AWS_PROFILE', { flagProfile: 'keys' }, { AWS_PROFILE: 'team' }, { profile: 'keys', region: 'us-east-2', sso: false }],
    [
      'AWS_DEFAULT_REGION over the profile',
      { flagProfile: 'team' },
      { AWS_DEFAULT_REGION: 'ca-central-1' },
      { region: 'ca-central-1', regionSource: 'AWS_DEFAULT_REGION' },
    ],
    [
      'AWS_REGION over AWS_DEFAULT_REGION',
      {},
      { AWS_REGION: 'sa-east-1', AWS_DEFAULT_REGION: 'ca-central-1' },
      { region: 'sa-east-1', regionSource: 'AWS_REGION' },
    ],
    [
      '--region over everything',
      { flagProfile: 'team', flagRegion: 'eu-west-3' },
      { AWS_REGION: 'sa-east-1' },
      { region: 'eu-west-3', regionSource: '--region' },
    ],
    [
      'AWS_ENDPOINT_URL over the profile',
      { flagProfile: 'team' },
      { AWS_ENDPOINT_URL: 'http://localhost:5000' },
      { endpointUrl: 'http://localhost:5000', endpointSource: 'AWS_ENDPOINT_URL' },
    ],
    ['an SSO profile', { flagProfile: 'sso' }, {}, { sso: true, profileMissing: false }],
    ['a profile nobody defined', { flagProfile: 'nope' }, {}, { profileMissing: true, region: undefined, regionSource: 'none' }],
  ])('GIVEN %s THEN %j', async (_what, flags, env, expected) => {
    expect(await resolveAwsSettings({ ...flags, env })).toMatchObject(expected);
  });
});
