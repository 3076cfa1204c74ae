// Crash points: run `dpf deploy` of a fresh environment against the emulator, kill it (SIGKILL)
// at one precise point, then run `dpf deploy` again and check that the environment reached
// all-done with no duplicate write. A point is
//   { after: 'CreateStack', stack: 'network' }                           killed right after the
//        emulator carried the call out, before dpf saw the answer (under --yes a new stack is made
//        with CreateStack);
//   { after: 'CreateChangeSet' | 'ExecuteChangeSet', stack: 'network', newStacks: 'change-set' }
//        the same for the change-set path (the environment's deploy.newStacks set so);
//   { after: 'SendCommand', step: 'identity.ipa-server' }                 the same for a playbook's command;
//   { event: 'step-start' | 'step-done', step: 'network.stack' }          killed when dpf reports the event;
//   { nth: 150 }                                                         killed after the 150th AWS request.
// Used by test/e2e/crash-points.test.ts (a fixed sample) and bench/chaos.mjs (every point).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFaultProxy } from './fault-proxy.mjs';
import { countDuplicates } from './emulator-audit.mjs';
import { emulatorEnv } from './emulator.mjs';

/** The environment of a dpf process against the emulator (or a proxy in front of it). */
export function awsEnv(endpoint) {
  return { ...process.env, ...emulatorEnv(endpoint) };
}

function run(bin, args, o) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      o.onStdout?.(String(d), child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 300_000);
    o.started?.(child);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The environment's deploy.newStacks, set in the config file init wrote. */
function setNewStacks(file, env, value) {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['environments', env, 'deploy', 'newStacks'], value);
  writeFileSync(file, String(doc));
}

/** A readable name for a point. */
export function pointName(p) {
  if (p.after) return `after ${p.after} ${p.stack ?? p.step}${p.newStacks ? ` (deploy.newStacks: ${p.newStacks})` : ''}`;
  if (p.event) return `at ${p.event} ${p.step}`;
  return `after request ${p.nth}`;
}

/**
 * Kill one deploy at `point`, resume it, and report: { point, killed, completed, duplicates, problems }.
 * `emulator` is { endpoint, audit(): entries }.
 */
