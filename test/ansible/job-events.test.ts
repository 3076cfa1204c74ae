/**
 * The JobFailures publisher: the job_scheduler role's Airflow listener writes one JSON line per
 * failed DAG run, in the shape the monitoring stack's metric filter counts. Airflow is not
 * installed here: the listener runs under the venv's Python with the two Airflow names it
 * imports stubbed (hookimpl, AirflowPlugin), which is all it uses of Airflow.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ANSIBLE_DIR, PACKAGE_ROOT, loadTemplate } from '../../src/templates/registry.js';

const PLUGIN = path.join(ANSIBLE_DIR, 'roles', 'job_scheduler', 'files', 'dpf_job_events.py');
const HARNESS = `
import importlib.util, sys, types
airflow = types.ModuleType("airflow")
listeners = types.ModuleType("airflow.listeners")
listeners.hookimpl = lambda f: f
plugins = types.ModuleType("airflow.plugins_manager")
plugins.AirflowPlugin = type("AirflowPlugin", (), {})
sys.modules.update({"airflow": airflow, "airflow.listeners": listeners, "airflow.plugins_manager": plugins})
spec = importlib.util.spec_from_file_location("dpf_job_events", sys.argv[1])
mod = importlib.util.module_from_spec(spec); sys.modules["dpf_job_events"] = mod; spec.loader.exec_module(mod)
assert mod.DpfJobEventsPlugin.listeners == [mod], "the plugin registers its module as the listener"
run = types.SimpleNamespace(dag_id="etl_daily", run_id="scheduled__2025-01-01")
mod.on_dag_run_failed(run, "task transform failed")
mod.write_event(mod.job_event(run, "x"), path="/nonexistent-dir/events.log")  # must not raise
`;

describe('GIVEN the job-events listener', () => {
  it('WHEN a DAG run fails THEN one JSON line with event dag_run_failed is appended, which the metric filter matches', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dpf-jobs-'));
    const log = path.join(dir, 'airflow-jobs.log');
    const r = spawnSync(path.join(PACKAGE_ROOT, '.venv', 'bin', 'python'), ['-c', HARNESS, PLUGIN], {
      encoding: 'utf8',
      env: { ...process.env, DPF_JOB_EVENTS_LOG: log },
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0]!);
    expect(event).toMatchObject({ event: 'dag_run_failed', dag_id: 'etl_daily', run_id: 'scheduled__2025-01-01', message: 'task transform failed' });

    const filter = loadTemplate('monitoring').template.Resources.JobFailureMetricFilter.Properties;
    const m = /^\{ \$\.(\w+) = "([^"]+)" \}$/.exec(filter.FilterPattern)!;
    expect(event[m[1]!]).toBe(m[2]);
    expect(filter.LogGroupName).toEqual({ Ref: 'SystemLogGroup' });
  });

  it('WHEN the roles are read THEN the listener writes where the agent ships to the system log group', () => {
    const scheduler = parse(readFileSync(path.join(ANSIBLE_DIR, 'roles', 'job_scheduler', 'defaults', 'main.yml'), 'utf8'));
    const monitoring = parse(readFileSync(path.join(ANSIBLE_DIR, 'roles', 'monitoring', 'defaults', 'main.yml'), 'utf8'));
    const file: string = scheduler.job_scheduler_job_events_log;
    const shipped = monitoring.monitoring_debug_logs.map((l: { file_path: string }) => l.file_path);
    const glob = (g: string) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    expect(
      shipped.some((g: string) => glob(g).test(file)),
      `${file} vs ${shipped.join(', ')}`,
    ).toBe(true);
    expect(monitoring.monitoring_system_log_group).toBe('/{{ monitoring_project }}/{{ monitoring_env }}/system');
  });
});
