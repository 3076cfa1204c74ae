/** The benchmark's own critical-path arithmetic (bench/lib/critical-path.mjs), independent of dpf's ETA. */
import { describe, it, expect } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { criticalPath, unionLength, withEdges, withoutSteps, median } from '../../bench/lib/critical-path.mjs';

describe('GIVEN intervals', () => {
  it.each([
    [[], 0],
    [[[0, 2]], 2],
    [
      [
        [0, 2],
        [1, 3],
      ],
      3,
    ],
    [
      [
        [0, 1],
        [2, 3],
      ],
      2,
    ],
    [
      [
        [2, 3],
        [0, 10],
      ],
      10,
    ],
    [
      [
        [5, 5],
        [1, 2],
      ],
      1,
    ],
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
    expect(() =>
      criticalPath(
        [
          { id: 'a', dependsOn: ['b'] },
          { id: 'b', dependsOn: ['a'] },
        ],
        () => 1,
      ),
    ).toThrow(/cycle/);
  });

  it.each([
    [[3, 1, 2], 2],
    [[4, 1, 2, 3], 2.5],
  ])('WHEN the median of %j is taken THEN it is %d', (v, m) => {
    expect(median(v)).toBe(m);
  });
});

describe('GIVEN steps whose work could be done by the steps after them', () => {
  // a → x → y → b, and c → y
  const steps = [
    { id: 'a', dependsOn: [] },
    { id: 'c', dependsOn: [] },
    { id: 'x', dependsOn: ['a'] },
    { id: 'y', dependsOn: ['x', 'c'] },
    { id: 'b', dependsOn: ['y'] },
  ];
  it.each([
    [['x'], { y: ['a', 'c'], b: ['y'] }],
    [['x', 'y'], { b: ['a', 'c'] }],
    [[], { y: ['x', 'c'], b: ['y'] }],
  ])('WHEN %j are removed THEN their dependents wait for what they waited for: %j', (removed, expected) => {
    const g = withoutSteps(steps, removed);
    expect(g.map((s: any) => s.id)).not.toEqual(expect.arrayContaining(removed.length ? removed : ['none']));
    for (const [id, deps] of Object.entries(expected)) expect(g.find((s: any) => s.id === id).dependsOn.sort()).toEqual([...deps].sort());
  });

  it('WHEN a removed step was on the longest path THEN the path loses its time and keeps its order', () => {
    const w: Record<string, number> = { a: 5, c: 1, x: 10, y: 1, b: 1 };
    expect(criticalPath(steps, (id: string) => w[id]).total).toBe(17);
    expect(criticalPath(withoutSteps(steps, ['x']), (id: string) => w[id])).toEqual({ total: 7, path: ['a', 'y', 'b'] });
  });
});
