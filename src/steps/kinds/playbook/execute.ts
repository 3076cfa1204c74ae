/** One playbook run through SSM Run Command: upload, wait for the nodes, send (or re-attach), watch, explain a failure. */
import type { Prepared, StepContext } from '../../types.js';
import type { SendCommandInput, SsmPort } from '../../../aws/ops-ports.js';
import { bundleKey, bundleSourceUrl, ensureBundleUploaded, type Bundle } from '../../../ansible/bundle.js';
import { runCommand, NOT_TARGETED, type CommandRun, type HostRun } from '../../../ssm/run-command.js';
import { waitUntilOnline } from '../../../ssm/online.js';
import { StepFailedError } from '../../../errors.js';
import { sendMarker } from '../../tokens.js';
import { ansibleDocumentName, ansibleDocumentParameters } from './document.js';
import { describe, resolveTargets, type NormalTargets, type PlaybookInputs, type PlaybookStepSpec } from './inputs.js';

/** Counts from Ansible's PLAY RECAP line, if the tail has one. */
export function parseRecap(lines: string[]): { ok: number; changed: number; unreachable: number; failed: number } | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(lines[i]!.trim());
    if (m) return { ok: Number(m[1]), changed: Number(m[2]), unreachable: Number(m[3]), failed: Number(m[4]) };
  }
  return undefined;
}

/** The line of a failed host's output that says why: Ansible's fatal/ERROR line, else the last line. */
function rootCauseLine(h: HostRun): string | undefined {
  const pick = [...h.tail].reverse().find((l) => /fatal:|FAILED!|ERROR!|^failed:/.test(l));
  return pick ?? h.tail[h.tail.length - 1];
}

function hostTitle(h: HostRun): string {
  const code = h.responseCode !== undefined && h.responseCode >= 0 ? ` (exit ${h.responseCode})` : '';
  return `${h.instanceId}${h.label ? ` (${h.label})` : ''}: ${h.status}${code}`;
}

/** Upload, send, watch; `check` runs Ansible with --check and records nothing itself. */
export async function executePlaybook(spec: PlaybookStepSpec, ctx: StepContext, prepared: Prepared, mode: 'run' | 'check') {
  const { bucket, bundle, targets, extraVariables } = prepared.data as PlaybookInputs;
  const env = ctx.envCtx.env;
  const [objects, ops] = await Promise.all([ctx.aws.objects(), ctx.aws.ops()]);
  // --check writes nothing: it uses the bundle already in the bucket (check() made sure it is there).
  const up =
    mode === 'run'
      ? await ensureBundleUploaded(objects, bucket, bundle, ctx.envCtx.region)
      : { key: bundleKey(bundle.sha256), s3Url: bundleSourceUrl(ctx.envCtx.region, bucket, bundleKey(bundle.sha256)), uploaded: false };
  ctx.progress(
    up.uploaded
      ? `uploaded the Ansible bundle (${bundle.files.length} files) to s3://${bucket}/${up.key}`
      : `Ansible bundle s3://${bucket}/${up.key} already in the state bucket`,
  );
  const resolved = await resolveTargets(ops.ec2, targets);
  const online = await waitUntilOnline(ops.ssm, { clock: ctx.clock, io: ctx.io, signal: ctx.signal, stepId: spec.id }, resolved.ids, {
    timeoutSeconds: env.ssm.onlineTimeoutSeconds,
    pollMs: ctx.settings.pollMs,
    maxPollMs: ctx.settings.pollMaxMs,
    labels: resolved.labels,
  });
  if (resolved.ids.length && !online.unknown)
    ctx.progress(`${resolved.ids.length} instance(s) Online in SSM${online.waitedSeconds ? ` after ${online.waitedSeconds} s` : ''}`);
  const prefix = `ssm-output/${ctx.envCtx.name}/${spec.id}`;
  const input: SendCommandInput & { expectedInstanceIds: string[] } = {
    documentName: ansibleDocumentName(ctx),
    parameters: ansibleDocumentParameters({
      s3Url: up.s3Url,
      playbook: spec.playbook,
      extraVariables,
      check: mode === 'check',
      timeoutSeconds: env.ssm.timeoutSeconds,
    }),
    ...(targets.kind === 'ids' ? { instanceIds: targets.instanceIds } : { targets: Object.fromEntries(targets.tags) }),
    maxConcurrency: env.ssm.maxConcurrency,
    maxErrors: env.ssm.maxErrors,
    timeoutSeconds: env.ssm.timeoutSeconds,
    outputS3Bucket: bucket,
    outputS3KeyPrefix: prefix,
    comment: `dpf ${spec.id} ${mode} ${spec.playbook}`.slice(0, 100),
    expectedInstanceIds: resolved.ids,
  };
  const { attachTo, adoptMarker } = mode === 'run' ? await interruptedRun(spec, ctx, prepared, ops.ssm) : {};

  const run = await runCommand(
    ops.ssm,
    {
      clock: ctx.clock,
      io: ctx.io,
      signal: ctx.signal,
      stepId: spec.id,
      objects,
      onSent: mode === 'run' ? (commandId) => ctx.evidence({ commandId, bundleHash: bundle.sha256, bundleKey: up.key, playbook: spec.playbook }) : undefined,
      onSending: mode === 'run' ? (marker, at) => ctx.evidence({ sendMarker: marker, sendMarkerAt: at.toISOString(), commandId: undefined }) : undefined,
    },
    input,
    {
      pollMs: ctx.settings.pollMs,
      maxPollMs: ctx.settings.pollMaxMs,
      attachTo,
      adoptMarker,
      marker: sendMarker(ctx.envCtx.runId, `${spec.id}:${mode}`, ctx.attempt),
      labels: resolved.labels,
    },
  );
  const evidence = evidenceOf(spec, run, { mode, bundle, bundleKey: up.key, targets, extraVariables, outputPrefix: `s3://${bucket}/${prefix}/` });
  return { run, evidence: { ...evidence, document: input.documentName, onlineWaitSeconds: online.unknown ? undefined : online.waitedSeconds } };
}

