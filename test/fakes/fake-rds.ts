/**
 * FakeRds: RDS instances and snapshots of ONE region in memory behind RdsPort, on an injected clock.
 *
 * Behaviour (what the tests rely on):
 * - addInstance() puts an `available`, encrypted instance in place (the platform's database);
 *   its KMS key defaults to `arn:aws:kms:<region>:123456789012:key/rds`.
 * - createSnapshot: the snapshot is `creating` for `snapshotMs` (default 30 s), then `available`.
 *   It has an ARN (`arn:aws:rds:<region>:123456789012:snapshot:<id>`), the instance's key, and
 *   remembers the instance it was taken of (engine, port… for restores, also in another region).
 *   addSnapshot() registers an `available` one with a given creation time (an older backup).
 * - copySnapshot(source, target, {kmsKeyId}): `source` is an id (this region) or an ARN; an ARN of
 *   another region is looked up in the FakeRds linked for that region (link()). Like RDS:
 *   a missing source → DBSnapshotNotFound; a source not `available` → InvalidDBSnapshotState;
 *   an existing target → DBSnapshotAlreadyExists; an ENCRYPTED source copied across regions
 *   without kmsKeyId → InvalidParameterCombination, with a key ARN of another region →
 *   KMSKeyNotAccessibleFault. The copy is `copying` for `copyMs` (default 120 s), then
 *   `available` (or `failed` when `failCopies`), encrypted with kmsKeyId (else the source's key).
 *   `copyUnavailable = true` makes copySnapshot throw an error named NotImplementedByEndpoint.
 * - deleteSnapshot: removes it at once; a missing one is a no-op (as in the adapter).
 * - restoreFromSnapshot / restoreToPointInTime: the target is `creating` for `restoreMs`
 *   (default 60 s), then `available`; it takes engine, port and encryption from the source and
 *   the subnet group, security groups and parameter group FROM THE INPUT (nothing defaulted);
 *   from a snapshot, its KMS key is the snapshot's.
 *   A target listed in `stuck` (or '*') stays `creating` forever (a restore that times out).
 *   The source must exist; the target must not (DBInstanceAlreadyExists).
 * - latestRestorableTime of every instance is now − `lagMs` (default 5 min): set lagMs to make
 *   a drill miss its RPO.
 * - deleteInstance: `deleting` for `deleteMs` (default 30 s), then gone (describe → undefined).
 *   Deleting a missing instance is a no-op, as in the adapter. With skipFinalSnapshot false and
 *   a finalSnapshotId, that snapshot is created (available once the instance is gone).
 * Every call is recorded in `calls`.
 */
import type { CopySnapshotInput, DbInstanceInfo, DbSnapshotInfo, RdsPort, RestoreDbInput } from '../../src/aws/ops-ports.js';
import { FakeAwsError } from './fake-cloudformation.js';

const ACCOUNT = '123456789012';

interface Inst {
  info: DbInstanceInfo;
  readyAt: number;
  goneAt?: number;
}
interface Snap {
  info: DbSnapshotInfo;
  readyAt: number;
  /** The instance the data comes from (for restores, in whatever region). */
  source: DbInstanceInfo;
  copy?: boolean;
  fail?: boolean;
}

export class FakeRds implements RdsPort {
  readonly calls: Array<{ op: string; input: unknown }> = [];
  restoreMs = 60_000;
  snapshotMs = 30_000;
  copyMs = 120_000;
  deleteMs = 30_000;
  lagMs = 5 * 60_000;
  failCopies = false;
  copyUnavailable = false;
  readonly stuck = new Set<string>();
  readonly #instances = new Map<string, Inst>();
  readonly #snapshots = new Map<string, Snap>();
  readonly #peers = new Map<string, FakeRds>();

  constructor(
    private readonly clock: { now(): Date },
    readonly region = 'us-west-2',
  ) {}

  /** Make snapshots of `other` (another region) visible to copySnapshot by ARN, both ways. */
  link(other: FakeRds): this {
    this.#peers.set(other.region, other);
    other.#peers.set(this.region, this);
    return this;
  }