export async function crashAndResume({ dpfBin, emulator, env, point, timeoutMs = 300_000 }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'dpf-chaos-'));
  const problems = [];
  const init = await run(dpfBin, ['init', '--env', env, '--defaults', '--yes'], { cwd: dir, env: awsEnv(emulator.endpoint) });
  if (init.code !== 0) return { point: pointName(point), killed: false, completed: false, duplicates: 0, problems: [`init failed: ${init.stderr}`] };
  if (point.newStacks) setNewStacks(path.join(dir, 'dpf.config.yaml'), env, point.newStacks);

  let child;
  let killed = false;
  let count = 0;
  const kill = () => {
    if (killed) return;
    killed = true;
    child?.kill('SIGKILL');
  };
  const matches = (info) => {
    if (point.nth) return ++count >= point.nth;
    if (info.action !== point.after || !(info.status >= 200 && info.status < 300)) return false;
    if (point.stack) return info.stack === `dataplatform-${env}-${point.stack}`;
    if (point.step) return new RegExp(`\\bdpf ${point.step.replace('.', '\\.')} run\\b`).test(info.comment ?? '');
    return false;
  };
  const proxy = await startFaultProxy({
    target: emulator.endpoint,
    onForwarded: (info) => {
      if (killed || point.event) return undefined;
      if (matches(info)) {
        kill();
        return 'drop';
      }
      return undefined;
    },
  });
  // --skip-preflight: the sample deploys more environments into one emulator region than an
  // account's default VPC quota (5) holds, which the account preflight rightly refuses; the
  // preflight only reads, before the first write, and has its own tests (test/e2e/preflight.test.ts).
  const deploy = ['deploy', '--env', env, '--yes', '--json', '--skip-preflight'];
  let first;
  try {
    first = await run(dpfBin, deploy, {
      cwd: dir,
      env: awsEnv(proxy.endpoint),
      timeoutMs,
      started: (c) => (child = c),
      onStdout: (text) => {
        if (!point.event || killed) return;
        for (const line of text.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            const e = JSON.parse(line);
            if (e.type === point.event && e.stepId === point.step) kill();
          } catch {
            /* a partial line */
          }
        }
      },
    });
  } finally {
    await proxy.close();
  }
  if (!killed) problems.push(`the kill point was never reached (the first run exited ${first.code})`);

  const again = await run(dpfBin, deploy, { cwd: dir, env: awsEnv(emulator.endpoint), timeoutMs });
  const completed = again.code === 0;
  if (!completed) problems.push(`the resumed run exited ${again.code}: ${again.stderr.slice(-1500)}`);
  const stateDir = path.join(dir, '.dpf', env);
  const ledger = JSON.parse(readFileSync(path.join(stateDir, 'ledger.json'), 'utf8'));
  const notDone = Object.values(ledger.steps)
    .filter((s) => s.status !== 'done')
    .map((s) => `${s.id}:${s.status}`);
  if (notDone.length) problems.push(`steps not done: ${notDone.join(', ')}`);
  const running = ledger.runs.filter((r) => r.status === 'running');
  if (running.length) problems.push(`runs still 'running' in the history: ${running.map((r) => r.runId).join(', ')}`);
  if (killed && !ledger.runs.some((r) => r.status === 'died')) problems.push('the killed run was not closed as died');
  const leftovers = readdirSync(stateDir).filter((f) => f.endsWith('.tmp') || f === 'lock.json' || f.includes('takeover'));
  if (leftovers.length) problems.push(`left in ${stateDir}: ${leftovers.join(', ')}`);
  if (existsSync(path.join(stateDir, 'ledger.json.bak'))) {
    try {
      JSON.parse(readFileSync(path.join(stateDir, 'ledger.json.bak'), 'utf8'));
    } catch {
      problems.push('ledger.json.bak is not whole JSON');
    }
  }
  const dups = countDuplicates(emulator.audit(), { env });
  if (dups.total) problems.push(`duplicates: ${dups.what.join('; ')}`);
  return { point: pointName(point), killed, completed, duplicates: dups.total, problems, resumeOutput: again.stderr };
}

/** Every kill point of a full deploy (the bench runs them all; the e2e test a sample). */
/** Template name → the step that deploys it. */
const STACK_STEPS = {
  bootstrap: 'bootstrap.state',
  network: 'network.stack',
  compute: 'compute.stack',
  storage: 'storage.stack',
  identity: 'identity.stack',
  dns: 'identity.dns',
  monitoring: 'monitoring.stack',
  autoconfig: 'monitoring.worker-bootstrap',
};
export const STACKS = Object.keys(STACK_STEPS);
export const PLAYBOOK_STEPS = [
  'identity.ipa-server',
  'identity.ipa-policy',
  'identity.ipa-replica',
  'identity.enrol-hosts',
  'identity.configure-bastion',
  'identity.configure-master',
  'identity.configure-dev',
  'identity.configure-worker',
  'monitoring.agent',
];
export const STEP_IDS = [...Object.values(STACK_STEPS), ...PLAYBOOK_STEPS];

export function allPoints() {
  return [
    ...STACKS.flatMap((stack) => [
      { after: 'CreateStack', stack },
      { after: 'CreateChangeSet', stack, newStacks: 'change-set' },
      { after: 'ExecuteChangeSet', stack, newStacks: 'change-set' },
    ]),
    ...PLAYBOOK_STEPS.map((step) => ({ after: 'SendCommand', step })),
    ...STEP_IDS.flatMap((step) => [
      { event: 'step-start', step },
      { event: 'step-done', step },
    ]),
    ...[25, 75, 125, 175, 225, 275, 325, 375].map((nth) => ({ nth })),
  ];
}
