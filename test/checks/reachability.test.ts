/**
 * golive.reachability over FakeReachability: one path per flow and source role of the
 * specification's matrix, verdicts per flow, the analyzer's resources always cleaned up, and
 * "unknown" (never pass) where the analyzer is not available.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkHarness, type CheckHarness } from './helpers.js';
import { firstAddress, planPaths, reachabilityCheck, REACHABILITY_PURPOSE } from '../../src/checks/reachability.js';
import { SPEC_FLOWS } from '../../src/spec/connectivity.js';
import { NotImplementedByEndpointError } from '../../src/aws/endpoint.js';

let h: CheckHarness;
afterEach(() => h?.cleanup());
const pathsPerMatrix = SPEC_FLOWS.reduce((n, f) => n + f.from.length, 0);

describe('GIVEN a platform where every flow of the matrix is allowed', () => {
  it('WHEN the check runs THEN every path is analysed and reachable, and every path and analysis it made is deleted', async () => {
    h = await checkHarness();
    const v = await h.check(reachabilityCheck);
    expect(v.status, v.summary).toBe('pass');
    expect(v.summary).toMatch(new RegExp(`${pathsPerMatrix} path\\(s\\) of ${SPEC_FLOWS.length} flow\\(s\\)`));
    const r = h.platform.reachability;
    expect(r.created.filter((id) => id.startsWith('nip-'))).toHaveLength(pathsPerMatrix);
    expect(r.paths.size).toBe(0);
    expect(r.analyses.size).toBe(0);
    expect(new Set(r.deleted)).toEqual(new Set(r.created));
  });

  it('WHEN the paths are built THEN internet → bastion starts at the internet gateway from the admin range, EFS/RDS/S3 end at their interface or endpoint', async () => {
    h = await checkHarness();
    const r = h.platform.reachability;
    const specs: Array<{ source: string; destination: string; port: number; sourceIp?: string }> = [];
    const create = r.createPath.bind(r);
    r.createPath = async (s) => (specs.push(s), create(s));
    await h.check(reachabilityCheck);
    expect(specs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'igw-0aaa', destination: 'i-0bastion', port: 22, sourceIp: '203.0.113.1' }),
        expect.objectContaining({ source: 'i-0worker1', destination: 'eni-efs1', port: 2049 }),
        expect.objectContaining({ source: 'i-0master', destination: 'eni-rds1', port: 5432 }),
        expect.objectContaining({ source: 'i-0dev', destination: 'vpce-s3', port: 443 }),
        expect.objectContaining({ source: 'i-0master', destination: 'i-0worker1', port: 8080 }),
        expect.objectContaining({ source: 'i-0bastion', destination: 'i-0ipa1', port: 22 }),
      ]),
    );
    expect(firstAddress('10.1.2.0/24')).toBe('10.1.2.1');
    expect(firstAddress('198.51.100.7/32')).toBe('198.51.100.7');
  });
});

describe('GIVEN a flow the network blocks', () => {
  it('WHEN the check runs THEN it fails naming the flow and the component the analyzer blames; the others still pass', async () => {
    h = await checkHarness();
    h.platform.reachability.blocked.push({ destination: 'eni-rds1', source: 'i-0dev', port: 5432, explanation: 'ENI_SG_RULES_MISMATCH (sg-database)' });
    const v = await h.check(reachabilityCheck);
    expect(v.status).toBe('fail');
    expect(v.summary).toMatch(/postgres-nodes-rds \(dev → rds tcp\/5432\).*not reachable: ENI_SG_RULES_MISMATCH \(sg-database\)/);
    const parts = v.evidence.flows as Array<{ subject: string; status: string }>;
    expect(parts.filter((p) => p.status === 'fail')).toHaveLength(1);
    expect(h.platform.reachability.paths.size).toBe(0);
  });
});

describe('GIVEN what the analyzer cannot answer', () => {
  it('WHEN the endpoint does not offer Reachability Analyzer (the emulator) THEN unknown with the reason, never pass', async () => {
    h = await checkHarness();
    h.platform.failOn('reachability.findPaths', new NotImplementedByEndpointError('EC2 DescribeNetworkInsightsPaths'));
    const v = await h.check(reachabilityCheck);
    expect(v.status).toBe('unknown');
    expect(v.summary).toMatch(/VPC Reachability Analyzer is not available.*DescribeNetworkInsightsPaths is not offered/);
  });

  it('WHEN an analysis fails THEN that flow is unknown with the analyzer message', async () => {
    h = await checkHarness();
    h.platform.reachability.failing.push({ destination: 'vpce-s3', explanation: 'InternalError' });
    const v = await h.check(reachabilityCheck);
    expect(v.status).toBe('unknown');
    expect(v.summary).toMatch(/https-nodes-s3.*the analysis failed: InternalError/);
  });

  it('WHEN no worker is in service THEN flows from or to workers are unknown, naming why', async () => {
    h = await checkHarness();
    h.platform.groups[0]!.instances = [];
    const v = await h.check(reachabilityCheck);
    expect(v.status).toBe('unknown');
    expect(v.summary).toMatch(/no InService worker/);
  });

  it('WHEN a path cannot be created THEN its flow is unknown and the others are still analysed', async () => {
    h = await checkHarness();
    const r = h.platform.reachability;
    const create = r.createPath.bind(r);
    r.createPath = async (s) =>
      s.destination === 'vpce-s3' ? Promise.reject(Object.assign(new Error('unsupported destination'), { name: 'InvalidParameterValue' })) : create(s);
    const v = await h.check(reachabilityCheck);
    expect(v.status).toBe('unknown');
    expect(v.summary).toMatch(/https-nodes-s3.*could not be created: unsupported destination/);
  });
});

describe('GIVEN leftovers and providers', () => {
  it('WHEN an interrupted run left tagged paths with analyses THEN they are deleted before new ones are made', async () => {
    h = await checkHarness();
    const r = h.platform.reachability;
    const old = await r.createPath({
      source: 'i-x',
      destination: 'i-y',
      protocol: 'tcp',
      port: 22,
      tags: { 'dpf:env': 'dev', 'dpf:project': 'dataplatform', 'dpf:purpose': REACHABILITY_PURPOSE },
    });
    const oldAnalysis = await r.startAnalysis(old, {});
    await h.check(reachabilityCheck);
    expect(r.deleted).toEqual(expect.arrayContaining([old, oldAnalysis]));
    expect(r.paths.size).toBe(0);
  });

  it('WHEN the identity provider is iam THEN the FreeIPA flows are not applicable (no path is made for them)', async () => {
    h = await checkHarness({ env: { identity: { provider: 'iam' } } });
    const v = await h.check(reachabilityCheck);
    expect(v.status, v.summary).toBe('pass');
    expect(v.summary).toMatch(/not applicable/);
    expect(JSON.stringify(v.evidence.flows)).not.toMatch(/ipa/);
    const planned = planPaths(SPEC_FLOWS, { ids: {}, missing: { ipa: 'not applicable: identity.provider is iam' } });
    expect(planned.filter((p) => p.flow.to === 'ipa').every((p) => /not applicable|not found/.test(p.skip ?? ''))).toBe(true);
  });
});
