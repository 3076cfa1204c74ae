/**
 * BucketInspectPort over the AWS SDK v3 S3 client. Only translation happens here.
 * inspect: HeadBucket, then versioning, default encryption, public access block and bucket
 * policy; a setting that is not configured reads as undefined/false, never as an error.
 */
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
  type ObjectIdentifier,
} from '@aws-sdk/client-s3';
import { AWS_ITSELF, type Endpoint } from './endpoint.js';
import { s3ClientConfig } from './clients.js';
import type { BucketInspectPort, BucketSecurity } from './ops-ports.js';
import { httpStatus, isError } from './sdk-common.js';

function isNoBucket(err: unknown): boolean {
  // HeadBucket has no body: a missing bucket is a bare 404 ("NotFound").
  return isError(err, 'NotFound', 'NoSuchBucket') || httpStatus(err) === 404;
}

type Statement = { Effect?: string; Condition?: Record<string, Record<string, unknown>> };

/** True when some statement denies requests whose aws:SecureTransport is false. */
export function policyDeniesInsecureTransport(policy: string | undefined): boolean {
  if (!policy) return false;
  let doc: { Statement?: Statement | Statement[] };
  try {
    doc = JSON.parse(policy) as typeof doc;
  } catch {
    return false;
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  return statements.some((s) => {
    if (s.Effect !== 'Deny' || !s.Condition) return false;
    return Object.entries(s.Condition).some(([op, cond]) => {
      if (!/^Bool(IfExists)?$/i.test(op) || !cond) return false;
      return Object.entries(cond).some(([key, v]) => {
        if (key.toLowerCase() !== 'aws:securetransport') return false;
        const values = Array.isArray(v) ? v : [v];
        return values.some((x) => String(x).toLowerCase() === 'false');
      });
    });
  });
}

export class SdkBuckets implements BucketInspectPort {
  constructor(private readonly client: S3Client) {}

  /** Runs a sub-call; its "not configured" error (one of `names`) gives undefined. */
  private async optional<T>(call: () => Promise<T>, ...names: string[]): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      if (isError(err, ...names)) return undefined;
      throw err;
    }
  }

  async inspect(bucket: string): Promise<BucketSecurity> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (isNoBucket(err)) return { exists: false };
      throw err;
    }
    const c = this.client;
    const [versioning, encryption, pab, policy] = await Promise.all([
      c.send(new GetBucketVersioningCommand({ Bucket: bucket })),
      this.optional(() => c.send(new GetBucketEncryptionCommand({ Bucket: bucket })), 'ServerSideEncryptionConfigurationNotFoundError'),
      this.optional(() => c.send(new GetPublicAccessBlockCommand({ Bucket: bucket })), 'NoSuchPublicAccessBlockConfiguration'),
      this.optional(() => c.send(new GetBucketPolicyCommand({ Bucket: bucket })), 'NoSuchBucketPolicy'),
    ]);
    const block = pab?.PublicAccessBlockConfiguration;
    return {
      exists: true,
      versioning: versioning.Status,
      encryption: encryption?.ServerSideEncryptionConfiguration?.Rules?.find((r) => r.ApplyServerSideEncryptionByDefault)?.ApplyServerSideEncryptionByDefault
        ?.SSEAlgorithm,
      publicAccessBlocked: Boolean(block?.BlockPublicAcls && block.IgnorePublicAcls && block.BlockPublicPolicy && block.RestrictPublicBuckets),
      policyDeniesInsecureTransport: policyDeniesInsecureTransport(policy?.Policy),
    };
  }

  /** Deletes every object version and delete marker, then the bucket; a missing bucket counts as done. */
  async emptyAndDelete(bucket: string): Promise<void> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    try {
      for (;;) {
        const r = await this.client.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
        const ids: ObjectIdentifier[] = [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])]
          .filter((v) => v.Key)
          .map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
        for (let i = 0; i < ids.length; i += 1000) {
          const d = await this.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: ids.slice(i, i + 1000), Quiet: true } }));
          if (d.Errors?.length) {
            const e = d.Errors[0]!;
            throw new Error(
              `could not delete ${d.Errors.length} object version(s) from ${bucket}, e.g. ${e.Key} (${e.VersionId}): ${e.Code} ${e.Message ?? ''}`.trim(),
            );
          }
        }
        if (!r.IsTruncated) break;
        keyMarker = r.NextKeyMarker;
        versionMarker = r.NextVersionIdMarker;
      }
      await this.client.send(new DeleteBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (isError(err, 'NoSuchBucket')) return;
      throw err;
    }
  }
}

export function createBucketInspectPort(cfg: Record<string, unknown>, endpoint: Endpoint = AWS_ITSELF): BucketInspectPort {
  return new SdkBuckets(new S3Client(s3ClientConfig(cfg, endpoint)));
}
