/**
 * The DR drill report (pure): the result object printed by `dpf dr-drill --json` and stored as
 * JSON, its Markdown rendering with a chart of achieved against target (a Mermaid xychart-beta
 * for viewers that draw it, and the same numbers as an ASCII bar chart that reads anywhere), and
 * an HTML page with the chart pre-rendered to SVG. Every chart tells met, missed and not measured
 * apart: an unmeasured value is never drawn as a zero bar (which reads as "instant").
 */
import { fmt, type StoreResult } from './rto-rpo.js';
import { drillSvg, type DrillBar } from '../reports/svg.js';
import { esc, figure, page } from '../reports/html.js';

export type CheckStatus = 'ok' | 'failed' | 'unknown';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface DrillResult {
  /** Marks the result line among NDJSON events in --json mode. */
  type: 'result';
  command: 'dr-drill';
  operationId: string;
  env: string;
  project: string;
  region: string;
  scope: 'restore' | 'full';
  /** true: every store measured and within target; false: something missed or failed; null: not everything could be measured. */
  passed: boolean | null;
  verdict: string;
  startedAt: string;
  finishedAt: string;
  drillName: string;
  stores: StoreResult[];
  /** scope full: the stacks recreated in the DR region and the database restored there, against the full-recovery RTO. */
  environment?: { region: string; rtoSeconds: number | null; rtoTargetSeconds: number; passed: boolean | null; stacks: string[]; reason?: string };
  canary: { writtenAt?: string; database: CheckStatus; fileSystem: CheckStatus; detail: string[] };
  checks: Check[];
  isolation: { securityGroupId?: string; ingressRules: number; egressRevoked: boolean };
  teardown: { kept: boolean; deleted: string[]; left: string[] };
  costEstimateUsd: number;
  maxCostUsd: number;
  maxMinutes: number;
  aborted?: string;
  notes: string[];
  report: string;
  reportJson: string;
  uploaded?: string;
}

export function verdictText(passed: boolean | null, stores: StoreResult[], aborted?: string, environment?: DrillResult['environment']): string {
  if (aborted) return `NOT PASSED: ${aborted}`;
  if (passed === true) return 'PASSED: every data store was restored, validated and within its RTO and RPO targets';
  const env = environment ? [{ name: `environment (${environment.region})`, passed: environment.passed, reason: environment.reason }] : [];
  const all = [...stores, ...env];
  const failed = all.filter((s) => s.passed === false).map((s) => `${s.name}: ${s.reason}`);
  const unknown = all.filter((s) => s.passed === null).map((s) => `${s.name}: ${s.reason}`);
  if (passed === false) return `NOT PASSED: ${failed.join('; ') || 'a check failed'}`;
  return `NOT FULLY MEASURED (not a pass): ${unknown.join('; ')}`;
}

const mark = (p: boolean | null) => (p === true ? 'met' : p === false ? 'MISSED' : 'not measured');

function bars(r: DrillResult): DrillBar[] {
  const out: DrillBar[] = [];
  const bar = (label: string, achieved: number | null, target: number): DrillBar => ({
    label,
    achieved,
    target,
    text: achieved === null ? `target ${fmt(target)}` : `${fmt(achieved)} / target ${fmt(target)}`,
  });
  for (const s of r.stores) out.push(bar(`${s.name} RTO`, s.rtoSeconds, s.rtoTargetSeconds), bar(`${s.name} RPO`, s.rpoSeconds, s.rpoTargetSeconds));
  if (r.environment) out.push(bar('environment RTO', r.environment.rtoSeconds, r.environment.rtoTargetSeconds));
  return out;
}

const pctOf = (x: DrillBar) => (x.achieved === null ? 0 : Math.round((x.achieved / x.target) * 1000) / 10);

/**
 * Achieved as a share of target (so an 8 h target and a 15 min target fit one chart): a green
 * series for met targets, a red one for missed, and no bar at all for what was not measured (it
 * is named under the chart instead).
 */
export function mermaidChart(r: DrillResult): string {
  const b = bars(r);
  const measured = b.filter((x) => x.achieved !== null);
  const unmeasured = b.filter((x) => x.achieved === null);
  const note = unmeasured.length ? `\n\nNot measured (no bar — not a zero): ${unmeasured.map((x) => x.label).join(', ')}.` : '';
  if (!measured.length) return `_Nothing could be measured: no chart._${note}`;
  const max = Math.max(100, ...measured.map(pctOf));
  return (
    [
      '```mermaid',
      '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1a7f37, #cf222e, #57606a"}}}}%%',
      'xychart-beta',
      `    title "Achieved as % of target (100 = target): green met, red missed"`,
      `    x-axis [${measured.map((x) => `"${x.label}"`).join(', ')}]`,
      `    y-axis "% of target" 0 --> ${Math.ceil(max / 10) * 10}`,
      `    bar [${measured.map((x) => (x.achieved! <= x.target ? pctOf(x) : 0)).join(', ')}]`,
      `    bar [${measured.map((x) => (x.achieved! > x.target ? pctOf(x) : 0)).join(', ')}]`,
      `    line [${measured.map(() => 100).join(', ')}]`,
      '```',
    ].join('\n') + note
  );
}

