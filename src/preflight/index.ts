/**
 * The account preflight: `dpf doctor` runs all of it; `dpf deploy` runs the blocking part before
 * its first change set and stops (exit 8) when a blocking check fails. Checks that the endpoint
 * cannot answer say "unknown" with the reason; unknown never blocks and never counts as a pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AwsPorts } from '../aws/ports.js';
import { partitionOf } from '../aws/partitions.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { LedgerData } from '../state/ledger.js';
import { staleReason } from '../state/lock.js';
import { ledgerKey } from '../state/store.js';
import { derivedNames } from '../config/normalise.js';
import type { LeaseStore } from '../aws/ports.js';
import type { ProcessInfo } from '../settings.js';
import { PACKAGE_ROOT } from '../templates/registry.js';
import { BlockedError, errorMessage } from '../errors.js';
import {
  check,
  type Outcome,
  cloudTrailCheck,
  ebsDefaultKeyCheck,
  marketplaceCheck,
  offeringsCheck,
  permissionsCheck,
  platformImageCheck,
  zonesCheck,
  type AccountContext,
  type PreflightResult,
} from './checks.js';
import { quotaChecks } from './quotas.js';
import { pendingPhases, phasesToCreate } from './needs.js';

export type { PreflightResult, PreflightStatus } from './checks.js';

export interface PreflightOptions {
  project: string;
  envName: string;
  env: EnvironmentConfig;
  region: string;
  aws: AwsPorts;
  ledger: LedgerData;
  /** The custom endpoint in use (an emulator), for the endpoint line. */
  endpoint?: string;
  /** Only the phases this run deploys (dpf deploy --phase); default all. */
  phases?: readonly string[];
  /** Doctor only: the local lock (and this process, to judge its holder), and the linters' folder. */
  local?: { lockStore: Pick<LeaseStore, 'read'>; process: ProcessInfo; venvBin: string; now: Date };
  /** Time budget per AWS question. Default 20 s. */
  timeoutMs?: number;
  /**
   * dpf deploy: only the checks that can block this run (a later phase's image subscription or
   * trail is `dpf doctor`'s business; each is a few AWS reads on every first deploy). Default
   * false: every check, blocking or not (doctor).
   */
  blockingOnly?: boolean;
}

function operatorActionsFile(root: string): { actions: string[]; direct: string[] } {
  const file = path.join(root, 'docs', 'iam', 'dpf-operator-actions.json');
  if (!existsSync(file)) throw new Error(`${file} is missing (node scripts/iam-policy.mjs generates it)`);
  return JSON.parse(readFileSync(file, 'utf8')) as { actions: string[]; direct: string[] };
}

/** The IAM actions of the operator policy (docs/iam/dpf-operator-actions.json, generated; see src/iam/). */
export function operatorActions(root = PACKAGE_ROOT): string[] {
  return operatorActionsFile(root).actions;
}

