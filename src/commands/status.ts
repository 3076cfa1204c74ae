/** dpf status: where are we, what is next, what blocks it — from the ledger, plus live AWS facts when reachable. */
import Table from 'cli-table3';
import type { CommandContext } from '../context.js';
import { loadConfig, selectEnv } from '../config/load.js';
import { Ledger, parseLedger } from '../state/ledger.js';
import { FileLeaseStore, localLockPath } from '../state/lock.js';
import { buildSteps } from '../steps/phases.js';
import { buildStatus } from '../steps/status-model.js';
import { makeChalk, duration, paintState } from '../ui/format.js';
import { stateClass } from '../steps/events.js';
import { errorMessage } from '../errors.js';

export interface StatusOptions {
  /** Skip every AWS call (offline view of the local ledger). Default false. */
  offline?: boolean;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} did not answer within ${ms / 1000}s`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

export async function runStatus(opts: StatusOptions, ctx: CommandContext): Promise<void> {
  const loaded = await loadConfig(ctx.globals.config);
  const { name: envName, env } = selectEnv(loaded, ctx.globals.env);
  const region = ctx.globals.region ?? env.region;
  const ledger = await Ledger.open(Ledger.localPath(loaded.dir, envName), loaded.config.project, envName, ctx.clock.now());
  let data = ledger.data;
  const steps = buildSteps(env);
  const live: Record<string, { status?: string; drift?: string }> = {};
  const aws: { reachable: boolean | null; note?: string } = { reachable: null };
  let source: 'local' | 'state-bucket' = 'local';

  if (!opts.offline) {
    try {
      const ports = ctx.aws(region);
      await withTimeout((await ports.identity()).whoami(), 8000, 'AWS STS');
      aws.reachable = true;
      const boot = data.steps['bootstrap.state'];
      if (boot?.status === 'done' && boot.outputs.StateBucketName) {
        const body = await (await ports.objects()).getText(boot.outputs.StateBucketName, `ledger/${envName}/ledger.json`);
        if (body) {
          const remote = parseLedger(body, `s3://${boot.outputs.StateBucketName}/ledger/${envName}/ledger.json`);
          if (remote.revision > data.revision) {
            data = remote;
            source = 'state-bucket';
          }
        }
      }
      const cfn = await ports.cfn();
      await Promise.all(
        Object.values(data.steps)
          .map((r) => r.evidence.stackName as string | undefined)
          .filter((n): n is string => Boolean(n))
          .map(async (name) => {
            const s = await cfn.describeStack(name).catch(() => undefined);
            live[name] = { status: s?.status ?? 'NOT_FOUND', drift: s?.driftStatus };
          }),
      );
    } catch (err) {
      aws.reachable = false;
      aws.note = `AWS could not be reached (${errorMessage(err)}); showing the local ledger only.`;
    }
  }
  const lockHolder = await new FileLeaseStore(localLockPath(loaded.dir, envName)).read();
  const model = buildStatus(data, steps, live);
  const doc = {
    env: envName,
    project: loaded.config.project,
    region,
    accountId: data.facts.accountId,
    ledger: { file: ledger.file, revision: data.revision, updatedAt: data.updatedAt, source },
    aws,
    lock: lockHolder ? { identity: lockHolder.identity, host: lockHolder.host, pid: lockHolder.pid, command: lockHolder.command, since: lockHolder.since, expiresAt: lockHolder.expiresAt } : null,
    progress: model.progress,
    phases: model.phases,
    next: model.next,
    lastRun: data.runs[data.runs.length - 1] ?? null,
  };
  if (ctx.globals.json) {
    ctx.stdout(JSON.stringify(doc, null, 2));
    return;
  }
  const c = makeChalk(ctx.globals.color);
  const lines: string[] = [];
  lines.push(`${c.bold(`${doc.project}/${envName}`)} in ${region}${doc.accountId ? ` (account ${doc.accountId})` : ''} — ${model.progress.done}/${model.progress.total} steps done (${model.progress.percent}%)`);
  if (aws.note) lines.push(c.yellow(`⚠ ${aws.note}`));
  if (source === 'state-bucket') lines.push(c.yellow('Ledger read from the state bucket: another operator ran more recently than this machine.'));
  if (doc.lock) lines.push(c.yellow(`🔒 locked by ${doc.lock.identity} on ${doc.lock.host} (pid ${doc.lock.pid}) running "${doc.lock.command}" since ${doc.lock.since}`));
  const table = new Table({ head: ['phase / step', 'status', 'started', 'finished', 'took', 'est.', 'stack'], style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  for (const p of model.phases) {
    table.push([c.bold(p.id), paintState(c, stateClass(p.status), p.status), p.startedAt?.slice(0, 16).replace('T', ' ') ?? '', p.finishedAt?.slice(0, 16).replace('T', ' ') ?? '', '', '', '']);
    for (const s of p.steps)
      table.push([
        `  ${s.id}`,
        paintState(c, stateClass(s.status), s.status),
        s.startedAt?.slice(11, 19) ?? '',
        s.finishedAt?.slice(11, 19) ?? '',
        duration(s.durationSeconds),
        s.estimateSeconds ? duration(s.estimateSeconds) : '',
        s.stack ? `${s.stack.name} ${s.stack.status ? paintState(c, stateClass(s.stack.status), s.stack.status) : c.gray('(not checked)')}` : '',
      ]);
  }
  lines.push(table.toString());
  for (const p of model.phases) for (const s of p.steps) if (s.error) lines.push(c.red(`✖ ${s.id}: ${s.error.message}${s.error.rootCause ? `\n  ${s.error.rootCause}` : ''}`));
  if (model.next.length) {
    lines.push(c.bold('Next:'));
    for (const n of model.next) lines.push(n.runnable ? `  ${c.green('▶')} ${n.id} — ready` : `  ${c.gray('○')} ${n.id} — waits for ${n.waitingFor.join(', ')}`);
    lines.push(`  run: dpf deploy --env ${envName}`);
  } else lines.push(c.green('Every step is done.'));
  ctx.stdout(lines.join('\n'));
}
