/**
 * FakeRds: RDS instances and snapshots in memory behind RdsPort, on an injected clock.
 *
 * Behaviour (what the tests rely on):
 * - addInstance() puts an `available` instance in place (the platform's database).
 * - createSnapshot: the snapshot is `creating` for `snapshotMs` (default 30 s), then `available`.
 * - restoreFromSnapshot / restoreToPointInTime: the target is `creating` for `restoreMs`
 *   (default 60 s), then `available`; it takes engine, port and encryption from the source and
 *   the subnet group, security groups and parameter group FROM THE INPUT (nothing defaulted).
 *   A target listed in `stuck` (or '*') stays `creating` forever (a restore that times out).
 *   The source must exist; the target must not (DBInstanceAlreadyExists).
 * - latestRestorableTime of every instance is now − `lagMs` (default 5 min): set lagMs to make
 *   a drill miss its RPO.
 * - deleteInstance: `deleting` for `deleteMs` (default 30 s), then gone (describe → undefined).
 *   Deleting a missing instance is a no-op, as in the adapter.
 * Every call is recorded in `calls`.
 */
import type { DbInstanceInfo, DbSnapshotInfo, RdsPort, RestoreDbInput } from '../../src/aws/ops-ports.js';
import { FakeAwsError } from './fake-cloudformation.js';

interface Inst {
  info: DbInstanceInfo;
  readyAt: number;
  goneAt?: number;
}
interface Snap {
  info: DbSnapshotInfo;
  readyAt: number;
}

export class FakeRds implements RdsPort {
  readonly calls: Array<{ op: string; input: unknown }> = [];
  restoreMs = 60_000;
  snapshotMs = 30_000;
  deleteMs = 30_000;
  lagMs = 5 * 60_000;
  readonly stuck = new Set<string>();
  readonly #instances = new Map<string, Inst>();
  readonly #snapshots = new Map<string, Snap>();

  constructor(private readonly clock: { now(): Date }) {}

  addInstance(i: Partial<DbInstanceInfo> & { identifier: string }): this {
    this.#instances.set(i.identifier, {
      info: { engine: 'postgres', engineVersion: '16', status: 'available', endpoint: `${i.identifier}.fake.rds.amazonaws.com`, port: 5432, encrypted: true, publiclyAccessible: false, multiAz: false, securityGroupIds: [], parameterGroups: [], tags: {}, instanceClass: 'db.t3.medium', backupRetentionDays: 7, ...i },
      readyAt: 0,
    });
    return this;
  }

  #now() {
    return this.clock.now().getTime();
  }

  #view(x: Inst): DbInstanceInfo | undefined {
    const t = this.#now();
    if (x.goneAt !== undefined && t >= x.goneAt) return undefined;
    const status = x.goneAt !== undefined ? 'deleting' : t < x.readyAt || this.stuck.has(x.info.identifier) || (this.stuck.has('*') && x.readyAt > 0) ? 'creating' : 'available';
    return { ...x.info, status, latestRestorableTime: new Date(t - this.lagMs) };
  }

  instanceIds(): string[] {
    return [...this.#instances.values()].filter((x) => this.#view(x)).map((x) => x.info.identifier);
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
    if (!(await this.describeInstance(instance))) throw new FakeAwsError('DBInstanceNotFound', `DBInstance ${instance} not found.`);
    this.#snapshots.set(snapshotId, { info: { identifier: snapshotId, dbInstanceIdentifier: instance, status: 'creating', created: this.clock.now(), type: 'manual', encrypted: true }, readyAt: this.#now() + this.snapshotMs });
  }
  async describeSnapshots(filter: { instance?: string; snapshotId?: string }) {
    const t = this.#now();
    return [...this.#snapshots.values()]
      .filter((s) => (!filter.instance || s.info.dbInstanceIdentifier === filter.instance) && (!filter.snapshotId || s.info.identifier === filter.snapshotId))
      .map((s) => ({ ...s.info, status: t < s.readyAt ? 'creating' : 'available' }));
  }
  #restore(op: string, sourceInfo: DbInstanceInfo, input: RestoreDbInput, extra: unknown) {
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
      },
      readyAt: this.#now() + this.restoreMs,
    });
  }
  async restoreFromSnapshot(snapshotId: string, input: RestoreDbInput) {
    const s = this.#snapshots.get(snapshotId);
    if (!s) throw new FakeAwsError('DBSnapshotNotFound', `DBSnapshot ${snapshotId} not found.`);
    const src = this.#instances.get(s.info.dbInstanceIdentifier)!.info;
    this.#restore('restoreFromSnapshot', src, input, { snapshotId });
  }
  async restoreToPointInTime(source: string, input: RestoreDbInput & { restoreTime?: Date; useLatestRestorableTime?: boolean }) {
    const src = await this.describeInstance(source);
    if (!src) throw new FakeAwsError('DBInstanceNotFound', `DBInstance ${source} not found.`);
    this.#restore('restoreToPointInTime', src, input, { source, restoreTime: input.restoreTime, useLatestRestorableTime: input.useLatestRestorableTime });
  }
  async deleteInstance(identifier: string, opts: { skipFinalSnapshot: boolean; finalSnapshotId?: string }) {
    this.calls.push({ op: 'deleteInstance', input: { identifier, ...opts } });
    const x = this.#instances.get(identifier);
    if (!x || !this.#view(x)) return;
    if (x.info.deletionProtection) throw new FakeAwsError('InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.');
    x.goneAt ??= this.#now() + this.deleteMs;
  }
  async modifyDeletionProtection(identifier: string, enabled: boolean) {
    this.calls.push({ op: 'modifyDeletionProtection', input: { identifier, enabled } });
    const x = this.#instances.get(identifier);
    if (x) x.info.deletionProtection = enabled;
  }
}
