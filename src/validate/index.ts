/**
 * The semantic check tier: every rule, and running them for one environment of a config.
 * `dpf validate` prints the verdicts; the tests run them on the bundled templates for a dev
 * and a prod config. Each rule lives in rules/<id>.ts.
 */
import type { DpfConfig } from '../config/schema.js';
import { semanticInput } from './environment.js';
import { verdictOf, type Rule, type RuleVerdict, type SemanticInput } from './types.js';
import { uniquePhysicalNames } from './rules/unique-physical-names.js';
import { nameLimits } from './rules/name-limits.js';
import { retainExceptOnCreate } from './rules/retain-except-on-create.js';
import { retainedDataKeepsItsKey } from './rules/retained-data-keeps-its-key.js';
import { alarmMetricsProduced } from './rules/alarm-metrics-produced.js';
import { eventSources } from './rules/event-sources.js';
import { kmsServiceAccess } from './rules/kms-service-access.js';
import { productionDefaults } from './rules/production-defaults.js';
import { backupCoverage } from './rules/backup-coverage.js';
import { seedTags } from './rules/seed-tags.js';
import { snapshotBeforeChange } from './rules/snapshot-before-change.js';

export const RULES: readonly Rule[] = [
  uniquePhysicalNames,
  nameLimits,
  retainExceptOnCreate,
  retainedDataKeepsItsKey,
  alarmMetricsProduced,
  eventSources,
  kmsServiceAccess,
  productionDefaults,
  backupCoverage,
  seedTags,
  snapshotBeforeChange,
];

/** Run every rule on a rendered environment; a rule that throws fails with the error as its finding. */
export function runRules(input: SemanticInput, rules: readonly Rule[] = RULES): RuleVerdict[] {
  return rules.map((rule) => {
    try {
      return verdictOf(rule, rule.check(input));
    } catch (err) {
      return verdictOf(rule, [{ severity: 'error', subject: rule.id, message: `the rule could not run: ${(err as Error).message}` }]);
    }
  });
}

export interface EnvironmentVerdicts {
  env: string;
  verdicts: RuleVerdict[];
}

/** Render an environment offline and run every rule on it. */
export async function checkEnvironment(config: DpfConfig, envName: string): Promise<EnvironmentVerdicts> {
  return { env: envName, verdicts: runRules(await semanticInput(config, envName)) };
}

export type { Rule, RuleVerdict, Finding, SemanticInput, RenderedEnvironment } from './types.js';
