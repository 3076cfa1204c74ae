/**
 * The DR drill report (pure): the result object printed by `dpf dr-drill --json` and stored as
 * JSON, and its Markdown rendering with a chart of achieved against target (a Mermaid
 * xychart-beta for viewers that draw it, and the same numbers as an ASCII bar chart that
 * reads anywhere).
 */
import { fmt, type StoreResult } from './rto-rpo.js';

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
const mins = (s: number | null) => (s === null ? 0 : Math.round((s / 60) * 10) / 10);

interface Bar {
  label: string;
  achieved: number | null;
  target: number;
}

function bars(r: DrillResult): Bar[] {
  const out: Bar[] = [];
  for (const s of r.stores) {
    out.push({ label: `${s.name} RTO`, achieved: s.rtoSeconds, target: s.rtoTargetSeconds });
    out.push({ label: `${s.name} RPO`, achieved: s.rpoSeconds, target: s.rpoTargetSeconds });
  }
  if (r.environment) out.push({ label: 'environment RTO', achieved: r.environment.rtoSeconds, target: r.environment.rtoTargetSeconds });
  return out;
}

/** Achieved as a share of target (so an 8 h target and a 15 min target fit one chart). */
export function mermaidChart(r: DrillResult): string {
  const b = bars(r);
  const pct = (x: Bar) => (x.achieved === null ? 0 : Math.round((x.achieved / x.target) * 1000) / 10);
  const max = Math.max(100, ...b.map(pct));
  return [
    '```mermaid',
    'xychart-beta',
    `    title "Achieved as % of target (100 = target; not measured = 0)"`,
    `    x-axis [${b.map((x) => `"${x.label}"`).join(', ')}]`,
    `    y-axis "% of target" 0 --> ${Math.ceil(max / 10) * 10}`,
    `    bar [${b.map(pct).join(', ')}]`,
    `    line [${b.map(() => 100).join(', ')}]`,
    '```',
  ].join('\n');
}

/** One row per metric: a bar of achieved/target, `|` at the target (width 40 = 200 %). */
export function asciiChart(r: DrillResult, width = 40): string {
  const b = bars(r);
  const labelW = Math.max(...b.map((x) => x.label.length), 5);
  const at = Math.round(width / 2);
  const lines = b.map((x) => {
    if (x.achieved === null) return `${x.label.padEnd(labelW)} ${' '.repeat(at)}|${' '.repeat(width - at)}  not measured (target ${fmt(x.target)})`;
    const n = Math.min(width, Math.round((x.achieved / x.target) * at));
    const cells = Array.from({ length: width + 1 }, (_, i) => (i === at ? '|' : i < n ? '█' : ' ')).join('');
    const over = x.achieved > x.target * 2 ? '▶' : ' ';
    return `${x.label.padEnd(labelW)} ${cells}${over} ${fmt(x.achieved)} / target ${fmt(x.target)}${x.achieved > x.target ? '  MISSED' : ''}`;
  });
  return [`${''.padEnd(labelW)} ${'0'.padEnd(at)}|target${' '.repeat(Math.max(0, width - at - 6))}2x`, ...lines].join('\n');
}

export function renderMarkdown(r: DrillResult): string {
  const L: string[] = [];
  L.push(`# DR drill ${r.operationId}: ${r.project}/${r.env} (scope ${r.scope})`, '');
  L.push(`**Verdict: ${r.verdict}**`, '');
  L.push(`| | |`, `|---|---|`);
  L.push(`| started | ${r.startedAt} |`, `| finished | ${r.finishedAt} |`, `| region | ${r.region}${r.environment ? `, DR region ${r.environment.region}` : ''} |`);
  L.push(`| drill resources | \`${r.drillName}-*\` |`, `| caps | ${r.maxMinutes} min, ${r.maxCostUsd} USD (estimate ${r.costEstimateUsd.toFixed(2)} USD) |`);
  if (r.aborted) L.push(`| aborted | ${r.aborted} |`);
  L.push('', '## Achieved against target', '');
  L.push('| store | RTO achieved | RTO target | RPO achieved | RPO target | result |', '|---|---|---|---|---|---|');
  for (const s of r.stores)
    L.push(`| ${s.name} | ${fmt(s.rtoSeconds)} (${mark(s.rtoPassed)}) | ${fmt(s.rtoTargetSeconds)} | ${fmt(s.rpoSeconds)} (${mark(s.rpoPassed)}) | ${fmt(s.rpoTargetSeconds)} | ${s.passed === true ? 'passed' : s.passed === false ? '**FAILED**' : '**not measured**'}${s.reason ? `: ${s.reason}` : ''} |`);
  if (r.environment)
    L.push(`| environment (${r.environment.region}) | ${fmt(r.environment.rtoSeconds)} (${mark(r.environment.passed)}) | ${fmt(r.environment.rtoTargetSeconds)} | n/a | n/a | ${r.environment.passed === true ? 'passed' : r.environment.passed === false ? '**FAILED**' : '**not measured**'}${r.environment.reason ? `: ${r.environment.reason}` : ''} |`);
  L.push('', `RTO: drill start → restored copy validated. RPO: drill start → newest data in the restore (RDS: latest restorable time of the source; EFS: recovery point creation time${r.environment ? '; DR-region database: creation time of the snapshot copied there' : ''}).`, '');
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
  L.push(`Security group ${r.isolation.securityGroupId ?? '(none)'}: ${r.isolation.ingressRules} ingress rule(s), egress ${r.isolation.egressRevoked ? 'revoked' : 'NOT revoked'}; no production group may reach the drill copies.`, '');
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
