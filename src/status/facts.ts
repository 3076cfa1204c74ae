/**
 * The facts of `dpf status`: where are we, what is next, what blocks it. From the ledger, plus
 * live AWS facts when reachable: stack states, drift (the last golive verdict, or live
 * detection with --drift), nodes online in SSM, configured workers, alarms in ALARM, the latest
 * recovery point, and who holds the lock. Every live call is optional and time-boxed: a failure
 * becomes a note, never an error. Drawn by src/ui/status-view.ts; --json prints the document.
 */
import type { AwsPorts, Lease } from '../aws/ports.js';
import type { CommandContext } from '../context.js';
import type { LedgerData, RunRecord } from '../state/ledger.js';
import { staleReason } from '../state/lock.js';
import { NotCachedError } from '../state/config-cache.js';
import { buildStatus, driftFromLedger, stepShape, type StatusModel, type StepShape } from '../steps/status-model.js';
import { errorMessage } from '../errors.js';
import { LIVE_TIMEOUT_MS, openLedgerView, withTimeout, type LedgerView } from '../reports/source.js';

export interface StatusQuery {
  /** Skip every AWS call (offline view of the local ledger). Default false. */
  offline?: boolean;
  /** Run CloudFormation drift detection on every stack now instead of showing the last golive result. Default false. */
  drift?: boolean;
  /** Time box of each live call (ms). Default LIVE_TIMEOUT_MS; not a CLI option (tests shorten it). */
  timeoutMs?: number;
  /**
   * Answer from the config cache only (src/fast-entry.ts): a config or step graph not kept throws
   * NotCachedError rather than loading the parser, the schema or any step's code. Default false.
   */
  cacheOnly?: boolean;
}

/** How long `--drift` waits for all detections together. */
export const DRIFT_BUDGET_MS = 120_000;

export interface LiveFacts {
  checkedAt: string;
  drift: { source: 'live' | 'golive' | 'none'; stacks: Record<string, { drift: string; reason?: string; checkedAt?: string }> };
  nodes: { total: number; online: number; offline: Array<{ instanceId: string; role?: string; pingStatus: string }> } | null;
  /** Workers InService and, of those, configured (by the deploy or the worker association): only configured ones count. */
  workers: { group: string; desired: number; inService: number; configured: number; notConfigured: Array<{ instanceId: string; detail: string }> } | null;
  alarms: { total: number; inAlarm: Array<{ name: string; reason?: string }> } | null;
  recoveryPoint: { arn: string; resourceArn?: string; completedAt?: string; ageMinutes?: number; rpoMinutes: number; withinRpo?: boolean } | null;
  notes: string[];
}

/** The --json document of `dpf status`. */
export interface StatusDoc {
  env: string;
  project: string;
  region: string;
  accountId?: string;
  ledger: { file: string; revision: number; updatedAt: string; source: LedgerView['source']; remote?: string; derivedBucket?: boolean };
  aws: { reachable: boolean | null; note?: string };
  lock: { identity: string; host: string; pid: number; command: string; since: string; expiresAt: string; where?: LockState['where']; stale?: string } | null;
  progress: StatusModel['progress'];
  phases: StatusModel['phases'];
  next: StatusModel['next'];
  checks: StatusModel['checks'];
  live: LiveFacts;
  lastRun: RunRecord | null;
}

/** What the human view needs besides the document. */
export interface StatusFacts {
  doc: StatusDoc;
  model: StatusModel;
  view: { source: LedgerView['source']; remote?: LedgerView['remote']; awsNote?: string };
  lockStale?: string;
  facts: LiveFacts;
}

async function attemptWithin<T>(notes: string[], what: string, f: () => Promise<T>, ms: number): Promise<T | null> {
  try {
    return await withTimeout(f(), ms, what);
  } catch (err) {
    notes.push(`${what}: ${errorMessage(err)}`);
    return null;
  }
}

