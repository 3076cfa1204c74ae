#!/usr/bin/env node
// Benchmark (a script, not a test; figures vary with the machine's load). One run prints:
//  1. dpf against sequential `aws cloudformation deploy` (AWS CLI from the venv) on the plain
//     emulator: wall time and AWS requests of a first deploy of bootstrap + network + compute +
//     storage and of an unchanged rerun (medians of --runs interleaved runs, fresh emulators), and
//     of a first deploy with --skip-preflight (how many of dpf's requests are the account preflight);
//  2. the emulator's time-scaled mode (tools/timescale.py; default 60×): dpf's makespan for those
//     four phases, and for the full graph, against the critical path this script computes itself
//     from the emulator's own timeline (how long each modelled stack operation and SSM command
//     took) and dpf's step dependencies (`dpf plan --json`), never from dpf's ETA code; the
//     DescribeStacks / DescribeStackEvents / SSM polls, and the notice lag (the emulator's
//     "complete" instant to dpf's step-done event in its NDJSON);
//  3. the full graph's critical path in AWS minutes at the typical times the emulator models
//     (rain's per-type averages; playbooks 300 s; shell checks 20 s): dpf's graph as `dpf plan
//     --json` lists it, and, with the same measured durations, the graph before issue 14
//     (bench/lib/graph-before-issue-14.json, main's buildSteps() at 930b02c; its mount and
//     enrolment playbooks, gone since, at the modelled 300 s); and what installing the agent in
//     the configure playbooks would give.
// Goals from issue 14 are printed next to the figures, not asserted.
// Usage: node bench/deploy.mjs [--runs 3] [--scale 60] [--no-full]   (after bash tools/setup.sh, npm run build)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, DPF, AWS, run, runAll, startEmulator, awsEnv, settle } from './lib/emulator.mjs';
import { criticalPath, unionLength, withoutSteps, median } from './lib/critical-path.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!(v > 0)) {
    console.error(`bench/deploy.mjs: ${name} ${argv[i + 1] ?? ''} is not a positive number (e.g. ${name} ${fallback})`);
    process.exit(2);
  }
  return v;
};
const RUNS = Math.round(opt('--runs', 3));
const SCALE = opt('--scale', 60);
const FULL = !argv.includes('--no-full');
const PHASES = ['bootstrap', 'network', 'compute', 'storage'];
// dpf's poll schedule on AWS (first interval 1 s, backing off ×1.5 to 10 s while nothing moves), scaled.
const POLL_MS = Math.max(1, Math.round(1000 / SCALE));
const POLL_MAX_MS = Math.max(POLL_MS, Math.round(10_000 / SCALE));
// The emulator's SSM duration per document (AWS seconds): Ansible playbooks the default 300 s;
// the go-live host checks (AWS-RunShellScript, a few shell lines) 20 s.
const PLAYBOOK_SECONDS = 300;
const SSM_ARGS = ['--ssm-seconds', String(PLAYBOOK_SECONDS), '--ssm-seconds', 'AWS-RunShellScript=20'];

const s = (sec) => `${sec.toFixed(2)} s`;
const x = (r) => `${r.toFixed(2)}×`;
const min = (sec) => `${(sec / 60).toFixed(1)} min`;
const goal = (ok) => (ok ? 'met' : 'NOT met');
const ndjson = (text) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
const log = (...a) => console.error('  …', ...a);

