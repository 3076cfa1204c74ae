/** ReachabilityPort over the AWS SDK v3 (EC2 Network Insights). Translation only. */
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
import type { AnalysisResult, NetworkInterfaceInfo, PathSpec, ReachabilityPort } from './reachability.js';
import { isError, tagList, toFilters } from './sdk-common.js';
import { AWS_ITSELF, offered, type Endpoint } from './endpoint.js';

const GONE = /^InvalidNetworkInsights(Path|Analysis)Id\.NotFound$/;

export class SdkReachability implements ReachabilityPort {
  constructor(
    private readonly ec2: EC2Client,
    private readonly endpoint: Endpoint = AWS_ITSELF,
  ) {}

  private offered<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return offered(operation, this.endpoint, call);
  }

  createPath(s: PathSpec): Promise<string> {
    return this.offered('EC2 CreateNetworkInsightsPath', async () => {
      const r = await this.ec2.send(
        new CreateNetworkInsightsPathCommand({
          Source: s.source,
          Destination: s.destination,
          Protocol: s.protocol,
          DestinationPort: s.port,
          ...(s.sourceIp ? { SourceIp: s.sourceIp } : {}),
          TagSpecifications: [{ ResourceType: 'network-insights-path', Tags: tagList(s.tags) }],
        }),
      );
      return r.NetworkInsightsPath?.NetworkInsightsPathId ?? '';
    });
  }

  startAnalysis(pathId: string, tags: Record<string, string>): Promise<string> {
    return this.offered('EC2 StartNetworkInsightsAnalysis', async () => {
      const r = await this.ec2.send(
        new StartNetworkInsightsAnalysisCommand({
          NetworkInsightsPathId: pathId,
          TagSpecifications: [{ ResourceType: 'network-insights-analysis', Tags: tagList(tags) }],
        }),
      );
      return r.NetworkInsightsAnalysis?.NetworkInsightsAnalysisId ?? '';
    });
  }

  describeAnalysis(analysisId: string): Promise<AnalysisResult> {
    return this.offered('EC2 DescribeNetworkInsightsAnalyses', async () => {
      const a = (await this.ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [analysisId] }))).NetworkInsightsAnalyses?.[0];
      const status = a?.Status === 'succeeded' ? 'succeeded' : a?.Status === 'failed' ? 'failed' : 'running';
      const explanations = (a?.Explanations ?? []).map((e) => {
        const where = e.Component?.Id ?? e.SecurityGroup?.Id ?? e.Acl?.Id ?? e.RouteTable?.Id ?? e.Subnet?.Id ?? e.Vpc?.Id ?? '';
        return `${e.ExplanationCode ?? 'UNKNOWN'}${where ? ` (${where})` : ''}`;
      });
      return { status, pathFound: a?.NetworkPathFound, statusMessage: a?.StatusMessage, explanations };
    });
  }

  findPaths(tags: Record<string, string>): Promise<string[]> {
    return this.offered('EC2 DescribeNetworkInsightsPaths', async () => {
      const out: string[] = [];
      let NextToken: string | undefined;
      do {
        const r = await this.ec2.send(
          new DescribeNetworkInsightsPathsCommand({
            Filters: toFilters(Object.fromEntries(Object.entries(tags).map(([k, v]) => [`tag:${k}`, [v]]))),
            NextToken,
          }),
        );
        out.push(...(r.NetworkInsightsPaths ?? []).map((p) => p.NetworkInsightsPathId ?? '').filter(Boolean));
        NextToken = r.NextToken;
      } while (NextToken);
      return out;
    });
  }

  analysesOf(pathId: string): Promise<string[]> {
    return this.offered('EC2 DescribeNetworkInsightsAnalyses', async () => {
      const r = await this.ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsPathId: pathId }));
      return (r.NetworkInsightsAnalyses ?? []).map((a) => a.NetworkInsightsAnalysisId ?? '').filter(Boolean);
    });
  }

  async deleteAnalysis(analysisId: string): Promise<void> {
    await this.offered('EC2 DeleteNetworkInsightsAnalysis', async () => {
      try {
        await this.ec2.send(new DeleteNetworkInsightsAnalysisCommand({ NetworkInsightsAnalysisId: analysisId }));
      } catch (err) {
        if (!isError(err, GONE)) throw err;
      }
    });
  }

  async deletePath(pathId: string): Promise<void> {
    await this.offered('EC2 DeleteNetworkInsightsPath', async () => {
      try {
        await this.ec2.send(new DeleteNetworkInsightsPathCommand({ NetworkInsightsPathId: pathId }));
      } catch (err) {
        if (!isError(err, GONE)) throw err;
      }
    });
  }

  findNetworkInterfaces(filters: Record<string, string[]>): Promise<NetworkInterfaceInfo[]> {
    return this.offered('EC2 DescribeNetworkInterfaces', async () => {
      const r = await this.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: toFilters(filters) }));
      return (r.NetworkInterfaces ?? []).map((n) => ({
        id: n.NetworkInterfaceId ?? '',
        subnetId: n.SubnetId,
        availabilityZone: n.AvailabilityZone,
        privateIp: n.PrivateIpAddress,
      }));
    });
  }

  internetGateway(vpcId: string): Promise<string | undefined> {
    return this.offered(
      'EC2 DescribeInternetGateways',
      async () =>
        (await this.ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }))).InternetGateways?.[0]
          ?.InternetGatewayId,
    );
  }

  vpcEndpoint(vpcId: string, serviceName: string): Promise<string | undefined> {
    return this.offered(
      'EC2 DescribeVpcEndpoints',
      async () =>
        (
          await this.ec2.send(
            new DescribeVpcEndpointsCommand({
              Filters: [
                { Name: 'vpc-id', Values: [vpcId] },
                { Name: 'service-name', Values: [serviceName] },
              ],
            }),
          )
        ).VpcEndpoints?.[0]?.VpcEndpointId,
    );
  }
}

export function createReachabilityPort(cfg: Record<string, unknown>, endpoint: Endpoint = AWS_ITSELF): ReachabilityPort {
  return new SdkReachability(new EC2Client(cfg), endpoint);
}
