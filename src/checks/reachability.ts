/**
 * Go-live connectivity on AWS itself: every flow of the specification's Network Connectivity
 * Matrix (src/spec/connectivity.ts, SPEC_FLOWS) checked with VPC Reachability Analyzer between
 * the resources actually deployed — one path per source role, the flow's first port. Security
 * groups, NACLs and route tables are evaluated by AWS, not by dpf's model of them.
 *
 * Paths and analyses are tagged (dpf:env, dpf:purpose=golive-reachability) and deleted when the
 * check ends; leftovers of an interrupted run are deleted first. An endpoint without the
 * analyzer (the emulator) gives "unknown" with the reason — never a pass.
 */
import type { ReachabilityPort, AnalysisResult } from '../aws/reachability.js';
import type { OpsPorts } from '../aws/ops-ports.js';
import { NotImplementedByEndpointError } from '../aws/endpoint.js';
import { AbortError, errorMessage } from '../errors.js';
import { pollUntil } from '../wait.js';
import { SPEC_FLOWS, type Endpoint, type Flow } from '../spec/connectivity.js';
import type { CheckContext, CheckOutcome, CheckSpec } from './types.js';
import { awsErrorText, combine, unknown, type Part } from './common.js';

export const REACHABILITY_PURPOSE = 'golive-reachability';
/** How long the analyses may take in all (they usually finish within a minute or two). */
export const ANALYSIS_BUDGET_MS = 10 * 60_000;

export interface Resolved {
  /** Source/destination id per endpoint role; undefined with the reason when it cannot be found. */
  ids: Partial<Record<Endpoint, string>>;
  missing: Partial<Record<Endpoint, string>>;
  /** For the internet source: an address of the first admin CIDR. */
  adminIp?: string;
}

/** The first host address of a CIDR (203.0.113.0/24 → 203.0.113.1). */
export function firstAddress(cidr: string): string {
  const [ip, bits] = cidr.split('/');
  const n = ip!.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const host = Number(bits) >= 31 ? n : n + 1;
  return [24, 16, 8, 0].map((s) => Math.floor(host / 2 ** s) % 256).join('.');
}

/** Find the deployed resource of every role of the matrix. */
export async function resolveEndpoints(ctx: Pick<CheckContext, 'outputs' | 'env' | 'region'>, ops: OpsPorts, reach: ReachabilityPort): Promise<Resolved> {
  const r: Resolved = { ids: {}, missing: {} };
  const set = (e: Endpoint, id: string | undefined, why: string) => (id ? (r.ids[e] = id) : (r.missing[e] = why));
  const c = ctx.outputs('compute.stack');
  const n = ctx.outputs('network.stack');
  const s = ctx.outputs('storage.stack');
  const i = ctx.outputs('identity.stack');
  set('bastion', c.BastionInstanceId, 'the compute stack has no BastionInstanceId output');
  set('master', c.MasterInstanceId, 'the compute stack has no MasterInstanceId output');
  set('dev', c.DevInstanceId, 'the compute stack has no DevInstanceId output');
  const group = c.WorkerAutoScalingGroupName ? await ops.autoscaling.describeGroup(c.WorkerAutoScalingGroupName) : undefined;
  set('worker', group?.instances.find((x) => x.lifecycleState === 'InService')?.instanceId, 'no InService worker in the Auto Scaling group');
  if (ctx.env.identity.provider === 'freeipa') set('ipa', i.IpaServerInstanceId, 'the identity stack has no IpaServerInstanceId output');
  else r.missing.ipa = 'not applicable: identity.provider is iam (no FreeIPA servers)';
  if (s.EfsFileSystemId) {
    const mts = await ops.efs.describeMountTargets(s.EfsFileSystemId);
    const ip = mts.find((m) => m.ipAddress)?.ipAddress;
    const eni = ip ? (await reach.findNetworkInterfaces({ 'addresses.private-ip-address': [ip] }))[0]?.id : undefined;
    set('efs', eni, `no network interface found for the mount targets of ${s.EfsFileSystemId}`);
  } else r.missing.efs = 'the storage stack has no EfsFileSystemId output';
  if (n.DatabaseSecurityGroupId)
    set(
      'rds',
      (await reach.findNetworkInterfaces({ 'group-id': [n.DatabaseSecurityGroupId], description: ['RDSNetworkInterface'] }))[0]?.id,
      `no RDS network interface in group ${n.DatabaseSecurityGroupId}`,
    );
  else r.missing.rds = 'the network stack has no DatabaseSecurityGroupId output';
  if (n.VpcId) {
    set('s3', await reach.vpcEndpoint(n.VpcId, `com.amazonaws.${ctx.region}.s3`), `no S3 gateway endpoint in ${n.VpcId}`);
    set('internet', await reach.internetGateway(n.VpcId), `no internet gateway attached to ${n.VpcId}`);
  } else r.missing.internet = r.missing.s3 = 'the network stack has no VpcId output';
  const admin = ctx.env.network.adminCidrs[0];
  if (admin) r.adminIp = firstAddress(admin);
  return r;
}

