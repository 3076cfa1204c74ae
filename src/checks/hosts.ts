/**
 * Checks that look at the hosts themselves, through SSM Run Command (AWS-RunShellScript):
 * /shared is the EFS mount, RDS answers from a worker, the directory resolves a platform user
 * (or, with identity.provider iam, Session Manager access is in place), and each role can use
 * its part of the data lake and not the rest. Scripts print probe markers (parsers.ts); an
 * empty output is "unknown: the host returned no output", never pass.
 */
import type { InstanceInfo } from '../aws/ops-ports.js';
import { runCommand } from '../ssm/run-command.js';
import type { CheckContext, CheckOutcome, CheckSpec } from './types.js';
import { combine, couldNotAsk, environmentInstances, label, roleOf, unknown, type Part } from './common.js';
import {
  hostFinding,
  parseDatabaseReachable,
  parseDataAccess,
  parseDirectory,
  parseEfsMount,
  probe,
  probeName,
  shellSafe,
  type AccessProbe,
  type HostFinding,
  type HostOutput,
  type Section,
} from './parsers.js';

export const SHELL_DOCUMENT = 'AWS-RunShellScript';
/** The FreeIPA user every enrolled node must resolve (created by ipa-server-install). */
export const DIRECTORY_USER = 'admin';
export const MOUNT_POINT = '/shared';
const EFS_ROLES = ['master', 'dev', 'worker'];
const CLIENT_ROLES = ['bastion', 'master', 'dev', 'worker'];

/** Run a script on the given instances and return what each printed (stdout with stderr merged). */
export async function runOnHosts(ctx: CheckContext, instances: InstanceInfo[], commands: string[]): Promise<{ commandId: string; hosts: HostOutput[] }> {
  const ops = await ctx.ops();
  const ids = instances.map((i) => i.instanceId);
  const labels = Object.fromEntries(instances.map((i) => [i.instanceId, roleOf(i)]));
  const run = await runCommand(
    ops.ssm,
    { clock: ctx.clock, io: ctx.io, signal: ctx.signal, stepId: ctx.stepId },
    {
      documentName: SHELL_DOCUMENT,
      // The script never fails on a probe's exit code: each probe reports its own.
      parameters: { commands: [...commands, 'true'], executionTimeout: ['120'] },
      instanceIds: ids,
      expectedInstanceIds: ids,
      maxConcurrency: ctx.env.ssm.maxConcurrency,
      maxErrors: '100%',
      timeoutSeconds: 60,
      comment: `dpf ${ctx.stepId}`.slice(0, 100),
    },
    { pollMs: ctx.pollMs, maxPollMs: ctx.pollMaxMs, tailLines: 1000, labels, timeoutSeconds: 300 },
  );
  return {
    commandId: run.commandId,
    hosts: run.hosts.map((h) => ({
      instanceId: h.instanceId,
      role: labels[h.instanceId] ?? 'unknown-role',
      status: h.status,
      responseCode: h.responseCode,
      output: h.tail.join('\n'),
      note: h.note,
    })),
  };
}

/**
 * Per-host findings → parts and evidence (the raw output is kept, up to 4 000 characters per
 * host). Every instance in `expected` that has no result is an unknown part of its own: a host
 * that did not answer never disappears from the verdict.
 */
export function hostParts(
  hosts: HostOutput[],
  parse: (host: HostOutput, sections: Map<string, Section>) => HostFinding,
  expected: InstanceInfo[] = [],
): { parts: Part[]; evidence: Array<Record<string, unknown>> } {
  const parts: Part[] = [];
  const evidence: Array<Record<string, unknown>> = [];
  for (const h of hosts) {
    const f = hostFinding(h, (s) => parse(h, s));
    parts.push({ subject: `${h.instanceId} (${h.role})`, status: f.status, detail: f.detail });
    evidence.push({
      instanceId: h.instanceId,
      role: h.role,
      invocation: h.status,
      verdict: f.status,
      detail: f.detail,
      ...(f.facts ? { facts: f.facts } : {}),
      output: h.output.slice(0, 4000),
    });
  }
  const answered = new Set(hosts.map((h) => h.instanceId));
  for (const i of expected.filter((x) => !answered.has(x.instanceId))) {
    const detail = 'no result for this instance in the SSM command';
    parts.push({ subject: label(i), status: 'unknown', detail });
    evidence.push({ instanceId: i.instanceId, role: roleOf(i), invocation: 'missing', verdict: 'unknown', detail });
  }
  return { parts, evidence };
}

