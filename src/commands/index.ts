/**
 * Commands beyond the foundation register here, each lazily importing its module.
 * Each block is owned by one area; keep them separate (anchors below).
 */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { PhaseId } from '../steps/types.js';

export interface OptionParsers {
  parsePhases: (v: string, prev?: PhaseId[]) => PhaseId[];
  parseIntOption: (name: string) => (v: string) => number;
  collect: (v: string, prev?: string[]) => string[];
}

/** offline: the command makes no AWS call (status --offline), so ~/.aws is not read at start. */
export type MakeContext = (cmd: Command, o?: { offline?: boolean }) => Promise<CommandContext>;

export function registerMoreCommands(program: Command, makeContext: MakeContext, p: OptionParsers): void {
  registerPlan(program, makeContext, p);
  registerValidateDoctor(program, makeContext);
  registerReport(program, makeContext);
  registerPatchBackup(program, makeContext, p);
  registerRestore(program, makeContext, p);
  registerDrDrillDestroy(program, makeContext);
}

function registerPlan(program: Command, makeContext: MakeContext, p: OptionParsers): void {
  program
    .command('plan')
    .description('show what each phase would change (change sets, nothing executed) and the ETA along the critical path')
    .option('-p, --phase <phases>', 'phase(s) to plan, comma-separated', p.parsePhases)
    .option('--out <file>', 'save the plan and keep its change sets, for dpf deploy --plan FILE (one approval, exactly these changes)')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf plan --env dev\n  dpf plan --env prod --phase compute --json\n  dpf plan --env prod --out plan.json && dpf deploy --env prod --plan plan.json\n\nExit codes (like terraform plan -detailed-exitcode): 0 no changes, 2 changes pending,\n1 bad usage or invalid config, 3 a change set could not be computed, 7 AWS access.',
    )
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runPlan } = await import('./plan.js');
      await runPlan({ phases: o.phase, out: o.out }, ctx);
    });
}

// <validate-doctor-commands>
function registerValidateDoctor(program: Command, makeContext: MakeContext): void {
  program
    .command('validate')
    .description(
      'offline checks: the config file, the semantic rules (each environment rendered as dpf deploys it), the bundled templates (cfn-lint, checkov) and playbooks (syntax, ansible-lint)',
    )
    .option('--skip-linters', 'only the config and template parsing (fast)')
    .addHelpText('after', '\nExamples:\n  dpf validate\n  dpf validate --skip-linters --json')
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runValidate } = await import('./validate.js');
      await runValidate({ skipLinters: o.skipLinters }, ctx);
    });
  program
    .command('doctor')
    .description('preflight: credentials, account pin, zones, AMIs, state backend, lock, local tools (read-only)')
    .addHelpText('after', '\nExamples:\n  dpf doctor --env prod --profile platform-admin\n  dpf doctor --env dev --json')
    .action(async (_o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runDoctor } = await import('./doctor.js');
      await runDoctor({}, ctx);
    });
}
// </validate-doctor-commands>

// <report-commands>
function registerReport(program: Command, makeContext: MakeContext): void {
  const report = program
    .command('report')
    .description('write the go-live readiness report or the weekly executive summary (Markdown, JSON, HTML) under reports/<env>/')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf report golive --env dev\n  dpf report weekly --env dev --out ./status-reports\n  dpf report golive --env prod --json | jq .summary',
    );
  for (const [kind, description] of [
    [
      'golive',
      "readiness report: every go-live check with its verdict, evidence and time, organised as the platform specification's Implementation Readiness Checklist",
    ],
    [
      'weekly',
      "the platform specification's Weekly Executive Summary from the ledger: go-live readiness, schedule, completed work and its business value, risks, metrics",
    ],
  ] as const) {
    report
      .command(kind)
      .description(description)
      .option('--out <dir>', 'directory for the files (default: reports/<env>/ next to the config)')
      .option('--offline', 'make no AWS call: no live describe, no copy to the state bucket')
      .addHelpText(
        'after',
        kind === 'golive'
          ? '\nExamples:\n  dpf deploy --env dev --phase golive --yes   # run the checks first\n  dpf report golive --env dev\n  dpf report golive --env dev --json'
          : '\nExamples:\n  dpf report weekly --env dev\n  dpf report weekly --env prod --out ./steering-committee --json',
      )
      .action(async (o, cmd: Command) => {
        const ctx = await makeContext(cmd);
        const { runReport } = await import('./report.js');
        await runReport({ kind, out: o.out, offline: o.offline }, ctx);
      });
  }
}
// </report-commands>

// <day2-commands>
function registerPatchBackup(program: Command, makeContext: MakeContext, p: OptionParsers): void {
  program
    .command('patch')
    .description('patch the hosts in waves: a recovery point (AMI) first, a health gate after each wave; prod obeys the change rules')
    .option('--dry-run', 'scan only: pending updates per host, nothing installed')
    .option('--wave <name>', 'one wave only: bastion, identity-1, identity-2, master-dev, workers')
    .option('--emergency <reason>', 'override the maintenance window and staging rule (the reason is recorded in the ledger)')
    .option('--accept-unknown-health', 'let the gate pass hosts whose health cannot be determined (never assumed otherwise)')
    .option('--new', 'abandon an unfinished patch and start a new one')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf patch --env dev --dry-run\n  dpf patch --env staging --yes\n  dpf patch --env prod --wave workers\n  dpf patch --env prod --emergency "CVE-2025-1234 in openssh"\n\nA failed health gate halts the run and names the host, the reason and the AMI to roll back to;\nrerun the same command to resume at that gate.',
    )
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runPatch } = await import('./patch.js');
      await runPatch({ dryRun: o.dryRun, wave: o.wave, emergency: o.emergency, acceptUnknownHealth: o.acceptUnknownHealth, new: o.new }, ctx);
    });

  program
    .command('backup')
    .description('on-demand RDS snapshot and EFS backup job in parallel, then recovery points and their age against the RPO')
    .option('--list', 'only list the recovery points (no backup, no lock)')
    .option('--timeout-minutes <n>', 'stop waiting after this long (default 120; the backup goes on)', p.parseIntOption('--timeout-minutes'))
    .option('--new', 'abandon an unfinished backup and start a new one')
    .addHelpText('after', '\nExamples:\n  dpf backup --env prod --yes\n  dpf backup --env prod --list --json')
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runBackup } = await import('./backup.js');
      await runBackup({ list: o.list, timeoutMinutes: o.timeoutMinutes, new: o.new }, ctx);
    });
}

