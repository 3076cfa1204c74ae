/**
 * Strict input: one rule (every object of the schema is strict), checked by walking the
 * schema, plus the value rules that need a parser (schedules), arithmetic (SSH exposure by
 * union), or another service's naming rules.
 */
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/schema.js';
import { fieldProblems, validateConfig } from '../../src/config/load.js';
import { scheduleProblem, rateProblem } from '../../src/config/schedule.js';
import { derivedNameProblems } from '../../src/config/names.js';
import { domainProblem, unionSize, parseCidr } from '../../src/config/rules.js';

type Json = Record<string, any>;

/** Every object node of the JSON Schema, with its path in the config (records as `*`). */
function objectNodes(node: Json, path: string[] = [], out: Array<{ path: string[]; node: Json }> = []): Array<{ path: string[]; node: Json }> {
  if (!node || typeof node !== 'object') return out;
  if (node.type === 'object' && node.properties) {
    out.push({ path, node });
    for (const [k, v] of Object.entries(node.properties as Json)) objectNodes(v as Json, [...path, k], out);
  }
  if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object')
    objectNodes(node.additionalProperties, [...path, '*'], out);
  if (node.type === 'array' && node.items) objectNodes(node.items, [...path, '0'], out);
  for (const alt of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) objectNodes(alt as Json, path, out);
  return out;
}

const NODES = objectNodes(configJsonSchema() as Json);

describe('GIVEN the config schema', () => {
  it('WHEN walked THEN it has the sections we expect (the walk reaches nested objects)', () => {
    const paths = NODES.map((n) => n.path.join('.'));
    for (const p of [
      '',
      'environments.*',
      'environments.*.compute.workers',
      'environments.*.network.subnets',
      'environments.*.storage.rds',
      'environments.*.deploy',
      'environments.*.recovery.rtoMinutes',
      'environments.*.patching.maintenanceWindow',
      'environments.*.identity.crossAccount',
      'environments.*.risks.0',
    ])
      expect(paths).toContain(p);
    expect(NODES.length).toBeGreaterThan(25);
  });

  it.each(NODES.map((n) => [n.path.join('.') || '(root)', n.node] as const))(
    'WHEN the object at %s is inspected THEN it refuses unknown keys',
    (_path, node) => {
      expect(node.additionalProperties).toBe(false);
    },
  );

  // A real config with a typo at each object: the loader must name the unknown key (path.key).
  const placeable = NODES.filter((n) => n.path[0] === 'environments' && !n.path.includes('risks'));
  it.each(placeable.map((n) => [n.path.slice(2).join('.') || '(environment)', n.path.slice(2)] as const))(
    'WHEN a config has an unknown key in %s THEN validation names it',
    (_label, inner) => {
      // An array-of-objects section (identity.sudoRules) is walked as item 0: the config holds an array there.
      const env: Json = {};
      let cur: Json = env;
      inner.forEach((part, i) => (cur = cur[part] = inner[i + 1] === '0' ? [] : {}));
      // Required fields (of optional objects, of array items) are filled so only the typo is wrong.
      const required: Record<string, Json> = {
        'identity.crossAccount': { trustedAccountId: '123456789012', externalId: 'x-1' },
        'identity.sudoRules.0': { name: 'ops', group: 'admins' },
      };
      Object.assign(cur, required[inner.join('.')] ?? {});
      cur.concurency = 1;
      const { problems } = validateConfig({ version: 1, project: 'dataplatform', environments: { dev: env } });
      // The loader writes array items as [i].
      const want = ['environments', 'dev', ...inner].join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
      expect(problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toMatch(new RegExp(`^${want.replace(/[.[\]]/g, '\\$&')}: .*concurency`, 'm'));
    },
  );

  it("WHEN the issue's examples are checked (compute.workers.maximum, deploy.concurency) THEN both are errors", () => {
    const { problems } = validateConfig({
      version: 1,
      project: 'dataplatform',
      environments: { dev: { compute: { workers: { maximum: 8 } }, deploy: { concurency: 2 } } },
    });
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['environments.dev.compute.workers', 'environments.dev.deploy']));
  });
});