/** Nodes of these roles that are not running cannot be inspected: unknown, named, never skipped. */
function notRunningParts(instances: InstanceInfo[]): Part[] {
  return instances
    .filter((i) => i.state !== 'running')
    .map((i) => ({ subject: label(i), status: 'unknown', detail: `instance is ${i.state}: its host cannot be inspected` }));
}

async function onHosts(
  ctx: CheckContext,
  instances: InstanceInfo[],
  commands: string[],
  parse: (host: HostOutput, sections: Map<string, Section>) => HostFinding,
  what: { passed: string; nothing: string; hint?: string },
  extra: Record<string, unknown> = {},
): Promise<CheckOutcome> {
  const stopped = notRunningParts(instances);
  const live = instances.filter((i) => i.state === 'running');
  if (!live.length) return stopped.length ? combine(stopped, what, extra, what.hint) : unknown(what.nothing, extra);
  let run;
  try {
    run = await runOnHosts(ctx, live, commands);
  } catch (err) {
    return couldNotAsk(`SSM ${SHELL_DOCUMENT}`, err, { ...extra, instances: instances.map(label) });
  }
  const { parts, evidence } = hostParts(run.hosts, parse, live);
  return combine([...parts, ...stopped], what, { ...extra, commandId: run.commandId, script: commands, hosts: evidence }, what.hint);
}

/** The environment's nodes of these roles, in any state but terminated (onHosts names the stopped ones). */
const ofRoles = (instances: InstanceInfo[], roles: string[]) => instances.filter((i) => roles.includes(roleOf(i)));

// ---------- /shared on EFS ----------

export function efsMountScript(mountPoint = MOUNT_POINT): string[] {
  return [
    probe('mount', `findmnt -n -o FSTYPE,SOURCE --mountpoint ${shellSafe(mountPoint, 'mount point')}`),
    probe('efs-state', 'ls -1 /var/run/efs'),
    probe('fstab', `grep -E '[[:space:]]${mountPoint}[[:space:]]' /etc/fstab`),
  ];
}

export const efsMountCheck: CheckSpec = {
  id: 'golive.efs-mounts',
  title: '/shared is the EFS mount on every node',
  category: 'configuration',
  checklist: 'ansible-automation',
  after: {
    'storage.stack': { inspects: 'the file system /shared must be' },
    'identity.configure-master': { inspects: 'the /shared mount master.yml makes (nfs_client)' },
    'identity.configure-dev': { inspects: 'the /shared mount dev.yml makes (nfs_client)' },
    'identity.configure-worker': { inspects: 'the /shared mount worker.yml makes (nfs_client)' },
  },
  criterion: `${MOUNT_POINT} is an nfs4 mount of the platform's EFS file system on every master, dev and worker node`,
  estimateSeconds: 20,
  async run(ctx) {
    const fsId = ctx.outputs('storage.stack').EfsFileSystemId;
    if (!fsId) return unknown('the storage stack has no EfsFileSystemId output in the ledger');
    const nodes = ofRoles(await environmentInstances(ctx), EFS_ROLES);
    return onHosts(
      ctx,
      nodes,
      efsMountScript(),
      (_h, s) => parseEfsMount(s, fsId),
      {
        passed: `${MOUNT_POINT} is EFS ${fsId} on ${nodes.length} node(s)`,
        nothing: 'no running master, dev or worker node to inspect',
        hint: `Rerun the storage phase's NFS playbook (dpf deploy --env ${ctx.envName} --phase storage --force) and look at its log.`,
      },
      { fileSystemId: fsId },
    );
  },
};

// ---------- RDS from a worker ----------

export function databaseScript(endpoint: string): string[] {
  const h = shellSafe(endpoint, 'database endpoint');
  return [
    `if command -v pg_isready >/dev/null 2>&1; then ${probe('pg', `pg_isready -h ${h} -p 5432 -t 10`)}; else ${probe('tcp', `timeout 10 bash -c 'exec 3<>/dev/tcp/${h}/5432'`)}; fi`,
  ];
}