export interface PlannedPath {
  flow: Flow;
  from: Endpoint;
  source?: string;
  destination?: string;
  /** Why it cannot be analysed (a missing resource; not applicable). */
  skip?: string;
}

/** One path per (flow, source role), with its ids or the reason it cannot be analysed. */
export function planPaths(flows: readonly Flow[], r: Resolved): PlannedPath[] {
  return flows.flatMap((flow) =>
    flow.from.map((from): PlannedPath => {
      const source = r.ids[from];
      const destination = r.ids[flow.to];
      const skip = !source ? `${from}: ${r.missing[from] ?? 'not found'}` : !destination ? `${flow.to}: ${r.missing[flow.to] ?? 'not found'}` : undefined;
      return { flow, from, source, destination, skip };
    }),
  );
}

/** A flow's parts from its paths' results. */
export function flowPart(p: PlannedPath, result: AnalysisResult | undefined, note?: string): Part {
  const subject = `${p.flow.id} (${p.from} → ${p.flow.to} ${p.flow.protocol}/${p.flow.ports[0]}${p.flow.ports[1] !== p.flow.ports[0] ? `, of ${p.flow.ports[0]}-${p.flow.ports[1]}` : ''})`;
  if (p.skip) return { subject, status: 'unknown', detail: p.skip };
  if (!result) return { subject, status: 'unknown', detail: note ?? 'no analysis result' };
  if (result.status === 'running') return { subject, status: 'unknown', detail: `the analysis did not finish within ${ANALYSIS_BUDGET_MS / 60000} min` };
  if (result.status === 'failed') return { subject, status: 'unknown', detail: `the analysis failed: ${result.statusMessage ?? 'no reason given'}` };
  if (result.pathFound) return { subject, status: 'pass', detail: 'reachable' };
  return { subject, status: 'fail', detail: `not reachable: ${result.explanations.slice(0, 3).join('; ') || 'no explanation given'}` };
}

async function cleanup(reach: ReachabilityPort, paths: string[], analyses: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const a of analyses) await reach.deleteAnalysis(a).catch((e) => problems.push(`analysis ${a}: ${errorMessage(e)}`));
  for (const p of paths) {
    for (const a of await reach.analysesOf(p).catch(() => [] as string[]))
      await reach.deleteAnalysis(a).catch((e) => problems.push(`analysis ${a}: ${errorMessage(e)}`));
    await reach.deletePath(p).catch((e) => problems.push(`path ${p}: ${errorMessage(e)}`));
  }
  return problems;
}

type Tags = Record<string, string>;

/** What one run of the analyses made and learned (paths and analyses are deleted at the end). */
interface AnalysisRun {
  created: string[];
  analyses: string[];
  results: Map<PlannedPath, AnalysisResult>;
  /** Why a path has no result (it could not be created). */
  notes: Map<PlannedPath, string>;
}

export async function analyseFlows(ctx: CheckContext, flows: readonly Flow[] = SPEC_FLOWS): Promise<CheckOutcome> {
  const ops = await ctx.ops();
  const reach = ops.reachability;
  const tags = { 'dpf:env': ctx.envName, 'dpf:project': ctx.project, 'dpf:purpose': REACHABILITY_PURPOSE };
  let leftovers: string[];
  try {
    leftovers = await reach.findPaths(tags);
  } catch (err) {
    if (err instanceof NotImplementedByEndpointError) return analyzerNotAvailable(err, flows);
    return unknown(
      `VPC Reachability Analyzer could not be asked: ${awsErrorText(err)}`,
      { flows: flows.map((f) => f.id) },
      'The operator needs ec2:*NetworkInsights* (docs/iam/).',
    );
  }
  const leftoverProblems = await cleanup(reach, leftovers, []);
  const planned = planPaths(flows, await resolveEndpoints(ctx, ops, reach));
  const run: AnalysisRun = { created: [], analyses: [], results: new Map(), notes: new Map() };
  let cleanupProblems: string[] = [];
  try {
    const started = await startAnalyses(ctx, reach, planned, tags, run);
    if (started instanceof NotImplementedByEndpointError) return analyzerNotAvailable(started, flows);
    await waitForAnalyses(ctx, reach, started, run.results);
  } catch (err) {
    if (err instanceof AbortError || (err as { name?: string })?.name === 'AbortError') throw err;
    return unknown(`VPC Reachability Analyzer could not finish: ${awsErrorText(err)}`, { flows: flows.map((f) => f.id) });
  } finally {
    cleanupProblems = await cleanup(reach, run.created, run.analyses);
  }
  return flowsOutcome(planned, run, leftovers.length, [...leftoverProblems, ...cleanupProblems]);
}

