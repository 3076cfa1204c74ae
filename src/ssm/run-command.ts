/**
 * Run one SSM command and watch it host by host: SendCommand, then ListCommandInvocations
 * until every invocation has ended, with one `step-progress` event per host status change.
 *
 * What `ok` means (the caller decides what to do with a partial success):
 *   ok = at least one host ran the command, every invocation ended in `Success`, and every
 *   expected instance (input.expectedInstanceIds) was among them.
 * MaxErrors only governs how far SSM goes before cancelling the rest; it does not make a
 * failed host acceptable here. Each host is reported with its status, exit code, the last
 * lines of its output and where its full log is.
 *
 * Output: the API returns at most 24,000 characters per invocation (the FIRST ones, followed
 * by "--output truncated--"), so with output sent to S3 the host's `outputS3Url` is the full
 * log; given an ObjectStorePort, a truncated host's tail is read from that log instead.
 */
import type { StateClass } from '../io/events.js';
import type { InvocationResult, SendCommandInput, SsmPort } from '../aws/ops-ports.js';
import type { ObjectStorePort } from '../aws/ports.js';
import { AbortError, errorMessage } from '../errors.js';
import { pollUntil } from '../wait.js';
import type { CommandRun, HostRun, RunCommandDeps, RunCommandOptions } from './run-command/types.js';
import { describeTargets, isAbort, sendOnce } from './run-command/send.js';

export type { CommandRun, HostRun, RunCommandDeps, RunCommandOptions } from './run-command/types.js';
export { newMarker } from './run-command/send.js';

/** Invocation states that never change again. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'Success',
  'Failed',
  'TimedOut',
  'Cancelled',
  'DeliveryTimedOut',
  'ExecutionTimedOut',
  'Undeliverable',
  'Terminated',
  'InvalidPlatform',
  'AccessDenied',
]);
/** dpf's own status for an expected instance SSM never targeted (agent not registered, tag missing). */
export const NOT_TARGETED = 'NotTargeted';
/** The API marks truncated output with this line (the SSM agent appends it). */
export const TRUNCATION_MARKER = '--output truncated--';
export const API_OUTPUT_LIMIT = 24_000;

const DEFAULT_POLL_MS = 2000;
const DEFAULT_MAX_POLL_MS = 10_000;
const DEFAULT_TAIL = 20;

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** rain's five colours for an invocation status. */
export function invocationStateClass(status: string): StateClass {
  if (status === 'Success') return 'complete';
  if (status === 'Cancelled' || status === 'Cancelling') return 'cancelled';
  if (status === 'InProgress') return 'in-progress';
  if (status === 'Pending' || status === 'Delayed') return 'pending';
  return 'failed';
}

/** Seconds dpf waits by default (see RunCommandOptions.timeoutSeconds). */
export function defaultWaitSeconds(input: SendCommandInput): number {
  const exec = Number(input.parameters.TimeoutSeconds?.[0] ?? input.parameters.executionTimeout?.[0]);
  return input.timeoutSeconds + (Number.isFinite(exec) && exec > 0 ? exec : 0) + 60;
}

/** s3://bucket/prefix/commandId/instanceId/ — SSM writes every plugin's stdout/stderr under it. */
export function hostOutputUrl(
  input: Pick<SendCommandInput, 'outputS3Bucket' | 'outputS3KeyPrefix'>,
  commandId: string,
  instanceId: string,
): string | undefined {
  if (!input.outputS3Bucket) return undefined;
  const prefix = (input.outputS3KeyPrefix ?? '').replace(/\/+$/, '');
  return `s3://${input.outputS3Bucket}/${prefix ? `${prefix}/` : ''}${commandId}/${instanceId}/`;
}

/** Last `n` lines of stdout, then the last stderr lines (prefixed), without the truncation marker. */
export function tailOf(stdout: string, stderr: string, n: number): string[] {
  const lines = (s: string) =>
    s
      .replace(/\r\n/g, '\n')
      .split(TRUNCATION_MARKER)
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '');
  const errLines = lines(stderr)
    .slice(-Math.min(5, n))
    .map((l) => `stderr: ${l}`);
  const outLines = lines(stdout).slice(-Math.max(0, n - errLines.length));
  return [...outLines, ...errLines];
}

