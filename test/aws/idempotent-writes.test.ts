/**
 * Writes without an idempotency token whose names dpf chooses: "already exists" on a retry of
 * the same call (the SDK's attempt count above 1) means the earlier attempt, whose answer was
 * lost, made it; on a first attempt it stays an error. And AWS Backup jobs carry a token.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { RDSClient, CreateDBSnapshotCommand, RestoreDBInstanceToPointInTimeCommand, CopyDBSnapshotCommand } from '@aws-sdk/client-rds';
import { EC2Client, CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, CreateImageCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { BackupClient, StartBackupJobCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { createRdsPort } from '../../src/aws/sdk-rds.js';
import { createEc2Port } from '../../src/aws/sdk-ec2.js';
import { createBackupPort } from '../../src/aws/sdk-backup.js';
import { awsError, cfg } from './helpers.js';

const rds = mockClient(RDSClient);
const ec2 = mockClient(EC2Client);
const bk = mockClient(BackupClient);
beforeEach(() => {
  rds.reset();
  ec2.reset();
  bk.reset();
});
const onRetry = (name: string) => Object.assign(awsError(name, 400), { $metadata: { httpStatusCode: 400, attempts: 2 } });
const onFirst = (name: string) => Object.assign(awsError(name, 400), { $metadata: { httpStatusCode: 400, attempts: 1 } });
const restore = { targetIdentifier: 'db-copy', subnetGroup: 'sg', securityGroupIds: ['sg-1'], tags: {} };

describe('GIVEN a create refused as already existing', () => {
  it.each([
    [
      'RDS CreateDBSnapshot',
      () => rds.on(CreateDBSnapshotCommand),
      () => createRdsPort(cfg).createSnapshot('db', 'snap-1', {}),
      'DBSnapshotAlreadyExistsFault',
    ],
    [
      'RDS RestoreDBInstanceToPointInTime',
      () => rds.on(RestoreDBInstanceToPointInTimeCommand),
      () => createRdsPort(cfg).restoreToPointInTime('db', restore),
      'DBInstanceAlreadyExistsFault',
    ],
    [
      'RDS CopyDBSnapshot',
      () => rds.on(CopyDBSnapshotCommand),
      () => createRdsPort(cfg).copySnapshot('snap-1', 'snap-2', { tags: {} }),
      'DBSnapshotAlreadyExistsFault',
    ],
  ])('WHEN %s says so on a retry THEN it is done; on a first attempt THEN it is an error', async (_what, on, call, name) => {
    on().rejects(onRetry(name));
    await expect(call()).resolves.toBeUndefined();
    on().rejects(onFirst(name));
    await expect(call()).rejects.toMatchObject({ name });
  });

  it('WHEN EC2 CreateSecurityGroup says InvalidGroup.Duplicate on a retry THEN the group made by the lost attempt is returned', async () => {
    ec2.on(CreateSecurityGroupCommand).rejects(onRetry('InvalidGroup.Duplicate'));
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-made' }] });
    expect(await createEc2Port(cfg).createSecurityGroup('vpc-1', 'drill', 'd', {})).toBe('sg-made');
  });

  it('WHEN EC2 CreateImage says InvalidAMIName.Duplicate on a retry THEN the image made by the lost attempt is returned', async () => {
    ec2.on(CreateImageCommand).rejects(onRetry('InvalidAMIName.Duplicate'));
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-made' }] });
    expect(await createEc2Port(cfg).createImage('i-1', 'dpf-patch-x', {}, true)).toBe('ami-made');
  });
});

describe('GIVEN AWS Backup jobs', () => {
  it("WHEN a job is started THEN an IdempotencyToken goes with it: the caller's, or one per call", async () => {
    bk.on(StartBackupJobCommand).resolves({ BackupJobId: 'job-1' });
    bk.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'r-1' });
    const p = createBackupPort(cfg);
    await p.startBackupJob('v', 'arn:efs', 'arn:role', 'dpf-backup-abc');
    await p.startBackupJob('v', 'arn:efs', 'arn:role');
    await p.startRestoreJob('arn:rp', 'arn:role', {}, 'EFS');
    const tokens = bk.commandCalls(StartBackupJobCommand).map((c) => c.args[0].input.IdempotencyToken);
    expect(tokens[0]).toBe('dpf-backup-abc');
    expect(tokens[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(bk.commandCalls(StartRestoreJobCommand)[0]!.args[0].input.IdempotencyToken).toMatch(/^[0-9a-f-]{36}$/);
  });
});