describe('GIVEN AWS schedule expressions', () => {
  const backup = { allowRate: false, minIntervalMinutes: 60 };
  it.each([
    ['cron(0 5 * * ? *)', undefined],
    ['cron(0 5 ? * MON-FRI *)', undefined],
    ['cron(30 2 L * ? *)', undefined],
    ['cron(15 */6 ? * * *)', undefined],
    ['cron(99 99 * * ? *)', /upper limit '59'/],
    ['cron(0 5 * * *)', /has 5 fields/],
    ['cron(0 5 * * 1 *)', /daysOfMonth and daysOfWeek/],
    ['cron(0 5 ? * ? *)', /blank value/],
    ['cron(0 5 32 * ? *)', /upper limit '31'/],
    ['cron(0/15 * * * ? *)', /one fixed minute/],
    ['rate(1 day)', /cron\(\.\.\.\) only/],
    ['daily', /must be a cron/],
    ['cron()', /has 1 field/],
  ])('WHEN the backup schedule is %s THEN the problem is %s', (expr, want) => {
    const p = scheduleProblem(expr, backup);
    if (want === undefined) expect(p).toBeUndefined();
    else expect(p).toMatch(want);
  });

  it.each([
    ['1 day', undefined],
    ['12 hours', undefined],
    ['5 minutes', undefined],
    ['0 days', /1 or more/],
    ['1 days', /singular/],
    ['2 day', /plural/],
    ['3 weeks', /unit "weeks"/],
    ['-1 days', /rate\(VALUE UNIT\)/],
    ['007 days', /whole number/],
  ])('WHEN rate(%s) is parsed THEN the problem is %s', (body, want) => {
    const p = rateProblem(body);
    if (want === undefined) expect(p).toBeUndefined();
    else expect(p).toMatch(want);
  });

  it('WHEN a rate is allowed but shorter than the minimum THEN it is refused', () => {
    expect(scheduleProblem('rate(30 minutes)', { allowRate: true, minIntervalMinutes: 60 })).toMatch(/every 30 minute/);
    expect(scheduleProblem('rate(2 hours)', { allowRate: true, minIntervalMinutes: 60 })).toBeUndefined();
  });
});

describe('GIVEN admin CIDRs for SSH', () => {
  const cidrs = (...t: string[]) => t.map((x) => parseCidr(x) as Exclude<ReturnType<typeof parseCidr>, string>);
  it('WHEN the union is computed THEN overlaps count once', () => {
    expect(unionSize(cidrs('10.0.0.0/24', '10.0.0.128/25'))).toBe(256);
    expect(unionSize(cidrs('0.0.0.0/1', '128.0.0.0/1'))).toBe(2 ** 32);
    expect(unionSize(cidrs('10.0.0.0/24', '10.0.2.0/24'))).toBe(512);
  });

  const withAdmins = (adminCidrs: string[], allowSshFromAnywhere?: boolean) =>
    validateConfig({
      version: 1,
      project: 'dataplatform',
      environments: { dev: { network: { adminCidrs, ...(allowSshFromAnywhere === undefined ? {} : { allowSshFromAnywhere }) } } },
    }).problems;

  it.each([
    [['0.0.0.0/1', '128.0.0.0/1'], /whole internet/],
    [['0.0.0.0/0'], /whole internet/],
    [['10.0.0.0/7'], /wider than a \/8/],
    [['10.0.0.0/8', '11.0.0.0/8'], /more than a \/8/],
  ])('WHEN adminCidrs are %j THEN SSH exposure is refused', (list, want) => {
    const messages = withAdmins(list)
      .filter((p) => p.path.startsWith('environments.dev.network.adminCidrs'))
      .map((p) => p.message)
      .join('\n');
    expect(messages).toMatch(want);
    expect(withAdmins(list, true)).toEqual([]);
  });

  it.each([[['203.0.113.0/24']], [['10.0.0.0/8']], [['198.51.100.0/24', '192.0.2.0/24', '203.0.113.0/24']]])(
    'WHEN adminCidrs are %j THEN they are accepted',
    (list) => {
      expect(withAdmins(list)).toEqual([]);
    },
  );
});

