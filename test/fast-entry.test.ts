/**
 * The fast entry (src/fast-entry.ts): which invocations it answers, and that its answer is the
 * full CLI's, byte for byte. Each case runs the built bin/dpf twice: DPF_TEST_FAST_PATH=only (the
 * fast path must answer: a decline exits 97) and =off (the full CLI, commander and all), then
 * compares stdout, stderr and the exit code. The only difference allowed is `live.checkedAt` of
 * --json, which is the moment of the run. Then what it must not answer falls through to the full
 * CLI: a config changed since it was cached, a corrupt cache, no cache, a corrupt ledger.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { execa } from 'execa';
import { spawn as spawnPty } from '@lydell/node-pty';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { DPF, ROOT, workdir } from './e2e/harness.js';
import { DECLINED_EXIT, recognise } from '../src/fast-entry.js';
import { checksum } from '../src/state/code-cache.js';

describe('recognise', () => {
  const status = { kind: 'status', json: false, color: true, quiet: false, verbose: false, yes: false };
  it.each([
    [['--version'], { kind: 'version' }],
    [['-V'], { kind: 'version' }],
    [['status', '--offline'], status],
    [['status', '--env', 'dev', '--offline'], { ...status, env: 'dev' }],
    [['--env', 'dev', 'status', '--offline', '--json'], { ...status, env: 'dev', json: true }],
    [['status', '-e', 'dev', '--offline', '-c', 'x.yaml', '--no-color', '-q'], { ...status, env: 'dev', config: 'x.yaml', color: false, quiet: true }],
    [['status', '--offline', '--env=dev', '--config=x.yaml', '--verbose', '--yes'], { ...status, env: 'dev', config: 'x.yaml', verbose: true, yes: true }],
  ])('GIVEN dpf %j WHEN recognised THEN the fast path answers it as %j', (args, expected) => {
    expect(recognise(args)).toEqual(expected);
  });

  it.each([
    [[]],
    [['status']],
    [['--offline', 'status']],
    [['status', '--offline', '--help']],
    [['status', '--offline', '-h']],
    [['status', '--offline', '--drift']],
    [['status', '--offline', '--region', 'eu-west-1']],
    [['status', '--offline', '--profile', 'p']],
    [['status', '--offline', '--env', 'a', '--env', 'b']],
    [['status', '--offline', '--json', '--json']],
    [['status', '--offline', '--env']],
    [['status', '--offline', '--env', '--json']],
    [['status', '--offline', '--env=']],
    [['status', '--offline', '--json=true']],
    [['status', '--offline', '-qy']],
    [['status', '--offline', 'extra']],
    [['status', 'status', '--offline']],
    [['status', '--offline', '--']],
    [['--version', '--json']],
    [['deploy', '--env', 'dev']],
  ])('GIVEN dpf %j WHEN recognised THEN it is left to the full CLI', (args) => {
    expect(recognise(args)).toBeUndefined();
  });
});

describe('GIVEN the build’s fast bundles (scripts/bundle-fast-path.mjs)', () => {
  const bundles = ['entry.cjs', 'status.wrapped.cjs'].map((f) => [f, readFileSync(path.join(ROOT, 'dist', 'fast', f), 'latin1')] as const);

  // A require() is not seen by the ES-module hooks of test/e2e/cli.test.ts (forbid-heavy.mjs), so the bundles are read for them.
  it.each(bundles)('WHEN %s is read THEN it requires only Node builtins, and imports on demand only dist/’s own modules', (_f, text) => {
    expect([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).filter((id) => !id!.startsWith('node:'))).toEqual([]);
    expect([...text.matchAll(/import\("([^"]+)"\)/g)].map((m) => m[1]).filter((id) => !/^\.\/\.\.\/[\w/-]+\.js$/.test(id!))).toEqual([]);
  });

  it.each(bundles)('WHEN %s is read THEN it is strict, ASCII, and loads node:fs/promises, node:tty, node:module and node:os only on first use', (_f, text) => {
    expect(text).toMatch(/^(\(function \(exports, require, module, __filename, __dirname\) \{\n)?"use strict";/);
    expect(/[^\x00-\x7f]/.test(text)).toBe(false);
    for (const lazy of ['node:fs/promises', 'node:tty', 'node:module', 'node:os'])
      for (const m of text.matchAll(new RegExp(`^.*require\\("${lazy}"\\).*$`, 'gm'))) expect(m[0]).toMatch(/\?\?= require/);
  });
});

const T0 = '2026-01-05T09:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

interface StepShape {
  id: string;
  kind?: string;
}

/** A ledger of `env` with the given step records (over the graph the full CLI reported). */
function ledger(env: string, steps: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    format: 'dpf-ledger',
    schemaVersion: 2,
    project: 'dataplatform',
    env,
    revision: 7,
    updatedAt: at(4000),
    steps,
    runs: [
      { runId: 'r1', command: 'deploy', operator: 'alice', host: 'laptop', startedAt: T0, finishedAt: at(4000), status: 'done', steps: Object.keys(steps) },
    ],
    facts: { region: 'us-west-2', accountId: '123456789012' },
    ...extra,
  };
}

