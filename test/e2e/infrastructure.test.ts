/**
 * The network, compute and storage phases end to end: bin/dpf deploys them against the
 * emulator; the result is checked through the AWS APIs (not through dpf's ledger).
 * What the emulator ignores (S3 versioning/public access block/lifecycle, SG egress, scaling
 * policies, alarms, backup plans, IMDSv2 via launch templates) is asserted by the template
 * tests in test/templates/ instead — see docs/emulator.md.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EC2Client, DescribeVpcsCommand, DescribeSubnetsCommand, DescribeNatGatewaysCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { RDSClient, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { EFSClient, DescribeFileSystemsCommand, DescribeMountTargetsCommand } from '@aws-sdk/client-efs';
import { S3Client, HeadBucketCommand } from '@aws-sdk/client-s3';
import { startEmulator, dpf, workdir, readLedger, sdkConfig, type Emulator } from './harness.js';

let em: Emulator;
let dir: string;
const ENV = 'infra';
const PHASES = 'bootstrap,network,compute,storage';

beforeAll(async () => {
  em = await startEmulator();
  dir = workdir();
  const init = await dpf(em, ['init', '--env', ENV, '--defaults', '--yes'], { cwd: dir });
  expect(init.code, init.all).toBe(0);
});
afterAll(async () => {
  await em?.stop();
});

const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

describe('GIVEN an initialised environment', () => {
  it('WHEN deploy runs bootstrap → network → compute ∥ storage THEN the seed platform exists in AWS', async () => {
    const r = await dpf(em, ['deploy', '--env', ENV, '--phase', PHASES, '--yes', '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const ev = events(r.stdout);
    expect(ev.at(-1)).toMatchObject({ type: 'run-done', status: 'done' });
    // compute and storage run at the same time: storage starts before compute finishes.
    const idx = (type: string, id: string) => ev.findIndex((e) => e.type === type && e.stepId === id);
    expect(idx('step-start', 'storage.stack')).toBeLessThan(idx('step-done', 'compute.stack'));
    expect(idx('step-done', 'network.stack')).toBeLessThan(idx('step-start', 'storage.stack'));
    // Change sets are shown before execution.
    expect(
      ev
        .filter((e) => e.type === 'changeset')
        .map((e) => e.stackName)
        .sort(),
    ).toEqual(['bootstrap', 'compute', 'network', 'storage'].map((t) => `dataplatform-${ENV}-${t}`));

    const cfg = sdkConfig(em);
    const ec2 = new EC2Client(cfg);
    const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:dpf:env', Values: [ENV] }] }))).Vpcs ?? [];
    expect(vpcs).toHaveLength(1);
    expect(vpcs[0]!.CidrBlock).toBe('10.0.0.0/16');
    const vpcId = vpcs[0]!.VpcId!;
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [];
    expect(subnets.map((s) => s.CidrBlock).sort()).toEqual(
      ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.11.0/24', '10.0.12.0/24', '10.0.13.0/24', '10.0.21.0/24', '10.0.22.0/24', '10.0.23.0/24'].sort(),
    );
    expect(new Set(subnets.map((s) => s.AvailabilityZone))).toEqual(new Set(['us-west-2a', 'us-west-2b', 'us-west-2c']));
    for (const tier of [
      ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'],
      ['10.0.11.0/24', '10.0.12.0/24', '10.0.13.0/24'],
      ['10.0.21.0/24', '10.0.22.0/24', '10.0.23.0/24'],
    ])
      expect(new Set(subnets.filter((s) => tier.includes(s.CidrBlock!)).map((s) => s.AvailabilityZone)).size).toBe(3);
    const nats = (await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [vpcId] }] }))).NatGateways ?? [];
    expect(nats.length).toBe(1); // dev: one NAT gateway (one per AZ with highAvailability)
    const publicIds = subnets
      .filter((s) => s.CidrBlock!.startsWith('10.0.1.') || s.CidrBlock!.startsWith('10.0.2.') || s.CidrBlock!.startsWith('10.0.3.'))
      .map((s) => s.SubnetId);
    expect(publicIds).toContain(nats[0]!.SubnetId);
    const sgs = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).SecurityGroups ?? [];
    for (const sg of sgs)
      for (const p of sg.IpPermissions ?? [])
        if (p.FromPort !== undefined && p.FromPort <= 22 && (p.ToPort ?? 0) >= 22) expect(p.IpRanges?.map((x) => x.CidrIp)).not.toContain('0.0.0.0/0');

    const asg = (await new AutoScalingClient(cfg).send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups?.find((g) =>
      g.Tags?.some((t) => t.Key === 'dpf:env' && t.Value === ENV),
    );
    expect(asg).toBeDefined();
    expect(asg).toMatchObject({ MinSize: 2, MaxSize: 6, DesiredCapacity: 2 });
    expect(asg!.Instances!.filter((i) => i.LifecycleState === 'InService')).toHaveLength(2);

    const db = (await new RDSClient(cfg).send(new DescribeDBInstancesCommand({}))).DBInstances?.find((d) =>
      d.DBInstanceIdentifier?.startsWith(`dataplatform-${ENV}`),
    );
    expect(db?.Engine).toBe('postgres');
    expect(db?.Endpoint?.Port).toBe(5432);
    expect(db?.PubliclyAccessible).toBe(false);

    const efs = new EFSClient(cfg);
    const fs = (await efs.send(new DescribeFileSystemsCommand({}))).FileSystems?.find((f) => f.Tags?.some((t) => t.Key === 'dpf:env' && t.Value === ENV));
    expect(fs?.Encrypted).toBe(true);
    const mts = (await efs.send(new DescribeMountTargetsCommand({ FileSystemId: fs!.FileSystemId }))).MountTargets ?? [];
    const privateIds = subnets
      .filter((s) => /^10\.0\.1[123]\./.test(s.CidrBlock!))
      .map((s) => s.SubnetId)
      .sort();
    expect(mts.map((m) => m.SubnetId).sort()).toEqual(privateIds);

    await new S3Client(cfg).send(new HeadBucketCommand({ Bucket: `dataplatform-${ENV}-datalake-123456789012` }));

    // The ledger keeps actual durations next to the estimate.
    const ledger = readLedger(dir, ENV);
    for (const id of ['network.stack', 'compute.stack', 'storage.stack']) {
      expect(ledger.steps[id].status).toBe('done');
      expect(ledger.steps[id].estimateSeconds).toBeGreaterThan(0);
      expect(ledger.steps[id].durationSeconds).toBeGreaterThanOrEqual(0);
    }
    expect(ledger.steps['storage.stack'].estimateSeconds).toBeGreaterThan(595); // the RDS instance is the critical path
  });

  it('WHEN deploy runs again unchanged THEN it is a fast no-op (every step skipped, no change set executed)', async () => {
    const t0 = Date.now();
    const r = await dpf(em, ['deploy', '--env', ENV, '--phase', PHASES, '--yes', '--json'], { cwd: dir });
    const took = Date.now() - t0;
    expect(r.code, r.all).toBe(0);
    const ev = events(r.stdout);
    expect(
      ev
        .filter((e) => e.type === 'step-skipped')
        .map((e) => e.stepId)
        .sort(),
    ).toEqual(['bootstrap.state', 'compute.stack', 'network.stack', 'storage.stack']);
    expect(ev.filter((e) => e.type === 'changeset')).toHaveLength(0);
    expect(took).toBeLessThan(20000);
  });

  it('WHEN the worker maximum changes THEN only the compute stack is updated', async () => {
    const file = path.join(dir, 'dpf.config.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/max: 6/);
    writeFileSync(file, text.replace(/max: 6/, 'max: 8'));
    const r = await dpf(em, ['deploy', '--env', ENV, '--phase', PHASES, '--yes', '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const ev = events(r.stdout);
    expect(
      ev
        .filter((e) => e.type === 'step-skipped')
        .map((e) => e.stepId)
        .filter((id) => id.endsWith('.stack') || id.endsWith('.state'))
        .sort(),
    ).toEqual(['bootstrap.state', 'network.stack', 'storage.stack']);
    const cs = ev.filter((e) => e.type === 'changeset');
    expect(cs.map((e) => e.stackName)).toEqual([`dataplatform-${ENV}-compute`]);
    expect(cs[0].changes.map((c: any) => c.logicalId)).toContain('WorkerAutoScalingGroup');
    const asg = (await new AutoScalingClient(sdkConfig(em)).send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups?.find((g) =>
      g.Tags?.some((t) => t.Key === 'dpf:env' && t.Value === ENV),
    );
    expect(asg?.MaxSize).toBe(8);
  });

  it("WHEN plan runs THEN it shows no changes, the ETA along the critical path and each step's dependencies", async () => {
    const r = await dpf(em, ['plan', '--env', ENV, '--phase', PHASES, '--json'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.steps.every((s: any) => s.action === 'skip')).toBe(true);
    // The graph's edges, for tools that compute their own critical path (bench/deploy.mjs).
    const deps = Object.fromEntries(plan.steps.map((s: any) => [s.id, s.dependsOn]));
    expect(deps['bootstrap.state']).toEqual([]);
    expect(deps['network.stack']).toEqual([]);
    expect(deps['compute.stack']).toContain('bootstrap.state');
    expect(deps['storage.stack']).toContain('network.stack');
    // Each edge with its reason, in words and in parts.
    for (const s of plan.steps) {
      expect(
        s.after.map((a: any) => a.step),
        s.id,
      ).toEqual(s.dependsOn);
      for (const a of s.after) expect(a.reason, `${s.id} → ${a.step}`).not.toBe('');
    }
    const compute = plan.steps.find((s: any) => s.id === 'compute.stack');
    expect(compute.after.find((a: any) => a.step === 'network.stack')).toMatchObject({
      reads: expect.arrayContaining(['VpcId']),
      reason: expect.stringMatching(/^reads VpcId, /),
    });
    // The VPC reads nothing of the state backend: it starts with it (docs/architecture.md, "The step graph").
    expect(plan.steps.find((s: any) => s.id === 'network.stack')).toMatchObject({ after: [], dependsOn: [] });
  });
});
