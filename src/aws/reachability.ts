/**
 * VPC Reachability Analyzer, for the go-live connectivity check: the calls dpf makes, in its own
 * types. Paths and analyses dpf creates carry its tags so an interrupted run's leftovers are
 * found and deleted. Adapter: sdk-reachability.ts.
 */

export interface PathSpec {
  /** An instance, ENI, internet gateway or VPC endpoint id. */
  source: string;
  destination: string;
  protocol: 'tcp' | 'udp';
  port: number;
  /** Required when the source is an internet gateway: the address traffic comes from. */
  sourceIp?: string;
  tags: Record<string, string>;
}

export interface AnalysisResult {
  status: 'running' | 'succeeded' | 'failed';
  /** Only when succeeded: whether a path exists. */
  pathFound?: boolean;
  statusMessage?: string;
  /** Why no path was found: explanation codes with the component they name. */
  explanations: string[];
}

export interface NetworkInterfaceInfo {
  id: string;
  subnetId?: string;
  availabilityZone?: string;
  privateIp?: string;
}

export interface ReachabilityPort {
  /** CreateNetworkInsightsPath; its id. */
  createPath(spec: PathSpec): Promise<string>;
  /** StartNetworkInsightsAnalysis; its id. */
  startAnalysis(pathId: string, tags: Record<string, string>): Promise<string>;
  describeAnalysis(analysisId: string): Promise<AnalysisResult>;
  /** Paths carrying all of these tags (leftovers of an interrupted run). */
  findPaths(tags: Record<string, string>): Promise<string[]>;
  /** Analyses of a path (they must go before the path). */
  analysesOf(pathId: string): Promise<string[]>;
  deleteAnalysis(analysisId: string): Promise<void>;
  deletePath(pathId: string): Promise<void>;
  /** DescribeNetworkInterfaces with EC2 filters (an EFS mount target by its address, the RDS instance by its group). */
  findNetworkInterfaces(filters: Record<string, string[]>): Promise<NetworkInterfaceInfo[]>;
  /** The internet gateway attached to a VPC, if any. */
  internetGateway(vpcId: string): Promise<string | undefined>;
  /** The VPC endpoint of a service in a VPC (e.g. the S3 gateway endpoint), if any. */
  vpcEndpoint(vpcId: string, serviceName: string): Promise<string | undefined>;
}
