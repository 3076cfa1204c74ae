/** The drill's cost estimate (src/ops/drill/cost.ts). */
import { describe, it, expect } from 'vitest';
import { estimateDrillCost, UNKNOWN_DB_PRICE } from '../../../src/ops/drill/cost.js';
import { validateConfig } from '../../../src/config/load.js';

const env = (rds: Record<string, unknown>, maxMinutes = 120) =>
  validateConfig({ version: 1, project: 'dataplatform', environments: { dev: { storage: { rds }, recovery: { drill: { maxMinutes } } } } }).config!.environments
    .dev!;

describe('estimateDrillCost', () => {
  it('GIVEN a known class for 2 h THEN the DB line is its price × 2 h, and the total is the sum of the lines', () => {
    const c = estimateDrillCost(env({ instanceClass: 'db.t3.medium', multiAz: false, allocatedStorageGb: 100 }), 'restore', 10e9);
    expect(c.lines[0]).toBe('drill DB db.t3.medium × 2.00 h: 0.15 USD');
    expect(c.lines).toContain('EFS restore 10.0 GB: 0.20 USD');
    const sum = c.lines.reduce((n, l) => n + Number(/: ([\d.]+) USD$/.exec(l)![1]), 0);
    expect(c.usd).toBeCloseTo(sum, 1);
  });

  it.each([
    ['Multi-AZ doubles the instance', { instanceClass: 'db.t3.medium', multiAz: true }, /Multi-AZ × 2\.00 h: 0\.29 USD/],
    [
      'an unknown class is priced high on purpose',
      { instanceClass: 'db.x9.huge', multiAz: false },
      new RegExp(`priced at ${UNKNOWN_DB_PRICE} USD/h\\): 2\\.00 USD`),
    ],
  ])('GIVEN %s THEN the DB line says so', (_n, rds, line) => {
    expect(estimateDrillCost(env(rds), 'restore').lines[0]).toMatch(line);
  });

  it('GIVEN scope full THEN the DR region adds two databases, the cross-region copy and a NAT gateway', () => {
    const restore = estimateDrillCost(env({ instanceClass: 'db.t3.medium', multiAz: false, allocatedStorageGb: 100 }), 'restore');
    const full = estimateDrillCost(env({ instanceClass: 'db.t3.medium', multiAz: false, allocatedStorageGb: 100 }), 'full');
    expect(full.lines.filter((l) => l.startsWith('DR region:'))).toHaveLength(4);
    expect(full.usd).toBeGreaterThan(restore.usd + 2); // 100 GB across regions alone is 2 USD
  });
});