/**
 * A run left `running` by a dead process: watch its command instead of starting a second
 * Ansible run on the same nodes — by its id, or, when it died before learning the id, by the
 * marker it recorded before sending.
 */
async function interruptedRun(
  spec: PlaybookStepSpec,
  ctx: StepContext,
  prepared: Prepared,
  ssm: SsmPort,
): Promise<{ attachTo?: string; adoptMarker?: { marker: string; since: Date } }> {
  const prev = ctx.previous;
  if (prev?.status !== 'running' || prev.inputHash !== prepared.inputHash) return {};
  if (typeof prev.evidence.commandId === 'string') {
    try {
      await ssm.getCommand(prev.evidence.commandId);
      return { attachTo: prev.evidence.commandId };
    } catch {
      ctx.io.notify({
        type: 'warning',
        stepId: spec.id,
        message: `command ${prev.evidence.commandId} of the interrupted run is no longer known to SSM; sending the playbook again.`,
      });
      return {};
    }
  }
  if (typeof prev.evidence.sendMarker === 'string' && typeof prev.evidence.sendMarkerAt === 'string')
    return { adoptMarker: { marker: prev.evidence.sendMarker, since: new Date(prev.evidence.sendMarkerAt) } };
  return {};
}

function evidenceOf(
  spec: PlaybookStepSpec,
  run: CommandRun,
  x: { mode: 'run' | 'check'; bundle: Bundle; bundleKey: string; targets: NormalTargets; extraVariables: string; outputPrefix: string },
): Record<string, unknown> {
  return {
    mode: x.mode,
    commandId: run.commandId,
    bundleHash: x.bundle.sha256,
    bundleKey: x.bundleKey,
    playbook: spec.playbook,
    targets: x.targets.kind === 'ids' ? { instanceIds: x.targets.instanceIds } : Object.fromEntries(x.targets.tags),
    extraVariables: x.extraVariables,
    instanceIds: run.hosts.map((h) => h.instanceId),
    hosts: Object.fromEntries(
      run.hosts.map((h) => {
        const recap = parseRecap(h.tail);
        return [
          h.instanceId,
          { status: h.status, responseCode: h.responseCode, label: h.label, ...(recap ? { changed: recap.changed } : {}), ...(h.note ? { note: h.note } : {}) },
        ];
      }),
    ),
    outputS3Prefix: x.outputPrefix,
    hostSummary: run.summary,
  };
}

export function playbookFailure(spec: PlaybookStepSpec, run: CommandRun, targets: NormalTargets, maxErrors: string): StepFailedError {
  if (!run.hosts.length)
    return new StepFailedError(spec.id, `Playbook ${spec.playbook}: no instance matched the targets (${describe(targets)}); command ${run.commandId}.`, {
      hint: 'Are the nodes running, tagged, and registered with SSM (agent online)? The compute phase creates them; `dpf status` lists the nodes.',
    });
  // Hosts that really failed first (the first one is the root cause shown), then the ones
  // that never ran; by instance id within each.
  const rank = (s: string) => (s === 'Cancelled' ? 3 : s === NOT_TARGETED ? 2 : s === 'Failed' ? 0 : 1);
  const failed = run.hosts.filter((h) => h.status !== 'Success').sort((a, b) => rank(a.status) - rank(b.status));
  const details: string[] = [];
  for (const h of failed) {
    const cause = h.status === 'Cancelled' ? undefined : rootCauseLine(h);
    const note = h.note ?? (h.status === 'Cancelled' ? `not started: more than MaxErrors (${maxErrors}) hosts had failed` : undefined);
    details.push(`${hostTitle(h)}${note ? ` — ${note}` : ''}${cause ? `: ${cause}` : ''}`);
    for (const l of h.tail) details.push(`  ${l}`);
    if (h.truncated)
      details.push(
        `  (output over 24,000 characters: ${h.tailFrom === 's3' ? 'last lines read from the full log in S3' : 'these are the last lines the API returned, not the end of the log'})`,
      );
  }
  const logs = failed.filter((h) => h.outputS3Url).map((h) => `${h.instanceId}: ${h.outputS3Url}`);
  return new StepFailedError(
    spec.id,
    `Playbook ${spec.playbook} failed on ${failed.length} of ${run.hosts.length} host(s): ${failed.map(hostTitle).join(', ')}.`,
    {
      details,
      hint: [
        logs.length ? `Full logs (aws s3 cp --recursive <url> .):\n${logs.map((l) => `  ${l}`).join('\n')}` : undefined,
        run.waitTimedOut ? `dpf stopped waiting; the command may still be running: aws ssm list-command-invocations --command-id ${run.commandId}` : undefined,
      ]
        .filter(Boolean)
        .join('\n'),
    },
  );
}
