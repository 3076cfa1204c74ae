#!/usr/bin/env node
// Robustness figures (a script, not a test): runs, completed, duplicates.
//  1. faults: full deploys through tools/fault-proxy.mjs at 20 % throttling + 5 % lost answers
//     (one seed per run), each must complete in one run; duplicates from the emulator's audit;
//  2. crash points: every kill point of tools/chaos.mjs (after each CreateChangeSet,
//     ExecuteChangeSet and SendCommand, at each step's start and end, after eight request counts),
//     each followed by a rerun that must reach all-done;
//  3. the bad-input corpus (tools/bad-input-corpus.mjs): the usage exit code (2; plan 1), field named, no AWS request.
// Usage: node bench/robustness.mjs [--faults N] [--throttle 0.2] [--lost 0.05] [--crash all|sample|none] [--no-corpus]
// (after `bash tools/setup.sh` and `npm run build`). Takes 10-20 minutes with everything on.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFaultProxy } from '../tools/fault-proxy.mjs';
import { countDuplicates } from '../tools/emulator-audit.mjs';
import { crashAndResume, allPoints, pointName, awsEnv } from '../tools/chaos.mjs';
import { runCorpus } from '../tools/bad-input-corpus.mjs';
import { startEmulator } from '../tools/emulator.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DPF = path.join(ROOT, 'bin', 'dpf');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const faultRuns = Number(opt('--faults', '5'));
const throttle = Number(opt('--throttle', '0.2'));
const lost = Number(opt('--lost', '0.05'));
const crash = opt('--crash', 'all');
const corpus = !args.includes('--no-corpus');

function dpf(argv, cwd, endpoint) {
  return new Promise((resolve) => {
    const c = spawn(DPF, argv, { cwd, env: awsEnv(endpoint), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => resolve({ code, err }));
  });
}

const rows = [];
const t0 = performance.now();

if (faultRuns > 0) {
  const em = await startEmulator();
  let completed = 0;
  let dups = 0;
  const totals = { requests: 0, throttled: 0, lostAnswers: 0 };
  const started = performance.now();
  for (let i = 0; i < faultRuns; i++) {
    const env = `bf${i}`;
    const proxy = await startFaultProxy({ target: em.endpoint, seed: 1000 + i, throttle, lostAnswer: lost });
    const dir = mkdtempSync(path.join(tmpdir(), 'dpf-bench-faults-'));
    await dpf(['init', '--env', env, '--defaults', '--yes'], dir, em.endpoint);
    const r = await dpf(['deploy', '--env', env, '--yes', '--json'], dir, proxy.endpoint);
    await proxy.close();
    const d = countDuplicates(em.audit(), { env });
    if (r.code === 0) completed++;
    else process.stderr.write(`fault run ${i} (seed ${1000 + i}) exited ${r.code}: ${r.err.slice(-800)}\n`);
    dups += d.total;
    if (d.total) process.stderr.write(`fault run ${i}: ${d.what.join('; ')}\n`);
    for (const k of Object.keys(totals)) totals[k] += proxy.stats[k];
  }
  em.stop();
  rows.push({
    suite: `faults (${Math.round(throttle * 100)} % throttled, ${Math.round(lost * 100)} % answers lost)`,
    runs: faultRuns,
    completed,
    duplicates: dups,
    notes: `${totals.requests} requests, ${totals.throttled} throttled, ${totals.lostAnswers} answers lost; ${((performance.now() - started) / 1000 / faultRuns).toFixed(1)} s per deploy`,
  });
}

if (crash !== 'none') {
  const em = await startEmulator();
  const points = crash === 'sample' ? allPoints().filter((_, i) => i % 4 === 0) : allPoints();
  let killed = 0;
  let completed = 0;
  let dups = 0;
  const failed = [];
  for (let i = 0; i < points.length; i++) {
    const r = await crashAndResume({ dpfBin: DPF, emulator: em, env: `bc${i}`, point: points[i] });
    if (r.killed) killed++;
    if (r.completed && r.problems.length === 0) completed++;
    dups += r.duplicates;
    if (r.problems.length) failed.push(`${pointName(points[i])}: ${r.problems.join('; ')}`);
    process.stderr.write(`${r.problems.length ? '✖' : '✔'} ${pointName(points[i])}\n`);
  }
  em.stop();
  for (const f of failed) process.stderr.write(`  ${f}\n`);
  rows.push({
    suite: 'crash points (SIGKILL, then rerun)',
    runs: points.length,
    completed,
    duplicates: dups,
    notes: `${killed} killed at their point; completed = all-done after one rerun, nothing left running, no lock or temp file`,
  });
}

if (corpus) {
  const results = await runCorpus(DPF, 4);
  const ok = results.filter((r) => r.ok).length;
  const requests = results.reduce((n, r) => n + r.requests, 0);
  for (const r of results.filter((x) => !x.ok)) process.stderr.write(`corpus: ${r.name}: exit ${r.code}, named ${r.named}, ${r.requests} AWS request(s)\n`);
  rows.push({
    suite: 'bad-input corpus',
    runs: results.length,
    completed: ok,
    duplicates: 0,
    notes: `${results.filter((r) => r.code === r.exit).length} with the usage exit code (2; plan 1), ${results.filter((r) => r.named).length} name the field, ${requests} AWS requests in all`,
  });
}

console.log('\nsuite                                              runs  completed  duplicates  notes');
for (const r of rows)
  console.log(`${r.suite.padEnd(50)} ${String(r.runs).padStart(4)}  ${String(r.completed).padStart(9)}  ${String(r.duplicates).padStart(10)}  ${r.notes}`);
console.log(`\n(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
