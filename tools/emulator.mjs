// Starting the emulator (tools/moto_server.py from the project venv) on a free-ish port, and the
// environment that points the AWS SDK (and the AWS CLI) at it. Shared by the bench scripts and
// the test tools (chaos, bad-input corpus); test/e2e/harness.ts uses emulatorEnv too.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Environment variables for a dpf (or aws CLI) process talking to the emulator at `endpoint`. */
export function emulatorEnv(endpoint) {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-west-2',
    AWS_DEFAULT_REGION: 'us-west-2',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    NO_COLOR: '1',
    DPF_POLL_MS: '100',
  };
}

/** Start moto with dpf's wrapper; `requests()` counts the HTTP requests it logged, `audit()` reads its audit log. */
export async function startEmulator() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const auditFile = path.join(mkdtempSync(path.join(tmpdir(), 'dpf-audit-')), 'audit.ndjson');
  const proc = spawn(path.join(ROOT, '.venv', 'bin', 'python'), [path.join(ROOT, 'tools', 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', DPF_EMULATOR_AUDIT: auditFile },
  });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    proc,
    requests: () => (log.match(/"(GET|POST|PUT|DELETE|HEAD) [^"]*" \d{3}/g) ?? []).filter((l) => !l.includes('/moto-api')).length,
    audit: () =>
      existsSync(auditFile)
        ? readFileSync(auditFile, 'utf8')
            .split('\n')
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l))
        : [],
    stop: () => proc.kill(),
  };
}
