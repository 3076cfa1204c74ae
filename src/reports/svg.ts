/**
 * Charts for the HTML reports, pre-rendered to inline SVG so a report opens anywhere — offline, in
 * a mail client, in an S3 console preview — with no script and no external asset.
 *
 * - The plan-vs-actual Gantt chart and the drill's achieved-against-target chart are drawn here
 *   from the report data (small, fixed geometry: bars on a time or percentage axis).
 * - The architecture flowchart is the Markdown's Mermaid source laid out by beautiful-mermaid
 *   (pure JS, no browser); its web-font @import is removed so nothing is fetched.
 * The Markdown reports keep the Mermaid source (viewers such as GitHub draw it).
 */
import { renderMermaidSVG } from 'beautiful-mermaid';
import { DAY_MS, isoDay, type PhaseTimeline } from './timeline.js';

const x = (s: string | number) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const FONT = 'font-family="system-ui,-apple-system,Segoe UI,sans-serif" font-size="12"';

export const COLORS = {
  planned: '#d0d7de',
  done: '#1a7f37',
  active: '#bf8700',
  failed: '#cf222e',
  met: '#1a7f37',
  missed: '#cf222e',
  unmeasured: '#8c959f',
  today: '#0969da',
  text: '#1b1f24',
  grid: '#eaeef2',
};

/** One row per phase: the planned window (grey) and what happened (green done, amber running, red failed or behind); a line at today. */
export function ganttSvg(timeline: PhaseTimeline[], now: Date): string {
  const starts = timeline.flatMap((p) => [p.plannedStart, p.actualStart].filter((d): d is Date => Boolean(d)));
  const ends = timeline.flatMap((p) => [p.plannedEnd, p.actualEnd ?? (p.actualStart ? now : undefined)].filter((d): d is Date => Boolean(d)));
  const t0 = Math.min(...starts.map((d) => d.getTime()));
  const t1 = Math.max(...ends.map((d) => d.getTime()), now.getTime()) + DAY_MS;
  const labelW = 170;
  const plotW = 640;
  const rowH = 34;
  const top = 28;
  const height = top + timeline.length * rowH + 30;
  const legendY = height + 14;
  const px = (t: number) => labelW + ((t - t0) / (t1 - t0)) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${labelW + plotW + 20} ${legendY + 8}" width="${labelW + plotW + 20}" height="${legendY + 8}" role="img" aria-label="Plan against actual, per phase" ${FONT}>`,
  ];
  for (let d = t0; d <= t1; d += 7 * DAY_MS) {
    out.push(
      `<line x1="${px(d).toFixed(1)}" y1="${top - 6}" x2="${px(d).toFixed(1)}" y2="${height - 24}" stroke="${COLORS.grid}"/>`,
      `<text x="${px(d).toFixed(1)}" y="${height - 8}" fill="${COLORS.text}" text-anchor="middle">${x(isoDay(new Date(d)).slice(5))}</text>`,
    );
  }
  timeline.forEach((p, i) => {
    const y = top + i * rowH;
    out.push(`<text x="4" y="${y + 17}" fill="${COLORS.text}">${x(p.title.length > 26 ? `${p.title.slice(0, 25)}…` : p.title)}</text>`);
    out.push(
      `<rect x="${px(p.plannedStart.getTime()).toFixed(1)}" y="${y + 3}" width="${Math.max(2, px(p.plannedEnd.getTime()) - px(p.plannedStart.getTime())).toFixed(1)}" height="11" fill="${COLORS.planned}"><title>${x(`${p.title}: planned ${isoDay(p.plannedStart)} → ${isoDay(new Date(p.plannedEnd.getTime() - DAY_MS))}`)}</title></rect>`,
    );
    if (p.actualStart) {
      const end = (p.actualEnd ?? now).getTime();
      const color = p.status === 'failed' || p.schedule === 'behind' ? COLORS.failed : p.status === 'done' ? COLORS.done : COLORS.active;
      const what = p.status === 'done' ? 'done' : `${p.status}, ${p.stepsDone}/${p.stepsTotal} steps`;
      out.push(
        `<rect x="${px(p.actualStart.getTime()).toFixed(1)}" y="${y + 16}" width="${Math.max(3, px(end) - px(p.actualStart.getTime())).toFixed(1)}" height="11" fill="${color}"><title>${x(`${p.title}: actual ${p.actualStart.toISOString().slice(0, 16)} → ${p.actualEnd ? p.actualEnd.toISOString().slice(0, 16) : 'now'} (${what})`)}</title></rect>`,
      );
    }
  });
  out.push(
    `<line x1="${px(now.getTime()).toFixed(1)}" y1="${top - 10}" x2="${px(now.getTime()).toFixed(1)}" y2="${height - 24}" stroke="${COLORS.today}" stroke-dasharray="4 3"/>`,
    `<text x="${px(now.getTime()).toFixed(1)}" y="${top - 14}" fill="${COLORS.today}" text-anchor="middle">today</text>`,
  );
  out.push(
    legend(
      [
        ['planned', COLORS.planned],
        ['done', COLORS.done],
        ['running', COLORS.active],
        ['failed / behind', COLORS.failed],
      ],
      labelW,
      legendY,
    ),
  );
  out.push('</svg>');
  return out.join('');
}

function legend(items: Array<[string, string]>, x0: number, y: number): string {
  let xx = x0;
  return items
    .map(([label, color]) => {
      const s = `<rect x="${xx}" y="${y - 9}" width="10" height="10" fill="${color}"/><text x="${xx + 14}" y="${y}" fill="${COLORS.text}">${x(label)}</text>`;
      xx += 24 + label.length * 7;
      return s;
    })
    .join('');
}

