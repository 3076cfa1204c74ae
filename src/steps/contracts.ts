/**
 * The prerequisite model, as data: what each Ansible role needs before it runs and what it
 * leaves on its host, what each playbook runs, what a host has from its image, and what the
 * stacks create. `unmetPrerequisites` walks a step graph with it and says which playbook step
 * can start before a step that provides something it needs, and which two playbook steps can
 * run on the same host at the same time.
 *
 * A capability is a short name: `pkg:awscli`, `svc:ipa`, `mount:/shared`, `efs`. A need
 * without `@` is needed on the host the role runs on; `name@place` is needed at another place
 * (another host role, or `aws` for account-level resources). A trailing `if fact` limits a
 * need or a provision to hosts whose image has that fact (only master and workers have a data
 * volume). A need is something the role must find *while it runs*; a daemon that connects to a
 * service later and retries until it answers lists it under `uses` instead, which orders
 * nothing (test/steps/graph.test.ts checks that some step of the graph provides it). Each role
 * also names the extra variables it reads that dpf computes from other steps' outputs (`vars`):
 * src/steps/phases.ts passes a playbook only those, and its dependencies follow from them.
 */
import type { StepDef } from './types.js';

export const HOST_ROLES = ['bastion', 'master', 'dev', 'worker', 'ipa-server', 'ipa-replica'] as const;
export type HostRole = (typeof HOST_ROLES)[number];
export type Place = HostRole | 'aws';
export type IdentityProvider = 'freeipa' | 'iam';

/** What a step declares for the model (stack steps: what they create; playbook steps: where and what they run). */
export interface StepContract {
  /** Hosts the step's playbook runs on. */
  runsOn?: readonly HostRole[];
  /** Playbook at the bundle root (its roles come from PLAYBOOKS). */
  playbook?: string;
  /** What the step leaves beyond its roles, by place (a stack's resources; keytabs minted elsewhere). */
  provides?: Partial<Record<Place, readonly string[]>>;
}

const AL2023 = ['pkg:python3', 'pkg:awscli', 'svc:amazon-ssm-agent'];
/** What each host has from its image and user data before any step configures it. */
export const HOST_BASELINE: Record<HostRole, readonly string[]> = {
  bastion: AL2023,
  master: [...AL2023, 'disk:data'],
  dev: AL2023,
  worker: [...AL2023, 'disk:data'],
  // Rocky/Alma: no AWS CLI; the user data installs the SSM agent and sets the FQDN host name.
  'ipa-server': ['pkg:python3', 'svc:amazon-ssm-agent', 'hostname:fqdn'],
  'ipa-replica': ['pkg:python3', 'svc:amazon-ssm-agent', 'hostname:fqdn'],
};

export interface RoleContract {
  needs: readonly string[];
  provides: readonly string[];
  /** Services its daemons connect to at run time and retry until they answer (no ordering). */
  uses?: readonly string[];
  /** Extra variables it reads that dpf computes from other steps' outputs (STEP_VARIABLES). */
  vars?: readonly StepVariable[];
}

/** Extra variables computed from other steps' outputs; every other variable comes from the config. */
export const STEP_VARIABLES = ['efs_file_system_id', 'efs_access_point_id', 'rds_endpoint', 'rds_secret_arn', 'spark_master_host'] as const;
export type StepVariable = (typeof STEP_VARIABLES)[number];

/** Role (or role:tasks_from) → what it needs and what it leaves on its host. */
export const ROLE_CONTRACTS: Record<string, RoleContract> = {
  common: { needs: [], provides: ['pkg:awscli', 'pkg:python3-pip', 'svc:chronyd', 'svc:rsyslog', 'sshd:hardened', 'mount:/data if disk:data'] },
  nfs_client: { needs: ['efs@aws'], provides: ['mount:/shared'], vars: ['efs_file_system_id', 'efs_access_point_id'] },
  freeipa_server: { needs: ['pkg:awscli', 'hostname:fqdn', 'ipa-secrets@aws'], provides: ['svc:ipa'] },
  'freeipa_server:policy': { needs: ['svc:ipa', 'pkg:awscli', 'ipa-secrets@aws'], provides: ['ipa:policy'] },
  'freeipa_server:enrol_hosts': { needs: ['svc:ipa', 'pkg:awscli', 'ipa-secrets@aws'], provides: [] },
  freeipa_replica: { needs: ['pkg:awscli', 'hostname:fqdn', 'ipa-secrets@aws', 'svc:ipa@ipa-server'], provides: ['svc:ipa'] },
  // Clients are configured with both servers (sssd.conf, krb5.conf), the first server first, and
  // their own keytab. They enrol against the first server: ipa-client-install skips a listed
  // server whose LDAP does not answer ("Skip …: LDAP server is not responding", freeipa
  // ipaclient/discovery.py) and SSSD tries the servers in order and fails over (sssd-ipa(5)
  // ipa_server), so the replica is used once its install is done.
  freeipa_client: { needs: ['pkg:awscli', 'host-keytab', 'svc:ipa@ipa-server'], provides: ['svc:sssd'], uses: ['svc:ipa@ipa-replica'] },
  data_processing: { needs: ['mount:/data if disk:data'], provides: ['svc:docker', 'venv:/opt/dpf/venv', 'group:dataeng'] },
  job_scheduler: { needs: ['pkg:awscli', 'mount:/shared', 'rds@aws', 'rds-secret@aws'], provides: ['svc:airflow'], vars: ['rds_endpoint', 'rds_secret_arn'] },
  'spark_worker:master': { needs: ['mount:/data if disk:data'], provides: ['svc:spark-master'], vars: ['spark_master_host'] },
  // The worker unit only needs the master's address; the worker registers at run time and
  // retries (Spark's Worker gives up after 16 attempts and exits 1, and the unit's
  // Restart=on-failure starts it again), so workers are configured while the master is.
  spark_worker: { needs: ['mount:/data if disk:data'], provides: ['svc:spark-worker'], uses: ['svc:spark-master@master'], vars: ['spark_master_host'] },
  kubernetes: { needs: ['mount:/data if disk:data'], provides: ['svc:k3s'] },
  jupyterhub: { needs: ['venv:/opt/dpf/venv', 'mount:/shared'], provides: ['svc:jupyterhub'] },
  monitoring: { needs: ['log-groups@aws'], provides: ['svc:amazon-cloudwatch-agent'] },
};

