/**
 * `dpf patch`: security patches in waves, a recovery point first, a health gate after each wave.
 *
 * Waves, in order: bastion; the identity servers one at a time; master and dev; the workers,
 * rolling (SSM MaxConcurrency / MaxErrors from config.ssm). Steps (phase 'operations'):
 *   operations.patch.db-snapshot      CreateDBSnapshot of the platform's database (in parallel with
 *                                     the AMIs), wait until available
 *   operations.patch.recovery-point   CreateImage (NoReboot) of every non-worker host in the
 *                                     selected waves, wait until available
 *   operations.patch.<wave>           patch.yml through dpf's Ansible document (or
 *                                     AWS-RunPatchBaseline), then wait for hosts that reboot
 *   operations.patch.<wave>.gate      SSM online, the host's alarms OK, its role's units active
 *   operations.patch.scan             --dry-run: scan only (Check mode / Operation=Scan)
 * A failed gate halts the run before the next wave and names the host, the reason and the AMI
 * to roll back to. In production the maintenance window is checked again before every wave.
 */
import type { StepDef } from '../../steps/types.js';
import { type Operation } from '../operation.js';
import { rdsSnapshotStep } from '../backup/snapshot.js';
import { PATCH_STEPS, type PatchOptions } from './keys.js';
import { recoveryPointStep } from './recovery-point.js';
import { waveStep } from './waves.js';
import { gateStep } from './gate.js';

export function buildPatchSteps(op: Operation, o: PatchOptions): StepDef[] {
  const nonWorkers = o.waves.filter((w) => !w.rolling).flatMap((w) => w.hosts);
  // The database's recovery point: the master's jobs write to it while hosts reboot (the
  // specification: manual snapshots before major changes). In parallel with the AMIs.
  const steps: StepDef[] = [
    rdsSnapshotStep(op, {
      id: PATCH_STEPS.dbSnapshot,
      title: 'Recovery point: RDS snapshot',
      label: 'prepatch',
      timeoutMinutes: 120,
      rerun: () => o.rerun,
      requireDatabase: false,
    }),
  ];
  if (nonWorkers.length) steps.push(recoveryPointStep(op, o, nonWorkers));
  let previous: string[] = [PATCH_STEPS.dbSnapshot, ...(nonWorkers.length ? [PATCH_STEPS.recoveryPoint] : [])];
  for (const wave of o.waves) {
    steps.push(waveStep(op, o, wave, previous), gateStep(o, wave));
    previous = [PATCH_STEPS.gate(wave.name)];
  }
  return steps;
}
