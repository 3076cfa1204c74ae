/**
 * Pure planning over the step graph: selection by phase, ordering, readiness, and the
 * critical path used for the ETA. No I/O here.
 */
import type { StepRecord } from '../state/ledger.js';
import { PHASES, type After, type EdgeReason, type PhaseId } from './types.js';

export interface GraphNode {
  id: string;
  phase: PhaseId;
  dependsOn: string[];
}

export function checkGraph(nodes: GraphNode[]): void {
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) for (const d of n.dependsOn) if (!ids.has(d)) throw new Error(`step ${n.id} depends on unknown step ${d}`);
  topoOrder(nodes);
}

/** Kahn's algorithm; ties broken by phase order then id, so output is deterministic. Throws on cycles. */
export function topoOrder<T extends GraphNode>(nodes: T[]): T[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const indeg = new Map(nodes.map((n) => [n.id, n.dependsOn.filter((d) => byId.has(d)).length]));
  const rank = (n: T) => (PHASES as readonly string[]).indexOf(n.phase) * 1000;
  const ready = nodes.filter((n) => indeg.get(n.id) === 0);
  const out: T[] = [];
  while (ready.length) {
    ready.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
    const n = ready.shift()!;
    out.push(n);
    for (const m of nodes)
      if (m.dependsOn.includes(n.id)) {
        indeg.set(m.id, indeg.get(m.id)! - 1);
        if (indeg.get(m.id) === 0) ready.push(m);
      }
  }
  if (out.length !== nodes.length)
    throw new Error(
      `the step graph has a cycle among: ${nodes
        .filter((n) => !out.includes(n))
        .map((n) => n.id)
        .join(', ')}`,
    );
  return out;
}

export interface Selection<T extends GraphNode> {
  selected: T[];
  /** Steps outside the selection that the selection needs and that are not done. */
  missing: Array<{ step: string; neededBy: string; status: string }>;
}

/**
 * Select the steps of the given phases (all when none given). Dependencies outside the
 * selection, and the steps every run needs, must already be done in the ledger, or the
 * selection is blocked.
 */
export function selectSteps<T extends GraphNode>(
  nodes: T[],
  phases: PhaseId[] | undefined,
  ledger: Record<string, StepRecord>,
  /** Steps every run needs, done or selected, though no step reads them (the state backend: the run's lease). */
  runNeeds: readonly string[] = [],
): Selection<T> {
  const selected = phases?.length ? nodes.filter((n) => phases.includes(n.phase)) : [...nodes];
  const inSel = new Set(selected.map((n) => n.id));
  const missing: Selection<T>['missing'] = [];
  for (const d of runNeeds)
    if (selected.length && !inSel.has(d) && ledger[d]?.status !== 'done')
      missing.push({ step: d, neededBy: 'this run', status: ledger[d]?.status ?? 'pending' });
  for (const n of selected)
    for (const d of n.dependsOn)
      if (!inSel.has(d) && ledger[d]?.status !== 'done') missing.push({ step: d, neededBy: n.id, status: ledger[d]?.status ?? 'pending' });
  return { selected: topoOrder(selected), missing };
}

/** Longest path through the graph weighted by each step's duration: the ETA of a parallel run. */
export function criticalPath(nodes: GraphNode[], seconds: (id: string) => number): { totalSeconds: number; path: string[]; sequentialSeconds: number } {
  const order = topoOrder(nodes);
  const ids = new Set(nodes.map((n) => n.id));
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  for (const n of order) {
    let start = 0;
    let from: string | undefined;
    for (const d of n.dependsOn)
      if (ids.has(d) && (finish.get(d) ?? 0) > start) {
        start = finish.get(d)!;
        from = d;
      }
    finish.set(n.id, start + seconds(n.id));
    via.set(n.id, from);
  }
  let end: string | undefined;
  for (const [id, f] of finish) if (end === undefined || f > finish.get(end)!) end = id;
  const path: string[] = [];
  for (let cur = end; cur; cur = via.get(cur)) path.unshift(cur);
  return { totalSeconds: end ? finish.get(end)! : 0, path, sequentialSeconds: nodes.reduce((s, n) => s + seconds(n.id), 0) };
}

/** An edge's reason as one line: "reads VpcId, PrivateSubnet1Id; runs on the hosts it creates (master)". */
export function describeEdge(r: EdgeReason): string {
  const parts: string[] = [];
  if (r.reads?.length) parts.push(`reads ${r.reads.join(', ')}`);
  if (r.instances?.length) parts.push(`looks up the instances it creates (${r.instances.join(', ')})`);
  if (r.hosts?.length) parts.push(`runs on the hosts it creates (${r.hosts.join(', ')})`);
  if (r.needs?.length) parts.push(`needs what it leaves: ${r.needs.join(', ')}`);
  if (r.order) parts.push(`order: ${r.order}`);
  if (r.inspects) parts.push(`inspects ${r.inspects}`);
  return parts.join('; ');
}

/** Several reason maps as one: the union of each edge's reasons. */
export function mergeAfter(...maps: After[]): After {
  const out: After = {};
  const union = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined) => (a || b ? [...new Set([...(a ?? []), ...(b ?? [])])] : undefined);
  for (const m of maps)
    for (const [step, r] of Object.entries(m)) {
      const o = out[step] ?? {};
      const merged: EdgeReason = {
        reads: union(o.reads, r.reads),
        instances: union(o.instances, r.instances),
        hosts: union(o.hosts, r.hosts),
        needs: union(o.needs, r.needs),
        order: [o.order, r.order].filter(Boolean).join('; ') || undefined,
        inspects: [o.inspects, r.inspects].filter(Boolean).join('; ') || undefined,
      };
      out[step] = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as EdgeReason;
    }
  return out;
}