/** Nodes, alarms and the latest recovery point, each time-boxed. */
export async function gatherOpsFacts(
  ports: AwsPorts,
  data: LedgerData,
  o: { project: string; env: string; rpoMinutes: number; now: Date; timeoutMs?: number },
): Promise<Pick<LiveFacts, 'nodes' | 'workers' | 'alarms' | 'recoveryPoint' | 'notes'>> {
  const notes: string[] = [];
  const ms = o.timeoutMs ?? LIVE_TIMEOUT_MS;
  const attempt = <T>(n: string[], what: string, f: () => Promise<T>) => attemptWithin(n, what, f, ms);
  const ops = await attempt(notes, 'AWS SDK', () => ports.ops());
  if (!ops) return { nodes: null, workers: null, alarms: null, recoveryPoint: null, notes };
  const computeDone = data.steps['compute.stack']?.status === 'done';
  const vault = data.steps['storage.stack']?.outputs.BackupVaultName;
  // The RPO shown is the file system's: compare it with the file system's recovery points only.
  const fsId = data.steps['storage.stack']?.outputs.EfsFileSystemId;
  if (data.steps['storage.stack']?.status === 'done' && !vault) notes.push('recovery points: the storage stack has no BackupVaultName output in the ledger');
  const group = data.steps['compute.stack']?.outputs.WorkerAutoScalingGroupName;
  const [nodes, workers, alarms, recoveryPoint] = await Promise.all([
    computeDone
      ? attempt(notes, 'nodes (SSM)', async () => {
          const instances = (await ops.ec2.describeInstances({ 'tag:dpf:env': [o.env] })).filter((i) => !['terminated', 'shutting-down'].includes(i.state));
          if (!instances.length) return { total: 0, online: 0, offline: [] };
          const info = new Map((await ops.ssm.describeInstanceInformation(instances.map((i) => i.instanceId))).map((m) => [m.instanceId, m.pingStatus]));
          const offline = instances
            .filter((i) => info.get(i.instanceId) !== 'Online')
            .map((i) => ({
              instanceId: i.instanceId,
              role: i.tags['dpf:role'],
              pingStatus: i.state !== 'running' ? i.state : (info.get(i.instanceId) ?? 'NotRegistered'),
            }));
          return { total: instances.length, online: instances.length - offline.length, offline };
        })
      : Promise.resolve(null),
    computeDone && group
      ? attempt(notes, 'workers (Auto Scaling, SSM associations)', async () => {
          const g = await ops.autoscaling.describeGroup(group);
          if (!g) return { group, desired: 0, inService: 0, configured: 0, notConfigured: [] };
          const inService = g.instances.filter((i) => i.lifecycleState === 'InService').map((i) => i.instanceId);
          const { workerAssociationName, workerConfigurations } = await import('../checks/workers.js');
          const states = await workerConfigurations(ops.ssm, data, inService, workerAssociationName(o.project, o.env));
          return {
            group,
            desired: g.desired,
            inService: inService.length,
            configured: states.filter((w) => w.configured).length,
            notConfigured: states.filter((w) => !w.configured).map(({ instanceId, detail }) => ({ instanceId, detail })),
          };
        })
      : Promise.resolve(null),
    data.steps['monitoring.stack']?.status === 'done'
      ? attempt(notes, 'alarms (CloudWatch)', async () => {
          const all = await ops.cloudwatch.describeAlarms(undefined, `${o.project}-${o.env}-`);
          return { total: all.length, inAlarm: all.filter((a) => a.state === 'ALARM').map((a) => ({ name: a.name, reason: a.reason })) };
        })
      : Promise.resolve(null),
    vault
      ? attempt(notes, `recovery points (AWS Backup vault ${vault})`, async () => {
          const points = (await ops.backup.listRecoveryPoints(vault)).filter(
            (p) => p.status === 'COMPLETED' && (!fsId || !p.resourceArn || p.resourceArn.endsWith(`:file-system/${fsId}`)),
          );
          const latest = points.map((p) => ({ p, at: (p.completed ?? p.created)?.getTime() ?? 0 })).sort((a, b) => b.at - a.at)[0];
          if (!latest) return { arn: '', rpoMinutes: o.rpoMinutes };
          const age = Math.round((o.now.getTime() - latest.at) / 60_000);
          return {
            arn: latest.p.arn,
            resourceArn: latest.p.resourceArn,
            completedAt: new Date(latest.at).toISOString(),
            ageMinutes: age,
            rpoMinutes: o.rpoMinutes,
            withinRpo: age <= o.rpoMinutes,
          };
        })
      : Promise.resolve(null),
  ]);
  return { nodes, workers, alarms, recoveryPoint, notes };
}

/**
 * The step graph status draws. It follows from the environment's config and dpf's build alone,
 * so it is kept with the config (src/state/config-cache.ts) as data: an unchanged config draws it
 * without loading any step's code (issue 14, start-up).
 */
async function statusGraph(view: LedgerView): Promise<StepShape[]> {
  const name = `status-graph:${view.envName}`;
  const kept = view.opened.derived(name);
  if (Array.isArray(kept)) return kept as StepShape[];
  if (view.opened.cacheOnly) throw new NotCachedError(`the config cache keeps no step graph of "${view.envName}"`);
  const { stepGraph } = await import('../reports/step-graph.js');
  const shapes = stepGraph(view.env).map(stepShape);
  await view.opened.keep(name, shapes);
  return shapes;
}

