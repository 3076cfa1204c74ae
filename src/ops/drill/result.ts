/** Everything the drill recorded, measured against the RTO/RPO targets (reads the ledger only). */
import type { EnvContext } from '../../steps/types.js';
import type { Ledger } from '../../state/ledger.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import { minutes, type Operation } from '../operation.js';
import { drRecorded, type DrRecorded } from './dr-stacks.js';
import { measureStore, overallPassed, fmt, type StoreResult } from '../rto-rpo.js';
import { verdictText, type Check, type CheckStatus, type DrillResult } from '../report.js';
import {
  DRILL,
  drillName,
  drEnvName,
  type CanaryEvidence,
  type ChecksEvidence,
  type DrDataEvidence,
  type DrillDeps,
  type DrillOptions,
  type DrRegionEvidence,
  type IsolateEvidence,
  type RestoreDbEvidence,
  type RestoreFsEvidence,
  type TeardownEvidence,
} from './keys.js';
import type { RecordOf } from '../step.js';

/**
 * Lower a store's verdict for a validation it did not pass: never raises one. `null` (not
 * measured) turns a pass into "not measured"; `false` fails it. The reason comes first.
 */
export function qualify(s: StoreResult, verdict: false | null, reason: string): void {
  if (s.passed === false) return; // already failed: its reason says why
  if (verdict === null && s.passed === null && s.reason?.includes(reason)) return;
  s.passed = verdict;
  s.reason = [reason, s.reason].filter(Boolean).join('; ');
}

/** Everything the drill recorded, measured (reads the ledger only). */
type RecoveryConfig = EnvironmentConfig['recovery'];

type Rec<E> = RecordOf<E> | undefined;

/** What the drill's steps recorded, read once. */
interface Recorded {
  can: Rec<CanaryEvidence>;
  iso: Rec<IsolateEvidence>;
  rdb: Rec<RestoreDbEvidence>;
  rfs: Rec<RestoreFsEvidence>;
  val: Rec<ChecksEvidence>;
  dr: Rec<DrRegionEvidence>;
  src: Rec<Record<string, never>>;
  drd: Rec<DrDataEvidence>;
  td: Rec<TeardownEvidence>;
  drStacks?: DrRecorded;
  /** Why the drill was torn down early (the teardown step recorded it). */
  aborted?: string;
  /** The validation's checks (the DR region's are added to them). */
  checks: Check[];
}

const done = (r: { status: string } | undefined) => r?.status === 'done';

function recorded(ledger: Ledger, envCtx: EnvContext, op: Operation, deps: DrillDeps): Recorded {
  const td = DRILL.teardown.of(ledger, op);
  const val = DRILL.validate.of(ledger, op);
  return {
    can: DRILL.canary.of(ledger, op),
    iso: DRILL.isolate.of(ledger, op),
    rdb: DRILL.restoreDb.of(ledger, op),
    rfs: DRILL.restoreFs.of(ledger, op),
    val,
    dr: DRILL.drRegion.of(ledger, op),
    src: DRILL.drSource.of(ledger, op),
    drd: DRILL.drData.of(ledger, op),
    td,
    drStacks: drRecorded(ledger, op, envCtx, drEnvName(deps.envName, op.stamp)),
    aborted: td?.evidence.aborted,
    checks: (val?.evidence.checks ?? []).slice(),
  };
}

const failedOf = (checks: Check[], prefix: string) =>
  checks.filter((c) => c.name.startsWith(prefix) && c.status === 'failed').map((c) => `${c.name.slice(prefix.length + 1)} (${c.detail})`);

/** The platform database's copy: RTO/RPO, lowered for a validation or canary it did not pass. */
function measureDatabase(r: Recorded, op: Operation, rec: RecoveryConfig): StoreResult {
  const { rdb, val, aborted } = r;
  const dbFailed = failedOf(r.checks, 'database:');
  const database = measureStore({
    name: 'database',
    drillStart: op.startedAt,
    validatedAt: done(val) && done(rdb) ? new Date(val!.outputs.DbValidatedAt!) : undefined,
    restorePoint: rdb?.outputs.RpoPoint
      ? new Date(rdb.outputs.RpoPoint)
      : rdb?.outputs.RestorePoint
        ? new Date(rdb.outputs.RestorePoint)
        : rdb?.evidence.restorePoint
          ? new Date(String(rdb.evidence.restorePoint))
          : undefined,
    rtoTargetSeconds: rec.rtoMinutes.data * 60,
    rpoTargetSeconds: rec.rpoMinutes.database * 60,
    unmeasured: !done(rdb) ? `the database was not restored${aborted ? ` (${aborted})` : rdb?.error ? ` (${rdb.error.message})` : ''}` : undefined,
    validationFailed: dbFailed.length ? dbFailed.join(', ') : undefined,
  });
  if (!done(rdb) && aborted) Object.assign(database, { passed: false });
  // The database passes only when the copy is shown to hold the canary: an unconfirmed canary
  // leaves it not measured (its RTO/RPO stay reported), a failed one fails it.
  const canary = r.checks.find((c) => c.name === 'database: canary covered');
  if (done(val) && !canary) qualify(database, null, 'the canary could not be confirmed: the validation recorded no canary check');
  else if (canary?.status === 'unknown') qualify(database, null, `the canary could not be confirmed: ${canary.detail}`);
  else if (canary?.status === 'failed') qualify(database, false, `the canary check failed: ${canary.detail}`);
  return database;
}

