/**
 * Step kind "playbook": run one playbook of the bundled Ansible content on the nodes, through
 * SSM Run Command (dpf's own document, dpf-<project>-<env>-ApplyAnsiblePlaybooks, created by the
 * compute stack: it installs the same ansible-core on Amazon Linux 2023 and Rocky/Alma 9),
 * targeted by tags, with the environment's MaxConcurrency / MaxErrors, full logs in the state
 * bucket. Before sending, it waits (bounded by ssm.onlineTimeoutSeconds) until every target is
 * Online in SSM.
 *
 * Inputs (hashed): the bundle's sha256, the playbook, the targets and the extra variables.
 * Rate control (MaxConcurrency, MaxErrors, timeouts) is not part of the hash: changing it
 * does not make a done step run again.
 *
 * ExtraVariables are plain `key=value` pairs, never secrets: a variable named like a secret
 * (/pass|secret|token|key$/i) must hold a reference (an ARN or a secret/parameter name), and
 * every value must pass the document's allowedPattern, which refuses whitespace, `|:();&` and
 * the shell and Jinja metacharacters `"'\`$\{}<>`: the document splices the values into
 * `ansible-playbook -e '…'` in a shell script and Ansible templates them.
 * Empty values are left out, so the bundle's default (group_vars/all.yml) applies.
 */
import { createHash } from 'node:crypto';
import type { After, PhaseId, Prepared, StepContext, StepDef, StepResult } from '../types.js';
import type { Ec2Port, SendCommandInput } from '../../aws/ops-ports.js';
import type { StepRecord } from '../../state/ledger.js';
import { buildBundle, bundleKey, bundleSourceUrl, ensureBundleUploaded, type Bundle } from '../../ansible/bundle.js';
import { runCommand, NOT_TARGETED, type CommandRun, type HostRun } from '../../ssm/run-command.js';
import { waitUntilOnline } from '../../ssm/online.js';
import { StepFailedError } from '../../errors.js';
import type { HostRole, Place } from '../contracts.js';
import { sendMarker } from '../tokens.js';

/** The Run Command document the compute stack creates (output AnsibleDocumentName). */
export function playbookDocument(envCtx: { project: string; name: string }): string {
  return `dpf-${envCtx.project}-${envCtx.name}-ApplyAnsiblePlaybooks`;
}
/**
 * Outputs every playbook step reads besides its variables and targets (in prepare and execute):
 * the state bucket for the bundle and the SSM output, the compute stack's document. Their steps are edges of every
 * playbook step (src/steps/phases.ts adds them with these reasons).
 */
export const PLAYBOOK_RUN_READS = { 'bootstrap.state': ['StateBucketName'], 'compute.stack': ['AnsibleDocumentName'] } as const;
/** What the messages call it. */
export const PLAYBOOK_DOCUMENT = 'the dpf Ansible document';
/** Typical wall time of one playbook on a fleet (dependency install + roles), for the ETA. */
export const PLAYBOOK_ESTIMATE_SECONDS = 300;

/** Tag targets ({ 'dpf:env': ['dev'], 'dpf:role': ['worker'] }, ANDed across keys) or instance ids. */
export type PlaybookTargets = Record<string, string[]> | { instanceIds: string[] };

export interface PlaybookStepSpec {
  id: string;
  phase: PhaseId;
  title: string;
  /** The steps it waits for, each with its reason (hosts, variables, prerequisites, same-host order). */
  after: After;
  /** Playbook file at the bundle root, e.g. 'nfs.yml'. */
  playbook: string;
  /** Host roles the targets are (for the prerequisite model, src/steps/contracts.ts). */
  runsOn: readonly HostRole[];
  /** What the step leaves beyond its roles (e.g. keytabs minted for other hosts). */
  provides?: Partial<Record<Place, readonly string[]>>;
  /** Which nodes. Tag targets must include 'dpf:env' = the environment (never another env's nodes). */
  targets(ctx: StepContext): PlaybookTargets | Promise<PlaybookTargets>;
  /** ExtraVariables (see the module comment for what is refused). */
  extraVars(ctx: StepContext): Record<string, string> | Promise<Record<string, string>>;
  /** ETA in seconds. Default PLAYBOOK_ESTIMATE_SECONDS (300). */
  estimateSeconds?: number;
}

type NormalTargets = { kind: 'tags'; tags: Array<[string, string[]]> } | { kind: 'ids'; instanceIds: string[] };

interface PlaybookInputs {
  /** The state bucket (bundle, SSM output): read when prepared, so a step that cannot run yet is deferred, not failed. */
  bucket: string;
  bundle: Bundle;
  targets: NormalTargets;
  extraVariables: string;
}

