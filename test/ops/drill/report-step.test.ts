/** The drill's last step: report files written locally and uploaded to the state bucket (src/ops/drill/report-step.ts). */
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { reportStep } from '../../../src/ops/drill/report-step.js';
import type { DrillResult } from '../../../src/ops/report.js';
import { stepHarness, warnings, type StepHarness } from '../step-harness.js';

let h: StepHarness;
afterEach(() => h?.close());

const BUCKET = 'dataplatform-dev-dpf-state-123456789012';
const BASE = 'dr-drill-20250104030000';

async function report(o: { upload?: 'fails'; noBucket?: boolean } = {}) {
  h = await stepHarness();
  if (o.noBucket) await h.session.ledger.updateStep('bootstrap.state', 'bootstrap', { outputs: {} }, h.w.clock.now());
  if (o.upload === 'fails') {
    const put = h.w.objects.putText.bind(h.w.objects);
    h.w.objects.putText = async (b, key, body) => {
      if (key.startsWith('reports/')) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      return put(b, key, body);
    };
  }
  const r = await h.run(reportStep(h.op, { scope: 'restore', keep: false }, { reportDir: h.w.dir, envName: 'dev' }));
  const dir = path.join(h.w.dir, 'reports', 'dev');
  const json = JSON.parse(readFileSync(path.join(dir, `${BASE}.json`), 'utf8')) as DrillResult;
  const reports = [...h.w.objects.objects.keys()].filter((k) => k.includes('/reports/')).sort();
  return { r, dir, json, reports };
}

describe('reportStep', () => {
  it('GIVEN a state bucket THEN the report is written as Markdown, JSON and HTML under reports/<env>/ and the three are uploaded', async () => {
    const { r, dir, json, reports } = await report();
    expect(r.outputs).toEqual({ Report: path.join(dir, `${BASE}.md`), ReportJson: path.join(dir, `${BASE}.json`), Passed: String(json.passed) });
    expect(json).toMatchObject({ operationId: h.op.id, env: 'dev', uploaded: `s3://${BUCKET}/reports/dev/${BASE}.md` });
    expect(reports).toEqual(['html', 'json', 'md'].map((x) => `${BUCKET}/reports/dev/${BASE}.${x}`));
    expect(await h.w.objects.getText(BUCKET, `reports/dev/${BASE}.md`)).toBe(readFileSync(path.join(dir, `${BASE}.md`), 'utf8'));
    expect(readFileSync(path.join(dir, `${BASE}.html`), 'utf8')).toMatch(/^<!doctype html>/i);
    expect(r.evidence).toEqual({ result: json });
    expect(r.summary).toBe(json.verdict);
  });

  it('GIVEN the upload is refused THEN the files are kept locally, a warning says where, and every local file carries the failure', async () => {
    const { dir, json, reports } = await report({ upload: 'fails' });
    expect(reports).toEqual([]);
    expect(json.uploaded).toBeUndefined();
    expect(json.notes).toContain(`upload to s3://${BUCKET} failed: Access Denied`);
    for (const x of ['md', 'html']) expect(readFileSync(path.join(dir, `${BASE}.${x}`), 'utf8'), x).toContain(`upload to s3://${BUCKET} failed: Access Denied`);
    expect(warnings(h.w)).toEqual([`report not uploaded to s3://${BUCKET}: Access Denied (kept locally at ${path.join(dir, `${BASE}.md`)})`]);
  });

  it('GIVEN no state bucket in the ledger THEN the report is local only and nothing is claimed uploaded', async () => {
    const { json, reports } = await report({ noBucket: true });
    expect(reports).toEqual([]);
    expect(json.uploaded).toBeUndefined();
    expect(warnings(h.w)).toEqual([]);
  });
});
