/**
 * FakeReachability: VPC Reachability Analyzer in memory, behind ReachabilityPort.
 *
 * Spec (what the fake does, and how it matches AWS):
 * - createPath stores {source, destination, protocol, port, sourceIp, tags} under a new
 *   nip-N id; startAnalysis stores a nia-N analysis of that path (AWS refuses an unknown path
 *   id: InvalidNetworkInsightsPathId.NotFound; so does the fake).
 * - An analysis answers "running" for `pollsUntilDone` describes (default 1), then
 *   "succeeded": NetworkPathFound false when a `blocked` rule matches the path (source,
 *   destination, port — an omitted field matches anything), with that rule's explanation;
 *   true otherwise. `failing` rules end the analysis "failed" with their message instead.
 * - deleteAnalysis/deletePath remove them (already gone counts as deleted, as in the adapter);
 *   AWS refuses to delete a path that still has analyses (DependencyViolation): so does the fake.
 * - findPaths filters by tags (all must match); analysesOf lists a path's analyses.
 * - findNetworkInterfaces filters `interfaces` by 'addresses.private-ip-address', 'group-id'
 *   and 'description'; internetGateway/vpcEndpoint read `internetGateways` / `endpoints`.
 * `created` and `deleted` record every path and analysis id for cleanup assertions.
 */
import type { AnalysisResult, NetworkInterfaceInfo, PathSpec, ReachabilityPort } from '../../src/aws/reachability.js';

export interface Rule {
  source?: string;
  destination?: string;
  port?: number;
  explanation: string;
}

export class FakeReachability implements ReachabilityPort {
  paths = new Map<string, PathSpec>();
  analyses = new Map<string, { pathId: string; polls: number; tags: Record<string, string> }>();
  blocked: Rule[] = [];
  failing: Rule[] = [];
  pollsUntilDone = 1;
  interfaces: Array<NetworkInterfaceInfo & { groupIds?: string[]; description?: string }> = [];
  internetGateways: Record<string, string> = {};
  endpoints: Array<{ vpcId: string; serviceName: string; id: string }> = [];
  readonly created: string[] = [];
  readonly deleted: string[] = [];
  #n = 0;

  async createPath(spec: PathSpec): Promise<string> {
    const id = `nip-${++this.#n}`;
    this.paths.set(id, spec);
    this.created.push(id);
    return id;
  }

  async startAnalysis(pathId: string, tags: Record<string, string>): Promise<string> {
    if (!this.paths.has(pathId)) throw Object.assign(new Error(`path ${pathId} not found`), { name: 'InvalidNetworkInsightsPathId.NotFound' });
    const id = `nia-${++this.#n}`;
    this.analyses.set(id, { pathId, polls: 0, tags });
    this.created.push(id);
    return id;
  }

  async describeAnalysis(analysisId: string): Promise<AnalysisResult> {
    const a = this.analyses.get(analysisId);
    if (!a) throw Object.assign(new Error(`analysis ${analysisId} not found`), { name: 'InvalidNetworkInsightsAnalysisId.NotFound' });
    a.polls += 1;
    if (a.polls <= this.pollsUntilDone) return { status: 'running', explanations: [] };
    const p = this.paths.get(a.pathId)!;
    const match = (r: Rule) =>
      (!r.source || r.source === p.source) && (!r.destination || r.destination === p.destination) && (r.port === undefined || r.port === p.port);
    const failed = this.failing.find(match);
    if (failed) return { status: 'failed', statusMessage: failed.explanation, explanations: [] };
    const block = this.blocked.find(match);
    return block ? { status: 'succeeded', pathFound: false, explanations: [block.explanation] } : { status: 'succeeded', pathFound: true, explanations: [] };
  }

  async findPaths(tags: Record<string, string>): Promise<string[]> {
    return [...this.paths].filter(([, p]) => Object.entries(tags).every(([k, v]) => p.tags[k] === v)).map(([id]) => id);
  }

  async analysesOf(pathId: string): Promise<string[]> {
    return [...this.analyses].filter(([, a]) => a.pathId === pathId).map(([id]) => id);
  }

  async deleteAnalysis(id: string): Promise<void> {
    if (this.analyses.delete(id)) this.deleted.push(id);
  }

  async deletePath(id: string): Promise<void> {
    if ([...this.analyses.values()].some((a) => a.pathId === id)) throw Object.assign(new Error(`path ${id} has analyses`), { name: 'DependencyViolation' });
    if (this.paths.delete(id)) this.deleted.push(id);
  }

  async findNetworkInterfaces(filters: Record<string, string[]>): Promise<NetworkInterfaceInfo[]> {
    return this.interfaces
      .filter(
        (n) =>
          (!filters['addresses.private-ip-address'] || filters['addresses.private-ip-address'].includes(n.privateIp ?? '')) &&
          (!filters['group-id'] || (n.groupIds ?? []).some((g) => filters['group-id']!.includes(g))) &&
          (!filters.description || filters.description.includes(n.description ?? '')),
      )
      .map(({ id, subnetId, availabilityZone, privateIp }) => ({ id, subnetId, availabilityZone, privateIp }));
  }

  async internetGateway(vpcId: string): Promise<string | undefined> {
    return this.internetGateways[vpcId];
  }

  async vpcEndpoint(vpcId: string, serviceName: string): Promise<string | undefined> {
    return this.endpoints.find((e) => e.vpcId === vpcId && e.serviceName === serviceName)?.id;
  }
}
