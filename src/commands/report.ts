/**
 * dpf report golive | weekly: build a report from the ledger (plus live describe calls when AWS
 * answers), write it under reports/<env>/ next to the config (or --out), and copy it to the
 * state bucket (reports/<env>/…) once bootstrap is done. No lock is taken: reports only read.
 * Each report is written as Markdown, JSON and a self-contained HTML page (charts as inline SVG).
 */
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { BlockedError, errorMessage } from '../errors.js';
import { architectureFromLedger, enrichLive } from '../reports/architecture.js';
import { buildGoliveReport, goliveRan, renderGoliveMarkdown } from '../reports/golive.js';
import { renderGoliveHtml, renderWeeklyHtml } from '../reports/html.js';
import { buildWeeklyReport, renderWeeklyMarkdown } from '../reports/weekly.js';
import type { ReportInput } from '../reports/model.js';
import { LIVE_TIMEOUT_MS, openLedgerView, withTimeout, type LedgerView } from '../reports/source.js';
import { stepGraph } from '../reports/step-graph.js';
import { uploadReportFiles, writeReportFiles, type ReportFile } from '../reports/publish.js';

export type ReportKind = 'golive' | 'weekly';

export interface ReportOptions {
  kind: ReportKind;
  /** Directory for the files. Default: reports/<env>/ next to the config file. */
  out?: string;
  /** Skip every AWS call (no live describe, no upload). Default false. */
  offline?: boolean;
}

export async function runReport(opts: ReportOptions, ctx: CommandContext): Promise<void> {
  const view = await openLedgerView(ctx, { offline: opts.offline });
  const { envName, data } = view;
  const notes: string[] = [];
  if (view.aws.note) notes.push(view.aws.note);
  if (view.source === 'state-bucket')
    notes.push(
      view.remote?.derived
        ? `Ledger read from the state bucket (${view.remote.where}): this folder has no local ledger with bootstrap done.`
        : `Ledger read from the state bucket${view.remote ? ` (${view.remote.where})` : ''}: it is newer than the local copy.`,
    );
  if (opts.kind === 'golive' && !goliveRan({ ledger: data }))
    throw new BlockedError(
      `No go-live check has run for environment ${envName} yet: the ledger holds no golive verdict to report.`,
      `Run the checks first: dpf deploy --env ${envName} --phase golive   (then: dpf report golive --env ${envName})`,
    );

  const input = await reportInput(view, ctx);
  const { files, summary } = opts.kind === 'golive' ? goliveFiles(input) : weeklyFiles(input);
  const dir = path.resolve(opts.out ?? path.join(view.loaded.dir, 'reports', envName));
  const written = await writeReportFiles(dir, files, ctx.settings.process);
  const uploaded = await uploadReport(view, files, opts, notes);
  printReport(ctx, opts, view, { written, uploaded, summary, notes });
}

interface Rendered {
  files: ReportFile[];
  summary: Record<string, unknown>;
}

/** What a report is built from: the ledger, the config, and the architecture (live when AWS answers). */
async function reportInput(view: LedgerView, ctx: CommandContext): Promise<ReportInput> {
  const { envName, data } = view;
  let architecture = architectureFromLedger(data);
  if (view.ports) {
    try {
      architecture = await enrichLive(architecture, await withTimeout(view.ports.ops(), LIVE_TIMEOUT_MS, 'AWS SDK'), envName, LIVE_TIMEOUT_MS);
    } catch (err) {
      architecture.notes.push(`live describe calls skipped: ${errorMessage(err)}`);
    }
  }
  return {
    project: view.loaded.config.project,
    env: envName,
    region: view.region,
    accountId: view.aws.accountId ?? data.facts.accountId,
    config: view.env,
    ledger: data,
    steps: stepGraph(view.env),
    now: ctx.clock.now(),
    architecture,
  };
}

