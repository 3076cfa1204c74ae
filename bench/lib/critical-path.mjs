// The benchmark's own arithmetic (deliberately not dpf's ETA code in src/steps/eta.ts and
// graph.ts): how long a graph of steps must take at least, given what each step waited for.

/** Total length of the union of [start, end] intervals (overlaps counted once). */
export function unionLength(intervals) {
  const sorted = [...intervals].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur;
  for (const [s, e] of sorted) {
    if (cur && s <= cur[1]) cur[1] = Math.max(cur[1], e);
    else {
      if (cur) total += cur[1] - cur[0];
      cur = [s, e];
    }
  }
  return cur ? total + cur[1] - cur[0] : total;
}

/**
 * Longest path through a dependency graph: steps = [{ id, dependsOn: [ids] }], weight(id) in
 * any unit. Edges to steps outside `steps` are ignored. Throws on a cycle (a graph dpf could not run).
 */
export function criticalPath(steps, weight) {
  const ids = new Set(steps.map((s) => s.id));
  const deps = new Map(steps.map((s) => [s.id, (s.dependsOn ?? []).filter((d) => ids.has(d))]));
  const finish = new Map();
  const via = new Map();
  const visiting = new Set();
  const visit = (id) => {
    if (finish.has(id)) return finish.get(id);
    if (visiting.has(id)) throw new Error(`dependency cycle through ${id}`);
    visiting.add(id);
    let start = 0;
    let before;
    for (const d of deps.get(id)) {
      const f = visit(d);
      if (before === undefined || f > start) [start, before] = [f, d];
    }
    visiting.delete(id);
    const f = start + weight(id);
    finish.set(id, f);
    via.set(id, before);
    return f;
  };
  let end;
  for (const s of steps) if (end === undefined || visit(s.id) > finish.get(end)) end = s.id;
  const path = [];
  for (let id = end; id !== undefined; id = via.get(id)) path.unshift(id);
  return { total: end === undefined ? 0 : finish.get(end), path };
}

/** The same graph with some edges changed: { stepId: { remove: [ids], add: [ids] } }. */
export function withEdges(steps, changes) {
  return steps.map((s) => {
    const c = changes[s.id];
    if (!c) return s;
    const dependsOn = s.dependsOn.filter((d) => !(c.remove ?? []).includes(d)).concat(c.add ?? []);
    return { ...s, dependsOn: [...new Set(dependsOn)] };
  });
}

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * The graph without some steps, as if their work were done inside the steps that wait for them
 * (edge contraction): each dependent inherits what a removed step waited for, so every ordering
 * is kept and only the removed steps' own time goes.
 */
export function withoutSteps(steps, removed) {
  const gone = new Set(removed);
  const byId = new Map(steps.map((s) => [s.id, s]));
  const expand = (ids, seen = new Set()) =>
    ids.flatMap((d) => {
      if (!gone.has(d)) return [d];
      if (seen.has(d)) return [];
      seen.add(d);
      return expand(byId.get(d)?.dependsOn ?? [], seen);
    });
  return steps.filter((s) => !gone.has(s.id)).map((s) => ({ ...s, dependsOn: [...new Set(expand(s.dependsOn ?? []))] }));
}
