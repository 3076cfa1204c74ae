import { CHECK_TIME_BUCKET_MS } from '../../src/steps/kinds/check.js';
/**
 * The golive phase end to end over fakes: every check is a step with a verdict in the ledger;
 * a failing check fails its step (so the phase is not done) without blocking the others;
 * unknown/warn/pass leave the step done; checks run again on every golive run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkHarness, type CheckHarness } from './helpers.js';
import { goliveSteps } from '../../src/steps/golive.js';
import { GOLIVE_CHECKS } from '../../src/checks/index.js';
import { buildStatus } from '../../src/steps/status-model.js';
import { verdictOf, checkInputHash } from '../../src/steps/kinds/check.js';
import { NotImplementedByEndpointError } from '../../src/aws/endpoint.js';

let h: CheckHarness;
afterEach(() => h?.cleanup());

describe('goliveSteps', () => {
  it('GIVEN the exported steps THEN each is golive.<check>, kind check, depending only on deployment steps', () => {
    const steps = goliveSteps();
    expect(steps.map((s) => s.id)).toEqual(GOLIVE_CHECKS.map((c) => c.id));
    for (const s of steps) {
      expect(s.id).toMatch(/^golive\.[a-z0-9-]+$/);
      expect(s).toMatchObject({ phase: 'golive', kind: 'check' });
      expect(s.dependsOn.length).toBeGreaterThan(0);
      for (const d of s.dependsOn) expect(d).toMatch(/^(bootstrap|network|compute|storage|identity|monitoring)\./);
    }
    expect(new Set(steps.map((s) => s.id)).size).toBe(steps.length);
  });

  it('GIVEN the same check WHEN prepared in different 15-minute buckets THEN the input hash changes', () => {
    const a = checkInputHash('golive.stacks', new Date('2025-07-20T12:00:00Z'));
    expect(checkInputHash('golive.stacks', new Date('2025-07-20T12:14:59Z'))).toBe(a);
    expect(checkInputHash('golive.stacks', new Date('2025-07-20T12:15:00Z'))).not.toBe(a);
    expect(checkInputHash('golive.alarms', new Date('2025-07-20T12:00:00Z'))).not.toBe(a);
  });
});

describe('GIVEN a healthy platform', () => {
  it('WHEN the golive phase runs THEN every check passes, its verdict and time are in the ledger, and the phase is done', async () => {
    h = await checkHarness();
    const summary = await h.deploy(goliveSteps());
    const failures = summary.failures.map((f) => `${f.stepId}: ${(f.error as Error).message}`);
    expect(failures).toEqual([]);
    expect(summary.status).toBe('done');
    for (const c of GOLIVE_CHECKS) {
      const rec = h.ledger.get(c.id)!;
      const v = verdictOf(rec)!;
      expect({ id: c.id, status: v.status, summary: v.summary }).toMatchObject({ id: c.id, status: 'pass' });
      expect(v.category).toBe(c.category);
      expect(Date.parse(v.checkedAt)).toBeGreaterThan(0);
      expect(rec.outputs.verdict).toBe('pass');
    }
    const status = buildStatus(h.ledger.data, goliveSteps());
    expect(status.phases.find((p) => p.id === 'golive')!.status).toBe('done');
    expect(status.checks.every((c) => c.status === 'pass')).toBe(true);
  });

  it('WHEN golive runs again inside the same 15 minutes THEN the fresh verdicts are kept; later, every check runs again', async () => {
    h = await checkHarness();
    await h.clock.advanceTo(new Date(Math.ceil(h.clock.now().getTime() / CHECK_TIME_BUCKET_MS) * CHECK_TIME_BUCKET_MS + 1000));
    await h.deploy(goliveSteps());
    const first = verdictOf(h.ledger.get('golive.rds-private'))!.checkedAt;
    await h.clock.advance(60_000);
    const soon = await h.deploy(goliveSteps());
    expect(Object.entries(soon.outcomes).filter(([, o]) => o !== 'skipped')).toEqual([]);
    expect(verdictOf(h.ledger.get('golive.rds-private'))!.checkedAt).toBe(first);
    await h.clock.advance(CHECK_TIME_BUCKET_MS);
    const later = await h.deploy(goliveSteps());
    // Measured again (time moved, so a verdict may differ: e.g. the fake's metrics age) — none skipped.
    expect(Object.values(later.outcomes).filter((o) => o === 'skipped')).toEqual([]);
    expect(verdictOf(h.ledger.get('golive.rds-private'))!.checkedAt).not.toBe(first);
  });
});

describe('GIVEN one check fails', () => {
  it('WHEN the golive phase runs THEN that step is failed with its verdict kept, the others still run, and the phase is failed', async () => {
    h = await checkHarness();
    h.platform.securityGroups[0]!.ingress.push({ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0'], groupIds: [] });
    const summary = await h.deploy(goliveSteps());
    expect(summary.status).toBe('failed');
    expect(summary.outcomes['golive.ssh-exposure']).toBe('failed');
    expect(
      Object.entries(summary.outcomes)
        .filter(([, o]) => o !== 'done')
        .map(([id]) => id),
    ).toEqual(['golive.ssh-exposure']);
    const rec = h.ledger.get('golive.ssh-exposure')!;
    expect(rec.status).toBe('failed');
    expect(rec.error!.message).toMatch(/port 22 open to 0\.0\.0\.0\/0/);
    expect(verdictOf(rec)).toMatchObject({ status: 'fail', category: 'security' });
    const status = buildStatus(h.ledger.data, goliveSteps());
    expect(status.phases.find((p) => p.id === 'golive')!.status).toBe('failed');
  });
});

describe('GIVEN an endpoint like the emulator', () => {
  it('WHEN SSM cannot describe instances and the hosts print nothing THEN those checks are unknown with the reason, the steps done, never pass', async () => {
    h = await checkHarness();
    h.platform.failOn('ssm.describeInstanceInformation', new NotImplementedByEndpointError('SSM DescribeInstanceInformation'));
    h.platform.ssm.clearScripts();
    const summary = await h.deploy(goliveSteps());
    expect(summary.status).toBe('done');
    for (const id of ['golive.nodes-online', 'golive.efs-mounts', 'golive.database-reachable', 'golive.directory', 'golive.datalake-access']) {
      const v = verdictOf(h.ledger.get(id))!;
      expect(v.status, id).toBe('unknown');
      expect(h.ledger.get(id)!.status).toBe('done');
    }
    expect(verdictOf(h.ledger.get('golive.nodes-online'))!.summary).toMatch(/DescribeInstanceInformation.*not offered/);
    expect(verdictOf(h.ledger.get('golive.efs-mounts'))!.summary).toMatch(/the host returned no output/);
    expect(verdictOf(h.ledger.get('golive.rds-private'))!.status).toBe('pass');
  });
});
