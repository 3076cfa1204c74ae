/**
 * Security checks: SSH not open to the world, encryption at rest (EBS, EFS, RDS, S3), S3 public
 * access blocked, IMDSv2 required, RDS not public. The evaluation functions are pure (AWS
 * answers in, parts out) and unit-tested on passing and failing inputs.
 */
import type { BucketSecurity, DbInstanceInfo, FileSystemInfo, InstanceInfo, SecurityGroupInfo, SecurityGroupRule, VolumeInfo } from '../aws/ops-ports.js';
import type { CheckContext, CheckSpec } from './types.js';
import { combine, emulatorGap, environmentInstances, label, unknown, type Part } from './common.js';

const WORLD = new Set(['0.0.0.0/0', '::/0']);

/** True when the rule lets port 22 in (tcp or all protocols). */
export function coversSsh(r: SecurityGroupRule): boolean {
  if (r.protocol === '-1' || r.protocol === 'all') return true;
  if (r.protocol !== 'tcp' && r.protocol !== '6') return false;
  const from = r.fromPort ?? 0;
  const to = r.toPort ?? 65535;
  return from <= 22 && to >= 22;
}

export function sshExposureParts(groups: SecurityGroupInfo[]): Part[] {
  return groups.map((g) => {
    const open = g.ingress.filter((r) => coversSsh(r) && r.cidrs.some((c) => WORLD.has(c)));
    const subject = `${g.groupId} (${g.tags.Name ?? g.groupName})`;
    if (open.length)
      return { subject, status: 'fail', detail: `port 22 open to ${[...new Set(open.flatMap((r) => r.cidrs.filter((c) => WORLD.has(c))))].join(', ')}` };
    const ssh = g.ingress.filter(coversSsh);
    return {
      subject,
      status: 'pass',
      detail: ssh.length ? `port 22 only from ${[...new Set(ssh.flatMap((r) => [...r.cidrs, ...r.groupIds]))].join(', ') || 'nowhere'}` : 'no SSH ingress',
    };
  });
}

export const sshExposureCheck: CheckSpec = {
  id: 'golive.ssh-exposure',
  title: 'No security group opens SSH to the world',
  category: 'security',
  checklist: 'security-controls',
  after: { 'network.stack': { inspects: 'the security groups of its VPC' } },
  criterion: 'no security group of the VPC allows port 22 from 0.0.0.0/0 or ::/0',
  estimateSeconds: 2,
  async run(ctx) {
    const vpcId = ctx.outputs('network.stack').VpcId;
    const ec2 = (await ctx.ops()).ec2;
    const groups = vpcId ? await ec2.describeSecurityGroups({ 'vpc-id': [vpcId] }) : await ec2.describeSecurityGroups({ 'tag:dpf:env': [ctx.envName] });
    return combine(
      sshExposureParts(groups),
      { passed: `${groups.length} security group(s): none opens port 22 to the world`, nothing: `no security group found${vpcId ? ` in ${vpcId}` : ''}` },
      { vpcId },
      'Remove the 0.0.0.0/0 rule; SSH goes through the bastion from network.adminCidrs, or through SSM Session Manager.',
    );
  },
};

/** EBS encryption per volume; instances with no volume listed are unknown (never pass). */
export function volumeParts(instances: InstanceInfo[], volumes: VolumeInfo[], emulator: string | undefined): Part[] {
  const byId = new Map(volumes.map((v) => [v.volumeId, v]));
  const parts: Part[] = [];
  for (const i of instances) {
    if (!i.volumeIds.length) {
      parts.push({ subject: label(i), status: 'unknown', detail: 'EC2 lists no EBS volume attached to it' });
      continue;
    }
    for (const id of i.volumeIds) {
      const v = byId.get(id);
      const subject = `${id} on ${label(i)}`;
      if (!v) parts.push({ subject, status: 'unknown', detail: 'volume not returned by DescribeVolumes' });
      else if (v.encrypted) parts.push({ subject, status: 'pass', detail: `encrypted (${v.sizeGb} GiB)` });
      else if (emulator)
        parts.push({
          subject,
          status: 'unknown',
          detail: `reported unencrypted (${v.sizeGb} GiB), but ${emulatorGap('does not apply launch-template block device mappings', emulator)}`,
        });
      else parts.push({ subject, status: 'fail', detail: `NOT encrypted (${v.sizeGb} GiB)` });
    }
  }
  return parts;
}

