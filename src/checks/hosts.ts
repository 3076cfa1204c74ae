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
  hostFinding, parseDatabaseReachable, parseDataAccess, parseDirectory, parseEfsMount, probe, probeName, shellSafe,
  type AccessProbe, type HostFinding, type HostOutput, type Section,
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
    { pollMs: ctx.pollMs, tailLines: 1000, labels, timeoutSeconds: 300 },
  );
  return {
    commandId: run.commandId,
    hosts: run.hosts.map((h) => ({ instanceId: h.instanceId, role: labels[h.instanceId] ?? 'unknown-role', status: h.status, responseCode: h.responseCode, output: h.tail.join('\n'), note: h.note })),
  };
}

/** Per-host findings → parts and evidence (the raw output is kept, up to 4 000 characters per host). */
export function hostParts(hosts: HostOutput[], parse: (host: HostOutput, sections: Map<string, Section>) => HostFinding): { parts: Part[]; evidence: Array<Record<string, unknown>> } {
  const parts: Part[] = [];
  const evidence: Array<Record<string, unknown>> = [];
  for (const h of hosts) {
    const f = hostFinding(h, (s) => parse(h, s));
    parts.push({ subject: `${h.instanceId} (${h.role})`, status: f.status, detail: f.detail });
    evidence.push({ instanceId: h.instanceId, role: h.role, invocation: h.status, verdict: f.status, detail: f.detail, ...(f.facts ? { facts: f.facts } : {}), output: h.output.slice(0, 4000) });
  }
  return { parts, evidence };
}

async function onHosts(
  ctx: CheckContext,
  instances: InstanceInfo[],
  commands: string[],
  parse: (host: HostOutput, sections: Map<string, Section>) => HostFinding,
  what: { passed: string; nothing: string; hint?: string },
  extra: Record<string, unknown> = {},
): Promise<CheckOutcome> {
  if (!instances.length) return unknown(what.nothing, extra);
  let run;
  try {
    run = await runOnHosts(ctx, instances, commands);
  } catch (err) {
    return couldNotAsk(`SSM ${SHELL_DOCUMENT}`, err, { ...extra, instances: instances.map(label) });
  }
  const { parts, evidence } = hostParts(run.hosts, parse);
  return combine(parts, what, { ...extra, commandId: run.commandId, script: commands, hosts: evidence }, what.hint);
}

const running = (instances: InstanceInfo[], roles: string[]) => instances.filter((i) => i.state === 'running' && roles.includes(roleOf(i)));

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
  dependsOn: ['storage.stack', 'storage.nfs'],
  criterion: `${MOUNT_POINT} is an nfs4 mount of the platform's EFS file system on every master, dev and worker node`,
  estimateSeconds: 20,
  async run(ctx) {
    const fsId = ctx.outputs('storage.stack').EfsFileSystemId;
    if (!fsId) return unknown('the storage stack has no EfsFileSystemId output in the ledger');
    const nodes = running(await environmentInstances(ctx), EFS_ROLES);
    return onHosts(ctx, nodes, efsMountScript(), (_h, s) => parseEfsMount(s, fsId), {
      passed: `${MOUNT_POINT} is EFS ${fsId} on ${nodes.length} node(s)`,
      nothing: 'no running master, dev or worker node to inspect',
      hint: `Rerun the storage phase's NFS playbook (dpf deploy --env ${ctx.envName} --phase storage --force) and look at its log.`,
    }, { fileSystemId: fsId });
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
  dependsOn: ['compute.stack', 'storage.stack', 'identity.configure-worker'],
  criterion: 'pg_isready against the RDS endpoint on port 5432 reports "accepting connections" on every worker',
  estimateSeconds: 20,
  async run(ctx) {
    const s = ctx.outputs('storage.stack');
    let found: string | undefined = s.DbEndpointAddress;
    if (!found && s.DbInstanceIdentifier) found = (await (await ctx.ops()).rds.describeInstance(s.DbInstanceIdentifier))?.endpoint;
    if (!found) return unknown('the RDS endpoint is known neither from the storage stack outputs nor from DescribeDBInstances');
    const endpoint = found;
    const workers = running(await environmentInstances(ctx), ['worker']);
    return onHosts(ctx, workers, databaseScript(endpoint), (_h, sec) => parseDatabaseReachable(sec, endpoint), {
      passed: `${endpoint}:5432 accepts connections from ${workers.length} worker(s)`,
      nothing: 'no running worker to probe the database from',
      hint: 'Check the database security group (5432 from the compute group) and the RDS instance status.',
    }, { endpoint });
  },
};

