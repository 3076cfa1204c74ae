/**
 * dpf patch: waves with a recovery point first and a health gate after each wave; --dry-run scans.
 * Production obeys the change rules (maintenance window, staging patched recently) unless
 * --emergency "<reason>", which is recorded with the operation.
 */
import type { CommandContext } from '../context.js';
import type { Session } from '../session.js';
import { BlockedError, UserError } from '../errors.js';
import { requireDeployed, hostLabel, stepOf, type Operation } from '../ops/operation.js';
import { buildPatchSteps } from '../ops/patch/build.js';
import { buildScanSteps } from '../ops/patch/scan.js';
import { discoverHosts, planWaves } from '../ops/patch/hosts.js';
import { PATCH_STEPS, SCAN_STEP, type Wave } from '../ops/patch/keys.js';
import { readStagingLedger } from '../ops/patch/staging.js';
import { evaluateChangeRules } from '../ops/windows.js';
import { normalised } from '../config/normalise.js';
import { runOperation, resumeCommand } from '../ops/runner.js';
import type { Host } from '../ops/health.js';

export interface PatchOptions {
  /** Scan only: pending updates per host, nothing installed. Default false. */
  dryRun?: boolean;
  /** Patch one wave only (bastion, identity-1, identity-2, master-dev, workers). Default: every wave. */
  wave?: string;
  /** Override the change rules for an urgent fix; the reason is recorded in the ledger. */
  emergency?: string;
  /** Let the health gate pass hosts whose health cannot be determined (recorded). Default false. */
  acceptUnknownHealth?: boolean;
  /** Abandon an unfinished patch and start a new one. Default false. */
  new?: boolean;
}

export async function runPatch(opts: PatchOptions, ctx: CommandContext): Promise<void> {
  if (opts.emergency !== undefined && !opts.emergency.trim())
    throw new UserError('EmergencyReasonRequired', '--emergency needs a reason, e.g. --emergency "CVE-2025-1234 in openssh".');
  const flags = `${opts.wave ? ` --wave ${opts.wave}` : ''}${opts.dryRun ? ' --dry-run' : ''}`;
  const command = `patch${flags}`;
  let rules: ChangeRules | undefined;
  await runOperation(ctx, {
    kind: opts.dryRun ? 'patch-scan' : 'patch',
    command,
    fresh: opts.new,
    // --dry-run changes nothing: not the hosts, and not the ledger (the scan's results are printed).
    readOnly: opts.dryRun,
    async define(session) {
      const method = session.env.patching.method;
      requireDeployed(session.ledger, session.envName, method === 'ansible' ? ['bootstrap.state', 'compute.stack'] : ['compute.stack'], 'dpf patch');
      const hosts: Host[] = await discoverHosts(await session.aws.ops(), session.ledger, session.envCtx);
      const waves = selectWaves(planWaves(hosts), opts.wave, session.envName);
      const production = normalised(session.envName, session.env).production;
      if (!opts.dryRun) rules = await changeRules(ctx, session, production, opts.emergency);
      const waveSel = opts.wave ?? 'all';
      return {
        key: `waves=${waveSel} method=${method}`,
        params: {
          waves: waveSel,
          method,
          emergency: opts.emergency,
          acceptUnknownHealth: Boolean(opts.acceptUnknownHealth),
          rules: rules?.findings,
          plan: waves,
          hosts,
          production,
        },
      };
    },
    build(op, session) {
      if (rules?.emergency)
        ctx.io.notify({
          type: 'warning',
          message: `EMERGENCY change (${rules.refusals.map((r) => r.rule).join(', ')} overridden): "${rules.emergency}" — recorded with ${op.id}.`,
        });
      for (const f of rules?.findings ?? []) ctx.io.notify({ type: 'info', message: `change rules: ${f}` });
      // The operation's own plan: a resumed patch keeps the hosts it started with (the recovery points belong to them).
      const p = planOf(op);
      const method = session.env.patching.method;
      const rerun = resumeCommand(ctx, session, command);
      const production = op.params.production === true;
      const steps = opts.dryRun
        ? buildScanSteps(op, { method, waves: p.waves, hosts: p.hosts, rerun })
        : buildPatchSteps(op, {
            method,
            waves: p.waves,
            hosts: p.hosts,
            acceptUnknownHealth: Boolean(opts.acceptUnknownHealth),
            enforceWindow: production && !opts.emergency,
            rerun,
          });
      return { steps, concurrency: 1 };
    },
    summarize(op, session, run) {
      const result = opts.dryRun ? scanResult(session, op, run.status) : patchResult(session, op, planOf(op).waves, run.status, opts.emergency);
      return {
        json: { type: 'result', command, env: session.envName, ...result },
        record: result as unknown as Record<string, unknown>,
        lines: resultLines(result),
      };
    },
  });
}

