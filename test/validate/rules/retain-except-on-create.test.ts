import { describe, expect, it } from 'vitest';
import { retainExceptOnCreate } from '../../../src/validate/rules/retain-except-on-create.js';
import { input, stack } from '../helpers.js';

const bucket = (extra: string) => `
Resources:
  Lake:
    Type: AWS::S3::Bucket
${extra}
`;

describe('rule retain-except-on-create', () => {
  it.each([
    [
      'a named bucket with Retain (the retry after a failed first create hits AlreadyExists)',
      bucket('    DeletionPolicy: Retain\n    Properties: { BucketName: acme-dev-lake }'),
      1,
    ],
    ['a named bucket with RetainExceptOnCreate', bucket('    DeletionPolicy: RetainExceptOnCreate\n    Properties: { BucketName: acme-dev-lake }'), 0],
    [
      'a named bucket with Retain and a reason in Metadata.dpf.retainReason',
      bucket('    DeletionPolicy: Retain\n    Metadata: { dpf: { retainReason: shared with another stack } }\n    Properties: { BucketName: acme-dev-lake }'),
      0,
    ],
    ['an unnamed bucket with Retain (CloudFormation generates a new name on retry)', bucket('    DeletionPolicy: Retain\n    Properties: {}'), 0],
  ])('GIVEN %s WHEN checked THEN %i finding(s)', (_what, yaml, count) => {
    expect(retainExceptOnCreate.check(input([stack('storage', yaml)]))).toHaveLength(count);
  });
});
