#!/usr/bin/env node
// Start-up benchmark (a script, not a test; figures vary with the machine's load). Prints the wall
// time of `node -e 0` (the baseline, measured in the same run, interleaved) and of dpf's quick
// commands — `--version`, `--help`, `status --offline` with the cache folder warm (the usual case:
// the config did not change and dpf was not upgraded since the last command), with the config
// cache warm but no kept compiled code (the first status after an install or upgrade, in a folder
// already used), and with an empty cache folder (the first command in a folder) — as medians of
// --runs, and each as a ratio of the baseline. Each case has its own cache folder, so emptying one
// for a cold case leaves the warm one as a user's would be. Goal (issue 14): status --offline ≤ 1.5×.
// Usage: node bench/startup.mjs [--runs 15]   (after npm run build)
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DPF } from './lib/emulator.mjs';
import { median } from './lib/critical-path.mjs';

const i = process.argv.indexOf('--runs');
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 15;
if (!(RUNS > 0)) {
  console.error(`bench/startup.mjs: --runs ${process.argv[i + 1] ?? ''} is not a positive number (e.g. --runs 15)`);
  process.exit(2);
}

const dir = mkdtempSync(path.join(tmpdir(), 'dpf-bench-startup-'));
const cache = path.join(dir, 'cache');
const noCode = path.join(dir, 'cache-no-code');
const cold = path.join(dir, 'cache-cold');
// No AWS settings at all: an offline command must not need them.
const env = { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', DPF_CACHE_DIR: cache };
const once = (args, o = {}) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: dir, env: { ...env, ...o.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0 && !o.anyExit) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
};
try {
  once([DPF, 'init', '--env', 'bench', '--defaults', '--yes']);
  const cases = [
    ['node -e 0 (baseline)', () => once(['-e', '0'])],
    ['dpf --version', () => once([DPF, '--version'])],
    ['dpf --help', () => once([DPF, '--help'])],
    ['dpf status --offline (cache warm)', () => once([DPF, 'status', '--env', 'bench', '--offline'])],
    [
      'dpf status --offline (no kept code)',
      () => {
        for (const f of readdirSync(noCode)) if (f.startsWith('code-')) rmSync(path.join(noCode, f));
        return once([DPF, 'status', '--env', 'bench', '--offline'], { env: { DPF_CACHE_DIR: noCode } });
      },
    ],
    [
      'dpf status --offline (cache folder empty)',
      () => {
        rmSync(cold, { recursive: true, force: true });
        return once([DPF, 'status', '--env', 'bench', '--offline'], { env: { DPF_CACHE_DIR: cold } });
      },
    ],
  ];
  // Warms the caches (the config, then the compiled code) and the file-system cache.
  for (const c of [cache, noCode]) for (let k = 0; k < 2; k++) once([DPF, 'status', '--env', 'bench', '--offline'], { env: { DPF_CACHE_DIR: c } });
  const times = cases.map(() => []);
  for (let r = 0; r < RUNS; r++) cases.forEach(([, f], k) => times[k].push(f()));
  const base = median(times[0]);
  console.log(`dpf start-up — ${new Date().toISOString()}, medians of ${RUNS} interleaved runs, Node ${process.version}`);
  cases.forEach(([name], k) => {
    const m = median(times[k]);
    console.log(`  ${name.padEnd(44)} ${m.toFixed(0).padStart(5)} ms   ${(m / base).toFixed(2)}×`);
  });
  const warm = median(times[3]) / base;
  console.log(`  goal: status --offline ≤ 1.5× node -e 0: ${warm.toFixed(2)}× — ${warm <= 1.5 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