/**
 * Everything `dpf status` shows, gathered: the ledger (local or the state bucket's newer copy),
 * the step model, the lock, and the live facts AWS gave within the time boxes. Read only.
 */
export async function gatherStatus(opts: StatusQuery, ctx: CommandContext): Promise<StatusFacts> {
  const ms = opts.timeoutMs ?? LIVE_TIMEOUT_MS;
  const attempt = <T>(notes: string[], what: string, f: () => Promise<T>, within = ms) => attemptWithin(notes, what, f, within);
  const view = await openLedgerView(ctx, { offline: opts.offline, timeoutMs: ms, cacheOnly: opts.cacheOnly });
  const { envName } = view;
  const data = view.data;
  const steps = await statusGraph(view);
  const live: Record<string, { status?: string; drift?: string }> = {};
  const facts: LiveFacts = {
    checkedAt: ctx.clock.now().toISOString(),
    drift: { source: 'none', stacks: {} },
    nodes: null,
    workers: null,
    alarms: null,
    recoveryPoint: null,
    notes: [],
  };
  const attemptNote: Attempt = (what, f, within) => attempt(facts.notes, what, f, within);
  const { stackNames, stackRegion } = stacksOf(data);

  if (view.ports) {
    const ports = view.ports;
    const cfn = await attempt(facts.notes, 'CloudFormation', () => ports.cfn());
    if (cfn) {
      await describeStacks(ctx, cfn, stackNames, stackRegion, live, attemptNote);
      if (opts.drift) await detectLiveDrift(ctx, cfn, stackNames, stackRegion, live, facts, attemptNote);
    } else if (opts.drift) facts.notes.push('--drift: drift detection was not run (CloudFormation could not be reached)');
    const ops = await gatherOpsFacts(ports, data, {
      project: view.loaded.config.project,
      env: envName,
      rpoMinutes: view.env.recovery.rpoMinutes.fileSystem,
      now: ctx.clock.now(),
      timeoutMs: ms,
    });
    Object.assign(facts, { nodes: ops.nodes, workers: ops.workers, alarms: ops.alarms, recoveryPoint: ops.recoveryPoint });
    facts.notes.push(...ops.notes);
  } else if (opts.drift)
    facts.notes.push(`--drift: drift detection was not run (${opts.offline ? '--offline makes no AWS call' : 'AWS could not be reached'})`);
  if (facts.drift.source === 'none') {
    const last = driftFromLedger(data);
    if (Object.keys(last).length) facts.drift = { source: 'golive', stacks: last };
  }

  const lock = await lockState(view, ctx, (what, f) => attempt(facts.notes, what, f));
  const model = buildStatus(data, steps, live, { lockHeld: lock.held });
  const doc = statusDoc(view, lock, model, facts);
  return { doc, model, view: { source: view.source, remote: view.remote, awsNote: view.aws.note }, lockStale: lock.stale, facts };
}

/** Time-boxed call whose failure becomes a note (null). */
type Attempt = <T>(what: string, f: () => Promise<T>, within?: number) => Promise<T | null>;
type LiveStacks = Record<string, { status?: string; drift?: string }>;
type Cfn = NonNullable<Awaited<ReturnType<AwsPorts['cfn']>>>;

/** The stacks the ledger knows, and the region of those deployed elsewhere (the DR vault). */
function stacksOf(data: LedgerData): { stackNames: string[]; stackRegion: Map<string, string> } {
  const stackNames = [
    ...new Set(
      Object.values(data.steps)
        .map((r) => r.evidence.stackName as string | undefined)
        .filter((n): n is string => Boolean(n)),
    ),
  ];
  // Stacks deployed to another region (the DR vault) are looked up there.
  const stackRegion = new Map(
    Object.values(data.steps)
      .filter((r) => typeof r.evidence.region === 'string')
      .map((r) => [r.evidence.stackName as string, r.evidence.region as string]),
  );
  return { stackNames, stackRegion };
}

/** Each stack's live status (NOT_FOUND when gone), in its own region. */
async function describeStacks(
  ctx: CommandContext,
  cfn: Cfn,
  stackNames: string[],
  stackRegion: Map<string, string>,
  live: LiveStacks,
  attempt: Attempt,
): Promise<void> {
  await Promise.all(
    stackNames.map(async (name) => {
      const region = stackRegion.get(name);
      const s = await attempt(`stack ${name}${region ? ` (${region})` : ''}`, async () =>
        region ? (await ctx.aws(region).cfn()).describeStack(name) : cfn.describeStack(name),
      );
      live[name] = { status: s === null ? undefined : (s?.status ?? 'NOT_FOUND'), drift: undefined };
    }),
  );
}

