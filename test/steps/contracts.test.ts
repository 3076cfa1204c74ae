/**
 * The prerequisite model over the step graph: every playbook step starts only after the steps
 * that install what its roles need (packages, services, mounts, keytabs, AWS resources), and
 * no two playbook steps can run on the same host at once (nothing runs on an IPA server during
 * its install; the agent is configured after the nodes). Also: the model's playbook table is
 * the playbooks' real content.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildSteps } from '../../src/steps/phases.js';
import {
  PLAYBOOKS,
  ROLE_CONTRACTS,
  HOST_BASELINE,
  STEP_VARIABLES,
  ancestorsOf,
  playbookRoles,
  unmetPrerequisites,
  type IdentityProvider,
} from '../../src/steps/contracts.js';
import { environmentSchema } from '../../src/config/schema.js';
import type { StepDef } from '../../src/steps/types.js';

const BUNDLE = path.resolve(import.meta.dirname, '..', '..', 'templates', 'ansible');
const graph = (provider: IdentityProvider) => buildSteps(environmentSchema.parse({ identity: { provider } }));
const without = (steps: StepDef[], id: string, dep: string) => steps.map((s) => (s.id === id ? { ...s, dependsOn: s.dependsOn.filter((d) => d !== dep) } : s));
/** The graph without one step (and the edges to it). */
const withoutStep = (steps: StepDef[], id: string) => steps.filter((s) => s.id !== id).map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => d !== id) }));

describe('GIVEN the bundled step graph', () => {
  it.each<IdentityProvider>(['freeipa', 'iam'])(
    'WHEN the %s graph is walked THEN every prerequisite is met and no two playbooks share a host at once',
    (provider) => {
      expect(unmetPrerequisites(graph(provider), provider)).toEqual([]);
    },
  );

  it.each<IdentityProvider>(['freeipa', 'iam'])(
    'WHEN listing the %s playbook steps THEN each declares where it runs and runs a playbook of the model',
    (provider) => {
      const runners = graph(provider).filter((s) => s.kind === 'playbook');
      expect(runners.length).toBeGreaterThan(4);
      for (const s of runners) {
        expect(s.contract?.runsOn?.length, s.id).toBeGreaterThan(0);
        expect(PLAYBOOKS[s.contract!.playbook!], s.id).toBeDefined();
      }
    },
  );
});

describe('GIVEN a graph with one dependency removed', () => {
  const f = graph('freeipa');
  it.each([
    [
      'the agent no longer after the workers are configured',
      'monitoring.agent',
      'identity.configure-worker',
      'identity.configure-worker and monitoring.agent can run at the same time on worker',
    ],
    [
      'the agent no longer after the replica install',
      'monitoring.agent',
      'identity.ipa-replica',
      'identity.ipa-replica and monitoring.agent can run at the same time on ipa-replica',
    ],
    [
      'the agent no longer after the log groups exist',
      'monitoring.agent',
      'monitoring.stack',
      'monitoring.agent: monitoring on bastion needs log-groups on aws',
    ],
    [
      'the replica install no longer after the server',
      'identity.ipa-replica',
      'identity.ipa-server',
      'identity.ipa-replica: freeipa_replica on ipa-replica needs svc:ipa on ipa-server',
    ],
    [
      'the clients no longer after their keytabs',
      'identity.configure-bastion',
      'identity.enrol-hosts',
      'identity.configure-bastion: freeipa_client on bastion needs host-keytab',
    ],
    [
      'the policy no longer after the host enrolment on the same server',
      'identity.ipa-policy',
      'identity.enrol-hosts',
      'identity.enrol-hosts and identity.ipa-policy can run at the same time on ipa-server',
    ],
    [
      'the host enrolment no longer after the first server',
      'identity.enrol-hosts',
      'identity.ipa-server',
      'identity.enrol-hosts: freeipa_server:enrol_hosts on ipa-server needs svc:ipa, which no step before it provides',
    ],
  ])('WHEN %s THEN the walk names it', (_what, id, dep, message) => {
    const problems = unmetPrerequisites(without(f, id, dep), 'freeipa');
    expect(problems.join('\n')).toContain(message);
  });
});