function analyzerNotAvailable(err: NotImplementedByEndpointError, flows: readonly Flow[]): CheckOutcome {
  return unknown(
    `VPC Reachability Analyzer is not available: ${err.message}`,
    { flows: flows.map((f) => f.id) },
    'Run the golive phase against AWS to verify the connectivity matrix.',
  );
}

/**
 * A tagged path and an analysis for each planned path that can be analysed (recorded in `run`
 * as they are made, for the cleanup); a path that cannot be created gets a note. The endpoint's
 * error when it has no analyzer at all.
 */
async function startAnalyses(
  ctx: CheckContext,
  reach: ReachabilityPort,
  planned: PlannedPath[],
  tags: Tags,
  run: AnalysisRun,
): Promise<Array<[PlannedPath, string]> | NotImplementedByEndpointError> {
  const started: Array<[PlannedPath, string]> = [];
  for (const p of planned.filter((x) => !x.skip)) {
    try {
      const pathId = await reach.createPath({
        source: p.source!,
        destination: p.destination!,
        protocol: p.flow.protocol,
        port: p.flow.ports[0],
        ...(p.from === 'internet' && ctx.env.network.adminCidrs[0] ? { sourceIp: firstAddress(ctx.env.network.adminCidrs[0]) } : {}),
        tags,
      });
      run.created.push(pathId);
      const analysisId = await reach.startAnalysis(pathId, tags);
      run.analyses.push(analysisId);
      started.push([p, analysisId]);
      ctx.progress(`analysing ${p.flow.id} from ${p.from} (${pathId})`);
    } catch (err) {
      if (err instanceof NotImplementedByEndpointError) return err;
      run.notes.set(p, `the path could not be created: ${awsErrorText(err)}`);
    }
  }
  return started;
}

/** Until every analysis has ended, or the budget is spent (those still running are reported so). */
async function waitForAnalyses(
  ctx: CheckContext,
  reach: ReachabilityPort,
  started: Array<[PlannedPath, string]>,
  results: Map<PlannedPath, AnalysisResult>,
): Promise<void> {
  await pollUntil(
    { clock: ctx.clock, signal: ctx.signal },
    {
      what: 'reachability analyses',
      async read() {
        for (const [p, id] of started) if (!results.has(p) || results.get(p)!.status === 'running') results.set(p, await reach.describeAnalysis(id));
        return [...results.values()].filter((r) => r.status === 'running').length;
      },
      state: (running) => (running === 0 ? 'done' : 'waiting'),
      deadline: ctx.clock.now().getTime() + ANALYSIS_BUDGET_MS,
      minMs: ctx.pollMs,
      maxMs: Math.max(ctx.pollMs, 30_000),
      factor: 2,
    },
  );
}

/** A part per applicable path; the not-applicable flows, what was made and what could not be deleted in the evidence. */
function flowsOutcome(planned: PlannedPath[], run: AnalysisRun, leftoversDeleted: number, problems: string[]): CheckOutcome {
  const applicable = planned.filter((p) => !/not applicable/.test(p.skip ?? ''));
  const notApplicable = [...new Set(planned.filter((p) => !applicable.includes(p)).map((p) => `${p.flow.id}: ${p.skip}`))];
  const parts = applicable.map((p) => flowPart(p, run.results.get(p), run.notes.get(p)));
  return combine(
    parts,
    {
      passed: `${parts.length} path(s) of ${new Set(applicable.map((p) => p.flow.id)).size} flow(s) of the Network Connectivity Matrix reachable (VPC Reachability Analyzer)${notApplicable.length ? `; ${notApplicable.length} not applicable` : ''}`,
      nothing: 'no flow to analyse',
    },
    { flows: parts, notApplicable, pathsCreated: run.created.length, leftoversDeleted, cleanupProblems: problems },
    problems.length
      ? `Some analyzer resources could not be deleted (${problems.join('; ')}): delete them with aws ec2 delete-network-insights-path.`
      : 'For a path that is not reachable, the explanation names the security group, NACL or route table that blocks it.',
  );
}

export const reachabilityCheck: CheckSpec = {
  id: 'golive.reachability',
  title: 'Network Connectivity Matrix reachable (VPC Reachability Analyzer)',
  category: 'infrastructure',
  checklist: 'security-controls',
  after: {
    'network.stack': { inspects: 'the paths of the connectivity matrix through its VPC' },
    'compute.stack': { inspects: 'the nodes at the ends of the paths' },
    'storage.stack': { inspects: 'the database and file system at the ends of the paths' },
    'identity.stack': { inspects: 'the IPA servers at the ends of the paths' },
  },
  criterion:
    "every flow of the specification's Network Connectivity Matrix has a path between the deployed resources, as VPC Reachability Analyzer evaluates security groups, network ACLs and routes",
  estimateSeconds: 180,
  run: (ctx) => analyseFlows(ctx),
};