/** One row per metric: a bar of achieved/target, `|` at the target (width 40 = 200 %), and its verdict. */
export function asciiChart(r: DrillResult, width = 40): string {
  const b = bars(r);
  const labelW = Math.max(...b.map((x) => x.label.length), 5);
  const at = Math.round(width / 2);
  const lines = b.map((x) => {
    if (x.achieved === null) return `${x.label.padEnd(labelW)} ${'·'.repeat(at)}|${' '.repeat(width - at)}  ? not measured (target ${fmt(x.target)})`;
    const n = Math.min(width, Math.round((x.achieved / x.target) * at));
    const cells = Array.from({ length: width + 1 }, (_, i) => (i === at ? '|' : i < n ? '█' : ' ')).join('');
    const over = x.achieved > x.target * 2 ? '▶' : ' ';
    return `${x.label.padEnd(labelW)} ${cells}${over} ${x.achieved > x.target ? '✖ MISSED' : '✔ met'} ${fmt(x.achieved)} / target ${fmt(x.target)}`;
  });
  return [`${''.padEnd(labelW)} ${'0'.padEnd(at)}|target${' '.repeat(Math.max(0, width - at - 6))}2x`, ...lines].join('\n');
}

/** The drill report as one self-contained HTML page (the chart as inline SVG). */
export function renderHtml(r: DrillResult): string {
  const o: string[] = [];
  const verdictClass = r.passed === true ? 'pass' : r.passed === false ? 'fail' : 'unknown';
  o.push(`<p class="headline"><strong class="${verdictClass}">Verdict: ${esc(r.verdict)}</strong></p>`);
  o.push(
    `<p>Started ${esc(r.startedAt)} · finished ${esc(r.finishedAt)} · region ${esc(r.region)}${r.environment ? `, DR region ${esc(r.environment.region)}` : ''} · drill resources <code>${esc(r.drillName)}-*</code> · caps ${r.maxMinutes} min, ${r.maxCostUsd} USD (estimate ${r.costEstimateUsd.toFixed(2)} USD)</p>`,
  );
  o.push('<h2>Achieved against target</h2>');
  o.push(figure(drillSvg(bars(r)), 'Achieved as a share of its target: green met, red missed, dashed "not measured" (no value, not a zero).'));
  o.push('<table><thead><tr><th>store</th><th>RTO achieved</th><th>RTO target</th><th>RPO achieved</th><th>RPO target</th><th>result</th></tr></thead><tbody>');
  for (const s of r.stores)
    o.push(
      `<tr><td>${esc(s.name)}</td><td>${esc(fmt(s.rtoSeconds))} (${mark(s.rtoPassed)})</td><td>${esc(fmt(s.rtoTargetSeconds))}</td><td>${esc(fmt(s.rpoSeconds))} (${mark(s.rpoPassed)})</td><td>${esc(fmt(s.rpoTargetSeconds))}</td><td class="${s.passed === true ? 'pass' : s.passed === false ? 'fail' : 'unknown'}">${s.passed === true ? 'passed' : s.passed === false ? 'FAILED' : 'not measured'}${s.reason ? `: ${esc(s.reason)}` : ''}</td></tr>`,
    );
  o.push('</tbody></table>');
  o.push(
    '<h2>Canary data</h2>',
    `<p>Written ${esc(r.canary.writtenAt ?? '(not written)')}: database ${esc(r.canary.database)}, file system ${esc(r.canary.fileSystem)}.</p>`,
    `<ul>${r.canary.detail.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>`,
  );
  o.push(
    '<h2>Validation checks</h2>',
    `<table><thead><tr><th>check</th><th>status</th><th>detail</th></tr></thead><tbody>${r.checks.map((c) => `<tr><td>${esc(c.name)}</td><td>${esc(c.status)}</td><td>${esc(c.detail)}</td></tr>`).join('')}</tbody></table>`,
  );
  o.push(
    '<h2>Isolation</h2>',
    `<p>Security group ${esc(r.isolation.securityGroupId ?? '(none)')}: ${r.isolation.ingressRules} ingress rule(s), egress ${r.isolation.egressRevoked ? 'revoked' : 'NOT revoked'}.</p>`,
  );
  o.push(
    '<h2>Teardown</h2>',
    `<ul>${[...r.teardown.deleted.map((d) => `<li>deleted: ${esc(d)}</li>`), ...r.teardown.left.map((d) => `<li><strong>left behind</strong>: ${esc(d)}</li>`)].join('')}</ul>`,
  );
  if (r.notes.length) o.push('<h2>Notes</h2>', `<ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  return page(`DR drill ${r.operationId}: ${r.project}/${r.env} (scope ${r.scope})`, o);
}

export function renderMarkdown(r: DrillResult): string {
  const L: string[] = [];
  L.push(`# DR drill ${r.operationId}: ${r.project}/${r.env} (scope ${r.scope})`, '');
  L.push(`**Verdict: ${r.verdict}**`, '');
  L.push(`| | |`, `|---|---|`);
  L.push(
    `| started | ${r.startedAt} |`,
    `| finished | ${r.finishedAt} |`,
    `| region | ${r.region}${r.environment ? `, DR region ${r.environment.region}` : ''} |`,
  );
  L.push(`| drill resources | \`${r.drillName}-*\` |`, `| caps | ${r.maxMinutes} min, ${r.maxCostUsd} USD (estimate ${r.costEstimateUsd.toFixed(2)} USD) |`);
  if (r.aborted) L.push(`| aborted | ${r.aborted} |`);
  L.push('', '## Achieved against target', '');
  L.push('| store | RTO achieved | RTO target | RPO achieved | RPO target | result |', '|---|---|---|---|---|---|');
  for (const s of r.stores)
    L.push(
      `| ${s.name} | ${fmt(s.rtoSeconds)} (${mark(s.rtoPassed)}) | ${fmt(s.rtoTargetSeconds)} | ${fmt(s.rpoSeconds)} (${mark(s.rpoPassed)}) | ${fmt(s.rpoTargetSeconds)} | ${s.passed === true ? 'passed' : s.passed === false ? '**FAILED**' : '**not measured**'}${s.reason ? `: ${s.reason}` : ''} |`,
    );
  if (r.environment)
    L.push(
      `| environment (${r.environment.region}) | ${fmt(r.environment.rtoSeconds)} (${mark(r.environment.passed)}) | ${fmt(r.environment.rtoTargetSeconds)} | n/a | n/a | ${r.environment.passed === true ? 'passed' : r.environment.passed === false ? '**FAILED**' : '**not measured**'}${r.environment.reason ? `: ${r.environment.reason}` : ''} |`,
    );
  L.push(
    '',
    `RTO: drill start → restored copy validated. RPO: drill start → newest data in the restore (RDS: latest restorable time of the source; EFS: recovery point creation time${r.environment ? '; DR-region database: creation time of the snapshot copied there' : ''}).`,
    '',
  );
  L.push(mermaidChart(r), '', '```text', asciiChart(r), '```', '');
  const unmeasured = r.stores.filter((s) => s.passed === null);
  if (unmeasured.length) {
    L.push('## Not measured', '', 'These were NOT verified by this drill and are not counted as a pass:', '');
    for (const s of unmeasured) L.push(`- **${s.name}**: ${s.reason}`);
    L.push('');
  }
  L.push('## Canary data', '', `Written ${r.canary.writtenAt ?? '(not written)'}: database ${r.canary.database}, file system ${r.canary.fileSystem}.`, '');
  for (const d of r.canary.detail) L.push(`- ${d}`);
  L.push('', '## Validation checks', '', '| check | status | detail |', '|---|---|---|');
  for (const c of r.checks) L.push(`| ${c.name} | ${c.status} | ${c.detail.replace(/\|/g, '\\|')} |`);
  L.push('', '## Isolation', '');
  L.push(
    `Security group ${r.isolation.securityGroupId ?? '(none)'}: ${r.isolation.ingressRules} ingress rule(s), egress ${r.isolation.egressRevoked ? 'revoked' : 'NOT revoked'}; no production group may reach the drill copies.`,
    '',
  );
  L.push('## Teardown', '');
  if (r.teardown.kept) L.push('Kept for inspection (--keep). Remove with `dpf dr-drill --env ' + r.env + ' --teardown`.', '');
  for (const d of r.teardown.deleted) L.push(`- deleted: ${d}`);
  for (const d of r.teardown.left) L.push(`- **left behind**: ${d}`);
  if (r.notes.length) {
    L.push('', '## Notes', '');
    for (const n of r.notes) L.push(`- ${n}`);
  }
  L.push('');
  return L.join('\n');
}
