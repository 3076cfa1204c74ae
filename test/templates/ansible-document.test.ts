/**
 * dpf's Ansible Run Command document (compute.yaml, AnsibleDocument): its shell script runs
 * here, in a sandbox, on both OS families' /etc/os-release, with stand-ins for dnf, python3.11,
 * pip and ansible-playbook that record how they were called. What cannot run here (a real dnf,
 * PyPI, Ansible on a host) is listed in docs/real-os-assumptions.md.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { zipSync, strToU8 } from 'fflate';
import { loadTemplate } from './helpers.js';

const doc = loadTemplate('compute').Resources.AnsibleDocument!.Properties!;
const content = doc.Content;
const script: string = content.mainSteps[1].inputs.runCommand.join('\n');
const PINNED = /ansible-core==([0-9.]+)/.exec(readFileSync(path.resolve(import.meta.dirname, '..', '..', 'tools', 'requirements.txt'), 'utf8'))![1]!;

const OS = {
  al2023: 'NAME="Amazon Linux"\nVERSION_ID="2023"\nID="amzn"\nPRETTY_NAME="Amazon Linux 2023.6.20241212"\n',
  rocky9: 'NAME="Rocky Linux"\nVERSION_ID="9.4"\nID="rocky"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n',
  alma9: 'NAME="AlmaLinux"\nVERSION_ID="9.4"\nID="almalinux"\nPRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"\n',
  ubuntu: 'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n',
  rhel8: 'NAME="Red Hat Enterprise Linux"\nVERSION_ID="8.9"\nID="rhel"\nPRETTY_NAME="Red Hat Enterprise Linux 8.9 (Ootpa)"\n',
};

const sandboxes: string[] = [];
afterEach(() => {
  while (sandboxes.length) rmSync(sandboxes.pop()!, { recursive: true, force: true });
});

/** Stand-ins: each appends "name args" to calls.log; pip records the ansible-core it "installed". */
function sandbox(os: keyof typeof OS, o: { pipFails?: boolean; playbooks?: string[] } = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'dpf-doc-'));
  sandboxes.push(root);
  const bin = path.join(root, 'bin');
  const work = path.join(root, 'orchestration');
  mkdirSync(bin);
  mkdirSync(work);
  writeFileSync(path.join(root, 'os-release'), OS[os]);
  const tool = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >> "${root}/calls.log"\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  tool('dnf', 'exit 0');
  tool(
    'python3.11',
    `[ "$1" = -m ] && [ "$2" = venv ] || exit 9
mkdir -p "$3/bin"
cat > "$3/bin/pip" <<'PIP'
#!/bin/bash
echo "pip $*" >> "${root}/calls.log"
${o.pipFails ? 'exit 1' : ''}
for a in "$@"; do case "$a" in ansible-core==*) echo "\${a#ansible-core==}" > "$(dirname "$0")/version" ;; esac; done
PIP
cat > "$3/bin/ansible-playbook" <<'AP'
#!/bin/bash
if [ "$1" = --version ]; then echo "ansible-playbook [core $(cat "$(dirname "$0")/version")]"; exit 0; fi
echo "ansible-playbook $* (in $(basename "$PWD"), ANSIBLE_CONFIG=$(basename "$ANSIBLE_CONFIG"))" >> "${root}/calls.log"
AP
chmod +x "$3/bin/pip" "$3/bin/ansible-playbook"`,
  );
  const files: Record<string, Uint8Array> = { 'ansible.cfg': strToU8('[defaults]\n') };
  for (const p of o.playbooks ?? ['worker.yml']) files[p] = strToU8('---\n[]\n');
  writeFileSync(path.join(work, 'abc123.zip'), zipSync(files));
  const run = (params: Partial<Record<'PlaybookFile' | 'ExtraVariables' | 'Check' | 'Verbose' | 'AnsibleCoreVersion', string>> = {}) => {
    const values: Record<string, string> = {
      AnsibleCoreVersion: content.parameters.AnsibleCoreVersion.default,
      PlaybookFile: 'worker.yml',
      ExtraVariables: 'a=b c=d',
      Check: 'False',
      Verbose: '-v',
      ...params,
    };
    const body = script
      .replace(/\{\{ (\w+) \}\}/g, (_m, k: string) => values[k] ?? '')
      .replaceAll('/etc/os-release', `${root}/os-release`)
      .replaceAll('/opt/dpf', `${root}/opt`)
      .replaceAll('/var/log/dpf', `${root}/log`)
      .replaceAll('/var/lock/dpf-ansible.lock', `${root}/ansible.lock`);
    const r = spawnSync('bash', ['-c', body], { cwd: work, encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
    const calls = existsSync(path.join(root, 'calls.log')) ? readFileSync(path.join(root, 'calls.log'), 'utf8').trim().split('\n') : [];
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
  };
  return { root, run, clearCalls: () => rmSync(path.join(root, 'calls.log'), { force: true }) };
}

describe('GIVEN the document as data', () => {
  it('WHEN read THEN it is versioned in place, for instances, and pins the ansible-core the bundle is linted with', () => {
    expect(doc).toMatchObject({ DocumentType: 'Command', DocumentFormat: 'YAML', UpdateMethod: 'NewVersion', TargetType: '/AWS::EC2::Instance' });
    expect(content.parameters.AnsibleCoreVersion.default).toBe(PINNED);
    expect(Object.keys(content.parameters)).not.toContain('InstallDependencies');
    expect(content.mainSteps.map((s: any) => s.action)).toEqual(['aws:downloadContent', 'aws:runShellScript']);
  });
});

describe("GIVEN the document's script on a host", () => {
  it.each(['al2023', 'rocky9', 'alma9'] as const)(
    'WHEN it first runs on %s THEN it installs python3.11 and the pinned ansible-core, unpacks the bundle and runs the playbook locally',
    (os) => {
      const s = sandbox(os);
      const r = s.run();
      expect(r.code, r.stderr).toBe(0);
      expect(r.calls).toEqual([
        'dnf install -y -q python3.11 python3.11-pip',
        `python3.11 -m venv ${s.root}/opt/ansible`,
        `pip install -q --disable-pip-version-check ansible-core==${PINNED}`,
        'ansible-playbook -i localhost, -c local -v -e ansible_python_interpreter=/usr/bin/python3 -e a=b c=d worker.yml (in dpf-bundle, ANSIBLE_CONFIG=ansible.cfg)',
      ]);
    },
  );

  it('WHEN it runs again THEN Ansible is not installed again', () => {
    const s = sandbox('al2023');
    expect(s.run().code).toBe(0);
    s.clearCalls();
    const r = s.run({ Check: 'True', ExtraVariables: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ansible-core ${PINNED} already in`);
    // Check mode adds --check; empty ExtraVariables add no -e.
    expect(r.calls).toEqual([
      'ansible-playbook -i localhost, -c local -v -e ansible_python_interpreter=/usr/bin/python3 --check worker.yml (in dpf-bundle, ANSIBLE_CONFIG=ansible.cfg)',
    ]);
  });

  it.each([
    ['ubuntu', 'Ubuntu 22.04.4 LTS'],
    ['rhel8', 'Red Hat Enterprise Linux 8.9 (Ootpa)'],
  ] as const)('WHEN it runs on %s THEN it stops (exit 3) naming the OS, before installing anything', (os, name) => {
    const r = sandbox(os).run();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`unsupported OS ${name}`);
    expect(r.calls).toEqual([]);
  });

  it('WHEN the playbook is not in the bundle THEN exit 2 naming it', () => {
    const r = sandbox('al2023', { playbooks: ['master.yml'] }).run({ PlaybookFile: 'worker.yml' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('playbook worker.yml is not in the bundle');
  });

  it('WHEN PyPI cannot be reached THEN exit 5 with the reason, and no half-made venv is left for the next run to trust', () => {
    const s = sandbox('rocky9', { pipFails: true });
    const r = s.run();
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/pip could not install ansible-core .* from PyPI/);
    expect(existsSync(path.join(s.root, 'opt', 'ansible'))).toBe(false);
  });
});