function record(s: StepShape, i: number, over: Record<string, unknown> = {}) {
  const verdict =
    s.kind === 'check'
      ? {
          check: {
            status: i % 5 === 1 ? 'warn' : i % 5 === 2 ? 'unknown' : i % 7 === 3 ? 'fail' : 'pass',
            summary: i % 5 === 1 ? `a long summary that the table must cut to fit the terminal — ${'x'.repeat(150)}` : `checked ${s.id}\nacross two lines`,
            evidence:
              s.id === 'golive.stacks'
                ? { stacks: { 'dataplatform-dev-network': { drift: 'IN_SYNC' }, 'dataplatform-dev-compute': { drift: 'DRIFTED' } } }
                : {},
            checkedAt: at(3900),
            category: 'infrastructure',
          },
        }
      : {};
  return {
    id: s.id,
    phase: s.id.split('.')[0],
    status: 'done',
    outputs: {},
    startedAt: at(i * 60),
    finishedAt: at(i * 60 + 45),
    durationSeconds: 45,
    attempts: 1,
    evidence: { ...(s.kind === 'stack' ? { stackName: `dataplatform-dev-${s.id.replace('.', '-')}` } : {}), ...verdict },
    ...over,
  };
}

const lease = (pid: number, host: string, expiresAt: string) =>
  JSON.stringify({ env: 'dev', token: 't1', identity: 'bob', host, pid, command: 'dpf deploy --env dev', since: T0, expiresAt });

