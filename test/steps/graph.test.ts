/**
 * The deploy graph has only the edges its steps need, each with its reason (issue 14):
 * - every edge carries a reason, and each reason is true: the outputs it says the step reads are
 *   the ones its functions read (test/steps/consumption.ts runs them), the hosts are the ones it
 *   runs on and the edge's step creates, a need is one its roles have and that step provides,
 *   an order is the state backend or a host both run on;
 * - every output a step reads comes from a step it waits for (no read of a step that may not be done);
 * - nothing changes AWS before the state backend exists;
 * - the critical path is the one issue 14 asked for: the identity stack does not wait for
 *   storage, the nodes enrol against the first IPA server while the replica installs, and each
 *   configure playbook mounts and enrols its own hosts (no separate mount or enrolment step).
 * The edge checker is also run on broken graphs, to show it finds what it is for.
 */
import { describe, expect, it } from 'vitest';
import { buildSteps } from '../../src/steps/phases.js';
import { environmentSchema, type EnvironmentConfig } from '../../src/config/schema.js';
import { ancestorsOf, hostProviders, hostsOf, needsOf, provisionsOf, type HostRole, type IdentityProvider } from '../../src/steps/contracts.js';
import { criticalPath, describeEdge, mergeAfter } from '../../src/steps/graph.js';
import type { EdgeReason, StepDef } from '../../src/steps/types.js';
import { consumptionOf, type Consumption } from './consumption.js';

const CONFIGS: Array<[string, EnvironmentConfig]> = [
  ['freeipa', environmentSchema.parse({ identity: { provider: 'freeipa' } })],
  ['iam', environmentSchema.parse({ identity: { provider: 'iam' } })],
  ['freeipa with a DR vault', environmentSchema.parse({ identity: { provider: 'freeipa' }, recovery: { drRegion: 'us-east-1' } })],
];

const sorted = (x: Iterable<string> | undefined) => [...(x ?? [])].sort();

/** What a step consumes, by producer: outputs read, instances looked up, hosts it runs on. */
interface Derived {
  reads: string[];
  instances: string[];
  hosts: string[];
}

function derivedEdges(step: StepDef, c: Consumption | undefined, steps: StepDef[], provider: IdentityProvider): Map<string, Derived> {
  const out = new Map<string, Derived>();
  const at = (p: string) => out.get(p) ?? (out.set(p, { reads: [], instances: [], hosts: [] }), out.get(p)!);
  const creators = hostProviders(steps, provider);
  const present = new Set(hostsOf(provider));
  for (const [p, keys] of c?.reads ?? []) at(p).reads = sorted(keys);
  for (const h of c?.instances ?? []) if (present.has(h)) for (const p of creators.get(h) ?? []) at(p).instances = sorted([...at(p).instances, h]);
  for (const h of step.contract?.runsOn ?? []) if (present.has(h)) for (const p of creators.get(h) ?? []) at(p).hosts = sorted([...at(p).hosts, h]);
  return out;
}

/** Hosts a step runs on that exist with this provider. */
const hostsOfStep = (s: StepDef, provider: IdentityProvider) => (s.contract?.runsOn ?? []).filter((h) => hostsOf(provider).includes(h));

/** One sentence per edge that is missing, has no reason, or has a reason that is not true. */
function edgeProblems(steps: StepDef[], provider: IdentityProvider, consumed: Map<string, Consumption>): string[] {
  const problems: string[] = [];
  const byId = new Map(steps.map((s) => [s.id, s]));
  for (const s of steps) {
    const after = s.after ?? {};
    if (sorted(Object.keys(after)).join() !== sorted(s.dependsOn).join())
      problems.push(`${s.id}: dependsOn (${s.dependsOn.join(', ')}) is not the list of its reasons (${Object.keys(after).join(', ')})`);
    const derived = s.kind === 'check' ? new Map<string, Derived>() : derivedEdges(s, consumed.get(s.id), steps, provider);
    // Everything it consumes is an edge, and the edge says exactly what.
    for (const [p, d] of derived) {
      const r: EdgeReason | undefined = after[p];
      if (!r) {
        problems.push(`${s.id}: consumes ${p} (${JSON.stringify(d)}) without waiting for it`);
        continue;
      }
      for (const f of ['reads', 'instances', 'hosts'] as const)
        if (sorted(r[f]).join() !== d[f].join())
          problems.push(`${s.id} → ${p}: says ${f} [${sorted(r[f]).join(', ')}], its functions show [${d[f].join(', ')}]`);
    }
    // Every edge has a reason, and each reason is true.
    for (const p of s.dependsOn) {
      const r = after[p];
      if (!r || !describeEdge(r)) {
        problems.push(`${s.id} → ${p}: no reason`);
        continue;
      }
      const target = byId.get(p);
      if (!target) {
        problems.push(`${s.id} → ${p}: no such step`);
        continue;
      }
      if (!derived.has(p))
        for (const f of ['reads', 'instances', 'hosts'] as const)
          if (r[f]?.length) problems.push(`${s.id} → ${p}: says ${f} [${r[f]!.join(', ')}], its functions show none`);
      for (const entry of r.needs ?? []) {
        const [what, place] = entry.split('@') as [string, string | undefined];
        const places = place ? [place] : hostsOfStep(s, provider);
        const needed = needsOf(s, provider).some((n) => n.what === what && places.includes(n.at));
        const provided = provisionsOf(target, provider).some((q) => q.what === what && places.includes(q.at));
        if (!needed || !provided)
          problems.push(`${s.id} → ${p}: says it needs ${entry}, but ${!needed ? `no role of ${s.id} needs it` : `${p} does not provide it`}`);
      }
      if (r.order) {
        const shared = hostsOfStep(s, provider).filter((h) => hostsOfStep(target, provider).includes(h));
        if (!shared.length) problems.push(`${s.id} → ${p}: ordered "${r.order}", but they share no host`);
      }
      if (r.inspects && s.kind !== 'check') problems.push(`${s.id} → ${p}: only a check inspects`);
      if (s.kind === 'check' && !r.inspects) problems.push(`${s.id} → ${p}: a check's edge says what it inspects`);
    }
  }
  return problems;
}