function wasTruncated(stdout: string): boolean {
  return stdout.includes(TRUNCATION_MARKER) || stdout.length >= API_OUTPUT_LIMIT;
}

/** One command being watched: what every stage of runCommand needs. */
interface Watch {
  ssm: SsmPort;
  deps: RunCommandDeps;
  input: SendCommandInput & { expectedInstanceIds?: string[] };
  opts: RunCommandOptions;
  minMs: number;
  maxMs: number;
  tailLines: number;
  labels: Record<string, string>;
  expected: string[];
  name: (id: string) => string;
  say: (message: string, state?: StateClass, resource?: { logicalId: string; type: string; status: string; reason?: string }) => void;
}

/**
 * Send `input` (or attach to opts.attachTo) and wait until every invocation has ended.
 * Rejects with AbortError when `deps.signal` aborts; SSM errors propagate.
 */
export async function runCommand(
  ssm: SsmPort,
  deps: RunCommandDeps,
  input: SendCommandInput & { expectedInstanceIds?: string[] },
  opts: RunCommandOptions = {},
): Promise<CommandRun> {
  const { io, signal, stepId } = deps;
  const minMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const labels = opts.labels ?? {};
  const w: Watch = {
    ssm,
    deps,
    input,
    opts,
    minMs,
    maxMs: Math.max(minMs, opts.maxPollMs ?? DEFAULT_MAX_POLL_MS),
    tailLines: opts.tailLines ?? DEFAULT_TAIL,
    labels,
    expected: [...new Set(input.expectedInstanceIds ?? [])],
    name: (id: string) => (labels[id] ? `${id} ${labels[id]}` : id),
    say: (message, state, resource) => io.notify({ type: 'step-progress', stepId, message, state, resource }),
  };

  if (signal.aborted) throw new AbortError();
  const commandId = await commandToWatch(w);
  await deps.onSent?.(commandId);

  const started = deps.clock.now().getTime();
  const { seen, waitTimedOut } = await waitForInvocations(w, commandId, started + (opts.timeoutSeconds ?? defaultWaitSeconds(input)) * 1000);
  const hosts = await hostResults(w, commandId, seen, started);
  const ok = hosts.length > 0 && hosts.every((h) => h.status === 'Success');
  return { commandId, hosts, ok, summary: summarize(hosts), waitTimedOut };
}

/** The command an earlier run sent (by id, or found by its marker), else a new one sent exactly once. */
async function commandToWatch(w: Watch): Promise<string> {
  const { ssm, deps, input, opts, say } = w;
  const sendInput: SendCommandInput = { ...input };
  delete (sendInput as { expectedInstanceIds?: string[] }).expectedInstanceIds;
  let commandId: string | undefined;
  if (opts.attachTo) {
    commandId = opts.attachTo;
    say(`watching command ${commandId} sent by an earlier run (${input.documentName})`);
  } else if (opts.adoptMarker) {
    commandId = await ssm.findCommandByMarker(opts.adoptMarker.marker, { documentName: input.documentName, since: opts.adoptMarker.since });
    if (commandId)
      say(`watching command ${commandId} sent by an interrupted run (marker ${opts.adoptMarker.marker}) instead of sending ${input.documentName} again`);
  }
  if (!commandId) {
    commandId = await sendOnce(ssm, deps, sendInput, opts);
    say(
      `sent ${input.documentName} as command ${commandId} to ${describeTargets(input)} (MaxConcurrency ${input.maxConcurrency}, MaxErrors ${input.maxErrors})`,
    );
  }
  return commandId;
}

/**
 * Poll the invocations until every host has ended (or the command has, or the deadline passed),
 * showing each status change; on the one poller (src/wait.ts): fast again after any host moved.
 */
