/**
 * The go-live readiness report as one self-contained HTML page, for readers without a Markdown
 * viewer (steering committee, auditors): the same content as the Markdown, inline CSS, no script,
 * no external asset. Mermaid cannot be rendered without loading mermaid.js, so the Gantt chart and
 * the architecture diagram are shown as their Mermaid source (paste into mermaid.live or any
 * Mermaid-aware viewer); the phase table next to the Gantt chart carries the same dates.
 */
import { checklistText, evidenceText, startSource, type GoliveReport } from './golive.js';
import { STATUS_MARK, when } from './render-md.js';

/** Text for HTML element content and attribute values. */
export function esc(s: string | number | undefined): string {
  return String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function table(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:75rem;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.6rem;overflow-x:auto;font-size:.85em}code{font-size:.9em}
.pass{color:#1a7f37}.warn{color:#9a6700}.unknown{color:#57606a}.fail{color:#cf222e}.not-run{color:#57606a}h3{margin-top:1.6rem}`;

export function renderGoliveHtml(r: GoliveReport): string {
  const o: string[] = [];
  const title = `Go-live readiness report — ${r.project} / ${r.env}`;
  o.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', `<title>${esc(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  o.push(`<h1>${esc(title)}</h1>`);
  o.push(`<p>Generated ${esc(when(r.generatedAt))} · region ${esc(r.region)}${r.accountId ? ` · account ${esc(r.accountId)}` : ''} · checks last ran ${esc(when(r.lastCheckedAt))}</p>`);
  o.push(
    `<p><strong>Readiness: ${esc(r.readiness)}</strong> — ${r.counts.pass} pass, ${r.counts.warn} warn, ${r.counts.unknown} unknown, ${r.counts.fail} fail${r.counts['not-run'] ? `, ${r.counts['not-run']} not run` : ''} (${r.checks.length} checks). Security compliance ${r.securityCompliance.percent}% (${r.securityCompliance.passed} of ${r.securityCompliance.total} security checks passed).</p>`,
  );
  o.push('<p>"unknown" means dpf could not verify the criterion (the reason is given); it is never counted as a pass. A failing check fails the golive phase.</p>');

  o.push('<h2>Implementation Readiness Checklist</h2>');
  for (const section of r.checklist) {
    o.push(`<h3>${esc(section.title)}</h3>`);
    for (const g of section.groups) {
      o.push(`<h4>${esc(g.title)}</h4>`);
      o.push(
        table(
          ['Checklist item', 'Verdict', 'Verified by / evidence'],
          g.lines.map((l) => [
            `${l.text}${l.note ? ` (${l.note})` : ''}`,
            l.status === 'manual' ? 'manual sign-off' : STATUS_MARK[l.status],
            l.status === 'manual' ? (l.evidence ? `dpf: ${l.evidence}` : '') : l.checks.map((c) => `${c.id} (${c.status})`).join(', '),
          ]),
        ),
      );
    }
  }

  o.push('<h2>Checks</h2>');
  o.push(table(['Check', 'Verdict', 'Summary', 'Ran at'], r.checks.map((c) => [c.id, STATUS_MARK[c.status], c.summary ?? '', when(c.checkedAt)])));
  for (const c of r.checks) {
    o.push(`<h3 id="${esc(c.id)}"><span class="${esc(c.status)}">${esc(STATUS_MARK[c.status])}</span> — ${esc(c.title)} (<code>${esc(c.id)}</code>)</h3>`, '<ul>');
    o.push(`<li>Category: ${esc(c.category)}; checklist: ${esc(checklistText(c.checklist))}</li>`);
    o.push(`<li>Criterion: ${esc(c.criterion)}</li>`);
    o.push(`<li>Verdict: <strong>${esc(c.status)}</strong>${c.summary ? ` — ${esc(c.summary)}` : ''}</li>`);
    o.push(`<li>Ran at: ${esc(when(c.checkedAt))}${c.stepStatus === 'failed' ? ' (the step is failed: the golive phase is not done)' : ''}</li>`);
    if (c.hint && c.status !== 'pass') o.push(`<li>What to do: ${esc(c.hint)}</li>`);
    if (c.status === 'not-run') o.push(`<li>Run it: <code>dpf deploy --env ${esc(r.env)} --phase golive</code></li>`);
    o.push('</ul>');
    const ev = evidenceText(c.evidence);
    if (ev) o.push(`<details><summary>Evidence</summary><pre>${esc(ev)}</pre></details>`);
  }

  o.push("<h2>Timeline: the platform specification's plan against what happened</h2>");
  o.push(`<p>Week 1 started ${esc(r.schedule.planStart)} (${esc(startSource(r.schedule.planStartSource))}); now in week ${r.schedule.week}; overall: <strong>${esc(r.schedule.overall)}</strong>.</p>`);
  o.push(
    table(
      ['Phase', 'Planned', 'Actual', 'Status', 'Schedule'],
      r.schedule.phases.map((p) => [p.title, `${p.plannedStart} → ${p.plannedEnd}`, p.actualStart ? `${when(p.actualStart)} → ${p.actualEnd ? when(p.actualEnd) : '…'}` : 'not started', p.status, `${p.schedule}${p.reason ? ` (${p.reason})` : ''}`]),
    ),
  );
  o.push('<p>Gantt chart, as Mermaid source (this page loads no script; render it in any Mermaid viewer):</p>', `<pre class="mermaid-source">${esc(r.diagrams.gantt)}</pre>`);

  o.push('<h2>Architecture as deployed</h2>');
  o.push(`<p>Drawn from ${r.architecture.source === 'ledger' ? "the ledger's step outputs" : "the ledger's step outputs and live describe calls"}; Mermaid source:</p>`);
  o.push(`<pre class="mermaid-source">${esc(r.diagrams.architecture)}</pre>`);
  if (r.architecture.notes.length) o.push(`<ul>${r.architecture.notes.map((n) => `<li>note: ${esc(n)}</li>`).join('')}</ul>`);

  o.push('<h2>Risk register</h2>');
  o.push(table(['Category', 'Risk', 'Probability', 'Impact', 'Mitigation'], r.risks.map((k) => [k.category, k.description, k.probability, k.impact, k.mitigation])));
  o.push('</body>', '</html>', '');
  return o.join('\n');
}
