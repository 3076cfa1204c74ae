/**
 * Quality gate for the Ansible bundle (templates/ansible), which dpf zips to S3 and runs on
 * every node through SSM (AWS-ApplyAnsiblePlaybooks: `ansible-playbook -i localhost, -c local`).
 *
 * - every playbook passes `ansible-playbook --syntax-check` (venv ansible-core);
 * - `ansible-lint --profile production` reports zero findings (rules may only be skipped in
 *   templates/ansible/.ansible-lint, each with a reason);
 * - data checks: roles and task files referenced exist, role variables are defined, the
 *   ExtraVariables contract has defaults, nothing looks like a secret, and every task that
 *   handles a credential is no_log.
 *
 * The tools come from the project venv; when they are missing the test fails and says to
 * run `bash tools/setup.sh` (it never skips).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUNDLE = path.join(REPO_ROOT, 'templates', 'ansible');
const VENV_BIN = path.join(REPO_ROOT, '.venv', 'bin');
const ANSIBLE_PLAYBOOK = path.join(VENV_BIN, 'ansible-playbook');
const ANSIBLE_LINT = path.join(VENV_BIN, 'ansible-lint');
const TOOL_TIMEOUT_MS = 300_000;

/** The playbooks dpf runs (PlaybookFile values); all at the bundle root. */
const PLAYBOOKS = [
  'site.yml',
  'bastion.yml',
  'master.yml',
  'worker.yml',
  'worker-launch.yml',
  'dev.yml',
  'ipa-server.yml',
  'ipa-replica.yml',
  'patch.yml',
  'nfs.yml',
  'freeipa-client.yml',
  'freeipa-enrol.yml',
  'freeipa-policy.yml',
  'monitoring.yml',
];

/** Variables dpf passes as ExtraVariables; each needs a non-secret default in group_vars/all.yml. */
const CONTRACT_VARS = [
  'dpf_env',
  'dpf_project',
  'dpf_region',
  'dpf_role',
  'efs_file_system_id',
  'efs_access_point_id',
  'data_volume_device',
  'data_lake_bucket',
  'rds_endpoint',
  'rds_secret_arn',
  'identity_provider',
  'ipa_domain',
  'ipa_realm',
  'ipa_server_fqdn',
  'ipa_replica_fqdn',
  'ipa_admin_secret_arn',
  'ipa_ds_secret_arn',
  'ipa_install_mode',
  'ipa_enrol_hosts',
  'ipa_enrol_instances',
  'ipa_unenrol_instances',
  'ipa_server_instance_id',
  'ipa_keytab_wait',
  'ipa_policy_b64',
  'ipa_host_keytab_secret_prefix',
  'ipa_keytab_kms_key_id',
  'spark_master_host',
  'cloudwatch_namespace',
  'cloudwatch_log_retention_debug_days',
  'cloudwatch_log_retention_audit_days',
  'patch_reboot',
];

type Json = any; // YAML documents are free-form; `any` keeps the walkers readable.

function requireTool(bin: string): void {
  if (!existsSync(bin)) {
    throw new Error(
      `${path.relative(REPO_ROOT, bin)} is missing: run \`bash tools/setup.sh\` to create the project venv ` +
        '(ansible-core and ansible-lint pinned in tools/requirements.txt).',
    );
  }
}