// ---------- identity ----------

export function directoryScript(user = DIRECTORY_USER): string[] {
  const u = shellSafe(user, 'user');
  return [probe('id', `id ${u}`), probe('getent', `getent -s sss passwd ${u}`), `if command -v ipactl >/dev/null 2>&1; then ${probe('ipactl', 'ipactl status')}; fi`];
}

async function iamAccess(ctx: CheckContext): Promise<CheckOutcome> {
  const group = ctx.outputs('identity.stack').OperatorsGroupName;
  const parts: Part[] = [
    group
      ? { subject: `IAM group ${group}`, status: 'pass', detail: 'created by the identity stack (ssm:StartSession on the platform instances)' }
      : { subject: 'IAM operators group', status: 'fail', detail: 'the identity stack has no OperatorsGroupName output: no group may start sessions' },
  ];
  const instances = (await environmentInstances(ctx)).filter((i) => i.state === 'running');
  try {
    const managed = new Map((await (await ctx.ops()).ssm.describeInstanceInformation(instances.map((i) => i.instanceId))).map((m) => [m.instanceId, m]));
    for (const i of instances) {
      const m = managed.get(i.instanceId);
      parts.push(m?.pingStatus === 'Online' ? { subject: label(i), status: 'pass', detail: 'SSM agent Online: Session Manager can reach it' } : { subject: label(i), status: 'fail', detail: `SSM agent ${m?.pingStatus ?? 'not registered'}: no Session Manager access` });
    }
  } catch (err) {
    parts.push({ subject: 'Session Manager', status: 'unknown', detail: couldNotAsk('SSM DescribeInstanceInformation', err).summary });
  }
  return combine(parts, { passed: `${group} can start Session Manager sessions on ${instances.length} online node(s)`, nothing: '' }, { provider: 'iam', operatorsGroup: group });
}

export const directoryCheck: CheckSpec = {
  id: 'golive.directory',
  title: 'Directory answers and platform users resolve',
  category: 'identity',
  checklist: 'ansible-automation',
  dependsOn: ['identity.stack', 'identity.enrol'],
  criterion: `FreeIPA: "${DIRECTORY_USER}" resolves through SSSD (id, getent) on every node and every IPA service runs; IAM: the operators group exists and every node's SSM agent is online`,
  estimateSeconds: 20,
  async run(ctx) {
    if (ctx.env.identity.provider === 'iam') return iamAccess(ctx);
    const nodes = running(await environmentInstances(ctx), [...CLIENT_ROLES, 'identity']);
    return onHosts(ctx, nodes, directoryScript(), (_h, s) => parseDirectory(s, DIRECTORY_USER), {
      passed: `${DIRECTORY_USER} resolves through FreeIPA on ${nodes.length} node(s)`,
      nothing: 'no running node to inspect',
      hint: 'On a failing node: sssctl domain-status, journalctl -u sssd; on the IPA server: ipactl status.',
    }, { provider: 'freeipa', domain: ctx.env.identity.domain, user: DIRECTORY_USER });
  },
};

// ---------- data lake access per role ----------

export const DATA_LAKE_PREFIXES = ['raw/', 'processed/', 'curated/'];

/**
 * What each node role may do, from the instance profiles (templates/cloudformation/compute.yaml):
 * master, dev and worker read and write the whole data lake; the bastion has no data access.
 * No node may touch dpf's ledger in the state bucket.
 */
