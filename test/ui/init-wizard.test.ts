/**
 * The wizard's answer checks are the config loader's rules (fieldProblems): the same bounds and
 * messages a hand-edited file gets, plus init's own need (a VPC it can lay the subnets out in).
 */
import { describe, it, expect } from 'vitest';
import { answerChecks } from '../../src/ui/init-wizard.js';
import { fieldProblems } from '../../src/config/load.js';

const ENV = { region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] };

describe('init wizard: each answer checked as it is typed', () => {
  it.each<[string, (v: string) => true | string, string, true | RegExp]>([
    ['a region', answerChecks.region, 'eu-west-1', true],
    ['a misspelt region', answerChecks.region, 'eu-wset-1', /"eu-wset-1" is not an AWS region \(did you mean eu-west-1\?\)/],
    ['three zones of the region', answerChecks.zones('eu-west-1'), 'eu-west-1a, eu-west-1b,eu-west-1c', true],
    ['two zones', answerChecks.zones('eu-west-1'), 'eu-west-1a,eu-west-1b', /exactly 3 availability zones, got 2/],
    ['a zone of another region', answerChecks.zones('eu-west-1'), 'eu-west-1a,eu-west-1b,us-east-1c', /"us-east-1c" is not a zone of region eu-west-1/],
    ['a /16 VPC', answerChecks.vpcCidr(ENV), '10.20.0.0/16', true],
    ['a /19 VPC (the smallest init lays out)', answerChecks.vpcCidr(ENV), '10.20.0.0/19', true],
    ['a /20 VPC (AWS allows it, init cannot lay the subnets out)', answerChecks.vpcCidr(ENV), '10.0.0.0/20', /too small for dpf's subnet layout/],
    ['a /8 VPC (larger than AWS allows)', answerChecks.vpcCidr(ENV), '10.0.0.0/8', /prefix between \/16 and \/28/],
    ['not a CIDR', answerChecks.vpcCidr(ENV), '10.0.0/16', /./],
    ['one admin range', answerChecks.adminCidrs, '198.51.7.0/24', true],
    ['the whole internet', answerChecks.adminCidrs, '0.0.0.0/0', /allowSshFromAnywhere/],
    ['five admin ranges', answerChecks.adminCidrs, '10.0.1.0/24,10.0.2.0/24,10.0.3.0/24,10.0.4.0/24,10.0.5.0/24', /./],
    ['an e-mail', answerChecks.email, 'ops@corp.test', true],
    ['not an e-mail', answerChecks.email, 'not-an-email', /must be an e-mail address \(got "not-an-email"\)/],
    ['a worker minimum', answerChecks.workersMin, '3', true],
    ['a worker minimum that is no number', answerChecks.workersMin, 'two', /"two" is not a whole number/],
    ['a worker minimum above the schema bound', answerChecks.workersMin, '1001', /./],
    ['a maximum below the minimum 3', answerChecks.workersMax(3), '2', /min \(3\) must not exceed max \(2\)/],
    ['a maximum of 8 over the minimum 3', answerChecks.workersMax(3), '8', true],
  ])('GIVEN %s THEN the answer is %s', (_what, check, answer, expected) => {
    const r = check(answer);
    if (expected === true) expect(r).toBe(true);
    else expect(r).toMatch(expected);
  });

  it("GIVEN any refused answer THEN the message is the loader's own for that field (one set of rules)", () => {
    expect(answerChecks.email('x')).toBe(fieldProblems('monitoring.alarmEmail', 'x')[0]);
    expect(answerChecks.adminCidrs('0.0.0.0/0')).toBe(fieldProblems('network.adminCidrs', ['0.0.0.0/0'])[0]);
  });
});
