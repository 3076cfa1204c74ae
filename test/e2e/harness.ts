/**
 * End-to-end harness: starts the emulator (moto server via tools/moto_server.py from the
 * project venv) on a free 127.0.0.1 port and runs the built bin/dpf as a separate process,
 * exactly as a user would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
// @ts-expect-error plain ESM module shared with bench/ (no types)
import { emulatorEnv } from '../../tools/emulator.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DPF = path.join(ROOT, 'bin', 'dpf');
const PY = path.join(ROOT, '.venv', 'bin', 'python');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface Emulator {
  endpoint: string;
  /** Lines moto's server logged (one per HTTP request), to count calls. */
  requestCount(): number;
  log(): string;
  /** The writes the emulator carried out (tools/moto_server.py's audit log; see tools/emulator-audit.mjs). */
  audit(): Array<Record<string, any>>;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /**
   * The emulator's time-scaled mode (docs/emulator.md): stacks and SSM commands take their
   * typical AWS time divided by this factor. Off (undefined) by default.
   */
  timeScale?: number;
  /** With timeScale: SSM command duration in AWS seconds, `300` or per document `AWS-RunShellScript=20`. */
  ssmSeconds?: Array<number | string>;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const auditFile = path.join(mkdtempSync(path.join(tmpdir(), 'dpf-audit-')), 'audit.ndjson');
  if (!existsSync(PY)) throw new Error(`No project venv at ${PY}: run \`bash tools/setup.sh\` first.`);
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('dpf is not built: run `npm run build` (scripts/test.sh does).');
  const port = await freePort();
  let output = '';
  const extra =
    opts.timeScale === undefined ? [] : ['--time-scale', String(opts.timeScale), ...(opts.ssmSeconds ?? []).flatMap((s) => ['--ssm-seconds', String(s)])];
  const proc: ChildProcess = spawn(PY, [path.join(ROOT, 'tools', 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', DPF_EMULATOR_AUDIT: auditFile },
  });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`moto did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    requestCount: () => (output.match(/"(GET|POST|PUT|DELETE|HEAD) [^"]*" \d{3}/g) ?? []).filter((l) => !l.includes('/moto-api')).length,
    log: () => output,
    audit: () =>
      existsSync(auditFile)
        ? readFileSync(auditFile, 'utf8')
            .split('\n')
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l))
        : [],
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

export function awsEnv(em: Emulator): Record<string, string> {
  return emulatorEnv(em.endpoint);
}

export function workdir(prefix = 'dpf-e2e-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface RunOpts {
  cwd: string;
  env?: Record<string, string>;
  timeout?: number;
}

/** Run bin/dpf to completion; never throws on a non-zero exit. */
export async function dpf(em: Emulator | undefined, args: string[], o: RunOpts) {
  const r = await execa(DPF, args, {
    cwd: o.cwd,
    env: { ...(em ? awsEnv(em) : { NO_COLOR: '1' }), ...o.env },
    extendEnv: true,
    reject: false,
    stdin: 'ignore',
    timeout: o.timeout ?? 120000,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), all: `${r.stdout}\n${r.stderr}` };
}

/** Start bin/dpf in the background (for kill -9 and lock tests). */
export function dpfBackground(em: Emulator, args: string[], o: RunOpts): ResultPromise {
  return execa(DPF, args, {
    cwd: o.cwd,
    env: { ...awsEnv(em), ...o.env },
    extendEnv: true,
    reject: false,
    stdin: 'ignore',
    buffer: true,
    timeout: o.timeout ?? 120000,
  });
}

/** Resolve when the child's stdout (NDJSON) has a line matching `pred`. */
export function waitForEvent(child: ResultPromise, pred: (e: Record<string, unknown>) => boolean, timeoutMs = 60000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`event not seen within ${timeoutMs} ms; stdout so far:\n${buf}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        if (!line.trim().startsWith('{')) continue;
        try {
          const e = JSON.parse(line);
          if (pred(e)) {
            clearTimeout(t);
            resolve(e);
            return;
          }
        } catch {
          /* partial line */
        }
      }
    });
  });
}

export function readLedger(dir: string, env = 'dev'): any {
  return JSON.parse(readFileSync(path.join(dir, '.dpf', env, 'ledger.json'), 'utf8'));
}

/** AWS SDK clients pointed at the emulator, for checking results through the AWS APIs (not dpf's ledger). */
export function sdkConfig(em: Emulator) {
  return { region: 'us-west-2', endpoint: em.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, forcePathStyle: true };
}

/**
 * One emulator for the enclosing describe block: started in beforeAll, stopped in afterAll. Call
 * it inside `describe`; the returned getter gives the running emulator inside the tests.
 */
export function emulatorPerSuite(hooks: { beforeAll: (f: () => Promise<void>) => void; afterAll: (f: () => Promise<void>) => void }): () => Emulator {
  let em: Emulator | undefined;
  hooks.beforeAll(async () => {
    em = await startEmulator();
  });
  hooks.afterAll(async () => {
    await em?.stop();
  });
  return () => {
    if (!em) throw new Error('the emulator is not running (emulatorPerSuite must be called inside describe)');
    return em;
  };
}

/** A fresh folder with `dpf init --env <env> --defaults --yes` done in it; throws when init fails. */
export async function initEnvDir(em: Emulator, env: string, prefix = 'dpf-e2e-'): Promise<string> {
  const dir = workdir(prefix);
  const r = await dpf(em, ['init', '--env', env, '--defaults', '--yes'], { cwd: dir });
  if (r.code !== 0) throw new Error(`dpf init --env ${env} failed (exit ${r.code}):\n${r.all}`);
  return dir;
}