async function waitForInvocations(w: Watch, commandId: string, deadline: number): Promise<{ seen: Map<string, InvocationResult>; waitTimedOut: boolean }> {
  const { clock, signal } = w.deps;
  const seen = new Map<string, InvocationResult>();
  const listing = { perInstance: false }; // fallback when ListCommandInvocations is unavailable (emulators)
  const r = await pollUntil(
    { clock, signal },
    {
      what: `command ${commandId}`,
      read: () => pollInvocations(w, commandId, seen, listing),
      state: (v) => (v.ended ? 'done' : 'waiting'),
      changed: (v) => v.moved > 0,
      // A first listing with no host in it (tag targets not resolved yet) already backs off.
      firstIsChange: false,
      factor: 1.5,
      deadline,
      minMs: w.minMs,
      maxMs: w.maxMs,
    },
  );
  return { seen, waitTimedOut: r.ended === 'timed-out' };
}

/** One poll: each host whose status changed is shown; `ended`: nothing more to wait for. */
async function pollInvocations(
  w: Watch,
  commandId: string,
  seen: Map<string, InvocationResult>,
  listing: { perInstance: boolean },
): Promise<{ moved: number; ended: boolean }> {
  const { say, name, expected } = w;
  let moved = 0;
  for (const inv of await listInvocations(w, commandId, listing)) {
    const before = seen.get(inv.instanceId)?.status;
    seen.set(inv.instanceId, inv);
    if (before === inv.status) continue;
    moved++;
    say(`${name(inv.instanceId)}: ${before ? `${before} → ` : ''}${inv.status}`, invocationStateClass(inv.status), {
      logicalId: inv.instanceId,
      type: 'AWS::SSM::CommandInvocation',
      status: inv.status,
    });
  }
  const all = [...seen.values()];
  const allEnded = all.length > 0 && all.every((i) => isTerminal(i.status));
  if (allEnded && expected.every((id) => seen.has(id))) return { moved, ended: true };
  // Right after sending, tag targets may not be resolved yet; once the command itself has
  // ended there is nothing more to wait for: no instance matched, or an expected one is
  // not among those SSM targeted.
  if (!listing.perInstance && (all.length === 0 || allEnded)) return { moved, ended: isTerminal((await w.ssm.getCommand(commandId)).status) };
  return { moved, ended: false };
}

/** One poll: ListCommandInvocations, or (once it has failed, with expected instances) GetCommandInvocation per instance. */
async function listInvocations(w: Watch, commandId: string, listing: { perInstance: boolean }): Promise<InvocationResult[]> {
  const { ssm, input, expected, deps } = w;
  if (listing.perInstance) return perInstanceInvocations(ssm, commandId, expected);
  try {
    const invocations = await ssm.listInvocations(commandId);
    // A command sent to explicit instance ids only concerns those (moto lists every instance it knows).
    return input.instanceIds?.length ? invocations.filter((i) => input.instanceIds!.includes(i.instanceId)) : invocations;
  } catch (err) {
    if (!expected.length || isAbort(err)) throw err;
    listing.perInstance = true;
    deps.io.notify({
      type: 'warning',
      stepId: deps.stepId,
      message: `ListCommandInvocations failed (${errorMessage(err)}); asking for each of the ${expected.length} expected instance(s) instead.`,
    });
    return perInstanceInvocations(ssm, commandId, expected);
  }
}

/** Final results: full output for each host that ended (ListCommandInvocations may carry none); expected hosts never targeted last. */
async function hostResults(w: Watch, commandId: string, seen: Map<string, InvocationResult>, started: number): Promise<HostRun[]> {
  const { expected, labels, say, name } = w;
  const hosts: HostRun[] = [];
  for (const inv of [...seen.values()].sort((a, b) => cmp(a.instanceId, b.instanceId))) hosts.push(await hostResult(w, commandId, inv, started));
  for (const id of expected.filter((i) => !seen.has(i)).sort(cmp)) {
    hosts.push({
      instanceId: id,
      status: NOT_TARGETED,
      tail: [],
      label: labels[id],
      note: 'expected but not targeted by SSM (is its SSM agent registered and online, and does it carry the target tags?)',
    });
    say(`${name(id)}: not targeted by SSM`, 'failed', { logicalId: id, type: 'AWS::SSM::CommandInvocation', status: NOT_TARGETED });
  }
  return hosts;
}