/** --drift: CloudFormation drift detection on every stack of the home region that exists. */
async function detectLiveDrift(
  ctx: CommandContext,
  cfn: Cfn,
  stackNames: string[],
  stackRegion: Map<string, string>,
  live: LiveStacks,
  facts: LiveFacts,
  attempt: Attempt,
): Promise<void> {
  const { detectDrift } = await import('../checks/infrastructure.js');
  const present = stackNames.filter((n) => !stackRegion.has(n) && live[n]?.status && live[n]!.status !== 'NOT_FOUND');
  await Promise.all(
    present.map(async (name) => {
      const d = await attempt(
        `drift detection of ${name}`,
        () => detectDrift(cfn, name, { clock: ctx.clock, signal: ctx.signal, pollMs: 1000, timeoutMs: DRIFT_BUDGET_MS }),
        DRIFT_BUDGET_MS + 5000,
      );
      if (d) {
        facts.drift.stacks[name] = { drift: d.drift, reason: d.reason, checkedAt: ctx.clock.now().toISOString() };
        if (d.drift !== 'UNKNOWN') live[name]!.drift = d.drift;
      }
    }),
  );
  facts.drift.source = 'live';
}

function statusDoc(view: LedgerView, lock: LockState, model: StatusModel, facts: LiveFacts): StatusDoc {
  const data = view.data;
  return {
    env: view.envName,
    project: view.loaded.config.project,
    region: view.region,
    accountId: data.facts.accountId,
    ledger: {
      file: view.store.ledgerFile,
      revision: data.revision,
      updatedAt: data.updatedAt,
      source: view.source,
      ...(view.remote ? { remote: view.remote.where, derivedBucket: view.remote.derived } : {}),
    },
    aws: { reachable: view.aws.reachable, note: view.aws.note },
    lock: lock.holder
      ? {
          identity: lock.holder.identity,
          host: lock.holder.host,
          pid: lock.holder.pid,
          command: lock.holder.command,
          since: lock.holder.since,
          expiresAt: lock.holder.expiresAt,
          where: lock.where,
          ...(lock.stale ? { stale: lock.stale } : {}),
        }
      : null,
    progress: model.progress,
    phases: model.phases,
    next: model.next,
    checks: model.checks,
    live: facts,
    lastRun: data.runs[data.runs.length - 1] ?? null,
  };
}

export interface LockState {
  /** true: a live process holds the lease; false: nobody does; undefined: not known (the DynamoDB lease could not be read). */
  held?: boolean;
  holder?: Lease;
  where?: 'lock file' | 'DynamoDB';
  /** Why the lease shown looks stale (expired, or its process on this host is gone). */
  stale?: string;
}

/**
 * Who holds the environment's lease now, read only: the local lock file, then (once bootstrap
 * made the table, and AWS answered) the DynamoDB lease. A lease that is expired or whose process
 * on this host is gone is not held.
 */
export async function lockState(
  view: LedgerView,
  ctx: Pick<CommandContext, 'clock' | 'settings'>,
  attempt: <T>(what: string, f: () => Promise<T>) => Promise<T | null>,
): Promise<LockState> {
  const now = ctx.clock.now();
  const local = await view.store.localLock().read();
  const localStale = local ? staleReason(local, now, ctx.settings.process) : undefined;
  if (local && !localStale) return { held: true, holder: local, where: 'lock file' };
  const table = view.data.steps['bootstrap.state']?.status === 'done' ? view.data.steps['bootstrap.state']!.outputs.LockTableName : undefined;
  let remote: Lease | undefined | null = null;
  if (view.ports && table) {
    const ports = view.ports;
    remote = await attempt(`lock (DynamoDB table ${table})`, async () => (await (await ports.leaseStore(table, view.envName)).read()) ?? undefined);
  }
  if (remote) {
    const stale = staleReason(remote, now, ctx.settings.process);
    return { held: !stale, holder: remote, where: 'DynamoDB', ...(stale ? { stale } : {}) };
  }
  const shown = local ? { holder: local, where: 'lock file' as const, stale: localStale } : {};
  // No lease anywhere we could read. The DynamoDB lease guards other machines: when it could not be
  // read, a ledger from the state bucket may describe a run still going elsewhere.
  if (remote === undefined || !table || view.source === 'local') return { held: false, ...shown };
  return { held: undefined, ...shown };
}
