/**
 * BackupPort over the AWS SDK v3. Only translation happens here.
 * moto implements vaults and plans only: backup selections, StartBackupJob, recovery points and
 * restore jobs are written against the real API shapes and tested with mocked responses.
 */
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
import type { BackupJobInfo, BackupPort, BackupVaultInfo, RecoveryPointInfo } from './ops-ports.js';
import { randomUUID } from 'node:crypto';
import { isError } from './sdk-common.js';

export class SdkBackup implements BackupPort {
  constructor(private readonly client: BackupClient) {}

  async describeVault(vault: string): Promise<BackupVaultInfo | undefined> {
    try {
      const r = await this.client.send(new DescribeBackupVaultCommand({ BackupVaultName: vault }));
      return { name: r.BackupVaultName ?? vault, arn: r.BackupVaultArn, recoveryPoints: r.NumberOfRecoveryPoints, locked: r.Locked };
    } catch (err) {
      if (isError(err, 'ResourceNotFoundException')) return undefined;
      throw err;
    }
  }

  async describePlan(planId: string) {
    try {
      const r = await this.client.send(new GetBackupPlanCommand({ BackupPlanId: planId }));
      if (!r.BackupPlan) return undefined;
      return {
        planId: r.BackupPlanId ?? planId,
        name: r.BackupPlan.BackupPlanName ?? '',
        rules: (r.BackupPlan.Rules ?? []).map((x) => ({
          name: x.RuleName ?? '',
          schedule: x.ScheduleExpression,
          deleteAfterDays: x.Lifecycle?.DeleteAfterDays,
        })),
      };
    } catch (err) {
      if (isError(err, 'ResourceNotFoundException')) return undefined;
      throw err;
    }
  }

  async listRecoveryPoints(vault: string, resourceArn?: string): Promise<RecoveryPointInfo[]> {
    const out: RecoveryPointInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: vault, ByResourceArn: resourceArn, NextToken: token }));
        for (const p of r.RecoveryPoints ?? [])
          out.push({
            arn: p.RecoveryPointArn ?? '',
            resourceArn: p.ResourceArn,
            resourceType: p.ResourceType,
            status: p.Status ?? 'unknown',
            created: p.CreationDate,
            completed: p.CompletionDate,
            vault: p.BackupVaultName ?? vault,
          });
        token = r.NextToken;
      } while (token);
    } catch (err) {
      if (isError(err, 'ResourceNotFoundException')) return [];
      throw err;
    }
    return out;
  }

  async startBackupJob(vault: string, resourceArn: string, iamRoleArn: string, idempotencyToken: string = randomUUID()): Promise<string> {
    // IdempotencyToken: "Retrying a successful request with the same idempotency token results in a success message with no action taken."
    const r = await this.client.send(
      new StartBackupJobCommand({ BackupVaultName: vault, ResourceArn: resourceArn, IamRoleArn: iamRoleArn, IdempotencyToken: idempotencyToken }),
    );
    if (!r.BackupJobId) throw new Error(`StartBackupJob for ${resourceArn} returned no job id`);
    return r.BackupJobId;
  }

  async describeBackupJob(jobId: string): Promise<BackupJobInfo> {
    const r = await this.client.send(new DescribeBackupJobCommand({ BackupJobId: jobId }));
    return {
      jobId: r.BackupJobId ?? jobId,
      state: r.State ?? 'unknown',
      resourceArn: r.ResourceArn,
      recoveryPointArn: r.RecoveryPointArn,
      created: r.CreationDate,
      completed: r.CompletionDate,
      statusMessage: r.StatusMessage,
    };
  }

  async startRestoreJob(
    recoveryPointArn: string,
    iamRoleArn: string,
    metadata: Record<string, string>,
    resourceType: string,
    idempotencyToken: string = randomUUID(),
  ): Promise<string> {
    const r = await this.client.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: recoveryPointArn,
        IamRoleArn: iamRoleArn,
        Metadata: metadata,
        ResourceType: resourceType,
        IdempotencyToken: idempotencyToken,
      }),
    );
    if (!r.RestoreJobId) throw new Error(`StartRestoreJob for ${recoveryPointArn} returned no job id`);
    return r.RestoreJobId;
  }

  async describeRestoreJob(jobId: string) {
    const r = await this.client.send(new DescribeRestoreJobCommand({ RestoreJobId: jobId }));
    return {
      jobId: r.RestoreJobId ?? jobId,
      status: r.Status ?? 'unknown',
      createdResourceArn: r.CreatedResourceArn,
      statusMessage: r.StatusMessage,
      created: r.CreationDate,
      completed: r.CompletionDate,
    };
  }

  async deleteRecoveryPoint(vault: string, recoveryPointArn: string): Promise<void> {
    try {
      await this.client.send(new DeleteRecoveryPointCommand({ BackupVaultName: vault, RecoveryPointArn: recoveryPointArn }));
    } catch (err) {
      if (!isError(err, 'ResourceNotFoundException')) throw err;
    }
  }

  async deleteBackupVault(vault: string): Promise<void> {
    try {
      await this.client.send(new DeleteBackupVaultCommand({ BackupVaultName: vault }));
    } catch (err) {
      if (!isError(err, 'ResourceNotFoundException')) throw err;
    }
  }
}

export function createBackupPort(cfg: Record<string, unknown>): BackupPort {
  return new SdkBackup(new BackupClient(cfg));
}