/** A role of a playbook, optionally only with one identity provider. */
export type PlaybookRole = string | { role: string; provider: IdentityProvider };

/** Playbook → its roles in order (test/steps/contracts.test.ts checks this against the YAML). */
export const PLAYBOOKS: Record<string, readonly PlaybookRole[]> = {
  'nfs.yml': ['nfs_client'],
  'ipa-server.yml': ['common', 'freeipa_server'],
  'ipa-replica.yml': ['common', 'freeipa_replica'],
  'freeipa-policy.yml': ['freeipa_server:policy'],
  'freeipa-enrol.yml': ['freeipa_server:enrol_hosts'],
  'freeipa-client.yml': ['freeipa_client'],
  'bastion.yml': ['common', { role: 'freeipa_client', provider: 'freeipa' }],
  'master.yml': [
    'common',
    'nfs_client',
    { role: 'freeipa_client', provider: 'freeipa' },
    'data_processing',
    'job_scheduler',
    'spark_worker:master',
    'kubernetes',
  ],
  'dev.yml': ['common', 'nfs_client', { role: 'freeipa_client', provider: 'freeipa' }, 'data_processing', 'jupyterhub'],
  'worker.yml': ['common', 'nfs_client', { role: 'freeipa_client', provider: 'freeipa' }, 'data_processing', 'spark_worker'],
  'monitoring.yml': ['monitoring'],
  // A worker the Auto Scaling group launches: everything worker.yml does, then the agent.
  'worker-launch.yml': ['common', 'nfs_client', { role: 'freeipa_client', provider: 'freeipa' }, 'data_processing', 'spark_worker', 'monitoring'],
};

/** Every host that exists with this identity provider. */
export function hostsOf(provider: IdentityProvider): HostRole[] {
  return HOST_ROLES.filter((h) => provider === 'freeipa' || !h.startsWith('ipa-'));
}

/** The roles a playbook runs with this provider. */
export function playbookRoles(playbook: string, provider: IdentityProvider): string[] {
  const roles = PLAYBOOKS[playbook];
  if (!roles) throw new Error(`playbook ${playbook} has no entry in PLAYBOOKS (src/steps/contracts.ts)`);
  return roles.filter((r) => typeof r === 'string' || r.provider === provider).map((r) => (typeof r === 'string' ? r : r.role));
}

export interface Need {
  what: string;
  /** Where it is needed: a host role, or 'aws'. */
  at: Place;
}

/** `name`, `name@place`, `name if fact` → the need on `host`, or nothing when the condition does not hold there. */
export function parse(entry: string, host: HostRole): Need | undefined {
  const [body, fact] = entry.split(' if ') as [string, string | undefined];
  if (fact && !HOST_BASELINE[host].includes(fact)) return undefined;
  const [what, at] = body.split('@') as [string, string | undefined];
  return { what, at: (at as Place | undefined) ?? host };
}

export function ancestorsOf(steps: Array<Pick<StepDef, 'id' | 'dependsOn'>>): Map<string, Set<string>> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const memo = new Map<string, Set<string>>();
  const visit = (id: string): Set<string> => {
    const hit = memo.get(id);
    if (hit) return hit;
    const out = new Set<string>();
    memo.set(id, out);
    for (const d of byId.get(id)?.dependsOn ?? []) {
      out.add(d);
      for (const a of visit(d)) out.add(a);
    }
    return out;
  };
  for (const s of steps) visit(s.id);
  return memo;
}

