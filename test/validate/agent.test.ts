/**
 * The agent's metrics as the semantic rules read them (role data) are what Ansible actually
 * renders into the agent's configuration file: the monitoring role's template is rendered with
 * the project venv's Ansible and compared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentProducedMetrics, loadAgentMetrics } from '../../src/validate/agent.js';
import { ANSIBLE_DIR, PACKAGE_ROOT } from '../../src/templates/registry.js';

const VENV_BIN = path.join(PACKAGE_ROOT, '.venv', 'bin');

function renderAgentConfig(extraVars: Record<string, string>): any {
  const ansible = path.join(VENV_BIN, 'ansible');
  if (!existsSync(ansible)) throw new Error(`${ansible} is missing: run bash tools/setup.sh`);
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'dpf-agent-')), 'agent.json');
  const r = spawnSync(
    ansible,
    [
      'localhost',
      '-c',
      'local',
      '-i',
      'localhost,',
      '-e',
      `ansible_python_interpreter=${path.join(VENV_BIN, 'python')}`,
      '-m',
      'ansible.builtin.template',
      '-a',
      `src=roles/monitoring/templates/cloudwatch-agent.json.j2 dest=${out}`,
      '-e',
      '@roles/monitoring/defaults/main.yml',
      ...Object.entries(extraVars).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    ],
    {
      cwd: ANSIBLE_DIR,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        PATH: `${VENV_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
        ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, 'ansible.cfg'),
        ANSIBLE_NOCOLOR: '1',
      },
    },
  );
  if (r.status !== 0) throw new Error(`ansible failed: ${r.stdout}${r.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8'));
}

describe('GIVEN the monitoring role', () => {
  it('WHEN Ansible renders the agent configuration THEN its metrics section is the data the rules read', () => {
    const rendered = renderAgentConfig({ cloudwatch_namespace: 'Acme/Platform' }).metrics;
    const data = loadAgentMetrics({ cloudwatch_namespace: 'Acme/Platform' });
    expect(rendered.namespace).toBe(data.namespace);
    expect(Object.keys(rendered.append_dimensions).sort()).toEqual([...data.appendDimensions].sort());
    expect(rendered.aggregation_dimensions).toEqual(data.aggregationDimensions);
    expect(rendered.metrics_collected).toEqual(data.plugins);
  }, 120_000);

  it('WHEN no namespace is passed THEN group_vars decides (DataPlatform), as Ansible would', () => {
    expect(loadAgentMetrics({}).namespace).toBe('DataPlatform');
  });

  it('WHEN listing what the agent publishes THEN disk_used_percent exists per {InstanceId, path} and {AutoScalingGroupName, path} and raw with fstype', () => {
    const disk = agentProducedMetrics(loadAgentMetrics({})).find((m) => m.metric === 'disk_used_percent')!;
    const sets = disk.dimensionSets.map((s) => [...s].sort().join(','));
    expect(sets).toEqual(
      expect.arrayContaining(['InstanceId,path', 'AutoScalingGroupName,path', 'InstanceId,fstype,path', 'AutoScalingGroupName,InstanceId,fstype,path']),
    );
    expect(disk.values?.path).toEqual(['/', '/shared', '/data']);
  });
});
