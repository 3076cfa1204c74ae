/**
 * dpf validate: everything that can be checked offline — the config file, the semantic rules
 * (src/validate/: the templates rendered for each environment, the agent config, the step
 * graphs), the bundled templates (cfn-lint, checkov) and playbooks (ansible-playbook
 * --syntax-check, ansible-lint). Linters come from the project venv (.venv/bin) or PATH; a
 * missing linter is reported, not faked.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { CommandContext } from '../context.js';
import { loadConfig } from '../config/load.js';
import { CFN_DIR, ANSIBLE_DIR, PACKAGE_ROOT, TEMPLATE_NAMES, loadTemplate } from '../templates/registry.js';
import { ConfigInvalidError, DpfError, ExitCode, errorMessage } from '../errors.js';
import { checkEnvironment, type EnvironmentVerdicts } from '../validate/index.js';
import type { DpfConfig } from '../config/schema.js';
import { makeChalk } from '../ui/format.js';
import { formatDuration } from '../duration.js';

export interface ValidateOptions {
  /** Only the config and template parsing; no external linters. Default false. */
  skipLinters?: boolean;
}

interface Result {
  check: string;
  status: 'pass' | 'fail' | 'skipped';
  detail: string;
}

/** A linter: the project's .venv first, then the PATH directories (src/settings.ts). */
function tool(name: string, pathDirs: string[]): string | undefined {
  const local = path.join(PACKAGE_ROOT, '.venv', 'bin', name);
  if (existsSync(local)) return local;
  for (const dir of pathDirs) if (existsSync(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

async function runTool(
  pathDirs: string[],
  name: string,
  args: string[],
  cwd: string,
  ok: (code: number, out: string) => boolean,
  summarize: (out: string) => string,
): Promise<Result> {
  const bin = tool(name, pathDirs);
  if (!bin) return { check: name, status: 'skipped', detail: `${name} not found (bash tools/setup.sh installs it into .venv)` };
  const r = await execa(bin, args, { cwd, reject: false, timeout: 600000, env: { BC_SKIP_MAPPING: 'TRUE', ANSIBLE_NOCOLOR: '1' }, extendEnv: true, all: true });
  const out = String(r.all ?? '');
  return { check: name, status: ok(r.exitCode ?? 1, out) ? 'pass' : 'fail', detail: summarize(out) };
}

/** The semantic rules for the selected environment (--env) or every environment of the config. */
async function semanticRules(config: DpfConfig, only: string | undefined): Promise<EnvironmentVerdicts[]> {
  const envs = only ? [only] : Object.keys(config.environments);
  const unknownEnv = envs.find((e) => !config.environments[e]);
  if (unknownEnv)
    throw new DpfError(
      'EnvUnknown',
      `Environment "${unknownEnv}" is not defined in the config (defined: ${Object.keys(config.environments).join(', ')}).`,
      ExitCode.Usage,
      { source: 'user' },
    );
  const out: EnvironmentVerdicts[] = [];
  for (const e of envs) out.push(await checkEnvironment(config, e));
  return out;
}

export async function runValidate(opts: ValidateOptions, ctx: CommandContext): Promise<void> {
  const { results, rules } = await configChecks(ctx);
  results.push(...templateChecks());
  if (!opts.skipLinters) results.push(...(await linterChecks(ctx)));
  const failed = results.filter((r) => r.status === 'fail');
  if (ctx.globals.json)
    ctx.stdout(JSON.stringify({ ok: failed.length === 0, results, rules: rules.flatMap((r) => r.verdicts.map((v) => ({ env: r.env, ...v }))) }, null, 2));
  else {
    const c = makeChalk(ctx.globals.color);
    for (const r of rules) {
      ctx.stdout(c.bold(`Semantic rules for ${r.env}:`));
      for (const v of r.verdicts) {
        const mark = v.status === 'pass' ? c.green('✔') : v.status === 'warn' ? c.yellow('⚠') : c.red('✖');
        ctx.stdout(`${mark} ${v.id.padEnd(28)} ${v.title}`);
        for (const f of v.findings.slice(0, 10)) ctx.stdout(`    ${f.severity === 'error' ? c.red('error') : c.yellow('warning')} ${f.subject}: ${f.message}`);
        if (v.findings.length > 10) ctx.stdout(`    … and ${v.findings.length - 10} more (--json lists them all)`);
      }
      ctx.stdout('');
    }
    for (const r of results) {
      const mark = r.status === 'pass' ? c.green('✔') : r.status === 'fail' ? c.red('✖') : c.yellow('○');
      ctx.stdout(`${mark} ${r.check.padEnd(32)} ${r.detail.split('\n')[0]}`);
      for (const more of r.detail.split('\n').slice(1)) ctx.stdout(`    ${more}`);
    }
  }
  if (failed.length) throw validationFailed(failed);
}

/** The config file and the semantic rules of its environments. */
async function configChecks(ctx: CommandContext): Promise<{ results: Result[]; rules: EnvironmentVerdicts[] }> {
  const results: Result[] = [];
  let rules: EnvironmentVerdicts[] = [];
  try {
    const loaded = await loadConfig(ctx.globals.config);
    results.push({ check: 'config', status: 'pass', detail: `${loaded.file}: ${Object.keys(loaded.config.environments).join(', ')}` });
    rules = await semanticRules(loaded.config, ctx.globals.env);
    for (const r of rules) {
      const failed = r.verdicts.filter((v) => v.status === 'fail');
      const warned = r.verdicts.filter((v) => v.status === 'warn');
      results.push({
        check: `semantic rules (${r.env})`,
        status: failed.length ? 'fail' : 'pass',
        detail: `${r.verdicts.length - failed.length - warned.length} pass, ${warned.length} warn, ${failed.length} fail${failed.length ? `: ${failed.map((v) => v.id).join(', ')}` : ''}`,
      });
    }
  } catch (err) {
    if (err instanceof ConfigInvalidError) results.push({ check: 'config', status: 'fail', detail: err.details.join('\n') });
    else if (err instanceof DpfError) results.push({ check: 'config', status: 'fail', detail: err.message });
    else throw err;
  }
  return { results, rules };
}

/** Each bundled template parses and fits CloudFormation's size rule. */
function templateChecks(): Result[] {
  const results: Result[] = [];
  for (const name of TEMPLATE_NAMES) {
    try {
      const t = loadTemplate(name);
      results.push({
        check: `template ${name}`,
        status: 'pass',
        detail: `${Object.keys(t.template.Resources ?? {}).length} resources, ${t.body.length} bytes as JSON${t.body.length > 51200 ? ' (over 51,200: sent via S3)' : ''}`,
      });
    } catch (err) {
      results.push({ check: `template ${name}`, status: 'fail', detail: errorMessage(err) });
    }
  }
  return results;
}

function summarizeCheckov(o: string): string {
  try {
    const j = JSON.parse(o.slice(o.indexOf('{')));
    return `${j.summary.passed} passed, ${j.summary.failed} failed, ${j.summary.skipped} skipped (with reasons in the templates)`;
  } catch {
    return o.split('\n').slice(-3).join(' ');
  }
}

function summarizeAnsibleLint(o: string): string {
  return (
    o
      .split('\n')
      .find((l) => /Passed:|Failed:/.test(l))
      ?.trim() ??
    (o.trim().split('\n').slice(-3).join(' ') || 'no violations')
  );
}

/** cfn-lint, checkov, ansible-lint and ansible-playbook --syntax-check, in parallel, each result said as it lands. */
async function linterChecks(ctx: CommandContext): Promise<Result[]> {
  const results: Result[] = [];
  const files = readdirSync(CFN_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(CFN_DIR, f));
  const playbooks = readdirSync(ANSIBLE_DIR).filter((f) => f.endsWith('.yml'));
  // The linters take a minute or more together: say so, and say each one's result as it lands.
  const say = (message: string) => ctx.io.notify({ type: 'info', message });
  say(
    `Linting ${files.length} templates (cfn-lint, checkov) and ${playbooks.length} playbooks (ansible-lint, ansible-playbook --syntax-check); this takes a minute or two…`,
  );
  const started = ctx.clock.now().getTime();
  const timed = (p: Promise<Result>): Promise<Result> =>
    p.then((r) => {
      if (r.check !== 'ansible-playbook')
        say(
          `  ${r.status === 'pass' ? '✔' : r.status === 'fail' ? '✖' : '○'} ${r.check} ${r.status} after ${formatDuration((ctx.clock.now().getTime() - started) / 1000)}`,
        );
      return r;
    });
  const [lint, checkov, ansibleLint, ...syntax] = await Promise.all([
    timed(
      runTool(
        ctx.settings.path,
        'cfn-lint',
        files,
        CFN_DIR,
        (c) => c === 0,
        (o) => o.trim().split('\n').slice(0, 20).join('\n') || 'no errors, no warnings',
      ),
    ),
    timed(
      runTool(
        ctx.settings.path,
        'checkov',
        ['-d', CFN_DIR, '--framework', 'cloudformation', '--compact', '--quiet', '--skip-download', '-o', 'json'],
        CFN_DIR,
        (c) => c === 0,
        summarizeCheckov,
      ),
    ),
    timed(runTool(ctx.settings.path, 'ansible-lint', ['--profile', 'production', '--nocolor'], ANSIBLE_DIR, (c) => c === 0, summarizeAnsibleLint)),
    ...playbooks.map((pb) =>
      runTool(
        ctx.settings.path,
        'ansible-playbook',
        ['--syntax-check', '-i', 'localhost,', pb],
        ANSIBLE_DIR,
        (c) => c === 0,
        (o) => (o.includes('ERROR') ? o.trim().split('\n').slice(0, 5).join(' ') : `${pb}: ok`),
      ),
    ),
  ]);
  results.push(lint!, checkov!, ansibleLint!);
  const syntaxFailed = syntax.filter((r) => r.status === 'fail');
  results.push(
    syntax.some((r) => r.status === 'skipped')
      ? syntax[0]!
      : {
          check: 'ansible-playbook --syntax-check',
          status: syntaxFailed.length ? 'fail' : 'pass',
          detail: syntaxFailed.length ? syntaxFailed.map((r) => r.detail).join('\n') : `${syntax.length} playbooks`,
        },
  );
  return results;
}

function validationFailed(failed: Result[]): DpfError {
  const configBad = failed.some((f) => f.check === 'config');
  return new DpfError(
    configBad ? 'ConfigInvalid' : 'ValidationFailed',
    `${failed.length} validation(s) failed: ${failed.map((f) => f.check).join(', ')}.`,
    configBad ? ExitCode.Usage : ExitCode.StepFailed,
    {
      source: 'user',
      hint: configBad
        ? 'Fix the config fields named above.'
        : 'Fix the templates/playbooks or config named above (a justified linter skip goes next to the resource; each semantic rule is described in the README).',
    },
  );
}