type ChangeRules = ReturnType<typeof evaluateChangeRules>;

function planOf(op: Operation): { waves: Wave[]; hosts: Host[] } {
  return { waves: op.params.plan as Wave[], hosts: op.params.hosts as Host[] };
}

function selectWaves(all: Wave[], wave: string | undefined, env: string): Wave[] {
  if (!wave) return all;
  const waves = all.filter((w) => w.name === wave || (wave === 'identity' && w.role === 'identity'));
  if (!waves.length) throw new UserError('UnknownWave', `No wave "${wave}" in ${env}.`, { hint: `Waves: ${all.map((w) => w.name).join(', ')}` });
  return waves;
}

/** Production obeys the maintenance window and staging-first, unless --emergency; refused → exit 8. */
async function changeRules(ctx: CommandContext, session: Session, production: boolean, emergency: string | undefined): Promise<ChangeRules> {
  const staging = production
    ? await readStagingLedger(session, ctx.settings.process, ctx.aws, (m) => ctx.io.notify({ type: 'warning', message: m }))
    : { lookedAt: [] as string[] };
  const rules = evaluateChangeRules({
    env: session.envName,
    production,
    window: session.env.patching.maintenanceWindow,
    now: ctx.clock.now(),
    stagingEnv: session.env.patching.stagingEnv,
    staging: staging.found,
    stagingLookedAt: staging.lookedAt,
    requireStagingWithinDays: session.env.patching.requireStagingWithinDays,
    emergency,
  });
  if (!rules.allowed)
    throw new BlockedError(
      `Patching ${session.envName} is refused by the change rules: ${rules.refusals.map((r) => r.reason).join(' ')}`,
      [...new Set(rules.refusals.map((r) => r.hint))].join('\n'),
    );
  return rules;
}

function scanResult(session: Session, op: Operation, status: string): ScanResult {
  const rows = SCAN_STEP.of(session.ledger, op)?.evidence.rows ?? [];
  return { kind: 'scan', operationId: op.id, status, hosts: rows };
}

interface ScanResult {
  kind: 'scan';
  operationId: string;
  status: string;
  hosts: Array<{ wave: string; instanceId: string; role: string; status: string; pending: number | null }>;
}

interface PatchResult {
  kind: 'patch';
  operationId: string;
  status: string;
  emergency?: string;
  recoveryPoints: Record<string, string>;
  waves: Array<{ name: string; status: string; commandId?: string; hosts: unknown; gate: string; acceptedUnknown?: number }>;
}

function patchResult(session: Session, op: Operation, plan: Wave[], status: string, emergency?: string): PatchResult {
  const mine = (sid: string) => stepOf(session.ledger, op, sid);
  return {
    kind: 'patch',
    operationId: op.id,
    status,
    emergency,
    recoveryPoints: mine(PATCH_STEPS.recoveryPoint)?.outputs ?? {},
    waves: plan.map((w) => {
      const wr = mine(PATCH_STEPS.wave(w.name));
      const gr = mine(PATCH_STEPS.gate(w.name));
      return {
        name: w.name,
        status: wr?.status ?? 'not started',
        commandId: wr?.outputs.CommandId,
        hosts: wr?.evidence.hosts,
        gate: gr?.status === 'done' ? 'passed' : gr?.status === 'failed' ? 'FAILED' : 'not run',
        acceptedUnknown: gr ? Number(gr.outputs.AcceptedUnknown ?? 0) : undefined,
      };
    }),
  };
}

function resultLines(r: PatchResult | ScanResult): string[] {
  if (r.kind === 'scan')
    return [
      `Scan ${r.operationId}:`,
      ...r.hosts.map((h) => `  ${h.wave.padEnd(11)} ${hostLabel(h).padEnd(32)} ${h.status.padEnd(8)} pending updates: ${h.pending ?? 'unknown'}`),
    ];
  return [
    `Patch ${r.operationId}${r.emergency ? ` (EMERGENCY: ${r.emergency})` : ''}:`,
    ...Object.entries(r.recoveryPoints).map(([i, a]) => `  recovery point ${i} → ${a}`),
    ...r.waves.map(
      (w) =>
        `  ${w.name.padEnd(11)} ${w.status.padEnd(8)} gate ${w.gate}${w.acceptedUnknown ? ` (${w.acceptedUnknown} unknown accepted)` : ''}${w.commandId ? `  command ${w.commandId}` : ''}`,
    ),
  ];
}