/** The file system's copy (not measured where AWS Backup is not offered). */
function measureFileSystem(r: Recorded, op: Operation, rec: RecoveryConfig): StoreResult {
  const { rfs, val, aborted } = r;
  const fsFailed = failedOf(r.checks, 'file system:');
  return measureStore({
    name: 'fileSystem',
    drillStart: op.startedAt,
    validatedAt: done(val) && val!.outputs.FsValidatedAt ? new Date(val!.outputs.FsValidatedAt) : undefined,
    restorePoint: rfs?.outputs.RestorePoint ? new Date(rfs.outputs.RestorePoint) : undefined,
    rtoTargetSeconds: rec.rtoMinutes.data * 60,
    rpoTargetSeconds: rec.rpoMinutes.fileSystem * 60,
    unmeasured:
      rfs?.outputs.Status === 'unmeasured'
        ? String(rfs.outputs.Reason)
        : !done(rfs)
          ? `the file system was not restored${aborted ? ` (${aborted})` : ''}`
          : undefined,
    validationFailed: fsFailed.length ? fsFailed.join(', ') : undefined,
  });
}

/** Scope full: the database restored in the DR region, and the whole environment's recovery there. */
function measureDrRegion(
  r: Recorded,
  op: Operation,
  rec: RecoveryConfig,
  region: string,
  notes: string[],
): { drDatabase: StoreResult; environment: NonNullable<DrillResult['environment']> } {
  const { src, drd, dr, drStacks, aborted } = r;
  const drChecks = (drd?.evidence.checks ?? []).map((c) => ({ ...c, name: `DR database: ${c.name}` }));
  r.checks.push(...drChecks);
  const drFailed = failedOf(drChecks, 'DR database:');
  const drRestored = done(drd) && drd!.outputs.Status === 'restored';
  const drUnmeasured =
    drd?.outputs.Status === 'unmeasured'
      ? String(drd.outputs.Reason)
      : !done(drd)
        ? `the database was not restored in ${region}${aborted ? ` (${aborted})` : drd?.error ? ` (${drd.error.message})` : drStacks?.error ? ` (the DR stacks failed: ${drStacks.error})` : ''}`
        : undefined;
  // RPO: drill start → creation of the source snapshot (a copy's own creation time is the copy's).
  const drDatabase = measureStore({
    name: 'drDatabase',
    drillStart: op.startedAt,
    validatedAt: drRestored && drd!.outputs.ValidatedAt ? new Date(drd!.outputs.ValidatedAt) : undefined,
    restorePoint: src?.outputs.Created ? new Date(src.outputs.Created) : undefined,
    rtoTargetSeconds: rec.rtoMinutes.data * 60,
    rpoTargetSeconds: rec.rpoMinutes.database * 60,
    unmeasured: drUnmeasured,
    validationFailed: drFailed.length ? drFailed.join(', ') : undefined,
  });
  if (!done(drd) && aborted) Object.assign(drDatabase, { passed: false });
  if (src?.outputs.OnDemand === 'true')
    notes.push(
      `No snapshot of the database existed at drill start: the drill took ${src.outputs.SnapshotId} and copied it, so the DR-region RPO is optimistic — after a real regional outage only copies already in ${region} exist.`,
    );
  else if (src?.outputs.SnapshotId)
    notes.push(
      `DR-region RPO: drill start → creation of the newest snapshot (${src.outputs.SnapshotId}), which is the best a copy to ${region} can hold; copy snapshots there continuously (AWS Backup cross-region copy) for that to hold in a real outage.`,
    );

  // Full recovery: the stacks recreated AND the data restored there, validated.
  const completed = dr?.outputs.CompletedAt ? new Date(dr.outputs.CompletedAt) : undefined;
  const end =
    completed && drRestored && drd!.outputs.ValidatedAt
      ? new Date(Math.max(completed.getTime(), new Date(drd!.outputs.ValidatedAt).getTime()))
      : completed && drd?.outputs.Status === 'unmeasured'
        ? completed
        : undefined;
  const rto = end ? Math.max(0, Math.round((end.getTime() - op.startedAt.getTime()) / 1000)) : null;
  const target = rec.rtoMinutes.full * 60;
  const infraOnly = rto !== null && !drRestored;
  const environment = {
    region,
    rtoSeconds: rto,
    rtoTargetSeconds: target,
    passed: rto === null ? (aborted ? false : null) : rto > target ? false : infraOnly ? null : true,
    stacks: dr?.evidence.stacks ?? drStacks?.stacks ?? [],
    reason:
      rto === null
        ? completed
          ? `the database was not restored in ${region}${drd?.error ? ` (${drd.error.message})` : ''}`
          : `the DR region was not recreated${drStacks?.error ? ` (${drStacks.error})` : ''}`
        : rto > target
          ? `RTO ${fmt(rto)} exceeds the full-recovery target ${fmt(target)}`
          : infraOnly
            ? `stacks recreated in ${fmt(rto)}, but the database could not be restored there: ${drDatabase.reason}`
            : undefined,
  };
  return { drDatabase, environment };
}

