/**
 * dpf init without a terminal: the subnets follow --vpc-cidr, `--set path=value` overrides land,
 * and every value written explicitly (highAvailability and RDS deletion protection included).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { environmentFor, runInit, type InitOptions } from '../../src/commands/init.js';
import { validateConfig } from '../../src/config/load.js';
import type { CommandContext } from '../../src/context.js';
import { DpfError, ExitCode } from '../../src/errors.js';
import { FakeIoHost } from '../fakes/fake-io-host.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { testSettings } from '../fakes/fake-settings.js';

describe('--set in init', () => {
  it('GIVEN several --set THEN each lands at its path over the defaults and the flags; the last wins', () => {
    const { env } = environmentFor({
      env: 'dev',
      defaults: true,
      workersMax: 5,
      set: ['compute.workers.max=8', 'storage.rds.instanceClass=db.m5.large', 'compute.workers.max=9'],
    });
    expect(env).toMatchObject({
      compute: { workers: { max: 9, min: 2, instanceType: 'm5.xlarge' } },
      storage: { rds: { instanceClass: 'db.m5.large', engineVersion: '16' } },
    });
  });
});

describe('environmentFor: every value explicit', () => {
  it.each([
    ['dev', false],
    ['staging', false],
    ['prod', true],
    ['production', true],
  ])('GIVEN env %s THEN highAvailability and storage.rds.deletionProtection are written as %s', (name, prod) => {
    const { env } = environmentFor({ env: name, defaults: true });
    expect(env.highAvailability).toBe(prod);
    expect((env.storage as { rds: { deletionProtection: unknown } }).rds.deletionProtection).toBe(prod);
  });

  it('GIVEN --ha in dev, or --set storage.rds.deletionProtection=false in prod THEN the flag wins', () => {
    expect(environmentFor({ env: 'dev', defaults: true, highAvailability: true }).env.highAvailability).toBe(true);
    expect(environmentFor({ env: 'prod', defaults: true, set: ['storage.rds.deletionProtection=false'] }).env).toMatchObject({
      highAvailability: true,
      storage: { rds: { deletionProtection: false } },
    });
  });

  it.each([
    ['prod', 'us-west-2', [], 'us-east-1'],
    ['prod-eu', 'eu-west-1', [], 'eu-central-1'],
    ['prod', 'us-west-2', ['recovery.drRegion=eu-west-1'], 'eu-west-1'],
    ['dev', 'us-west-2', [], undefined],
  ])('GIVEN env %s in %s (sets %j) THEN recovery.drRegion is %s: production copies its backups to another region', (name, region, set, dr) => {
    const { env } = environmentFor({ env: name, defaults: true, region, set });
    expect((env.recovery as { drRegion?: string }).drRegion).toBe(dr);
  });

  it("GIVEN --vpc-cidr THEN the subnets follow it; GIVEN --set for a tier THEN that tier is the user's", () => {
    const { env } = environmentFor({
      env: 'dev',
      defaults: true,
      vpcCidr: '172.16.0.0/16',
      set: ['network.subnets.database=172.16.200.0/24,172.16.201.0/24,172.16.202.0/24'],
    });
    expect(env.network).toMatchObject({
      vpcCidr: '172.16.0.0/16',
      subnets: {
        public: ['172.16.1.0/24', '172.16.2.0/24', '172.16.3.0/24'],
        private: ['172.16.11.0/24', '172.16.12.0/24', '172.16.13.0/24'],
        database: ['172.16.200.0/24', '172.16.201.0/24', '172.16.202.0/24'],
      },
    });
    expect(environmentFor({ env: 'dev', defaults: true, set: ['network.vpcCidr=10.8.0.0/16'] }).env.network).toMatchObject({
      vpcCidr: '10.8.0.0/16',
      subnets: { public: ['10.8.1.0/24', '10.8.2.0/24', '10.8.3.0/24'] },
    });
  });
});

describe('runInit --defaults', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const ctx = (): CommandContext & { out: string[] } => {
    const out: string[] = [];
    return {
      out,
      globals: { config: path.join(dir, 'dpf.config.yaml'), json: false, yes: true, verbose: false, color: false },
      settings: testSettings(),
      io: new FakeIoHost(false),
      clock: new FakeClock('2025-01-04T03:00:00.000Z'),
      signal: new AbortController().signal,
      aws: () => {
        throw new Error('init must not call AWS');
      },
      stdout: (t) => out.push(t),
      isTTY: false,
    } as CommandContext & { out: string[] };
  };
  const init = (o: Partial<InitOptions>) => runInit({ env: 'dev', defaults: true, ...o }, ctx());
  const written = () => parse(readFileSync(path.join(dir, 'dpf.config.yaml'), 'utf8')) as { environments: Record<string, Record<string, any>> };
  const fails = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e as DpfError;
    }
    throw new Error('expected a failure');
  };

  it('GIVEN --vpc-cidr 172.16.0.0/16 THEN the file is written and valid, its subnets inside that VPC', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-init-'));
    await init({ vpcCidr: '172.16.0.0/16' });
    const dev = written().environments.dev!;
    expect(dev.network.vpcCidr).toBe('172.16.0.0/16');
    expect(dev.network.subnets.private).toEqual(['172.16.11.0/24', '172.16.12.0/24', '172.16.13.0/24']);
    expect(dev.highAvailability).toBe(false);
    expect(dev.storage.rds.deletionProtection).toBe(false);
    expect(validateConfig(written()).problems).toEqual([]);
  });

  it('GIVEN --vpc-cidr 10.0.0.0/20 THEN exit 2 naming the value and network.subnets; nothing written', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-init-'));
    const err = await fails(init({ vpcCidr: '10.0.0.0/20' }));
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(err.message).toMatch(/--vpc-cidr: 10\.0\.0\.0\/20 is too small/);
    expect(err.hint).toMatch(/network\.subnets/);
    expect(existsSync(path.join(dir, 'dpf.config.yaml'))).toBe(false);
  });

  it('GIVEN --set values THEN they are in the file; an invalid one is named with its --set', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpf-init-'));
    await init({ env: 'prod', set: ['compute.workers.max=8', 'network.adminCidrs=198.51.100.0/24,192.0.2.0/24', 'monitoring.alarmEmail=ops@corp.example'] });
    const prod = written().environments.prod!;
    expect(prod).toMatchObject({
      highAvailability: true,
      compute: { workers: { max: 8 } },
      network: { adminCidrs: ['198.51.100.0/24', '192.0.2.0/24'] },
      monitoring: { alarmEmail: 'ops@corp.example' },
      storage: { rds: { deletionProtection: true } },
    });
    const err = await fails(init({ env: 'qa', set: ['compute.workers.max=lots'] }));
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(err.details.join('\n')).toMatch(/environments\.qa\.compute\.workers\.max: .*\(from --set compute\.workers\.max=lots\)/);
    const unknown = await fails(init({ env: 'qa', set: ['compute.workers.maxx=8'] }));
    expect(unknown.message).toMatch(/--set compute\.workers\.maxx=8: unknown key "maxx"/);
    expect(Object.keys(written().environments)).toEqual(['prod']);
  });
});