export const databaseCheck: CheckSpec = {
  id: 'golive.database-reachable',
  title: 'The database accepts connections from the workers',
  category: 'configuration',
  checklist: 'aws-components',
  // The worker playbook installs the PostgreSQL client (pg_isready).
  after: {
    'compute.stack': { inspects: 'the workers it launches, where the probe runs' },
    'storage.stack': { inspects: 'the database the workers must reach' },
    'identity.configure-worker': { inspects: 'the PostgreSQL client (pg_isready) it installs on the workers' },
  },
  criterion: 'pg_isready against the RDS endpoint on port 5432 reports "accepting connections" on every worker',
  estimateSeconds: 20,
  async run(ctx) {
    const s = ctx.outputs('storage.stack');
    let found: string | undefined = s.DbEndpointAddress;
    if (!found && s.DbInstanceIdentifier) found = (await (await ctx.ops()).rds.describeInstance(s.DbInstanceIdentifier))?.endpoint;
    if (!found) return unknown('the RDS endpoint is known neither from the storage stack outputs nor from DescribeDBInstances');
    const endpoint = found;
    const workers = ofRoles(await environmentInstances(ctx), ['worker']);
    return onHosts(
      ctx,
      workers,
      databaseScript(endpoint),
      (_h, sec) => parseDatabaseReachable(sec, endpoint),
      {
        passed: `${endpoint}:5432 accepts connections from ${workers.length} worker(s)`,
        nothing: 'no running worker to probe the database from',
        hint: 'Check the database security group (5432 from the compute group) and the RDS instance status.',
      },
      { endpoint },
    );
  },
};

// ---------- identity ----------

export function directoryScript(user = DIRECTORY_USER): string[] {
  const u = shellSafe(user, 'user');
  return [
    probe('id', `id ${u}`),
    probe('getent', `getent -s sss passwd ${u}`),
    `if command -v ipactl >/dev/null 2>&1; then ${probe('ipactl', 'ipactl status')}; fi`,
  ];
}

async function iamAccess(ctx: CheckContext): Promise<CheckOutcome> {
  const group = ctx.outputs('identity.stack').OperatorsGroupName;
  const parts: Part[] = [
    group
      ? { subject: `IAM group ${group}`, status: 'pass', detail: 'created by the identity stack (ssm:StartSession on the platform instances)' }
      : { subject: 'IAM operators group', status: 'fail', detail: 'the identity stack has no OperatorsGroupName output: no group may start sessions' },
  ];
  const instances = (await environmentInstances(ctx)).filter((i) => i.state === 'running');
  // No node means nothing to reach: unknown, never "can start sessions on 0 node(s)".
  if (!instances.length) parts.push({ subject: 'Session Manager', status: 'unknown', detail: `no running node tagged dpf:env=${ctx.envName} to reach` });
  else {
    try {
      const managed = new Map((await (await ctx.ops()).ssm.describeInstanceInformation(instances.map((i) => i.instanceId))).map((m) => [m.instanceId, m]));
      for (const i of instances) {
        const m = managed.get(i.instanceId);
        parts.push(
          m?.pingStatus === 'Online'
            ? { subject: label(i), status: 'pass', detail: 'SSM agent Online: Session Manager can reach it' }
            : { subject: label(i), status: 'fail', detail: `SSM agent ${m?.pingStatus ?? 'not registered'}: no Session Manager access` },
        );
      }
    } catch (err) {
      parts.push({ subject: 'Session Manager', status: 'unknown', detail: couldNotAsk('SSM DescribeInstanceInformation', err).summary });
    }
  }
  return combine(
    parts,
    { passed: `${group} can start Session Manager sessions on ${instances.length} online node(s)`, nothing: '' },
    { provider: 'iam', operatorsGroup: group },
  );
}

export const directoryCheck: CheckSpec = {
  id: 'golive.directory',
  title: 'Directory answers and platform users resolve',
  category: 'identity',
  checklist: 'ansible-automation',
  after: {
    'identity.stack': { inspects: 'the IPA servers (freeipa) or the operators group (iam)' },
    'identity.configure-bastion': { inspects: 'SSSD on the bastion, which bastion.yml enrols (freeipa_client)' },
    'identity.configure-master': { inspects: 'SSSD on the master, which master.yml enrols' },
    'identity.configure-dev': { inspects: 'SSSD on the dev node, which dev.yml enrols' },
    'identity.configure-worker': { inspects: 'SSSD on the workers, which worker.yml enrols' },
    // Every IPA service on both servers must run: nodes enrol while the replica still installs.
    'identity.ipa-replica': { inspects: 'the IPA services on the replica it installs' },
  },
  criterion: `FreeIPA: "${DIRECTORY_USER}" resolves through SSSD (id, getent) on every node and every IPA service runs; IAM: the operators group exists and every node's SSM agent is online`,
  estimateSeconds: 20,
  async run(ctx) {
    if (ctx.env.identity.provider === 'iam') return iamAccess(ctx);
    const nodes = ofRoles(await environmentInstances(ctx), [...CLIENT_ROLES, 'identity']);
    return onHosts(
      ctx,
      nodes,
      directoryScript(),
      (h, s) => parseDirectory(s, DIRECTORY_USER, { ipaServer: h.role === 'identity' }),
      {
        passed: `${DIRECTORY_USER} resolves through FreeIPA on ${nodes.length} node(s)`,
        nothing: 'no running node to inspect',
        hint: 'On a failing node: sssctl domain-status, journalctl -u sssd; on the IPA server: ipactl status.',
      },
      { provider: 'freeipa', domain: ctx.env.identity.domain, user: DIRECTORY_USER },
    );
  },
};

