import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DynamoLeaseStore } from '../../src/aws/sdk-state.js';
import { SdkIdentity } from '../../src/aws/sdk-identity.js';
import type { Lease } from '../../src/aws/ports.js';
import { awsError, cfg } from './helpers.js';

const ddb = mockClient(DynamoDBClient);
const sts = mockClient(STSClient);
const store = () => new DynamoLeaseStore(new DynamoDBClient(cfg), 'locks', 'dev');

const lease = (token: string, expiresAt = '2026-01-01T00:02:00.000Z'): Lease => ({
  env: 'dev',
  token,
  identity: 'arn:aws:iam::1:user/a',
  host: 'h',
  pid: 1,
  command: 'deploy',
  since: '2026-01-01T00:00:00.000Z',
  expiresAt,
});
const item = (l: Lease) => ({
  lockId: { S: l.env },
  token: { S: l.token },
  identity: { S: l.identity },
  host: { S: l.host },
  pid: { N: String(l.pid) },
  command: { S: l.command },
  since: { S: l.since },
  expiresAt: { S: l.expiresAt },
});
const refused = (holder?: Lease) => Object.assign(awsError('ConditionalCheckFailedException'), holder ? { Item: item(holder) } : {});

beforeEach(() => {
  ddb.reset();
  sts.reset();
});

describe('DynamoDB lease store: fewer calls (issue 14)', () => {
  it('GIVEN a held lease WHEN acquiring is refused THEN the holder comes with the refusal (ALL_OLD), with no GetItem', async () => {
    ddb.on(PutItemCommand).rejects(refused(lease('theirs')));
    const r = await store().tryAcquire(lease('mine'), new Date('2026-01-01T00:01:00Z'), () => false);
    expect(r).toMatchObject({ ok: false, holder: { token: 'theirs' } });
    expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input).toMatchObject({ ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('GIVEN an endpoint that does not return the old item WHEN refused THEN the holder is read once, consistently', async () => {
    ddb.on(PutItemCommand).rejects(refused());
    ddb.on(GetItemCommand).resolves({ Item: item(lease('theirs')) });
    const r = await store().tryAcquire(lease('mine'), new Date('2026-01-01T00:01:00Z'), () => false);
    expect(r).toMatchObject({ ok: false, holder: { token: 'theirs' } });
    expect(ddb.commandCalls(GetItemCommand).map((c) => c.args[0].input.ConsistentRead)).toEqual([true]);
  });

  it('GIVEN a stale holder WHEN taken over THEN the second write is conditioned on exactly that token', async () => {
    ddb
      .on(PutItemCommand)
      .rejectsOnce(refused(lease('stale', '2025-01-01T00:00:00.000Z')))
      .resolves({});
    const r = await store().tryAcquire(lease('mine'), new Date('2026-01-01T00:01:00Z'), () => true);
    expect(r).toEqual({ ok: true });
    expect(ddb.commandCalls(PutItemCommand)[1]!.args[0].input).toMatchObject({
      ConditionExpression: '#t = :old',
      ExpressionAttributeValues: { ':old': { S: 'stale' } },
    });
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('GIVEN a held lease WHEN renewed THEN one conditional UpdateItem, no read', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    expect(await store().renew(lease('mine'))).toBe(true);
    expect(ddb.calls()).toHaveLength(1);
  });
});

describe('STS identity', () => {
  it('GIVEN one client WHEN asked twice THEN GetCallerIdentity is called once; a failure is not kept', async () => {
    sts.on(GetCallerIdentityCommand).rejectsOnce(awsError('ExpiredToken')).resolves({ Account: '1', Arn: 'arn:a', UserId: 'u' });
    const id = new SdkIdentity(new STSClient(cfg));
    await expect(id.whoami()).rejects.toMatchObject({ name: 'ExpiredToken' });
    expect(await id.whoami()).toEqual({ account: '1', arn: 'arn:a', userId: 'u' });
    expect(await id.whoami()).toEqual({ account: '1', arn: 'arn:a', userId: 'u' });
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(2);
  });
});
