/**
 * The reports as self-contained HTML pages, for readers without a Markdown viewer (steering
 * committee, auditors): the same content as the Markdown, inline CSS, no script, no external
 * asset. The charts are pre-rendered to inline SVG (svg.ts): the Gantt chart and the drill chart
 * from the report data, the architecture flowchart from its Mermaid source; each page also keeps
 * the Mermaid source in a collapsed block for anyone who wants to edit the diagram.
 */
import { checklistText, evidenceText, scheduleTable, startSource, type GoliveReport } from './golive.js';
import { STATUS_MARK, when } from './render-md.js';
import { ganttSvg, mermaidFlowchartSvg } from './svg.js';
import type { PhaseTimeline } from './timeline.js';
import type { WeeklyReport } from './weekly.js';

/** Text for HTML element content and attribute values. */
export function esc(s: string | number | undefined): string {
  return String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function table(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:75rem;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.6rem;overflow-x:auto;font-size:.85em}code{font-size:.9em}
.pass{color:#1a7f37}.warn{color:#9a6700}.unknown{color:#57606a}.fail{color:#cf222e}.not-run{color:#57606a}h3{margin-top:1.6rem}
figure{margin:1rem 0;overflow-x:auto}figure svg{max-width:100%;height:auto}.headline{font-size:1.15em;padding:.6rem .8rem;border-left:4px solid #0969da;background:#f6f8fa}`;

/** "; the subnet tiers are in VPC vpc-1 10.0.0.0/16": the SVG draws the tiers, not the box around them. */
function vpcText(mermaid: string): string {
  const label = /subgraph vpc\["([^"]*)"\]/.exec(mermaid)?.[1];
  return label ? `; the subnet tiers are in ${label}` : '';
}

/** A whole page: head, inline CSS, the body's parts. */
export function page(title: string, body: string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${esc(title)}</h1>`,
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** An inline SVG figure, with the Mermaid source it stands for (when there is one) folded below it. */
export function figure(svg: string, caption: string, mermaid?: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption>${mermaid ? `<details><summary>Mermaid source</summary><pre>${esc(mermaid)}</pre></details>` : ''}</figure>`;
}

/** Dates in the JSON reports are strings; the chart wants the timeline back. */
export function timelineOf(
  phases: Array<{
    phase: string;
    title: string;
    plannedStart: string;
    plannedEnd: string;
    actualStart?: string;
    actualEnd?: string;
    status: string;
    schedule: string;
    steps: { done: number; total: number };
  }>,
): PhaseTimeline[] {
  return phases.map((p) => ({
    id: p.phase as PhaseTimeline['id'],
    title: p.title,
    businessValue: '',
    plannedStart: new Date(`${p.plannedStart}T00:00:00Z`),
    plannedEnd: new Date(`${p.plannedEnd}T00:00:00Z`),
    actualStart: p.actualStart ? new Date(p.actualStart) : undefined,
    actualEnd: p.actualEnd ? new Date(p.actualEnd) : undefined,
    status: p.status as PhaseTimeline['status'],
    schedule: p.schedule as PhaseTimeline['schedule'],
    stepsDone: p.steps.done,
    stepsTotal: p.steps.total,
    failedSteps: [],
  }));
}

export function renderGoliveHtml(r: GoliveReport): string {
  const o: string[] = [];
  const title = `Go-live readiness report — ${r.project} / ${r.env}`;
  o.push(
    `<p>Generated ${esc(when(r.generatedAt))} · region ${esc(r.region)}${r.accountId ? ` · account ${esc(r.accountId)}` : ''} · checks last ran ${esc(when(r.lastCheckedAt))}</p>`,
  );
  o.push(
    `<p><strong>Readiness: ${esc(r.readiness)}</strong> — ${r.counts.pass} pass, ${r.counts.warn} warn, ${r.counts.unknown} unknown, ${r.counts.fail} fail${r.counts['not-run'] ? `, ${r.counts['not-run']} not run` : ''} (${r.checks.length} checks). Security compliance ${r.securityCompliance.percent}% (${r.securityCompliance.passed} of ${r.securityCompliance.total} security checks passed).</p>`,
  );
  o.push(
    '<p>"unknown" means dpf could not verify the criterion (the reason is given); it is never counted as a pass. A failing check fails the golive phase.</p>',
  );

  o.push(...checklistHtml(r));

  o.push('<h2>Checks</h2>');
  o.push(
    table(
      ['Check', 'Verdict', 'Summary', 'Ran at'],
      r.checks.map((c) => [c.id, STATUS_MARK[c.status], c.summary ?? '', when(c.checkedAt)]),
    ),
  );
  for (const c of r.checks) o.push(...checkHtml(c, r.env));

  o.push("<h2>Timeline: the platform specification's plan against what happened</h2>");
  o.push(
    `<p>Week 1 started ${esc(r.schedule.planStart)} (${esc(startSource(r.schedule.planStartSource))}); now in week ${r.schedule.week}; overall: <strong>${esc(r.schedule.overall)}</strong>.</p>`,
  );
  o.push(table(...scheduleTable(r)));
  o.push(
    figure(
      ganttSvg(timelineOf(r.schedule.phases), new Date(r.generatedAt)),
      'Plan (grey) against what happened, per phase; the dashed line is today.',
      r.diagrams.gantt,
    ),
  );

  o.push('<h2>Architecture as deployed</h2>');
  o.push(
    figure(
      mermaidFlowchartSvg(r.diagrams.architecture),
      `Drawn from ${r.architecture.source === 'ledger' ? "the ledger's step outputs" : "the ledger's step outputs and live describe calls"}${vpcText(r.diagrams.architecture)}.`,
      r.diagrams.architecture,
    ),
  );
  if (r.architecture.notes.length) o.push(`<ul>${r.architecture.notes.map((n) => `<li>note: ${esc(n)}</li>`).join('')}</ul>`);

  o.push('<h2>Risk register</h2>');
  o.push(
    table(
      ['Category', 'Risk', 'Probability', 'Impact', 'Mitigation'],
      r.risks.map((k) => [k.category, k.description, k.probability, k.impact, k.mitigation]),
    ),
  );
  return page(title, o);
}

/** The platform specification's Implementation Readiness Checklist, each item with its verdict and evidence. */
function checklistHtml(r: GoliveReport): string[] {
  const o: string[] = [];
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
  return o;
}

/** One check: its criterion, verdict, time, what to do, and its evidence. */
function checkHtml(c: GoliveReport['checks'][number], env: string): string[] {
  const o: string[] = [];
  o.push(
    `<h3 id="${esc(c.id)}"><span class="${esc(c.status)}">${esc(STATUS_MARK[c.status])}</span> — ${esc(c.title)} (<code>${esc(c.id)}</code>)</h3>`,
    '<ul>',
  );
  o.push(`<li>Category: ${esc(c.category)}; checklist: ${esc(checklistText(c.checklist))}</li>`);
  o.push(`<li>Criterion: ${esc(c.criterion)}</li>`);
  o.push(`<li>Verdict: <strong>${esc(c.status)}</strong>${c.summary ? ` — ${esc(c.summary)}` : ''}</li>`);
  o.push(`<li>Ran at: ${esc(when(c.checkedAt))}${c.stepStatus === 'failed' ? ' (the step is failed: the golive phase is not done)' : ''}</li>`);
  if (c.hint && c.status !== 'pass') o.push(`<li>What to do: ${esc(c.hint)}</li>`);
  if (c.status === 'not-run') o.push(`<li>Run it: <code>dpf deploy --env ${esc(env)} --phase golive</code></li>`);
  o.push('</ul>');
  const ev = evidenceText(c.evidence);
  if (ev) o.push(`<details><summary>Evidence</summary><pre>${esc(ev)}</pre></details>`);
  return o;
}

/** The weekly executive summary: the readiness headline, the week's work, risks, metrics, both charts. */
export function renderWeeklyHtml(r: WeeklyReport): string {
  const o: string[] = [];
  const title = `AWS Data Platform Foundation — Week ${r.week} Progress Report`;
  o.push(
    `<p>${esc(r.project)} / ${esc(r.env)} · period ${esc(when(r.period.from))} → ${esc(when(r.period.to))} · week 1 started ${esc(r.planStart)} (${esc(startSource(r.planStartSource))})</p>`,
  );
  o.push(`<p class="headline"><strong>${esc(r.headline.split(' — ')[0])}</strong> — ${esc(r.headline.split(' — ').slice(1).join(' — '))}</p>`);
  o.push('<h2>Completed this week</h2>', '<ul>');
  if (r.completed.length)
    for (const c of r.completed) o.push(`<li><strong>${esc(c.title)}</strong> (finished ${esc(when(c.finishedAt))}) — ${esc(c.businessValue)}</li>`);
  else o.push('<li>No phase was completed in the last seven days.</li>');
  for (const st of r.completedSteps) o.push(`<li>${esc(st.id)} — ${esc(st.title)} (${esc(when(st.finishedAt))})</li>`);
  o.push('</ul>', '<h2>In progress</h2>', '<ul>');
  if (r.inProgress.length)
    for (const p of r.inProgress)
      o.push(
        `<li><strong>${esc(p.title)}</strong> — ${p.stepsDone}/${p.stepsTotal} steps (${esc(p.status)}); planned by ${esc(p.plannedEnd)}: ${esc(p.schedule)}${p.reason ? ` (${esc(p.reason)})` : ''}${p.next.length ? `; next: ${esc(p.next.join(', '))}` : ''}</li>`,
      );
  else o.push('<li>Nothing in progress.</li>');
  o.push('</ul>', '<h2>Risks and mitigation</h2>', '<ul>');
  const issues = [
    ...r.risks.failedSteps.map((f) => `Step ${f.id} failed: ${f.message}`),
    ...r.risks.failingChecks.map((f) => `Go-live check ${f.id} (${f.title}) fails: ${f.summary}`),
    ...r.risks.schedule.map((x) => `${x.phase} is ${x.schedule}${x.reason ? `: ${x.reason}` : ''}`),
    ...(r.risks.unverifiedChecks.length
      ? [`${r.risks.unverifiedChecks.length} go-live check(s) could not verify their criterion (unknown): ${r.risks.unverifiedChecks.join(', ')}`]
      : []),
  ];
  for (const i of issues.length ? issues : ['No failed step, failing check or schedule slip recorded.']) o.push(`<li>${esc(i)}</li>`);
  o.push('</ul>');
  o.push(
    table(
      ['Category', 'Risk', 'Probability', 'Impact', 'Mitigation'],
      r.risks.register.map((k) => [k.category, k.description, k.probability, k.impact, k.mitigation]),
    ),
  );
  o.push('<h2>Business impact</h2>', `<ul>${r.businessImpact.map((b) => `<li>${esc(b)}</li>`).join('')}</ul>`);
  const a = r.metrics.infrastructureAvailability;
  const sc = r.metrics.securityCompliance;
  o.push('<h2>Metrics</h2>', '<ul>');
  o.push(
    `<li>Infrastructure availability: ${a ? `${a.percent}% (${a.online} of ${a.total} nodes online at ${esc(when(a.measuredAt))})` : 'not measured yet'}</li>`,
  );
  o.push(`<li>Security compliance: ${sc ? `${sc.percent}% (${sc.passed} of ${sc.total} security checks passed)` : 'not measured yet'}</li>`);
  o.push(
    `<li>Go-live checks passed: ${r.metrics.checks.passed} of ${r.metrics.checks.total}</li>`,
    '<li>Budget utilization: not tracked by dpf (see AWS Cost Explorer)</li>',
    '</ul>',
  );
  o.push(
    '<h2>Timeline</h2>',
    figure(
      ganttSvg(timelineOf(r.phases), new Date(r.generatedAt)),
      'Plan (grey) against what happened, per phase; the dashed line is today.',
      r.diagrams.gantt,
    ),
  );
  o.push(
    '<h2>Architecture as deployed</h2>',
    figure(mermaidFlowchartSvg(r.diagrams.architecture), `What dpf deployed, by network tier${vpcText(r.diagrams.architecture)}.`, r.diagrams.architecture),
  );
  return page(title, o);
}