async function consumptionOfAll(steps: StepDef[], env: EnvironmentConfig): Promise<Map<string, Consumption>> {
  const out = new Map<string, Consumption>();
  for (const s of steps) if (s.kind !== 'check') out.set(s.id, await consumptionOf(s, env));
  return out;
}

describe.each(CONFIGS)('GIVEN the %s deploy graph', (_name, env) => {
  const provider = env.identity.provider as IdentityProvider;

  it('WHEN every edge is compared with what its step consumes THEN each has a true reason and nothing consumed is missing', async () => {
    const steps = buildSteps(env);
    expect(edgeProblems(steps, provider, await consumptionOfAll(steps, env))).toEqual([]);
  });

  it('WHEN a step reads an output THEN the step that makes it is an ancestor (done before it runs)', async () => {
    const steps = buildSteps(env);
    const ancestors = ancestorsOf(steps);
    const consumed = await consumptionOfAll(steps, env);
    for (const [id, c] of consumed) for (const producer of c.reads.keys()) expect(ancestors.get(id)!.has(producer), `${id} reads ${producer}`).toBe(true);
  });

  it('WHEN listing the steps THEN only the stacks that read nothing of the state backend, and their checks, start with it', () => {
    // The VPC, the storage stack and the DR vault (and the checks that inspect only them): their templates fit in
    // TemplateBody and read no output of bootstrap.state (the run's lock attaches when it is done: docs/architecture.md, "The step graph").
    const steps = buildSteps(env);
    const ancestors = ancestorsOf(steps);
    const free = steps.filter((x) => x.id !== 'bootstrap.state' && !ancestors.get(x.id)!.has('bootstrap.state')).map((x) => x.id);
    const dr = steps.some((x) => x.id === 'storage.dr-vault') ? ['storage.dr-vault'] : [];
    expect(free).toEqual(['network.stack', ...dr, 'storage.stack', 'golive.backup', 'golive.ssh-exposure', 'golive.rds-private']);
  });
});

describe('GIVEN a broken graph WHEN the edges are checked THEN the checker names the problem', () => {
  const env = CONFIGS[0]![1];
  const edit = (steps: StepDef[], id: string, change: (s: StepDef) => StepDef) => steps.map((s) => (s.id === id ? change(s) : s));
  const addEdge = (dep: string, reason: EdgeReason | undefined) => (s: StepDef) => ({
    ...s,
    dependsOn: [...s.dependsOn, dep],
    after: reason ? { ...s.after, [dep]: reason } : s.after,
  });
  const dropEdge = (dep: string) => (s: StepDef) => ({
    ...s,
    dependsOn: s.dependsOn.filter((d) => d !== dep),
    after: Object.fromEntries(Object.entries(s.after ?? {}).filter(([d]) => d !== dep)),
  });

  it.each<[string, string, (s: StepDef) => StepDef, string]>([
    ['an edge without a reason', 'identity.stack', addEdge('storage.stack', undefined), 'identity.stack → storage.stack: no reason'],
    [
      'an edge for an output the step does not read',
      'identity.stack',
      addEdge('storage.stack', { reads: ['EfsFileSystemId'] }),
      'identity.stack → storage.stack: says reads [EfsFileSystemId], its functions show none',
    ],
    ['an output read without waiting for its step', 'identity.dns', dropEdge('compute.stack'), 'identity.dns: consumes compute.stack'],
    [
      'a reason that lists fewer outputs than are read',
      'compute.stack',
      (s) => ({ ...s, after: { ...s.after, 'network.stack': { reads: ['VpcId'] } } }),
      'compute.stack → network.stack: says reads [VpcId]',
    ],
    [
      'a need no role has',
      'identity.ipa-replica',
      (s) => ({ ...s, after: mergeAfter(s.after!, { 'identity.ipa-server': { needs: ['svc:spark-master@master'] } }) }),
      'says it needs svc:spark-master@master, but no role of identity.ipa-replica needs it',
    ],
    [
      'an order between steps on different hosts',
      'identity.configure-dev',
      addEdge('identity.ipa-replica', { order: 'same host' }),
      'identity.configure-dev → identity.ipa-replica: ordered "same host", but they share no host',
    ],
    [
      'a playbook without the stack that creates its hosts',
      'identity.ipa-replica',
      dropEdge('identity.stack'),
      'identity.ipa-replica: consumes identity.stack',
    ],
  ])('WHEN the graph has %s THEN it is reported', async (_what, id, change, message) => {
    const steps = edit(buildSteps(env), id, change);
    const problems = edgeProblems(steps, 'freeipa', await consumptionOfAll(steps, env));
    expect(problems.join('\n')).toContain(message);
  });
});

