/**
 * The human view of `dpf status` (src/status/facts.ts gathers what it shows): the phases and
 * their steps as a table that fits the terminal, the live facts, what is next. It loads no
 * terminal library (plain ANSI from ./paint.ts, its own columns), so the fast entry
 * (src/fast-entry.ts) draws it within a bare node start (issue 14).
 */
import type { PhaseStatusView, StatusModel } from '../steps/status-model.js';
import type { LiveFacts, StatusFacts } from '../status/facts.js';
import { makePaint, paintState, type Paint } from './paint.js';
import { formatDuration as duration } from '../duration.js';
import { stateClass } from '../io/events.js';

/** The status screen, `width` columns wide (at least 60). */
export function renderStatus(s: StatusFacts, o: { color: boolean | number; width?: number; now: Date }): string {
  const { doc, model, view, facts } = s;
  const envName = doc.env;
  const region = doc.region;
  const lock = { stale: s.lockStale };
  const width = Math.max(60, o.width ?? 120);
  const now = o.now;
  const c = makePaint(o.color);
  const lines: string[] = [];
  lines.push(
    `${c.bold(`${doc.project}/${envName}`)} in ${region}${doc.accountId ? ` (account ${doc.accountId})` : ''} — ${model.progress.done}/${model.progress.total} steps done (${model.progress.percent}%)`,
  );
  if (view.awsNote) lines.push(c.yellow(`⚠ ${view.awsNote}`));
  if (view.source === 'state-bucket')
    lines.push(
      c.yellow(
        view.remote?.derived
          ? `Ledger read from the state bucket (${view.remote.where}): this folder has no local ledger with bootstrap done (read only; the next dpf deploy here adopts it).`
          : `Ledger read from the state bucket${view.remote ? ` (${view.remote.where})` : ''}: another operator ran more recently than this machine.`,
      ),
    );
  if (doc.lock)
    lines.push(
      c.yellow(
        `🔒 locked by ${doc.lock.identity} on ${doc.lock.host} (pid ${doc.lock.pid}) running "${doc.lock.command}" since ${doc.lock.since}${lock.stale ? ` — looks stale: ${lock.stale}` : ''}`,
      ),
    );
  lines.push(stepTable(c, model.phases, now, width));
  for (const p of model.phases)
    for (const s of p.steps) if (s.error) lines.push(c.red(`✖ ${s.id}: ${s.error.message}${s.error.rootCause ? `\n  ${s.error.rootCause}` : ''}`));

  lines.push(...liveLines(c, facts, model.checks, envName, width));
  if (model.next.length) {
    const byId = new Map(model.phases.flatMap((p) => p.steps).map((s) => [s.id, s]));
    lines.push(c.bold('Next:'));
    for (const n of model.next)
      lines.push(
        n.runnable
          ? `  ${c.green('▶')} ${n.id} — ${byId.get(n.id)?.interrupted ? 'interrupted: ready to resume' : 'ready'}`
          : `  ${c.gray('○')} ${n.id} — waits for ${fitList(
              n.waitingFor.map((w) => `${w} (${byId.get(w)?.interrupted ? 'interrupted' : (byId.get(w)?.status ?? 'not in the graph')})`),
              width - n.id.length - 18,
            )}`,
      );
    const phase = model.next.find((n) => n.runnable)?.id.split('.')[0];
    lines.push(`  run: dpf deploy --env ${envName}${phase ? `   (or only that phase: dpf deploy --env ${envName} --phase ${phase})` : ''}`);
  } else lines.push(c.green('Every step is done.'));
  return lines.join('\n');
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

/** "16:39→16:40", with the date of a time that is not today (UTC). */
function span(from: string | undefined, to: string | undefined, now: Date): string {
  const today = now.toISOString().slice(0, 10);
  const at = (iso: string, sameDayAs?: string) => (iso.slice(0, 10) === (sameDayAs ?? today) ? iso.slice(11, 16) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`);
  if (!from) return to ? `→${at(to)}` : '';
  return `${at(from)}→${to ? at(to, from.slice(0, 10)) : ''}`;
}

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
        const dr = s.stack.drift
          ? ` ${s.stack.drift === 'DRIFTED' ? c.red('DRIFTED') : s.stack.drift === 'IN_SYNC' ? c.green('IN_SYNC') : c.gray(`drift ${s.stack.drift}`)}`
          : '';
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
  const colWidths = [...widths.slice(0, -1), lastWidth];
  return [head.map((h) => c.gray(h)), ...rows]
    .map((row) =>
      row
        .map((cell, i) => {
          const room = colWidths[i]! - PAD;
          const fitted = i === row.length - 1 ? fitAnsi(cell, room) : cell;
          return fitted + ' '.repeat(Math.max(0, room - stripAnsi(fitted).length) + PAD);
        })
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * `text` (with colour codes) cut to `room` visible characters, with an ellipsis; a style still
 * open where it is cut is closed first (as cli-table3, which drew this table before, did).
 */
export function fitAnsi(text: string, room: number): string {
  if ([...stripAnsi(text)].length <= room) return text;
  let out = '';
  let shown = 0;
  const open = { bold: false, fg: false };
  for (const part of text.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith('\u001b[')) {
      const code = Number(part.slice(2, -1).split(';')[0] || 0);
      if (code === 1 || code === 22) open.bold = code === 1;
      else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97) || code === 39) open.fg = code !== 39;
      else if (code === 0) Object.assign(open, { bold: false, fg: false });
      out += part;
      continue;
    }
    const chars = [...part];
    const take = Math.min(chars.length, room - 1 - shown);
    out += chars.slice(0, take).join('');
    shown += take;
    if (shown >= room - 1) break;
  }
  return `${out}${open.bold ? '\u001b[22m' : ''}${open.fg ? '\u001b[39m' : ''}…`;
}

function verdictColor(c: Paint, s: string): string {
  return s === 'pass' ? c.green(s) : s === 'fail' ? c.red(s) : s === 'warn' ? c.yellow(s) : c.gray(s);
}

const oneLine = (t: string) => t.replace(/\s*\n\s*/g, ' ');

/** Cut `text` (no colour codes) to `max` characters, with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

export function liveLines(c: Paint, f: LiveFacts, checks: StatusModel['checks'], env: string, width = 120): string[] {
  const out: string[] = [];
  const stacks = Object.entries(f.drift.stacks);
  if (stacks.length) {
    const drifted = stacks.filter(([, d]) => d.drift === 'DRIFTED').map(([n]) => n);
    const unknown = stacks.filter(([, d]) => d.drift !== 'DRIFTED' && d.drift !== 'IN_SYNC').map(([n]) => n);
    const at = stacks[0]![1].checkedAt?.slice(0, 16).replace('T', ' ');
    const from = f.drift.source === 'live' ? 'detected now' : `last golive run${at ? `, ${at}` : ''}`;
    out.push(
      `Drift (${from}): ${drifted.length ? c.red(`DRIFTED ${drifted.join(', ')}`) : c.green('no stack drifted')}${unknown.length ? c.gray(`; unknown for ${unknown.length} stack(s)`) : ''}`,
    );
  } else out.push(c.gray('Drift: not checked yet (dpf deploy --phase golive, or dpf status --drift)'));
  if (f.nodes)
    out.push(
      `Nodes online (SSM): ${f.nodes.online}/${f.nodes.total}${f.nodes.offline.length ? c.red(` — not online: ${f.nodes.offline.map((n) => `${n.instanceId} (${n.role ?? '?'}, ${n.pingStatus})`).join(', ')}`) : ''}`,
    );
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
