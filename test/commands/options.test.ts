import { describe, expect, it } from 'vitest';
import { Command, CommanderError } from 'commander';
import { checkRegionFlag, collect, parseIntOption, parsePhases, refuseRepeatedOptions } from '../../src/commands/options.js';
import { UserError } from '../../src/errors.js';

function program() {
  const p = new Command('dpf').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  p.option('-e, --env <name>').option('--region <r>').option('-c, --config <file>').option('--json');
  let seen: Record<string, unknown> = {};
  p.command('deploy')
    .option('-p, --phase <phases>', '', parsePhases)
    .option('--concurrency <n>', '', parseIntOption('--concurrency', { min: 1, max: 16 }))
    .option('--az <zones>', '', collect)
    .action((o, cmd: Command) => {
      seen = { ...cmd.optsWithGlobals(), ...o };
    });
  refuseRepeatedOptions(p, new Set(['--phase', '--az']));
  return { p, seen: () => seen };
}

const run = (args: string[]) => {
  const { p, seen } = program();
  try {
    p.parse(args, { from: 'user' });
    return { ok: true as const, opts: seen() };
  } catch (err) {
    return { ok: false as const, error: err as CommanderError };
  }
};

describe('GIVEN the flag parsers', () => {
  it.each([
    [['deploy', '--env', 'dev', '--env', 'prod'], /--env was given more than once/],
    [['--config', 'a.yaml', 'deploy', '--config', 'b.yaml'], /--config was given more than once/],
    [['deploy', '--concurrency', '0'], /must be 1 or more, got 0/],
    [['deploy', '--concurrency', '-3'], /must be 1 or more, got -3/],
    [['deploy', '--concurrency', '99'], /must be 16 or less/],
    [['deploy', '--concurrency', 'four'], /whole number/],
    [['deploy', '--concurrency', '2', '--concurrency', '3'], /more than once/],
    [['deploy', '--phase', ''], /at least one phase/],
    [['deploy', '--phase', ' , '], /at least one phase/],
    [['deploy', '--phase', 'network,,compute'], /empty phase name/],
    [['deploy', '--phase', 'netwrk'], /Unknown phase "netwrk"/],
  ])('WHEN dpf %j THEN it is refused: %s', (args, want) => {
    const r = run(args);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error.message).toMatch(want);
    expect(r.ok ? undefined : r.error.exitCode).toBe(1); // commander's; cli.ts maps every CommanderError to exit 2
  });

  it('WHEN repeatable flags are repeated THEN they collect, and single flags given once pass', () => {
    const r = run(['--env', 'dev', 'deploy', '--phase', 'network', '--phase', 'compute,storage', '--az', 'a,b', '--az', 'c', '--concurrency', '2']);
    expect(r.ok).toBe(true);
    expect(r.ok && r.opts).toMatchObject({ env: 'dev', phase: ['network', 'compute', 'storage'], az: ['a', 'b', 'c'], concurrency: 2 });
  });

  it('WHEN --region is checked THEN a typo is a usage error with a suggestion, a real region passes', async () => {
    await expect(checkRegionFlag('us-weast-2')).rejects.toBeInstanceOf(UserError);
    await expect(checkRegionFlag('us-weast-2')).rejects.toThrow(/did you mean/);
    await expect(checkRegionFlag('eu-central-1')).resolves.toBeUndefined();
    await expect(checkRegionFlag(undefined)).resolves.toBeUndefined();
  });
});
