import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  S3Client,
  HeadBucketCommand,
  GetBucketVersioningCommand,
  GetBucketEncryptionCommand,
  GetPublicAccessBlockCommand,
  GetBucketPolicyCommand,
  ListObjectVersionsCommand,
  DeleteObjectsCommand,
  DeleteBucketCommand,
} from '@aws-sdk/client-s3';
import { createBucketInspectPort, policyDeniesInsecureTransport } from '../../src/aws/sdk-buckets.js';
import { awsError, cfg } from './helpers.js';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());
const port = () => createBucketInspectPort(cfg);

const tlsPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Read', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
    {
      Sid: 'TLS',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ],
});

describe('bucket inspection', () => {
  it('reads versioning, encryption, public access block and the TLS policy', async () => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(GetBucketEncryptionCommand).resolves({
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'k' } }] },
    });
    s3.on(GetPublicAccessBlockCommand).resolves({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    });
    s3.on(GetBucketPolicyCommand).resolves({ Policy: tlsPolicy });
    expect(await port().inspect('b')).toEqual({
      exists: true,
      versioning: 'Enabled',
      encryption: 'aws:kms',
      publicAccessBlocked: true,
      policyDeniesInsecureTransport: true,
    });
    for (const c of [HeadBucketCommand, GetBucketVersioningCommand, GetBucketEncryptionCommand, GetPublicAccessBlockCommand, GetBucketPolicyCommand])
      expect(s3.commandCalls(c)[0]!.args[0].input).toEqual({ Bucket: 'b' });
  });

  it('settings that are not configured read as undefined/false, not as errors', async () => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketVersioningCommand).resolves({});
    s3.on(GetBucketEncryptionCommand).rejects(awsError('ServerSideEncryptionConfigurationNotFoundError', 404));
    s3.on(GetPublicAccessBlockCommand).rejects(awsError('NoSuchPublicAccessBlockConfiguration', 404));
    s3.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404));
    expect(await port().inspect('b')).toEqual({
      exists: true,
      versioning: undefined,
      encryption: undefined,
      publicAccessBlocked: false,
      policyDeniesInsecureTransport: false,
    });
  });

  it('a partial public access block is not "blocked"', async () => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });
    s3.on(GetBucketEncryptionCommand).resolves({});
    s3.on(GetPublicAccessBlockCommand).resolves({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: false },
    });
    s3.on(GetBucketPolicyCommand).resolves({ Policy: '{"Statement":[]}' });
    expect(await port().inspect('b')).toMatchObject({ versioning: 'Suspended', publicAccessBlocked: false, policyDeniesInsecureTransport: false });
  });

  it('a missing bucket is exists:false; other errors propagate', async () => {
    s3.on(HeadBucketCommand).rejects(awsError('NotFound', 404));
    expect(await port().inspect('gone')).toEqual({ exists: false });
    expect(s3.commandCalls(GetBucketVersioningCommand)).toHaveLength(0);
    s3.on(HeadBucketCommand).rejects(awsError('Forbidden', 403));
    await expect(port().inspect('theirs')).rejects.toMatchObject({ name: 'Forbidden' });
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketVersioningCommand).resolves({});
    s3.on(GetBucketEncryptionCommand).rejects(awsError('AccessDenied', 403));
    s3.on(GetPublicAccessBlockCommand).resolves({});
    s3.on(GetBucketPolicyCommand).resolves({});
    await expect(port().inspect('b')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('policyDeniesInsecureTransport reads the usual shapes', () => {
    const deny = (cond: unknown, effect = 'Deny') =>
      JSON.stringify({ Statement: { Effect: effect, Principal: '*', Action: 's3:*', Resource: '*', Condition: cond } });
    expect(policyDeniesInsecureTransport(deny({ Bool: { 'aws:SecureTransport': 'false' } }))).toBe(true);
    expect(policyDeniesInsecureTransport(deny({ Bool: { 'aws:securetransport': false } }))).toBe(true);
    expect(policyDeniesInsecureTransport(deny({ Bool: { 'aws:SecureTransport': ['false'] } }))).toBe(true);
    expect(policyDeniesInsecureTransport(deny({ Bool: { 'aws:SecureTransport': 'false' } }, 'Allow'))).toBe(false);
    expect(policyDeniesInsecureTransport(deny({ Bool: { 'aws:SecureTransport': 'true' } }))).toBe(false);
    expect(policyDeniesInsecureTransport(deny({ NumericLessThan: { 's3:TlsVersion': '1.2' } }))).toBe(false);
    expect(policyDeniesInsecureTransport('not json')).toBe(false);
    expect(policyDeniesInsecureTransport(undefined)).toBe(false);
  });
});

describe('emptyAndDelete', () => {
  it('deletes every version and delete marker across pages, then the bucket', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'k2',
        NextVersionIdMarker: 'v2',
        Versions: [
          { Key: 'k1', VersionId: 'v1' },
          { Key: 'k2', VersionId: 'v2' },
        ],
        DeleteMarkers: [{ Key: 'k1', VersionId: 'dm1' }],
      })
      .resolvesOnce({ IsTruncated: false, Versions: [{ Key: 'k3', VersionId: 'null' }] });
    s3.on(DeleteObjectsCommand).resolves({});
    s3.on(DeleteBucketCommand).resolves({});
    await port().emptyAndDelete('b');
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'b', KeyMarker: undefined, VersionIdMarker: undefined },
      { Bucket: 'b', KeyMarker: 'k2', VersionIdMarker: 'v2' },
    ]);
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'b',
        Delete: {
          Quiet: true,
          Objects: [
            { Key: 'k1', VersionId: 'v1' },
            { Key: 'k2', VersionId: 'v2' },
            { Key: 'k1', VersionId: 'dm1' },
          ],
        },
      },
      { Bucket: 'b', Delete: { Quiet: true, Objects: [{ Key: 'k3', VersionId: 'null' }] } },
    ]);
    expect(s3.commandCalls(DeleteBucketCommand)[0]!.args[0].input).toEqual({ Bucket: 'b' });
  });

  it('an empty bucket is just deleted; a missing bucket is done; per-object errors fail', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    s3.on(DeleteBucketCommand).resolves({});
    await port().emptyAndDelete('b');
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteBucketCommand)).toHaveLength(1);

    s3.reset();
    s3.on(ListObjectVersionsCommand).rejects(awsError('NoSuchBucket', 404));
    await expect(port().emptyAndDelete('gone')).resolves.toBeUndefined();

    s3.reset();
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'locked', VersionId: 'v' }] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'locked', VersionId: 'v', Code: 'AccessDenied', Message: 'Access Denied' }] });
    await expect(port().emptyAndDelete('b')).rejects.toThrow(/could not delete 1 object version.*locked.*AccessDenied/);
    expect(s3.commandCalls(DeleteBucketCommand)).toHaveLength(0);
  });
});