// ---------- data lake access per role ----------

/** The seed's data-lake layout (raw/, processed/, curated/, archive/). */
export const DATA_LAKE_PREFIXES = ['raw/', 'processed/', 'curated/', 'archive/'];
/** Node roles probed, one node each (the access matrix is per instance profile, not per node). */
export const ACCESS_ROLES = ['bastion', 'master', 'dev', 'worker', 'identity'];
/** Roles whose instance profile grants the data lake (MasterRole; WorkerRole for dev and workers). */
const DATA_ROLES = ['master', 'dev', 'worker'];
export const SENTINEL_BODY = 'dpf go-live read probe: nodes try to read this object; safe to delete\n';

/**
 * The object a read probe reads. dpf places it with the operator's credentials before the probes
 * run, because S3 answers AccessDenied for a MISSING key to a role without s3:ListBucket, whatever
 * its s3:GetObject: a forbidden read of a key that does not exist would "pass" on a role that can
 * read everything. Reads therefore target an existing object, independently of the writes.
 */
export function sentinelKey(prefix: string): string {
  return `${prefix}_dpf-golive/sentinel.txt`;
}
export function stateSentinelKey(env: string): string {
  return `ledger/${env}/_dpf-golive-sentinel.txt`;
}

/**
 * What each node role may do, from the instance profiles (templates/cloudformation/compute.yaml,
 * identity.yaml): master, dev and worker read and write every prefix of the data lake; the
 * bastion and the FreeIPA servers have no data access. No node may read or write dpf's ledger,
 * nor write the Ansible bundles every node runs as root (they may only read them).
 */
export function accessProbes(role: string, instanceId: string, dataLake: string, stateBucket: string | undefined, env: string): AccessProbe[] {
  const probes: AccessProbe[] = [];
  const expect: AccessProbe['expect'] = DATA_ROLES.includes(role) ? 'allow' : 'deny';
  for (const prefix of DATA_LAKE_PREFIXES)
    probes.push(
      { op: 'put', bucket: dataLake, key: `${prefix}_dpf-golive/${instanceId}.txt`, expect },
      { op: 'get', bucket: dataLake, key: sentinelKey(prefix), expect },
    );
  if (stateBucket)
    probes.push(
      { op: 'put', bucket: stateBucket, key: `ledger/${env}/_dpf-golive-${instanceId}.txt`, expect: 'deny' },
      { op: 'get', bucket: stateBucket, key: stateSentinelKey(env), expect: 'deny' },
      { op: 'put', bucket: stateBucket, key: `bundles/_dpf-golive-${instanceId}.txt`, expect: 'deny' },
    );
  return probes;
}

export function dataAccessScript(probes: AccessProbe[], region: string): string[] {
  const r = shellSafe(region, 'region');
  const lines = ['f=$(mktemp); o=$(mktemp); echo dpf-golive-probe > "$f"'];
  for (const p of probes) {
    const b = shellSafe(p.bucket, 'bucket');
    const k = shellSafe(p.key, 'key');
    lines.push(
      probe(
        probeName(p),
        p.op === 'put'
          ? `aws s3api put-object --bucket ${b} --key ${k} --body "$f" --region ${r} --output text`
          : `aws s3api get-object --bucket ${b} --key ${k} "$o" --region ${r} --output text`,
      ),
    );
  }
  // Remove what the probes wrote: the allowed writes, and a forbidden one that went through
  // (best effort; the verdict names it either way). A denied write wrote nothing.
  for (const p of probes.filter((x) => x.op === 'put')) lines.push(`aws s3api delete-object --bucket ${p.bucket} --key ${p.key} --region ${r} >/dev/null 2>&1`);
  lines.push('rm -f "$f" "$o"');
  return lines;
}

