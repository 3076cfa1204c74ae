/**
 * dpf status: where are we, what is next, what blocks it — in one screen. From the ledger,
 * plus live AWS facts when reachable: stack states, drift (the last golive verdict, or live
 * detection with --drift), nodes online in SSM, alarms in ALARM, the latest recovery point.
 * Every live call is optional and time-boxed: a failure becomes a note, never an error.
 */
import Table from 'cli-table3';
import type { AwsPorts, CommandContext } from '../context.js';
import type { LedgerData } from '../state/ledger.js';
import { FileLeaseStore, localLockPath, staleReason, type Lease } from '../state/lock.js';
import { buildStatus, driftFromLedger, type PhaseStatusView } from '../steps/status-model.js';
import { makeChalk, duration, paintState } from '../ui/format.js';
import { stateClass } from '../steps/events.js';
import { errorMessage } from '../errors.js';
import { detectDrift } from '../checks/infrastructure.js';
import { workerAssociationName, workerConfigurations } from '../checks/workers.js';
import { LIVE_TIMEOUT_MS, openLedgerView, stepGraph, withTimeout, type LedgerView } from '../reports/source.js';

export interface StatusOptions {
  /** Skip every AWS call (offline view of the local ledger). Default false. */
  offline?: boolean;
  /** Run CloudFormation drift detection on every stack now instead of showing the last golive result. Default false. */
  drift?: boolean;
  /** Time box of each live call (ms). Default LIVE_TIMEOUT_MS; not a CLI option (tests shorten it). */
  timeoutMs?: number;
  /** Width of the human view (columns). Default: the terminal's (process.stdout.columns), else 120; not a CLI option. */
  width?: number;
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

async function attemptWithin<T>(notes: string[], what: string, f: () => Promise<T>, ms: number): Promise<T | null> {
  try {
    return await withTimeout(f(), ms, what);
  } catch (err) {
    notes.push(`${what}: ${errorMessage(err)}`);
    return null;
  }
}

/** Nodes, alarms and the latest recovery point, each time-boxed. */
export async function gatherOpsFacts(ports: AwsPorts, data: LedgerData, o: { project: string; env: string; rpoMinutes: number; now: Date; timeoutMs?: number }): Promise<Pick<LiveFacts, 'nodes' | 'workers' | 'alarms' | 'recoveryPoint' | 'notes'>> {
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
          const offline = instances.filter((i) => info.get(i.instanceId) !== 'Online').map((i) => ({ instanceId: i.instanceId, role: i.tags['dpf:role'], pingStatus: i.state !== 'running' ? i.state : info.get(i.instanceId) ?? 'NotRegistered' }));
          return { total: instances.length, online: instances.length - offline.length, offline };
        })
      : Promise.resolve(null),
    computeDone && group
      ? attempt(notes, 'workers (Auto Scaling, SSM associations)', async () => {
          const g = await ops.autoscaling.describeGroup(group);
          if (!g) return { group, desired: 0, inService: 0, configured: 0, notConfigured: [] };
          const inService = g.instances.filter((i) => i.lifecycleState === 'InService').map((i) => i.instanceId);
          const states = await workerConfigurations(ops.ssm, data, inService, workerAssociationName(o.project, o.env));
          return { group, desired: g.desired, inService: inService.length, configured: states.filter((w) => w.configured).length, notConfigured: states.filter((w) => !w.configured).map(({ instanceId, detail }) => ({ instanceId, detail })) };
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
          const points = (await ops.backup.listRecoveryPoints(vault)).filter((p) => p.status === 'COMPLETED' && (!fsId || !p.resourceArn || p.resourceArn.endsWith(`:file-system/${fsId}`)));
          const latest = points.map((p) => ({ p, at: (p.completed ?? p.created)?.getTime() ?? 0 })).sort((a, b) => b.at - a.at)[0];
          if (!latest) return { arn: '', rpoMinutes: o.rpoMinutes };
          const age = Math.round((o.now.getTime() - latest.at) / 60_000);
          return { arn: latest.p.arn, resourceArn: latest.p.resourceArn, completedAt: new Date(latest.at).toISOString(), ageMinutes: age, rpoMinutes: o.rpoMinutes, withinRpo: age <= o.rpoMinutes };
        })
      : Promise.resolve(null),
  ]);
  return { nodes, workers, alarms, recoveryPoint, notes };
}

