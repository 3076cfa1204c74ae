import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { EFSClient, DescribeFileSystemsCommand, DescribeMountTargetsCommand, DeleteFileSystemCommand, DeleteMountTargetCommand } from '@aws-sdk/client-efs';
import { createEfsPort } from '../../src/aws/sdk-efs.js';
import { awsError, cfg } from './helpers.js';

const efs = mockClient(EFSClient);
beforeEach(() => efs.reset());
const port = () => createEfsPort(cfg);

describe('EFS adapter', () => {
  it('describeFileSystems maps and follows NextMarker', async () => {
    efs
      .on(DescribeFileSystemsCommand)
      .resolvesOnce({
        NextMarker: 'm',
        FileSystems: [
          {
            FileSystemId: 'fs-1',
            FileSystemArn: 'arn:fs-1',
            LifeCycleState: 'available',
            Encrypted: true,
            KmsKeyId: 'arn:kms',
            PerformanceMode: 'generalPurpose',
            ThroughputMode: 'elastic',
            Tags: [{ Key: 'dpf:env', Value: 'dev' }],
            SizeInBytes: { Value: 6144 },
            OwnerId: '1',
            CreationToken: 't',
            CreationTime: new Date(),
            NumberOfMountTargets: 2,
          },
        ],
      })
      .resolvesOnce({ FileSystems: [{ FileSystemId: 'fs-2' } as never] });
    const out = await port().describeFileSystems();
    expect(out).toEqual([
      {
        fileSystemId: 'fs-1',
        arn: 'arn:fs-1',
        state: 'available',
        encrypted: true,
        kmsKeyId: 'arn:kms',
        performanceMode: 'generalPurpose',
        throughputMode: 'elastic',
        tags: { 'dpf:env': 'dev' },
        sizeBytes: 6144,
      },
      {
        fileSystemId: 'fs-2',
        arn: undefined,
        state: 'unknown',
        encrypted: false,
        kmsKeyId: undefined,
        performanceMode: undefined,
        throughputMode: undefined,
        tags: {},
        sizeBytes: undefined,
      },
    ]);
    expect(efs.commandCalls(DescribeFileSystemsCommand)[1]!.args[0].input).toEqual({ FileSystemId: undefined, Marker: 'm' });
  });

  it('FileSystemNotFound → [] for every read', async () => {
    const nf = awsError('FileSystemNotFound', 404);
    efs.on(DescribeFileSystemsCommand).rejects(nf);
    efs.on(DescribeMountTargetsCommand).rejects(nf);
    const p = port();
    expect(await p.describeFileSystems('fs-x')).toEqual([]);
    expect(await p.describeMountTargets('fs-x')).toEqual([]);
  });

  it('mount targets', async () => {
    efs
      .on(DescribeMountTargetsCommand)
      .resolves({ MountTargets: [{ MountTargetId: 'fsmt-1', FileSystemId: 'fs-1', SubnetId: 's-1', LifeCycleState: 'available', IpAddress: '10.0.1.9' }] });
    const p = port();
    expect(await p.describeMountTargets('fs-1')).toEqual([
      { mountTargetId: 'fsmt-1', fileSystemId: 'fs-1', subnetId: 's-1', state: 'available', ipAddress: '10.0.1.9' },
    ]);
  });

  it('deletes: already gone is fine, other errors propagate', async () => {
    efs.on(DeleteMountTargetCommand).rejects(awsError('MountTargetNotFound', 404));
    efs.on(DeleteFileSystemCommand).rejectsOnce(awsError('FileSystemNotFound', 404)).rejects(awsError('FileSystemInUse', 409));
    const p = port();
    await p.deleteMountTarget('fsmt-1');
    await p.deleteFileSystem('fs-1');
    await expect(p.deleteFileSystem('fs-1')).rejects.toMatchObject({ name: 'FileSystemInUse' });
    expect(efs.commandCalls(DeleteMountTargetCommand)[0]!.args[0].input).toEqual({ MountTargetId: 'fsmt-1' });
  });
});
