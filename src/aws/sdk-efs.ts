/** EfsPort over the AWS SDK v3. Only translation happens here; a missing file system gives []. */
import {
  EFSClient,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  TagResourceCommand,
} from '@aws-sdk/client-efs';
import type { EfsPort, FileSystemInfo, MountTargetInfo } from './ops-ports.js';
import { isError, tagList, tagsOf } from './sdk-common.js';

const NOT_FOUND = ['FileSystemNotFound', 'MountTargetNotFound', 'AccessPointNotFound'];

export class SdkEfs implements EfsPort {
  constructor(private readonly client: EFSClient) {}

  private async orEmpty<T>(read: () => Promise<T[]>): Promise<T[]> {
    try {
      return await read();
    } catch (err) {
      if (isError(err, ...NOT_FOUND)) return [];
      throw err;
    }
  }

  async describeFileSystems(fileSystemId?: string): Promise<FileSystemInfo[]> {
    return this.orEmpty(async () => {
      const out: FileSystemInfo[] = [];
      let marker: string | undefined;
      do {
        const r = await this.client.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId, Marker: marker }));
        for (const f of r.FileSystems ?? [])
          out.push({
            fileSystemId: f.FileSystemId ?? '',
            arn: f.FileSystemArn,
            state: f.LifeCycleState ?? 'unknown',
            encrypted: f.Encrypted ?? false,
            kmsKeyId: f.KmsKeyId,
            performanceMode: f.PerformanceMode,
            throughputMode: f.ThroughputMode,
            tags: tagsOf(f.Tags),
            sizeBytes: f.SizeInBytes?.Value,
          });
        marker = r.NextMarker;
      } while (marker);
      return out;
    });
  }

  async describeMountTargets(fileSystemId: string): Promise<MountTargetInfo[]> {
    return this.orEmpty(async () => {
      const out: MountTargetInfo[] = [];
      let marker: string | undefined;
      do {
        const r = await this.client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId, Marker: marker }));
        for (const m of r.MountTargets ?? [])
          out.push({
            mountTargetId: m.MountTargetId ?? '',
            fileSystemId: m.FileSystemId ?? fileSystemId,
            subnetId: m.SubnetId ?? '',
            state: m.LifeCycleState ?? 'unknown',
            ipAddress: m.IpAddress,
          });
        marker = r.NextMarker;
      } while (marker);
      return out;
    });
  }

  /** Deleting a file system that is already gone counts as done. */
  async deleteFileSystem(fileSystemId: string): Promise<void> {
    try {
      await this.client.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId }));
    } catch (err) {
      if (!isError(err, 'FileSystemNotFound')) throw err;
    }
  }

  async tagFileSystem(fileSystemId: string, tags: Record<string, string>): Promise<void> {
    await this.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: tagList(tags) }));
  }

  /** Deleting a mount target that is already gone counts as done. */
  async deleteMountTarget(mountTargetId: string): Promise<void> {
    try {
      await this.client.send(new DeleteMountTargetCommand({ MountTargetId: mountTargetId }));
    } catch (err) {
      if (!isError(err, 'MountTargetNotFound')) throw err;
    }
  }
}

export function createEfsPort(cfg: Record<string, unknown>): EfsPort {
  return new SdkEfs(new EFSClient(cfg));
}
