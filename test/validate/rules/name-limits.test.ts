import { describe, expect, it } from 'vitest';
import { nameLimits } from '../../../src/validate/rules/name-limits.js';
import { extremeNames, nameProbes } from '../../../src/validate/environment.js';
import { configSchema } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/load.js';
import { input, stack } from '../helpers.js';

const tpl = `
Parameters:
  ProjectName: { Type: String, AllowedPattern: '^[a-z][a-z0-9-]{0,16}$' }
  EnvName: { Type: String, AllowedPattern: '^[a-z][a-z0-9-]{0,15}$' }
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: { RoleName: !Sub '\${ProjectName}-\${EnvName}-DataEngineering-DeveloperRole', AssumeRolePolicyDocument: {} }
  Db:
    Type: AWS::RDS::DBInstance
    Properties: { DBInstanceIdentifier: !Sub '\${ProjectName}-\${EnvName}-metadata' }
`;
const probe = (project: string, envName: string) => ({
  project,
  envName,
  stacks: [stack('identity', tpl, { params: { ProjectName: project, EnvName: envName } })],
});

describe('rule name-limits', () => {
  it.each([
    [
      'a 17+16 character project/environment pair with a longer role suffix (65 characters)',
      probe('a'.repeat(17), 'b'.repeat(17)),
      /65 characters \(AWS allows 1-64\)/,
    ],
    ['an environment name ending in a dash (RDS refuses "--")', probe('acme', 'dev-'), /two hyphens in a row/],
    ['a parameter value outside the template AllowedPattern', probe('acme', 'e'.repeat(17)), /does not match AllowedPattern/],
  ])('GIVEN %s WHEN checked THEN it fails naming the limit', (_what, p, message) => {
    const findings = nameLimits.check(input([], { probes: [p] }));
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.map((f) => f.message).join('\n')).toMatch(message);
  });

  it('GIVEN names within the limits (17 + 16 characters, the role at exactly 64) WHEN checked THEN it passes', () => {
    expect(nameLimits.check(input([], { probes: [probe('a'.repeat(17), 'b'.repeat(16))] }))).toEqual([]);
  });

  it('GIVEN the config schema WHEN probing it THEN the extreme names are its own limits (read from the schema, not copied)', () => {
    const ok = (p: string) => configSchema.safeParse({ project: p, environments: { dev: {} } }).success;
    const names = extremeNames(ok);
    const longest = Math.max(...names.map((n) => n.length));
    expect(ok('a'.repeat(longest))).toBe(true);
    expect(ok('a'.repeat(longest + 1))).toBe(false);
    expect(names.every(ok)).toBe(true);
    expect(nameProbes().length).toBeGreaterThan(0);
  });

  it('GIVEN the loader refuses "--" and a trailing dash by the AWS rules of the derived names (config/names.ts) WHEN probing THEN every probe is a name the loader accepts', () => {
    const probes = nameProbes();
    for (const p of probes)
      expect(validateConfig({ version: 1, project: p.project, environments: { [p.envName]: {} } }).problems, `${p.project}/${p.envName}`).toEqual([]);
    expect(probes.some((p) => p.project.includes('--') || p.project.endsWith('-') || p.envName.includes('--') || p.envName.endsWith('-'))).toBe(false);
    expect(Math.max(...probes.map((p) => p.project.length))).toBe(17);
  });
});
