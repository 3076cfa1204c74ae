import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { configJsonSchema } from '../../src/config/schema.js';
import { ConfigInvalidError, ExitCode, UserError } from '../../src/errors.js';

type Raw = { version: unknown; project: unknown; environments: Record<string, Record<string, any>> };

/** The smallest valid config: everything else comes from the schema's defaults. */
function base(): Raw {
  return { version: 1, project: 'dataplatform', environments: { dev: {} } };
}

/** Apply `mutate` to the dev environment of a fresh valid config. */
function withDev(mutate: (dev: Record<string, any>) => void): Raw {
  const c = base();
  mutate(c.environments.dev!);
  return c;
}

const E = 'environments.dev';
const subnets = (tier: 'public' | 'private' | 'database', list: string[]) => (d: Record<string, any>) => {
  d.network = { ...d.network, subnets: { ...d.network?.subnets, [tier]: list } };
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dpf-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('validateConfig', () => {
  it('GIVEN the minimal config WHEN validated THEN it is valid', () => {
    const { config, problems } = validateConfig(base());
    expect(problems).toEqual([]);
    expect(config).toBeDefined();
  });

  // [what is wrong, config, field path that must be named, text the message must contain]
  const invalid: Array<[string, Raw, string, string]> = [
    ['bad CIDR syntax', withDev((d) => (d.network = { vpcCidr: '10.0.0/16' })), `${E}.network.vpcCidr`, '10.0.0/16'],
    ['CIDR octet over 255', withDev((d) => (d.network = { vpcCidr: '10.0.300.0/16' })), `${E}.network.vpcCidr`, '10.0.300.0/16'],
    ['VPC prefix too large', withDev((d) => (d.network = { vpcCidr: '10.0.0.0/8' })), `${E}.network.vpcCidr`, '10.0.0.0/8'],
    ['host bits set', withDev(subnets('private', ['10.0.11.0/24', '10.0.12.5/24', '10.0.13.0/24'])), `${E}.network.subnets.private[1]`, '10.0.12.5/24'],
    ['subnet outside the VPC', withDev(subnets('public', ['10.0.1.0/24', '10.0.2.0/24', '10.1.3.0/24'])), `${E}.network.subnets.public[2]`, '10.1.3.0/24'],
    ['overlapping subnets', withDev(subnets('database', ['10.0.11.0/25', '10.0.22.0/24', '10.0.23.0/24'])), `${E}.network.subnets.database[0]`, '10.0.11.0/25'],
    ['subnet smaller than /28', withDev(subnets('public', ['10.0.1.0/29', '10.0.2.0/24', '10.0.3.0/24'])), `${E}.network.subnets.public[0]`, '10.0.1.0/29'],
    ['wrong subnet count in a tier', withDev(subnets('private', ['10.0.11.0/24', '10.0.12.0/24'])), `${E}.network.subnets.private`, 'got 2'],
    ['only 2 availability zones', withDev((d) => (d.availabilityZones = ['us-west-2a', 'us-west-2b'])), `${E}.availabilityZones`, 'got 2'],
    [
      'duplicate availability zone',
      withDev((d) => (d.availabilityZones = ['us-west-2a', 'us-west-2a', 'us-west-2c'])),
      `${E}.availabilityZones[1]`,
      'us-west-2a',
    ],
    ['zone of another region', withDev((d) => (d.availabilityZones = ['us-west-2a', 'us-east-1b', 'us-west-2c'])), `${E}.availabilityZones[1]`, 'us-east-1b'],
    ['SSH from anywhere without the opt-in', withDev((d) => (d.network = { adminCidrs: ['0.0.0.0/0'] })), `${E}.network.adminCidrs[0]`, '0.0.0.0/0'],
    ['bad admin CIDR', withDev((d) => (d.network = { adminCidrs: ['203.0.113.0/24', 'corp'] })), `${E}.network.adminCidrs[1]`, 'corp'],
    ['ASG min above max', withDev((d) => (d.compute = { workers: { min: 7, desired: 7, max: 6 } })), `${E}.compute.workers.min`, '7'],
    ['ASG desired outside min..max', withDev((d) => (d.compute = { workers: { desired: 9 } })), `${E}.compute.workers.desired`, '9'],
    [
      'scale-in threshold not below scale-out',
      withDev((d) => (d.compute = { workers: { scaleInCpuPercent: 70 } })),
      `${E}.compute.workers.scaleInCpuPercent`,
      '70',
    ],
    ['CPU threshold 150', withDev((d) => (d.monitoring = { cpuCriticalPercent: 150 })), `${E}.monitoring.cpuCriticalPercent`, '150'],
    ['bad alarm email', withDev((d) => (d.monitoring = { alarmEmail: 'ops-at-example' })), `${E}.monitoring.alarmEmail`, 'ops-at-example'],
    ['bad instance type', withDev((d) => (d.compute = { workers: { instanceType: 'xlarge' } })), `${E}.compute.workers.instanceType`, 'xlarge'],
    ['bad log retention', withDev((d) => (d.monitoring = { debugLogRetentionDays: 45 })), `${E}.monitoring.debugLogRetentionDays`, '45'],
    ['bad flow log retention', withDev((d) => (d.network = { flowLogRetentionDays: 100 })), `${E}.network.flowLogRetentionDays`, '100'],
    ['bad region', withDev((d) => (d.region = 'us-west')), `${E}.region`, 'us-west'],
    ['bad environment name', { ...base(), environments: { Dev_1: {} } }, 'environments.Dev_1', 'Dev_1'],
    ['bad project name', { ...base(), project: 'Data Platform' }, 'project', 'Data Platform'],
    ['unsupported version', { ...base(), version: 2 }, 'version', '2'],
    ['RDS backup retention 40 days', withDev((d) => (d.storage = { rds: { backupRetentionDays: 40 } })), `${E}.storage.rds.backupRetentionDays`, '40'],
    [
      'bad backup vault ARN',
      withDev((d) => (d.storage = { backup: { copyToVaultArn: 'arn:aws:s3:::my-bucket' } })),
      `${E}.storage.backup.copyToVaultArn`,
      'arn:aws:s3:::my-bucket',
    ],
    ['bad backup schedule', withDev((d) => (d.storage = { backup: { schedule: 'daily' } })), `${E}.storage.backup.schedule`, 'daily'],
    [
      'bad maintenance window time',
      withDev((d) => (d.patching = { maintenanceWindow: { startUtc: '24:30' } })),
      `${E}.patching.maintenanceWindow.startUtc`,
      '24:30',
    ],
    ['unknown identity provider', withDev((d) => (d.identity = { provider: 'okta' })), `${E}.identity.provider`, 'okta'],
    ['bad identity image', withDev((d) => (d.identity = { imageId: 'rocky9' })), `${E}.identity.imageId`, 'rocky9'],
    ['bad account id', withDev((d) => (d.accountId = '1234')), `${E}.accountId`, '1234'],
    ['DR region equal to the region', withDev((d) => (d.recovery = { drRegion: 'us-west-2' })), `${E}.recovery.drRegion`, 'us-west-2'],
    ['bad SSM concurrency', withDev((d) => (d.ssm = { maxConcurrency: 'half' })), `${E}.ssm.maxConcurrency`, 'half'],
  ];

  it.each(invalid)('GIVEN %s WHEN validated THEN the problem names the field and the bad value', (_what, raw, fieldPath, mention) => {
    const { config, problems } = validateConfig(raw);
    expect(config).toBeUndefined();
    const named = problems.filter((p) => p.path === fieldPath);
    expect(named, JSON.stringify(problems)).not.toHaveLength(0);
    expect(named.map((p) => p.message).join('\n')).toContain(mention);
  });

  it.each([
    ['SSH from anywhere with allowSshFromAnywhere', withDev((d) => (d.network = { adminCidrs: ['0.0.0.0/0'], allowSshFromAnywhere: true }))],
    [
      'another region with its own zones',
      withDev((d) => Object.assign(d, { region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] })),
    ],
    [
      'a /20 VPC and /24 subnets inside it',
      withDev(
        (d) =>
          (d.network = {
            vpcCidr: '10.20.0.0/20',
            subnets: {
              public: ['10.20.0.0/24', '10.20.1.0/24', '10.20.2.0/24'],
              private: ['10.20.4.0/24', '10.20.5.0/24', '10.20.6.0/24'],
              database: ['10.20.8.0/24', '10.20.9.0/24', '10.20.10.0/24'],
            },
          }),
      ),
    ],
    ['a fixed-size worker group', withDev((d) => (d.compute = { workers: { min: 3, desired: 3, max: 3 } }))],
    [
      'a valid cross-region vault and DR region',
      withDev((d) =>
        Object.assign(d, {
          storage: { backup: { copyToVaultArn: 'arn:aws:backup:us-east-1:123456789012:backup-vault:dr' } },
          recovery: { drRegion: 'us-east-1' },
        }),
      ),
    ],
    ['two environments', { ...base(), environments: { dev: {}, prod: { highAvailability: true } } }],
  ])('GIVEN %s WHEN validated THEN it is valid', (_what, raw) => {
    expect(validateConfig(raw).problems).toEqual([]);
  });

  it('GIVEN a config with several problems WHEN validated once THEN every problem is reported', () => {
    const raw = withDev((d) => {
      d.monitoring = { alarmEmail: 'nobody' };
      d.compute = { workers: { min: 5, desired: 5, max: 4 } };
      d.network = { subnets: { private: ['10.0.11.0/24', '10.0.12.1/24', '10.0.13.0/24'] } };
      d.storage = { rds: { backupRetentionDays: 40 } };
    });
    raw.project = 'X';
    const { config, problems } = validateConfig(raw);
    expect(config).toBeUndefined();
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'project',
        `${E}.monitoring.alarmEmail`,
        `${E}.compute.workers.min`,
        `${E}.network.subnets.private[1]`,
        `${E}.storage.rds.backupRetentionDays`,
      ]),
    );
  });

  it('GIVEN one schema error in an environment WHEN validated THEN omitted fields are not reported as wrong', () => {
    const { problems } = validateConfig(withDev((d) => (d.monitoring = { alarmEmail: 'nobody' })));
    expect(problems.map((p) => p.path)).toEqual([`${E}.monitoring.alarmEmail`]);
  });

  it('GIVEN no environments WHEN validated THEN it says at least one is required', () => {
    const { problems } = validateConfig({ ...base(), environments: {} });
    expect(problems).toEqual([expect.objectContaining({ path: 'environments', message: expect.stringContaining('at least one environment') })]);
  });
});

