/** The drill's last step: the result, the report files and their upload. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StepDef } from '../../steps/types.js';
import { errorMessage } from '../../errors.js';
import { opStep, optionalOutput, type Operation } from '../operation.js';
import { renderHtml, renderMarkdown } from '../report.js';
import { DRILL_STEPS, type DrillOptions, type DrillDeps } from './keys.js';
import { drillResult } from './result.js';

/** Measure RTO/RPO, write the report (Markdown, JSON, HTML) and upload it. */
export function reportStep(op: Operation, o: DrillOptions, deps: DrillDeps): StepDef {
  return opStep({
    id: DRILL_STEPS.report,
    title: 'Measure RTO/RPO and write the report',
    dependsOn: [DRILL_STEPS.teardown],
    input: { keep: o.keep },
    estimateSeconds: 5,
    async run(ctx) {
      const result = drillResult(ctx.ledger, ctx.envCtx, op, o, deps, ctx.clock.now());
      const dir = path.join(deps.reportDir, 'reports', ctx.envCtx.name);
      await mkdir(dir, { recursive: true });
      const base = `dr-drill-${op.stamp}`;
      result.report = path.join(dir, `${base}.md`);
      result.reportJson = path.join(dir, `${base}.json`);
      const stateBucket = optionalOutput(ctx.ledger, 'bootstrap.state', 'StateBucketName');
      if (stateBucket) result.uploaded = `s3://${stateBucket}/reports/${ctx.envCtx.name}/${base}.md`;
      const md = renderMarkdown(result);
      await writeFile(result.report, md);
      await writeFile(result.reportJson, `${JSON.stringify(result, null, 2)}\n`);
      if (stateBucket) {
        try {
          const objects = await ctx.aws.objects();
          await objects.putText(stateBucket, `reports/${ctx.envCtx.name}/${base}.md`, md, 'text/markdown');
          await objects.putText(stateBucket, `reports/${ctx.envCtx.name}/${base}.json`, `${JSON.stringify(result, null, 2)}\n`, 'application/json');
          await objects.putText(stateBucket, `reports/${ctx.envCtx.name}/${base}.html`, renderHtml(result), 'text/html; charset=utf-8');
        } catch (err) {
          result.uploaded = undefined;
          result.notes.push(`upload to s3://${stateBucket} failed: ${errorMessage(err)}`);
          ctx.io.notify({
            type: 'warning',
            stepId: ctx.stepId,
            message: `report not uploaded to s3://${stateBucket}: ${errorMessage(err)} (kept locally at ${result.report})`,
          });
          // The local Markdown and JSON were written before the upload: rewrite them with its failure.
          await writeFile(result.report, renderMarkdown(result));
          await writeFile(result.reportJson, `${JSON.stringify(result, null, 2)}\n`);
        }
      }
      // Written last: it carries the upload's outcome in its notes too.
      await writeFile(path.join(dir, `${base}.html`), renderHtml(result));
      ctx.progress(result.verdict);
      return {
        changed: true,
        summary: result.verdict,
        outputs: { Report: result.report, ReportJson: result.reportJson, Passed: String(result.passed) },
        evidence: { result },
      };
    },
  });
}
