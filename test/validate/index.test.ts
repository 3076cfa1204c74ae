/**
 * The semantic tier on the bundled templates, rendered for a dev and a prod config exactly as
 * dpf deploys them (parameters computed by the phases, stack tags, the agent's metrics, the
 * patch graph): every rule passes, except what the config itself leaves open (no DR region in
 * dev: a warning).
 */
import { describe, expect, it } from 'vitest';
import { RULES, checkEnvironment, runRules } from '../../src/validate/index.js';
import { configSchema } from '../../src/config/schema.js';
import type { Rule } from '../../src/validate/types.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/templates/registry.js';
import { input } from './helpers.js';

const config = configSchema.parse({
  project: 'dataplatform',
  environments: {
    dev: {},
    prod: {
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      recovery: { drRegion: 'eu-central-1' },
      identity: { provider: 'freeipa' },
    },
    staging: { identity: { provider: 'iam' }, recovery: { drRegion: 'us-east-1' }, monitoring: { cloudTrail: 'existing' } },
  },
});

describe('GIVEN the bundled templates', () => {
  it.each([
    ['dev', { 'backup-coverage': 'warn' }],
    ['prod', {}],
    ['staging', { 'event-sources': 'warn' }],
  ])('WHEN the rules run for %s THEN every rule passes (except %j)', async (env, expected: Record<string, string>) => {
    const { verdicts } = await checkEnvironment(config, env);
    expect(verdicts.map((v) => v.id)).toEqual(RULES.map((r) => r.id));
    const statuses = Object.fromEntries(verdicts.map((v) => [v.id, v.status]));
    expect(statuses).toEqual({ ...Object.fromEntries(RULES.map((r) => [r.id, 'pass'])), ...expected });
    for (const v of verdicts.filter((x) => x.status !== 'pass'))
      expect(
        v.findings.every((f) => f.severity === 'warning'),
        JSON.stringify(v.findings),
      ).toBe(true);
  });

  it('WHEN listing the rules THEN each has an id, a rule, what it protects against and AWS documentation', () => {
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
      expect(r.rule.length).toBeGreaterThan(20);
      expect(r.protectsAgainst.length).toBeGreaterThan(20);
      expect(r.docs.length).toBeGreaterThan(0);
      for (const d of r.docs) expect(d).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    }
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });

  it('WHEN reading the README THEN every rule is in its table with the rule and what it protects against', () => {
    const readme = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
    for (const r of RULES) expect(readme).toContain(`| \`${r.id}\` | ${r.rule} | ${r.protectsAgainst} |`);
  });
});

describe('runRules', () => {
  it('GIVEN a rule that throws WHEN run THEN it fails with the error as its finding (never a pass)', () => {
    const broken: Rule = {
      id: 'broken',
      title: 't',
      rule: 'r',
      protectsAgainst: 'p',
      docs: [],
      check: () => {
        throw new Error('boom');
      },
    };
    const [v] = runRules(input([]), [broken]);
    expect(v).toMatchObject({ status: 'fail', findings: [{ severity: 'error', message: expect.stringMatching(/boom/) }] });
  });
});
