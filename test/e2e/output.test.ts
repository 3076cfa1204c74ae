/**
 * What a person or a script reads from dpf, without AWS: global options in every command's help,
 * usage errors as JSON under --json, colour decided per stream (FORCE_COLOR, NO_COLOR, --no-color,
 * a pipe), --quiet, and shell completion that a real bash (and zsh, where installed) loads.
 */
import { describe, it, expect } from 'vitest';
import { execa } from 'execa';
import { DPF, dpf, workdir } from './harness.js';

const ESC = '\u001b[';

describe('GIVEN dpf without AWS', () => {
  it.each([['deploy'], ['status'], ['plan'], ['report', 'golive'], ['restore', 'db'], ['completion']])(
    'WHEN dpf %s --help runs THEN the global options are listed too',
    async (...cmd) => {
      const r = await dpf(undefined, [...cmd, '--help'], { cwd: workdir() });
      expect(r.code, r.all).toBe(0);
      expect(r.stdout).toMatch(/Global Options:[\s\S]*--env <name>[\s\S]*--profile <name>[\s\S]*--region <region>[\s\S]*--json[\s\S]*--quiet/);
    },
  );

  it.each([
    [['frobnicate', '--json'], /unknown command 'frobnicate'/],
    [['deploy', '--json', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['deploy', '--json', '--phase', 'netwrok'], /Unknown phase "netwrok"/],
  ])('WHEN a usage error happens under --json (%j) THEN stdout is one JSON error object and exit 2', async (args, message) => {
    const r = await dpf(undefined, args as string[], { cwd: workdir() });
    expect(r.code, r.all).toBe(2);
    const doc = JSON.parse(r.stdout.trim());
    expect(doc.error).toMatchObject({ exitCode: 2 });
    expect(doc.error.message).toMatch(message);
    expect(r.stderr).not.toMatch(/error: unknown/);
  });

  it('WHEN a plan has a usage error THEN it exits 1, so a CI gate never reads it as "changes pending" (2)', async () => {
    const r = await dpf(undefined, ['plan', '--no-such-flag'], { cwd: workdir() });
    expect(r.code).toBe(1);
  });

  it.each([
    ['piped stdout, no FORCE_COLOR', {}, [], false],
    ['FORCE_COLOR=1', { FORCE_COLOR: '1' }, [], true],
    ['FORCE_COLOR=1 over NO_COLOR', { FORCE_COLOR: '1', NO_COLOR: '1' }, [], true],
    ['NO_COLOR=1', { NO_COLOR: '1' }, [], false],
    ['--no-color over FORCE_COLOR', { FORCE_COLOR: '1' }, ['--no-color'], false],
  ])('WHEN dpf status --offline | cat runs with %s THEN stdout has colour: %j', async (_what, env, flags, colour) => {
    const dir = workdir();
    expect((await dpf(undefined, ['init', '--env', 'dev', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    // Unset, not empty: FORCE_COLOR= (empty) means "force" (Node's and supports-color's convention).
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NO_COLOR' && k !== 'FORCE_COLOR')) as Record<string, string>;
    const r = await execa(DPF, ['status', '--env', 'dev', '--offline', ...(flags as string[])], {
      cwd: dir,
      reject: false,
      extendEnv: false,
      env: { ...base, ...(env as Record<string, string>) },
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout).includes(ESC)).toBe(colour);
  });

  it('WHEN --quiet is given THEN progress lines are left out and the result stays', async () => {
    const dir = workdir();
    const loud = await dpf(undefined, ['init', '--env', 'dev', '--defaults', '--yes'], { cwd: dir, env: { AWS_REGION: 'eu-west-1' } });
    expect(loud.stderr).toMatch(/Region eu-west-1 \(from AWS_REGION\)/);
    const quiet = await dpf(undefined, ['init', '--env', 'qa', '--defaults', '--yes', '--quiet'], { cwd: dir, env: { AWS_REGION: 'eu-west-1' } });
    expect(quiet.code, quiet.all).toBe(0);
    expect(quiet.stderr).not.toMatch(/Region eu-west-1/);
    // Warnings still show under --quiet (the placeholders need attention).
    expect(quiet.stderr).toMatch(/documentation range/);
    expect(quiet.stdout).toMatch(/Wrote environment "qa"/);
  });

  it('WHEN init adds an environment to a file with comments THEN the comments stay and the new environment is added', async () => {
    const dir = workdir();
    expect((await dpf(undefined, ['init', '--env', 'dev', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const file = `${dir}/dpf.config.yaml`;
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('environments:', '# owner: data platform team\nenvironments:')
        .replace('    region:', '    # keep dev in Oregon\n    region:'),
    );
    const r = await dpf(undefined, ['init', '--env', 'prod', '--defaults', '--yes', '--region', 'eu-west-1'], { cwd: dir });
    expect(r.code, r.all).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# owner: data platform team');
    expect(text).toContain('# keep dev in Oregon');
    expect(text).toMatch(/\n {2}prod:\n {4}region: eu-west-1/);
    expect((await dpf(undefined, ['validate', '--skip-linters'], { cwd: dir })).code).toBe(0);
  });

  it('WHEN bash loads `dpf completion bash` THEN commands, subcommands, options, phases and environments complete', async () => {
    const dir = workdir();
    expect((await dpf(undefined, ['init', '--env', 'staging', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const complete = async (line: string) => {
      const words = line.split(' ');
      const script = `source <("${DPF}" completion bash); dpf() { "${DPF}" "$@"; }; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _dpf_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = await execa('bash', ['-c', script], { cwd: dir, reject: false });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      return String(r.stdout).split('\n').filter(Boolean);
    };
    expect(await complete('dpf dep')).toEqual(['deploy']);
    expect(await complete('dpf report ')).toEqual(expect.arrayContaining(['golive', 'weekly']));
    expect(await complete('dpf deploy --pha')).toEqual(['--phase']);
    expect(await complete('dpf deploy --phase st')).toEqual(['storage']);
    expect(await complete('dpf status --env st')).toEqual(['staging']);
    expect(await complete('dpf restore db --sn')).toEqual(['--snapshot']);
    expect(await complete('dpf init --identity-provider ')).toEqual(['freeipa', 'iam']);
  });

  it('WHEN the zsh script is printed THEN it is a #compdef file that runs the same completion; an unknown shell is exit 2', async () => {
    const z = await dpf(undefined, ['completion', 'zsh'], { cwd: workdir() });
    expect(z.code).toBe(0);
    expect(z.stdout).toMatch(/^#compdef dpf\n/);
    expect(z.stdout).toMatch(/bashcompinit[\s\S]*complete -F _dpf_complete dpf/);
    const which = await execa('sh', ['-c', 'command -v zsh'], { reject: false });
    if (which.exitCode === 0) {
      const r = await execa('zsh', ['-c', `autoload -U compinit && compinit -u; source <("${DPF}" completion zsh) && echo loaded`], { reject: false });
      expect(String(r.stdout)).toContain('loaded');
    }
    const bad = await dpf(undefined, ['completion', 'fish'], { cwd: workdir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown shell "fish"/);
  });
});
