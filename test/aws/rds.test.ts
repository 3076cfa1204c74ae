import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  RDSClient,
  DescribeDBInstancesCommand,
  CreateDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  DeleteDBInstanceCommand,
  ModifyDBInstanceCommand,
  CopyDBSnapshotCommand,
  DeleteDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { createRdsPort } from '../../src/aws/sdk-rds.js';
import { awsError, cfg } from './helpers.js';

const rds = mockClient(RDSClient);
beforeEach(() => rds.reset());
const port = () => createRdsPort(cfg);

const restoreInput = {
  targetIdentifier: 'dpf-dev-db-restored',
  subnetGroup: 'dpf-dev-db',
  securityGroupIds: ['sg-db'],
  parameterGroup: 'dpf-pg16',
  instanceClass: 'db.t4g.medium',
  multiAz: false,
  tags: { 'dpf:env': 'dev' },
};

describe('RDS adapter', () => {
  it('describeInstance maps every field', async () => {
    const latest = new Date('2025-03-01T10:00:00Z');
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'dpf-dev-db' }).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'dpf-dev-db',
          DBInstanceArn: 'arn:db',
          Engine: 'postgres',
          EngineVersion: '16.3',
          DBInstanceStatus: 'available',
          Endpoint: { Address: 'db.example', Port: 5432 },
          StorageEncrypted: true,
          PubliclyAccessible: false,
          MultiAZ: true,
          DBSubnetGroup: { DBSubnetGroupName: 'dpf-dev-db' },
          VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-db', Status: 'active' }],
          DBParameterGroups: [{ DBParameterGroupName: 'dpf-pg16' }],
          BackupRetentionPeriod: 7,
          DeletionProtection: true,
          LatestRestorableTime: latest,
          DBInstanceClass: 'db.t4g.medium',
          TagList: [{ Key: 'dpf:env', Value: 'dev' }],
        },
      ],
    });
    expect(await port().describeInstance('dpf-dev-db')).toEqual({
      identifier: 'dpf-dev-db',
      arn: 'arn:db',
      engine: 'postgres',
      engineVersion: '16.3',
      status: 'available',
      endpoint: 'db.example',
      port: 5432,
      encrypted: true,
      publiclyAccessible: false,
      multiAz: true,
      subnetGroup: 'dpf-dev-db',
      securityGroupIds: ['sg-db'],
      parameterGroups: ['dpf-pg16'],
      backupRetentionDays: 7,
      deletionProtection: true,
      latestRestorableTime: latest,
      instanceClass: 'db.t4g.medium',
      tags: { 'dpf:env': 'dev' },
    });
  });

  it('describeInstance: DBInstanceNotFound → undefined; missing fields → defaults', async () => {
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'gone' }).rejects(awsError('DBInstanceNotFoundFault', 404));
    expect(await port().describeInstance('gone')).toBeUndefined();
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'bare' }).resolves({ DBInstances: [{ DBInstanceIdentifier: 'bare' }] });
    expect(await port().describeInstance('bare')).toMatchObject({
      identifier: 'bare',
      engine: '',
      status: 'unknown',
      encrypted: false,
      publiclyAccessible: false,
      multiAz: false,
      securityGroupIds: [],
      parameterGroups: [],
      tags: {},
    });
  });

  it('describeInstances follows Marker', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceIdentifier: 'a' }], Marker: 'm1' })
      .resolvesOnce({ DBInstances: [{ DBInstanceIdentifier: 'b' }] });
    expect((await port().describeInstances()).map((d) => d.identifier)).toEqual(['a', 'b']);
    expect(rds.commandCalls(DescribeDBInstancesCommand)[1]!.args[0].input).toEqual({ Marker: 'm1' });
  });

  it('createSnapshot sends the tags; describeSnapshots filters, paginates, maps; not found → []', async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    await port().createSnapshot('dpf-dev-db', 'dpf-dev-db-manual-1', { 'dpf:env': 'dev' });
    expect(rds.commandCalls(CreateDBSnapshotCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: 'dpf-dev-db',
      DBSnapshotIdentifier: 'dpf-dev-db-manual-1',
      Tags: [{ Key: 'dpf:env', Value: 'dev' }],
    });
    const t = new Date('2025-03-01T00:00:00Z');
    rds
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({
        DBSnapshots: [
          {
            DBSnapshotIdentifier: 's1',
            DBInstanceIdentifier: 'dpf-dev-db',
            Status: 'available',
            SnapshotCreateTime: t,
            SnapshotType: 'manual',
            Encrypted: true,
          },
        ],
        Marker: 'm',
      })
      .resolvesOnce({ DBSnapshots: [{ DBSnapshotIdentifier: 's2', DBInstanceIdentifier: 'dpf-dev-db', Status: 'creating' }] });
    expect(await port().describeSnapshots({ instance: 'dpf-dev-db' })).toEqual([
      { identifier: 's1', dbInstanceIdentifier: 'dpf-dev-db', status: 'available', created: t, type: 'manual', encrypted: true },
      { identifier: 's2', dbInstanceIdentifier: 'dpf-dev-db', status: 'creating', created: undefined, type: undefined, encrypted: undefined },
    ]);
    expect(rds.commandCalls(DescribeDBSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'dpf-dev-db', DBSnapshotIdentifier: undefined, Marker: undefined },
      { DBInstanceIdentifier: 'dpf-dev-db', DBSnapshotIdentifier: undefined, Marker: 'm' },
    ]);
    rds.on(DescribeDBSnapshotsCommand).rejects(awsError('DBSnapshotNotFoundFault', 404));
    expect(await port().describeSnapshots({ snapshotId: 'nope' })).toEqual([]);
  });

  it('restoreFromSnapshot passes subnet group, security groups, parameter group (not RDS defaults)', async () => {
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});
    await port().restoreFromSnapshot('snap-1', restoreInput);
    expect(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: 'dpf-dev-db-restored',
      DBSnapshotIdentifier: 'snap-1',
      DBSubnetGroupName: 'dpf-dev-db',
      VpcSecurityGroupIds: ['sg-db'],
      DBParameterGroupName: 'dpf-pg16',
      DBInstanceClass: 'db.t4g.medium',
      MultiAZ: false,
      PubliclyAccessible: false,
      CopyTagsToSnapshot: true,
      Tags: [{ Key: 'dpf:env', Value: 'dev' }],
    });
  });

  it('restoreToPointInTime: latest restorable time by default, or the given time', async () => {
    rds.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    await port().restoreToPointInTime('dpf-dev-db', { ...restoreInput, useLatestRestorableTime: true });
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]!.args[0].input).toEqual({
      SourceDBInstanceIdentifier: 'dpf-dev-db',
      TargetDBInstanceIdentifier: 'dpf-dev-db-restored',
      RestoreTime: undefined,
      UseLatestRestorableTime: true,
      DBSubnetGroupName: 'dpf-dev-db',
      VpcSecurityGroupIds: ['sg-db'],
      DBParameterGroupName: 'dpf-pg16',
      DBInstanceClass: 'db.t4g.medium',
      MultiAZ: false,
      PubliclyAccessible: false,
      CopyTagsToSnapshot: true,
      Tags: [{ Key: 'dpf:env', Value: 'dev' }],
    });
    const when = new Date('2025-03-01T09:30:00Z');
    await port().restoreToPointInTime('dpf-dev-db', { ...restoreInput, restoreTime: when });
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)[1]!.args[0].input).toMatchObject({ RestoreTime: when, UseLatestRestorableTime: false });
  });

  it('deleteInstance: final snapshot or skip; already gone is fine; modifyDeletionProtection applies immediately', async () => {
    rds.on(DeleteDBInstanceCommand).resolvesOnce({}).resolvesOnce({}).rejects(awsError('DBInstanceNotFoundFault', 404));
    await port().deleteInstance('a', { skipFinalSnapshot: false, finalSnapshotId: 'a-final' });
    await port().deleteInstance('b', { skipFinalSnapshot: true, finalSnapshotId: 'ignored' });
    await port().deleteInstance('gone', { skipFinalSnapshot: true });
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'a', SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: 'a-final' },
      { DBInstanceIdentifier: 'b', SkipFinalSnapshot: true, FinalDBSnapshotIdentifier: undefined },
      { DBInstanceIdentifier: 'gone', SkipFinalSnapshot: true, FinalDBSnapshotIdentifier: undefined },
    ]);
    rds.on(ModifyDBInstanceCommand).resolves({});
    await port().modifyDeletionProtection('a', false);
    expect(rds.commandCalls(ModifyDBInstanceCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: 'a',
      DeletionProtection: false,
      ApplyImmediately: true,
    });
  });

  it('copySnapshot sends the source, the destination-region key and dpf tags only; describeSnapshots maps arn and key', async () => {
    rds.on(CopyDBSnapshotCommand).resolves({});
    await port().copySnapshot('arn:aws:rds:us-west-2:123456789012:snapshot:s1', 's1-dr', {
      kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/dr',
      tags: { 'dpf:drill': 'd1' },
    });
    expect(rds.commandCalls(CopyDBSnapshotCommand)[0]!.args[0].input).toMatchObject({
      SourceDBSnapshotIdentifier: 'arn:aws:rds:us-west-2:123456789012:snapshot:s1',
      TargetDBSnapshotIdentifier: 's1-dr',
      KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/dr',
      CopyTags: false,
      Tags: [{ Key: 'dpf:drill', Value: 'd1' }],
    });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        { DBSnapshotIdentifier: 's1-dr', DBInstanceIdentifier: 'db', Status: 'copying', DBSnapshotArn: 'arn:s1-dr', KmsKeyId: 'arn:k', Encrypted: true },
      ],
    });
    expect(await port().describeSnapshots({ snapshotId: 's1-dr' })).toEqual([
      {
        identifier: 's1-dr',
        dbInstanceIdentifier: 'db',
        status: 'copying',
        created: undefined,
        type: undefined,
        encrypted: true,
        arn: 'arn:s1-dr',
        kmsKeyId: 'arn:k',
      },
    ]);
  });

  it('deleteSnapshot: gone counts as deleted; other errors propagate', async () => {
    rds.on(DeleteDBSnapshotCommand, { DBSnapshotIdentifier: 'gone' }).rejects(awsError('DBSnapshotNotFoundFault', 404));
    rds.on(DeleteDBSnapshotCommand, { DBSnapshotIdentifier: 'busy' }).rejects(awsError('InvalidDBSnapshotState', 400));
    rds.on(DeleteDBSnapshotCommand, { DBSnapshotIdentifier: 'ok' }).resolves({});
    await port().deleteSnapshot('ok');
    await port().deleteSnapshot('gone');
    await expect(port().deleteSnapshot('busy')).rejects.toMatchObject({ name: 'InvalidDBSnapshotState' });
    expect(rds.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { DBSnapshotIdentifier: 'ok' },
      { DBSnapshotIdentifier: 'gone' },
      { DBSnapshotIdentifier: 'busy' },
    ]);
  });

  it('other errors propagate', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(awsError('AccessDenied', 403));
    await expect(port().describeInstance('x')).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
