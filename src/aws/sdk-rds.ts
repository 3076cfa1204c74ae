/**
 * RdsPort over the AWS SDK v3. Only translation happens here.
 * Restores always pass dpf's subnet group, security groups and parameter group, and
 * PubliclyAccessible=false: RDS defaults (default VPC security group, default parameter
 * group, public when the subnets are) are wrong for dpf.
 */
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
  type DBInstance,
} from '@aws-sdk/client-rds';
import type { CopySnapshotInput, DbInstanceInfo, DbSnapshotInfo, RdsPort, RestoreDbInput } from './ops-ports.js';
import { createdByEarlierAttempt, isError, tagList, tagsOf } from './sdk-common.js';

const INSTANCE_NOT_FOUND = /^DBInstanceNotFound(Fault)?$/;
const SNAPSHOT_NOT_FOUND = /^DBSnapshotNotFound(Fault)?$/;

export function toDbInstanceInfo(d: DBInstance): DbInstanceInfo {
  return {
    identifier: d.DBInstanceIdentifier ?? '',
    arn: d.DBInstanceArn,
    engine: d.Engine ?? '',
    engineVersion: d.EngineVersion,
    status: d.DBInstanceStatus ?? 'unknown',
    endpoint: d.Endpoint?.Address,
    port: d.Endpoint?.Port,
    encrypted: d.StorageEncrypted ?? false,
    publiclyAccessible: d.PubliclyAccessible ?? false,
    multiAz: d.MultiAZ ?? false,
    subnetGroup: d.DBSubnetGroup?.DBSubnetGroupName,
    securityGroupIds: (d.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId).filter((g): g is string => Boolean(g)),
    parameterGroups: (d.DBParameterGroups ?? []).map((g) => g.DBParameterGroupName).filter((g): g is string => Boolean(g)),
    backupRetentionDays: d.BackupRetentionPeriod,
    deletionProtection: d.DeletionProtection,
    latestRestorableTime: d.LatestRestorableTime,
    instanceClass: d.DBInstanceClass,
    tags: tagsOf(d.TagList),
    kmsKeyId: d.KmsKeyId,
  };
}

/** The fields both restore calls share. */
function restoreFields(input: RestoreDbInput) {
  return {
    DBSubnetGroupName: input.subnetGroup,
    VpcSecurityGroupIds: input.securityGroupIds,
    DBParameterGroupName: input.parameterGroup,
    DBInstanceClass: input.instanceClass,
    MultiAZ: input.multiAz,
    PubliclyAccessible: false,
    CopyTagsToSnapshot: true,
    Tags: tagList(input.tags),
  };
}

export class SdkRds implements RdsPort {
  constructor(private readonly client: RDSClient) {}

  async describeInstance(identifier: string): Promise<DbInstanceInfo | undefined> {
    try {
      const r = await this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
      const d = r.DBInstances?.[0];
      return d ? toDbInstanceInfo(d) : undefined;
    } catch (err) {
      if (isError(err, INSTANCE_NOT_FOUND)) return undefined;
      throw err;
    }
  }

  async describeInstances(): Promise<DbInstanceInfo[]> {
    const out: DbInstanceInfo[] = [];
    let marker: string | undefined;
    do {
      const r = await this.client.send(new DescribeDBInstancesCommand({ Marker: marker }));
      for (const d of r.DBInstances ?? []) out.push(toDbInstanceInfo(d));
      marker = r.Marker;
    } while (marker);
    return out;
  }

