/**
 * FakeBackup and FakeEfs: AWS Backup (recovery points, backup and restore jobs) and EFS in
 * memory, on an injected clock.
 *
 * FakeBackup:
 * - `unavailable = true` makes every job / recovery-point call throw an error named
 *   'NotImplementedByEndpoint' (what dpf sees from an emulator without AWS Backup).
 * - addRecoveryPoint() registers a COMPLETED point with its creation time.
 * - startBackupJob: RUNNING for `jobMs` (default 60 s), then COMPLETED with a new recovery point.
 * - startRestoreJob (EFS, newFileSystem=true): RUNNING for `jobMs`, then COMPLETED; the new
 *   file system appears in the linked FakeEfs (encrypted, with metadata.KmsKeyId), no mount targets.
 *   `omitCreatedResource = true`: the job completes (and creates the file system) but reports
 *   no CreatedResourceArn. `restoreFailure = 'message'`: the job ends FAILED after `jobMs` with that
 *   StatusMessage and creates nothing (as AWS reports a restore it could not complete, e.g. the
 *   role lacks elasticfilesystem:CreateFileSystem).
 * - deleteRecoveryPoint: the point is DELETING for `deleteMs` (default 30 s), then gone; one in
 *   `lockedPoints` is refused (InvalidRequestException, as for a point under a vault lock);
 *   a missing one is a no-op.
 * - deleteBackupVault: refused (InvalidRequestException) while the vault holds a recovery point
 *   (DELETING ones included); then recorded in `deletedVaults`; deleting it again is a no-op.
 *   `vaultDeleteUnavailable = true` makes it (and describeVault) throw NotImplementedByEndpoint.
 * - describeVault: every vault exists until deleted, with its number of recovery points.
 * FakeEfs: file systems and mount targets; deleteMountTarget / deleteFileSystem remove at once,
 * but deleteFileSystem is refused (FileSystemInUse) while a mount target of it exists, as
 * AWS's DeleteFileSystem is ("You must first delete all mount targets", EFS API reference);
 * tagFileSystem merges tags (FileSystemNotFound for an unknown id).
 */
import type { BackupJobInfo, BackupPort, EfsPort, FileSystemInfo, MountTargetInfo, RecoveryPointInfo } from '../../src/aws/ops-ports.js';

export class FakeEfs implements EfsPort {
  readonly fileSystems = new Map<string, FileSystemInfo>();
  readonly mountTargets = new Map<string, MountTargetInfo>();
  #n = 0;
  add(fs: Partial<FileSystemInfo> & { fileSystemId: string }, mountTargets = 0): this {
    this.fileSystems.set(fs.fileSystemId, { state: 'available', encrypted: true, tags: {}, sizeBytes: 1e9, ...fs });
    for (let i = 0; i < mountTargets; i++) {
      const id = `fsmt-${fs.fileSystemId}-${i}`;
      this.mountTargets.set(id, { mountTargetId: id, fileSystemId: fs.fileSystemId, subnetId: `subnet-${i}`, state: 'available' });
    }
    return this;
  }
  newId(): string {
    return `fs-restored${++this.#n}`;
  }
  async describeFileSystems(id?: string) {
    return [...this.fileSystems.values()].filter((f) => !id || f.fileSystemId === id);
  }
  async describeMountTargets(id: string) {
    return [...this.mountTargets.values()].filter((m) => m.fileSystemId === id);
  }
  async deleteFileSystem(id: string) {
    // AWS: "FileSystemInUse ... the file system has mount targets" (DeleteFileSystem, 409).
    if ([...this.mountTargets.values()].some((m) => m.fileSystemId === id))
      throw Object.assign(new Error(`File system '${id}' has mount targets and cannot be deleted.`), { name: 'FileSystemInUse' });
    this.fileSystems.delete(id);
  }
  async deleteMountTarget(id: string) {
    this.mountTargets.delete(id);
  }
  async tagFileSystem(id: string, tags: Record<string, string>) {
    const fs = this.fileSystems.get(id);
    if (!fs) throw Object.assign(new Error(`File system '${id}' does not exist.`), { name: 'FileSystemNotFound' });
    fs.tags = { ...fs.tags, ...tags };
  }
}

function unavailable(op: string): Error {
  const e = new Error(`AWS Backup ${op} is not implemented by the AWS endpoint in use`);
  e.name = 'NotImplementedByEndpoint';
  return e;
}

export class FakeBackup implements BackupPort {
  readonly calls: Array<{ op: string; input: unknown }> = [];
  unavailable = false;
  jobMs = 60_000;
  deleteMs = 30_000;
  omitCreatedResource = false;
  restoreFailure?: string;
  vaultDeleteUnavailable = false;
  readonly lockedPoints = new Set<string>();
  readonly deletedVaults = new Set<string>();
  readonly points: RecoveryPointInfo[] = [];
  readonly #deletingUntil = new Map<string, number>();
  readonly #jobs = new Map<
    string,
    { kind: 'backup' | 'restore'; start: number; resourceArn?: string; vault?: string; createdResourceArn?: string; point?: string; done?: boolean }
  >();
  #n = 0;
  constructor(
    private readonly clock: { now(): Date },
    private readonly efs?: FakeEfs,
  ) {}

