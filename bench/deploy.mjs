#!/usr/bin/env node
// Benchmark (a script, not a test): in one run against the emulator,
//  1. time a full `dpf deploy` of bootstrap, network, compute and storage and count its AWS API calls;
//  2. time the same templates deployed in sequence by `aws cloudformation deploy` (AWS CLI from the venv),
//     on a second, fresh emulator, with the same parameter values;
//  3. print both, their ratio, and the ETA model's critical path against the sum of all steps
//     (what a sequential run would take on AWS).
// Usage: node bench/deploy.mjs        (after `bash tools/setup.sh`)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, emulatorEnv } from '../tools/emulator.mjs';

// Async on purpose: the emulator's request log is read from a pipe while commands run.
const run = async (cmd, args, opts) => (await promisify(execFile)(cmd, args, { maxBuffer: 1 << 28, ...opts })).stdout;
// dpf plan exits 2 when changes are pending (terraform's -detailed-exitcode); its output is the plan all the same.
const runPlan = async (args, opts) => run(DPF, args, opts).catch((e) => (e.code === 2 ? e.stdout : Promise.reject(e)));
const settle = () => new Promise((r) => setTimeout(r, 300));
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DPF = path.join(ROOT, 'bin', 'dpf');
const AWS = path.join(ROOT, '.venv', 'bin', 'aws');

const env = (endpoint) => ({ ...process.env, ...emulatorEnv(endpoint) });

const PHASES = ['bootstrap', 'network', 'compute', 'storage'];

// ---- 1. dpf ----
const em1 = await startEmulator();
const dir = mkdtempSync(path.join(tmpdir(), 'dpf-bench-'));
await run(DPF, ['init', '--env', 'bench', '--defaults', '--yes'], { cwd: dir, env: env(em1.endpoint) });
const planFresh = JSON.parse(await runPlan(['plan', '--env', 'bench', '--json'], { cwd: dir, env: env(em1.endpoint) }));
const planFour = JSON.parse(await runPlan(['plan', '--env', 'bench', '--phase', PHASES.join(','), '--json'], { cwd: dir, env: env(em1.endpoint) }));
const before = em1.requests();
let t0 = performance.now();
await run(DPF, ['deploy', '--env', 'bench', '--phase', PHASES.join(','), '--yes', '--json'], { cwd: dir, env: env(em1.endpoint) });
const dpfMs = performance.now() - t0;
await settle();
const dpfCalls = em1.requests() - before;
t0 = performance.now();
await run(DPF, ['deploy', '--env', 'bench', '--phase', PHASES.join(','), '--yes', '--json'], { cwd: dir, env: env(em1.endpoint) });
const rerunMs = performance.now() - t0;
await settle();
const rerunCalls = em1.requests() - before - dpfCalls;

// The exact parameters dpf used, read back from the stacks.
const params = {};
for (const t of PHASES) {
  const s = JSON.parse(await run(AWS, ['cloudformation', 'describe-stacks', '--stack-name', `dataplatform-bench-${t}`], { env: env(em1.endpoint) })).Stacks[0];
  params[t] = Object.fromEntries(s.Parameters.map((p) => [p.ParameterKey, p.ParameterValue]));
}

em1.proc.kill();

// ---- 2. aws cloudformation deploy, in sequence, on a fresh emulator ----
const em2 = await startEmulator();
const { loadTemplate } = await import(path.join(ROOT, 'dist', 'templates', 'registry.js'));
const tdir = mkdtempSync(path.join(tmpdir(), 'dpf-bench-cli-'));
const physical = {}; // logical id → physical id of the CLI-created network stack, to re-point ids
const before2 = em2.requests();
t0 = performance.now();
for (const t of PHASES) {
  const file = path.join(tdir, `${t}.json`);
  writeFileSync(file, loadTemplate(t).body);
  const overrides = Object.entries(params[t]).map(([k, v]) => {
    // ids that came from dpf's network stack are replaced by the CLI network stack's ids (matched by output name)
    if (physical[k] !== undefined) v = physical[k];
    return `${k}=${v}`;
  });
  await run(AWS, ['cloudformation', 'deploy', '--stack-name', `dataplatform-bench-${t}`, '--template-file', file, '--capabilities', 'CAPABILITY_NAMED_IAM', '--no-fail-on-empty-changeset', '--parameter-overrides', ...overrides], { env: env(em2.endpoint) });
  if (t === 'network') {
    const res = JSON.parse(await run(AWS, ['cloudformation', 'list-stack-resources', '--stack-name', `dataplatform-bench-${t}`], { env: env(em2.endpoint) })).StackResourceSummaries;
    const tpl = loadTemplate(t).template;
    for (const [out, def] of Object.entries(tpl.Outputs)) {
      const ref = def.Value?.Ref;
      const r = res.find((x) => x.LogicalResourceId === ref);
      if (r) physical[out] = r.PhysicalResourceId;
    }
  }
}
const cliMs = performance.now() - t0;
await settle();
const cliCalls = em2.requests() - before2;
em2.proc.kill();

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const m = (sec) => `${Math.floor(sec / 60)} min ${Math.round(sec % 60)} s`;
console.log('Deploy of bootstrap + network + compute + storage against the emulator (moto), same machine, same run:');
console.log(`  dpf deploy (graph, compute ∥ storage)      ${s(dpfMs)}   ${dpfCalls} AWS API calls`);
console.log(`  dpf deploy again (verified no-op)          ${s(rerunMs)}   ${rerunCalls} AWS API calls`);
console.log(`  aws cloudformation deploy × 4, sequential  ${s(cliMs)}   ${cliCalls} AWS API calls`);
console.log(`  ratio dpf / aws cli                        ${(dpfMs / cliMs).toFixed(2)}×`);
console.log('ETA model on AWS (typical create times per resource type, critical path through the step graph):');
console.log(`  these 4 phases: critical path ${m(planFour.eta.criticalPathSeconds)} vs sum of steps ${m(planFour.eta.sequentialSeconds)}  (${(planFour.eta.criticalPathSeconds / planFour.eta.sequentialSeconds).toFixed(2)}×)`);
console.log('  every phase:');
console.log(`  critical path  ${m(planFresh.eta.criticalPathSeconds)}  (${planFresh.eta.path.join(' → ')})`);
console.log(`  sum of steps   ${m(planFresh.eta.sequentialSeconds)}  (a sequential run)`);
console.log(`  ratio          ${(planFresh.eta.criticalPathSeconds / planFresh.eta.sequentialSeconds).toFixed(2)}×`);
