/**
 * A saved plan: `dpf plan --out plan.json` keeps every change set it could compute and records
 * what each was computed from; `dpf deploy --plan plan.json` executes exactly those change sets
 * after one approval — or refuses, before executing anything, when AWS or the inputs moved since
 * (exit 8, naming the stack). The approval that fits a long deployment: review once (in a pull
 * request, with the security-widening changes listed), apply what was reviewed.
 *
 * Drift means any of: the environment, region or account differ; a step's inputs (template,
 * parameters, tags) hash differently now; the stack's status or last-update time changed; the
 * saved change set is no longer executable (CloudFormation makes it OBSOLETE when the stack is
 * updated by anything else). A run of the same plan that was interrupted is not drift: the
 * ledger names the saved change set it executed, and the rerun carries on from there.
 */
import { readFile } from 'node:fs/promises';
import type { CloudFormationPort } from '../aws/cloudformation.js';
import type { Plan, PlannedStep } from './planner.js';
import type { PlannedChangeSet, StepDef } from './types.js';
import { BlockedError, UserError, errorMessage } from '../errors.js';

export const PLAN_FORMAT = 'dpf-plan/1';

export interface SavedPlan extends Plan {
  format: typeof PLAN_FORMAT;
  project: string;
  env: string;
  region: string;
  accountId: string;
  createdAt: string;
  createdBy: string;
  /** The phases planned (all when absent). */
  phases?: string[];
}

/** The steps a saved plan executes: those with a kept change set. */
export function plannedSteps(plan: SavedPlan): Array<PlannedStep & { changeSet: NonNullable<PlannedStep['changeSet']> }> {
  return plan.steps.filter((s): s is PlannedStep & { changeSet: NonNullable<PlannedStep['changeSet']> } => s.action === 'run' && Boolean(s.changeSet));
}

export async function readPlan(file: string): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError('PlanUnreadable', `Cannot read the plan ${file}: ${errorMessage(err)}`, { hint: 'Make one with: dpf plan --env ENV --out plan.json' });
  }
  let plan: SavedPlan;
  try {
    plan = JSON.parse(text) as SavedPlan;
  } catch (err) {
    throw new UserError('PlanInvalid', `${file} is not JSON: ${errorMessage(err)}`, { hint: 'Make a new one with: dpf plan --env ENV --out plan.json' });
  }
  if (plan?.format !== PLAN_FORMAT || !Array.isArray(plan.steps))
    throw new UserError('PlanInvalid', `${file} is not a dpf plan (format "${String(plan?.format)}", expected "${PLAN_FORMAT}").`, {
      hint: 'Make one with: dpf plan --env ENV --out plan.json',
    });
  return plan;
}

export interface PlanCheckContext {
  env: string;
  region: string;
  accountId: string;
  cfn: CloudFormationPort;
  /** A step's current inputs (prepare), to compare with the plan's hash. */
  prepare(step: StepDef): Promise<{ inputHash: string }>;
  /** The ledger's record of a step (a planned step already done by another run is drift too). */
  statusOf(stepId: string): string | undefined;
  /** The change set the ledger records for a step (evidence.changeSetName, written before ExecuteChangeSet). */
  changeSetOf?(stepId: string): string | undefined;
}

/**
 * Every reason the plan can no longer be applied as reviewed, one line per stack; empty when it
 * can. Read-only: nothing is executed or deleted.
 */
export async function planDrift(plan: SavedPlan, file: string, steps: StepDef[], c: PlanCheckContext): Promise<string[]> {
  if (plan.env !== c.env) return [`${file} is a plan for environment "${plan.env}", not "${c.env}"`];
  if (plan.region !== c.region) return [`${file} was made in region ${plan.region}; this run is in ${c.region}`];
  if (plan.accountId !== c.accountId) return [`${file} was made in account ${plan.accountId}; the credentials are for ${c.accountId}`];
  const byId = new Map(steps.map((s) => [s.id, s]));
  const problems: string[] = [];
  let appliedByThisPlan = 0;
  for (const p of plannedSteps(plan)) {
    const cs = p.changeSet;
    const step = byId.get(p.id);
    const name = `${p.id} (stack ${cs.stackName})`;
    if (!step) {
      problems.push(`${name}: this version of dpf has no such step`);
      continue;
    }
    // A run of this very plan that was interrupted recorded the saved change set before executing it:
    // done, the step is skipped; running, the deployer watches it to the end (or refuses). Not drift.
    const ownRun = c.changeSetOf?.(p.id) === cs.changeSetName;
    if (c.statusOf(p.id) === 'done' && p.status !== 'done') {
      if (ownRun) appliedByThisPlan++;
      else problems.push(`${name}: another run has deployed it since the plan was made`);
      continue;
    }
    try {
      const now = await c.prepare(step);
      if (now.inputHash !== p.inputHash) problems.push(`${name}: its inputs (template, parameters or tags) changed since the plan was made`);
    } catch (err) {
      problems.push(`${name}: its inputs cannot be computed now (${errorMessage(err)})`);
      continue;
    }
    if (ownRun && c.statusOf(p.id) === 'running') continue;
    const stack = await c.cfn.describeStack(cs.stackName);
    const expected = cs.changeSetType === 'CREATE' ? 'REVIEW_IN_PROGRESS' : cs.stackStatus;
    if (!stack) problems.push(`${name}: the stack is gone (it was ${expected ?? 'present'} when the plan was made)`);
    else if (stack.status !== expected) problems.push(`${name}: the stack is ${stack.status}; it was ${expected} when the plan was made`);
    else if (cs.changeSetType === 'UPDATE' && cs.stackLastUpdated && stack.lastUpdated?.toISOString() !== cs.stackLastUpdated)
      problems.push(`${name}: the stack was updated at ${stack.lastUpdated?.toISOString() ?? '?'}, after the plan (${cs.stackLastUpdated})`);
    else {
      const set = await c.cfn.describeChangeSet(cs.stackName, cs.changeSetName).catch(() => undefined);
      if (!set) problems.push(`${name}: the saved change set ${cs.changeSetName} no longer exists`);
      else if (set.status !== 'CREATE_COMPLETE' || (set.executionStatus !== undefined && set.executionStatus !== 'AVAILABLE'))
        problems.push(`${name}: the saved change set is ${set.status}${set.executionStatus ? `/${set.executionStatus}` : ''}, not executable`);
    }
  }
  // A plan is applied once: all of it done already is not something to carry on with.
  if (appliedByThisPlan > 0 && appliedByThisPlan === plannedSteps(plan).length)
    problems.push(`${file} was applied already: each of its ${appliedByThisPlan} change set(s) has been executed`);
  return problems;
}

export function planDriftError(file: string, problems: string[]): BlockedError {
  const err = new BlockedError(
    `AWS or the inputs drifted from the plan ${file}; nothing was executed.`,
    `Make a new plan, review it, then apply it: dpf plan --out ${file} && dpf deploy --plan ${file}`,
  );
  (err.details as string[]).push(...problems);
  return err;
}

/** The saved change set of each planned step, as the engine takes them. */
export function plannedChangeSets(plan: SavedPlan): Record<string, PlannedChangeSet> {
  return Object.fromEntries(
    plannedSteps(plan).map((p) => [
      p.id,
      { stackName: p.changeSet.stackName, changeSetName: p.changeSet.changeSetName, changeSetType: p.changeSet.changeSetType },
    ]),
  );
}