export interface DrillBar {
  label: string;
  /** null: not measured (drawn as such, never as zero). */
  achieved: number | null;
  target: number;
  /** Shown next to the bar (e.g. "20m / target 15m"). */
  text: string;
}

/**
 * Achieved as a share of its target, one row per metric, the target at 100 %: a met target is a
 * green bar up to the line, a missed one a red bar past it, and an unmeasured one no bar at all but
 * a grey "not measured" box — never a zero that reads as "instant".
 */
export function drillSvg(bars: DrillBar[]): string {
  const labelW = 150;
  const plotW = 420;
  const rowH = 26;
  const top = 30;
  const height = top + bars.length * rowH + 16;
  const maxPct = Math.max(200, ...bars.map((b) => (b.achieved === null ? 0 : Math.ceil(((b.achieved / b.target) * 100) / 50) * 50)));
  const px = (pct: number) => labelW + (Math.min(pct, maxPct) / maxPct) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${labelW + plotW + 230} ${height}" width="${labelW + plotW + 230}" height="${height}" role="img" aria-label="Achieved against target" ${FONT}>`,
  ];
  out.push(
    `<line x1="${px(100)}" y1="${top - 8}" x2="${px(100)}" y2="${height - 8}" stroke="${COLORS.text}" stroke-dasharray="4 3"/>`,
    `<text x="${px(100)}" y="${top - 12}" text-anchor="middle" fill="${COLORS.text}">target</text>`,
  );
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    out.push(`<text x="4" y="${y + 14}" fill="${COLORS.text}">${x(b.label)}</text>`);
    if (b.achieved === null) {
      out.push(
        `<rect x="${labelW}" y="${y + 2}" width="${px(100) - labelW}" height="16" fill="none" stroke="${COLORS.unmeasured}" stroke-dasharray="3 3"/>`,
        `<text x="${labelW + 6}" y="${y + 14}" fill="${COLORS.unmeasured}">not measured</text>`,
      );
    } else {
      const pct = (b.achieved / b.target) * 100;
      const met = b.achieved <= b.target;
      out.push(`<rect x="${labelW}" y="${y + 2}" width="${Math.max(2, px(pct) - labelW).toFixed(1)}" height="16" fill="${met ? COLORS.met : COLORS.missed}"/>`);
    }
    const verdict = b.achieved === null ? 'not measured' : b.achieved <= b.target ? 'met' : 'MISSED';
    out.push(
      `<text x="${labelW + plotW + 10}" y="${y + 14}" fill="${b.achieved === null ? COLORS.unmeasured : b.achieved <= b.target ? COLORS.met : COLORS.missed}">${x(`${verdict}: ${b.text}`)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

/**
 * A subgraph that holds other subgraphs (the VPC around its tiers) is dropped, its contents kept:
 * the layout engine routes edges into doubly nested groups to points outside them (arrows to
 * nowhere), while one level of groups lays out cleanly. The caption names what was dropped.
 */
export function flattenOuterSubgraphs(source: string): string {
  const lines = source.split('\n');
  const isStart = (l: string) => /^\s*subgraph\b/.test(l);
  const isEnd = (l: string) => /^\s*end\s*$/.test(l);
  const drop = new Set<number>();
  const stack: Array<{ at: number; nested: boolean }> = [];
  lines.forEach((l, i) => {
    if (isStart(l)) {
      if (stack.length) stack[stack.length - 1]!.nested = true;
      stack.push({ at: i, nested: false });
    } else if (isEnd(l) && stack.length) {
      const open = stack.pop()!;
      if (open.nested) drop.add(open.at).add(i);
    }
  });
  return lines.filter((_, i) => !drop.has(i)).join('\n');
}

/** fg mixed into bg by `share` (0..1), as CSS color-mix(in srgb, fg share, bg) computes it. */
function mix(fg: string, bg: string, share: number): string {
  const rgb = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  const [f, b] = [rgb(fg), rgb(bg)];
  return `#${f
    .map((c, i) =>
      Math.round(c * share + b[i]! * (1 - share))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

const DIAGRAM = { bg: '#ffffff', fg: '#1b1f24' };
/** beautiful-mermaid's derived colours (its <style>: each a share of fg over bg), resolved to plain values. */
const DERIVED: Record<string, number> = {
  text: 1,
  'text-sec': 0.6,
  'text-muted': 0.4,
  'text-faint': 0.25,
  line: 0.5,
  arrow: 0.85,
  'node-fill': 0.03,
  'node-stroke': 0.2,
  'group-fill': 0,
  'group-hdr': 0.05,
  'inner-stroke': 0.12,
  'key-badge': 0.1,
};

/**
 * The architecture flowchart (Mermaid source) as SVG, with nothing fetched when it is opened: the
 * web-font @import is removed, and the CSS variables it colours with (var(), color-mix()) are
 * replaced by plain colours, so viewers without CSS variables (mail clients, image converters)
 * draw it too.
 */
export function mermaidFlowchartSvg(source: string): string {
  // <br/> in labels is Mermaid's line break; beautiful-mermaid takes it as such.
  const svg = renderMermaidSVG(flattenOuterSubgraphs(source), { bg: DIAGRAM.bg, fg: DIAGRAM.fg, font: 'system-ui' });
  return svg
    .replace(/@import url\([^)]*\);?/g, '')
    .replace(/var\(--_([a-z-]+)\)/g, (all, name: string) => (name in DERIVED ? mix(DIAGRAM.fg, DIAGRAM.bg, DERIVED[name]!) : all))
    .replace(/var\(--bg\)/g, DIAGRAM.bg)
    .replace(/var\(--fg\)/g, DIAGRAM.fg);
}