// ---- 1. plain emulator: dpf vs aws cloudformation deploy ----
async function dpfRun(params, extra = []) {
  const em = await startEmulator();
  try {
    const dir = mkdtempSync(path.join(tmpdir(), 'dpf-bench-'));
    const env = awsEnv(em.endpoint);
    await run(DPF, ['init', '--env', 'bench', '--defaults', '--yes'], { cwd: dir, env });
    const deploy = async () => {
      await settle();
      const before = em.requests();
      const t0 = performance.now();
      await run(DPF, ['deploy', '--env', 'bench', '--phase', PHASES.join(','), '--yes', '--json', ...extra], { cwd: dir, env });
      const wall = (performance.now() - t0) / 1000;
      await settle();
      return { wall, requests: em.requests() - before };
    };
    const first = await deploy();
    const rerun = await deploy();
    if (!params.bootstrap)
      for (const t of PHASES) {
        const st = JSON.parse(await run(AWS, ['cloudformation', 'describe-stacks', '--stack-name', `dataplatform-bench-${t}`], { env })).Stacks[0];
        params[t] = Object.fromEntries(st.Parameters.map((p) => [p.ParameterKey, p.ParameterValue]));
      }
    return { first, rerun };
  } finally {
    await em.stop();
  }
}

async function cliRun(params) {
  const em = await startEmulator();
  try {
    const env = awsEnv(em.endpoint);
    const { loadTemplate } = await import(path.join(ROOT, 'dist', 'templates', 'registry.js'));
    const tdir = mkdtempSync(path.join(tmpdir(), 'dpf-bench-cli-'));
    const physical = {}; // network output name → the CLI network stack's id, to re-point dpf's ids
    const deployAll = async () => {
      await settle();
      const before = em.requests();
      const t0 = performance.now();
      for (const t of PHASES) {
        const file = path.join(tdir, `${t}.json`);
        writeFileSync(file, loadTemplate(t).body);
        const overrides = Object.entries(params[t]).map(([k, v]) => `${k}=${physical[k] ?? v}`);
        await run(
          AWS,
          [
            'cloudformation',
            'deploy',
            '--stack-name',
            `dataplatform-bench-${t}`,
            '--template-file',
            file,
            '--capabilities',
            'CAPABILITY_NAMED_IAM',
            '--no-fail-on-empty-changeset',
            '--parameter-overrides',
            ...overrides,
          ],
          { env },
        );
        if (t === 'network' && !Object.keys(physical).length) {
          const res = JSON.parse(
            await run(AWS, ['cloudformation', 'list-stack-resources', '--stack-name', `dataplatform-bench-${t}`], { env }),
          ).StackResourceSummaries;
          for (const [out, def] of Object.entries(loadTemplate(t).template.Outputs)) {
            const r = res.find((y) => y.LogicalResourceId === def.Value?.Ref);
            if (r) physical[out] = r.PhysicalResourceId;
          }
        }
      }
      const wall = (performance.now() - t0) / 1000;
      await settle();
      return { wall, requests: em.requests() - before };
    };
    const first = await deployAll();
    // The first deploy also reads the network stack's ids (one list-stack-resources), as an operator wiring stacks by hand must.
    const rerun = await deployAll();
    return { first, rerun };
  } finally {
    await em.stop();
  }
}

// ---- 2. time-scaled: makespan against the critical path from the emulator's timeline ----
/** Which modelled operations each step caused: its change sets' stacks, the SSM commands its events name. */
function opsByStep(events, timeline, from, to) {
  const ops = timeline.filter((r) => (r.kind === 'stack' || r.kind === 'command') && r.start >= from && r.start <= to);
  const out = new Map();
  const add = (stepId, op) => out.set(stepId, [...(out.get(stepId) ?? []), op]);
  for (const e of events) {
    if (e.type === 'changeset') for (const op of ops.filter((o) => o.kind === 'stack' && o.stack === e.stackName)) add(e.stepId, op);
    if (e.type === 'step-progress' && e.stepId) for (const op of ops.filter((o) => o.kind === 'command' && e.message?.includes(o.commandId))) add(e.stepId, op);
  }
  for (const [k, v] of out) out.set(k, [...new Set(v)]);
  return out;
}

