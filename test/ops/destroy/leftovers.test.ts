/** What is still there after a phase was destroyed, found through describe calls (src/ops/destroy/leftovers.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { checkLeftovers } from '../../../src/ops/destroy/leftovers.js';
import { DESTROY_STEPS, type DestroyOptions, type Leftover } from '../../../src/ops/destroy/keys.js';
import type { DeployPhase } from '../../../src/steps/types.js';
import { HOSTS, WORKERS } from '../helpers.js';
import { stepHarness, type StepHarness } from '../step-harness.js';

let h: StepHarness;
afterEach(() => h?.close());

const VAULT = 'dataplatform-dev-vault';
const KEY = 'arn:aws:kms:us-west-2:123456789012:key/k1';
const STORAGE = {
  DbInstanceIdentifier: 'dataplatform-dev-metadata',
  DataLakeBucketName: 'lake',
  EfsFileSystemId: 'fs-main',
  BackupVaultName: VAULT,
  DataKmsKeyArn: KEY,
};

async function check(p: DeployPhase, out: Record<string, string> = {}, o: Partial<DestroyOptions> = {}): Promise<Leftover[]> {
  const options: DestroyOptions = { deleteData: false, deleteState: false, phases: [p], stacks: {}, ...o };
  return checkLeftovers(h.context(DESTROY_STEPS.phase(p)), await h.session.aws.ops(), p, out, options);
}
const byResource = (left: Leftover[]) => Object.fromEntries(left.map((l) => [l.resource, l.retained]));

describe('checkLeftovers', () => {
  it("GIVEN the network stack is gone but its VPC leaked THEN the VPC, its subnets, live NAT gateways and non-default groups are left behind; another environment's VPC is not", async () => {
    h = await stepHarness({ kind: 'destroy' });
    const ec2 = h.w.ec2;
    ec2.vpcs.push(
      { vpcId: 'vpc-1', cidr: '10.0.0.0/16', tags: { 'dpf:env': 'dev', 'dpf:project': 'dataplatform' } },
      { vpcId: 'vpc-prod', cidr: '10.1.0.0/16', tags: { 'dpf:env': 'prod', 'dpf:project': 'dataplatform' } },
    );
    ec2.subnets.push({ subnetId: 'subnet-a', vpcId: 'vpc-1', cidr: '10.0.1.0/24', availabilityZone: 'us-west-2a', tags: {} });
    ec2.groups.set('sg-default', { groupId: 'sg-default', groupName: 'default', vpcId: 'vpc-1', tags: {}, ingress: [], egress: [] });
    ec2.groups.set('sg-app', { groupId: 'sg-app', groupName: 'app', vpcId: 'vpc-1', tags: {}, ingress: [], egress: [] });
    ec2.describeNatGateways = async () => [
      { natGatewayId: 'nat-live', state: 'available', vpcId: 'vpc-1' },
      { natGatewayId: 'nat-old', state: 'deleted', vpcId: 'vpc-1' },
    ];
    const left = await check('network');
    expect(left.map((l) => [l.resource, l.detail])).toEqual([
      ['VPC vpc-1 (10.0.0.0/16)', 'still exists after the network stack was deleted'],
      ['subnet subnet-a (10.0.1.0/24)', 'in vpc-1'],
      ['NAT gateway nat-live', 'available, in vpc-1 (billed hourly)'],
      ['security group sg-app (app)', 'in vpc-1'],
    ]);
    expect(left.every((l) => !l.retained)).toBe(true);
  });

  it.each([
    ['compute', { WorkerAutoScalingGroupName: 'dataplatform-dev-workers' }, ['instance i-master (master)', 'Auto Scaling group dataplatform-dev-workers']],
    ['identity', {}, ['instance i-ipa (identity)']],
  ] as const)('GIVEN the %s stack is gone but instances of its roles still run THEN they are left behind (terminated ones are not)', async (p, out, want) => {
    h = await stepHarness({ kind: 'destroy' });
    for (const id of [...Object.values(HOSTS), ...WORKERS]) h.w.ec2.instances.get(id)!.state = 'terminated';
    h.w.ec2.instances.get('i-master')!.state = 'stopped';
    h.w.ec2.addInstance('i-ipa', { 'dpf:env': 'dev', 'dpf:role': 'identity' });
    h.w.ec2.addInstance('i-other-env', { 'dpf:env': 'prod', 'dpf:role': 'master' });
    const left = await check(p, out);
    expect(left.map((l) => l.resource)).toEqual(want);
  });

  // The backups, the DR vault's copies and the key are kept either way; the rest only with the data.
  const expected = (kept: boolean) => ({
    'RDS snapshot nightly': true,
    'bucket lake': kept,
    'EFS fs-main': kept,
    [`backup vault ${VAULT}`]: kept,
    'DR vault stack dataplatform-dev-dr-vault (us-east-1)': true,
    [`KMS key ${KEY}`]: true,
  });
  it.each([
    ['the data kept', false],
    ['--delete-data', true],
  ])('GIVEN the storage stack is gone with %s THEN the data still there is retained or left behind accordingly', async (_n, deleteData) => {
    h = await stepHarness({ kind: 'destroy' });
    await h.w.rds.deleteInstance('dataplatform-dev-metadata', { skipFinalSnapshot: true });
    h.w.rds.addSnapshot('dataplatform-dev-metadata', 'nightly', new Date('2025-01-03T00:00:00Z'));
    h.w.rds.addSnapshot('dataplatform-dev-metadata', 'rds:automated', new Date('2025-01-03T00:00:00Z'), 'automated');
    h.w.buckets.add('lake');
    h.w.backup.addRecoveryPoint({ created: new Date('2025-01-03T00:00:00Z'), resourceArn: 'arn:fs', vault: VAULT });
    await h.seed('storage.dr-vault', {}, { stackName: 'dataplatform-dev-dr-vault', region: 'us-east-1' }, { scope: undefined });
    const left = await check('storage', STORAGE, { deleteData });
    expect(byResource(left)).toEqual(expected(!deleteData));
    if (deleteData) expect(left.find((l) => l.resource === `backup vault ${VAULT}`)!.detail).toBe('still exists with 1 recovery point(s)');
  });

  it('GIVEN the platform database survived its stack THEN it is left behind; one being deleted is not', async () => {
    h = await stepHarness({ kind: 'destroy' });
    expect((await check('storage', { DbInstanceIdentifier: 'dataplatform-dev-metadata' })).map((l) => [l.resource, l.retained])).toEqual([
      ['RDS instance dataplatform-dev-metadata', false],
    ]);
    await h.w.rds.deleteInstance('dataplatform-dev-metadata', { skipFinalSnapshot: true });
    expect(await check('storage', { DbInstanceIdentifier: 'dataplatform-dev-metadata' })).toEqual([]);
  });

  it('GIVEN a describe call fails THEN the check says it could not look (verify by hand), never "nothing left"', async () => {
    h = await stepHarness({ kind: 'destroy' });
    h.w.ec2.describeVpcs = async () => {
      throw new Error('UnauthorizedOperation');
    };
    expect(await check('network')).toEqual([{ resource: '(could not check: UnauthorizedOperation)', retained: false, detail: 'verify by hand' }]);
  });

  it.each([
    [false, [{ resource: 'state bucket dataplatform-dev-dpf-state-123456789012', retained: true, detail: 'kept' }]],
    [true, []],
  ])('GIVEN bootstrap with deleteState=%s THEN the state bucket is reported kept only when it is', async (deleteState, want) => {
    h = await stepHarness({ kind: 'destroy' });
    expect(await check('bootstrap', {}, { deleteState })).toEqual(want);
  });
});