export async function runStatus(opts: StatusOptions, ctx: CommandContext): Promise<void> {
  const ms = opts.timeoutMs ?? LIVE_TIMEOUT_MS;
  const attempt = <T>(notes: string[], what: string, f: () => Promise<T>, within = ms) => attemptWithin(notes, what, f, within);
  const view = await openLedgerView(ctx, { offline: opts.offline, timeoutMs: ms });
  const { envName, region } = view;
  const data = view.data;
  const steps = stepGraph(view.env);
  const live: Record<string, { status?: string; drift?: string }> = {};
  const facts: LiveFacts = { checkedAt: ctx.clock.now().toISOString(), drift: { source: 'none', stacks: {} }, nodes: null, workers: null, alarms: null, recoveryPoint: null, notes: [] };
  const stackNames = [...new Set(Object.values(data.steps).map((r) => r.evidence.stackName as string | undefined).filter((n): n is string => Boolean(n)))];
  // Stacks deployed to another region (the DR vault) are looked up there.
  const stackRegion = new Map(Object.values(data.steps).filter((r) => typeof r.evidence.region === 'string').map((r) => [r.evidence.stackName as string, r.evidence.region as string]));

  if (view.ports) {
    const ports = view.ports;
    const cfn = await attempt(facts.notes, 'CloudFormation', () => ports.cfn());
    if (cfn) {
      await Promise.all(
        stackNames.map(async (name) => {
          const region = stackRegion.get(name);
          const s = await attempt(facts.notes, `stack ${name}${region ? ` (${region})` : ''}`, async () => (region ? (await ctx.aws(region).cfn()).describeStack(name) : cfn.describeStack(name)));
          live[name] = { status: s === null ? undefined : s?.status ?? 'NOT_FOUND', drift: undefined };
        }),
      );
      if (opts.drift) {
        const present = stackNames.filter((n) => !stackRegion.has(n) && live[n]?.status && live[n]!.status !== 'NOT_FOUND');
        await Promise.all(
          present.map(async (name) => {
            const d = await attempt(facts.notes, `drift detection of ${name}`, () => detectDrift(cfn, name, { clock: ctx.clock, signal: ctx.signal, pollMs: 1000, timeoutMs: DRIFT_BUDGET_MS }), DRIFT_BUDGET_MS + 5000);
            if (d) {
              facts.drift.stacks[name] = { drift: d.drift, reason: d.reason, checkedAt: ctx.clock.now().toISOString() };
              if (d.drift !== 'UNKNOWN') live[name]!.drift = d.drift;
            }
          }),
        );
        facts.drift.source = 'live';
      }
    } else if (opts.drift) facts.notes.push('--drift: drift detection was not run (CloudFormation could not be reached)');
    const ops = await gatherOpsFacts(ports, data, { project: view.loaded.config.project, env: envName, rpoMinutes: view.env.recovery.rpoMinutes.fileSystem, now: ctx.clock.now(), timeoutMs: ms });
    Object.assign(facts, { nodes: ops.nodes, workers: ops.workers, alarms: ops.alarms, recoveryPoint: ops.recoveryPoint });
    facts.notes.push(...ops.notes);
  } else if (opts.drift) facts.notes.push(`--drift: drift detection was not run (${opts.offline ? '--offline makes no AWS call' : 'AWS could not be reached'})`);
  if (facts.drift.source === 'none') {
    const last = driftFromLedger(data);
    if (Object.keys(last).length) facts.drift = { source: 'golive', stacks: last };
  }

  const lock = await lockState(view, ctx, (what, f) => attempt(facts.notes, what, f));
  const model = buildStatus(data, steps, live, { lockHeld: lock.held });
  const doc = {
    env: envName,
    project: view.loaded.config.project,
    region,
    accountId: data.facts.accountId,
    ledger: { file: view.ledger.file, revision: data.revision, updatedAt: data.updatedAt, source: view.source, ...(view.remote ? { remote: view.remote.where, derivedBucket: view.remote.derived } : {}) },
    aws: { reachable: view.aws.reachable, note: view.aws.note },
    lock: lock.holder ? { identity: lock.holder.identity, host: lock.holder.host, pid: lock.holder.pid, command: lock.holder.command, since: lock.holder.since, expiresAt: lock.holder.expiresAt, where: lock.where, ...(lock.stale ? { stale: lock.stale } : {}) } : null,
    progress: model.progress,
    phases: model.phases,
    next: model.next,
    checks: model.checks,
    live: facts,
    lastRun: data.runs[data.runs.length - 1] ?? null,
  };
  if (ctx.globals.json) {
    ctx.stdout(JSON.stringify(doc, null, 2));
    return;
  }

  const width = Math.max(60, opts.width ?? (process.stdout.columns || 120));
  const now = ctx.clock.now();
  const c = makeChalk(ctx.globals.color);
  const lines: string[] = [];
  lines.push(`${c.bold(`${doc.project}/${envName}`)} in ${region}${doc.accountId ? ` (account ${doc.accountId})` : ''} — ${model.progress.done}/${model.progress.total} steps done (${model.progress.percent}%)`);
  if (view.aws.note) lines.push(c.yellow(`⚠ ${view.aws.note}`));
  if (view.source === 'state-bucket')
    lines.push(
      c.yellow(
        view.remote?.derived
          ? `Ledger read from the state bucket (${view.remote.where}): this folder has no local ledger with bootstrap done (read only; the next dpf deploy here adopts it).`
          : `Ledger read from the state bucket${view.remote ? ` (${view.remote.where})` : ''}: another operator ran more recently than this machine.`,
      ),
    );
  if (doc.lock) lines.push(c.yellow(`🔒 locked by ${doc.lock.identity} on ${doc.lock.host} (pid ${doc.lock.pid}) running "${doc.lock.command}" since ${doc.lock.since}${lock.stale ? ` — looks stale: ${lock.stale}` : ''}`));
  lines.push(stepTable(c, model.phases, now, width));
  for (const p of model.phases) for (const s of p.steps) if (s.error) lines.push(c.red(`✖ ${s.id}: ${s.error.message}${s.error.rootCause ? `\n  ${s.error.rootCause}` : ''}`));

  lines.push(...liveLines(c, facts, model.checks, envName, width));
  if (model.next.length) {
    const byId = new Map(model.phases.flatMap((p) => p.steps).map((s) => [s.id, s]));
    lines.push(c.bold('Next:'));
    for (const n of model.next)
      lines.push(
        n.runnable
          ? `  ${c.green('▶')} ${n.id} — ${byId.get(n.id)?.interrupted ? 'interrupted: ready to resume' : 'ready'}`
          : `  ${c.gray('○')} ${n.id} — waits for ${fitList(n.waitingFor.map((w) => `${w} (${byId.get(w)?.interrupted ? 'interrupted' : byId.get(w)?.status ?? 'not in the graph'})`), width - n.id.length - 18)}`,
      );
    const phase = model.next.find((n) => n.runnable)?.id.split('.')[0];
    lines.push(`  run: dpf deploy --env ${envName}${phase ? `   (or only that phase: dpf deploy --env ${envName} --phase ${phase})` : ''}`);
  } else lines.push(c.green('Every step is done.'));
  ctx.stdout(lines.join('\n'));
}

