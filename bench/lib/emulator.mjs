// The emulator as the benchmark drives it: tools/moto_server.py on a free 127.0.0.1 port, its
// request log (one werkzeug line per HTTP request) and, in the time-scaled mode, its timeline
// (`dpf-timescale {json}` lines: modelled stack operations, SSM commands and every API call).
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DPF = path.join(ROOT, 'bin', 'dpf');
export const AWS = path.join(ROOT, '.venv', 'bin', 'aws');
const PY = path.join(ROOT, '.venv', 'bin', 'python');
const REQUEST_LINE = /"(GET|POST|PUT|DELETE|HEAD) [^"]*" \d{3}/g;

/** Async on purpose: the emulator's log is read from a pipe while commands run. */
export async function run(cmd, args, opts = {}) {
  return (await promisify(execFile)(cmd, args, { maxBuffer: 1 << 28, ...opts })).stdout;
}

/** Like run, but never throws: { code, stdout, stderr }. */
export async function runAll(cmd, args, opts = {}) {
  try {
    const r = await promisify(execFile)(cmd, args, { maxBuffer: 1 << 28, ...opts });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) };
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** args: extra tools/moto_server.py options, e.g. ['--time-scale', '60']. */
export async function startEmulator(args = []) {
  const port = await freePort();
  const proc = spawn(PY, [path.join(ROOT, 'tools', 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {}
    if (i > 150 || proc.exitCode !== null) throw new Error(`the emulator did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    /** AWS requests served so far (the emulator's own /moto-api calls excluded). */
    requests: () => (log.match(REQUEST_LINE) ?? []).filter((l) => !l.includes('/moto-api')).length,
    /** The time-scaled mode's records, in order. */
    timeline: () =>
      log
        .split('\n')
        .filter((l) => l.startsWith('dpf-timescale '))
        .map((l) => JSON.parse(l.slice('dpf-timescale '.length))),
    log: () => log,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 150));
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

export function awsEnv(endpoint, extra = {}) {
  return {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-west-2',
    AWS_DEFAULT_REGION: 'us-west-2',
    AWS_EC2_METADATA_DISABLED: 'true',
    NO_COLOR: '1',
    DPF_POLL_MS: '100',
    ...extra,
  };
}

/** The request log lags the response by a moment: let it settle before counting. */
export const settle = () => new Promise((r) => setTimeout(r, 300));