describe('GIVEN the critical path at the typical times (stacks by their resources, playbooks 300 s, checks 20 s)', () => {
  const STACKS: Record<string, number> = {
    'bootstrap.state': 164,
    'network.stack': 184,
    'compute.stack': 176,
    'storage.stack': 719,
    'identity.stack': 303,
    'identity.dns': 50,
    'monitoring.stack': 189,
    'monitoring.worker-bootstrap': 74,
  };
  const steps = buildSteps(environmentSchema.parse({}));
  const seconds = (id: string) => STACKS[id] ?? (steps.find((s) => s.id === id)!.kind === 'check' ? 20 : 300);

  it('WHEN the identity stack and enrolment are placed THEN the FreeIPA servers do not wait for storage, nor the nodes for the replica', () => {
    const ancestors = ancestorsOf(steps);
    expect(ancestors.get('identity.stack')).toEqual(new Set(['network.stack', 'bootstrap.state']));
    expect(ancestors.get('identity.ipa-server')!.has('storage.stack')).toBe(false);
    for (const id of ['identity.enrol-hosts', 'identity.configure-bastion', 'identity.configure-worker'])
      expect(ancestors.get(id)!.has('identity.ipa-replica'), id).toBe(false);
  });

  it('WHEN the node playbooks are placed THEN each configure step mounts and enrols its hosts itself: no mount or enrolment playbook runs before it', () => {
    const ids = steps.map((s) => s.id);
    expect(ids).not.toContain('identity.nfs');
    expect(ids).not.toContain('identity.enrol');
    const byId = new Map(steps.map((s) => [s.id, s]));
    for (const role of ['bastion', 'master', 'dev', 'worker'])
      expect(byId.get(`identity.configure-${role}`)!.after!['identity.enrol-hosts'], role).toEqual({ needs: ['host-keytab'] });
  });

  it('WHEN the longest path is computed THEN it runs through the first IPA server and the node playbooks, neither storage nor the replica, and is 30 minutes shorter than before', () => {
    const cp = criticalPath(steps, seconds);
    expect(cp.path).toEqual([
      'network.stack',
      'identity.stack',
      'identity.ipa-server',
      'identity.enrol-hosts',
      'identity.configure-bastion',
      'monitoring.agent',
      'monitoring.worker-bootstrap',
      'golive.stacks',
    ]);
    // Before issue 14 (main at 930b02c): 59.4 min through storage → identity.stack → ipa-server → ipa-replica → enrol-hosts → enrol → configure-master → configure-worker → agent;
    // 39.4 min with the edges from consumption, while the mount and the enrolment were playbooks of their own;
    // 32.4 min while the VPC waited for the state backend (164 s) without reading anything of it.
    expect(cp.totalSeconds / 60).toBeCloseTo(29.7, 1);
  });

  it('WHEN every edge is described THEN the words say what was checked', () => {
    const byId = new Map(steps.map((s) => [s.id, s]));
    expect(describeEdge(byId.get('identity.ipa-replica')!.after!['identity.ipa-server']!)).toBe('needs what it leaves: svc:ipa@ipa-server');
    expect(describeEdge(byId.get('identity.ipa-replica')!.after!['identity.stack']!)).toBe(
      'reads IpaReplicaInstanceId; runs on the hosts it creates (ipa-replica)',
    );
    const hosts: HostRole[] = ['master'];
    expect(describeEdge({ hosts, reads: ['MasterInstanceId'] })).toBe('reads MasterInstanceId; runs on the hosts it creates (master)');
  });
});
