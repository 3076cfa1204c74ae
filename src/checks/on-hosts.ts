/**
 * Running a script on the environment's hosts through SSM Run Command (AWS-RunShellScript) and
 * turning what each printed into a check outcome; shared by the host checks (hosts.ts) and the
 * data-lake access check (data-lake-access.ts).
 */
import type { InstanceInfo } from '../aws/ops-ports.js';
import { runCommand } from '../ssm/run-command.js';
import type { CheckContext, CheckOutcome } from './types.js';
import { combine, couldNotAsk, label, roleOf, unknown, type Part } from './common.js';
import { hostFinding, type HostFinding, type HostOutput, type Section } from './parsers.js';

export const SHELL_DOCUMENT = 'AWS-RunShellScript';
/** The FreeIPA user every enrolled node must resolve (created by ipa-server-install). */
export const DIRECTORY_USER = 'admin';
export const MOUNT_POINT = '/shared';
export const EFS_ROLES = ['master', 'dev', 'worker'];
export const CLIENT_ROLES = ['bastion', 'master', 'dev', 'worker'];

/** Run a script on the given instances and return what each printed (stdout with stderr merged). */
export async function runOnHosts(ctx: CheckContext, instances: InstanceInfo[], commands: string[]): Promise<{ commandId: string; hosts: HostOutput[] }> {
  const ops = await ctx.ops();
  const ids = instances.map((i) => i.instanceId);
  const labels = Object.fromEntries(instances.map((i) => [i.instanceId, roleOf(i)]));
  const run = await runCommand(
    ops.ssm,
    { clock: ctx.clock, io: ctx.io, signal: ctx.signal, stepId: ctx.stepId },
    {
      documentName: SHELL_DOCUMENT,
      // The script never fails on a probe's exit code: each probe reports its own.
      parameters: { commands: [...commands, 'true'], executionTimeout: ['120'] },
      instanceIds: ids,
      expectedInstanceIds: ids,
      maxConcurrency: ctx.env.ssm.maxConcurrency,
      maxErrors: '100%',
      timeoutSeconds: 60,
      comment: `dpf ${ctx.stepId}`.slice(0, 100),
    },
    { pollMs: ctx.pollMs, maxPollMs: ctx.pollMaxMs, tailLines: 1000, labels, timeoutSeconds: 300 },
  );
  return {
    commandId: run.commandId,
    hosts: run.hosts.map((h) => ({
      instanceId: h.instanceId,
      role: labels[h.instanceId] ?? 'unknown-role',
      status: h.status,
      responseCode: h.responseCode,
      output: h.tail.join('\n'),
      note: h.note,
    })),
  };
}

/**
 * Per-host findings → parts and evidence (the raw output is kept, up to 4 000 characters per
 * host). Every instance in `expected` that has no result is an unknown part of its own: a host
 * that did not answer never disappears from the verdict.
 */
export function hostParts(
  hosts: HostOutput[],
  parse: (host: HostOutput, sections: Map<string, Section>) => HostFinding,
  expected: InstanceInfo[] = [],
): { parts: Part[]; evidence: Array<Record<string, unknown>> } {
  const parts: Part[] = [];
  const evidence: Array<Record<string, unknown>> = [];
  for (const h of hosts) {
    const f = hostFinding(h, (s) => parse(h, s));
    parts.push({ subject: `${h.instanceId} (${h.role})`, status: f.status, detail: f.detail });
    evidence.push({
      instanceId: h.instanceId,
      role: h.role,
      invocation: h.status,
      verdict: f.status,
      detail: f.detail,
      ...(f.facts ? { facts: f.facts } : {}),
      output: h.output.slice(0, 4000),
    });
  }
  const answered = new Set(hosts.map((h) => h.instanceId));
  for (const i of expected.filter((x) => !answered.has(x.instanceId))) {
    const detail = 'no result for this instance in the SSM command';
    parts.push({ subject: label(i), status: 'unknown', detail });
    evidence.push({ instanceId: i.instanceId, role: roleOf(i), invocation: 'missing', verdict: 'unknown', detail });
  }
  return { parts, evidence };
}

/** Nodes of these roles that are not running cannot be inspected: unknown, named, never skipped. */
export function notRunningParts(instances: InstanceInfo[]): Part[] {
  return instances
    .filter((i) => i.state !== 'running')
    .map((i) => ({ subject: label(i), status: 'unknown', detail: `instance is ${i.state}: its host cannot be inspected` }));
}

export async function onHosts(
  ctx: CheckContext,
  instances: InstanceInfo[],
  commands: string[],
  parse: (host: HostOutput, sections: Map<string, Section>) => HostFinding,
  what: { passed: string; nothing: string; hint?: string },
  extra: Record<string, unknown> = {},
): Promise<CheckOutcome> {
  const stopped = notRunningParts(instances);
  const live = instances.filter((i) => i.state === 'running');
  if (!live.length) return stopped.length ? combine(stopped, what, extra, what.hint) : unknown(what.nothing, extra);
  let run;
  try {
    run = await runOnHosts(ctx, live, commands);
  } catch (err) {
    return couldNotAsk(`SSM ${SHELL_DOCUMENT}`, err, { ...extra, instances: instances.map(label) });
  }
  const { parts, evidence } = hostParts(run.hosts, parse, live);
  return combine([...parts, ...stopped], what, { ...extra, commandId: run.commandId, script: commands, hosts: evidence }, what.hint);
}

/** The environment's nodes of these roles, in any state but terminated (onHosts names the stopped ones). */
export const ofRoles = (instances: InstanceInfo[], roles: string[]) => instances.filter((i) => roles.includes(roleOf(i)));