/** One host's result: its output's tail (from S3 when the API truncated it); still running when dpf stopped waiting: TimedOut. */
async function hostResult(w: Watch, commandId: string, inv: InvocationResult, started: number): Promise<HostRun> {
  const { ssm, deps, input, tailLines, labels, say, name } = w;
  let r = inv;
  if (isTerminal(inv.status)) r = await fullInvocation(ssm, commandId, inv);
  const host: HostRun = {
    instanceId: r.instanceId,
    status: r.status,
    responseCode: r.responseCode,
    tail: tailOf(r.stdout ?? '', r.stderr ?? '', tailLines),
    outputS3Url: hostOutputUrl(input, commandId, r.instanceId),
    label: labels[r.instanceId],
  };
  if (wasTruncated(r.stdout ?? '')) {
    host.truncated = true;
    host.tailFrom = 'api';
    const full = await readFullStdout(deps.objects, host.outputS3Url);
    if (full !== undefined) {
      host.tail = tailOf(full, r.stderr ?? '', tailLines);
      host.tailFrom = 's3';
    }
  }
  if (!isTerminal(host.status)) {
    const was = host.status;
    host.status = 'TimedOut';
    host.note = `still ${was} when dpf stopped waiting after ${Math.round((deps.clock.now().getTime() - started) / 1000)} s; the command may still be running`;
    say(`${name(host.instanceId)}: ${was} → TimedOut (dpf stopped waiting)`, 'failed', {
      logicalId: host.instanceId,
      type: 'AWS::SSM::CommandInvocation',
      status: 'TimedOut',
      reason: host.note,
    });
  }
  return host;
}

/** "4 host(s): 2 Success, 1 Failed, 1 Cancelled" — or why there are none. */
export function summarize(hosts: HostRun[]): string {
  if (!hosts.length) return 'no instance matched the targets';
  const counts = new Map<string, number>();
  for (const h of hosts) counts.set(h.status, (counts.get(h.status) ?? 0) + 1);
  return `${hosts.length} host(s): ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`;
}

async function perInstanceInvocations(ssm: SsmPort, commandId: string, ids: string[]): Promise<InvocationResult[]> {
  const out: InvocationResult[] = [];
  for (const id of ids) {
    try {
      out.push(await ssm.getInvocation(commandId, id));
    } catch (err) {
      if (isAbort(err)) throw err;
      // InvocationDoesNotExist right after sending: not delivered yet.
      out.push({ commandId, instanceId: id, status: 'Pending', stdout: '', stderr: '' });
    }
  }
  return out;
}

async function fullInvocation(ssm: SsmPort, commandId: string, inv: InvocationResult): Promise<InvocationResult> {
  try {
    const r = await ssm.getInvocation(commandId, inv.instanceId);
    // Never let a late read turn an ended host back into a running one.
    return isTerminal(r.status) ? r : { ...r, status: inv.status };
  } catch (err) {
    if (isAbort(err)) throw err;
    return inv; // e.g. a Cancelled invocation that never ran has nothing more to show
  }
}

async function readFullStdout(objects: ObjectStorePort | undefined, folder: string | undefined): Promise<string | undefined> {
  if (!objects || !folder) return undefined;
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(folder);
  if (!m) return undefined;
  const [, bucket, prefix] = m as unknown as [string, string, string];
  try {
    // The layout below the folder depends on the document (plugin/step names): take the last stdout.
    const keys = (await objects.listKeys(bucket, prefix)).filter((k) => /(^|\/)stdout$/.test(k)).sort(cmp);
    const key = keys[keys.length - 1];
    return key ? await objects.getText(bucket, key) : undefined;
  } catch {
    return undefined; // the tail from the API is still there; the hint points at the folder
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
