/**
 * An encrypted snapshot copied across regions needs a PreSignedUrl signed for the SOURCE region.
 * The SDK's RDS middleware makes it when the source is an ARN of another region; this checks
 * what leaves the process through a capturing request handler (no mock of the client).
 */
import { describe, expect, it } from 'vitest';
import { RDSClient } from '@aws-sdk/client-rds';
import { SdkRds } from '../../src/aws/sdk-rds.js';

function capturingClient(region: string, sent: string[]): RDSClient {
  return new RDSClient({
    region,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (req: { body?: unknown }) => {
        sent.push(decodeURIComponent(String(req.body)));
        throw Object.assign(new Error('captured'), { name: 'Captured' });
      },
    } as never,
  });
}

describe('RDS adapter: cross-region copySnapshot', () => {
  it('GIVEN a source ARN in us-west-2 and a us-east-1 client THEN the request carries a PreSignedUrl for us-west-2 and the destination key', async () => {
    const sent: string[] = [];
    await expect(
      new SdkRds(capturingClient('us-east-1', sent)).copySnapshot('arn:aws:rds:us-west-2:123456789012:snapshot:s1', 's1-dr', {
        kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/dr',
        tags: {},
      }),
    ).rejects.toMatchObject({ name: 'Captured' });
    const body = sent[0] ?? '';
    expect(body).toContain('Action=CopyDBSnapshot');
    expect(body).toContain('TargetDBSnapshotIdentifier=s1-dr');
    expect(body).toContain('KmsKeyId=arn:aws:kms:us-east-1:123456789012:key/dr');
    expect(body).toMatch(/PreSignedUrl=https:\/\/rds\.us-west-2\.amazonaws\.com/);
    expect(body).toMatch(/DestinationRegion=us-east-1/);
  });

  it('GIVEN a source in the same region THEN no PreSignedUrl', async () => {
    const sent: string[] = [];
    await expect(
      new SdkRds(capturingClient('us-west-2', sent)).copySnapshot('arn:aws:rds:us-west-2:123456789012:snapshot:s1', 's1-copy', { tags: {} }),
    ).rejects.toMatchObject({ name: 'Captured' });
    expect(sent[0]).not.toContain('PreSignedUrl');
  });
});
