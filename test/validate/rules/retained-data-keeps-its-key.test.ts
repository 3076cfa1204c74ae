import { describe, expect, it } from 'vitest';
import { retainedDataKeepsItsKey } from '../../../src/validate/rules/retained-data-keeps-its-key.js';
import { input, stack } from '../helpers.js';

const tpl = (keyPolicy: string) => `
Resources:
  Key:
    Type: AWS::KMS::Key
${keyPolicy}
    Properties: { KeyPolicy: {} }
  State:
    Type: AWS::S3::Bucket
    DeletionPolicy: RetainExceptOnCreate
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: !GetAtt Key.Arn }
`;

describe('rule retained-data-keeps-its-key', () => {
  it.each([
    ['the state key deleted with the stack while the bucket is retained (cfn-lint I3011)', tpl(''), 1],
    ['a key with DeletionPolicy Delete', tpl('    DeletionPolicy: Delete'), 1],
    ['a key retained like the bucket', tpl('    DeletionPolicy: RetainExceptOnCreate'), 0],
  ])('GIVEN %s WHEN checked THEN %i finding(s)', (_what, yaml, count) => {
    expect(retainedDataKeepsItsKey.check(input([stack('bootstrap', yaml)]))).toHaveLength(count);
  });
});