export const ebsEncryptionCheck: CheckSpec = {
  id: 'golive.ebs-encryption',
  title: 'Every EBS volume encrypted at rest',
  category: 'security',
  checklist: 'security-controls',
  after: {
    'compute.stack': { inspects: 'the nodes it launches' },
    'identity.stack': { inspects: 'the IPA servers it launches' },
  },
  criterion: 'every EBS volume attached to a node of the environment is encrypted',
  estimateSeconds: 3,
  async run(ctx) {
    const instances = await environmentInstances(ctx);
    const ids = [...new Set(instances.flatMap((i) => i.volumeIds))];
    const volumes = ids.length ? await (await ctx.ops()).ec2.describeVolumes(ids) : [];
    return combine(
      volumeParts(instances, volumes, ctx.emulator),
      { passed: `${ids.length} volume(s) on ${instances.length} node(s), all encrypted`, nothing: 'no node to inspect' },
      { volumes: volumes.map((v) => ({ volumeId: v.volumeId, encrypted: v.encrypted, sizeGb: v.sizeGb, attachedTo: v.attachedTo })) },
      'Replace unencrypted volumes (snapshot, copy encrypted, restore) and turn on EBS encryption by default for the account and region.',
    );
  },
};

export interface DataStores {
  efs?: FileSystemInfo | 'missing';
  db?: DbInstanceInfo | 'missing';
  buckets: Array<{ name: string; info: BucketSecurity }>;
}

/** Encryption at rest of the file system, the database and the buckets. */
export function dataEncryptionParts(s: DataStores): Part[] {
  const parts: Part[] = [];
  if (s.efs === 'missing') parts.push({ subject: 'EFS', status: 'fail', detail: 'the file system of the storage stack does not exist' });
  else if (s.efs)
    parts.push({
      subject: `EFS ${s.efs.fileSystemId}`,
      status: s.efs.encrypted ? 'pass' : 'fail',
      detail: s.efs.encrypted ? `encrypted (${s.efs.kmsKeyId ?? 'KMS'})` : 'NOT encrypted',
    });
  if (s.db === 'missing') parts.push({ subject: 'RDS', status: 'fail', detail: 'the database of the storage stack does not exist' });
  else if (s.db)
    parts.push({
      subject: `RDS ${s.db.identifier}`,
      status: s.db.encrypted ? 'pass' : 'fail',
      detail: s.db.encrypted ? 'storage encrypted' : 'storage NOT encrypted',
    });
  for (const b of s.buckets) {
    if (!b.info.exists) parts.push({ subject: `s3://${b.name}`, status: 'fail', detail: 'bucket does not exist' });
    else
      parts.push({
        subject: `s3://${b.name}`,
        status: b.info.encryption ? 'pass' : 'fail',
        detail: b.info.encryption ? `default encryption ${b.info.encryption}` : 'no default encryption',
      });
  }
  return parts;
}

/** The platform's buckets: data lake, its access-log bucket, the dpf state bucket. */
export function platformBuckets(ctx: Pick<CheckContext, 'outputs'>): string[] {
  return bucketOutputs(ctx).flatMap((b) => (b.name ? [b.name] : []));
}

/** Each platform bucket with the output that names it (a missing output is a bucket not inspected). */
export function bucketOutputs(ctx: Pick<CheckContext, 'outputs'>): Array<{ output: string; name?: string }> {
  const s = ctx.outputs('storage.stack');
  const b = ctx.outputs('bootstrap.state');
  return [
    { output: 'storage.stack DataLakeBucketName', name: s.DataLakeBucketName },
    { output: 'storage.stack AccessLogBucketName', name: s.AccessLogBucketName },
    { output: 'bootstrap.state StateBucketName', name: b.StateBucketName },
  ];
}

/** A bucket whose name is not in the ledger was not inspected: unknown, never left out of a pass. */
export function uninspectedBuckets(ctx: Pick<CheckContext, 'outputs'>): Part[] {
  return bucketOutputs(ctx)
    .filter((b) => !b.name)
    .map((b) => ({ subject: b.output, status: 'unknown', detail: 'no such output in the ledger: that bucket was not inspected' }));
}

export const dataEncryptionCheck: CheckSpec = {
  id: 'golive.data-encryption',
  title: 'File system, database and buckets encrypted at rest',
  category: 'security',
  checklist: 'security-controls',
  after: {
    'bootstrap.state': { inspects: 'the state bucket' },
    'storage.stack': { inspects: 'the data lake, file system and database it creates' },
  },
  criterion: 'the EFS file system and the RDS instance are encrypted, and every platform bucket has default encryption',
  estimateSeconds: 5,
  async run(ctx) {
    const ops = await ctx.ops();
    const s = ctx.outputs('storage.stack');
    const stores: DataStores = { buckets: [] };
    if (s.EfsFileSystemId) stores.efs = (await ops.efs.describeFileSystems(s.EfsFileSystemId))[0] ?? 'missing';
    if (s.DbInstanceIdentifier) stores.db = (await ops.rds.describeInstance(s.DbInstanceIdentifier)) ?? 'missing';
    for (const name of platformBuckets(ctx)) stores.buckets.push({ name, info: await ops.buckets.inspect(name) });
    const parts = [...dataEncryptionParts(stores), ...uninspectedBuckets(ctx)];
    const missing = [!s.EfsFileSystemId && 'EfsFileSystemId', !s.DbInstanceIdentifier && 'DbInstanceIdentifier'].filter(Boolean);
    if (missing.length) parts.push({ subject: 'storage stack', status: 'unknown', detail: `no ${missing.join(', ')} output in the ledger` });
    return combine(
      parts,
      { passed: 'EFS, RDS and every platform bucket are encrypted at rest', nothing: 'the storage stack has no outputs in the ledger' },
      { buckets: stores.buckets },
    );
  },
};

