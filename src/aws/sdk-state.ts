/** Adapters for S3 (ledger mirror, bundles, reports) and the DynamoDB lease table (STS: sdk-identity.ts). */
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, PutObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutItemCommand, GetItemCommand, DeleteItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ObjectStorePort } from './ports.js';
import type { AcquireResult, Lease, LeaseStore } from './ports.js';

function notFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export class SdkObjectStore implements ObjectStorePort {
  constructor(private readonly client: S3Client) {}
  async getText(bucket: string, key: string) {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await r.Body?.transformToString('utf8');
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }
  async putText(bucket: string, key: string, body: string, contentType = 'application/json') {
    const r = await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    return { versionId: r.VersionId };
  }
  async putBytes(bucket: string, key: string, body: Uint8Array, contentType = 'application/octet-stream') {
    const r = await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    return { versionId: r.VersionId };
  }
  async exists(bucket: string, key: string) {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      if (notFound(err)) return false;
      throw err;
    }
  }
  async listKeys(bucket: string, prefix: string) {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }
}

const S = (v: string): AttributeValue => ({ S: v });

function toItem(l: Lease): Record<string, AttributeValue> {
  return {
    lockId: S(l.env),
    token: S(l.token),
    identity: S(l.identity),
    host: S(l.host),
    pid: { N: String(l.pid) },
    command: S(l.command),
    since: S(l.since),
    expiresAt: S(l.expiresAt),
    // DynamoDB TTL (epoch seconds) cleans up leases nobody released, long after expiry.
    ttl: { N: String(Math.floor(new Date(l.expiresAt).getTime() / 1000) + 86400) },
  };
}

function fromItem(i: Record<string, AttributeValue> | undefined): Lease | undefined {
  if (!i) return undefined;
  return {
    env: i.lockId?.S ?? '',
    token: i.token?.S ?? '',
    identity: i.identity?.S ?? '?',
    host: i.host?.S ?? '?',
    pid: Number(i.pid?.N ?? 0),
    command: i.command?.S ?? '?',
    since: i.since?.S ?? '?',
    expiresAt: i.expiresAt?.S ?? new Date(0).toISOString(),
  };
}

/** The lease in the lock table (partition key `lockId` = environment), by conditional writes. */
export class DynamoLeaseStore implements LeaseStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly env: string,
  ) {}
  get where(): string {
    return `DynamoDB table ${this.table}`;
  }
  /** The lease, or undefined when there is none, also when the table does not exist (yet: before bootstrap). */
  async read(): Promise<Lease | undefined> {
    try {
      const r = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { lockId: S(this.env) }, ConsistentRead: true }));
      return fromItem(r.Item);
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  }
  /**
   * A refused conditional write names the item that refused it (ReturnValuesOnConditionCheckFailure
   * ALL_OLD): the holder comes with the refusal, not from a second read. An endpoint that does
   * not return it is asked with a consistent read.
   */
  private async put(lease: Lease, condition: string, values: Record<string, AttributeValue>): Promise<{ ok: true } | { ok: false; holder?: Lease }> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: toItem(lease),
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#t': 'token' },
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true };
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
      const item = (err as { Item?: Record<string, AttributeValue> }).Item;
      return { ok: false, holder: item ? fromItem(item) : await this.read() };
    }
  }
  async tryAcquire(lease: Lease, now: Date, canTakeOver: (holder: Lease) => boolean): Promise<AcquireResult> {
    const first = await this.put(lease, 'attribute_not_exists(lockId) OR #t = :mine', { ':mine': S(lease.token) });
    if (first.ok) return first;
    const holder = first.holder;
    if (!holder) return this.tryAcquire(lease, now, () => false);
    if (!canTakeOver(holder)) return { ok: false, holder };
    // Replace exactly the stale lease we looked at, nobody else's.
    const taken = await this.put(lease, '#t = :old', { ':old': S(holder.token) });
    return taken.ok ? taken : { ok: false, holder: taken.holder ?? holder };
  }
  async renew(lease: Lease): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { lockId: S(this.env) },
          UpdateExpression: 'SET expiresAt = :e, #ttl = :ttl',
          ConditionExpression: '#t = :mine',
          ExpressionAttributeNames: { '#t': 'token', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':e': S(lease.expiresAt),
            ':mine': S(lease.token),
            ':ttl': { N: String(Math.floor(new Date(lease.expiresAt).getTime() / 1000) + 86400) },
          },
        }),
      );
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
  async release(lease: Lease): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { lockId: S(this.env) },
          ConditionExpression: '#t = :mine',
          ExpressionAttributeNames: { '#t': 'token' },
          ExpressionAttributeValues: { ':mine': S(lease.token) },
        }),
      );
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
    }
  }
  async forceRelease(): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: { lockId: S(this.env) } }));
  }
}
