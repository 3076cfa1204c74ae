/**
 * The foundation's commands (init, deploy, status, unlock), each lazily importing its module so
 * that registering them loads no command code and no AWS SDK.
 */
import { Option, type Command } from 'commander';
import { PHASES } from '../steps/types.js';
import type { MakeContext } from './index.js';
import { collect, parseIntOption, parsePhases } from './options.js';

export function registerFoundationCommands(program: Command, makeContext: MakeContext): void {
  registerInit(program, makeContext);
  registerDeploy(program, makeContext);
  registerStatusUnlock(program, makeContext);
}

function registerInit(program: Command, makeContext: MakeContext): void {
  program
    .command('init')
    .description('write (or extend) the config file: wizard on a TTY, or --defaults with flags')
    .option('--defaults', "take the platform specification's defaults for everything not given as a flag (no questions)")
    .option('--project <name>', 'project name (prefix of every resource name)')
    .option('--az <zones>', 'three availability zones, comma-separated (default: REGION a,b,c)', collect)
    .option('--vpc-cidr <cidr>', 'VPC CIDR (default 10.0.0.0/16)')
    .option('--admin-cidr <cidr>', 'corporate range allowed to SSH to the bastion (repeatable, up to 4)', collect)
    .option('--alarm-email <email>', 'where alarms are sent')
    .addOption(new Option('--identity-provider <provider>', 'directory for platform users').choices(['freeipa', 'iam']))
    .option('--ipa-image <ami>', 'AMI for the FreeIPA servers (Rocky/Alma Linux 9; default: the newest public one, looked up at deploy)')
    .option('--workers-min <n>', 'worker Auto Scaling minimum (default 2)', parseIntOption('--workers-min', { min: 0, max: 1000 }))
    .option('--workers-max <n>', 'worker Auto Scaling maximum (default 6)', parseIntOption('--workers-max', { min: 1, max: 1000 }))
    .option('--workers-desired <n>', 'worker desired capacity (default 2)', parseIntOption('--workers-desired', { min: 0, max: 1000 }))
    .option('--ha', 'one NAT gateway per AZ (default in prod)')
    .option(
      '--set <path=value>',
      'set any value of the environment after the defaults and the other flags, e.g. compute.workers.max=8 or network.adminCidrs=198.51.100.0/24,192.0.2.0/24 (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--force', 'replace the environment if it already exists in the file')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf init                                  # wizard\n  dpf init --env dev --defaults --yes\n  dpf init --env prod --defaults --yes --region eu-west-1 --admin-cidr 198.51.100.0/24 --ha\n  dpf init --env dev --defaults --yes --set compute.workers.max=8 --set storage.rds.instanceClass=db.m5.large',
    )
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runInit } = await import('./init.js');
      await runInit(
        {
          env: ctx.globals.env ?? 'dev',
          defaults: Boolean(o.defaults),
          project: o.project,
          region: ctx.globals.region,
          azs: o.az,
          vpcCidr: o.vpcCidr,
          adminCidrs: o.adminCidr,
          alarmEmail: o.alarmEmail,
          identityProvider: o.identityProvider,
          ipaImage: o.ipaImage,
          workersMin: o.workersMin,
          workersMax: o.workersMax,
          workersDesired: o.workersDesired,
          highAvailability: o.ha,
          set: o.set,
          force: o.force,
        },
        ctx,
      );
    });
}

function registerDeploy(program: Command, makeContext: MakeContext): void {
  program
    .command('deploy')
    .description('run the deployment graph (every phase, or --phase) with live progress; resumes where it stopped')
    .option('-p, --phase <phases>', `phase(s) to run, comma-separated or repeated: ${PHASES.join(', ')}`, parsePhases)
    .option('--force', 'run steps again even when done and unchanged')
    .option('--concurrency <n>', 'steps at once, 1 to 16 (default: deploy.concurrency, 8)', parseIntOption('--concurrency', { min: 1, max: 16 }))
    .option('--check', 'report what would change (change sets, Ansible --check) and change nothing')
    .option('--refresh-ami', 'resolve compute.imageParameter again instead of the AMI pinned at first deploy (replaces instances)')
    .option('--skip-preflight', "do not run the account preflight (dpf doctor's blocking checks) before the first change set")
    .option('--plan <file>', 'execute exactly the change sets saved by dpf plan --out FILE, after one approval; exit 8 (naming the stack) if AWS drifted since')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf deploy --env dev                   # everything, asking before each change set\n  dpf deploy --env dev --phase bootstrap --yes\n  dpf deploy --env dev --yes --json      # NDJSON progress for CI\n  dpf plan --env prod --out plan.json && dpf deploy --env prod --plan plan.json   # review once, apply exactly that',
    )
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runDeploy } = await import('./deploy.js');
      await runDeploy(
        { phases: o.phase, force: o.force, concurrency: o.concurrency, check: o.check, refreshAmi: o.refreshAmi, plan: o.plan, skipPreflight: o.skipPreflight },
        ctx,
      );
    });
}

function registerStatusUnlock(program: Command, makeContext: MakeContext): void {
  program
    .command('status')
    .description('phases and steps with state and times, live stack states, what is next and what blocks it')
    .option('--offline', 'read the local ledger only; make no AWS call')
    .option('--drift', 'run CloudFormation drift detection on every stack now')
    .addHelpText('after', '\nExamples:\n  dpf status --env dev\n  dpf status --env dev --json | jq .phases')
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd, { offline: Boolean(o.offline) });
      const { runStatus } = await import('./status.js');
      await runStatus({ offline: o.offline, drift: o.drift }, ctx);
    });

  program
    .command('unlock')
    .description("show the environment's lock and break it (after confirmation)")
    .addHelpText('after', '\nExamples:\n  dpf unlock --env dev\n  dpf unlock --env dev --yes')
    .action(async (_o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runUnlock } = await import('./unlock.js');
      await runUnlock({}, ctx);
    });
}