  addInstance(i: Partial<DbInstanceInfo> & { identifier: string }): this {
    this.#instances.set(i.identifier, {
      info: {
        engine: 'postgres',
        engineVersion: '16',
        status: 'available',
        endpoint: `${i.identifier}.fake.rds.amazonaws.com`,
        port: 5432,
        encrypted: true,
        publiclyAccessible: false,
        multiAz: false,
        securityGroupIds: [],
        parameterGroups: [],
        tags: {},
        instanceClass: 'db.t3.medium',
        backupRetentionDays: 7,
        kmsKeyId: `arn:aws:kms:${this.region}:${ACCOUNT}:key/rds`,
        ...i,
      },
      readyAt: 0,
    });
    return this;
  }

  /** An available snapshot of an existing instance, taken at `created` (e.g. last night's). */
  addSnapshot(instance: string, snapshotId: string, created: Date, type = 'manual'): this {
    const src = this.#instances.get(instance)!.info;
    this.#snapshots.set(snapshotId, { info: this.#snapInfo(snapshotId, src, created, type), readyAt: 0, source: { ...src } });
    return this;
  }

  #snapInfo(id: string, src: DbInstanceInfo, created: Date, type: string, kmsKeyId = src.kmsKeyId): DbSnapshotInfo {
    return {
      identifier: id,
      dbInstanceIdentifier: src.identifier,
      status: 'creating',
      created,
      type,
      encrypted: src.encrypted,
      arn: `arn:aws:rds:${this.region}:${ACCOUNT}:snapshot:${id}`,
      kmsKeyId,
    };
  }

  #now() {
    return this.clock.now().getTime();
  }

  #view(x: Inst): DbInstanceInfo | undefined {
    const t = this.#now();
    if (x.goneAt !== undefined && t >= x.goneAt) return undefined;
    const status =
      x.goneAt !== undefined
        ? 'deleting'
        : t < x.readyAt || this.stuck.has(x.info.identifier) || (this.stuck.has('*') && x.readyAt > 0)
          ? 'creating'
          : 'available';
    return { ...x.info, status, latestRestorableTime: new Date(t - this.lagMs) };
  }

  instanceIds(): string[] {
    return [...this.#instances.values()].filter((x) => this.#view(x)).map((x) => x.info.identifier);
  }

  snapshotIds(): string[] {
    return [...this.#snapshots.keys()];
  }

  async describeInstance(identifier: string) {
    this.calls.push({ op: 'describeInstance', input: identifier });
    const x = this.#instances.get(identifier);
    return x ? this.#view(x) : undefined;
  }
  async describeInstances() {
    return [...this.#instances.values()].map((x) => this.#view(x)).filter((x): x is DbInstanceInfo => Boolean(x));
  }
  async createSnapshot(instance: string, snapshotId: string, tags: Record<string, string>) {
    this.calls.push({ op: 'createSnapshot', input: { instance, snapshotId, tags } });
    const src = await this.describeInstance(instance);
    if (!src) throw new FakeAwsError('DBInstanceNotFound', `DBInstance ${instance} not found.`);
    if (this.#snapshots.has(snapshotId))
      throw new FakeAwsError('DBSnapshotAlreadyExists', `Cannot create the snapshot because a snapshot with the identifier ${snapshotId} already exists.`);
    this.#snapshots.set(snapshotId, {
      info: this.#snapInfo(snapshotId, src, this.clock.now(), 'manual'),
      readyAt: this.#now() + this.snapshotMs,
      source: { ...src },
    });
  }
  #status(s: Snap, t: number): string {
    if (t < s.readyAt) return s.copy ? 'copying' : 'creating';
    return s.fail ? 'failed' : 'available';
  }
  async describeSnapshots(filter: { instance?: string; snapshotId?: string }) {
    const t = this.#now();
    return [...this.#snapshots.values()]
      .filter((s) => (!filter.instance || s.info.dbInstanceIdentifier === filter.instance) && (!filter.snapshotId || s.info.identifier === filter.snapshotId))
      .map((s) => ({ ...s.info, status: this.#status(s, t) }));
  }
  async copySnapshot(source: string, targetSnapshotId: string, input: CopySnapshotInput) {
    this.calls.push({ op: 'copySnapshot', input: { source, targetSnapshotId, ...input } });
    if (this.copyUnavailable)
      throw Object.assign(new Error('CopyDBSnapshot is not implemented by the AWS endpoint in use'), { name: 'NotImplementedByEndpoint' });
    const arn = /^arn:aws:rds:([^:]+):\d+:snapshot:(.+)$/.exec(source);
    const region = arn ? arn[1]! : this.region;
    const id = arn ? arn[2]! : source;
    const home = region === this.region ? this : this.#peers.get(region);
    const src = home ? home.#snapshots.get(id) : undefined;
    if (!home || !src) throw new FakeAwsError('DBSnapshotNotFound', `DBSnapshot ${source} not found.`);
    if (home.#status(src, this.#now()) !== 'available') throw new FakeAwsError('InvalidDBSnapshotState', `Snapshot ${id} is not available.`);
    if (this.#snapshots.has(targetSnapshotId)) throw new FakeAwsError('DBSnapshotAlreadyExists', `Snapshot ${targetSnapshotId} already exists.`);
    const cross = region !== this.region;
    if (cross && src.info.encrypted && !input.kmsKeyId)
      throw new FakeAwsError('InvalidParameterCombination', 'KmsKeyId is required when copying an encrypted snapshot to another region.');
    const keyRegion = /^arn:aws:kms:([^:]+):/.exec(input.kmsKeyId ?? '')?.[1];
    if (keyRegion && keyRegion !== this.region)
      throw new FakeAwsError(
        'KMSKeyNotAccessibleFault',
        `Specified KMS key [${input.kmsKeyId}] does not exist, is not enabled or you do not have permissions to access it.`,
      );
    this.#snapshots.set(targetSnapshotId, {
      info: { ...this.#snapInfo(targetSnapshotId, src.source, this.clock.now(), 'manual', input.kmsKeyId ?? src.info.kmsKeyId), encrypted: src.info.encrypted },
      readyAt: this.#now() + this.copyMs,
      source: { ...src.source },
      copy: true,
      fail: this.failCopies,
    });
  }
  async deleteSnapshot(snapshotId: string) {
    this.calls.push({ op: 'deleteSnapshot', input: snapshotId });
    this.#snapshots.delete(snapshotId);
  }
  #restore(op: string, sourceInfo: DbInstanceInfo, input: RestoreDbInput, extra: unknown, kmsKeyId = sourceInfo.kmsKeyId) {
    this.calls.push({ op, input: { ...input, ...(extra as object) } });
    const existing = this.#instances.get(input.targetIdentifier);
    if (existing && this.#view(existing)) throw new FakeAwsError('DBInstanceAlreadyExists', `DB instance ${input.targetIdentifier} already exists.`);
    this.#instances.set(input.targetIdentifier, {
      info: {
        ...sourceInfo,
        identifier: input.targetIdentifier,
        endpoint: `${input.targetIdentifier}.fake.rds.amazonaws.com`,
        subnetGroup: input.subnetGroup,
        securityGroupIds: [...input.securityGroupIds],
        parameterGroups: input.parameterGroup ? [input.parameterGroup] : ['default.postgres16'],
        instanceClass: input.instanceClass ?? sourceInfo.instanceClass,
        multiAz: input.multiAz ?? false,
        tags: { ...input.tags },
        deletionProtection: false,
        kmsKeyId,
      },
      readyAt: this.#now() + this.restoreMs,
    });
  }
  async restoreFromSnapshot(snapshotId: string, input: RestoreDbInput) {
    const s = this.#snapshots.get(snapshotId);
    if (!s) throw new FakeAwsError('DBSnapshotNotFound', `DBSnapshot ${snapshotId} not found.`);
    if (this.#status(s, this.#now()) !== 'available') throw new FakeAwsError('InvalidDBSnapshotState', `Snapshot ${snapshotId} is not available.`);
    this.#restore('restoreFromSnapshot', s.source, input, { snapshotId }, s.info.kmsKeyId);
  }
  async restoreToPointInTime(source: string, input: RestoreDbInput & { restoreTime?: Date; useLatestRestorableTime?: boolean }) {
    const src = await this.describeInstance(source);
    if (!src) throw new FakeAwsError('DBInstanceNotFound', `DBInstance ${source} not found.`);
    this.#restore('restoreToPointInTime', src, input, { source, restoreTime: input.restoreTime, useLatestRestorableTime: input.useLatestRestorableTime });
  }
  async deleteInstance(identifier: string, opts: { skipFinalSnapshot: boolean; finalSnapshotId?: string }) {
    this.calls.push({ op: 'deleteInstance', input: { identifier, ...opts } });
    const x = this.#instances.get(identifier);
    const view = x && this.#view(x);
    if (!x || !view) return;
    if (x.info.deletionProtection)
      throw new FakeAwsError('InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.');
    x.goneAt ??= this.#now() + this.deleteMs;
    if (!opts.skipFinalSnapshot && opts.finalSnapshotId)
      this.#snapshots.set(opts.finalSnapshotId, {
        info: this.#snapInfo(opts.finalSnapshotId, view, this.clock.now(), 'manual'),
        readyAt: x.goneAt,
        source: { ...view },
      });
  }
  async modifyDeletionProtection(identifier: string, enabled: boolean) {
    this.calls.push({ op: 'modifyDeletionProtection', input: { identifier, enabled } });
    const x = this.#instances.get(identifier);
    if (x) x.info.deletionProtection = enabled;
  }
}
