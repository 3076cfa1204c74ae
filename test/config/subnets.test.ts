/** The specification's subnet layout derived inside a VPC (dpf init --vpc-cidr). */
import { describe, it, expect } from 'vitest';
import { deriveSubnets } from '../../src/config/subnets.js';
import { environmentSchema } from '../../src/config/schema.js';
import { validateConfig } from '../../src/config/load.js';

const SEED = environmentSchema.parse({}).network.subnets;

describe('deriveSubnets', () => {
  it("GIVEN 10.0.0.0/16 THEN exactly the seed's nine subnets", () => {
    expect(deriveSubnets('10.0.0.0/16')).toEqual({ public: SEED.public, private: SEED.private, database: SEED.database });
  });

  it('GIVEN 172.16.0.0/16 THEN the same offsets inside it', () => {
    expect(deriveSubnets('172.16.0.0/16')).toEqual({
      public: ['172.16.1.0/24', '172.16.2.0/24', '172.16.3.0/24'],
      private: ['172.16.11.0/24', '172.16.12.0/24', '172.16.13.0/24'],
      database: ['172.16.21.0/24', '172.16.22.0/24', '172.16.23.0/24'],
    });
  });

  it('GIVEN 10.20.0.0/19 THEN the offsets still fit (the largest, 23, is the last but 8 /24s of 32)', () => {
    const d = deriveSubnets('10.20.0.0/19');
    expect(d).toEqual({
      public: ['10.20.1.0/24', '10.20.2.0/24', '10.20.3.0/24'],
      private: ['10.20.11.0/24', '10.20.12.0/24', '10.20.13.0/24'],
      database: ['10.20.21.0/24', '10.20.22.0/24', '10.20.23.0/24'],
    });
    // …and the rules accept them inside that VPC.
    const env = environmentSchema.parse({ network: { vpcCidr: '10.20.0.0/19', subnets: d } });
    expect(validateConfig({ version: 1, project: 'dataplatform', environments: { dev: env } }).problems).toEqual([]);
  });

  it('GIVEN a VPC of the second half of a /16 (10.0.32.0/19) THEN offsets count from its own network address', () => {
    expect(deriveSubnets('10.0.32.0/19')).toMatchObject({
      public: ['10.0.33.0/24', '10.0.34.0/24', '10.0.35.0/24'],
      database: ['10.0.53.0/24', '10.0.54.0/24', '10.0.55.0/24'],
    });
  });

  it('GIVEN 10.0.0.0/20 THEN refused, naming the value and the /19 it needs', () => {
    const d = deriveSubnets('10.0.0.0/20');
    expect(d).toMatchObject({ tooSmall: true, error: expect.stringMatching(/^10\.0\.0\.0\/20 is too small .*\/19 or larger/) });
  });

  it('GIVEN something that is not a CIDR THEN no layout (validation names it)', () => {
    expect(deriveSubnets('10.0.0.1/16')).toMatchObject({ tooSmall: false, error: expect.stringMatching(/host bits/) });
  });
});
