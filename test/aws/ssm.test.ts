import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  SSMClient,
  SendCommandCommand,
  ListCommandsCommand,
  ListCommandInvocationsCommand,
  GetCommandInvocationCommand,
  DescribeInstanceInformationCommand,
  DescribeInstanceAssociationsStatusCommand,
  GetParameterCommand,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { createSsmPort, toTargets } from '../../src/aws/sdk-ssm.js';
import type { SendCommandInput } from '../../src/aws/ops-ports.js';
import { awsError, cfg, motoUnimplemented } from './helpers.js';

const ssm = mockClient(SSMClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  ssm.reset();
  ec2.reset();
});
const EMULATOR = { url: 'http://127.0.0.1:5000', services: {} };
/** The adapter against AWS itself, or against a custom endpoint (an emulator). */
const port = (endpoint = { services: {} }) => createSsmPort(cfg, endpoint);

const input: SendCommandInput = {
  documentName: 'AWS-ApplyAnsiblePlaybooks',
  parameters: { SourceType: ['S3'], PlaybookFile: ['site.yml'] },
  targets: { 'dpf:env': ['dev'], 'dpf:role': ['worker', 'edge'] },
  maxConcurrency: '50%',
  maxErrors: '0',
  timeoutSeconds: 3600,
  outputS3Bucket: 'dpf-dev-artifacts',
  outputS3KeyPrefix: 'ssm/run-1/',
  comment: 'dpf deploy dev',
};

describe('SSM adapter: sendCommand', () => {
  it('sends tag targets as tag:KEY, concurrency, error budget, timeout, S3 output and no CloudWatch output', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    expect(await port().sendCommand(input)).toBe('cmd-1');
    expect(ssm.commandCalls(SendCommandCommand)[0]!.args[0].input).toEqual({
      DocumentName: 'AWS-ApplyAnsiblePlaybooks',
      Parameters: { SourceType: ['S3'], PlaybookFile: ['site.yml'] },
      Targets: [
        { Key: 'tag:dpf:env', Values: ['dev'] },
        { Key: 'tag:dpf:role', Values: ['worker', 'edge'] },
      ],
      InstanceIds: undefined,
      MaxConcurrency: '50%',
      MaxErrors: '0',
      TimeoutSeconds: 3600,
      OutputS3BucketName: 'dpf-dev-artifacts',
      OutputS3KeyPrefix: 'ssm/run-1/',
      CloudWatchOutputConfig: { CloudWatchOutputEnabled: false },
      Comment: 'dpf deploy dev',
    });
  });

  it('sends instance ids without targets; no S3 output when no bucket', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-2' } });
    await port().sendCommand({ ...input, targets: undefined, instanceIds: ['i-1', 'i-2'], outputS3Bucket: undefined });
    expect(ssm.commandCalls(SendCommandCommand)[0]!.args[0].input).toMatchObject({
      Targets: undefined,
      InstanceIds: ['i-1', 'i-2'],
      OutputS3BucketName: undefined,
      OutputS3KeyPrefix: undefined,
    });
  });

  it('toTargets passes through tag:, tag-key, InstanceIds and resource-groups: keys', () => {
    expect(toTargets({ 'dpf:env': ['dev'], 'tag:Name': ['x'], 'tag-key': ['dpf:env'], InstanceIds: ['i-1'], 'resource-groups:Name': ['rg'] })).toEqual([
      { Key: 'tag:dpf:env', Values: ['dev'] },
      { Key: 'tag:Name', Values: ['x'] },
      { Key: 'tag-key', Values: ['dpf:env'] },
      { Key: 'InstanceIds', Values: ['i-1'] },
      { Key: 'resource-groups:Name', Values: ['rg'] },
    ]);
    expect(toTargets({})).toBeUndefined();
  });
});

