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
import { AbortError, StepFailedError, errorMessage } from '../errors.js';

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
  const deadline = started + o.timeoutSeconds * 1000;
  const name = (id: string) => (o.labels?.[id] ? `${id} (${o.labels[id]})` : id);
  const maxMs = o.maxPollMs ?? 30_000;
  let delay = o.pollMs ?? 5000;
  let lastWaitingFor = '';
  for (;;) {
    let managed: ManagedInstance[];
    try {
      managed = instanceIds.length ? await ssm.describeInstanceInformation(instanceIds) : [];
    } catch (err) {
      if ((err as { name?: string }).name === 'NotImplementedByEndpoint') {
        const why = `cannot tell whether the instances are Online in SSM (${errorMessage(err)}); sending the command anyway`;
        deps.io.notify({ type: 'warning', stepId: deps.stepId, message: why });
        return { online: [], waitedSeconds: 0, unknown: why };
      }
      throw err;
    }
    const byId = new Map(managed.map((m) => [m.instanceId, m]));
    const waiting = instanceIds.filter((id) => byId.get(id)?.pingStatus !== 'Online');
    const elapsed = Math.round((deps.clock.now().getTime() - started) / 1000);
    if (!waiting.length) return { online: instanceIds.map((id) => byId.get(id)!), waitedSeconds: elapsed };
    const state = (id: string) => byId.get(id)?.pingStatus ?? 'not registered';
    if (deps.clock.now().getTime() >= deadline)
      throw new StepFailedError(
        deps.stepId,
        `${waiting.length} of ${instanceIds.length} instance(s) did not come Online in SSM within ${o.timeoutSeconds} s: ${waiting.map((id) => `${name(id)} ${state(id)}`).join(', ')}.`,
        { hint: ONLINE_HINT, details: waiting.map((id) => `${name(id)}: ${state(id)}`) },
      );
    const waitingFor = waiting.map((id) => `${name(id)} ${state(id)}`).join(', ');
    if (waitingFor !== lastWaitingFor) deps.io.notify({ type: 'step-progress', stepId: deps.stepId, message: `waiting for ${waiting.length} of ${instanceIds.length} instance(s) to be Online in SSM: ${waitingFor}` });
    lastWaitingFor = waitingFor;
    try {
      await deps.clock.sleep(Math.min(delay, Math.max(1, deadline - deps.clock.now().getTime())), deps.signal);
    } catch (err) {
      if (deps.signal.aborted) throw new AbortError();
      throw err;
    }
    delay = Math.min(maxMs, delay * 2);
  }
}
