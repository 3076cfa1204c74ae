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
 * FakeEfs: file systems and mount targets; deleteMountTarget / deleteFileSystem remove at once.
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
  async describeAccessPoints() {
    return [];
  }
  async describeLifecycle() {
    return [];
  }
  async deleteFileSystem(id: string) {
    this.fileSystems.delete(id);
  }
  async deleteMountTarget(id: string) {
    this.mountTargets.delete(id);
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
  readonly points: RecoveryPointInfo[] = [];
  readonly #jobs = new Map<string, { kind: 'backup' | 'restore'; start: number; resourceArn?: string; vault?: string; createdResourceArn?: string; point?: string; done?: boolean }>();
  #n = 0;
  constructor(private readonly clock: { now(): Date }, private readonly efs?: FakeEfs) {}

  addRecoveryPoint(p: Partial<RecoveryPointInfo> & { created: Date; resourceArn: string; vault: string }): string {
    const arn = p.arn ?? `arn:aws:backup:us-west-2:123456789012:recovery-point:rp-${++this.#n}`;
    this.points.push({ status: 'COMPLETED', resourceType: 'EFS', completed: p.created, ...p, arn });
    return arn;
  }
  async describePlan() {
    return undefined;
  }
  async listSelections() {
    return [];
  }
  async listRecoveryPoints(vault: string, resourceArn?: string) {
    this.calls.push({ op: 'listRecoveryPoints', input: { vault, resourceArn } });
    if (this.unavailable) throw unavailable('ListRecoveryPointsByBackupVault');
    return this.points.filter((p) => p.vault === vault && (!resourceArn || p.resourceArn === resourceArn));
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
    if (done && !j.createdResourceArn) {
      const fsId = this.efs?.newId() ?? `fs-restored-${jobId}`;
      this.efs?.add({ fileSystemId: fsId, kmsKeyId: j.resourceArn });
      j.createdResourceArn = `arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/${fsId}`;
    }
    return { jobId, status: done ? 'COMPLETED' : 'RUNNING', createdResourceArn: j.createdResourceArn, created: new Date(j.start) };
  }
}