const SECRET_NAME = /pass|secret|token|key$/i;
const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;
/** A reference, not a secret: a path-like name (Secrets Manager, SSM parameter, KMS alias), an RDS-managed secret name, a UUID key id. */
const REFERENCE = [/^\/?[A-Za-z0-9_.+=@!-]+(\/[A-Za-z0-9_.+=@!-]+)+$/, /^rds![a-z0-9-]+$/, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/];
/** The document's allowedPattern forbids whitespace and these (the separators of its syntax)... */
const DOCUMENT_FORBIDDEN = /[\s|:();&]/;
/** ...and shell quoting and Jinja templating. */
const DPF_FORBIDDEN = /["'`$\\{}<>]/;
/** The document's PlaybookFile pattern: no dots but the extension (no `..`). */
const PLAYBOOK_FILE = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\.ya?ml$/;

/**
 * Render ExtraVariables as `k=v k=v`, sorted by name; throws (naming the variable) when one
 * looks like a secret or would be refused by the document.
 */
export function renderExtraVariables(stepId: string, vars: Record<string, string>): string {
  const parts: string[] = [];
  for (const name of Object.keys(vars).sort()) {
    const value = vars[name];
    if (!/^\w+$/.test(name)) throw refuse(stepId, `variable name "${name}" is not a word (letters, digits, _)`);
    if (typeof value !== 'string') throw refuse(stepId, `${name} is not a string`);
    if (value === '') continue;
    if (SECRET_NAME.test(name) && !ARN.test(value) && !REFERENCE.some((r) => r.test(value)))
      throw new StepFailedError(
        stepId,
        `ExtraVariables: ${name} looks like a secret and its value is not an ARN or a secret/parameter name; dpf never sends secrets to the nodes.`,
        {
          source: 'user',
          hint: `Store the value in Secrets Manager (or SSM Parameter Store) and pass its name (e.g. ${name}=myproject/dev/thing), then read it on the node in a no_log task.`,
        },
      );
    const bad = DOCUMENT_FORBIDDEN.exec(value) ?? DPF_FORBIDDEN.exec(value);
    if (bad) {
      const ch = /\s/.test(bad[0]) ? 'whitespace' : `"${bad[0]}"`;
      throw new StepFailedError(
        stepId,
        `ExtraVariables: the value of ${name} contains ${ch}, which ${DOCUMENT_FORBIDDEN.test(bad[0]) ? `${PLAYBOOK_DOCUMENT} refuses` : `${PLAYBOOK_DOCUMENT} refuses (it is spliced into a shell command and templated by Ansible)`}.`,
        {
          source: 'user',
          hint: ARN.test(value)
            ? `ARNs contain ":", which the document never accepts: pass the resource's name instead (Secrets Manager and SSM accept names), or its parts in separate variables.`
            : `Pass a value without spaces or ${'|:();&"\'`$\\{}<>'} (e.g. comma-separated lists).`,
        },
      );
    }
    parts.push(`${name}=${value}`);
  }
  return parts.join(' ');
}

function refuse(stepId: string, what: string): StepFailedError {
  return new StepFailedError(stepId, `ExtraVariables: ${what}.`, { source: 'user' });
}

function normalizeTargets(stepId: string, env: string, t: PlaybookTargets): NormalTargets {
  const keys = Object.keys(t);
  if (keys.length === 1 && keys[0] === 'instanceIds') {
    const ids = [...new Set((t as { instanceIds: string[] }).instanceIds)].sort();
    if (!ids.length) throw new StepFailedError(stepId, `Step ${stepId} targets an empty list of instance ids.`);
    return { kind: 'ids', instanceIds: ids };
  }
  const tags = Object.entries(t as Record<string, string[]>)
    .map(([k, v]) => [k, [...new Set(v)].sort()] as [string, string[]])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const envTag = tags.find(([k]) => k === 'dpf:env');
  if (!envTag || envTag[1].length !== 1 || envTag[1][0] !== env)
    throw new StepFailedError(
      stepId,
      `Step ${stepId} must target tag dpf:env=${env} (and only it), so a playbook never reaches another environment's nodes; got ${describe({ kind: 'tags', tags })}.`,
    );
  if (tags.some(([, v]) => !v.length))
    throw new StepFailedError(stepId, `Step ${stepId} has a target tag with no values: ${describe({ kind: 'tags', tags })}.`);
  return { kind: 'tags', tags };
}

function describe(t: NormalTargets): string {
  return t.kind === 'ids' ? t.instanceIds.join(', ') : t.tags.map(([k, v]) => `tag ${k}=${v.join('|')}`).join(' and ');
}

/** Instances (running) the targets resolve to in EC2, with a label (their dpf:role or Name tag). */
async function resolveTargets(ec2: Ec2Port, t: NormalTargets): Promise<{ ids: string[]; labels: Record<string, string> }> {
  const filters: Record<string, string[]> = { 'instance-state-name': ['running'] };
  if (t.kind === 'ids') filters['instance-id'] = t.instanceIds;
  else for (const [k, v] of t.tags) filters[`tag:${k}`] = v;
  const found = await ec2.describeInstances(filters);
  const labels: Record<string, string> = {};
  for (const i of found) {
    const l = i.tags['dpf:role'] ?? i.tags.Name;
    if (l) labels[i.instanceId] = l;
  }
  return { ids: found.map((i) => i.instanceId).sort(), labels };
}

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

/** The environment's Ansible document: the compute stack's output, else its name by convention. */
export function ansibleDocumentName(ctx: Pick<StepContext, 'ledger' | 'envCtx'>): string {
  // An emulator may return an output empty: the name by convention then.
  return ctx.ledger.outputs('compute.stack').AnsibleDocumentName || playbookDocument(ctx.envCtx);
}

/** The parameters of dpf's Ansible document for one playbook run (deploy steps and dpf patch alike). */
export function ansibleDocumentParameters(o: {
  s3Url: string;
  playbook: string;
  extraVariables?: string;
  check: boolean;
  timeoutSeconds: number;
}): Record<string, string[]> {
  return {
    SourceType: ['S3'],
    SourceInfo: [JSON.stringify({ path: o.s3Url })],
    PlaybookFile: [o.playbook],
    ...(o.extraVariables ? { ExtraVariables: [o.extraVariables] } : {}),
    Check: [o.check ? 'True' : 'False'],
    Verbose: ['-v'],
    TimeoutSeconds: [String(o.timeoutSeconds)],
  };
}

export function playbookStep(spec: PlaybookStepSpec): StepDef {
  const estimate = spec.estimateSeconds ?? PLAYBOOK_ESTIMATE_SECONDS;

  const prepare = async (ctx: StepContext): Promise<Prepared> => {
    if (!PLAYBOOK_FILE.test(spec.playbook))
      throw new StepFailedError(spec.id, `Playbook name "${spec.playbook}" is not accepted by ${PLAYBOOK_DOCUMENT} (letters, digits, _-/ and .yml/.yaml).`);
    const bundle = buildBundle();
    if (!bundle.files.includes(spec.playbook))
      throw new StepFailedError(
        spec.id,
        `Playbook ${spec.playbook} is not in the Ansible bundle (${bundle.files.filter((f) => !f.includes('/') && /\.ya?ml$/.test(f)).join(', ')}).`,
      );
    const targets = normalizeTargets(spec.id, ctx.envCtx.name, await spec.targets(ctx));
    const extraVariables = renderExtraVariables(spec.id, await spec.extraVars(ctx));
    const bucket = ctx.output('bootstrap.state', 'StateBucketName');
    const inputHash = createHash('sha256')
      .update(JSON.stringify({ bundle: bundle.sha256, playbook: spec.playbook, targets, extraVariables }))
      .digest('hex');
    const data: PlaybookInputs = { bucket, bundle, targets, extraVariables };
    return { inputHash, estimateSeconds: estimate, data };
  };

  /** Upload, send, watch; `check` runs Ansible with --check and records nothing itself. */
  const execute = async (ctx: StepContext, prepared: Prepared, mode: 'run' | 'check') => {
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

    // A run left `running` by a dead process: watch its command instead of starting a second
    // Ansible run on the same nodes — by its id, or, when it died before learning the id, by the
    // marker it recorded before sending.
    let attachTo: string | undefined;
    let adoptMarker: { marker: string; since: Date } | undefined;
    const prev = ctx.previous;
    if (mode === 'run' && prev?.status === 'running' && prev.inputHash === prepared.inputHash) {
      if (typeof prev.evidence.commandId === 'string') {
        try {
          await ops.ssm.getCommand(prev.evidence.commandId);
          attachTo = prev.evidence.commandId;
        } catch {
          ctx.io.notify({
            type: 'warning',
            stepId: spec.id,
            message: `command ${prev.evidence.commandId} of the interrupted run is no longer known to SSM; sending the playbook again.`,
          });
        }
      } else if (typeof prev.evidence.sendMarker === 'string' && typeof prev.evidence.sendMarkerAt === 'string') {
        adoptMarker = { marker: prev.evidence.sendMarker, since: new Date(prev.evidence.sendMarkerAt) };
      }
    }

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
    const evidence = evidenceOf(run, { mode, bundle, bundleKey: up.key, targets, extraVariables, outputPrefix: `s3://${bucket}/${prefix}/` });
    return { run, evidence: { ...evidence, document: input.documentName, onlineWaitSeconds: online.unknown ? undefined : online.waitedSeconds } };
  };

  const evidenceOf = (
    run: CommandRun,
    x: { mode: 'run' | 'check'; bundle: Bundle; bundleKey: string; targets: NormalTargets; extraVariables: string; outputPrefix: string },
  ): Record<string, unknown> => ({
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
  });

  const failure = (run: CommandRun, targets: NormalTargets, maxErrors: string): StepFailedError => {
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
          run.waitTimedOut
            ? `dpf stopped waiting; the command may still be running: aws ssm list-command-invocations --command-id ${run.commandId}`
            : undefined,
        ]
          .filter(Boolean)
          .join('\n'),
      },
    );
  };

  return {
    id: spec.id,
    phase: spec.phase,
    title: spec.title,
    kind: 'playbook',
    dependsOn: Object.keys(spec.after),
    after: spec.after,
    contract: { runsOn: spec.runsOn, playbook: spec.playbook, provides: spec.provides },
    playbook: { file: spec.playbook, extraVars: spec.extraVars },
    prepare,
    staticEstimateSeconds: () => estimate,

    async run(ctx, prepared): Promise<StepResult> {
      const { targets } = prepared.data as PlaybookInputs;
      const { run, evidence } = await execute(ctx, prepared, 'run');
      if (!run.ok) {
        await ctx.evidence(evidence);
        throw failure(run, targets, ctx.envCtx.env.ssm.maxErrors);
      }
      const recaps = run.hosts.map((h) => parseRecap(h.tail));
      const changedHosts = recaps.filter((r) => r && r.changed > 0).length;
      // Without a recap we cannot tell: say changed.
      const changed = changedHosts > 0 || recaps.some((r) => !r);
      return {
        changed,
        evidence,
        summary: `${spec.playbook}: ${run.summary}${recaps.every(Boolean) ? `, changed on ${changedHosts}` : ''}`,
      };
    },

    /**
     * Ansible --check on the same targets. `changed` means "would change" (a host's recap
     * has changed > 0, or there is no recap to tell). Host failures are returned in the
     * result (evidence.ok false, summary "FAILED: …"), not thrown: in check mode a task often
     * fails only because an earlier task was not really applied.
     */
    async check(ctx, prepared): Promise<StepResult> {
      const { targets, bundle } = prepared.data as PlaybookInputs;
      // Ansible --check runs the bundle from the state bucket; uploading a new one would be a write.
      const bucket = ctx.output('bootstrap.state', 'StateBucketName');
      if (!(await (await ctx.aws.objects()).exists(bucket, bundleKey(bundle.sha256))))
        return {
          changed: true,
          evidence: { mode: 'check', checked: false, bundleHash: bundle.sha256, playbook: spec.playbook },
          summary: `${spec.playbook}: not checked — this version of the Ansible bundle (${bundle.sha256.slice(0, 12)}) is not in the state bucket yet and --check uploads nothing; the next dpf deploy uploads it and runs the playbook`,
        };
      const { run, evidence } = await execute(ctx, prepared, 'check');
      const recaps = run.hosts.map((h) => parseRecap(h.tail));
      const wouldChange = recaps.reduce((n, r) => n + (r?.changed ?? 0), 0);
      if (!run.ok) {
        const err = failure(run, targets, ctx.envCtx.env.ssm.maxErrors);
        return { changed: false, evidence: { ...evidence, ok: false, error: err.message, details: err.details }, summary: `FAILED: ${err.message}` };
      }
      const unknown = recaps.some((r) => !r);
      return {
        changed: wouldChange > 0 || unknown,
        evidence: { ...evidence, ok: true, wouldChange },
        summary: `${spec.playbook}: ${run.summary}; ${wouldChange ? `would change ${wouldChange} task(s)` : unknown ? 'changes unknown (no recap)' : 'no changes'}`,
      };
    },

    async verify(ctx, record: StepRecord) {
      const targets = normalizeTargets(spec.id, ctx.envCtx.name, await spec.targets(ctx));
      const recorded = record.evidence.instanceIds;
      if (!Array.isArray(recorded)) return { ok: false, reason: 'the ledger has no host list for it' };
      const { ec2 } = await ctx.aws.ops();
      const now = (await resolveTargets(ec2, targets)).ids;
      const added = now.filter((id) => !recorded.includes(id));
      // Instances that went away (scale-in) need nothing; new ones were never configured.
      if (added.length) return { ok: false, reason: `new instance(s) ${added.join(', ')}` };
      return { ok: true };
    },
  };
}