async function timeScaledRun(phases) {
  const em = await startEmulator(['--time-scale', String(SCALE), ...SSM_ARGS]);
  try {
    const dir = mkdtempSync(path.join(tmpdir(), 'dpf-bench-ts-'));
    // dpf's whole poll schedule scaled like everything else: its first interval (1 s on AWS) and
    // the slowest one it backs off to while nothing moves (10 s on AWS).
    const env = awsEnv(em.endpoint, { DPF_POLL_MS: String(POLL_MS), DPF_POLL_MAX_MS: String(POLL_MAX_MS) });
    await run(DPF, ['init', '--env', 'bench', '--defaults', '--yes'], { cwd: dir, env });
    const phaseArgs = phases ? ['--phase', phases.join(',')] : [];
    // dpf plan exits 2 when changes are pending (terraform's -detailed-exitcode); its output is the plan all the same.
    const planned = await runAll(DPF, ['plan', '--env', 'bench', ...phaseArgs, '--json'], { cwd: dir, env });
    if (planned.code !== 0 && planned.code !== 2)
      throw new Error(`dpf plan ${phaseArgs.join(' ')} exited ${planned.code}:\n${planned.stderr.split('\n').slice(-15).join('\n')}`);
    const plan = JSON.parse(planned.stdout);
    await settle();
    const requestsBefore = em.requests();
    const from = Date.now() / 1000;
    const r = await runAll(DPF, ['deploy', '--env', 'bench', ...phaseArgs, '--yes', '--json'], { cwd: dir, env });
    const to = Date.now() / 1000;
    await settle();
    const events = ndjson(r.stdout);
    const done = events.find((e) => e.type === 'run-done');
    if (r.code !== 0 || done?.status !== 'done')
      throw new Error(`dpf deploy ${phaseArgs.join(' ')} exited ${r.code} (${done?.status ?? 'no run-done'}):\n${r.stderr.split('\n').slice(-15).join('\n')}`);
    const timeline = em.timeline();
    const ops = opsByStep(events, timeline, from, to);
    const stepDone = new Map(events.filter((e) => e.type === 'step-done').map((e) => [e.stepId, Date.parse(e.time) / 1000]));
    const graph = plan.steps.map((p) => ({ id: p.id, dependsOn: p.dependsOn }));
    if (graph.some((g) => !Array.isArray(g.dependsOn))) throw new Error('dpf plan --json lists no dependsOn per step: this benchmark needs the step graph');
    const realSeconds = (id) => unionLength((ops.get(id) ?? []).map((o) => [o.start, o.end]));
    const cp = criticalPath(graph, realSeconds);
    const calls = timeline.filter((c) => c.kind === 'call' && c.t >= from && c.t <= to);
    const count = (action) => calls.filter((c) => c.action === action).length;
    const lags = [...ops]
      .filter(([id]) => stepDone.has(id))
      .map(([id, list]) => ({ id, kind: list[0].kind, lag: stepDone.get(id) - Math.max(...list.map((o) => o.end)) }));
    return {
      makespan: to - from,
      graph,
      ops,
      cp,
      realSeconds,
      requests: em.requests() - requestsBefore,
      polls: {
        DescribeStacks: count('DescribeStacks'),
        DescribeStackEvents: count('DescribeStackEvents'),
        ListCommandInvocations: count('ListCommandInvocations'),
        GetCommandInvocation: count('GetCommandInvocation'),
        ListCommands: count('ListCommands'),
      },
      lags,
      steps: events.filter((e) => e.type === 'step-start').length,
    };
  } finally {
    await em.stop();
  }
}