describe('GIVEN the project and environment names', () => {
  it.each([
    ['xn--data', 'dev', /prefix S3 reserves/],
    ['sthree-data', 'dev', /prefix S3 reserves/],
    ['amzn-s3-demo-x', 'dev', /prefix S3 reserves/],
    ['data-', 'dev', /two hyphens in a row/],
    ['data', 'dev-', /ends with a hyphen|two hyphens/],
    ['data--lake', 'dev', /two hyphens in a row/],
    ['awsdata', 'dev', /SSM Parameter Store reserves/],
  ])('WHEN project %s and environment %s are used THEN a service refuses a derived name', (project, env, want) => {
    expect(derivedNameProblems(project, env).join('\n')).toMatch(want);
  });

  it('WHEN the longest names the schema allows are used THEN every derived name fits', () => {
    expect(derivedNameProblems('a'.repeat(17), 'b'.repeat(16))).toEqual([]);
  });

  it('WHEN the project is xn--data THEN the config problem is on "project"; a trailing hyphen in an environment is on the environment', () => {
    const a = validateConfig({ version: 1, project: 'xn--data', environments: { dev: {} } }).problems;
    expect(a.map((p) => p.path)).toContain('project');
    const b = validateConfig({ version: 1, project: 'dataplatform', environments: { 'dev-': {} } }).problems;
    expect(b.map((p) => p.path)).toContain('environments.dev-');
    expect(b.find((p) => p.path === 'environments.dev-')!.message).toMatch(/RDS DB instance identifier "dataplatform-dev--metadata"/);
  });
});