/** Everything the drill recorded, measured (reads the ledger only). */
export function drillResult(ledger: Ledger, envCtx: EnvContext, op: Operation, o: DrillOptions, deps: DrillDeps, now: Date): DrillResult {
  const rec = envCtx.env.recovery;
  const r = recorded(ledger, envCtx, op, deps);
  const { can, iso, td, aborted } = r;
  const notes: string[] = [];
  const fileSystem = measureFileSystem(r, op, rec);
  const stores = [measureDatabase(r, op, rec), fileSystem];
  let environment: DrillResult['environment'];
  if (o.scope === 'full') {
    const full = measureDrRegion(r, op, rec, deps.drRegion ?? rec.drRegion ?? '?', notes);
    stores.push(full.drDatabase);
    environment = full.environment;
  }
  const passed = aborted ? false : overallPassed([...stores, ...(environment ? [environment] : [])]);
  const canaryDetail = [...(can?.evidence.detail ?? [])];
  if (fileSystem.passed !== null)
    canaryDetail.push('EFS: the latest recovery point predates a canary written at drill start (daily backups); the file system RPO measures that gap.');
  if (fileSystem.passed === null) notes.push(`The file system was NOT measured: ${fileSystem.reason}. The drill therefore cannot pass as a whole.`);
  const tdLeft = td?.evidence.left ?? [];
  const kept = td?.evidence.kept === true;
  if (!kept && tdLeft.length) notes.push(`Teardown left ${tdLeft.length} resource(s) behind: delete them by hand (listed under Teardown).`);
  if (aborted) notes.push(`The drill was aborted: ${aborted}. Everything it created was torn down${kept ? ' (except what --keep kept)' : ''}.`);
  notes.push(`Elapsed: ${minutes(now.getTime() - op.startedAt.getTime())} from drill start to report.`);
  return {
    type: 'result',
    command: 'dr-drill',
    operationId: op.id,
    env: envCtx.name,
    project: envCtx.project,
    region: envCtx.region,
    scope: o.scope,
    passed,
    verdict: verdictText(passed, stores, aborted, environment),
    startedAt: op.startedAt.toISOString(),
    finishedAt: now.toISOString(),
    drillName: drillName(envCtx, op.stamp),
    stores,
    environment,
    canary: {
      writtenAt: can?.outputs.CanaryAt,
      database: (can?.outputs.Database as CheckStatus) ?? 'unknown',
      fileSystem: (can?.outputs.FileSystem as CheckStatus) ?? 'unknown',
      detail: canaryDetail,
    },
    checks: r.checks,
    isolation: {
      securityGroupId: iso?.outputs.SecurityGroupId,
      ingressRules: Number(iso?.evidence.ingressRules ?? 0),
      egressRevoked: iso?.status === 'done' && Number(iso.evidence.egressRules ?? 1) === 0,
    },
    teardown: { kept, deleted: td?.evidence.deleted ?? [], left: kept ? (td?.evidence.resources ?? []) : tdLeft },
    costEstimateUsd: Number(op.params.costEstimateUsd ?? 0),
    maxCostUsd: rec.drill.maxCostUsd,
    maxMinutes: rec.drill.maxMinutes,
    aborted,
    notes,
    report: '',
    reportJson: '',
  };
}
