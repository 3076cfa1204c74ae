/**
 * dpf as a team installs it: `npm pack` (its prepack builds dist/), then `npm install -g` from the
 * tarball into a temporary prefix, then the installed `dpf` run from an unrelated folder.
 *
 * The pack runs in a copy of the tracked files (node_modules linked in), so its clean build never
 * touches the dist/ that the other test files are running.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { execa } from 'execa';
import { cpSync, mkdirSync, symlinkSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, workdir } from './harness.js';

const MINUTES = 60_000;

describe('GIVEN the package packed and installed globally from its tarball', () => {
  let prefix: string;
  let files: string[];
  let dpfBin: string;

  beforeAll(async () => {
    const copy = workdir('dpf-pack-src-');
    const tracked = String((await execa('git', ['ls-files', '-z'], { cwd: ROOT })).stdout)
      .split('\0')
      .filter(Boolean);
    for (const f of tracked) {
      if (!existsSync(path.join(ROOT, f))) continue;
      mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
      cpSync(path.join(ROOT, f), path.join(copy, f));
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    const out = workdir('dpf-pack-out-');
    const pack = await execa('npm', ['pack', '--json', '--pack-destination', out], { cwd: copy, env: { npm_config_loglevel: 'error' } });
    const info = JSON.parse(String(pack.stdout).slice(String(pack.stdout).indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info[0]!.files.map((f) => f.path);
    prefix = workdir('dpf-prefix-');
    await execa('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', path.join(out, info[0]!.filename)], {
      env: { npm_config_loglevel: 'error' },
      timeout: 8 * MINUTES,
    });
    dpfBin = path.join(prefix, 'bin', 'dpf');
  }, 10 * MINUTES);

  it('WHEN its file list is read THEN it ships the build, the templates and the docs, and no tests, benchmarks, CI or sources', () => {
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('bin/dpf');
    expect(files.some((f) => f.startsWith('templates/cloudformation/'))).toBe(true);
    expect(files.some((f) => f.startsWith('templates/ansible/'))).toBe(true);
    expect(files).toContain('docs/platform-specification.md');
    for (const f of files) expect(f).not.toMatch(/^(test|bench|\.ci|src|tools|scripts)\/|\.map$|\.ts$/);
  });

  it(
    'WHEN the installed dpf runs --help, init and validate --skip-linters in a fresh folder THEN each works',
    async () => {
      const cwd = workdir('dpf-installed-');
      const env = { NO_COLOR: '1', PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` };
      const help = await execa(dpfBin, ['--help'], { cwd, env, reject: false });
      expect(help.exitCode, String(help.stderr)).toBe(0);
      expect(String(help.stdout)).toMatch(/Usage: dpf/);
      expect(String(help.stdout) + String(help.stderr)).not.toMatch(/not built/);
      const init = await execa(dpfBin, ['init', '--env', 'dev', '--defaults', '--yes', '--region', 'eu-west-1'], { cwd, env, reject: false });
      expect(init.exitCode, String(init.stderr)).toBe(0);
      expect(readFileSync(path.join(cwd, 'dpf.config.yaml'), 'utf8')).toMatch(/region: eu-west-1/);
      const validate = await execa(dpfBin, ['validate', '--skip-linters'], { cwd, env, reject: false });
      expect(validate.exitCode, `${validate.stdout}\n${validate.stderr}`).toBe(0);
      expect(String(validate.stdout)).toMatch(/template network/);
    },
    2 * MINUTES,
  );
});