describe('SSM adapter: results', () => {
  it('getCommand maps ListCommands', async () => {
    ssm.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'cmd-1', Status: 'InProgress', TargetCount: 3, CompletedCount: 1, ErrorCount: 0 }] });
    expect(await port().getCommand('cmd-1')).toEqual({ commandId: 'cmd-1', status: 'InProgress', targetCount: 3, completedCount: 1, errorCount: 0 });
    expect(ssm.commandCalls(ListCommandsCommand)[0]!.args[0].input).toEqual({ CommandId: 'cmd-1' });
  });

  it('listInvocations uses ListCommandInvocations with Details, pages, and maps plugin output', async () => {
    ssm
      .on(ListCommandInvocationsCommand)
      .resolvesOnce({
        NextToken: 'n',
        CommandInvocations: [
          {
            CommandId: 'cmd-1',
            InstanceId: 'i-1',
            Status: 'Failed',
            StatusDetails: 'Failed',
            CommandPlugins: [
              { Name: 'aws:downloadContent', ResponseCode: 0, Output: 'downloaded' },
              {
                Name: 'aws:runShellScript',
                ResponseCode: 2,
                Output: 'PLAY [all]\n----------ERROR-------\nfatal: boom',
                StandardOutputUrl: 'https://s3/out-i-1',
              },
            ],
          },
        ],
      })
      .resolvesOnce({
        CommandInvocations: [
          { CommandId: 'cmd-1', InstanceId: 'i-2', Status: 'TimedOut', StatusDetails: 'Delivery Timed Out', CommandPlugins: [{ Name: 'p', ResponseCode: -1 }] },
          { CommandId: 'cmd-1', InstanceId: 'i-3', Status: 'InProgress' },
        ],
      });
    const out = await port().listInvocations('cmd-1');
    expect(ssm.commandCalls(ListCommandInvocationsCommand).map((c) => c.args[0].input)).toEqual([
      { CommandId: 'cmd-1', Details: true, NextToken: undefined },
      { CommandId: 'cmd-1', Details: true, NextToken: 'n' },
    ]);
    expect(out).toEqual([
      {
        commandId: 'cmd-1',
        instanceId: 'i-1',
        status: 'Failed',
        responseCode: 2,
        stdout: 'downloaded\nPLAY [all]',
        stderr: 'fatal: boom',
        outputS3Url: 'https://s3/out-i-1',
      },
      { commandId: 'cmd-1', instanceId: 'i-2', status: 'DeliveryTimedOut', responseCode: undefined, stdout: '', stderr: '', outputS3Url: undefined },
      { commandId: 'cmd-1', instanceId: 'i-3', status: 'InProgress', responseCode: undefined, stdout: '', stderr: '', outputS3Url: undefined },
    ]);
  });

  it('on real AWS a 500 from ListCommandInvocations is an error, not a fallback', async () => {
    ssm.on(ListCommandInvocationsCommand).rejects(awsError('InternalServerError', 500));
    await expect(port().listInvocations('cmd-1')).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0);
  });

  it('emulator fallback: instance ids from ListCommands, then GetCommandInvocation each', async () => {
    ssm.on(ListCommandInvocationsCommand).rejects(motoUnimplemented());
    ssm
      .on(ListCommandsCommand)
      .resolves({ Commands: [{ CommandId: 'cmd-1', InstanceIds: ['i-1', 'i-9'], Targets: [{ Key: 'tag:dpf:env', Values: ['dev'] }] }] });
    ssm.on(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId: 'i-1' }).resolves({
      CommandId: 'cmd-1',
      InstanceId: 'i-1',
      Status: 'Success',
      ResponseCode: 0,
      StandardOutputContent: 'ok',
      StandardErrorContent: '',
      StandardOutputUrl: '',
    });
    ssm.on(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId: 'i-9' }).rejects(awsError('InvocationDoesNotExist'));
    expect(await port(EMULATOR).listInvocations('cmd-1')).toEqual([
      { commandId: 'cmd-1', instanceId: 'i-1', status: 'Success', responseCode: 0, stdout: 'ok', stderr: '', outputS3Url: undefined },
    ]);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
  });

  it('emulator fallback: no instance ids listed → EC2 DescribeInstances with the tag targets', async () => {
    ssm.on(ListCommandInvocationsCommand).rejects(motoUnimplemented());
    ssm.on(ListCommandsCommand).resolves({
      Commands: [
        {
          CommandId: 'cmd-1',
          InstanceIds: [],
          Targets: [
            { Key: 'tag:dpf:env', Values: ['dev'] },
            { Key: 'tag:dpf:role', Values: ['worker'] },
          ],
        },
      ],
    });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }] });
    ssm
      .on(GetCommandInvocationCommand)
      .callsFake((i: { InstanceId: string }) => ({ CommandId: 'cmd-1', InstanceId: i.InstanceId, Status: 'Success', ResponseCode: 0 }));
    const out = await port(EMULATOR).listInvocations('cmd-1');
    expect(out.map((r) => r.instanceId)).toEqual(['i-1', 'i-2']);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: 'tag:dpf:env', Values: ['dev'] },
      { Name: 'tag:dpf:role', Values: ['worker'] },
    ]);
  });

  it('getInvocation maps GetCommandInvocation (execution timeout refined, -1 → no code)', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({
      CommandId: 'cmd-1',
      InstanceId: 'i-1',
      Status: 'TimedOut',
      StatusDetails: 'Execution Timed Out',
      ResponseCode: -1,
      StandardOutputContent: 'partial',
      StandardErrorContent: 'killed',
      StandardOutputUrl: 'https://s3/o',
    });
    expect(await port().getInvocation('cmd-1', 'i-1')).toEqual({
      commandId: 'cmd-1',
      instanceId: 'i-1',
      status: 'ExecutionTimedOut',
      responseCode: undefined,
      stdout: 'partial',
      stderr: 'killed',
      outputS3Url: 'https://s3/o',
    });
    expect(ssm.commandCalls(GetCommandInvocationCommand)[0]!.args[0].input).toEqual({ CommandId: 'cmd-1', InstanceId: 'i-1' });
  });
});