describe('GIVEN a service a daemon only connects to at run time (uses: no ordering)', () => {
  const f = graph('freeipa');
  it.each([
    // Workers register with the Spark master when it comes (and retry); they are configured alongside it.
    [
      'the Spark master',
      'identity.configure-master',
      'identity.configure-worker: spark_worker on worker uses svc:spark-master on master at run time, which no step of the graph provides',
    ],
    // Clients enrol against the first server while the replica installs, and fail over to it later.
    [
      'the replica',
      'identity.ipa-replica',
      'identity.configure-bastion: freeipa_client on bastion uses svc:ipa on ipa-replica at run time, which no step of the graph provides',
    ],
  ])('WHEN the graph has no step providing %s THEN the walk names the user', (_what, id, message) => {
    expect(unmetPrerequisites(withoutStep(f, id), 'freeipa').join('\n')).toContain(message);
  });

  it.each([
    ['the workers are configured while the master is', 'identity.configure-worker', 'identity.configure-master'],
    ['the nodes enrol (in their configure playbooks) while the replica installs', 'identity.configure-master', 'identity.ipa-replica'],
    ['the host enrolment runs while the replica installs', 'identity.enrol-hosts', 'identity.ipa-replica'],
  ])('WHEN the bundled graph is read THEN %s (neither is an ancestor of the other)', (_what, a, b) => {
    const anc = ancestorsOf(f);
    expect(anc.get(a)!.has(b)).toBe(false);
    expect(anc.get(b)!.has(a)).toBe(false);
  });
});

describe('GIVEN the model tables', () => {
  /** Roles of a playbook as written: roles:, import_role (with tasks_from), and a provider condition. */
  function rolesInYaml(file: string): Array<string | { role: string; provider: string }> {
    const out: Array<string | { role: string; provider: string }> = [];
    const plays = YAML.parse(readFileSync(path.join(BUNDLE, file), 'utf8')) as any[];
    for (const play of plays) {
      const imported = play['ansible.builtin.import_playbook'] ?? play.import_playbook;
      if (imported) {
        out.push(...rolesInYaml(imported));
        continue;
      }
      for (const r of play.roles ?? []) out.push(typeof r === 'string' ? r : r.role);
      for (const t of play.tasks ?? []) {
        const imp = t['ansible.builtin.import_role'] ?? t['ansible.builtin.include_role'];
        if (!imp) continue;
        const name = imp.tasks_from ? `${imp.name}:${imp.tasks_from}` : imp.name;
        const provider = /identity_provider == '(\w+)'/.exec(String(t.when ?? ''))?.[1];
        out.push(provider ? { role: name, provider } : name);
      }
    }
    return out;
  }

  it.each(Object.keys(PLAYBOOKS))('WHEN reading %s THEN its roles are the ones the model says, in order', (file) => {
    expect(rolesInYaml(file)).toEqual(PLAYBOOKS[file]);
  });

  it('WHEN listing the roles of the bundle THEN each has a contract (and each contract a role)', () => {
    const roles = readdirSync(path.join(BUNDLE, 'roles')).sort();
    const contracted = [...new Set(Object.keys(ROLE_CONTRACTS).map((r) => r.split(':')[0]!))].sort();
    expect(contracted).toEqual(roles);
  });

  it('WHEN a role needs something on its own host THEN some role, the image or a stack can provide it', () => {
    const providable = new Set([
      ...Object.values(ROLE_CONTRACTS).flatMap((c) => c.provides.map((p) => p.split(' if ')[0]!)),
      ...Object.values(HOST_BASELINE).flat(),
      'host-keytab',
    ]);
    for (const [role, c] of Object.entries(ROLE_CONTRACTS))
      for (const n of c.needs.filter((x) => !x.includes('@'))) expect(providable.has(n.split(' if ')[0]!), `${role} needs ${n}`).toBe(true);
  });

  /** Every file of a role (defaults, tasks, templates), as text. */
  function roleText(role: string): string {
    const dir = path.join(BUNDLE, 'roles', role);
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [readFileSync(path.join(d, e.name), 'utf8')]));
    return walk(dir).join('\n');
  }

  it.each(readdirSync(path.join(BUNDLE, 'roles')).sort())(
    'WHEN role %s is read THEN the variables it uses that dpf computes from other steps are the ones its contract lists',
    (role) => {
      const used = STEP_VARIABLES.filter((v) => new RegExp(`\\b${v}\\b`).test(roleText(role)));
      const declared = [
        ...new Set(
          Object.entries(ROLE_CONTRACTS)
            .filter(([r]) => r.split(':')[0] === role)
            .flatMap(([, c]) => c.vars ?? []),
        ),
      ];
      expect(declared.sort()).toEqual([...used].sort());
    },
  );

  it('WHEN the iam provider is used THEN playbooks drop the FreeIPA client', () => {
    expect(playbookRoles('worker.yml', 'iam')).not.toContain('freeipa_client');
    expect(playbookRoles('worker.yml', 'freeipa')).toContain('freeipa_client');
  });
});