/** "a, b, c" within `room` characters: as many items as fit, then "+N more" (--json has them all). */
export function fitList(items: string[], room: number): string {
  const all = items.join(', ');
  if (all.length <= room) return all;
  const shown: string[] = [];
  for (const item of items) {
    const rest = items.length - shown.length - 1;
    const candidate = [...shown, item].join(', ') + (rest ? `, +${rest} more` : '');
    if (candidate.length > room && shown.length) break;
    shown.push(item);
  }
  const more = items.length - shown.length;
  return shown.join(', ') + (more ? `, +${more} more` : '');
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
export async function lockState(view: LedgerView, ctx: CommandContext, attempt: <T>(what: string, f: () => Promise<T>) => Promise<T | null>): Promise<LockState> {
  const now = ctx.clock.now();
  const local = await new FileLeaseStore(localLockPath(view.loaded.dir, view.envName)).read();
  const localStale = local ? staleReason(local, now) : undefined;
  if (local && !localStale) return { held: true, holder: local, where: 'lock file' };
  const table = view.data.steps['bootstrap.state']?.status === 'done' ? view.data.steps['bootstrap.state']!.outputs.LockTableName : undefined;
  let remote: Lease | undefined | null = null;
  if (view.ports && table) {
    const ports = view.ports;
    remote = await attempt(`lock (DynamoDB table ${table})`, async () => (await (await ports.leaseStore(table, view.envName)).read()) ?? undefined);
  }
  if (remote) {
    const stale = staleReason(remote, now);
    return { held: !stale, holder: remote, where: 'DynamoDB', ...(stale ? { stale } : {}) };
  }
  const shown = local ? { holder: local, where: 'lock file' as const, stale: localStale } : {};
  // No lease anywhere we could read. The DynamoDB lease guards other machines: when it could not be
  // read, a ledger from the state bucket may describe a run still going elsewhere.
  if (remote === undefined || !table || view.source === 'local') return { held: false, ...shown };
  return { held: undefined, ...shown };
}

/** "16:39→16:40", with the date of a time that is not today (UTC). */
function span(from: string | undefined, to: string | undefined, now: Date): string {
  const today = now.toISOString().slice(0, 10);
  const at = (iso: string, sameDayAs?: string) => (iso.slice(0, 10) === (sameDayAs ?? today) ? iso.slice(11, 16) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`);
  if (!from) return to ? `→${at(to)}` : '';
  return `${at(from)}→${to ? at(to, from.slice(0, 10)) : ''}`;
}

const NO_BORDERS = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '' };
const stripAnsi = (t: string) => t.replace(/\u001b\[[0-9;]*m/g, '');

/**
 * The phases, one line each; the steps only of the phases that are not done. No borders, no row
 * separators; the last column is truncated so a line fits `width`.
 */
export function stepTable(c: Paint, phases: PhaseStatusView[], now: Date, width: number): string {
  const rows: string[][] = [];
  for (const p of phases) {
    const done = p.steps.filter((s) => s.status === 'done' || s.status === 'skipped').length;
    const count = `${p.steps.length} step${p.steps.length === 1 ? '' : 's'}`;
    if (p.status === 'done') {
      const took = p.startedAt && p.finishedAt ? duration((Date.parse(p.finishedAt) - Date.parse(p.startedAt)) / 1000) : '';
      rows.push([c.bold(p.id), paintState(c, 'complete', 'done'), count, span(p.startedAt, p.finishedAt, now), took, '']);
      continue;
    }
    const status = p.interrupted ? c.yellow('interrupted') : paintState(c, stateClass(p.status), p.status);
    rows.push([c.bold(p.id), status, p.steps.length ? `${done}/${p.steps.length} done` : '0 steps', span(p.startedAt, undefined, now), '', '']);
    for (const s of p.steps) {
      let last = '';
      if (s.stack) {
        const st = s.stack.status ? paintState(c, stateClass(s.stack.status), s.stack.status) : c.gray('(not checked)');
        const dr = s.stack.drift ? ` ${s.stack.drift === 'DRIFTED' ? c.red('DRIFTED') : s.stack.drift === 'IN_SYNC' ? c.green('IN_SYNC') : c.gray(`drift ${s.stack.drift}`)}` : '';
        last = `${s.stack.name} ${st}${dr}`;
      } else if (s.verdict) last = `${verdictColor(c, s.verdict.status)} ${oneLine(s.verdict.summary)}`;
      const status = s.interrupted ? c.yellow('interrupted (rerun to resume)') : paintState(c, stateClass(s.status), s.status);
      const took = s.durationSeconds !== undefined ? duration(s.durationSeconds) : s.estimateSeconds ? `est. ${duration(s.estimateSeconds)}` : '';
      rows.push([`  ${s.id}`, status, '', s.startedAt || s.finishedAt ? span(s.startedAt, s.finishedAt, now) : '', took, last]);
    }
  }
  const head = ['phase / step', 'status', 'steps', 'when (UTC)', 'took', 'stack / verdict'];
  const PAD = 2;
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i] ?? '').length)) + PAD);
  const rest = widths.slice(0, -1).reduce((a, b) => a + b, 0);
  const lastWidth = Math.max(12, Math.min(widths[widths.length - 1]!, width - rest + PAD));
  const table = new Table({
    head: head.map((h) => c.gray(h)),
    chars: NO_BORDERS,
    colWidths: [...widths.slice(0, -1), lastWidth],
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': PAD },
  });
  table.push(...rows);
  return table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

type Paint = ReturnType<typeof makeChalk>;

function verdictColor(c: Paint, s: string): string {
  return s === 'pass' ? c.green(s) : s === 'fail' ? c.red(s) : s === 'warn' ? c.yellow(s) : c.gray(s);
}

const oneLine = (t: string) => t.replace(/\s*\n\s*/g, ' ');

/** Cut `text` (no colour codes) to `max` characters, with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

export function liveLines(c: Paint, f: LiveFacts, checks: ReturnType<typeof buildStatus>['checks'], env: string, width = 120): string[] {
  const out: string[] = [];
  const stacks = Object.entries(f.drift.stacks);
  if (stacks.length) {
    const drifted = stacks.filter(([, d]) => d.drift === 'DRIFTED').map(([n]) => n);
    const unknown = stacks.filter(([, d]) => d.drift !== 'DRIFTED' && d.drift !== 'IN_SYNC').map(([n]) => n);
    const at = stacks[0]![1].checkedAt?.slice(0, 16).replace('T', ' ');
    const from = f.drift.source === 'live' ? 'detected now' : `last golive run${at ? `, ${at}` : ''}`;
    out.push(`Drift (${from}): ${drifted.length ? c.red(`DRIFTED ${drifted.join(', ')}`) : c.green('no stack drifted')}${unknown.length ? c.gray(`; unknown for ${unknown.length} stack(s)`) : ''}`);
  } else out.push(c.gray('Drift: not checked yet (dpf deploy --phase golive, or dpf status --drift)'));
  if (f.nodes) out.push(`Nodes online (SSM): ${f.nodes.online}/${f.nodes.total}${f.nodes.offline.length ? c.red(` — not online: ${f.nodes.offline.map((n) => `${n.instanceId} (${n.role ?? '?'}, ${n.pingStatus})`).join(', ')}`) : ''}`);
  if (f.workers)
    out.push(
      `Workers configured: ${f.workers.configured}/${f.workers.desired} desired (${f.workers.inService} InService)${
        f.workers.notConfigured.length ? c.red(` — not configured: ${f.workers.notConfigured.map((w) => `${w.instanceId} (${w.detail})`).join('; ')}`) : ''
      }`,
    );
  if (f.alarms)
    out.push(
      `Alarms: ${
        f.alarms.inAlarm.length
          ? c.red(`${f.alarms.inAlarm.length} in ALARM: ${f.alarms.inAlarm.map((a) => a.name).join(', ')}`)
          : f.alarms.total
            ? c.green(`none in ALARM (${f.alarms.total} alarm(s))`)
            : c.yellow('no alarm of this environment found, although the monitoring stack is deployed')
      }`,
    );
  if (f.recoveryPoint)
    out.push(
      f.recoveryPoint.arn
        ? `Latest recovery point: ${f.recoveryPoint.completedAt?.slice(0, 16).replace('T', ' ')} (${f.recoveryPoint.ageMinutes} min ago; RPO ${f.recoveryPoint.rpoMinutes} min)${f.recoveryPoint.withinRpo ? '' : c.yellow(' — older than the RPO')}`
        : c.yellow('Latest recovery point: none completed yet'),
    );
  const ran = checks.filter((k) => k.status !== 'not-run');
  if (checks.length) {
    const count = (s: string) => ran.filter((k) => k.status === s).length;
    out.push(
      ran.length
        ? `Go-live checks: ${c.green(`${count('pass')} pass`)}, ${c.yellow(`${count('warn')} warn`)}, ${c.gray(`${count('unknown')} unknown`)}, ${count('fail') ? c.red(`${count('fail')} fail`) : '0 fail'}${checks.length - ran.length ? `, ${checks.length - ran.length} not run` : ''} — details: dpf report golive --env ${env}`
        : c.gray(`Go-live checks: none has run yet (${checks.length} defined)`),
    );
    // The ones that need attention, failing first, one line each.
    for (const k of [...ran.filter((x) => x.status === 'fail'), ...ran.filter((x) => x.status === 'unknown')]) {
      const mark = k.status === 'fail' ? c.red('✖ fail   ') : c.gray('? unknown');
      out.push(`  ${mark} ${truncate(`${k.id}${k.summary ? ` — ${oneLine(k.summary)}` : ''}`, width - 12)}`);
    }
  }
  for (const n of f.notes) out.push(c.gray(`note: ${n}`));
  return out;
}
