import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BackupClient,
  GetBackupPlanCommand,
  ListRecoveryPointsByBackupVaultCommand,
  StartBackupJobCommand,
  DescribeBackupJobCommand,
  StartRestoreJobCommand,
  DescribeRestoreJobCommand,
  DeleteRecoveryPointCommand,
  DeleteBackupVaultCommand,
  DescribeBackupVaultCommand,
} from '@aws-sdk/client-backup';
import { createBackupPort } from '../../src/aws/sdk-backup.js';
import { awsError, cfg } from './helpers.js';

const bk = mockClient(BackupClient);
beforeEach(() => bk.reset());
const port = () => createBackupPort(cfg);

describe('Backup adapter', () => {
  it('describePlan maps rules; missing plan → undefined', async () => {
    bk.on(GetBackupPlanCommand, { BackupPlanId: 'p1' }).resolves({
      BackupPlanId: 'p1',
      BackupPlan: {
        BackupPlanName: 'dpf-dev',
        Rules: [
          { RuleName: 'daily', TargetBackupVaultName: 'v', ScheduleExpression: 'cron(0 3 * * ? *)', Lifecycle: { DeleteAfterDays: 35 } },
          { RuleName: 'adhoc', TargetBackupVaultName: 'v' },
        ],
      },
    });
    bk.on(GetBackupPlanCommand, { BackupPlanId: 'gone' }).rejects(awsError('ResourceNotFoundException', 404));
    expect(await port().describePlan('p1')).toEqual({
      planId: 'p1',
      name: 'dpf-dev',
      rules: [
        { name: 'daily', schedule: 'cron(0 3 * * ? *)', deleteAfterDays: 35 },
        { name: 'adhoc', schedule: undefined, deleteAfterDays: undefined },
      ],
    });
    expect(await port().describePlan('gone')).toBeUndefined();
  });

  it('listRecoveryPoints by vault with an optional resource filter; missing vault → []', async () => {
    const c = new Date('2025-03-01T03:00:00Z');
    const d = new Date('2025-03-01T03:20:00Z');
    bk.on(ListRecoveryPointsByBackupVaultCommand)
      .resolvesOnce({
        RecoveryPoints: [
          {
            RecoveryPointArn: 'arn:rp1',
            ResourceArn: 'arn:db',
            ResourceType: 'RDS',
            Status: 'COMPLETED',
            CreationDate: c,
            CompletionDate: d,
            BackupVaultName: 'dpf-dev',
          },
        ],
        NextToken: 'n',
      })
      .resolvesOnce({ RecoveryPoints: [{ RecoveryPointArn: 'arn:rp2' }] });
    expect(await port().listRecoveryPoints('dpf-dev', 'arn:db')).toEqual([
      { arn: 'arn:rp1', resourceArn: 'arn:db', resourceType: 'RDS', status: 'COMPLETED', created: c, completed: d, vault: 'dpf-dev' },
      { arn: 'arn:rp2', resourceArn: undefined, resourceType: undefined, status: 'unknown', created: undefined, completed: undefined, vault: 'dpf-dev' },
    ]);
    expect(bk.commandCalls(ListRecoveryPointsByBackupVaultCommand).map((x) => x.args[0].input)).toEqual([
      { BackupVaultName: 'dpf-dev', ByResourceArn: 'arn:db', NextToken: undefined },
      { BackupVaultName: 'dpf-dev', ByResourceArn: 'arn:db', NextToken: 'n' },
    ]);
    bk.on(ListRecoveryPointsByBackupVaultCommand).rejects(awsError('ResourceNotFoundException', 404));
    expect(await port().listRecoveryPoints('gone')).toEqual([]);
  });

  it('backup and restore jobs', async () => {
    bk.on(StartBackupJobCommand).resolves({ BackupJobId: 'job-1' });
    bk.on(DescribeBackupJobCommand).resolves({
      BackupJobId: 'job-1',
      State: 'COMPLETED',
      ResourceArn: 'arn:db',
      RecoveryPointArn: 'arn:rp',
      StatusMessage: 'ok',
    });
    bk.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'r-1' });
    bk.on(DescribeRestoreJobCommand).resolves({ RestoreJobId: 'r-1', Status: 'COMPLETED', CreatedResourceArn: 'arn:fs-new' });
    const p = port();
    expect(await p.startBackupJob('dpf-dev', 'arn:db', 'arn:role')).toBe('job-1');
    expect(bk.commandCalls(StartBackupJobCommand)[0]!.args[0].input).toEqual({
      BackupVaultName: 'dpf-dev',
      ResourceArn: 'arn:db',
      IamRoleArn: 'arn:role',
      IdempotencyToken: expect.any(String),
    });
    expect(await p.describeBackupJob('job-1')).toEqual({
      jobId: 'job-1',
      state: 'COMPLETED',
      resourceArn: 'arn:db',
      recoveryPointArn: 'arn:rp',
      created: undefined,
      completed: undefined,
      statusMessage: 'ok',
    });
    expect(await p.startRestoreJob('arn:rp', 'arn:role', { 'file-system-id': 'fs-1', newFileSystem: 'true' }, 'EFS')).toBe('r-1');
    expect(bk.commandCalls(StartRestoreJobCommand)[0]!.args[0].input).toEqual({
      RecoveryPointArn: 'arn:rp',
      IamRoleArn: 'arn:role',
      Metadata: { 'file-system-id': 'fs-1', newFileSystem: 'true' },
      ResourceType: 'EFS',
      IdempotencyToken: expect.any(String),
    });
    expect(await p.describeRestoreJob('r-1')).toMatchObject({ jobId: 'r-1', status: 'COMPLETED', createdResourceArn: 'arn:fs-new' });
  });

  it('deleteRecoveryPoint and deleteBackupVault: gone counts as deleted; a vault that is not empty propagates', async () => {
    bk.on(DeleteRecoveryPointCommand, { RecoveryPointArn: 'arn:rp1' }).resolves({});
    bk.on(DeleteRecoveryPointCommand, { RecoveryPointArn: 'arn:gone' }).rejects(awsError('ResourceNotFoundException', 404));
    bk.on(DeleteBackupVaultCommand, { BackupVaultName: 'v' }).resolves({});
    bk.on(DeleteBackupVaultCommand, { BackupVaultName: 'gone' }).rejects(awsError('ResourceNotFoundException', 404));
    bk.on(DeleteBackupVaultCommand, { BackupVaultName: 'full' }).rejects(awsError('InvalidRequestException', 400));
    const p = port();
    await p.deleteRecoveryPoint('v', 'arn:rp1');
    await p.deleteRecoveryPoint('v', 'arn:gone');
    await p.deleteBackupVault('v');
    await p.deleteBackupVault('gone');
    await expect(p.deleteBackupVault('full')).rejects.toMatchObject({ name: 'InvalidRequestException' });
    expect(bk.commandCalls(DeleteRecoveryPointCommand).map((c) => c.args[0].input)).toEqual([
      { BackupVaultName: 'v', RecoveryPointArn: 'arn:rp1' },
      { BackupVaultName: 'v', RecoveryPointArn: 'arn:gone' },
    ]);
  });

  it('describeVault maps the count and the lock; missing → undefined', async () => {
    bk.on(DescribeBackupVaultCommand, { BackupVaultName: 'v' }).resolves({
      BackupVaultName: 'v',
      BackupVaultArn: 'arn:v',
      NumberOfRecoveryPoints: 3,
      Locked: true,
    });
    bk.on(DescribeBackupVaultCommand, { BackupVaultName: 'gone' }).rejects(awsError('ResourceNotFoundException', 404));
    expect(await port().describeVault('v')).toEqual({ name: 'v', arn: 'arn:v', recoveryPoints: 3, locked: true });
    expect(await port().describeVault('gone')).toBeUndefined();
  });

  it('describeBackupJob of an unknown job propagates the error', async () => {
    bk.on(DescribeBackupJobCommand).rejects(awsError('ResourceNotFoundException', 404));
    await expect(port().describeBackupJob('x')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
