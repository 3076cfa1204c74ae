/**
 * dpf plan as a CI gate and as an approval: exit codes like `terraform plan -detailed-exitcode`,
 * and a saved plan (`--out`) that `dpf deploy --plan` executes exactly — or refuses, before
 * executing anything, when AWS or the inputs moved since (exit 8, naming the stack).
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dpf, readLedger, emulatorPerSuite, initEnvDir, type Emulator } from './harness.js';

describe('GIVEN the emulator', () => {
  const emulator = emulatorPerSuite({ beforeAll, afterAll });
  let em: Emulator;
  beforeEach(() => {
    em = emulator();
  });
  const initEnv = (env: string) => initEnvDir(em, env, 'dpf-plan-');

  it('WHEN plan runs before and after the deploy THEN it exits 2 (changes pending) then 0 (none)', async () => {
    const dir = await initEnv('pc');
    const before = await dpf(em, ['plan', '--env', 'pc', '--phase', 'bootstrap'], { cwd: dir });
    expect(before.code, before.all).toBe(2);
    expect(before.stdout).toMatch(/Apply with: dpf deploy --env pc --phase bootstrap/);
    const json = await dpf(em, ['plan', '--env', 'pc', '--phase', 'bootstrap', '--json'], { cwd: dir });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).changes).toBe(true);
    expect((await dpf(em, ['deploy', '--env', 'pc', '--phase', 'bootstrap', '--yes'], { cwd: dir })).code).toBe(0);
    const after = await dpf(em, ['plan', '--env', 'pc', '--phase', 'bootstrap'], { cwd: dir });
    expect(after.code, after.all).toBe(0);
    expect(after.stdout).toMatch(/No changes/);
  });

  it('WHEN plan runs for every phase of a new environment THEN its ETA follows the graph (issue 14): the FreeIPA servers do not wait for storage, nor the nodes for the replica', async () => {
    const dir = await initEnv('cp');
    const r = await dpf(em, ['plan', '--env', 'cp'], { cwd: dir });
    expect(r.code, r.all).toBe(2);
    const line = /ETA on AWS: .* along the critical path (.*); /.exec(r.stdout)?.[1];
    expect(line, r.stdout).toBeDefined();
    const path = line!.split(' → ');
    // The VPC starts with the state backend (it reads nothing of it): the path begins at the network.
    expect(path.slice(0, 4)).toEqual(['network.stack', 'identity.stack', 'identity.ipa-server', 'identity.enrol-hosts']);
    expect(path).not.toContain('bootstrap.state');
    expect(path).not.toContain('storage.stack');
    expect(path).not.toContain('identity.ipa-replica');
    const json = JSON.parse((await dpf(em, ['plan', '--env', 'cp', '--json'], { cwd: dir })).stdout);
    expect(json.eta.path).toEqual(path);
  });

  it('WHEN a saved plan is applied THEN exactly its change sets run after one approval, security-widening changes were listed, and the steps it could not compute are named', async () => {
    const dir = await initEnv('sp');
    const plan = await dpf(em, ['plan', '--env', 'sp', '--phase', 'bootstrap,network,compute', '--out', 'plan.json'], { cwd: dir });
    expect(plan.code, plan.all).toBe(2);
    expect(plan.stdout).toMatch(/widen access[\s\S]*ingress ManagementSecurityGroup .*tcp 22 from Ref AdminCidr1/);
    const saved = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8'));
    const kept = saved.steps.filter((s: { changeSet?: unknown }) => s.changeSet).map((s: { id: string }) => s.id);
    expect(kept).toEqual(['bootstrap.state', 'network.stack']);
    expect(saved.steps.find((s: { id: string }) => s.id === 'compute.stack').action).toBe('deferred');
    const noTty = await dpf(em, ['deploy', '--env', 'sp', '--plan', 'plan.json'], { cwd: dir });
    expect(noTty.code, noTty.all).toBe(6);
    const r = await dpf(em, ['deploy', '--env', 'sp', '--plan', 'plan.json', '--yes'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toMatch(/Executed the 2 change set\(s\) of plan\.json\. Not in the plan .*compute\.stack/);
    const ledger = readLedger(dir, 'sp');
    for (const id of kept) {
      const cs = saved.steps.find((s: { id: string }) => s.id === id).changeSet;
      expect(ledger.steps[id].status).toBe('done');
      expect(String(ledger.steps[id].evidence.changeSetId)).toContain(cs.changeSetName);
    }
    expect(ledger.steps['compute.stack']).toBeUndefined();
    const again = await dpf(em, ['deploy', '--env', 'sp', '--plan', 'plan.json', '--yes'], { cwd: dir });
    expect(again.code, again.all).toBe(8);
  });

  it('WHEN the stack was updated by another run after the plan THEN deploy --plan refuses with exit 8 naming the stack, and executes nothing', async () => {
    const dir = await initEnv('dr');
    expect((await dpf(em, ['deploy', '--env', 'dr', '--phase', 'bootstrap,network', '--yes'], { cwd: dir })).code).toBe(0);
    const file = path.join(dir, 'dpf.config.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('flowLogRetentionDays: 365', 'flowLogRetentionDays: 400'));
    expect((await dpf(em, ['plan', '--env', 'dr', '--phase', 'network', '--out', 'plan.json'], { cwd: dir })).code).toBe(2);
    // Someone applies the same change without the plan: the saved change set is now stale.
    expect((await dpf(em, ['deploy', '--env', 'dr', '--phase', 'network', '--yes'], { cwd: dir })).code).toBe(0);
    const runs = readLedger(dir, 'dr').runs.length;
    const r = await dpf(em, ['deploy', '--env', 'dr', '--plan', 'plan.json', '--yes'], { cwd: dir });
    expect(r.code, r.all).toBe(8);
    expect(r.stderr).toMatch(/drifted from the plan plan\.json; nothing was executed/);
    expect(r.stderr).toMatch(/network\.stack \(stack dataplatform-dr-network\): the stack (is UPDATE_COMPLETE; it was CREATE_COMPLETE|was updated at)/);
    expect(r.stderr).toMatch(/dpf plan --out plan\.json && dpf deploy --plan plan\.json/);
    // Refused before the engine ran: no run was recorded.
    expect(readLedger(dir, 'dr').runs.length).toBe(runs);
  });

  it('WHEN the config changed after the plan THEN deploy --plan refuses with exit 8: the inputs of the stack changed', async () => {
    const dir = await initEnv('ic');
    expect((await dpf(em, ['deploy', '--env', 'ic', '--phase', 'bootstrap', '--yes'], { cwd: dir })).code).toBe(0);
    expect((await dpf(em, ['plan', '--env', 'ic', '--phase', 'network', '--out', 'plan.json'], { cwd: dir })).code).toBe(2);
    const file = path.join(dir, 'dpf.config.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('flowLogRetentionDays: 365', 'flowLogRetentionDays: 400'));
    const r = await dpf(em, ['deploy', '--env', 'ic', '--plan', 'plan.json', '--yes'], { cwd: dir });
    expect(r.code, r.all).toBe(8);
    expect(r.stderr).toMatch(/network\.stack \(stack dataplatform-ic-network\): its inputs .* changed since the plan was made/);
    const bad = await dpf(em, ['deploy', '--env', 'ic', '--plan', 'plan.json', '--phase', 'network'], { cwd: dir });
    expect(bad.code).toBe(2);
  });
});