export function accessProbes(role: string, instanceId: string, dataLake: string, stateBucket: string | undefined, env: string): AccessProbe[] {
  const probes: AccessProbe[] = [];
  const both = (bucket: string, key: string, expect: AccessProbe['expect']) => probes.push({ op: 'put', bucket, key, expect }, { op: 'get', bucket, key, expect });
  const dataAccess = ['master', 'dev', 'worker'].includes(role);
  for (const prefix of dataAccess ? DATA_LAKE_PREFIXES : DATA_LAKE_PREFIXES.slice(0, 1)) both(dataLake, `${prefix}_dpf-golive/${instanceId}.txt`, dataAccess ? 'allow' : 'deny');
  if (stateBucket) both(stateBucket, `ledger/${env}/_dpf-golive-${instanceId}.txt`, 'deny');
  return probes;
}

export function dataAccessScript(probes: AccessProbe[], region: string): string[] {
  const r = shellSafe(region, 'region');
  const lines = ['f=$(mktemp); o=$(mktemp); echo dpf-golive-probe > "$f"'];
  for (const p of probes) {
    const b = shellSafe(p.bucket, 'bucket');
    const k = shellSafe(p.key, 'key');
    lines.push(
      probe(probeName(p), p.op === 'put' ? `aws s3api put-object --bucket ${b} --key ${k} --body "$f" --region ${r} --output text` : `aws s3api get-object --bucket ${b} --key ${k} "$o" --region ${r} --output text`),
    );
  }
  // Remove what the probes wrote (allowed writes only; a denied one wrote nothing).
  for (const p of probes.filter((x) => x.op === 'put' && x.expect === 'allow')) lines.push(`aws s3api delete-object --bucket ${p.bucket} --key ${p.key} --region ${r} >/dev/null 2>&1`);
  lines.push('rm -f "$f" "$o"');
  return lines;
}

export const dataLakeAccessCheck: CheckSpec = {
  id: 'golive.datalake-access',
  title: 'Each role reaches its part of the data lake and not the rest',
  category: 'security',
  checklist: 'security-controls',
  dependsOn: ['bootstrap.state', 'compute.stack', 'storage.stack', 'identity.stack'],
  criterion: 'from one node per role, aws s3api put/get succeeds where the role is allowed and is AccessDenied where it is not',
  estimateSeconds: 30,
  async run(ctx) {
    const dataLake = ctx.outputs('storage.stack').DataLakeBucketName;
    const stateBucket = ctx.outputs('bootstrap.state').StateBucketName;
    if (!dataLake) return unknown('the storage stack has no DataLakeBucketName output in the ledger');
    const all = (await environmentInstances(ctx)).filter((i) => i.state === 'running');
    // One node per role: the matrix is per instance profile, not per node.
    const picked = CLIENT_ROLES.map((r) => all.find((i) => roleOf(i) === r)).filter((i): i is InstanceInfo => Boolean(i));
    if (!picked.length) return unknown('no running node to probe from');
    const outcomes = await Promise.all(
      picked.map(async (node) => {
        const probes = accessProbes(roleOf(node), node.instanceId, dataLake, stateBucket, ctx.envName);
        return onHosts(ctx, [node], dataAccessScript(probes, ctx.region), (_h, s) => parseDataAccess(s, probes), { passed: 'as expected', nothing: '' });
      }),
    );
    const parts = outcomes.flatMap((o) => ((o.evidence.parts as Part[] | undefined) ?? [{ subject: 'probe', status: o.status, detail: o.summary }]));
    return combine(
      parts,
      { passed: `${picked.map(roleOf).join(', ')}: access to the data lake and the state bucket as the role allows`, nothing: 'no running node to probe from' },
      { dataLake, stateBucket, roles: picked.map((n, i) => ({ role: roleOf(n), instanceId: n.instanceId, commandId: outcomes[i]!.evidence.commandId, hosts: outcomes[i]!.evidence.hosts })) },
      'Compare the role\'s instance profile with the access matrix in src/checks/hosts.ts (accessProbes) and fix the IAM policy in the compute template.',
    );
  },
};
