/**
 * Every bundled CloudFormation template must pass cfn-lint (no errors, no warnings) and
 * checkov (no failed check; a justified skip lives in the template next to its resource).
 * The tools come from the project venv (`bash tools/setup.sh`); a missing tool fails the
 * test rather than skipping it, so a broken setup can never pass silently.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, TEMPLATE_DIR, checkovSkips, loadTemplate } from './helpers.js';

const VENV_BIN = path.join(REPO_ROOT, '.venv', 'bin');
const TOOL_TIMEOUT_MS = 300_000;

/** Every template in the folder (other phases' templates included), not the dot-files. */
const TEMPLATES = readdirSync(TEMPLATE_DIR)
  .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'))
  .sort();

function tool(name: string): string {
  const bin = path.join(VENV_BIN, name);
  if (!existsSync(bin)) {
    throw new Error(`${name} not found at ${bin}: run \`bash tools/setup.sh\` to create the project venv`);
  }
  return bin;
}

function run(bin: string, args: string[]) {
  const r = spawnSync(bin, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: TOOL_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    // No colour codes; checkov must not try to reach its SaaS platform.
    env: { ...process.env, NO_COLOR: '1', BC_SKIP_MAPPING: 'TRUE', CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: 'false' },
  });
  if (r.error) throw r.error;
  return r;
}

describe('GIVEN the templates folder', () => {
  it('WHEN listing it THEN the phase templates are there (the lint tests below are not vacuous)', () => {
    expect(TEMPLATES).toEqual(expect.arrayContaining(['network.yaml', 'compute.yaml', 'storage.yaml']));
  });
});

describe('GIVEN cfn-lint', () => {
  it.each(TEMPLATES)(
    'WHEN linting %s THEN it reports no error and no warning',
    (file) => {
      const r = run(tool('cfn-lint'), ['--', path.join('templates', 'cloudformation', file)]);
      expect(`${r.stdout}${r.stderr}`.trim(), `cfn-lint output for ${file}`).toBe('');
      expect(r.status, `cfn-lint exit code for ${file}`).toBe(0);
    },
    TOOL_TIMEOUT_MS,
  );
});

interface CheckovFailure {
  check_id: string;
  check_name: string;
  resource: string;
  file_path: string;
  file_line_range?: number[];
}

describe('GIVEN checkov', () => {
  it(
    'WHEN scanning the templates folder THEN no check fails and every template parses',
    () => {
      const r = run(tool('checkov'), [
        '-d',
        path.join('templates', 'cloudformation'),
        '--framework',
        'cloudformation',
        '--compact',
        '--quiet',
        '--skip-download',
        '-o',
        'json',
      ]);
      let report: any;
      try {
        report = JSON.parse(r.stdout);
      } catch {
        throw new Error(`checkov did not print JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      }
      // One framework gives one report; a run with nothing to scan gives a bare summary.
      const reports: any[] = Array.isArray(report) ? report : [report];
      const summaries = reports.map((x) => x.summary ?? x);
      const failures: CheckovFailure[] = reports.flatMap((x) => x.results?.failed_checks ?? []);
      const described = failures.map((f) => `${f.check_id} ${f.check_name} - ${f.resource} (${f.file_path}:${f.file_line_range?.[0]})`);

      expect(described, 'checkov failed checks').toEqual([]);
      expect(summaries.reduce((n, s) => n + (s.failed ?? 0), 0)).toBe(0);
      expect(
        summaries.reduce((n, s) => n + (s.parsing_errors ?? 0), 0),
        'checkov parsing errors',
      ).toBe(0);
      expect(
        summaries.reduce((n, s) => n + (s.resource_count ?? 0), 0),
        'resources scanned',
      ).toBeGreaterThan(0);
      expect(r.status, `checkov exit code\n${r.stderr}`).toBe(0);
    },
    TOOL_TIMEOUT_MS,
  );

  it.each(TEMPLATES.map((f) => f.replace(/\.ya?ml$/, '')))('WHEN reading the checkov skips of %s THEN each names a check and gives its reason', (name) => {
    const t = loadTemplate(name);
    for (const [id, r] of Object.entries(t.Resources ?? {})) {
      for (const skip of checkovSkips(r)) {
        expect(skip.id, `${name}/${id}`).toMatch(/^CKV2?_AWS_\d+$/);
        expect((skip.comment ?? '').trim().length, `${name}/${id} ${skip.id} needs a reason`).toBeGreaterThan(20);
      }
    }
  });
});