/** What a step leaves, by place: its declared provisions plus its roles' on each host it runs on. */
export function provisionsOf(step: StepDef, provider: IdentityProvider): Array<{ what: string; at: Place }> {
  const c = step.contract;
  if (!c) return [];
  const out: Array<{ what: string; at: Place }> = [];
  for (const [at, list] of Object.entries(c.provides ?? {})) for (const what of list ?? []) out.push({ what, at: at as Place });
  if (c.playbook)
    for (const host of c.runsOn ?? [])
      for (const role of playbookRoles(c.playbook, provider))
        for (const p of ROLE_CONTRACTS[role]?.provides ?? []) {
          const n = parse(p, host);
          if (n) out.push({ what: n.what, at: host });
        }
  return out;
}

/** Everything the roles of a playbook step need, where (before subtracting what the host or its own roles have). */
export function needsOf(step: StepDef, provider: IdentityProvider): Need[] {
  const c = step.contract;
  if (!c?.playbook) return [];
  const out: Need[] = [];
  for (const host of c.runsOn ?? [])
    for (const role of playbookRoles(c.playbook, provider))
      for (const entry of ROLE_CONTRACTS[role]?.needs ?? []) {
        const n = parse(entry, host);
        if (n) out.push(n);
      }
  return out;
}

/** The steps that create each host (a stack providing `instance` there). */
export function hostProviders(steps: StepDef[], provider: IdentityProvider): Map<HostRole, string[]> {
  const out = new Map<HostRole, string[]>();
  for (const s of steps)
    for (const p of provisionsOf(s, provider)) if (p.what === 'instance' && p.at !== 'aws') out.set(p.at, [...(out.get(p.at) ?? []), s.id]);
  return out;
}

/**
 * Problems with the graph, one sentence each (empty when every prerequisite is met):
 * - a playbook step needs a capability no ancestor step (nor an earlier role of its own
 *   playbook, nor the host's image) provides;
 * - two playbook steps run on a common host and neither depends on the other;
 * - a role uses a service at run time that no step of the graph provides.
 */
export function unmetPrerequisites(steps: StepDef[], provider: IdentityProvider): string[] {
  const problems: string[] = [];
  const ancestors = ancestorsOf(steps);
  const hosts = new Set(hostsOf(provider));
  const provided = new Map(steps.map((s) => [s.id, provisionsOf(s, provider)]));
  const has = (ids: Iterable<string>, what: string, at: Place) => {
    for (const id of ids) if (provided.get(id)!.some((p) => p.what === what && p.at === at)) return true;
    return false;
  };
  const runners = steps.filter((s) => s.contract?.playbook);
  for (const s of runners) {
    const c = s.contract!;
    const before = ancestors.get(s.id)!;
    const own = new Set((Object.entries(c.provides ?? {}) as Array<[Place, string[]]>).flatMap(([at, l]) => l.map((w) => `${w}@${at}`)));
    for (const host of c.runsOn ?? []) {
      if (!hosts.has(host)) continue;
      const local = new Set(HOST_BASELINE[host]);
      const implicit = ['instance', 'ssm-document@aws'];
      for (const role of ['(host)', ...playbookRoles(c.playbook!, provider)]) {
        const contract: RoleContract | undefined = role === '(host)' ? { needs: implicit, provides: [] } : ROLE_CONTRACTS[role];
        if (!contract) {
          problems.push(`${s.id}: role ${role} of ${c.playbook} has no entry in ROLE_CONTRACTS`);
          continue;
        }
        for (const entry of contract.needs) {
          const n = parse(entry, host);
          if (!n) continue;
          if (n.at !== 'aws' && !hosts.has(n.at as HostRole)) continue; // that host does not exist with this provider
          const met = (n.at === host && local.has(n.what)) || own.has(`${n.what}@${n.at}`) || has(before, n.what, n.at);
          if (!met) problems.push(`${s.id}: ${role} on ${host} needs ${n.what}${n.at === host ? '' : ` on ${n.at}`}, which no step before it provides`);
        }
        for (const entry of contract.uses ?? []) {
          const n = parse(entry, host);
          if (!n || (n.at !== 'aws' && !hosts.has(n.at as HostRole))) continue;
          if (!has(provided.keys(), n.what, n.at))
            problems.push(`${s.id}: ${role} on ${host} uses ${n.what}${n.at === host ? '' : ` on ${n.at}`} at run time, which no step of the graph provides`);
        }
        for (const p of contract.provides) {
          const n = parse(p, host);
          if (n) local.add(n.what);
        }
      }
    }
  }
  for (let i = 0; i < runners.length; i++)
    for (let j = i + 1; j < runners.length; j++) {
      const a = runners[i]!;
      const b = runners[j]!;
      const common = (a.contract!.runsOn ?? []).filter((h) => hosts.has(h) && (b.contract!.runsOn ?? []).includes(h));
      if (common.length && !ancestors.get(a.id)!.has(b.id) && !ancestors.get(b.id)!.has(a.id))
        problems.push(`${a.id} and ${b.id} can run at the same time on ${common.join(', ')}: one must depend on the other`);
    }
  return problems;
}