describe('defaults', () => {
  it("GIVEN the minimal config WHEN validated THEN the defaults are the seed's numbers", () => {
    const env = validateConfig(base()).config!.environments.dev!;
    expect(env.network.vpcCidr).toBe('10.0.0.0/16');
    expect(env.network.subnets).toEqual({
      public: ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'],
      private: ['10.0.11.0/24', '10.0.12.0/24', '10.0.13.0/24'],
      database: ['10.0.21.0/24', '10.0.22.0/24', '10.0.23.0/24'],
    });
    expect(env.availabilityZones).toHaveLength(3);
    expect(env.compute.bastion.instanceType).toBe('t3.micro');
    expect(env.compute.master).toEqual({ instanceType: 'm5.large', rootVolumeGb: 100, dataVolumeGb: 500 });
    expect(env.compute.dev).toEqual({ instanceType: 't3.medium', rootVolumeGb: 50 });
    expect(env.compute.workers).toMatchObject({
      instanceType: 'm5.xlarge',
      rootVolumeGb: 100,
      dataVolumeGb: 1000,
      min: 2,
      desired: 2,
      max: 6,
      scaleOutCpuPercent: 70,
      scaleInCpuPercent: 30,
      scaleOutMinutes: 5,
    });
    expect(env.storage.efs.transitionToIaDays).toBe(30);
    expect(env.storage.backup.retentionDays).toBe(35);
    expect(env.storage.rds.backupRetentionDays).toBe(7);
    expect(env.recovery.rtoMinutes).toEqual({ critical: 240, nonCritical: 1440, data: 120, full: 480 });
    expect(env.recovery.rpoMinutes).toMatchObject({ database: 15, fileSystem: 1440 });
  });

  it('GIVEN the schema WHEN exported as JSON Schema THEN it describes the environments', () => {
    const schema = configJsonSchema() as { type?: string; properties?: Record<string, any>; title?: string };
    expect(schema.type).toBe('object');
    expect(schema.title).toBe('dpf configuration');
    expect(schema.properties).toHaveProperty('environments');
    expect(schema.properties).toHaveProperty('project');
    expect(() => JSON.parse(JSON.stringify(schema))).not.toThrow();
  });
});

