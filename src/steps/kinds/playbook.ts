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
import type { Prepared, StepContext, StepDef, StepResult } from '../types.js';
import type { StepRecord } from '../../state/ledger.js';
import { buildBundle, bundleKey } from '../../ansible/bundle.js';
import { StepFailedError } from '../../errors.js';
import { PLAYBOOK_DOCUMENT } from './playbook/document.js';
import { PLAYBOOK_FILE, normalizeTargets, renderExtraVariables, resolveTargets, type PlaybookInputs, type PlaybookStepSpec } from './playbook/inputs.js';
import { executePlaybook, parseRecap, playbookFailure } from './playbook/execute.js';

export { playbookDocument, PLAYBOOK_DOCUMENT, ansibleDocumentName, ansibleDocumentParameters } from './playbook/document.js';
export { renderExtraVariables, type PlaybookStepSpec, type PlaybookTargets } from './playbook/inputs.js';
export { parseRecap } from './playbook/execute.js';

/**
 * Outputs every playbook step reads besides its variables and targets (in prepare and execute):
 * the state bucket for the bundle and the SSM output, the compute stack's document. Their steps are edges of every
 * playbook step (src/steps/phases.ts adds them with these reasons).
 */
export const PLAYBOOK_RUN_READS = { 'bootstrap.state': ['StateBucketName'], 'compute.stack': ['AnsibleDocumentName'] } as const;
/** Typical wall time of one playbook on a fleet (dependency install + roles), for the ETA. */
export const PLAYBOOK_ESTIMATE_SECONDS = 300;

/** Check the playbook and its inputs, and hash them (rate control is left out: see the module comment). */
async function preparePlaybook(spec: PlaybookStepSpec, ctx: StepContext): Promise<Prepared> {
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
  return { inputHash, estimateSeconds: spec.estimateSeconds ?? PLAYBOOK_ESTIMATE_SECONDS, data };
}

async function runPlaybook(spec: PlaybookStepSpec, ctx: StepContext, prepared: Prepared): Promise<StepResult> {
  const { targets } = prepared.data as PlaybookInputs;
  const { run, evidence } = await executePlaybook(spec, ctx, prepared, 'run');
  if (!run.ok) {
    await ctx.evidence(evidence);
    throw playbookFailure(spec, run, targets, ctx.envCtx.env.ssm.maxErrors);
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
}

/**
 * Ansible --check on the same targets. `changed` means "would change" (a host's recap
 * has changed > 0, or there is no recap to tell). Host failures are returned in the
 * result (evidence.ok false, summary "FAILED: …"), not thrown: in check mode a task often
 * fails only because an earlier task was not really applied.
 */
async function checkPlaybook(spec: PlaybookStepSpec, ctx: StepContext, prepared: Prepared): Promise<StepResult> {
  const { targets, bundle } = prepared.data as PlaybookInputs;
  // Ansible --check runs the bundle from the state bucket; uploading a new one would be a write.
  const bucket = ctx.output('bootstrap.state', 'StateBucketName');
  if (!(await (await ctx.aws.objects()).exists(bucket, bundleKey(bundle.sha256))))
    return {
      changed: true,
      evidence: { mode: 'check', checked: false, bundleHash: bundle.sha256, playbook: spec.playbook },
      summary: `${spec.playbook}: not checked — this version of the Ansible bundle (${bundle.sha256.slice(0, 12)}) is not in the state bucket yet and --check uploads nothing; the next dpf deploy uploads it and runs the playbook`,
    };
  const { run, evidence } = await executePlaybook(spec, ctx, prepared, 'check');
  const recaps = run.hosts.map((h) => parseRecap(h.tail));
  const wouldChange = recaps.reduce((n, r) => n + (r?.changed ?? 0), 0);
  if (!run.ok) {
    const err = playbookFailure(spec, run, targets, ctx.envCtx.env.ssm.maxErrors);
    return { changed: false, evidence: { ...evidence, ok: false, error: err.message, details: err.details }, summary: `FAILED: ${err.message}` };
  }
  const unknown = recaps.some((r) => !r);
  return {
    changed: wouldChange > 0 || unknown,
    evidence: { ...evidence, ok: true, wouldChange },
    summary: `${spec.playbook}: ${run.summary}; ${wouldChange ? `would change ${wouldChange} task(s)` : unknown ? 'changes unknown (no recap)' : 'no changes'}`,
  };
}

async function verifyPlaybook(spec: PlaybookStepSpec, ctx: StepContext, record: StepRecord): Promise<{ ok: boolean; reason?: string }> {
  const targets = normalizeTargets(spec.id, ctx.envCtx.name, await spec.targets(ctx));
  const recorded = record.evidence.instanceIds;
  if (!Array.isArray(recorded)) return { ok: false, reason: 'the ledger has no host list for it' };
  const { ec2 } = await ctx.aws.ops();
  const now = (await resolveTargets(ec2, targets)).ids;
  const added = now.filter((id) => !recorded.includes(id));
  // Instances that went away (scale-in) need nothing; new ones were never configured.
  if (added.length) return { ok: false, reason: `new instance(s) ${added.join(', ')}` };
  return { ok: true };
}

export function playbookStep(spec: PlaybookStepSpec): StepDef {
  const estimate = spec.estimateSeconds ?? PLAYBOOK_ESTIMATE_SECONDS;
  return {
    id: spec.id,
    phase: spec.phase,
    title: spec.title,
    kind: 'playbook',
    dependsOn: Object.keys(spec.after),
    after: spec.after,
    contract: { runsOn: spec.runsOn, playbook: spec.playbook, provides: spec.provides },
    playbook: { file: spec.playbook, extraVars: spec.extraVars },
    prepare: (ctx) => preparePlaybook(spec, ctx),
    staticEstimateSeconds: () => estimate,
    run: (ctx, prepared) => runPlaybook(spec, ctx, prepared),
    check: (ctx, prepared) => checkPlaybook(spec, ctx, prepared),
    verify: (ctx, record) => verifyPlaybook(spec, ctx, record),
  };
}
