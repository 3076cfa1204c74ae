import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, DescribeStacksCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { SdkCloudFormation } from '../../src/aws/sdk-cloudformation.js';
import { StackDirectory } from '../../src/steps/stack-directory.js';
import { awsError, cfg } from '../aws/helpers.js';

const cf = mockClient(CloudFormationClient);
const port = () => new SdkCloudFormation(new CloudFormationClient(cfg));
const summary = (name: string, status: string) => ({ StackName: name, StackId: `arn:${name}`, StackStatus: status, CreationTime: new Date(0) });

beforeEach(() => cf.reset());

describe('Verification of done stacks with one listing (issue 14)', () => {
  it('GIVEN one page of stacks WHEN four stacks are verified THEN one ListStacks (live statuses only) answers all, a missing one included', async () => {
    cf.on(ListStacksCommand).resolves({
      StackSummaries: [summary('a', 'CREATE_COMPLETE'), summary('b', 'UPDATE_ROLLBACK_COMPLETE'), summary('c', 'UPDATE_COMPLETE')],
    });
    const d = new StackDirectory(port());
    expect(await Promise.all(['a', 'b', 'c', 'gone'].map((n) => d.status(n)))).toEqual([
      'CREATE_COMPLETE',
      'UPDATE_ROLLBACK_COMPLETE',
      'UPDATE_COMPLETE',
      undefined,
    ]);
    expect(cf.calls()).toHaveLength(1);
    expect(cf.commandCalls(ListStacksCommand)[0]!.args[0].input.StackStatusFilter).not.toContain('DELETE_COMPLETE');
  });

  it('GIVEN more stacks than one page WHEN a stack is not on the first page THEN it alone is asked with DescribeStacks', async () => {
    cf.on(ListStacksCommand).resolves({ StackSummaries: [summary('a', 'CREATE_COMPLETE')], NextToken: 't' });
    cf.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'z', StackId: 'arn:z', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) }] });
    const d = new StackDirectory(port());
    expect(await d.status('a')).toBe('CREATE_COMPLETE');
    expect(await d.status('z')).toBe('UPDATE_COMPLETE');
    expect(cf.commandCalls(ListStacksCommand)).toHaveLength(1);
    expect(cf.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('GIVEN a policy without ListStacks WHEN verifying THEN each stack falls back to DescribeStacks', async () => {
    cf.on(ListStacksCommand).rejects(awsError('AccessDenied'));
    cf.on(DescribeStacksCommand).rejects(awsError('ValidationError', 400, 'Stack with id q does not exist'));
    const d = new StackDirectory(port());
    expect(await d.status('q')).toBeUndefined();
    expect(cf.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });
});