function run(bin: string, args: string[]): SpawnSyncReturns<string> {
  requireTool(bin);
  const result = spawnSync(bin, args, {
    cwd: BUNDLE,
    encoding: 'utf8',
    timeout: TOOL_TIMEOUT_MS - 10_000,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      PATH: `${VENV_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
      ANSIBLE_CONFIG: path.join(BUNDLE, 'ansible.cfg'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      NO_COLOR: '1',
      PY_COLORS: '0',
    },
  });
  if (result.error) throw new Error(`${path.basename(bin)} could not run: ${result.error.message}`);
  return result;
}

function walkFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...walkFiles(full));
    else out.push(full);
  }
  return out.sort();
}

function loadYaml(file: string): Json {
  return YAML.parse(readFileSync(file, 'utf8'));
}

const rel = (file: string): string => path.relative(BUNDLE, file);
const roleDir = (role: string): string => path.join(BUNDLE, 'roles', role);
const listRoles = (): string[] => readdirSync(path.join(BUNDLE, 'roles')).filter((r) => statSync(roleDir(r)).isDirectory());

/** Every task in a task list, including those nested in block/rescue/always. */
function flattenTasks(tasks: Json): Json[] {
  if (!Array.isArray(tasks)) return [];
  const out: Json[] = [];
  for (const task of tasks) {
    if (!task || typeof task !== 'object') continue;
    out.push(task);
    for (const key of ['block', 'rescue', 'always']) out.push(...flattenTasks(task[key]));
  }
  return out;
}

/** All tasks (and handlers) of the bundle: playbooks' plays and every role YAML task file. */
function allTasks(): Array<{ file: string; task: Json }> {
  const out: Array<{ file: string; task: Json }> = [];
  for (const playbook of PLAYBOOKS) {
    const file = path.join(BUNDLE, playbook);
    for (const play of loadYaml(file) ?? []) {
      for (const key of ['pre_tasks', 'tasks', 'post_tasks', 'handlers']) {
        for (const task of flattenTasks(play[key])) out.push({ file, task });
      }
    }
  }
  for (const role of listRoles()) {
    for (const sub of ['tasks', 'handlers']) {
      const dir = path.join(roleDir(role), sub);
      if (!existsSync(dir)) continue;
      for (const file of walkFiles(dir).filter((f) => f.endsWith('.yml'))) {
        for (const task of flattenTasks(loadYaml(file))) out.push({ file, task });
      }
    }
  }
  return out;
}

/** Roles a play or task list uses: `roles:` entries and import_role/include_role. */
function referencedRoles(): Array<{ file: string; role: string; tasksFrom?: string }> {
  const out: Array<{ file: string; role: string; tasksFrom?: string }> = [];
  for (const playbook of PLAYBOOKS) {
    const file = path.join(BUNDLE, playbook);
    for (const play of loadYaml(file) ?? []) {
      for (const entry of play.roles ?? []) out.push({ file, role: typeof entry === 'string' ? entry : entry.role });
    }
  }
  for (const { file, task } of allTasks()) {
    for (const key of ['ansible.builtin.import_role', 'ansible.builtin.include_role']) {
      if (task[key]) out.push({ file, role: task[key].name, tasksFrom: task[key].tasks_from });
    }
  }
  return out;
}

describe('ansible bundle: tools', () => {
  it.each(PLAYBOOKS)(
    'ansible-playbook --syntax-check passes on %s',
    (playbook) => {
      expect(existsSync(path.join(BUNDLE, playbook)), `${playbook} is missing from templates/ansible`).toBe(true);
      const result = run(ANSIBLE_PLAYBOOK, ['--syntax-check', '-i', 'localhost,', playbook]);
      expect(result.status, `syntax-check of ${playbook} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
    },
    TOOL_TIMEOUT_MS,
  );

  it(
    'ansible-lint --profile production reports zero violations',
    () => {
      const result = run(ANSIBLE_LINT, ['--profile', 'production', '--offline', '--nocolor', '-f', 'codeclimate', '.']);
      let findings: Json[];
      try {
        findings = JSON.parse(result.stdout);
      } catch {
        throw new Error(`ansible-lint did not print its JSON report (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
      }
      const summary = findings.map(
        (f) => `${f.location?.path}:${f.location?.lines?.begin ?? f.location?.positions?.begin?.line ?? '?'} ${f.check_name} ${f.description}`,
      );
      expect(summary, 'ansible-lint findings').toEqual([]);
      expect(result.status, result.stderr).toBe(0);
    },
    TOOL_TIMEOUT_MS,
  );
});

describe('ansible bundle: structure', () => {
  it('has the configuration files the bundle runs with', () => {
    for (const file of ['ansible.cfg', '.ansible-lint', 'group_vars/all.yml']) {
      expect(existsSync(path.join(BUNDLE, file)), `${file} is missing`).toBe(true);
    }
    const lintConfig = loadYaml(path.join(BUNDLE, '.ansible-lint'));
    expect(lintConfig.profile).toBe('production');
    // Skips live only in .ansible-lint; never as inline noqa markers.
    for (const file of walkFiles(BUNDLE)) {
      expect(readFileSync(file, 'utf8'), `${rel(file)} has an inline noqa`).not.toMatch(/#\s*noqa/);
    }
  });

  it('every role named in a playbook exists with tasks/main.yml (and its tasks_from file)', () => {
    const refs = referencedRoles();
    expect(refs.length).toBeGreaterThan(0);
    for (const { file, role, tasksFrom } of refs) {
      const main = path.join(roleDir(role), 'tasks', 'main.yml');
      expect(existsSync(main), `${rel(file)} uses role ${role}, but roles/${role}/tasks/main.yml is missing`).toBe(true);
      if (tasksFrom) {
        const from = path.join(roleDir(role), 'tasks', `${tasksFrom}.yml`);
        expect(existsSync(from), `${rel(file)} uses ${role} tasks_from ${tasksFrom}, which is missing`).toBe(true);
      }
    }
  });

  it('every role has tasks/main.yml and meta/main.yml, and is used by a playbook', () => {
    const used = new Set(referencedRoles().map((r) => r.role));
    for (const role of listRoles()) {
      expect(existsSync(path.join(roleDir(role), 'tasks', 'main.yml')), `roles/${role}/tasks/main.yml`).toBe(true);
      expect(existsSync(path.join(roleDir(role), 'meta', 'main.yml')), `roles/${role}/meta/main.yml`).toBe(true);
      expect(used.has(role), `role ${role} is not used by any playbook`).toBe(true);
    }
  });

  it('every included task file and template exists', () => {
    for (const { file, task } of allTasks()) {
      const roleRoot = file.includes(`${path.sep}roles${path.sep}`) ? path.resolve(path.dirname(file), '..') : undefined;
      for (const key of ['ansible.builtin.include_tasks', 'ansible.builtin.import_tasks']) {
        const target = task[key];
        if (!target) continue;
        const name = typeof target === 'string' ? target : target.file;
        expect(existsSync(path.join(path.dirname(file), name)), `${rel(file)}: ${key} ${name} is missing`).toBe(true);
      }
      const src = task['ansible.builtin.template']?.src;
      if (src && roleRoot && !src.includes('{{')) {
        expect(existsSync(path.join(roleRoot, 'templates', src)), `${rel(file)}: template ${src} is missing`).toBe(true);
      }
      if (src && roleRoot && src.includes('{{') && task.loop) {
        for (const item of task.loop) {
          const name = src.replace(/\{\{\s*item\s*\}\}/, item);
          expect(existsSync(path.join(roleRoot, 'templates', name)), `${rel(file)}: template ${name} is missing`).toBe(true);
        }
      }
    }
  });

  it('every variable a role uses with its prefix is defined by that role', () => {
    for (const role of listRoles()) {
      const defined = new Set<string>();
      const defaultsFile = path.join(roleDir(role), 'defaults', 'main.yml');
      if (existsSync(defaultsFile)) {
        for (const key of Object.keys(loadYaml(defaultsFile) ?? {})) {
          expect(key.startsWith(`${role}_`), `roles/${role}/defaults/main.yml: ${key} lacks the ${role}_ prefix`).toBe(true);
          defined.add(key);
        }
      }
      const roleFiles = walkFiles(roleDir(role));
      for (const { task } of allTasks().filter((t) => t.file.startsWith(roleDir(role) + path.sep))) {
        if (typeof task.register === 'string') defined.add(task.register);
        for (const key of Object.keys(task['ansible.builtin.set_fact'] ?? {})) defined.add(key);
        for (const key of Object.keys(task.vars ?? {})) defined.add(key);
        if (task.loop_control?.loop_var) defined.add(task.loop_control.loop_var);
      }
      const used = new Set<string>();
      const pattern = new RegExp(`\\b${role}_[a-z0-9_]+\\b`, 'g');
      for (const file of roleFiles) {
        for (const match of readFileSync(file, 'utf8').matchAll(pattern)) used.add(match[0]);
      }
      const undefinedVars = [...used].filter((v) => !defined.has(v)).sort();
      expect(undefinedVars, `roles/${role} uses variables it never defines`).toEqual([]);
    }
  });
});

describe('ansible bundle: variable contract', () => {
  const groupVars = loadYaml(path.join(BUNDLE, 'group_vars', 'all.yml'));

  it('gives every ExtraVariable dpf passes a default in group_vars/all.yml', () => {
    const missing = CONTRACT_VARS.filter((v) => !(v in groupVars));
    expect(missing, 'contract variables without a default').toEqual([]);
  });

  it('roles read only contract variables, through prefixed defaults', () => {
    const contract = new Set(Object.keys(groupVars));
    for (const role of listRoles()) {
      const defaultsFile = path.join(roleDir(role), 'defaults', 'main.yml');
      if (!existsSync(defaultsFile)) continue;
      const text = readFileSync(defaultsFile, 'utf8');
      for (const match of text.matchAll(/\b([a-z][a-z0-9_]*)\s*\|\s*default\(/g)) {
        const name = match[1];
        if (name.startsWith(`${role}_`)) continue;
        expect(contract.has(name), `roles/${role}/defaults reads ${name}, which is not in group_vars/all.yml`).toBe(true);
      }
    }
  });

  it('keeps the platform defaults the seed asks for', () => {
    expect(groupVars.ipa_domain).toBe('dataplatform.internal');
    expect(groupVars.ipa_realm).toBe('DATAPLATFORM.INTERNAL');
    expect(groupVars.cloudwatch_namespace).toBe('DataPlatform');
    expect(groupVars.cloudwatch_log_retention_debug_days).toBe(30);
    expect(groupVars.cloudwatch_log_retention_audit_days).toBe(365);
    expect(groupVars.identity_provider).toBe('freeipa');
  });
});

describe('ansible bundle: secrets', () => {
  const SECRET_KEY = /(password|passwd|secret|token|credential|private_key)/i;
  // Keys that name a secret without holding one (an ARN, a name prefix, a KMS key).
  const NAMES_A_SECRET = /(_arn|_prefix|_kms_key_id)$/;
  const ROLE_PREFIXES = listRoles().map((r) => `${r}_`);
  /** Values that cannot be a secret: empty, flag words, numbers, YAML block markers, references. */
  const isHarmlessValue = (value: string): boolean =>
    value === '' ||
    /^(true|false|yes|no|none|\d+|>-?|\|-?)$/i.test(value) ||
    value.startsWith('os.environ[') ||
    ROLE_PREFIXES.some((prefix) => value.startsWith(prefix));

  it('no file contains something that looks like a secret value', () => {
    const problems: string[] = [];
    for (const file of walkFiles(BUNDLE)) {
      const text = readFileSync(file, 'utf8');
      const where = rel(file);
      if (/AKIA[0-9A-Z]{16}/.test(text)) problems.push(`${where}: AWS access key id`);
      if (/aws_secret_access_key/i.test(text)) problems.push(`${where}: aws_secret_access_key`);
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) problems.push(`${where}: private key`);
      for (const [i, line] of text.split('\n').entries()) {
        if (/^\s*#/.test(line)) continue;
        // password: value / password = value / --password=value, unless the value is a template,
        // a flag word, or a reference to a variable (role-prefixed name, os.environ[...]).
        const m = line.match(/[\w-]*(password|passwd|secret_key|api_key|token)[\w-]*["']?\s*[:=]\s*["']?([^\s"'{}]+)/i);
        if (m && !isHarmlessValue(m[2])) problems.push(`${where}:${i + 1}: ${line.trim()}`);
      }
      if (/\.ya?ml$/.test(file) || path.basename(file) === '.ansible-lint') {
        const walk = (node: Json, trail: string): void => {
          if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${trail}[${i}]`));
          else if (node && typeof node === 'object') {
            for (const [key, value] of Object.entries(node)) {
              const literal = typeof value === 'string' && !value.includes('{{') && !isHarmlessValue(value.trim());
              if (SECRET_KEY.test(key) && !NAMES_A_SECRET.test(key) && key !== 'no_log' && literal) {
                problems.push(`${where}: ${trail}.${key} holds a literal value`);
              }
              walk(value, `${trail}.${key}`);
            }
          }
        };
        walk(loadYaml(file), '');
      }
    }
    expect(problems, 'secret-looking content (secrets are read at run time from Secrets Manager)').toEqual([]);
  });

  it('every task that reads or uses a credential is no_log', () => {
    const problems: string[] = [];
    let secretReads = 0;
    for (const { file, task } of allTasks()) {
      // A block's own keys only: its inner tasks are checked one by one.
      const { block: _block, rescue: _rescue, always: _always, ...own } = task;
      const text = JSON.stringify(own);
      const readsSecret = text.includes('get-secret-value');
      const usesCredential = /_credential\b|keytab_b64|_keytab\.content|_secret\.stdout|_secret_doc\b|_enrolment\b/.test(text.replace(/"name":"[^"]*"/, ''));
      const harmless = task['ansible.builtin.copy']?.dest === '/etc/ipa/ca.crt'; // the CA certificate is public
      if (readsSecret) secretReads += 1;
      if ((readsSecret || usesCredential) && !harmless && task.no_log !== true) {
        problems.push(`${rel(file)}: "${task.name}" handles a credential without no_log: true`);
      }
    }
    expect(secretReads, 'expected the roles to read their secrets at run time').toBeGreaterThanOrEqual(4);
    expect(problems).toEqual([]);
  });
});
