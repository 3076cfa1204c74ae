/** What a playbook step is given: its spec, its targets and ExtraVariables, checked (see src/steps/kinds/playbook.ts). */
import type { After, PhaseId, StepContext } from '../../types.js';
import type { Ec2Port } from '../../../aws/ops-ports.js';
import type { Bundle } from '../../../ansible/bundle.js';
import { StepFailedError } from '../../../errors.js';
import type { HostRole, Place } from '../../contracts.js';
import { PLAYBOOK_DOCUMENT } from './document.js';

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

export type NormalTargets = { kind: 'tags'; tags: Array<[string, string[]]> } | { kind: 'ids'; instanceIds: string[] };

export interface PlaybookInputs {
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
export const PLAYBOOK_FILE = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\.ya?ml$/;

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

export function normalizeTargets(stepId: string, env: string, t: PlaybookTargets): NormalTargets {
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

export function describe(t: NormalTargets): string {
  return t.kind === 'ids' ? t.instanceIds.join(', ') : t.tags.map(([k, v]) => `tag ${k}=${v.join('|')}`).join(' and ');
}

/** Instances (running) the targets resolve to in EC2, with a label (their dpf:role or Name tag). */
export async function resolveTargets(ec2: Ec2Port, t: NormalTargets): Promise<{ ids: string[]; labels: Record<string, string> }> {
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