/** Roles the deployment says exist (from the stack outputs), so a role with no node is noticed. */
function expectedRoles(ctx: CheckContext): string[] {
  const c = ctx.outputs('compute.stack');
  const i = ctx.outputs('identity.stack');
  const roles = new Set<string>();
  if (c.BastionInstanceId) roles.add('bastion');
  if (c.MasterInstanceId) roles.add('master');
  if (c.DevInstanceId) roles.add('dev');
  if (c.WorkerAutoScalingGroupName) roles.add('worker');
  if (i.IpaServerInstanceId) roles.add('identity');
  return [...roles];
}

export const dataLakeAccessCheck: CheckSpec = {
  id: 'golive.datalake-access',
  title: 'Each role reaches its part of the data lake and not the rest',
  category: 'security',
  checklist: 'security-controls',
  after: {
    'bootstrap.state': { inspects: 'the state bucket no node role may read' },
    'compute.stack': { inspects: 'the node roles whose access it simulates' },
    'storage.stack': { inspects: 'the data lake prefixes each role may or may not reach' },
    'identity.stack': { inspects: "the DeveloperRole and the IPA servers' role" },
  },
  criterion:
    'from one node per role, aws s3api put/get succeeds where the role is allowed and is AccessDenied where it is not (each role is probed on at least one forbidden location)',
  estimateSeconds: 30,
  async run(ctx) {
    const dataLake = ctx.outputs('storage.stack').DataLakeBucketName;
    const stateBucket = ctx.outputs('bootstrap.state').StateBucketName;
    if (!dataLake) return unknown('the storage stack has no DataLakeBucketName output in the ledger');
    const all = await environmentInstances(ctx);
    const parts: Part[] = [];
    const picked: InstanceInfo[] = [];
    const expected = new Set(expectedRoles(ctx));
    for (const role of ACCESS_ROLES) {
      const nodes = all.filter((i) => roleOf(i) === role);
      const node = nodes.find((i) => i.state === 'running');
      if (node) picked.push(node);
      else if (nodes.length)
        parts.push({
          subject: `role ${role}`,
          status: 'unknown',
          detail: `no running ${role} node to probe from (${nodes.map((n) => `${n.instanceId} ${n.state}`).join(', ')})`,
        });
      else if (expected.has(role))
        parts.push({
          subject: `role ${role}`,
          status: 'unknown',
          detail: `the stacks created a ${role} node, but none is tagged dpf:env=${ctx.envName} any more`,
        });
    }
    if (!stateBucket)
      parts.push({
        subject: 'dpf state bucket',
        status: 'unknown',
        detail: 'bootstrap.state has no StateBucketName output: no node was probed against the ledger and the bundles',
      });
    if (!picked.length) return combine(parts, { passed: '', nothing: 'no running node to probe from' }, { dataLake, stateBucket });
    const sentinels = [
      ...DATA_LAKE_PREFIXES.map((p) => ({ bucket: dataLake, key: sentinelKey(p) })),
      ...(stateBucket ? [{ bucket: stateBucket, key: stateSentinelKey(ctx.envName) }] : []),
    ];
    try {
      const objects = await ctx.objects();
      for (const o of sentinels) if (!(await objects.exists(o.bucket, o.key))) await objects.putText(o.bucket, o.key, SENTINEL_BODY, 'text/plain');
    } catch (err) {
      return couldNotAsk('Placing the objects the read probes read (S3 PutObject with your credentials)', err, { dataLake, stateBucket, sentinels });
    }
    const outcomes = await Promise.all(
      picked.map(async (node) => {
        const probes = accessProbes(roleOf(node), node.instanceId, dataLake, stateBucket, ctx.envName);
        return onHosts(ctx, [node], dataAccessScript(probes, ctx.region), (_h, s) => parseDataAccess(s, probes), { passed: 'as expected', nothing: '' });
      }),
    );
    parts.push(...outcomes.flatMap((o) => (o.evidence.parts as Part[] | undefined) ?? [{ subject: 'probe', status: o.status, detail: o.summary }]));
    return combine(
      parts,
      { passed: `${picked.map(roleOf).join(', ')}: access to the data lake and the state bucket as the role allows`, nothing: 'no running node to probe from' },
      {
        dataLake,
        stateBucket,
        sentinels,
        roles: picked.map((n, i) => ({
          role: roleOf(n),
          instanceId: n.instanceId,
          commandId: outcomes[i]!.evidence.commandId,
          hosts: outcomes[i]!.evidence.hosts,
        })),
      },
      "Compare the role's instance profile with the access matrix in src/checks/hosts.ts (accessProbes) and fix the IAM policy in the compute or identity template.",
    );
  },
};