function goliveFiles(input: ReportInput): Rendered {
  const r = buildGoliveReport(input);
  const files: ReportFile[] = [
    { name: 'golive-readiness.md', body: renderGoliveMarkdown(r), contentType: 'text/markdown; charset=utf-8' },
    { name: 'golive-readiness.json', body: `${JSON.stringify(r, null, 2)}\n`, contentType: 'application/json' },
    { name: 'golive-readiness.html', body: renderGoliveHtml(r), contentType: 'text/html; charset=utf-8' },
  ];
  const summary: Record<string, unknown> = {
    readiness: r.readiness,
    counts: r.counts,
    securityCompliance: r.securityCompliance.percent,
    lastCheckedAt: r.lastCheckedAt,
  };
  return { files, summary };
}

function weeklyFiles(input: ReportInput): Rendered {
  const r = buildWeeklyReport(input);
  const base = `weekly-week${String(r.week).padStart(2, '0')}-${r.generatedAt.slice(0, 10)}`;
  const files: ReportFile[] = [
    { name: `${base}.md`, body: renderWeeklyMarkdown(r), contentType: 'text/markdown; charset=utf-8' },
    { name: `${base}.json`, body: `${JSON.stringify(r, null, 2)}\n`, contentType: 'application/json' },
    { name: `${base}.html`, body: renderWeeklyHtml(r), contentType: 'text/html; charset=utf-8' },
  ];
  const summary: Record<string, unknown> = {
    week: r.week,
    readiness: r.readiness,
    headline: r.headline,
    progress: r.progress,
    schedule: r.schedule,
    securityCompliance: r.metrics.securityCompliance?.percent ?? null,
    completedThisWeek: r.completed.map((c) => c.phase),
  };
  return { files, summary };
}

/** Copies the files to the state bucket once bootstrap is done; what could not be copied becomes a note. */
async function uploadReport(view: LedgerView, files: ReportFile[], opts: ReportOptions, notes: string[]): Promise<string[]> {
  const { envName, data } = view;
  const uploaded: string[] = [];
  const bucket = data.steps['bootstrap.state']?.status === 'done' ? data.steps['bootstrap.state']!.outputs.StateBucketName : undefined;
  if (view.ports && bucket) {
    try {
      uploaded.push(...(await withTimeout(uploadReportFiles(await view.ports.objects(), bucket, envName, files), LIVE_TIMEOUT_MS * 2, 'S3')));
    } catch (err) {
      notes.push(`The report was not copied to s3://${bucket}/reports/${envName}/ (${errorMessage(err)}); the local files are complete.`);
    }
  } else if (!bucket) notes.push('Bootstrap is not done: the report stays local (no state bucket yet).');
  else if (opts.offline) notes.push(`--offline: not copied to s3://${bucket}/reports/${envName}/.`);
  return uploaded;
}

function printReport(
  ctx: CommandContext,
  opts: ReportOptions,
  view: LedgerView,
  { written, uploaded, summary, notes }: { written: string[]; uploaded: string[]; summary: Record<string, unknown>; notes: string[] },
): void {
  const { envName } = view;
  if (ctx.globals.json) {
    ctx.stdout(
      JSON.stringify(
        { files: written, uploaded, summary, notes, ledger: { source: view.source, ...(view.remote ? { remote: view.remote.where } : {}) } },
        null,
        2,
      ),
    );
    return;
  }
  const lines = [
    `${opts.kind === 'golive' ? 'Go-live readiness report' : 'Weekly executive summary'} for ${envName}:`,
    ...written.map((f) => `  ${f}`),
    ...uploaded.map((u) => `  ${u}`),
  ];
  if (opts.kind === 'golive')
    lines.push(
      `Readiness: ${String(summary.readiness)} (${Object.entries(summary.counts as Record<string, number>)
        .filter(([, n]) => n)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')})`,
    );
  else lines.push(`Week ${String(summary.week)}: ${String(summary.headline)}`);
  for (const n of notes) lines.push(`note: ${n}`);
  ctx.stdout(lines.join('\n'));
}
