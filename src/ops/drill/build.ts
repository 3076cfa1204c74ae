/**
 * `dpf dr-drill`: restore the platform's data into an isolated copy, validate it, measure the
 * achieved RTO and RPO against the targets, write a report, and tear the copy down.
 *
 * One engine run per drill: the main group, then the finally group (teardown and report),
 * which runs even when the main group fails:
 *   main    operations.drill.canary      a row in the database and a file on EFS (SSM, a worker)
 *           operations.drill.isolate     own security group in the VPC: no ingress, egress revoked
 *           operations.drill.restore-db  point-in-time restore to the latest restorable time, with
 *                                        the platform's subnet + parameter group and the drill group
 *           operations.drill.restore-fs  EFS from its latest recovery point (AWS Backup)
 *           operations.drill.dr-source   (scope full) the newest available DB snapshot at drill start,
 *                                        or an on-demand one (<name>-src) when there is none
 *           operations.drill.dr-network  (scope full) the network stack in recovery.drRegion, and
 *           operations.drill.dr-storage  the storage stack on it: stack steps (./dr-stacks.ts)
 *           operations.drill.dr-region   what the two made, gathered
 *           operations.drill.dr-data     (scope full) CopyDBSnapshot into the DR region (encrypted with
 *                                        the DR storage stack's KMS key, or recovery.drKmsKeyArn),
 *                                        restore it into the DR network with an isolated group,
 *                                        validate it there: the DR-region database's RTO and RPO
 *           operations.drill.validate    the copies' checks; canary covered by the restore point
 *                                        (independent of the DR region: its wait is not in their RTO)
 *   finally operations.drill.teardown    delete every drill resource (kept with --keep), verify
 *           operations.drill.report      RTO/RPO per store, Markdown + JSON, upload
 * Every drill resource is named <project>-<env>-drill-<stamp>[-db|-src|-dr|-dr-db]: a resumed or
 * --teardown run finds them from the operation's stamp even when its evidence was lost.
 *
 * Caps: maxCostUsd is checked before anything starts (estimateDrillCost); maxMinutes is the
 * deadline of every wait in the main group — past it the drill aborts and is torn down.
 *
 * Isolation and the canary: no production group may reach the drill copies, so nothing reads
 * the canary row from the copy. What is verified is that the restore point covers the canary's
 * write time (a point-in-time restore contains every committed write before it). For EFS, the
 * latest recovery point predates a canary written at drill start by design (daily backups);
 * the file system's RPO is what measures that gap.
 */
import type { StepDef } from '../../steps/types.js';
import type { Operation } from '../operation.js';
import { drStackSteps } from './dr-stacks.js';
import { DRILL_STEPS, drEnvName, type DrillOptions, type DrillDeps } from './keys.js';
import { canaryStep, isolateStep } from './canary.js';
import { restoreDbStep, restoreFsStep, validateStep } from './copies.js';
import { drSourceStep, drDataStep } from './dr-data.js';
import { teardownStep } from './teardown.js';
import { reportStep } from './report-step.js';

export function buildDrillSteps(op: Operation, o: DrillOptions, deps: DrillDeps): { main: StepDef[]; finish: StepDef[] } {
  const main: StepDef[] = [canaryStep(op), isolateStep(op), restoreDbStep(op), restoreFsStep(op)];
  if (o.scope === 'full')
    main.push(
      drSourceStep(op),
      ...drStackSteps(op, { drAws: deps.drAws, drRegion: deps.drRegion, drEnv: drEnvName(deps.envName, op.stamp) }, DRILL_STEPS.drRegion),
      drDataStep(op, deps),
    );
  main.push(validateStep());
  const ids = main.map((s) => s.id);
  return { main, finish: [teardownStep(op, o, deps, ids), reportStep(op, o, deps)] };
}
