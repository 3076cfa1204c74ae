import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DPF, run, startEmulator, awsEnv, settle } from './lib/emulator.mjs';
const em = await startEmulator(['--time-scale', process.env.TS ?? '1000']);
try {
  const dir = mkdtempSync(path.join(tmpdir(), 'dpf-calls-'));
  const env = { ...awsEnv(em.endpoint), DPF_POLL_MS: '1', DPF_POLL_MAX_MS: '10' };
  await run(DPF, ['init', '--env', 'bench', '--defaults', '--yes'], { cwd: dir, env });
  for (const label of ['first', 'rerun']) {
    const n0 = em.timeline().length;
    await run(DPF, ['deploy', '--env', 'bench', '--phase', 'bootstrap,network,compute,storage', '--yes', '--json'], { cwd: dir, env });
    await settle();
    const calls = em
      .timeline()
      .slice(n0)
      .filter((r) => r.kind === 'call');
    const by = {};
    for (const c of calls) by[`${c.service}.${c.action}`] = (by[`${c.service}.${c.action}`] ?? 0) + 1;
    console.log(label, calls.length, JSON.stringify(Object.entries(by).sort((a, b) => b[1] - a[1])));
  }
} finally {
  await em.stop();
}