  async createSnapshot(instance: string, snapshotId: string, tags: Record<string, string>): Promise<void> {
    try {
      await this.client.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: instance, DBSnapshotIdentifier: snapshotId, Tags: tagList(tags) }));
    } catch (err) {
      if (!createdByEarlierAttempt(err, 'DBSnapshotAlreadyExistsFault', 'DBSnapshotAlreadyExists')) throw err;
    }
  }

  async describeSnapshots(filter: { instance?: string; snapshotId?: string }): Promise<DbSnapshotInfo[]> {
    const out: DbSnapshotInfo[] = [];
    let marker: string | undefined;
    try {
      do {
        const r = await this.client.send(
          new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: filter.instance, DBSnapshotIdentifier: filter.snapshotId, Marker: marker }),
        );
        for (const s of r.DBSnapshots ?? [])
          out.push({
            identifier: s.DBSnapshotIdentifier ?? '',
            dbInstanceIdentifier: s.DBInstanceIdentifier ?? '',
            status: s.Status ?? 'unknown',
            created: s.SnapshotCreateTime,
            type: s.SnapshotType,
            encrypted: s.Encrypted,
            arn: s.DBSnapshotArn,
            kmsKeyId: s.KmsKeyId,
          });
        marker = r.Marker;
      } while (marker);
    } catch (err) {
      if (isError(err, SNAPSHOT_NOT_FOUND, INSTANCE_NOT_FOUND)) return [];
      throw err;
    }
    return out;
  }

  async restoreFromSnapshot(snapshotId: string, input: RestoreDbInput): Promise<void> {
    await this.client
      .send(
        new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: input.targetIdentifier, DBSnapshotIdentifier: snapshotId, ...restoreFields(input) }),
      )
      .catch((err: unknown) => {
        if (!createdByEarlierAttempt(err, 'DBInstanceAlreadyExistsFault', 'DBInstanceAlreadyExists')) throw err;
      });
  }

  /** Restores to `restoreTime` when given, else to the latest restorable time. */
  async restoreToPointInTime(source: string, input: RestoreDbInput & { restoreTime?: Date; useLatestRestorableTime?: boolean }): Promise<void> {
    const latest = input.restoreTime ? false : (input.useLatestRestorableTime ?? true);
    await this.client
      .send(
        new RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceIdentifier: source,
          TargetDBInstanceIdentifier: input.targetIdentifier,
          RestoreTime: input.restoreTime,
          UseLatestRestorableTime: latest,
          ...restoreFields(input),
        }),
      )
      .catch((err: unknown) => {
        if (!createdByEarlierAttempt(err, 'DBInstanceAlreadyExistsFault', 'DBInstanceAlreadyExists')) throw err;
      });
  }

  /** Deleting an instance that is already gone counts as done. */
  async deleteInstance(identifier: string, opts: { skipFinalSnapshot: boolean; finalSnapshotId?: string }): Promise<void> {
    try {
      await this.client.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: identifier,
          SkipFinalSnapshot: opts.skipFinalSnapshot,
          FinalDBSnapshotIdentifier: opts.skipFinalSnapshot ? undefined : opts.finalSnapshotId,
        }),
      );
    } catch (err) {
      if (!isError(err, INSTANCE_NOT_FOUND)) throw err;
    }
  }

  async modifyDeletionProtection(identifier: string, enabled: boolean): Promise<void> {
    await this.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: identifier, DeletionProtection: enabled, ApplyImmediately: true }));
  }

  /**
   * Copies into this client's region. For a source ARN in another region the SDK's RDS
   * middleware adds the PreSignedUrl (signed for the source region) that an encrypted
   * cross-region copy needs; KmsKeyId must then be a key of this (the destination) region.
   * Tags are dpf's own (the source's are not copied: they name the source environment).
   */
  async copySnapshot(source: string, targetSnapshotId: string, input: CopySnapshotInput): Promise<void> {
    await this.client
      .send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: source,
          TargetDBSnapshotIdentifier: targetSnapshotId,
          KmsKeyId: input.kmsKeyId,
          CopyTags: false,
          Tags: tagList(input.tags),
        }),
      )
      .catch((err: unknown) => {
        if (!createdByEarlierAttempt(err, 'DBSnapshotAlreadyExistsFault', 'DBSnapshotAlreadyExists')) throw err;
      });
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    try {
      await this.client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId }));
    } catch (err) {
      if (!isError(err, SNAPSHOT_NOT_FOUND)) throw err;
    }
  }
}

export function createRdsPort(cfg: Record<string, unknown>): RdsPort {
  return new SdkRds(new RDSClient(cfg));
}
