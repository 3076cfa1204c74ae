import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  EC2Client,
  CreateNetworkInsightsPathCommand,
  StartNetworkInsightsAnalysisCommand,
  DescribeNetworkInsightsAnalysesCommand,
  DescribeNetworkInsightsPathsCommand,
  DeleteNetworkInsightsAnalysisCommand,
  DeleteNetworkInsightsPathCommand,
  DescribeNetworkInterfacesCommand,
  DescribeInternetGatewaysCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import { createReachabilityPort } from '../../src/aws/sdk-reachability.js';
import { NotImplementedByEndpointError } from '../../src/aws/endpoint.js';
import { awsError, cfg } from './helpers.js';

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());
const port = () => createReachabilityPort(cfg);
const TAGS = { 'dpf:env': 'dev', 'dpf:purpose': 'golive-reachability' };

describe('Reachability Analyzer adapter', () => {
  it('GIVEN a path spec THEN CreateNetworkInsightsPath gets source, destination, protocol, port, the source IP and the tags', async () => {
    ec2.on(CreateNetworkInsightsPathCommand).resolves({ NetworkInsightsPath: { NetworkInsightsPathId: 'nip-1' } });
    expect(await port().createPath({ source: 'igw-1', destination: 'i-1', protocol: 'tcp', port: 22, sourceIp: '203.0.113.1', tags: TAGS })).toBe('nip-1');
    expect(ec2.commandCalls(CreateNetworkInsightsPathCommand)[0]!.args[0].input).toEqual({
      Source: 'igw-1',
      Destination: 'i-1',
      Protocol: 'tcp',
      DestinationPort: 22,
      SourceIp: '203.0.113.1',
      TagSpecifications: [
        {
          ResourceType: 'network-insights-path',
          Tags: [
            { Key: 'dpf:env', Value: 'dev' },
            { Key: 'dpf:purpose', Value: 'golive-reachability' },
          ],
        },
      ],
    });
  });

  it('GIVEN an analysis THEN start returns its id and describe maps status, path found and explanations', async () => {
    ec2.on(StartNetworkInsightsAnalysisCommand).resolves({ NetworkInsightsAnalysis: { NetworkInsightsAnalysisId: 'nia-1' } });
    ec2
      .on(DescribeNetworkInsightsAnalysesCommand)
      .resolvesOnce({ NetworkInsightsAnalyses: [{ Status: 'running' }] })
      .resolvesOnce({
        NetworkInsightsAnalyses: [
          {
            Status: 'succeeded',
            NetworkPathFound: false,
            Explanations: [{ ExplanationCode: 'ENI_SG_RULES_MISMATCH', SecurityGroup: { Id: 'sg-1' } }, { ExplanationCode: 'NO_ROUTE' }],
          },
        ],
      })
      .resolvesOnce({ NetworkInsightsAnalyses: [{ Status: 'failed', StatusMessage: 'InternalError' }] });
    expect(await port().startAnalysis('nip-1', TAGS)).toBe('nia-1');
    expect(await port().describeAnalysis('nia-1')).toEqual({ status: 'running', pathFound: undefined, statusMessage: undefined, explanations: [] });
    expect(await port().describeAnalysis('nia-1')).toEqual({
      status: 'succeeded',
      pathFound: false,
      statusMessage: undefined,
      explanations: ['ENI_SG_RULES_MISMATCH (sg-1)', 'NO_ROUTE'],
    });
    expect(await port().describeAnalysis('nia-1')).toMatchObject({ status: 'failed', statusMessage: 'InternalError' });
  });

  it('GIVEN leftovers THEN paths are found by tag (following NextToken), analyses by path, and deletes tolerate what is already gone', async () => {
    ec2
      .on(DescribeNetworkInsightsPathsCommand)
      .resolvesOnce({ NextToken: 't', NetworkInsightsPaths: [{ NetworkInsightsPathId: 'nip-1' }] })
      .resolvesOnce({ NetworkInsightsPaths: [{ NetworkInsightsPathId: 'nip-2' }] });
    ec2.on(DescribeNetworkInsightsAnalysesCommand).resolves({ NetworkInsightsAnalyses: [{ NetworkInsightsAnalysisId: 'nia-1' }] });
    ec2.on(DeleteNetworkInsightsAnalysisCommand).rejects(awsError('InvalidNetworkInsightsAnalysisId.NotFound'));
    ec2.on(DeleteNetworkInsightsPathCommand).resolves({});
    expect(await port().findPaths(TAGS)).toEqual(['nip-1', 'nip-2']);
    expect(ec2.commandCalls(DescribeNetworkInsightsPathsCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: 'tag:dpf:env', Values: ['dev'] },
      { Name: 'tag:dpf:purpose', Values: ['golive-reachability'] },
    ]);
    expect(await port().analysesOf('nip-1')).toEqual(['nia-1']);
    await expect(port().deleteAnalysis('nia-1')).resolves.toBeUndefined();
    await expect(port().deletePath('nip-1')).resolves.toBeUndefined();
  });

  it('GIVEN a refusal that is not "already gone" THEN the delete fails', async () => {
    ec2.on(DeleteNetworkInsightsPathCommand).rejects(awsError('DependencyViolation'));
    await expect(port().deletePath('nip-1')).rejects.toThrow(/DependencyViolation/);
  });

  it('GIVEN the platform THEN interfaces, the internet gateway and the S3 endpoint are looked up by their filters', async () => {
    ec2
      .on(DescribeNetworkInterfacesCommand)
      .resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', SubnetId: 's', AvailabilityZone: 'eu-west-1a', PrivateIpAddress: '10.0.11.5' }] });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [{ InternetGatewayId: 'igw-1' }] });
    ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
    expect(await port().findNetworkInterfaces({ 'group-id': ['sg-db'], description: ['RDSNetworkInterface'] })).toEqual([
      { id: 'eni-1', subnetId: 's', availabilityZone: 'eu-west-1a', privateIp: '10.0.11.5' },
    ]);
    expect(await port().internetGateway('vpc-1')).toBe('igw-1');
    expect(ec2.commandCalls(DescribeInternetGatewaysCommand)[0]!.args[0].input.Filters).toEqual([{ Name: 'attachment.vpc-id', Values: ['vpc-1'] }]);
    expect(await port().vpcEndpoint('vpc-1', 'com.amazonaws.eu-west-1.s3')).toBeUndefined();
  });

  it('GIVEN an endpoint without the analyzer THEN NotImplementedByEndpointError names the call', async () => {
    ec2.on(DescribeNetworkInsightsPathsCommand).rejects(awsError('NotImplemented', 501));
    await expect(port().findPaths(TAGS)).rejects.toBeInstanceOf(NotImplementedByEndpointError);
  });
});
