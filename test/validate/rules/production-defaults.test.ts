import { describe, expect, it } from 'vitest';
import { productionDefaults } from '../../../src/validate/rules/production-defaults.js';
import type { EnvironmentInput } from '../../../src/config/schema.js';
import { input, stack } from '../helpers.js';

const db = (multiAz: boolean, protection: boolean) =>
  stack(
    'storage',
    `
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties: { MultiAZ: '${multiAz}', DeletionProtection: '${protection}' }
`,
  );
const network = (nats: number) =>
  stack(
    'network',
    `
Resources:
${['a', 'b', 'c'].map((z) => `  Subnet${z}:\n    Type: AWS::EC2::Subnet\n    Properties: { AvailabilityZone: eu-west-1${z} }`).join('\n')}
${Array.from({ length: nats }, (_, i) => `  Nat${i}:\n    Type: AWS::EC2::NatGateway\n    Properties: {}`).join('\n')}
`,
  );

describe('rule production-defaults', () => {
  it.each<[string, string, EnvironmentInput, ReturnType<typeof stack>[], string, RegExp]>([
    [
      'prod with a single-AZ database from the non-production default (the defect: storage.rds.multiAz defaulted to false everywhere)',
      'prod',
      {},
      [db(false, true), network(3)],
      'error',
      /RDS Multi-AZ is false but the production default is true/,
    ],
    ['prod with one NAT gateway', 'prod', {}, [db(true, true), network(1)], 'error', /NAT gateway per AZ/],
    [
      'dev with Multi-AZ although neither config nor definition asks for it (another code path decided)',
      'dev',
      {},
      [db(true, false), network(1)],
      'error',
      /non-production default is false/,
    ],
    [
      'prod with Multi-AZ turned off in the config',
      'prod',
      { storage: { rds: { multiAz: false } } },
      [db(false, true), network(3)],
      'warning',
      /config sets .*multiAz: false/,
    ],
  ])('GIVEN %s WHEN checked THEN %s', (_what, envName, env, stacks, severity, message) => {
    const findings = productionDefaults.check(input(stacks, { envName, env }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity });
    expect(findings[0]!.message).toMatch(message);
  });

  it.each([
    ['prod', [db(true, true), network(3)]],
    ['production-eu', [db(true, true), network(3)]],
    ['dev', [db(false, false), network(1)]],
  ])('GIVEN %s rendered as the definition says WHEN checked THEN it passes', (envName, stacks) => {
    expect(productionDefaults.check(input(stacks, { envName }))).toEqual([]);
  });
});