describe('GIVEN a folder with a config and a warm config cache', () => {
  let dir: string;
  let cache: string;
  let steps: StepShape[];
  const env = (over: Record<string, string> = {}) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['NO_COLOR', 'FORCE_COLOR', 'DPF_CONFIG', 'DPF_TEST_FAST_PATH'].includes(k)));
    return { ...base, DPF_CACHE_DIR: cache, ...over } as Record<string, string>;
  };
  const run = async (args: string[], over: Record<string, string> = {}) => {
    const r = await execa('node', [DPF, ...args], { cwd: dir, reject: false, extendEnv: false, env: env(over) });
    return { stdout: String(r.stdout), stderr: String(r.stderr), code: r.exitCode };
  };
  const writeLedger = (name: string, data: unknown) => {
    mkdirSync(path.join(dir, '.dpf', name), { recursive: true });
    writeFileSync(path.join(dir, '.dpf', name, 'ledger.json'), JSON.stringify(data, null, 2));
  };
  const writeLock = (name: string, text: string) => writeFileSync(path.join(dir, '.dpf', name, 'lock.json'), text);

  beforeAll(async () => {
    dir = workdir();
    cache = path.join(dir, 'cache');
    for (const e of ['dev', 'fresh', 'failed', 'held']) expect((await run(['init', '--env', e, '--defaults', '--yes'], { NO_COLOR: '1' })).code).toBe(0);
    const doc = JSON.parse((await run(['status', '--env', 'dev', '--offline', '--json'])).stdout);
    steps = doc.phases.flatMap((p: { steps: StepShape[] }) => p.steps);
    writeLedger('dev', ledger('dev', Object.fromEntries(steps.map((s, i) => [s.id, record(s, i)]))));
    // Some stacks done, one failed, one interrupted (its stack name too long for the table), and the go-live checks' verdicts listed step by step.
    const failed = Object.fromEntries(
      steps.flatMap((s, i) => {
        if (i === 3)
          return [
            [
              s.id,
              record(s, i, {
                status: 'failed',
                error: { message: 'CREATE_FAILED: DBInstance', rootCause: 'quota exceeded\nfor db.r6g.large', code: 'StackFailed' },
              }),
            ],
          ];
        const long = { interrupted: true, stackName: `dataplatform-failed-${'identity-'.repeat(8)}stack` };
        if (i === 4) return [[s.id, record(s, i, { status: 'running', finishedAt: undefined, durationSeconds: undefined, evidence: long })]];
        return i < 3 || s.kind === 'check' ? [[s.id, record(s, i)]] : [];
      }),
    );
    writeLedger('failed', ledger('failed', failed));
    // A lease whose process on this host is gone: shown as stale.
    writeLock('failed', lease(2 ** 22 + 12345, hostname(), '2099-01-01T00:00:00.000Z'));
    writeLedger('held', ledger('held', Object.fromEntries(steps.slice(0, 2).map((s, i) => [s.id, record(s, i)]))));
    writeLock('held', lease(process.pid, hostname(), '2099-01-01T00:00:00.000Z'));
    // The full CLI fills the cache for every environment (the config and each status graph).
    for (const e of ['dev', 'fresh', 'failed', 'held']) await run(['status', '--env', e, '--offline']);
  }, 120_000);

  // The moment of the run: when the status was taken, and the time of the empty ledger shown for an environment without one.
  const normalise = (text: string) =>
    text.replace(/("live": \{\n\s+"checkedAt": )"[^"]+"/, '$1"(now)"').replace(/("revision": 0,\n\s+"updatedAt": )"[^"]+"/, '$1"(now)"');

  it.each([
    ['deployed, text, no colour', ['status', '--env', 'dev', '--offline'], { NO_COLOR: '1' }],
    ['deployed, text, FORCE_COLOR', ['status', '--env', 'dev', '--offline'], { FORCE_COLOR: '1' }],
    ['deployed, text, FORCE_COLOR=3 and --no-color', ['status', '--env', 'dev', '--offline', '--no-color'], { FORCE_COLOR: '3' }],
    ['deployed, text, FORCE_COLOR over NO_COLOR', ['--env=dev', 'status', '--offline'], { FORCE_COLOR: '1', NO_COLOR: '1' }],
    ['deployed, text, piped without either', ['status', '-e', 'dev', '--offline', '-q'], {}],
    ['deployed, --json', ['status', '--env', 'dev', '--offline', '--json'], {}],
    ['fresh, text, colour', ['status', '--env', 'fresh', '--offline', '--verbose'], { FORCE_COLOR: '1' }],
    ['fresh, --json', ['--json', 'status', '--offline', '--env', 'fresh'], {}],
    ['a failed step, a stale lock, text, colour', ['status', '--env', 'failed', '--offline'], { FORCE_COLOR: '2' }],
    ['a failed step, a stale lock, --json', ['status', '--env', 'failed', '--offline', '--json'], {}],
    ['a held lock, text', ['status', '--env', 'held', '--offline'], { FORCE_COLOR: '1' }],
    ['a held lock, --json', ['status', '--env', 'held', '--offline', '--json', '--yes'], {}],
    ['the config by --config', ['status', '--offline', '--config', 'dpf.config.yaml', '--env', 'dev'], {}],
    ['the config by DPF_CONFIG', ['status', '--offline', '--env', 'failed'], { DPF_CONFIG: 'dpf.config.yaml' }],
    ['the version', ['--version'], {}],
  ])('WHEN %s is asked of both paths THEN stdout, stderr and the exit code are the same', async (_what, args, over) => {
    const fast = await run(args, { ...over, DPF_TEST_FAST_PATH: 'only' });
    const full = await run(args, { ...over, DPF_TEST_FAST_PATH: 'off' });
    expect(fast.code, fast.stderr).not.toBe(DECLINED_EXIT);
    expect(full.code, full.stderr).toBe(0);
    expect({ ...fast, stdout: normalise(fast.stdout) }).toEqual({ ...full, stdout: normalise(full.stdout) });
    if (args.includes('--json')) expect(normalise(fast.stdout)).toContain('"checkedAt": "(now)"');
  });

  /** Everything the process writes to a terminal of `cols` columns (stdin, stdout and stderr all the pty), raw, and its exit code. */
  const runOnTerminal = (args: string[], over: Record<string, string>, cols: number) =>
    new Promise<{ raw: string; code: number }>((resolve) => {
      const base = env({ TERM: 'xterm-256color', ...over });
      delete base.CI;
      const p = spawnPty(process.execPath, [DPF, ...args], { name: 'xterm-256color', cols, rows: 60, cwd: dir, env: base });
      let raw = '';
      p.onData((d) => (raw += d));
      p.onExit(({ exitCode }) => resolve({ raw, code: exitCode }));
    });

  it.each([
    ['a failed step, 100 columns', ['status', '--env', 'failed', '--offline'], 100],
    ['deployed, 72 columns', ['status', '--env', 'dev', '--offline'], 72],
    ['a held lock, --no-color, 120 columns', ['status', '--env', 'held', '--offline', '--no-color'], 120],
  ])('WHEN %s is asked on a terminal THEN both paths write the same bytes (the full CLI’s live view draws nothing for status)', async (_what, args, cols) => {
    const fast = await runOnTerminal(args as string[], { DPF_TEST_FAST_PATH: 'only' }, cols as number);
    const full = await runOnTerminal(args as string[], { DPF_TEST_FAST_PATH: 'off' }, cols as number);
    expect(fast.code, fast.raw).toBe(0);
    expect(JSON.stringify(fast.raw)).toBe(JSON.stringify(full.raw));
  });

  it('WHEN an environment not in the config is asked THEN the fast path leaves it to the full CLI, whose error is printed', async () => {
    expect((await run(['status', '--env', 'nope', '--offline'], { DPF_TEST_FAST_PATH: 'only' })).code).toBe(DECLINED_EXIT);
    const usual = await run(['status', '--env', 'nope', '--offline']);
    expect(usual).toEqual(await run(['status', '--env', 'nope', '--offline'], { DPF_TEST_FAST_PATH: 'off' }));
    expect(usual.code).toBe(2);
  });

  it('WHEN the config file changed since it was cached THEN the fast path declines, the full CLI answers from the new file and fills the cache', async () => {
    const file = path.join(dir, 'dpf.config.yaml');
    const before = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, `${before}\n# an operator's comment\n`);
      const args = ['status', '--env', 'fresh', '--offline', '--json'];
      const declined = await run(args, { DPF_TEST_FAST_PATH: 'only' });
      expect(declined.code).toBe(DECLINED_EXIT);
      expect(declined.stderr).toMatch(/no entry for .*dpf\.config\.yaml as it is now/);
      const usual = await run(args);
      expect(usual.code, usual.stderr).toBe(0);
      expect(normalise(usual.stdout)).toBe(normalise((await run(args, { DPF_TEST_FAST_PATH: 'off' })).stdout));
      expect((await run(args, { DPF_TEST_FAST_PATH: 'only' })).code).toBe(0);
      // An edit that breaks the config: the full CLI's error, not the cached answer.
      writeFileSync(file, before.replace(/region: us-west-2/, 'region: mars-1'));
      const broken = await run(['status', '--env', 'fresh', '--offline']);
      expect(broken.code).toBe(2);
      expect(broken.stderr).toMatch(/mars-1/);
    } finally {
      writeFileSync(file, before);
      await run(['status', '--env', 'fresh', '--offline']);
    }
  });

  it.each([
    ['corrupt', (f: string) => writeFileSync(f, '{"key": "')],
    ['of another build', (f: string) => writeFileSync(f, readFileSync(f, 'utf8').replace(/"stamp":"[^"]*"/, '"stamp":"0:0"'))],
    ['emptied', (f: string) => rmSync(f)],
  ])('WHEN the cache entry is %s THEN the fast path declines and the full CLI answers', async (_what, spoil) => {
    const [entry] = readdirSync(cache).filter((n) => n.startsWith('config-'));
    spoil(path.join(cache, entry!));
    const args = ['status', '--env', 'dev', '--offline'];
    expect((await run(args, { DPF_TEST_FAST_PATH: 'only' })).code).toBe(DECLINED_EXIT);
    const usual = await run(args);
    expect(usual.code, usual.stderr).toBe(0);
    expect(usual).toEqual(await run(args, { DPF_TEST_FAST_PATH: 'off' }));
    expect((await run(args, { DPF_TEST_FAST_PATH: 'only' })).code).toBe(0);
  });

  it('WHEN the ledger is corrupt THEN the fast path declines and the full CLI reports it (exit 5)', async () => {
    writeLedger('broken', { format: 'nope' });
    try {
      const args = ['status', '--env', 'dev', '--offline', '--config', 'other.yaml'];
      writeFileSync(path.join(dir, 'other.yaml'), readFileSync(path.join(dir, 'dpf.config.yaml'), 'utf8'));
      await run(args);
      const file = path.join(dir, '.dpf', 'dev', 'ledger.json');
      const good = readFileSync(file, 'utf8');
      writeFileSync(file, '{"format": "dpf-ledger", ');
      try {
        expect((await run(args, { DPF_TEST_FAST_PATH: 'only' })).code).toBe(DECLINED_EXIT);
        const usual = await run(args);
        expect(usual.code).toBe(5);
        expect(usual).toEqual(await run(args, { DPF_TEST_FAST_PATH: 'off' }));
      } finally {
        writeFileSync(file, good);
      }
    } finally {
      rmSync(path.join(dir, '.dpf', 'broken'), { recursive: true, force: true });
    }
  });

  it('WHEN status --offline is asked with a flag the fast path does not know THEN the full CLI answers (here: its usage error)', async () => {
    const args = ['status', '--env', 'dev', '--offline', '--bogus'];
    expect((await run(args, { DPF_TEST_FAST_PATH: 'only' })).code).toBe(DECLINED_EXIT);
    const usual = await run(args);
    expect(usual.code).toBe(2);
    expect(usual.stderr).toMatch(/unknown option '--bogus'/);
  });

  it.each([
    ['--help', 0, ['--help']],
    ['status --help', 0, ['status', '--offline', '--help']],
    ['an unknown command', 2, ['bogus']],
    ['--version with another flag', 0, ['--version', '--json']],
    ['another region', 2, ['status', '--env', 'dev', '--offline', '--region', 'eu-west-1']],
    ['--drift', 0, ['status', '--env', 'dev', '--offline', '--drift']],
    ['a short-flag cluster', 0, ['status', '--env', 'dev', '--offline', '-qy']],
    ['a repeated flag', 0, ['status', '--env', 'dev', '--offline', '--json', '--json']],
  ])('WHEN %s goes through bin/dpf THEN the fast path declines it and the full CLI answers as it does alone (exit %i)', async (_what, code, args) => {
    expect((await run(args, { DPF_TEST_FAST_PATH: 'only' })).code).toBe(DECLINED_EXIT);
    const usual = await run(args);
    const full = await run(args, { DPF_TEST_FAST_PATH: 'off' });
    expect(usual.code, usual.stderr).toBe(code);
    expect({ ...usual, stdout: normalise(usual.stdout) }).toEqual({ ...full, stdout: normalise(full.stdout) });
  });

  // NODE_DEBUG=esm makes Node's ES-module loader report its work on stderr; the fast path must give it none (issue 14).
  it.each([
    ['status --offline', ['status', '--env', 'dev', '--offline'], false],
    ['--version', ['--version'], false],
    ['--help (the full CLI, for contrast)', ['--help'], true],
  ])('WHEN %s is answered THEN the ES-module loader is used: %s', async (_what, args, esm) => {
    const r = await run(args, { NODE_DEBUG: 'esm' });
    expect(r.code).toBe(0);
    expect(/^ESM \d+:/m.test(r.stderr), r.stderr.slice(0, 400)).toBe(esm);
  });

  describe('AND the status code kept with V8’s code cache', () => {
    const args = ['status', '--env', 'dev', '--offline'];
    const kept = () => {
      const names = readdirSync(cache).filter((n) => /^code-[0-9a-f]{16}\.bin$/.test(n));
      expect(names).toHaveLength(1);
      return path.join(cache, names[0]!);
    };
    /** The fast path answers as the full CLI does, and leaves valid kept code that the next run takes as is (V8 did not reject it). */
    const answersAndKeeps = async () => {
      const fast = await run(args, { DPF_TEST_FAST_PATH: 'only' });
      expect(fast.code, fast.stderr).toBe(0);
      expect(fast).toEqual(await run(args, { DPF_TEST_FAST_PATH: 'off' }));
      const after = readFileSync(kept());
      const nl = after.indexOf(10);
      const header = JSON.parse(after.subarray(0, nl).toString('utf8')) as { bytes: number; sum: number };
      expect(header).toMatchObject({ bytes: after.length - nl - 1, sum: checksum(after.subarray(nl + 1)) });
      expect((await run(args, { DPF_TEST_FAST_PATH: 'only' })).code).toBe(0);
      expect(readFileSync(kept()).equals(after)).toBe(true);
    };

    it('WHEN the fast path answers THEN the compiled code is kept beside the config cache and used by the next run', answersAndKeeps);

    it.each([
      ['cut short', (f: string) => writeFileSync(f, readFileSync(f).subarray(0, -64))],
      [
        'altered in one byte',
        (f: string) => {
          const raw = readFileSync(f);
          raw[raw.length - 100] ^= 0xff;
          writeFileSync(f, raw);
        },
      ],
      [
        'of another build',
        (f: string) => writeFileSync(f, readFileSync(f, 'latin1').replace(/"of":"[^"]*"/, '"of":"dpf-code-cache 1:1:1:/elsewhere"'), 'latin1'),
      ],
      [
        'whole but refused by V8',
        (f: string) => {
          const raw = readFileSync(f);
          const nl = raw.indexOf(10);
          const junk = Buffer.alloc(raw.length - nl - 1, 0x5a);
          const header = { ...JSON.parse(raw.subarray(0, nl).toString('utf8')), sum: checksum(junk) };
          writeFileSync(f, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), junk]));
        },
      ],
    ])('WHEN the kept code is %s THEN the fast path still answers as the full CLI and keeps the code anew', async (_what, spoil) => {
      await answersAndKeeps();
      spoil(kept());
      await answersAndKeeps();
    });

    it('WHEN the kept code cannot be written (its name is taken by a folder) THEN the fast path still answers as the full CLI', async () => {
      await answersAndKeeps();
      const f = kept();
      rmSync(f);
      mkdirSync(f);
      try {
        const fast = await run(args, { DPF_TEST_FAST_PATH: 'only' });
        expect(fast.code, fast.stderr).toBe(0);
        expect(fast).toEqual(await run(args, { DPF_TEST_FAST_PATH: 'off' }));
        expect(readdirSync(cache).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      } finally {
        rmSync(f, { recursive: true });
      }
    });
  });
});
