/** The canary write and the drill's isolated security group (src/ops/drill/canary.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { canaryStep, isolateStep } from '../../../src/ops/drill/canary.js';
import { DRILL_STEPS } from '../../../src/ops/drill/keys.js';
import { emulatorSettings } from '../../fakes/fake-settings.js';
import { fails } from '../helpers.js';
import { stepHarness, type StepHarness } from '../step-harness.js';

let h: StepHarness;
afterEach(() => h?.close());

const NAME = 'dataplatform-dev-drill-20250104030000';

describe('canaryStep', () => {
  it.each([
    ['both writes confirmed', 'ok', 'ok', 'dpf-canary-db=ok\ndpf-canary-fs=ok', /written from i-worker1 via SSM command/],
    ['the row failed, the file written', 'failed', 'ok', 'dpf-canary-db=failed\ndpf-canary-fs=ok', /written from i-worker1/],
    ['only the database answered', 'ok', 'unknown', 'dpf-canary-db=ok', /written from i-worker1/],
    ['no output at all (an emulator)', 'unknown', 'unknown', '', /SSM returned no output from i-worker1 .*canary time recorded, its write unconfirmed/],
  ])('GIVEN %s THEN database=%s, fileSystem=%s and the detail says so', async (_n, db, fs, stdout, detail) => {
    h = await stepHarness();
    h.w.ssm.script('*', { stdout }, { document: 'AWS-RunShellScript' });
    const r = await h.run(canaryStep(h.op));
    expect(r.outputs).toEqual({ Token: 'dpf-drill-20250104030000', CanaryAt: '2025-01-04T03:00:00.000Z', Database: db, FileSystem: fs });
    expect(r.evidence).toMatchObject({ token: 'dpf-drill-20250104030000', worker: 'i-worker1', database: db, fileSystem: fs });
    expect((r.evidence!.detail as string[]).join('\n')).toMatch(detail);
  });

  it('GIVEN the script THEN it inserts the token into the canary table and writes the token file, on the worker only', async () => {
    h = await stepHarness();
    h.w.ssm.script('*', { stdout: 'dpf-canary-db=ok\ndpf-canary-fs=ok' }, { document: 'AWS-RunShellScript' });
    await h.run(canaryStep(h.op));
    const sent = h.w.ssm.calls.filter((c) => c.op === 'sendCommand');
    expect(sent).toHaveLength(1);
    const input = sent[0]!.input as { instanceIds: string[]; parameters: { commands: string[] } };
    expect(input.instanceIds).toEqual(['i-worker1']);
    const script = input.parameters.commands.join('\n');
    expect(script).toContain("INSERT INTO dpf_drill_canary (token) VALUES ('dpf-drill-20250104030000')");
    expect(script).toContain('/shared/scratch/.dpf-drill/dpf-drill-20250104030000');
    expect(script).toContain('--name /dataplatform/dev/rds/endpoint');
  });

  it('GIVEN the worker group is gone THEN no command is sent, both stay unknown and the detail says there is no worker', async () => {
    h = await stepHarness();
    h.w.deletedGroups.add('dataplatform-dev-workers');
    const r = await h.run(canaryStep(h.op));
    expect(h.w.ssm.calls.filter((c) => c.op === 'sendCommand')).toEqual([]);
    expect(r.outputs).toMatchObject({ Database: 'unknown', FileSystem: 'unknown' });
    expect(r.evidence).toMatchObject({ worker: undefined, detail: ['no running worker to write the canary from'] });
  });

  it.each([
    ['AWS', {}, /^SSM failed: AccessDenied: not allowed$/],
    ['an emulator without SendCommand', emulatorSettings(), /^SSM SendCommand is not available on /],
  ])('GIVEN SendCommand throws on %s THEN the canary is recorded unconfirmed with the reason, not failed', async (_n, settings, detail) => {
    h = await stepHarness({ settings });
    h.w.ssm.sendCommand = async () => {
      throw Object.assign(new Error('AccessDenied: not allowed'), { name: settings.endpoint ? 'NotImplementedByEndpoint' : 'AccessDenied' });
    };
    const r = await h.run(canaryStep(h.op));
    expect(r.outputs).toMatchObject({ Database: 'unknown', FileSystem: 'unknown' });
    expect((r.evidence!.detail as string[])[0]).toMatch(detail);
  });
});

describe('isolateStep', () => {
  it('GIVEN no drill group THEN one is made in the VPC, tagged with the drill, its egress revoked, and its id saved before the check', async () => {
    h = await stepHarness();
    const r = await h.run(isolateStep(h.op));
    const sg = r.outputs!.SecurityGroupId!;
    expect(h.w.ec2.calls.map((c) => c.op)).toEqual(['createSecurityGroup', 'revokeAllEgress']);
    expect(h.w.ec2.calls[0]!.input).toMatchObject({
      vpcId: 'vpc-1',
      name: NAME,
      tags: { 'dpf:env': 'dev', 'dpf:project': 'dataplatform', 'dpf:drill': h.op.id, Name: NAME },
    });
    expect(h.w.ec2.groups.get(sg)).toMatchObject({ ingress: [], egress: [] });
    expect(r.evidence).toEqual({ groupId: sg, name: NAME, vpc: 'vpc-1', ingressRules: 0, egressRules: 0 });
    expect(h.record(DRILL_STEPS.isolate)?.evidence.groupId).toBe(sg);
  });

  it.each([
    ['its id is in the evidence of this drill (resumed)', true],
    ['it exists by name only (the evidence was lost)', false],
  ])('GIVEN the group was made before and %s THEN it is reused, not made twice', async (_n, inEvidence) => {
    h = await stepHarness();
    const sg = await h.w.ec2.createSecurityGroup('vpc-1', NAME, 'earlier', {});
    if (inEvidence) await h.seed(DRILL_STEPS.isolate, {}, { groupId: sg }, { status: 'running' });
    h.w.ec2.calls.length = 0;
    const r = await h.run(isolateStep(h.op));
    expect(r.outputs!.SecurityGroupId).toBe(sg);
    expect(h.w.ec2.calls.map((c) => c.op)).toEqual(['revokeAllEgress']);
  });

  it('GIVEN the group an interrupted run recorded was deleted since THEN a new one is made: isolation is never claimed by a group that is gone', async () => {
    h = await stepHarness();
    await h.seed(DRILL_STEPS.isolate, {}, { groupId: 'sg-deleted' }, { status: 'running' });
    const r = await h.run(isolateStep(h.op));
    const sg = r.outputs!.SecurityGroupId!;
    expect(sg).not.toBe('sg-deleted');
    expect(h.w.ec2.groups.get(sg)).toMatchObject({ groupName: NAME, ingress: [], egress: [] });
    expect(h.record(DRILL_STEPS.isolate)?.evidence.groupId).toBe(sg);
  });

  it('GIVEN the group still has an ingress rule (someone added one) THEN the step fails with DrillNotIsolated: no copy is made reachable', async () => {
    h = await stepHarness();
    const sg = await h.w.ec2.createSecurityGroup('vpc-1', NAME, 'earlier', {});
    h.w.ec2.groups.get(sg)!.ingress.push({ protocol: 'tcp', fromPort: 5432, toPort: 5432, cidrs: ['10.0.0.0/16'], groupIds: [] } as never);
    const err = await fails(h.run(isolateStep(h.op)));
    expect(err.code).toBe('DrillNotIsolated');
    expect(err.message).toBe(`Drill security group ${sg} still has 1 ingress and 0 egress rule(s).`);
  });
});
