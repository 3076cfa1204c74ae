/**
 * Checks that look at the hosts themselves, through SSM Run Command (AWS-RunShellScript):
 * /shared is the EFS mount, RDS answers from a worker, the directory resolves a platform user
 * (or, with identity.provider iam, Session Manager access is in place), and each role can use
 * its part of the data lake and not the rest. Scripts print probe markers (parsers.ts); an
 * empty output is "unknown: the host returned no output", never pass.
 */

import type { CheckContext, CheckOutcome, CheckSpec } from './types.js';
import { combine, couldNotAsk, environmentInstances, label, unknown, type Part } from './common.js';
import { parseDatabaseReachable, parseDirectory, parseEfsMount, probe, shellSafe } from './parsers.js';

import { CLIENT_ROLES, DIRECTORY_USER, EFS_ROLES, MOUNT_POINT, ofRoles, onHosts } from './on-hosts.js';

export { DIRECTORY_USER, MOUNT_POINT, SHELL_DOCUMENT, hostParts, runOnHosts } from './on-hosts.js';
export * from './data-lake-access.js';

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
