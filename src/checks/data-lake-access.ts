/** Each role can use its part of the data lake and not the rest: probes run on the nodes (hosts.ts' sibling). */
import type { InstanceInfo } from '../aws/ops-ports.js';

import type { CheckContext, CheckSpec } from './types.js';
import { combine, couldNotAsk, environmentInstances, roleOf, unknown, type Part } from './common.js';
import { parseDataAccess, probe, probeName, shellSafe, type AccessProbe } from './parsers.js';

import { onHosts } from './on-hosts.js';

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