function printTimeScaled(title, t) {
  const lagOf = (kind) => t.lags.filter((l) => l.kind === kind).map((l) => l.lag);
  console.log(`  ${title}: ${t.steps} steps`);
  console.log(`    makespan (dpf deploy, wall)             ${s(t.makespan)}`);
  console.log(`    critical path (emulator timeline)       ${s(t.cp.total)}   = ${min(t.cp.total * SCALE)} of AWS time: ${t.cp.path.join(' → ')}`);
  console.log(`    makespan / critical path                ${x(t.makespan / t.cp.total)}   goal ≤ 1.15×: ${goal(t.makespan / t.cp.total <= 1.15)}`);
  console.log(
    `    polls  DescribeStacks ${t.polls.DescribeStacks}, DescribeStackEvents ${t.polls.DescribeStackEvents}, ListCommandInvocations ${t.polls.ListCommandInvocations}, GetCommandInvocation ${t.polls.GetCommandInvocation}, ListCommands ${t.polls.ListCommands}   (${t.requests} AWS requests in all)`,
  );
  for (const kind of ['stack', 'command']) {
    const l = lagOf(kind);
    if (!l.length) continue;
    console.log(
      `    notice lag, ${kind === 'stack' ? 'stacks  ' : 'SSM steps'} median ${s(median(l))}, max ${s(Math.max(...l))} over ${l.length} step(s)  (×${SCALE} = ${Math.round(median(l) * SCALE)} s / ${Math.round(Math.max(...l) * SCALE)} s of AWS time)`,
    );
  }
  if (t.lags.length <= 6) console.log(`    per step: ${t.lags.map((l) => `${l.id} ${s(l.lag)}`).join(', ')}`);
}

// ---- main ----
console.log(`dpf benchmark — ${new Date().toISOString()}, ${RUNS} interleaved run(s) on the plain emulator, time scale ${SCALE}×`);
const params = {};
const dpfRuns = [];
const bareRuns = [];
const cliRuns = [];
for (let i = 0; i < RUNS; i++) {
  log(`plain emulator, run ${i + 1}/${RUNS}: dpf`);
  dpfRuns.push(await dpfRun(params));
  log(`plain emulator, run ${i + 1}/${RUNS}: dpf --skip-preflight`);
  bareRuns.push(await dpfRun(params, ['--skip-preflight']));
  log(`plain emulator, run ${i + 1}/${RUNS}: aws cloudformation deploy ×4`);
  cliRuns.push(await cliRun(params));
}
const med = (runs, k, f) => median(runs.map((r) => r[k][f]));
const d = {
  fw: med(dpfRuns, 'first', 'wall'),
  fr: med(dpfRuns, 'first', 'requests'),
  rw: med(dpfRuns, 'rerun', 'wall'),
  rr: med(dpfRuns, 'rerun', 'requests'),
};
const b = { fw: med(bareRuns, 'first', 'wall'), fr: med(bareRuns, 'first', 'requests') };
const c = {
  fw: med(cliRuns, 'first', 'wall'),
  fr: med(cliRuns, 'first', 'requests'),
  rw: med(cliRuns, 'rerun', 'wall'),
  rr: med(cliRuns, 'rerun', 'requests'),
};
console.log(`\n1. bootstrap + network + compute + storage on the plain emulator (medians of ${RUNS}):`);
console.log('                                        first deploy           unchanged rerun         rerun/first');
console.log(
  `  dpf deploy (graph)                    ${s(d.fw).padStart(8)} ${String(d.fr).padStart(5)} requests   ${s(d.rw).padStart(8)} ${String(d.rr).padStart(5)} requests   ${x(d.rw / d.fw)}`,
);
console.log(
  `  dpf deploy --skip-preflight           ${s(b.fw).padStart(8)} ${String(b.fr).padStart(5)} requests   (the account preflight's reads: ${d.fr - b.fr})`,
);
console.log(
  `  aws cloudformation deploy ×4, in turn ${s(c.fw).padStart(8)} ${String(c.fr).padStart(5)} requests   ${s(c.rw).padStart(8)} ${String(c.rr).padStart(5)} requests   ${x(c.rw / c.fw)}`,
);
console.log(
  `  dpf / CLI                             ${x(d.fw / c.fw).padStart(8)} ${x(d.fr / c.fr).padStart(14)}   ${x(d.rw / c.rw).padStart(8)} ${x(d.rr / c.rr).padStart(14)}`,
);
console.log(`  goal: dpf rerun ≤ 0.2× its first deploy: ${x(d.rw / d.fw)} — ${goal(d.rw / d.fw <= 0.2)}`);
console.log(`  goal: dpf requests ≤ 1.5× the CLI's (first deploy): ${x(d.fr / c.fr)} — ${goal(d.fr / c.fr <= 1.5)}`);
console.log(`        the same without the account preflight (reads the CLI does not make): ${x(b.fr / c.fr)} — ${goal(b.fr / c.fr <= 1.5)}`);
console.log(`  (issue 14, item 3: a rerun should cost ≤ one read per stack plus the lock, ≈ ${PHASES.length + 1}+ requests: dpf made ${d.rr})`);