  addRecoveryPoint(p: Partial<RecoveryPointInfo> & { created: Date; resourceArn: string; vault: string }): string {
    const arn = p.arn ?? `arn:aws:backup:us-west-2:123456789012:recovery-point:rp-${++this.#n}`;
    this.points.push({ status: 'COMPLETED', resourceType: 'EFS', completed: p.created, ...p, arn });
    return arn;
  }
  /** A vault exists unless deleted (every name a test uses is a vault). */
  async describeVault(vault: string) {
    this.calls.push({ op: 'describeVault', input: { vault } });
    if (this.unavailable || this.vaultDeleteUnavailable) throw unavailable('DescribeBackupVault');
    this.#expire();
    if (this.deletedVaults.has(vault)) return undefined;
    return {
      name: vault,
      arn: `arn:aws:backup:us-west-2:123456789012:backup-vault:${vault}`,
      recoveryPoints: this.points.filter((p) => p.vault === vault).length,
      locked: false,
    };
  }
  async describePlan() {
    return undefined;
  }
  async listRecoveryPoints(vault: string, resourceArn?: string) {
    this.calls.push({ op: 'listRecoveryPoints', input: { vault, resourceArn } });
    if (this.unavailable) throw unavailable('ListRecoveryPointsByBackupVault');
    this.#expire();
    return this.points
      .filter((p) => p.vault === vault && (!resourceArn || p.resourceArn === resourceArn))
      .map((p) => (this.#deletingUntil.has(p.arn) ? { ...p, status: 'DELETING' } : { ...p }));
  }
  #expire() {
    const t = this.clock.now().getTime();
    for (const [arn, until] of this.#deletingUntil)
      if (t >= until) {
        this.#deletingUntil.delete(arn);
        const i = this.points.findIndex((p) => p.arn === arn);
        if (i >= 0) this.points.splice(i, 1);
      }
  }
  async deleteRecoveryPoint(vault: string, recoveryPointArn: string) {
    this.calls.push({ op: 'deleteRecoveryPoint', input: { vault, recoveryPointArn } });
    if (this.unavailable) throw unavailable('DeleteRecoveryPoint');
    if (this.lockedPoints.has(recoveryPointArn))
      throw Object.assign(new Error(`Recovery point ${recoveryPointArn} cannot be deleted: the vault is locked.`), { name: 'InvalidRequestException' });
    if (!this.points.some((p) => p.arn === recoveryPointArn && p.vault === vault)) return;
    if (!this.#deletingUntil.has(recoveryPointArn)) this.#deletingUntil.set(recoveryPointArn, this.clock.now().getTime() + this.deleteMs);
  }
  async deleteBackupVault(vault: string) {
    this.calls.push({ op: 'deleteBackupVault', input: { vault } });
    if (this.unavailable || this.vaultDeleteUnavailable) throw unavailable('DeleteBackupVault');
    this.#expire();
    if (this.deletedVaults.has(vault)) return;
    if (this.points.some((p) => p.vault === vault))
      throw Object.assign(new Error(`Backup vault ${vault} cannot be deleted because it contains recovery points.`), { name: 'InvalidRequestException' });
    this.deletedVaults.add(vault);
  }
  async startBackupJob(vault: string, resourceArn: string, iamRoleArn: string) {
    this.calls.push({ op: 'startBackupJob', input: { vault, resourceArn, iamRoleArn } });
    if (this.unavailable) throw unavailable('StartBackupJob');
    const id = `job-${++this.#n}`;
    this.#jobs.set(id, { kind: 'backup', start: this.clock.now().getTime(), resourceArn, vault });
    return id;
  }
  async describeBackupJob(jobId: string): Promise<BackupJobInfo> {
    const j = this.#jobs.get(jobId)!;
    const done = this.clock.now().getTime() >= j.start + this.jobMs;
    if (done && !j.point) j.point = this.addRecoveryPoint({ created: new Date(j.start), resourceArn: j.resourceArn!, vault: j.vault! });
    return { jobId, state: done ? 'COMPLETED' : 'RUNNING', resourceArn: j.resourceArn, recoveryPointArn: j.point, created: new Date(j.start) };
  }
  async startRestoreJob(recoveryPointArn: string, iamRoleArn: string, metadata: Record<string, string>, resourceType: string) {
    this.calls.push({ op: 'startRestoreJob', input: { recoveryPointArn, iamRoleArn, metadata, resourceType } });
    if (this.unavailable) throw unavailable('StartRestoreJob');
    const id = `restore-${++this.#n}`;
    this.#jobs.set(id, { kind: 'restore', start: this.clock.now().getTime(), point: recoveryPointArn, resourceArn: metadata.KmsKeyId });
    return id;
  }
  async describeRestoreJob(jobId: string) {
    const j = this.#jobs.get(jobId)!;
    const done = this.clock.now().getTime() >= j.start + this.jobMs;
    if (done && this.restoreFailure) return { jobId, status: 'FAILED', statusMessage: this.restoreFailure, created: new Date(j.start) };
    if (done && !j.createdResourceArn) {
      const fsId = this.efs?.newId() ?? `fs-restored-${jobId}`;
      this.efs?.add({ fileSystemId: fsId, kmsKeyId: j.resourceArn });
      j.createdResourceArn = `arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/${fsId}`;
    }
    return {
      jobId,
      status: done ? 'COMPLETED' : 'RUNNING',
      createdResourceArn: this.omitCreatedResource ? undefined : j.createdResourceArn,
      created: new Date(j.start),
    };
  }
}