describe('GIVEN other values that end up in AWS or Ansible', () => {
  const dev = (env: Json) => validateConfig({ version: 1, project: 'dataplatform', environments: { dev: env } }).problems;
  const at = (env: Json, path: string) =>
    dev(env)
      .filter((p) => p.path === `environments.dev.${path}`)
      .map((p) => p.message)
      .join('\n');

  it.each([
    ['not a domain!', /not a DNS domain/],
    ['internal', /one label/],
    ['corp..internal', /empty label/],
    ['-corp.internal', /starts or ends with a hyphen/],
    ['corp.local', /multicast DNS/],
    ['Corp.Internal', /lowercase/],
    ['corp.123', /numeric label/],
  ])('WHEN identity.domain is %j THEN it is refused at config time', (domain, want) => {
    expect(at({ identity: { domain } }, 'identity.domain')).toMatch(want);
  });

  it('WHEN identity.domain is valid THEN domainProblem accepts it', () => {
    expect(domainProblem('dataplatform.internal')).toBeUndefined();
    expect(domainProblem('corp.example.com')).toBeUndefined();
  });

  it.each([
    [{ region: 'us-west-9' }, 'region', /not an AWS region/],
    [{ region: 'us-weast-2', availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'] }, 'region', /did you mean us-west-2|us-east-2/],
    [{ recovery: { drRegion: 'mars-1' } }, 'recovery.drRegion', /not an AWS region/],
    [{ recovery: { drRegion: 'us-east-1', drKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc' } }, 'recovery.drKmsKeyArn', /not in recovery.drRegion/],
    [{ deploy: { startDate: '2025-02-30' } }, 'deploy.startDate', /not a calendar date/],
    [{ deploy: { startDate: '1999-12-31' } }, 'deploy.startDate', /2000-2100/],
    [{ storage: { backup: { retentionDays: 100000 } } }, 'storage.backup.retentionDays', /36500/],
    [{ storage: { dataLake: { archiveToGlacierDays: 0 } } }, 'storage.dataLake.archiveToGlacierDays', /1/],
    [{ compute: { master: { rootVolumeGb: 4 } } }, 'compute.master.rootVolumeGb', /8/],
    [{ compute: { workers: { max: 5000 } } }, 'compute.workers.max', /1000/],
    [{ recovery: { rpoMinutes: { database: 10_000_000 } } }, 'recovery.rpoMinutes.database', /525600/],
    [{ ssm: { maxConcurrency: '0' } }, 'ssm.maxConcurrency', /1 or more/],
    [{ ssm: { maxErrors: '101%' } }, 'ssm.maxErrors', /0% to 100%/],
    [{ storage: { rds: { engineVersion: 'latest' } } }, 'storage.rds.engineVersion', /PostgreSQL version/],
    [{ storage: { rds: { masterUsername: 'rdsadmin' } } }, 'storage.rds.masterUsername', /reserves/],
    [{ storage: { rds: { databaseName: 'select' } } }, 'storage.rds.databaseName', /reserves/],
    [{ identity: { crossAccount: { trustedAccountId: '123456789012', externalId: 'has space' } } }, 'identity.crossAccount.externalId', /ExternalId/],
    [{ compute: { imageParameter: 'al2023' } }, 'compute.imageParameter', /SSM parameter path/],
    [{ patching: { stagingEnv: 'Staging!' } }, 'patching.stagingEnv', /environment names/],
    [
      { identity: { passwordPolicy: { maxLifeDays: 1, minLifeHours: 25 } } },
      'identity.passwordPolicy.minLifeHours',
      /FreeIPA refuses a minimum password life over the maximum/,
    ],
    [{ identity: { groups: ['data-engineers', 'analysts', 'data-engineers'] } }, 'identity.groups[2]', /listed twice/],
    [
      {
        identity: {
          sudoRules: [
            { name: 'ops', group: 'admins' },
            { name: 'ops', group: 'analysts' },
          ],
        },
      },
      'identity.sudoRules[1].name',
      /identity\.sudoRules\[0\] too; FreeIPA keeps one rule per name/,
    ],
    [{ identity: { sudoRules: [{ name: 'ops', group: 'admins', commands: ['rm -rf /'] }] } }, 'identity.sudoRules[0].commands[0]', /absolute command path/],
  ])('WHEN %j THEN %s is refused', (env, path, want) => {
    expect(at(env, path)).toMatch(want);
  });
});

describe('GIVEN one field checked on its own (the wizard checks each answer as it is typed)', () => {
  it.each([
    ['network.vpcCidr', '10.0.0/16', {}, /not an IPv4 CIDR/],
    ['availabilityZones', ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], { region: 'us-west-2' }, /not a zone of region us-west-2/],
    ['storage.backup.schedule', 'cron(0 5 * * *)', {}, /has 5 fields/],
    ['identity.domain', 'not a domain!', {}, /not a DNS domain/],
    ['region', 'moon-1', {}, /not an AWS region/],
    ['project', 'xn--data', {}, /prefix S3 reserves/],
    ['envName', 'Dev', {}, /environment names/],
    ['envName', 'dev-', {}, /RDS DB instance identifier "dataplatform-dev--metadata" contains two hyphens/],
    ['project', 'data--lake', {}, /CloudTrail trail name .* two periods, underscores or dashes in a row/],
    ['identity.sudoRules.0.name', 'Ops Team', { identity: { sudoRules: [{ name: 'x', group: 'admins' }] } }, /lowercase letters, digits/],
    ['identity.passwordPolicy.minLifeHours', 48, { identity: { passwordPolicy: { maxLifeDays: 1 } } }, /over the maximum/],
  ])("WHEN %s = %j THEN fieldProblems gives the loader's message", (field, value, env, want) => {
    expect(fieldProblems(field, value, { env }).join('\n')).toMatch(want);
  });

  it('WHEN a valid value is checked THEN there is no problem, and problems of other fields are not reported', () => {
    expect(
      fieldProblems('network.vpcCidr', '10.20.0.0/16', {
        env: {
          network: {
            subnets: {
              public: ['10.20.1.0/24', '10.20.2.0/24', '10.20.3.0/24'],
              private: ['10.20.11.0/24', '10.20.12.0/24', '10.20.13.0/24'],
              database: ['10.20.21.0/24', '10.20.22.0/24', '10.20.23.0/24'],
            },
          },
        },
      }),
    ).toEqual([]);
    expect(fieldProblems('monitoring.alarmEmail', 'ops@example.com', { env: { region: 'nowhere-1' } })).toEqual([]);
    // An array item checked on its own field: the problems of its other fields are not this field's.
    expect(fieldProblems('identity.sudoRules.0.name', 'ops', {})).toEqual([]);
  });
});