describe('SSM adapter: instances and parameters', () => {
  it('describeInstanceInformation filters by ids, pages and maps', async () => {
    const ping = new Date('2025-03-01T12:00:00Z');
    ssm
      .on(DescribeInstanceInformationCommand)
      .resolvesOnce({
        InstanceInformationList: [
          { InstanceId: 'i-1', PingStatus: 'Online', PlatformName: 'Amazon Linux', PlatformType: 'Linux', AgentVersion: '3.3', LastPingDateTime: ping },
        ],
        NextToken: 'n',
      })
      .resolvesOnce({ InstanceInformationList: [{ InstanceId: 'i-2', PingStatus: 'ConnectionLost' }] });
    expect(await port().describeInstanceInformation(['i-1', 'i-2'])).toEqual([
      { instanceId: 'i-1', pingStatus: 'Online', platform: 'Amazon Linux', agentVersion: '3.3', lastPing: ping },
      { instanceId: 'i-2', pingStatus: 'ConnectionLost', platform: undefined, agentVersion: undefined, lastPing: undefined },
    ]);
    expect(ssm.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Key: 'InstanceIds', Values: ['i-1', 'i-2'] }], NextToken: undefined },
      { Filters: [{ Key: 'InstanceIds', Values: ['i-1', 'i-2'] }], NextToken: 'n' },
    ]);
  });

  it('describeInstanceInformation against an emulator that lacks it throws NotImplementedByEndpoint', async () => {
    ssm.on(DescribeInstanceInformationCommand).rejects(motoUnimplemented());
    await expect(port(EMULATOR).describeInstanceInformation()).rejects.toMatchObject({ name: 'NotImplementedByEndpoint' });
  });

  it('describeInstanceAssociationsStatus pages and maps each association run', async () => {
    const at = new Date('2025-03-01T12:00:00Z');
    ssm
      .on(DescribeInstanceAssociationsStatusCommand)
      .resolvesOnce({
        InstanceAssociationStatusInfos: [
          {
            AssociationId: 'a-1',
            AssociationName: 'dp-dev-worker-launch',
            Name: 'dpf-dp-dev-ApplyAnsiblePlaybooks',
            Status: 'Success',
            DetailedStatus: 'Success',
            ExecutionDate: at,
            ExecutionSummary: '1 out of 1 plugin processed',
          },
        ],
        NextToken: 'n',
      })
      .resolvesOnce({ InstanceAssociationStatusInfos: [{ AssociationId: 'a-2', Name: 'AWS-GatherSoftwareInventory', Status: 'Pending' }] });
    expect(await port().describeInstanceAssociationsStatus('i-1')).toEqual([
      {
        associationId: 'a-1',
        associationName: 'dp-dev-worker-launch',
        documentName: 'dpf-dp-dev-ApplyAnsiblePlaybooks',
        status: 'Success',
        detailedStatus: 'Success',
        executionDate: at,
        executionSummary: '1 out of 1 plugin processed',
      },
      {
        associationId: 'a-2',
        associationName: undefined,
        documentName: 'AWS-GatherSoftwareInventory',
        status: 'Pending',
        detailedStatus: undefined,
        executionDate: undefined,
        executionSummary: undefined,
      },
    ]);
    expect(ssm.commandCalls(DescribeInstanceAssociationsStatusCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceId: 'i-1', NextToken: undefined },
      { InstanceId: 'i-1', NextToken: 'n' },
    ]);
  });

  it('describeInstanceAssociationsStatus against an emulator that lacks it throws NotImplementedByEndpoint', async () => {
    ssm.on(DescribeInstanceAssociationsStatusCommand).rejects(motoUnimplemented());
    await expect(port(EMULATOR).describeInstanceAssociationsStatus('i-1')).rejects.toMatchObject({ name: 'NotImplementedByEndpoint' });
  });

  it('getParameter decrypts, missing → undefined; putParameter writes a String', async () => {
    ssm.on(GetParameterCommand, { Name: '/dpf/dev/x', WithDecryption: true }).resolves({ Parameter: { Value: 'v' } });
    ssm.on(GetParameterCommand, { Name: '/dpf/dev/none' }).rejects(awsError('ParameterNotFound'));
    expect(await port().getParameter('/dpf/dev/x')).toBe('v');
    expect(await port().getParameter('/dpf/dev/none')).toBeUndefined();
    ssm.on(PutParameterCommand).resolves({});
    await port().putParameter('/dpf/dev/x', 'w', true);
    expect(ssm.commandCalls(PutParameterCommand)[0]!.args[0].input).toEqual({ Name: '/dpf/dev/x', Value: 'w', Type: 'String', Overwrite: true });
  });

  it("GIVEN AWS's public AMI parameter WHEN one port is asked twice THEN it reads it once; dpf's own parameters are read every time, and a failed read is not kept", async () => {
    const ami = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
    ssm
      .on(GetParameterCommand, { Name: ami })
      .rejectsOnce(awsError('InternalFailure'))
      .resolves({ Parameter: { Value: 'ami-1' } });
    ssm.on(GetParameterCommand, { Name: '/dpf/dev/x' }).resolves({ Parameter: { Value: 'v' } });
    const p = port();
    await expect(p.getParameter(ami)).rejects.toBeDefined();
    expect(await p.getParameter(ami)).toBe('ami-1');
    expect(await p.getParameter(ami)).toBe('ami-1');
    await p.getParameter('/dpf/dev/x');
    await p.getParameter('/dpf/dev/x');
    const names = ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name);
    expect(names.filter((n) => n === ami)).toHaveLength(2);
    expect(names.filter((n) => n === '/dpf/dev/x')).toHaveLength(2);
  });
});