console.log(
  `\n2. time-scaled emulator (${SCALE}×: stacks take their resources' typical times along the template's longest chain, SSM playbooks 300 s, shell checks 20 s, all ÷ ${SCALE}):`,
);
console.log(
  `  (dpf runs with DPF_POLL_MS=${POLL_MS} and DPF_POLL_MAX_MS=${POLL_MAX_MS}: its poll schedule (1 s, backing off ×1.5 to 10 s while nothing moves) scaled ${SCALE}× like the`,
);
console.log(`   durations, so polls and lags stand for AWS's; the emulator's own HTTP time per call is not scaled)`);
log(`time-scaled: ${PHASES.join(', ')}`);
const four = await timeScaledRun(PHASES);
printTimeScaled(PHASES.join(' + '), four);
let full;
if (FULL) {
  log('time-scaled: the full graph');
  try {
    full = await timeScaledRun(undefined);
    printTimeScaled('the full graph (every phase, playbooks and go-live checks)', full);
  } catch (err) {
    console.log(`  the full graph: not measured — ${err.message}`);
  }
}

console.log(
  `\n3. the full graph's critical path in AWS time (the emulator's modelled durations: rain's typical create times, playbooks 300 s, shell checks 20 s):`,
);
if (!full) console.log('  not available (the full graph was not measured: --no-full or it failed above)');
else {
  const aws = (id) => full.realSeconds(id) * SCALE;
  const line = (cp) => `${min(cp.total)}: ${cp.path.map((id) => `${id} ${Math.round(aws(id))} s`).join(' → ')}`;
  const base = criticalPath(full.graph, aws);
  const sequential = full.graph.reduce((sum, g) => sum + aws(g.id), 0);
  console.log(`  critical path ${line(base)}`);
  console.log(`  sum of steps  ${min(sequential)}  (one step at a time)`);
  console.log(`  goal ≤ 30 AWS-minutes: ${goal(base.total <= 30 * 60)}`);
  // The graph before issue 14, with this run's durations. Its steps this graph no longer has
  // (the EFS mount and the enrolment, now done by the configure playbooks) are playbooks: they
  // count the emulator's modelled playbook time.
  const before = JSON.parse(readFileSync(new URL('./lib/graph-before-issue-14.json', import.meta.url), 'utf8'));
  const measured = new Set(full.graph.map((g) => g.id));
  const missing = before.steps.filter((g) => !measured.has(g.id)).map((g) => g.id);
  const awsBefore = (id) => (measured.has(id) ? aws(id) : PLAYBOOK_SECONDS);
  const lineBefore = (cp) => `${min(cp.total)}: ${cp.path.map((id) => `${id} ${Math.round(awsBefore(id))} s`).join(' → ')}`;
  console.log(
    `  before issue 14 (${before.source.split(' (')[0]}), same durations: ${lineBefore(criticalPath(before.steps, awsBefore))}${missing.length ? `  (not in this graph, counted ${PLAYBOOK_SECONDS} s each: ${missing.join(', ')})` : ''}`,
  );
  // What is left on the FreeIPA chain: the CloudWatch agent playbook after the configure playbooks on every node.
  if (measured.has('monitoring.agent'))
    console.log(
      `  what if the agent were installed by the configure playbooks (edges kept, its time gone): ${line(criticalPath(withoutSteps(full.graph, ['monitoring.agent']), aws))}`,
    );
}
