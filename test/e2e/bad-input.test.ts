/**
 * The bad-input corpus (tools/bad-input-corpus.mjs): bin/dpf with a config or flags wrong in one
 * way each — unknown keys in every section, values AWS would refuse late, schedules, SSH
 * exposure, names, zones, dates, bounds, the file itself (directory, alias bomb, 1 MB, garbage),
 * flags (region, concurrency, phase, repeated values) — must exit with the usage code (2; 1 for
 * `dpf plan`, whose 2 means "changes pending") with the field or flag named, print a bounded
 * message, and send no request to AWS (a tripwire endpoint counts every one).
 */
import { describe, it, expect } from 'vitest';
import { DPF } from './harness.js';
// @ts-expect-error plain ESM module shared with bench/ (no types)
import { corpusCases, runCase } from '../../tools/bad-input-corpus.mjs';

const CASES: Array<{ name: string; field: string; args: string[]; exit: number }> = corpusCases();

describe('GIVEN the bad-input corpus', () => {
  it('WHEN counted THEN it has at least 100 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
  });

  it("WHEN the expected exit codes are read THEN plan's usage errors exit 1 and every other command's exit 2", () => {
    for (const c of CASES) expect(c.exit, c.name).toBe(c.args[0] === 'plan' ? 1 : 2);
    expect(CASES.filter((c) => c.exit === 1).length).toBeGreaterThan(0);
  });

  describe.concurrent('WHEN each case is run through bin/dpf', () => {
    it.each(CASES.map((c) => [c.name, c] as const))('THEN %s: the usage exit code, the field named, no AWS request', { timeout: 90_000 }, async (_name, c) => {
      const r = await runCase(DPF, c);
      expect({ code: r.code, named: r.named, requests: r.requests }, r.out.slice(0, 2000)).toEqual({ code: c.exit, named: true, requests: 0 });
      expect(r.outputLength).toBeLessThan(20_000);
    });
  });
});
