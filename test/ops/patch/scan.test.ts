/** dpf patch --dry-run's scan (src/ops/patch/scan.ts): check mode only, pending updates per host, failures named. */
import { afterEach, describe, expect, it } from 'vitest';
import { fails, HOSTS, stepHarness, WORKERS, world, type World } from '../helpers.js';
import { DOC, patchOptions } from './helpers.js';
import { buildScanSteps } from '../../../src/ops/patch/scan.js';
import type { PatchOptions } from '../../../src/ops/patch/keys.js';

let w: World;
afterEach(() => w?.cleanup());

/** The bastion and workers waves only (two commands). */
const scanOptions = (o: Partial<PatchOptions> = {}) => {
  const p = patchOptions(o);
  return { ...p, waves: p.waves.filter((x) => x.name === 'bastion' || x.name === 'workers') };
};
const scan = async (x: World, o: Partial<PatchOptions> = {}) => {
  const h = await stepHarness(x);
  const [step] = buildScanSteps(h.op, scanOptions(o));
  return h.run(step!);
};

describe('buildScanSteps', () => {
  it('GIVEN AWS-RunPatchBaseline reports missing patches WHEN scanning THEN each host is scanned with Operation=Scan, no reboot, and its missing count listed', async () => {
    w = world();
    w.ssm.script('*', { stdout: '{"InstalledCount": 120, "MissingCount": 4}' }, { document: 'AWS-RunPatchBaseline' });
    const r = await scan(w, { method: 'patch-baseline' });
    const sent = w.ssm.sentCommands();
    expect(sent.map((c) => c.input.parameters)).toEqual([
      { Operation: ['Scan'], RebootOption: ['NoReboot'] },
      { Operation: ['Scan'], RebootOption: ['NoReboot'] },
    ]);
    const rows = r.evidence!.rows as Array<{ instanceId: string; role: string; pending: number | null }>;
    expect(rows.map((x) => [x.instanceId, x.role, x.pending])).toEqual([[HOSTS.bastion, 'bastion', 4], ...WORKERS.map((id) => [id, 'worker', 4])]);
    expect(r.summary).toBe('3 host(s) scanned; 12 pending update(s) on 3 host(s) that reported');
    expect(r.changed).toBe(false);
  });

  it('GIVEN the Ansible method and hosts that give no output WHEN scanning THEN patch.yml runs in Check mode and the count is unknown, never zero', async () => {
    w = world();
    w.ssm.script('*', { stdout: '' }, { document: DOC });
    const r = await scan(w);
    expect(w.ssm.sentCommands().map((c) => [c.input.documentName, c.input.parameters.Check, c.input.parameters.PlaybookFile])).toEqual([
      [DOC, ['True'], ['patch.yml']],
      [DOC, ['True'], ['patch.yml']],
    ]);
    expect((r.evidence!.rows as Array<{ pending: number | null }>).map((x) => x.pending)).toEqual([null, null, null]);
    expect(r.summary).toBe('3 host(s) scanned; no host reported a count');
  });

  it('GIVEN the scan fails on a worker WHEN scanning THEN PatchScanFailed names it and its status', async () => {
    w = world();
    w.ssm.script(WORKERS[1]!, { status: 'Failed', stdout: 'Cannot find a valid baseurl for repo' }, { document: DOC });
    const err = await fails(scan(w));
    expect(err.code).toBe('PatchScanFailed');
    expect(err.message).toBe(`The scan failed on 1 host(s): ${WORKERS[1]} Failed.`);
  });

  it('GIVEN a wave host SSM does not know WHEN scanning THEN PatchScanFailed says the scan could not be sent, with the reason SSM gave', async () => {
    w = world();
    const o = patchOptions();
    const waves = [{ ...o.waves[0]!, hosts: ['i-gone'] }];
    const h = await stepHarness(w);
    const err = await fails(h.run(buildScanSteps(h.op, { ...o, waves })[0]!));
    expect(err.code).toBe('PatchScanFailed');
    expect(err.message).toMatch(/^Scan of wave bastion could not be sent: .*i-gone/);
  });
});
