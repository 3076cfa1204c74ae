/**
 * dpf doctor: preflight against the account before (or during) a deployment — credentials,
 * account pin, region and zones, the AMIs the templates will use, the state backend, the
 * lock, and the local tools. Read-only; each check says pass, warn or fail and what to do.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { loadConfig, selectEnv } from '../config/load.js';
import { Ledger } from '../state/ledger.js';
import { FileLeaseStore, localLockPath, staleReason } from '../state/lock.js';
import { names } from '../steps/phases.js';
import { PACKAGE_ROOT } from '../templates/registry.js';
import { DpfError, ExitCode, errorMessage } from '../errors.js';
import { makeChalk } from '../ui/format.js';

interface Check {
  check: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  hint?: string;
}

async function timed<T>(p: Promise<T>, ms = 10000): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`no answer within ${ms / 1000}s`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

export async function runDoctor(_opts: Record<string, never>, ctx: CommandContext): Promise<void> {
  const loaded = await loadConfig(ctx.globals.config);
  const { name: envName, env } = selectEnv(loaded, ctx.globals.env, ctx.globals.region);
  const region = ctx.globals.region ?? env.region;
  const aws = ctx.aws(region);
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);

  add({ check: 'endpoint', status: 'pass', detail: process.env.AWS_ENDPOINT_URL ? `custom endpoint ${process.env.AWS_ENDPOINT_URL} (an emulator?)` : `AWS ${region}` });
  let account: string | undefined;
  try {
    const who = await timed((await aws.identity()).whoami());
    account = who.account;
    add({ check: 'credentials', status: 'pass', detail: `${who.arn} (account ${who.account})` });
    if (env.accountId && env.accountId !== who.account)
      add({ check: 'account pin', status: 'fail', detail: `credentials are for ${who.account}, the config pins ${env.accountId}`, hint: 'Use the right --profile.' });
    else add({ check: 'account pin', status: env.accountId ? 'pass' : 'warn', detail: env.accountId ? `pinned to ${env.accountId}` : 'no accountId in the config', hint: env.accountId ? undefined : `Add accountId: "${who.account}" under environments.${envName} so a wrong profile cannot deploy elsewhere.` });
  } catch (err) {
    add({ check: 'credentials', status: 'fail', detail: errorMessage(err), hint: 'Set AWS_PROFILE/--profile or run aws sso login.' });
  }
  if (account) {
    const ops = await aws.ops();
    try {
      const zones = await timed(ops.ec2.describeAvailabilityZones());
      const missing = env.availabilityZones.filter((z) => !zones.includes(z));
      add(missing.length ? { check: 'availability zones', status: 'fail', detail: `${missing.join(', ')} not offered in ${region} (offered: ${zones.join(', ')})`, hint: 'Fix availabilityZones in the config.' } : { check: 'availability zones', status: 'pass', detail: env.availabilityZones.join(', ') });
    } catch (err) {
      add({ check: 'availability zones', status: 'warn', detail: `could not list zones: ${errorMessage(err)}` });
    }
    try {
      const ami = env.compute.imageParameter.startsWith('ami-') ? env.compute.imageParameter : await timed(ops.ssm.getParameter(env.compute.imageParameter));
      add(ami ? { check: 'Amazon Linux AMI', status: 'pass', detail: `${env.compute.imageParameter} → ${ami}` } : { check: 'Amazon Linux AMI', status: 'fail', detail: `${env.compute.imageParameter} does not resolve in ${region}`, hint: 'Set compute.imageParameter to an SSM public parameter or an AMI id.' });
    } catch (err) {
      add({ check: 'Amazon Linux AMI', status: 'warn', detail: `could not resolve ${env.compute.imageParameter}: ${errorMessage(err)}` });
    }
    if (env.identity.provider === 'freeipa')
      add(env.identity.imageId.startsWith('ami-') ? { check: 'FreeIPA AMI', status: 'pass', detail: env.identity.imageId } : { check: 'FreeIPA AMI', status: 'warn', detail: `identity.imageId is ${env.identity.imageId}`, hint: 'Set identity.imageId to a Rocky/Alma Linux 9 AMI of your region before the identity phase (Marketplace AMIs need a subscription).' });
    const n = names({ project: loaded.config.project, name: envName, accountId: account });
    const ledger = await Ledger.open(Ledger.localPath(loaded.dir, envName), loaded.config.project, envName, ctx.clock.now());
    const boot = ledger.get('bootstrap.state');
    if (boot?.status === 'done') {
      try {
        const exists = await timed((await aws.objects()).getText(n.stateBucket, `ledger/${envName}/ledger.json`));
        add(exists !== undefined ? { check: 'state backend', status: 'pass', detail: `s3://${n.stateBucket}, table ${n.lockTable}` } : { check: 'state backend', status: 'warn', detail: `the ledger is not in s3://${n.stateBucket} yet`, hint: 'The next deploy mirrors it.' });
      } catch (err) {
        add({ check: 'state backend', status: 'fail', detail: `s3://${n.stateBucket}: ${errorMessage(err)}`, hint: 'Was the bootstrap stack deleted? dpf deploy --phase bootstrap recreates it.' });
      }
    } else add({ check: 'state backend', status: 'warn', detail: 'bootstrap not run yet', hint: `dpf deploy --env ${envName} --phase bootstrap` });
  }
  const lock = await new FileLeaseStore(localLockPath(loaded.dir, envName)).read();
  add(lock ? { check: 'lock', status: staleReason(lock, ctx.clock.now()) ? 'warn' : 'pass', detail: `held by ${lock.identity} (${lock.command}) since ${lock.since}${staleReason(lock, ctx.clock.now()) ? ' — stale' : ''}`, hint: staleReason(lock, ctx.clock.now()) ? `dpf unlock --env ${envName}` : undefined } : { check: 'lock', status: 'pass', detail: 'free' });
  const venv = path.join(PACKAGE_ROOT, '.venv', 'bin');
  const tools = ['cfn-lint', 'checkov', 'ansible-lint', 'ansible-playbook'].filter((t) => !existsSync(path.join(venv, t)));
  add(tools.length ? { check: 'local linters', status: 'warn', detail: `missing: ${tools.join(', ')}`, hint: 'bash tools/setup.sh installs them (needed by dpf validate only).' } : { check: 'local linters', status: 'pass', detail: 'cfn-lint, checkov, ansible-lint, ansible-playbook' });

  if (ctx.globals.json) ctx.stdout(JSON.stringify({ env: envName, region, checks }, null, 2));
  else {
    const c = makeChalk(ctx.globals.color);
    for (const k of checks) {
      const mark = k.status === 'pass' ? c.green('✔') : k.status === 'warn' ? c.yellow('⚠') : c.red('✖');
      ctx.stdout(`${mark} ${k.check.padEnd(20)} ${k.detail}${k.hint ? c.dim(`\n  → ${k.hint}`) : ''}`);
    }
  }
  const failed = checks.filter((k) => k.status === 'fail');
  if (failed.length) throw new DpfError('PreflightFailed', `${failed.length} preflight check(s) failed: ${failed.map((f) => f.check).join(', ')}.`, failed.some((f) => f.check === 'credentials' || f.check === 'account pin') ? ExitCode.AwsAccess : ExitCode.StepFailed, { source: 'user' });
}
