/** The SSM document a wave runs (dpf's Ansible document, or AWS-RunPatchBaseline), its timeouts and what its output says. */
import type { StepContext } from '../../steps/types.js';
import { buildBundle, ensureBundleUploaded } from '../../ansible/bundle.js';
import { ansibleDocumentName, ansibleDocumentParameters } from '../../steps/kinds/playbook.js';
import { optionalOutput, stepError } from '../operation.js';
import { type PatchOptions, type Wave } from './keys.js';

/** Parameters of the patch document for one wave (apply, or --dry-run scan). */
export async function patchDocument(
  ctx: StepContext,
  method: PatchOptions['method'],
  check: boolean,
  role: string,
): Promise<{ documentName: string; parameters: Record<string, string[]> }> {
  if (method === 'patch-baseline')
    return {
      documentName: 'AWS-RunPatchBaseline',
      parameters: { Operation: [check ? 'Scan' : 'Install'], RebootOption: [check ? 'NoReboot' : 'RebootIfNeeded'] },
    };
  const bucket = optionalOutput(ctx.ledger, 'bootstrap.state', 'StateBucketName');
  if (!bucket)
    throw stepError('PatchNoStateBucket', 'The Ansible bundle lives in the state bucket, and the ledger has none.', {
      hint: `dpf deploy --env ${ctx.envCtx.name} --phase bootstrap`,
    });
  const up = await ensureBundleUploaded(await ctx.aws.objects(), bucket, buildBundle(), ctx.envCtx.region);
  // dpf's own document: AWS-ApplyAnsiblePlaybooks cannot install Ansible on the Rocky/Alma IPA servers.
  const extraVariables = `SSM=True dpf_env=${ctx.envCtx.name} dpf_project=${ctx.envCtx.project} dpf_region=${ctx.envCtx.region} dpf_role=${role === 'master-dev' ? 'master' : role}`;
  return {
    documentName: ansibleDocumentName(ctx),
    parameters: ansibleDocumentParameters({ s3Url: up.s3Url, playbook: 'patch.yml', extraVariables, check, timeoutSeconds: ctx.envCtx.env.ssm.timeoutSeconds }),
  };
}

/** AWS-RunPatchBaseline's own execution timeout (the document's runtimeConfig; it takes no timeout parameter). */
export const PATCH_BASELINE_EXEC_SECONDS = 7200;
export const DELIVERY_SECONDS = 600;

/** Hosts SSM runs at once for a MaxConcurrency of "N" or "P%" over `n` targets (at least 1). */
export function concurrencyOf(maxConcurrency: string, n: number): number {
  const pct = /^(\d+)%$/.exec(maxConcurrency);
  const c = pct ? Math.ceil((Number(pct[1]) * n) / 100) : Number(maxConcurrency);
  return Math.max(1, Number.isFinite(c) ? c : 1);
}

/**
 * SSM's TimeoutSeconds is the DELIVERY timeout: a host that has not STARTED by then is never
 * run (DeliveryTimedOut). Under rate control hosts start in batches, so a later batch starts
 * only after earlier ones ran for up to the execution timeout: the delivery timeout must cover
 * every earlier batch. dpf waits for the last batch to run out as well.
 */
export function patchTimeouts(hosts: number, maxConcurrency: string, execSeconds: number): { deliverySeconds: number; waitSeconds: number } {
  const batches = Math.ceil(Math.max(1, hosts) / concurrencyOf(maxConcurrency, Math.max(1, hosts)));
  const deliverySeconds = Math.min(2_592_000, DELIVERY_SECONDS + (batches - 1) * execSeconds);
  return { deliverySeconds, waitSeconds: deliverySeconds + execSeconds + 60 };
}

export function execSecondsOf(doc: { documentName: string; parameters: Record<string, string[]> }): number {
  const t = Number(doc.parameters.TimeoutSeconds?.[0]);
  return Number.isFinite(t) && t > 0 ? t : PATCH_BASELINE_EXEC_SECONDS;
}

export function sendFor(ctx: StepContext, wave: Wave, ids: string[], doc: { documentName: string; parameters: Record<string, string[]> }, opId: string) {
  const ssm = ctx.envCtx.env.ssm;
  const bucket = optionalOutput(ctx.ledger, 'bootstrap.state', 'StateBucketName');
  const concurrency = wave.rolling ? ssm.maxConcurrency : '1';
  const { deliverySeconds } = patchTimeouts(ids.length, concurrency, execSecondsOf(doc));
  const base = {
    ...doc,
    timeoutSeconds: deliverySeconds,
    comment: `dpf patch ${wave.name} ${opId}`,
    outputS3Bucket: bucket,
    outputS3KeyPrefix: bucket ? `ssm/${ctx.envCtx.name}/patch/${opId}/${wave.name}` : undefined,
    expectedInstanceIds: ids,
  };
  // Workers by tag, rolling under the configured rate control; the named hosts one by one.
  return wave.rolling
    ? { ...base, targets: { 'dpf:env': [ctx.envCtx.name], 'dpf:role': ['worker'] }, maxConcurrency: ssm.maxConcurrency, maxErrors: ssm.maxErrors }
    : { ...base, instanceIds: ids, maxConcurrency: '1', maxErrors: '0' };
}

export function pollOpts(ctx: StepContext) {
  return ctx.settings.pollMs ? { pollMs: ctx.settings.pollMs } : {};
}

/** Did the host schedule a reboot? From the playbook's result line ("reboot: yes") or the baseline's output. */
export function rebootScheduled(tail: string[]): boolean | undefined {
  const text = tail.join('\n');
  if (!text.trim()) return undefined;
  if (/reboot: yes|"rebooted": "yes"|Rebooting|initiating reboot/i.test(text)) return true;
  return false;
}

/** Pending updates reported by a scan, if the output says. */
export function pendingUpdates(tail: string[]): number | undefined {
  const text = tail.join('\n');
  const a = /(\d+) package\(s\) updated/.exec(text)?.[1];
  if (a !== undefined) return Number(a);
  const b = /Missing(?:Count)?["'\s:=]+(\d+)/i.exec(text)?.[1];
  return b === undefined ? undefined : Number(b);
}
