/** The CloudFormation adapter's two ways of making a stack send the same definition (src/aws/sdk-cloudformation.ts). */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, CreateChangeSetCommand, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { SdkCloudFormation } from '../../src/aws/sdk-cloudformation.js';
import { cfg } from './helpers.js';

const cf = mockClient(CloudFormationClient);
beforeEach(() => cf.reset());
const port = () => new SdkCloudFormation(new CloudFormationClient(cfg));
const definition = {
  stackName: 'dp-dev-network',
  templateUrl: 'https://s3.amazonaws.com/b/network.json',
  parameters: [{ key: 'VpcCidr', value: '10.0.0.0/16' }],
  tags: [{ key: 'dpf:env', value: 'dev' }],
  capabilities: ['CAPABILITY_IAM'],
};
const sent = {
  StackName: 'dp-dev-network',
  TemplateURL: 'https://s3.amazonaws.com/b/network.json',
  Parameters: [{ ParameterKey: 'VpcCidr', ParameterValue: '10.0.0.0/16' }],
  Tags: [{ Key: 'dpf:env', Value: 'dev' }],
  Capabilities: ['CAPABILITY_IAM'],
};

describe('SdkCloudFormation: making a stack', () => {
  it('GIVEN createStack THEN CreateStack carries the definition and the ClientRequestToken, and the stack id is returned', async () => {
    cf.on(CreateStackCommand).resolves({ StackId: 'arn:aws:cloudformation:eu-west-1:1:stack/dp-dev-network/x' });
    expect(await port().createStack({ ...definition, clientRequestToken: 'dpf-t-create' })).toEqual({
      stackId: 'arn:aws:cloudformation:eu-west-1:1:stack/dp-dev-network/x',
    });
    expect(cf.commandCalls(CreateStackCommand)[0]!.args[0].input).toEqual({ ...sent, ClientRequestToken: 'dpf-t-create' });
  });

  it('GIVEN createChangeSet THEN CreateChangeSet carries the same definition, its name, type, description and ClientToken', async () => {
    cf.on(CreateChangeSetCommand).resolves({ Id: 'cs-id', StackId: 'stack-id' });
    const r = await port().createChangeSet({
      ...definition,
      changeSetName: 'dpf-r1-network',
      changeSetType: 'CREATE',
      description: 'dpf network.stack',
      clientToken: 't',
    });
    expect(r).toEqual({ changeSetId: 'cs-id', stackId: 'stack-id' });
    expect(cf.commandCalls(CreateChangeSetCommand)[0]!.args[0].input).toEqual({
      ...sent,
      ChangeSetName: 'dpf-r1-network',
      ChangeSetType: 'CREATE',
      Description: 'dpf network.stack',
      ClientToken: 't',
    });
  });
});
