/** Small Markdown helpers shared by the report renderers. */
import type { CheckStatus } from '../checks/types.js';

/** Escape table-breaking characters in a cell (pipes, newlines). */
export function cell(s: string | number | undefined): string {
  return String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

export function table(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  return [`| ${headers.map(cell).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** A fenced block; the fence is longer than any run of backticks in the body (host output may hold some). */
export function fence(lang: string, body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}${lang}\n${body}\n${f}`;
}

export const STATUS_MARK: Record<CheckStatus | 'not-run', string> = {
  pass: '✅ pass',
  warn: '⚠️ warn',
  unknown: '❔ unknown',
  fail: '❌ fail',
  'not-run': '⏸ not run',
};

export function pct(n: number, d: number): number {
  return d ? Math.round((n / d) * 100) : 0;
}

/** "2025-07-01 14:03 UTC" */
export function when(iso: string | Date | undefined): string {
  if (!iso) return '-';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
