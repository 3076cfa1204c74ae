/** Scope full: the DR-region source snapshot, and the database copied, restored and validated there (src/ops/drill/dr-data.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { drDataStep, drKmsKey, drSourceStep } from '../../../src/ops/drill/dr-data.js';
import { DRILL_STEPS, type DrillDeps } from '../../../src/ops/drill/keys.js';
import type { EnvironmentConfig } from '../../../src/config/schema.js';
import { DR_REGION, fails } from '../helpers.js';
import { stepHarness, type StepHarness } from '../step-harness.js';

let h: StepHarness;
afterEach(() => h?.close());

const NAME = 'dataplatform-dev-drill-20250104030000';
const SOURCE = 'dataplatform-dev-metadata';
const DR_KEY = 'arn:aws:kms:us-east-1:123456789012:key/dr';
const ago = (min: number) => new Date(h.w.clock.now().getTime() - min * 60_000);

describe('drKmsKey', () => {
  const env = (drKmsKeyArn?: string) => ({ recovery: { drKmsKeyArn } }) as unknown as EnvironmentConfig;
  it.each([
    ['the config names a key', env('arn:cfg'), { DataKmsKeyArn: 'arn:stack' }, { key: 'arn:cfg', from: 'recovery.drKmsKeyArn' }],
    ['the DR storage stack outputs an ARN', env(), { DataKmsKeyArn: 'arn:stack', DataKmsKeyId: 'id' }, { key: 'arn:stack' }],
    ['the DR storage stack outputs only an id', env(), { DataKmsKeyId: 'id' }, { key: 'id' }],
    ['nothing names one', env(''), { DataKmsKeyArn: '' }, { key: undefined, from: 'the DR storage stack (DataKmsKeyArn / DataKmsKeyId)' }],
  ])('GIVEN %s THEN the key and where it came from are as expected', (_n, e, outputs, want) => {
    expect(drKmsKey(e, outputs)).toMatchObject(want);
  });
});

describe('drSourceStep', () => {
  const snapshotOps = () => h.w.rds.calls.filter((c) => c.op === 'createSnapshot');

  it('GIVEN snapshots before and after the drill start THEN the newest available one at the start is the source; none is taken', async () => {
    h = await stepHarness();
    h.w.rds.addSnapshot(SOURCE, 'week-old', ago(7 * 24 * 60)).addSnapshot(SOURCE, 'nightly', ago(10));
    await h.w.clock.advance(60_000);
    h.w.rds.addSnapshot(SOURCE, 'after-start', h.w.clock.now());
    const r = await h.run(drSourceStep(h.op));
    expect(r).toMatchObject({ changed: false, outputs: { SnapshotId: 'nightly', OnDemand: 'false', Encrypted: 'true', DbInstanceIdentifier: SOURCE } });
    expect(r.outputs!.SnapshotArn).toBe('arn:aws:rds:us-west-2:123456789012:snapshot:nightly');
    expect(snapshotOps()).toEqual([]);
  });

  it('GIVEN no snapshot THEN one is taken now (<name>-src, tagged with the drill), waited for, and marked on demand', async () => {
    h = await stepHarness();
    const r = await h.run(drSourceStep(h.op));
    expect(snapshotOps().map((c) => c.input)).toEqual([
      { instance: SOURCE, snapshotId: `${NAME}-src`, tags: { 'dpf:env': 'dev', 'dpf:project': 'dataplatform', 'dpf:drill': h.op.id } },
    ]);
    expect(r).toMatchObject({ changed: true, outputs: { SnapshotId: `${NAME}-src`, OnDemand: 'true' } });
    expect(h.record(DRILL_STEPS.drSource)?.evidence).toMatchObject({ snapshotId: `${NAME}-src`, onDemand: true });
  });

  it.each([
    ['its id is in this drill\u2019s evidence', true],
    ['only the snapshot exists (the evidence was lost)', false],
  ])('GIVEN the on-demand snapshot was taken before and %s THEN it is not taken twice', async (_n, inEvidence) => {
    h = await stepHarness();
    await h.w.rds.createSnapshot(SOURCE, `${NAME}-src`, {});
    if (inEvidence) await h.seed(DRILL_STEPS.drSource, {}, { snapshotId: `${NAME}-src`, onDemand: true }, { status: 'running' });
    h.w.rds.calls.length = 0;
    const r = await h.run(drSourceStep(h.op));
    expect(snapshotOps()).toEqual([]);
    expect(r.outputs).toMatchObject({ SnapshotId: `${NAME}-src`, OnDemand: 'true' });
  });

  it.each([
    ['is deleted while it is made', () => [], 'gone'],
    ['ends failed', (s: { status: string }[]) => s.map((x) => ({ ...x, status: 'failed' })), 'failed'],
  ])('GIVEN the snapshot %s THEN DrillSnapshotFailed names it and its state', async (_n, view, state) => {
    h = await stepHarness();
    const describe = h.w.rds.describeSnapshots.bind(h.w.rds);
    h.w.rds.describeSnapshots = async (f) => (f.snapshotId ? view(await describe(f)) : describe(f)) as never;
    const err = await fails(h.run(drSourceStep(h.op)));
    expect(err.code).toBe('DrillSnapshotFailed');
    expect(err.message).toBe(`Snapshot ${NAME}-src of ${SOURCE} is ${state}.`);
  });

  it('GIVEN the ledger has no database THEN NoDatabase, with the deploy command', async () => {
    h = await stepHarness();
    const storage = h.record('storage.stack')!;
    await h.session.ledger.updateStep('storage.stack', 'storage', { outputs: { ...storage.outputs, DbInstanceIdentifier: '' } }, h.w.clock.now());
    const err = await fails(h.run(drSourceStep(h.op)));
    expect(err.code).toBe('NoDatabase');
    expect(err.hint).toBe('Deploy storage first: dpf deploy --env dev --phase storage');
  });
});

describe('drDataStep', () => {
  const DR_OUT = { VpcId: 'vpc-dr', DbSubnetGroupName: 'dr-subnets', DbParameterGroupName: 'dr-params', DataKmsKeyArn: DR_KEY };
  let deps: DrillDeps;

  /** A full drill whose source snapshot and DR stacks are done. */
  async function ready(drOut: Record<string, string> = DR_OUT, encrypted = 'true') {
    h = await stepHarness();
    if (encrypted === 'false')
      h.w.rds.addInstance({ identifier: SOURCE, encrypted: false, subnetGroup: 'dbsubnets', securityGroupIds: ['sg-db'], parameterGroups: ['dbparams'] });
    h.w.rds.addSnapshot(SOURCE, 'nightly', ago(10));
    deps = { reportDir: h.w.dir, envName: 'dev', drAws: h.w.dr.ports, drRegion: DR_REGION };
    await h.seed(DRILL_STEPS.drSource, {
      SnapshotId: 'nightly',
      SnapshotArn: 'arn:aws:rds:us-west-2:123456789012:snapshot:nightly',
      Encrypted: encrypted,
      DbInstanceIdentifier: SOURCE,
    });
    await h.seed(DRILL_STEPS.drRegion, drOut);
  }
  const drOps = () => h.w.dr.rds.calls.map((c) => c.op).filter((op) => op !== 'describeInstance');

  it('GIVEN the DR stacks THEN the snapshot is copied with the DR key, restored into the DR network with an isolated group only, and its key checked', async () => {
    await ready();
    const r = await h.run(drDataStep(h.op, deps));
    expect(drOps()).toEqual(['copySnapshot', 'restoreFromSnapshot']);
    expect(h.w.dr.rds.calls.find((c) => c.op === 'copySnapshot')!.input).toMatchObject({ targetSnapshotId: `${NAME}-dr`, kmsKeyId: DR_KEY });
    const sg = r.outputs!.SecurityGroupId!;
    expect(h.w.dr.ec2.groups.get(sg)).toMatchObject({ vpcId: 'vpc-dr', groupName: NAME, ingress: [], egress: [] });
    expect(h.w.dr.rds.calls.find((c) => c.op === 'restoreFromSnapshot')!.input).toMatchObject({
      targetIdentifier: `${NAME}-dr-db`,
      subnetGroup: 'dr-subnets',
      securityGroupIds: [sg],
      parameterGroup: 'dr-params',
      instanceClass: 'db.t3.medium',
    });
    expect(r.outputs).toMatchObject({ Status: 'restored', Failed: '0', KmsKeyId: DR_KEY });
    expect(r.evidence!.checks).toContainEqual({ name: 'KMS key of us-east-1', status: 'ok', detail: DR_KEY });
  });

  it('GIVEN an unencrypted source and no DR key THEN it is copied without a key and no key is checked', async () => {
    await ready({ ...DR_OUT, DataKmsKeyArn: '' }, 'false');
    const r = await h.run(drDataStep(h.op, deps));
    expect(h.w.dr.rds.calls.find((c) => c.op === 'copySnapshot')!.input).toMatchObject({ kmsKeyId: undefined });
    expect(r.outputs).toMatchObject({ Status: 'restored', KmsKeyId: '' });
    expect((r.evidence!.checks as Array<{ name: string }>).map((c) => c.name)).not.toContain('KMS key of us-east-1');
  });

  it('GIVEN the restored copy reports another key THEN the KMS check fails, naming the key wanted', async () => {
    await ready();
    const describe = h.w.dr.rds.describeInstance.bind(h.w.dr.rds);
    h.w.dr.rds.describeInstance = async (id) => {
      const i = await describe(id);
      return i && { ...i, kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/other' };
    };
    const r = await h.run(drDataStep(h.op, deps));
    expect(r.evidence!.checks).toContainEqual({
      name: 'KMS key of us-east-1',
      status: 'failed',
      detail: `arn:aws:kms:us-east-1:123456789012:key/other (wanted ${DR_KEY})`,
    });
    expect(r.outputs!.Failed).toBe('1');
  });

  it.each([
    ['the copy was requested (the copy exists)', ['restoreFromSnapshot']],
    ['the restore was requested (the DR instance exists)', []],
  ])('GIVEN a drill interrupted after %s THEN it resumes without copying or restoring again', async (_n, left) => {
    await ready();
    await h.w.dr.rds.copySnapshot('arn:aws:rds:us-west-2:123456789012:snapshot:nightly', `${NAME}-dr`, { kmsKeyId: DR_KEY });
    if (!left.length) {
      await h.w.clock.advance(h.w.dr.rds.copyMs);
      await h.w.dr.rds.restoreFromSnapshot(`${NAME}-dr`, { targetIdentifier: `${NAME}-dr-db`, subnetGroup: 'dr-subnets', securityGroupIds: [] });
    }
    h.w.dr.rds.calls.length = 0;
    const r = await h.run(drDataStep(h.op, deps));
    expect(drOps()).toEqual(left);
    expect(r.outputs!.Status).toBe('restored');
  });

  it.each([
    ['no DR region', (d: DrillDeps) => ({ ...d, drAws: undefined }), DR_OUT, 'DrillNoDrRegion', /recovery.drRegion/],
    [
      'no DR key for an encrypted snapshot',
      (d: DrillDeps) => d,
      { ...DR_OUT, DataKmsKeyArn: '' },
      'DrillNoDrKey',
      /nightly is encrypted and no KMS key of us-east-1/,
    ],
    ['no DR VPC output', (d: DrillDeps) => d, { ...DR_OUT, VpcId: '' }, 'DrillDrOutputMissing', /gave no VpcId output/],
    [
      'no subnet group output and no DR database',
      (d: DrillDeps) => d,
      { ...DR_OUT, DbSubnetGroupName: '' },
      'DrillDrOutputMissing',
      /no DbSubnetGroupName output and their database \(none\) names no subnet group/,
    ],
  ])('GIVEN %s THEN %s, before anything is made in the DR region', async (_n, change, drOut, code, message) => {
    await ready(drOut);
    const err = await fails(h.run(drDataStep(h.op, change(deps))));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(h.w.dr.rds.calls.filter((c) => c.op !== 'describeInstance')).toEqual([]);
    expect(h.w.dr.ec2.calls).toEqual([]);
  });

  it("GIVEN the DR stacks output no subnet group THEN the DR storage stack's own database names it", async () => {
    await ready({ ...DR_OUT, DbSubnetGroupName: '', DbParameterGroupName: '', DbInstanceIdentifier: 'dr-stack-db' });
    h.w.dr.rds.addInstance({ identifier: 'dr-stack-db', subnetGroup: 'dr-stack-subnets', parameterGroups: ['dr-stack-params'] });
    await h.run(drDataStep(h.op, deps));
    expect(h.w.dr.rds.calls.find((c) => c.op === 'restoreFromSnapshot')!.input).toMatchObject({
      subnetGroup: 'dr-stack-subnets',
      parameterGroup: 'dr-stack-params',
    });
  });

  it('GIVEN the DR group an interrupted run recorded was deleted since THEN a new one is made and used for the restore', async () => {
    await ready();
    await h.seed(DRILL_STEPS.drData, {}, { securityGroupId: 'sg-deleted' }, { status: 'running' });
    const r = await h.run(drDataStep(h.op, deps));
    const sg = r.outputs!.SecurityGroupId!;
    expect(sg).not.toBe('sg-deleted');
    expect(h.w.dr.ec2.groups.get(sg)).toMatchObject({ vpcId: 'vpc-dr', ingress: [], egress: [] });
    expect(h.w.dr.rds.calls.find((c) => c.op === 'restoreFromSnapshot')!.input).toMatchObject({ securityGroupIds: [sg] });
  });

  it('GIVEN the DR group keeps an egress rule (revoke did not take) THEN DrillNotIsolated, and nothing is copied', async () => {
    await ready();
    h.w.dr.ec2.revokeAllEgress = async () => undefined;
    const err = await fails(h.run(drDataStep(h.op, deps)));
    expect(err.code).toBe('DrillNotIsolated');
    expect(err.message).toMatch(/^DR security group sg-\d+ in us-east-1 still has 0 ingress and 1 egress rule\(s\)\.$/);
    expect(drOps()).toEqual([]);
  });
});
