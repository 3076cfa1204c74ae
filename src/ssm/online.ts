/**
 * Wait until instances are registered with Systems Manager and their agent is Online, before
 * a command is sent to them. Right after a stack creates an instance its agent is not there
 * yet (on Rocky/Alma the user data installs it first): SendCommand would answer
 * InvalidInstanceId, or a tag-targeted command would silently skip the node.
 *
 * Bounded: after `timeoutSeconds` the wait fails naming every instance that is not Online, with
 * its last ping status, and what to check.
 */
import type { Clock } from '../clock.js';
import type { IoHost } from '../io/host.js';
import type { ManagedInstance, SsmPort } from '../aws/ops-ports.js';
import { StepFailedError, errorMessage } from '../errors.js';
import { pollUntil } from '../wait.js';

export interface OnlineWaitDeps {
  clock: Clock;
  io: IoHost;
  signal: AbortSignal;
  stepId: string;
}

export interface OnlineWaitOptions {
  timeoutSeconds: number;
  /** First poll interval in ms (doubles up to maxPollMs). Default 5000. */
  pollMs?: number;
  maxPollMs?: number;
  /** Labels shown next to instance ids (their role). */
  labels?: Record<string, string>;
}

export interface OnlineWaitResult {
  /** The instances, all Online (empty when the endpoint cannot tell: see `unknown`). */
  online: ManagedInstance[];
  waitedSeconds: number;
  /** Set when the endpoint does not implement DescribeInstanceInformation: nothing was waited for. */
  unknown?: string;
}

export const ONLINE_HINT =
  'On the instance: is it running, and is its SSM agent (systemctl status amazon-ssm-agent; on Rocky/Alma the user data installs it, ' +
  'see /var/log/dpf-bootstrap.log)? Its instance profile needs AmazonSSMManagedInstanceCore, and it must reach the ssm, ssmmessages ' +
  'and ec2messages endpoints on HTTPS 443 (NAT gateway route, security group egress). dpf deploy resumes from this step.';

export async function waitUntilOnline(ssm: SsmPort, deps: OnlineWaitDeps, instanceIds: string[], o: OnlineWaitOptions): Promise<OnlineWaitResult> {
  const started = deps.clock.now().getTime();
  const name = (id: string) => (o.labels?.[id] ? `${id} (${o.labels[id]})` : id);
  const minMs = o.pollMs ?? 5000;
  type Read = { managed: Map<string, ManagedInstance>; waiting: string[] } | { unknown: string };
  const state = (byId: Map<string, ManagedInstance>, id: string) => byId.get(id)?.pingStatus ?? 'not registered';
  const r = await pollUntil<Read>(
    { clock: deps.clock, signal: deps.signal, progress: (message) => deps.io.notify({ type: 'step-progress', stepId: deps.stepId, message }) },
    {
      what: '',
      async read() {
        try {
          const managed = new Map((instanceIds.length ? await ssm.describeInstanceInformation(instanceIds) : []).map((m) => [m.instanceId, m]));
          return { managed, waiting: instanceIds.filter((id) => managed.get(id)?.pingStatus !== 'Online') };
        } catch (err) {
          if ((err as { name?: string }).name === 'NotImplementedByEndpoint')
            return { unknown: `cannot tell whether the instances are Online in SSM (${errorMessage(err)}); sending the command anyway` };
          throw err;
        }
      },
      state: (v) => ('unknown' in v || !v.waiting.length ? 'done' : 'waiting'),
      // Reported only while someone is waited for (the first answer that has everyone Online says nothing).
      describe: (v) =>
        'unknown' in v || !v.waiting.length
          ? undefined
          : `waiting for ${v.waiting.length} of ${instanceIds.length} instance(s) to be Online in SSM: ${v.waiting.map((id) => `${name(id)} ${state(v.managed, id)}`).join(', ')}`,
      deadline: started + o.timeoutSeconds * 1000,
      minMs,
      maxMs: o.maxPollMs ?? 30_000,
      factor: 2,
    },
  );
  const v = r.last;
  if ('unknown' in v) {
    deps.io.notify({ type: 'warning', stepId: deps.stepId, message: v.unknown });
    return { online: [], waitedSeconds: 0, unknown: v.unknown };
  }
  if (r.ended === 'timed-out')
    throw new StepFailedError(
      deps.stepId,
      `${v.waiting.length} of ${instanceIds.length} instance(s) did not come Online in SSM within ${o.timeoutSeconds} s: ${v.waiting.map((id) => `${name(id)} ${state(v.managed, id)}`).join(', ')}.`,
      { hint: ONLINE_HINT, details: v.waiting.map((id) => `${name(id)}: ${state(v.managed, id)}`) },
    );
  return { online: instanceIds.map((id) => v.managed.get(id)!), waitedSeconds: Math.round((deps.clock.now().getTime() - started) / 1000) };
}