function registerRestore(program: Command, makeContext: MakeContext, p: OptionParsers): void {
  const restore = program
    .command('restore')
    .description('restore the database or the file system to a NEW resource, validate it, switch to it only with --promote')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf restore db --env prod --latest\n  dpf restore db --env prod --time 2025-03-01T04:30:00Z --promote\n  dpf restore fs --env prod --recovery-point arn:aws:backup:…',
    );
  restore
    .command('db')
    .description("restore RDS to <db>-restore-<stamp> with the platform's subnet, security and parameter groups")
    .option('--snapshot <id>', 'from this DB snapshot')
    .option('--time <iso>', 'to this point in time (ISO 8601, UTC)')
    .option('--latest', 'to the latest restorable time')
    .option('--promote', 'switch /<project>/<env>/rds/endpoint to the copy (asks first)')
    .option('--timeout-minutes <n>', 'stop waiting after this long (default 120; the restore goes on)', p.parseIntOption('--timeout-minutes'))
    .option('--new', 'abandon an unfinished restore and start a new one')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf restore db --env prod --latest\n  dpf restore db --env prod --snapshot dataplatform-prod-metadata-dpf-20250301040000\n  dpf restore db --env prod --time 2025-03-01T04:30:00Z --promote',
    )
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runRestoreDb } = await import('./restore.js');
      await runRestoreDb({ snapshot: o.snapshot, time: o.time, latest: o.latest, promote: o.promote, timeoutMinutes: o.timeoutMinutes, new: o.new }, ctx);
    });
  restore
    .command('fs')
    .description('restore EFS from an AWS Backup recovery point to a new encrypted file system')
    .requiredOption('--recovery-point <arn>', 'the recovery point (dpf backup --list shows them)')
    .option('--promote', 'switch /<project>/<env>/efs/file-system-id to the copy (asks first)')
    .option('--timeout-minutes <n>', 'stop waiting after this long (default 240)', p.parseIntOption('--timeout-minutes'))
    .option('--new', 'abandon an unfinished restore and start a new one')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf restore fs --env prod --recovery-point arn:aws:backup:us-west-2:111122223333:recovery-point:…\n  dpf restore fs --env prod --recovery-point ARN --promote',
    )
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runRestoreFs } = await import('./restore.js');
      await runRestoreFs({ recoveryPoint: o.recoveryPoint, promote: o.promote, timeoutMinutes: o.timeoutMinutes, new: o.new }, ctx);
    });
}

function registerDrDrillDestroy(program: Command, makeContext: MakeContext): void {
  program
    .command('dr-drill')
    .description('restore into an isolated copy, validate, measure achieved RTO/RPO against the targets, report, tear down')
    .option('--scope <scope>', 'restore (data stores) or full (also the stacks and the database, from a copied snapshot, in recovery.drRegion)', 'restore')
    .option('--keep', 'keep the drill resources for inspection (remove them with --teardown)')
    .option('--teardown', 'tear down the last drill (interrupted, or kept with --keep)')
    .option('--fail-on-miss', 'exit 3 unless the verdict is "passed"')
    .option('--new', 'abandon an unfinished drill and start a new one')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf dr-drill --env staging\n  dpf dr-drill --env prod --scope full --yes\n  dpf dr-drill --env prod --yes --json | jq .passed\n  dpf dr-drill --env prod --teardown\n\nWith --json, stdout has exactly one JSON object, the result; progress events go to stderr as NDJSON.\nExit 0 when the drill produced its report whatever the verdict (see "passed"); --fail-on-miss makes a miss exit 3.',
    )
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runDrDrill } = await import('./dr-drill.js');
      await runDrDrill({ scope: o.scope, keep: o.keep, teardown: o.teardown, failOnMiss: o.failOnMiss, new: o.new }, ctx);
    });

  program
    .command('destroy')
    .description('delete the environment in reverse order; data kept unless --delete-data; what could not be deleted is listed')
    .option(
      '--delete-data',
      'also delete the data: no final snapshot; buckets, EFS, the backup vault and its recovery points deleted (also what an earlier destroy kept)',
    )
    .option('--delete-state', 'also delete the state backend (bootstrap stack and state bucket)')
    .option('--new', 'abandon an unfinished destroy and start a new one')
    .addHelpText(
      'after',
      '\nExamples:\n  dpf destroy --env dev                 # asks you to type "dev"\n  dpf destroy --env ci-123 --yes        # CI: --yes needs an explicit --env\n  dpf destroy --env dev --yes --delete-data --delete-state',
    )
    .action(async (o, cmd: Command) => {
      const ctx = await makeContext(cmd);
      const { runDestroy } = await import('./destroy.js');
      await runDestroy({ deleteData: o.deleteData, deleteState: o.deleteState, new: o.new }, ctx);
    });
}
// </day2-commands>