describe('loadConfig', () => {
  const write = (name: string, text: string) => {
    const file = path.join(tmp, name);
    writeFileSync(file, text);
    return file;
  };

  it('GIVEN a valid YAML file WHEN loaded THEN the typed config and its directory are returned', async () => {
    const file = write('ok.yaml', 'version: 1\nproject: dataplatform\nenvironments:\n  dev: {}\n');
    const loaded = await loadConfig(file);
    expect(loaded.dir).toBe(tmp);
    expect(loaded.config.environments.dev!.compute.workers.max).toBe(6);
  });

  it('GIVEN a YAML syntax error WHEN loaded THEN ConfigInvalidError names the line', async () => {
    const file = write('broken.yaml', 'version: 1\nproject: dataplatform\nenvironments:\n  dev: {region: [us-west-2\n');
    const err = await loadConfig(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigInvalidError);
    const e = err as ConfigInvalidError;
    expect(e.exitCode).toBe(ExitCode.Usage);
    expect(e.message).toContain(file);
    expect(e.problems[0]).toMatch(/^\(yaml\) line \d+: /);
  });

  it('GIVEN an invalid config WHEN loaded THEN the problems are "path: message" lines', async () => {
    const file = write('bad.yaml', 'version: 1\nproject: dataplatform\nenvironments:\n  dev:\n    compute:\n      workers: {min: 3, desired: 3, max: 2}\n');
    const err = (await loadConfig(file).catch((e: unknown) => e)) as ConfigInvalidError;
    expect(err).toBeInstanceOf(ConfigInvalidError);
    expect(err.problems).toContain('environments.dev.compute.workers.min: min (3) must not exceed max (2)');
    expect(err.details).toEqual(err.problems);
  });

  it('GIVEN no file WHEN loaded THEN ConfigNotFound says how to create one', async () => {
    const err = await loadConfig(path.join(tmp, 'missing.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ code: 'ConfigNotFound', exitCode: ExitCode.Usage, hint: expect.stringContaining('dpf init') });
  });
});
