/**
 * dpf doctor: the account preflight (src/preflight/) against the account and region of an
 * environment — read-only — and the local state (state backend, lock, linters). Each check says
 * pass, warn, fail or unknown with the reason and what to do; --json prints them all.
 */
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { loadConfig } from '../config/load.js';
import { emptyLedger } from '../state/ledger.js';
import { StateStore } from '../state/store.js';
import { selectPlacedEnv } from '../state/place.js';
import { PACKAGE_ROOT } from '../templates/registry.js';
import { DpfError, ExitCode } from '../errors.js';
import { makeChalk } from '../ui/format.js';
import { runPreflight, type PreflightResult } from '../preflight/index.js';

export function renderPreflight(results: PreflightResult[], color: boolean | number): string[] {
  const c = makeChalk(color);
  const mark = (s: PreflightResult['status']) => (s === 'pass' ? c.green('✔') : s === 'warn' ? c.yellow('⚠') : s === 'unknown' ? c.gray('?') : c.red('✖'));
  return results.map((k) => `${mark(k.status)} ${k.check.padEnd(28)} ${k.detail}${k.hint ? c.dim(`\n  → ${k.hint}`) : ''}`);
}

export async function runDoctor(_opts: Record<string, never>, ctx: CommandContext): Promise<void> {
  const loaded = await loadConfig(ctx.globals.config);
  const { name: envName, env } = await selectPlacedEnv(loaded, ctx.globals);
  const region = ctx.globals.region ?? env.region;
  const store = new StateStore(loaded.dir, loaded.config.project, envName, ctx.settings.process);
  const ledger = (await store.readLocal()) ?? emptyLedger(loaded.config.project, envName, ctx.clock.now());
  const checks = await runPreflight({
    project: loaded.config.project,
    envName,
    env,
    region,
    aws: ctx.aws(region),
    ledger,
    endpoint: ctx.settings.endpoint.url,
    local: { lockStore: store.localLock(), process: ctx.settings.process, venvBin: path.join(PACKAGE_ROOT, '.venv', 'bin'), now: ctx.clock.now() },
  });
  if (ctx.globals.json) ctx.stdout(JSON.stringify({ env: envName, region, checks }, null, 2));
  else ctx.stdout(renderPreflight(checks, ctx.globals.color).join('\n'));
  const failed = checks.filter((k) => k.status === 'fail');
  if (failed.length)
    throw new DpfError(
      'PreflightFailed',
      `${failed.length} preflight check(s) failed: ${failed.map((f) => f.check).join(', ')}.`,
      failed.some((f) => f.id === 'credentials' || f.id === 'account-pin') ? ExitCode.AwsAccess : ExitCode.StepFailed,
      { source: 'user' },
    );
}
