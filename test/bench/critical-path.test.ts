/** The benchmark's own critical-path arithmetic (bench/lib/critical-path.mjs), independent of dpf's ETA. */
import { describe, it, expect } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { criticalPath, unionLength, withEdges, median } from '../../bench/lib/critical-path.mjs';

describe('GIVEN intervals', () => {
  it.each([
    [[], 0],
    [[[0, 2]], 2],
    [[[0, 2], [1, 3]], 3],
    [[[0, 1], [2, 3]], 2],
    [[[2, 3], [0, 10]], 10],
    [[[5, 5], [1, 2]], 1],
  ])('WHEN %j are joined THEN they cover %d', (intervals, total) => {
    expect(unionLength(intervals)).toBe(total);
  });
});

describe('GIVEN a step graph with weights', () => {
  // bootstrap → network → (compute ∥ storage) → identity
  const steps = [
    { id: 'bootstrap', dependsOn: [] },
    { id: 'network', dependsOn: ['bootstrap'] },
    { id: 'compute', dependsOn: ['network'] },
    { id: 'storage', dependsOn: ['network', 'outside-the-run'] },
    { id: 'identity', dependsOn: ['compute', 'storage'] },
  ];
  const w: Record<string, number> = { bootstrap: 3, network: 3, compute: 3, storage: 12, identity: 2 };

  it('WHEN the longest path is asked THEN it runs through the slowest branch, ignoring edges to steps not in the graph', () => {
    expect(criticalPath(steps, (id: string) => w[id])).toEqual({ total: 20, path: ['bootstrap', 'network', 'storage', 'identity'] });
  });

  it('WHEN an edge is removed THEN the path is recomputed on the changed graph', () => {
    const changed = withEdges(steps, { identity: { remove: ['storage'] } });
    expect(criticalPath(changed, (id: string) => w[id])).toEqual({ total: 18, path: ['bootstrap', 'network', 'storage'] });
    expect(steps[4]!.dependsOn).toEqual(['compute', 'storage']);
  });

  it('WHEN the graph has a cycle THEN it says so', () => {
    expect(() => criticalPath([{ id: 'a', dependsOn: ['b'] }, { id: 'b', dependsOn: ['a'] }], () => 1)).toThrow(/cycle/);
  });

  it.each([
    [[3, 1, 2], 2],
    [[4, 1, 2, 3], 2.5],
  ])('WHEN the median of %j is taken THEN it is %d', (v, m) => {
    expect(median(v)).toBe(m);
  });
});