/** The actions dpf's own calls need (the others are CloudFormation's handler permissions). */
export function directOperatorActions(root = PACKAGE_ROOT): Set<string> {
  return new Set(operatorActionsFile(root).direct);
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

export async function runPreflight(o: PreflightOptions): Promise<PreflightResult[]> {
  const ms = o.timeoutMs ?? 20000;
  const results: PreflightResult[] = [];
  const add = (r: PreflightResult[]) => results.push(...r);
  add([
    {
      id: 'endpoint',
      check: 'endpoint',
      status: 'pass',
      blocking: false,
      detail: o.endpoint ? `custom endpoint ${o.endpoint} (an emulator?)` : `AWS ${o.region}`,
    },
  ]);

  const { account, callerArn, results: credentials } = await credentialChecks(o, ms);
  add(credentials);
  if (account) add(await accountChecks(o, account, callerArn, ms));
  if (o.local) {
    if (account) add(await stateBackendCheck(o, account, ms));
    add(await localChecks(o.local, o.envName));
  }
  return results;
}

/** Who the credentials are, and whether that is the account the config pins. */
async function credentialChecks(o: PreflightOptions, ms: number): Promise<{ account?: string; callerArn: string; results: PreflightResult[] }> {
  const results: PreflightResult[] = [];
  const add = (r: PreflightResult[]) => results.push(...r);
  let account: string | undefined;
  let callerArn = '';
  try {
    const who = await within((await o.aws.identity()).whoami(), ms);
    account = who.account;
    callerArn = who.arn;
    add([{ id: 'credentials', check: 'credentials', status: 'pass', blocking: true, detail: `${who.arn} (account ${who.account})` }]);
    if (o.env.accountId && o.env.accountId !== who.account)
      add([
        {
          id: 'account-pin',
          check: 'account pin',
          status: 'fail',
          blocking: true,
          detail: `credentials are for ${who.account}, the config pins ${o.env.accountId}`,
          hint: 'Use the right --profile.',
        },
      ]);
    else
      add([
        {
          id: 'account-pin',
          check: 'account pin',
          status: o.env.accountId ? 'pass' : 'warn',
          blocking: true,
          detail: o.env.accountId ? `pinned to ${o.env.accountId}` : 'no accountId in the config',
          hint: o.env.accountId ? undefined : `Add accountId: "${who.account}" under environments.${o.envName} so a wrong profile cannot deploy elsewhere.`,
        },
      ]);
  } catch (err) {
    add([
      {
        id: 'credentials',
        check: 'credentials',
        status: 'fail',
        blocking: true,
        detail: errorMessage(err),
        hint: 'Set AWS_PROFILE/--profile or run aws sso login.',
      },
    ]);
  }
  return { account, callerArn, results };
}

/** The account checks (zones, images, quotas, permissions…), each blocking only where this run needs it. */
async function accountChecks(o: PreflightOptions, account: string, callerArn: string, ms: number): Promise<PreflightResult[]> {
  const results: PreflightResult[] = [];
  const add = (r: PreflightResult[]) => results.push(...r);
  const status = (id: string) => o.ledger.steps[id]?.status;
  const pending = pendingPhases(status, o.phases);
  if (status('monitoring.stack') !== 'done' && (!o.phases || o.phases.includes('monitoring'))) pending.add('monitoring');
  const ctx: AccountContext = {
    envName: o.envName,
    env: o.env,
    region: o.region,
    account,
    partition: partitionOf(o.region).name ?? 'aws',
    pending,
    toCreate: phasesToCreate(pending, (id) => o.ledger.steps[id]?.evidence.stackId),
    outputs: (id) => o.ledger.steps[id]?.outputs ?? {},
    preflight: await o.aws.preflight(),
    ops: await o.aws.ops(),
    operatorActions: operatorActions(),
    directActions: directOperatorActions(),
    callerArn,
  };
  const run = async (id: string, title: string, blocking: boolean, f: () => Promise<Outcome | Outcome[]>) =>
    blocking || !o.blockingOnly ? check(id, title, blocking, () => within(f(), ms)) : [];
  // Asked at once (each check is one to three reads; the run waits for the slowest, not the sum), listed in this order.
  const checks = await Promise.all([
    run('availability-zones', 'availability zones', pending.has('network'), () => zonesCheck(ctx)),
    run('platform-image', 'Amazon Linux AMI', pending.has('compute'), () => platformImageCheck(ctx)),
    run('ebs-default-key', 'default EBS key', pending.has('compute'), () => ebsDefaultKeyCheck(ctx)),
    o.env.identity.provider === 'freeipa' ? run('marketplace', 'FreeIPA image subscription', pending.has('identity'), () => marketplaceCheck(ctx)) : [],
    run('quotas', 'quotas', true, () => quotaChecks(ctx)),
    run('instance-offerings', 'instance types in the zones', true, () => offeringsCheck(ctx)),
    run('cloudtrail', 'CloudTrail', pending.has('monitoring') && o.env.monitoring.cloudTrail === 'create', () => cloudTrailCheck(ctx)),
    run('permissions', 'permissions', true, () => permissionsCheck(ctx)),
  ]);
  for (const c of checks) add(c);
  return results;
}

/** Whether the ledger is in the state bucket (doctor only). */
async function stateBackendCheck(o: PreflightOptions, account: string, ms: number): Promise<PreflightResult[]> {
  const results: PreflightResult[] = [];
  const add = (r: PreflightResult[]) => results.push(...r);
  const n = derivedNames({ project: o.project, name: o.envName, accountId: account });
  if (o.ledger.steps['bootstrap.state']?.status === 'done') {
    try {
      const exists = await within((await o.aws.objects()).getText(n.stateBucket, ledgerKey(o.envName)), ms);
      add([
        exists !== undefined
          ? { id: 'state-backend', check: 'state backend', status: 'pass', blocking: false, detail: `s3://${n.stateBucket}, table ${n.lockTable}` }
          : {
              id: 'state-backend',
              check: 'state backend',
              status: 'warn',
              blocking: false,
              detail: `the ledger is not in s3://${n.stateBucket} yet`,
              hint: 'The next deploy mirrors it.',
            },
      ]);
    } catch (err) {
      add([
        {
          id: 'state-backend',
          check: 'state backend',
          status: 'fail',
          blocking: false,
          detail: `s3://${n.stateBucket}: ${errorMessage(err)}`,
          hint: 'Was the bootstrap stack deleted? dpf deploy --phase bootstrap recreates it.',
        },
      ]);
    }
  } else
    add([
      {
        id: 'state-backend',
        check: 'state backend',
        status: 'warn',
        blocking: false,
        detail: 'bootstrap not run yet',
        hint: `dpf deploy --env ${o.envName} --phase bootstrap`,
      },
    ]);
  return results;
}

/** The local lock and linters (doctor only). */
async function localChecks(local: NonNullable<PreflightOptions['local']>, envName: string): Promise<PreflightResult[]> {
  const results: PreflightResult[] = [];
  const add = (r: PreflightResult[]) => results.push(...r);
  const lock = await local.lockStore.read();
  const stale = lock ? staleReason(lock, local.now, local.process) : undefined;
  add([
    lock
      ? {
          id: 'lock',
          check: 'lock',
          status: stale ? 'warn' : 'pass',
          blocking: false,
          detail: `held by ${lock.identity} (${lock.command}) since ${lock.since}${stale ? ' — stale' : ''}`,
          hint: stale ? `dpf unlock --env ${envName}` : undefined,
        }
      : { id: 'lock', check: 'lock', status: 'pass', blocking: false, detail: 'free' },
  ]);
  const tools = ['cfn-lint', 'checkov', 'ansible-lint', 'ansible-playbook'].filter((t) => !existsSync(path.join(local.venvBin, t)));
  add([
    tools.length
      ? {
          id: 'local-linters',
          check: 'local linters',
          status: 'warn',
          blocking: false,
          detail: `missing: ${tools.join(', ')}`,
          hint: 'bash tools/setup.sh installs them (needed by dpf validate only).',
        }
      : { id: 'local-linters', check: 'local linters', status: 'pass', blocking: false, detail: 'cfn-lint, checkov, ansible-lint, ansible-playbook' },
  ]);
  return results;
}

/** The blocking failures, if any: `dpf deploy` stops before its first change set (exit 8). */
export function blockingFailures(results: PreflightResult[]): PreflightResult[] {
  return results.filter((r) => r.blocking && r.status === 'fail');
}

export function preflightBlocked(results: PreflightResult[], envName: string): BlockedError | undefined {
  const failed = blockingFailures(results);
  if (!failed.length) return undefined;
  return new BlockedError(
    `The account preflight found ${failed.length} blocking problem(s); nothing was changed:\n${failed.map((f) => `  ✖ ${f.check}: ${f.detail}${f.hint ? `\n    → ${f.hint}` : ''}`).join('\n')}`,
    `Fix them and deploy again (dpf doctor --env ${envName} shows every check; --skip-preflight deploys anyway).`,
  );
}