export function publicAccessParts(buckets: Array<{ name: string; info: BucketSecurity }>, emulator: string | undefined): Part[] {
  return buckets.map(({ name, info }) => {
    const subject = `s3://${name}`;
    if (!info.exists) return { subject, status: 'fail', detail: 'bucket does not exist' };
    if (info.publicAccessBlocked) return { subject, status: 'pass', detail: 'all four public access block settings on' };
    if (emulator)
      return {
        subject,
        status: 'unknown',
        detail: `reported without a full public access block, but ${emulatorGap('ignores PublicAccessBlockConfiguration in templates', emulator)}`,
      };
    return { subject, status: 'fail', detail: 'public access is NOT fully blocked' };
  });
}

export const publicAccessCheck: CheckSpec = {
  id: 'golive.bucket-public-access',
  title: 'Buckets block public access',
  category: 'security',
  checklist: 'security-controls',
  after: {
    'bootstrap.state': { inspects: 'the state bucket' },
    'storage.stack': { inspects: 'the data lake, file system and database it creates' },
  },
  criterion: 'every platform bucket has BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets on',
  estimateSeconds: 3,
  async run(ctx) {
    const ops = await ctx.ops();
    const buckets: Array<{ name: string; info: BucketSecurity }> = [];
    for (const name of platformBuckets(ctx)) buckets.push({ name, info: await ops.buckets.inspect(name) });
    return combine(
      [...publicAccessParts(buckets, ctx.emulator), ...(buckets.length ? uninspectedBuckets(ctx) : [])],
      { passed: `${buckets.length} bucket(s) block all public access`, nothing: 'no bucket name in the ledger (bootstrap/storage outputs)' },
      { buckets },
      "Turn the bucket's public access block back on (aws s3api put-public-access-block) and redeploy the phase that owns it.",
    );
  },
};

export function imdsParts(instances: InstanceInfo[], emulator: string | undefined): Part[] {
  return instances.map((i) => {
    if (i.httpTokens === 'required') return { subject: label(i), status: 'pass', detail: 'IMDSv2 required' };
    if (emulator)
      return {
        subject: label(i),
        status: 'unknown',
        detail: `HttpTokens ${i.httpTokens ?? 'not reported'}, but ${emulatorGap('does not apply launch-template MetadataOptions', emulator)}`,
      };
    return { subject: label(i), status: 'fail', detail: `HttpTokens ${i.httpTokens ?? 'not reported'}: IMDSv1 still allowed` };
  });
}

export const imdsCheck: CheckSpec = {
  id: 'golive.imdsv2',
  title: 'IMDSv2 required on every instance',
  category: 'security',
  checklist: 'security-controls',
  after: {
    'compute.stack': { inspects: 'the nodes it launches' },
    'identity.stack': { inspects: 'the IPA servers it launches' },
  },
  criterion: 'every node of the environment has MetadataOptions.HttpTokens = required',
  estimateSeconds: 2,
  async run(ctx) {
    const instances = await environmentInstances(ctx);
    return combine(
      imdsParts(instances, ctx.emulator),
      { passed: `${instances.length} node(s) require IMDSv2`, nothing: 'no node to inspect' },
      { instances: instances.map((i) => ({ instanceId: i.instanceId, httpTokens: i.httpTokens })) },
      'aws ec2 modify-instance-metadata-options --http-tokens required --instance-id <id>, and fix the launch template.',
    );
  },
};

export function rdsPrivate(db: DbInstanceInfo): Part {
  return db.publiclyAccessible
    ? { subject: `RDS ${db.identifier}`, status: 'fail', detail: 'PubliclyAccessible is true' }
    : { subject: `RDS ${db.identifier}`, status: 'pass', detail: 'not publicly accessible' };
}

export const rdsPrivateCheck: CheckSpec = {
  id: 'golive.rds-private',
  title: 'Database not publicly accessible',
  category: 'security',
  checklist: 'security-controls',
  after: { 'storage.stack': { inspects: 'the database it creates' } },
  criterion: 'the RDS instance has PubliclyAccessible = false',
  estimateSeconds: 2,
  async run(ctx) {
    const id = ctx.outputs('storage.stack').DbInstanceIdentifier;
    if (!id) return unknown('the storage stack has no DbInstanceIdentifier output in the ledger');
    const db = await (await ctx.ops()).rds.describeInstance(id);
    if (!db) return { status: 'fail', summary: `RDS instance ${id} does not exist`, evidence: { identifier: id } };
    return combine(
      [rdsPrivate(db)],
      { passed: `RDS ${id} is not publicly accessible`, nothing: '' },
      { identifier: id, endpoint: db.endpoint, subnetGroup: db.subnetGroup },
      'aws rds modify-db-instance --no-publicly-accessible --apply-immediately',
    );
  },
};
