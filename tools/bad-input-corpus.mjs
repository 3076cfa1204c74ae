// The bad-input corpus: every case runs bin/dpf as a user would, with a config file and flags
// that are wrong in one way, and must end with the usage exit code — 2, and 1 for `dpf plan`,
// whose 2 means "changes pending" (terraform's -detailed-exitcode; src/cli.ts) — a message
// that names the bad field or flag, output of bounded size, and no request at all to AWS
// (AWS_ENDPOINT_URL points at a tripwire server that counts every request; the case fails on any).
// Used by test/e2e/bad-input.test.ts and bench/robustness.mjs.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { emulatorEnv } from './emulator.mjs';

const E = 'environments.dev';
const base = () => ({ version: 1, project: 'dataplatform', environments: { dev: {} } });
/** A config whose dev environment is `env` (merged over nothing: every other value is a default). */
const dev = (env) => ({ ...base(), environments: { dev: env } });
const yaml = (c) => stringify(c);

/** [name, config (object, or YAML text, or a function that prepares the dir and returns args), args, what the message must name]. */
const CONFIG_CASES = [
  // unknown keys, one per section (strict objects)
  ['unknown top-level key', { ...base(), projct: 'x' }, 'projct'],
  ['unknown environment key', dev({ regoin: 'us-west-2' }), 'regoin'],
  ['unknown key in network', dev({ network: { vpcCdr: '10.0.0.0/16' } }), `${E}.network`],
  ['unknown key in network.subnets', dev({ network: { subnets: { app: ['10.0.5.0/24'] } } }), `${E}.network.subnets`],
  ['unknown key in compute', dev({ compute: { gpu: true } }), `${E}.compute`],
  ['unknown key in compute.workers', dev({ compute: { workers: { maximum: 8 } } }), `${E}.compute.workers`],
  ['unknown key in compute.master', dev({ compute: { master: { type: 'm5.large' } } }), `${E}.compute.master`],
  ['unknown key in storage.rds', dev({ storage: { rds: { engine: 'mysql' } } }), `${E}.storage.rds`],
  ['unknown key in storage.efs', dev({ storage: { efs: { throughput: 'bursting' } } }), `${E}.storage.efs`],
  ['unknown key in storage.backup', dev({ storage: { backup: { retention: 35 } } }), `${E}.storage.backup`],
  ['unknown key in storage.dataLake', dev({ storage: { dataLake: { glacierDays: 90 } } }), `${E}.storage.dataLake`],
  ['unknown key in identity', dev({ identity: { realm: 'X' } }), `${E}.identity`],
  ['unknown key in identity.passwordPolicy', dev({ identity: { passwordPolicy: { minLenght: 12 } } }), `${E}.identity.passwordPolicy`],
  ['unknown key in identity.sudoRules[0]', dev({ identity: { sudoRules: [{ name: 'ops', group: 'admins', runas: 'root' }] } }), `${E}.identity.sudoRules[0]`],
  [
    'sudo rule named twice',
    dev({
      identity: {
        sudoRules: [
          { name: 'ops', group: 'admins' },
          { name: 'ops', group: 'analysts' },
        ],
      },
    }),
    `${E}.identity.sudoRules[1].name`,
  ],
  [
    'unknown key in identity.crossAccount',
    dev({ identity: { crossAccount: { trustedAccountId: '123456789012', externalId: 'x-1', mfa: true } } }),
    `${E}.identity.crossAccount`,
  ],
  ['unknown key in monitoring', dev({ monitoring: { email: 'a@b.c' } }), `${E}.monitoring`],
  ['unknown key in recovery.rtoMinutes', dev({ recovery: { rtoMinutes: { db: 60 } } }), `${E}.recovery.rtoMinutes`],
  ['unknown key in recovery.drill', dev({ recovery: { drill: { maxHours: 2 } } }), `${E}.recovery.drill`],
  ['unknown key in ssm', dev({ ssm: { concurrency: '50%' } }), `${E}.ssm`],
  ['unknown key in patching.maintenanceWindow', dev({ patching: { maintenanceWindow: { day: 'sat' } } }), `${E}.patching.maintenanceWindow`],
  ['unknown key in deploy', dev({ deploy: { concurency: 2 } }), `${E}.deploy`],
  [
    'unknown key in a risk',
    dev({ risks: [{ category: 'c', description: 'd', probability: 'Low', impact: 'Low', mitigation: 'm', owner: 'x' }] }),
    `${E}.risks[0]`,
  ],
  // types and values
  ['project with capitals', { ...base(), project: 'DataPlatform' }, 'project'],
  ['project too long', { ...base(), project: 'a'.repeat(30) }, 'project'],
  ['project xn-- prefix', { ...base(), project: 'xn--data' }, 'project'],
  ['project sthree- prefix', { ...base(), project: 'sthree-data' }, 'project'],
  ['project trailing hyphen', { ...base(), project: 'data-' }, 'project'],
  ['project double hyphen', { ...base(), project: 'data--lake' }, 'project'],
  ['project starting with aws (SSM path)', { ...base(), project: 'awsdata' }, 'project'],
  ['environment name with underscore', { ...base(), environments: { dev_1: {} } }, 'environments.dev_1'],
  ['environment name with trailing hyphen', { ...base(), environments: { 'dev-': {} } }, 'environments.dev-'],
  ['version 2', { ...base(), version: 2 }, 'version'],
  ['no environments', { ...base(), environments: {} }, 'environments'],
  ['region typo', dev({ region: 'us-weast-2' }), `${E}.region`],
  ['region that does not exist', dev({ region: 'us-west-9', availabilityZones: ['us-west-9a', 'us-west-9b', 'us-west-9c'] }), `${E}.region`],
  ['zone of another region', dev({ availabilityZones: ['us-west-2a', 'us-east-1b', 'us-west-2c'] }), `${E}.availabilityZones[1]`],
  ['two zones', dev({ availabilityZones: ['us-west-2a', 'us-west-2b'] }), `${E}.availabilityZones`],
  ['duplicate zone', dev({ availabilityZones: ['us-west-2a', 'us-west-2a', 'us-west-2c'] }), `${E}.availabilityZones[1]`],
  ['zones not a list', dev({ availabilityZones: 'us-west-2a' }), `${E}.availabilityZones`],
  ['account id of 11 digits', dev({ accountId: '12345678901' }), `${E}.accountId`],
  ['account id as a number', dev({ accountId: 123456789012 }), `${E}.accountId`],
  ['VPC CIDR not a CIDR', dev({ network: { vpcCidr: '10.0.0.0' } }), `${E}.network.vpcCidr`],
  ['VPC CIDR /8', dev({ network: { vpcCidr: '10.0.0.0/8' } }), `${E}.network.vpcCidr`],
  ['VPC CIDR octet 300', dev({ network: { vpcCidr: '10.0.300.0/16' } }), `${E}.network.vpcCidr`],
  ['subnet outside the VPC', dev({ network: { subnets: { public: ['10.0.1.0/24', '10.0.2.0/24', '10.9.3.0/24'] } } }), `${E}.network.subnets.public[2]`],
  ['overlapping subnets', dev({ network: { subnets: { private: ['10.0.1.0/24', '10.0.12.0/24', '10.0.13.0/24'] } } }), `${E}.network.subnets.private[0]`],
  ['subnet /29', dev({ network: { subnets: { database: ['10.0.21.0/29', '10.0.22.0/24', '10.0.23.0/24'] } } }), `${E}.network.subnets.database[0]`],
  ['SSH from anywhere', dev({ network: { adminCidrs: ['0.0.0.0/0'] } }), `${E}.network.adminCidrs[0]`],
  ['SSH from the internet in two halves', dev({ network: { adminCidrs: ['0.0.0.0/1', '128.0.0.0/1'] } }), `${E}.network.adminCidrs`],
  ['SSH from a /6', dev({ network: { adminCidrs: ['8.0.0.0/6'] } }), `${E}.network.adminCidrs[0]`],
  ['SSH from four /8s', dev({ network: { adminCidrs: ['11.0.0.0/8', '12.0.0.0/8', '13.0.0.0/8', '14.0.0.0/8'] } }), `${E}.network.adminCidrs`],
  ['five admin CIDRs', dev({ network: { adminCidrs: ['1.1.1.0/24', '1.1.2.0/24', '1.1.3.0/24', '1.1.4.0/24', '1.1.5.0/24'] } }), `${E}.network.adminCidrs`],
  ['flow log retention 100', dev({ network: { flowLogRetentionDays: 100 } }), `${E}.network.flowLogRetentionDays`],
  ['instance type without a dot', dev({ compute: { master: { instanceType: 'large' } } }), `${E}.compute.master.instanceType`],
  ['root volume 4 GB', dev({ compute: { dev: { rootVolumeGb: 4 } } }), `${E}.compute.dev.rootVolumeGb`],
  ['data volume 20 TB', dev({ compute: { master: { dataVolumeGb: 20000 } } }), `${E}.compute.master.dataVolumeGb`],
  ['workers min above max', dev({ compute: { workers: { min: 8, desired: 8, max: 6 } } }), `${E}.compute.workers.min`],
  ['workers desired outside', dev({ compute: { workers: { desired: 9 } } }), `${E}.compute.workers.desired`],
  ['workers max 5000', dev({ compute: { workers: { max: 5000 } } }), `${E}.compute.workers.max`],
  ['workers min negative', dev({ compute: { workers: { min: -1 } } }), `${E}.compute.workers.min`],
  ['scale-out 120 %', dev({ compute: { workers: { scaleOutCpuPercent: 120 } } }), `${E}.compute.workers.scaleOutCpuPercent`],
  ['scale-in above scale-out', dev({ compute: { workers: { scaleInCpuPercent: 80 } } }), `${E}.compute.workers.scaleInCpuPercent`],
  ['image parameter neither path nor AMI', dev({ compute: { imageParameter: 'al2023' } }), `${E}.compute.imageParameter`],
  ['RDS class without db.', dev({ storage: { rds: { instanceClass: 't3.medium' } } }), `${E}.storage.rds.instanceClass`],
  ['RDS engine version "latest"', dev({ storage: { rds: { engineVersion: 'latest' } } }), `${E}.storage.rds.engineVersion`],
  ['RDS storage 10 GB', dev({ storage: { rds: { allocatedStorageGb: 10 } } }), `${E}.storage.rds.allocatedStorageGb`],
  ['RDS backup retention 40', dev({ storage: { rds: { backupRetentionDays: 40 } } }), `${E}.storage.rds.backupRetentionDays`],
  ['RDS master user rdsadmin', dev({ storage: { rds: { masterUsername: 'rdsadmin' } } }), `${E}.storage.rds.masterUsername`],
  ['RDS database named select', dev({ storage: { rds: { databaseName: 'select' } } }), `${E}.storage.rds.databaseName`],
  ['RDS database name with dash', dev({ storage: { rds: { databaseName: 'data-platform' } } }), `${E}.storage.rds.databaseName`],
  ['multiAz as a string', dev({ storage: { rds: { multiAz: 'yes' } } }), `${E}.storage.rds.multiAz`],
  ['EFS IA after 45 days', dev({ storage: { efs: { transitionToIaDays: 45 } } }), `${E}.storage.efs.transitionToIaDays`],
  ['Glacier after 0 days', dev({ storage: { dataLake: { archiveToGlacierDays: 0 } } }), `${E}.storage.dataLake.archiveToGlacierDays`],
  ['backup retention 100000 days', dev({ storage: { backup: { retentionDays: 100000 } } }), `${E}.storage.backup.retentionDays`],
  ['backup schedule "daily"', dev({ storage: { backup: { schedule: 'daily' } } }), `${E}.storage.backup.schedule`],
  ['backup cron 99 99', dev({ storage: { backup: { schedule: 'cron(99 99 * * ? *)' } } }), `${E}.storage.backup.schedule`],
  ['backup cron five fields', dev({ storage: { backup: { schedule: 'cron(0 5 * * *)' } } }), `${E}.storage.backup.schedule`],
  ['backup cron both day fields', dev({ storage: { backup: { schedule: 'cron(0 5 * * 1 *)' } } }), `${E}.storage.backup.schedule`],
  ['backup every 15 minutes', dev({ storage: { backup: { schedule: 'cron(0/15 * * * ? *)' } } }), `${E}.storage.backup.schedule`],
  ['backup rate(0 days)', dev({ storage: { backup: { schedule: 'rate(0 days)' } } }), `${E}.storage.backup.schedule`],
  ['backup vault ARN of S3', dev({ storage: { backup: { copyToVaultArn: 'arn:aws:s3:::bucket' } } }), `${E}.storage.backup.copyToVaultArn`],
  ['identity provider okta', dev({ identity: { provider: 'okta' } }), `${E}.identity.provider`],
  ['identity domain "not a domain!"', dev({ identity: { domain: 'not a domain!' } }), `${E}.identity.domain`],
  ['identity domain one label', dev({ identity: { domain: 'internal' } }), `${E}.identity.domain`],
  ['identity domain .local', dev({ identity: { domain: 'corp.local' } }), `${E}.identity.domain`],
  ['identity domain uppercase', dev({ identity: { domain: 'Corp.Internal' } }), `${E}.identity.domain`],
  ['identity image not an AMI', dev({ identity: { imageId: 'rocky9' } }), `${E}.identity.imageId`],
  ['identity volume 5 GB', dev({ identity: { volumeGb: 5 } }), `${E}.identity.volumeGb`],
  [
    'cross-account id of letters',
    dev({ identity: { crossAccount: { trustedAccountId: 'abcdefghijkl', externalId: 'x-1' } } }),
    `${E}.identity.crossAccount.trustedAccountId`,
  ],
  [
    'cross-account external id with a space',
    dev({ identity: { crossAccount: { trustedAccountId: '123456789012', externalId: 'a b' } } }),
    `${E}.identity.crossAccount.externalId`,
  ],
  ['alarm e-mail without @', dev({ monitoring: { alarmEmail: 'ops.example.com' } }), `${E}.monitoring.alarmEmail`],
  ['CPU critical 150 %', dev({ monitoring: { cpuCriticalPercent: 150 } }), `${E}.monitoring.cpuCriticalPercent`],
  ['CPU minutes 0', dev({ monitoring: { cpuCriticalMinutes: 0 } }), `${E}.monitoring.cpuCriticalMinutes`],
  ['audit log retention 400.5', dev({ monitoring: { auditLogRetentionDays: 400.5 } }), `${E}.monitoring.auditLogRetentionDays`],
  ['debug log retention 45', dev({ monitoring: { debugLogRetentionDays: 45 } }), `${E}.monitoring.debugLogRetentionDays`],
  ['RTO negative', dev({ recovery: { rtoMinutes: { data: -5 } } }), `${E}.recovery.rtoMinutes.data`],
  ['RPO of ten years', dev({ recovery: { rpoMinutes: { database: 5256000 } } }), `${E}.recovery.rpoMinutes.database`],
  ['DR region equal to the region', dev({ recovery: { drRegion: 'us-west-2' } }), `${E}.recovery.drRegion`],
  ['DR region typo', dev({ recovery: { drRegion: 'us-esat-1' } }), `${E}.recovery.drRegion`],
  [
    'DR key in another region',
    dev({ recovery: { drRegion: 'us-east-1', drKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc' } }),
    `${E}.recovery.drKmsKeyArn`,
  ],
  ['drill cost cap 0', dev({ recovery: { drill: { maxCostUsd: 0 } } }), `${E}.recovery.drill.maxCostUsd`],
  ['SSM concurrency 0', dev({ ssm: { maxConcurrency: '0' } }), `${E}.ssm.maxConcurrency`],
  ['SSM errors 150%', dev({ ssm: { maxErrors: '150%' } }), `${E}.ssm.maxErrors`],
  ['SSM timeout 10 s', dev({ ssm: { timeoutSeconds: 10 } }), `${E}.ssm.timeoutSeconds`],
  ['patch method yum', dev({ patching: { method: 'yum' } }), `${E}.patching.method`],
  ['patch window on "someday"', dev({ patching: { maintenanceWindow: { days: ['someday'] } } }), `${E}.patching.maintenanceWindow.days[0]`],
  ['patch window 25:00', dev({ patching: { maintenanceWindow: { startUtc: '25:00' } } }), `${E}.patching.maintenanceWindow.startUtc`],
  ['patch window 30 hours', dev({ patching: { maintenanceWindow: { durationHours: 30 } } }), `${E}.patching.maintenanceWindow.durationHours`],
  ['staging env named "Staging!"', dev({ patching: { stagingEnv: 'Staging!' } }), `${E}.patching.stagingEnv`],
  ['deploy concurrency 0', dev({ deploy: { concurrency: 0 } }), `${E}.deploy.concurrency`],
  ['deploy start 2025-02-30', dev({ deploy: { startDate: '2025-02-30' } }), `${E}.deploy.startDate`],
  ['deploy start 31/12/2025', dev({ deploy: { startDate: '31/12/2025' } }), `${E}.deploy.startDate`],
  [
    'risk probability "Very High"',
    dev({ risks: [{ category: 'c', description: 'd', probability: 'Very High', impact: 'Low', mitigation: 'm' }] }),
    `${E}.risks[0].probability`,
  ],
  ['a 2 MB-long domain (bounded echo)', dev({ identity: { domain: 'x'.repeat(900_000) } }), `${E}.identity.domain`],
  // the file itself
  ['YAML syntax error', 'version: 1\nproject: dataplatform\nenvironments:\n  dev: {region: [us-west-2\n', '(yaml) line'],
  ['duplicate key', 'version: 1\nproject: a1\nproject: a2\nenvironments: {dev: {}}\n', '(yaml) line 3'],
  [
    'YAML alias bomb',
    ['a: &a [x,x,x,x,x,x,x,x,x]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') + '\n',
    'aliases',
  ],
  ['a list at the top', '- dev\n- prod\n', '(root)'],
  ['an empty file', '', '(root)'],
  ['binary garbage', '\u0000\u0001\u0002PK\u0003\u0004', 'dpf.config.yaml'],
  ['a file over 1 MB', `# ${'x'.repeat(1_100_000)}\n`, 'bytes'],
];

/** [name, args, what the message must name]; the config is valid (dev, defaults). */
const FLAG_CASES = [
  ['--region typo', ['deploy', '--env', 'dev', '--yes', '--region', 'us-weast-2'], '--region'],
  ['--region garbage', ['status', '--env', 'dev', '--region', 'not a region'], '--region'],
  ['--region of another region than the zones', ['deploy', '--env', 'dev', '--yes', '--region', 'eu-west-1'], 'availabilityZones'],
  ['--concurrency 0', ['deploy', '--env', 'dev', '--yes', '--concurrency', '0'], '--concurrency'],
  ['--concurrency -3', ['deploy', '--env', 'dev', '--yes', '--concurrency', '-3'], '--concurrency'],
  ['--concurrency four', ['deploy', '--env', 'dev', '--yes', '--concurrency', 'four'], '--concurrency'],
  ['--concurrency 99', ['deploy', '--env', 'dev', '--yes', '--concurrency', '99'], '--concurrency'],
  ["--phase ''", ['deploy', '--env', 'dev', '--yes', '--phase', ''], '--phase'],
  ['--phase netwrk', ['deploy', '--env', 'dev', '--yes', '--phase', 'netwrk'], '--phase'],
  ['--phase a,,b', ['plan', '--env', 'dev', '--phase', 'network,,compute'], '--phase'],
  ['--env twice', ['deploy', '--env', 'dev', '--env', 'prod', '--yes'], '--env'],
  ['--config twice', ['deploy', '--config', 'dpf.config.yaml', '--config', 'other.yaml', '--env', 'dev'], '--config'],
  ['--region twice', ['status', '--env', 'dev', '--region', 'us-west-2', '--region', 'us-east-1'], '--region'],
  ['--concurrency twice', ['deploy', '--env', 'dev', '--concurrency', '2', '--concurrency', '3'], '--concurrency'],
  ['--env unknown', ['deploy', '--env', 'prod', '--yes'], 'prod'],
  ['--config a directory', ['deploy', '--env', 'dev', '--config', '.'], 'directory'],
  ['--config missing', ['deploy', '--env', 'dev', '--config', 'nope.yaml'], 'nope.yaml'],
  ['unknown option', ['deploy', '--env', 'dev', '--fast'], '--fast'],
  ['unknown command', ['deplyo', '--env', 'dev'], 'deplyo'],
  ['backup --timeout-minutes 0', ['backup', '--env', 'dev', '--timeout-minutes', '0'], '--timeout-minutes'],
  ['restore db --time garbage', ['restore', 'db', '--env', 'dev', '--time', 'yesterday'], '--time'],
  ['init --workers-min -1', ['init', '--env', 'x', '--defaults', '--yes', '--workers-min', '-1'], '--workers-min'],
  ['init --env Bad_Name', ['init', '--env', 'Bad_Name', '--defaults', '--yes'], 'Bad_Name'],
  ['init --vpc-cidr /8', ['init', '--env', 'x', '--defaults', '--yes', '--vpc-cidr', '10.0.0.0/8'], '10.0.0.0/8'],
  ['init --admin-cidr 0.0.0.0/0', ['init', '--env', 'x', '--defaults', '--yes', '--admin-cidr', '0.0.0.0/0'], '0.0.0.0/0'],
  ['init --region typo', ['init', '--env', 'x', '--defaults', '--yes', '--region', 'eu-wset-1'], '--region'],
  ['init --set unknown key', ['init', '--env', 'x', '--defaults', '--yes', '--set', 'compute.workers.maximum=8'], 'compute.workers'],
];

/** The usage exit code of a command line: `dpf plan` exits 1 (its 2 is "changes pending"), the others 2. */
export function usageExit(args) {
  return args[0] === 'plan' ? 1 : 2;
}

export function corpusCases() {
  const out = [];
  for (const [name, config, field] of CONFIG_CASES) out.push({ name, config, args: ['deploy', '--env', 'dev', '--yes'], field });
  // The same invalid config refused by the other commands that read it, a few of them.
  for (const [cmd, extra] of [
    ['plan', []],
    ['status', []],
    ['unlock', ['--yes']],
    ['backup', []],
    ['destroy', ['--yes']],
    ['doctor', []],
  ])
    out.push({
      name: `${cmd} with an unknown key in compute.workers`,
      config: dev({ compute: { workers: { maximum: 8 } } }),
      args: [cmd, '--env', 'dev', ...extra],
      field: `${E}.compute.workers`,
    });
  for (const [name, args, field] of FLAG_CASES) out.push({ name, config: base(), args, field });
  for (const c of out) c.exit = usageExit(c.args);
  return out;
}

/** A server that counts every request (AWS_ENDPOINT_URL of a case): a valid case makes none. */
async function tripwire() {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    res.writeHead(500);
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${server.address().port}`, requests: () => requests, close: () => new Promise((r) => server.close(r)) };
}

function runDpf(dpfBin, args, cwd, endpoint) {
  return new Promise((resolve) => {
    const env = { ...process.env, ...emulatorEnv(endpoint) };
    delete env.DPF_CONFIG;
    const child = spawn(dpfBin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Run one case: { name, code, exit (the expected code), named, requests, outputLength, ok, out }. */
export async function runCase(dpfBin, c) {
  const dir = mkdtempSync(path.join(tmpdir(), 'dpf-corpus-'));
  mkdirSync(path.join(dir, 'conf'), { recursive: true });
  writeFileSync(path.join(dir, 'dpf.config.yaml'), typeof c.config === 'string' ? c.config : yaml(c.config));
  const trip = await tripwire();
  try {
    const r = await runDpf(dpfBin, c.args, dir, trip.endpoint);
    const named = r.out.includes(c.field);
    const requests = trip.requests();
    const ok = r.code === (c.exit ?? 2) && named && requests === 0 && r.out.length < 20_000;
    return { name: c.name, code: r.code, exit: c.exit ?? 2, named, requests, outputLength: r.out.length, ok, out: r.out };
  } finally {
    await trip.close();
  }
}

/** Run the whole corpus, `concurrency` cases at a time. */
export async function runCorpus(dpfBin, concurrency = 4) {
  const cases = corpusCases();
  const results = new Array(cases.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const i = next++;
        results[i] = await runCase(dpfBin, cases[i]);
      }
    }),
  );
  return results;
}
