/** Node health as the patch gate and restore validation see it (src/ops/health.ts; evaluateGate and parsing: patch/plan.test.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { healthy, HOSTS, stepHarness, WORKERS, world, type World } from './helpers.js';
import { anyWorker, checkHealth, probeDbFromWorker, roleServices, serviceScript, type HealthOptions, type HostHealth } from '../../src/ops/health.js';
import type { OpsPorts } from '../../src/aws/ops-ports.js';
import { emulatorSettings } from '../fakes/fake-settings.js';
import type { Settings } from '../../src/settings.js';

let w: World;
afterEach(() => w?.cleanup());

const HEALTH: HealthOptions = {
  hosts: [
    { instanceId: HOSTS.master, role: 'master' },
    { instanceId: WORKERS[0]!, role: 'worker' },
  ],
  services: (role) => roleServices(role, {}),
  alarmPrefix: 'dataplatform-dev-',
  workerGroup: 'dataplatform-dev-workers',
};
const notOffered = (what: string) => Object.assign(new Error(`${what} is not implemented`), { name: 'NotImplementedByEndpoint' });

async function health(x: World, settings?: Settings): Promise<HostHealth[]> {
  const h = await stepHarness(x, { settings });
  return checkHealth(h.context(), await h.session.aws.ops(), HEALTH);
}
const component = (hs: HostHealth[], id: string, c: string) => hs.find((x) => x.instanceId === id)!.components.find((y) => y.component === c)!;

describe('checkHealth', () => {
  it('GIVEN healthy hosts THEN every component is ok, one systemctl command per role, sent as AWS-RunShellScript tolerating every error', async () => {
    w = world();
    healthy(w);
    const hs = await health(w);
    expect(hs.map((x) => [x.instanceId, x.status, x.components.map((c) => c.status)])).toEqual([
      [HOSTS.master, 'ok', ['ok', 'ok', 'ok']],
      [WORKERS[0], 'ok', ['ok', 'ok', 'ok']],
    ]);
    const sent = w.ssm.sentCommands();
    expect(sent.map((c) => c.input.instanceIds)).toEqual([[HOSTS.master], [WORKERS[0]]]);
    expect(sent[0]!.input).toMatchObject({ documentName: 'AWS-RunShellScript', maxErrors: '100%', comment: expect.stringMatching(/ dpf health master$/) });
  });

  it.each([
    [
      'its agent lost the connection',
      HOSTS.master,
      'ssm',
      (x: World) => x.ssm.setPingStatus(HOSTS.master, 'ConnectionLost'),
      'failed',
      /^agent ConnectionLost \(last ping /,
    ],
    [
      'its alarm fires',
      HOSTS.master,
      'alarms',
      (x: World) => Object.assign(x.alarms[0]!, { state: 'ALARM', reason: 'CPU > 90%' }),
      'failed',
      `in ALARM: dataplatform-dev-${HOSTS.master}-cpu (CPU > 90%)`,
    ],
    [
      'its alarm has no data',
      HOSTS.master,
      'alarms',
      (x: World) => (x.alarms[0]!.state = 'INSUFFICIENT_DATA'),
      'unknown',
      `dataplatform-dev-${HOSTS.master}-cpu=INSUFFICIENT_DATA`,
    ],
    [
      'no alarm watches it',
      HOSTS.master,
      'alarms',
      (x: World) => x.alarms.splice(0, 1),
      'unknown',
      /^no alarm watches this host \(prefix dataplatform-dev-; is the monitoring phase deployed\?\)$/,
    ],
    ['only its group alarm is left', WORKERS[0]!, 'alarms', (x: World) => x.alarms.splice(1, 1), 'ok', '1 alarm(s) OK'],
    [
      'sshd is inactive',
      HOSTS.master,
      'services',
      (x: World) => x.ssm.script(HOSTS.master, { stdout: 'dpf-svc amazon-ssm-agent=active\ndpf-svc sshd=inactive' }, { document: 'AWS-RunShellScript' }),
      'failed',
      'not active: sshd=inactive, chronyd=missing',
    ],
    [
      'systemctl gives no output',
      HOSTS.master,
      'services',
      (x: World) => x.ssm.script(HOSTS.master, { stdout: '' }, { document: 'AWS-RunShellScript' }),
      'unknown',
      /^SSM returned no output for systemctl/,
    ],
    [
      'the check command fails',
      HOSTS.master,
      'services',
      (x: World) => x.ssm.script(HOSTS.master, { status: 'Failed' }, { document: 'AWS-RunShellScript' }),
      'failed',
      'systemctl check did not run: Failed',
    ],
  ])('GIVEN a host whose %s THEN its %s component is %s', async (_n, id, c, arrange, status, detail) => {
    w = world();
    healthy(w); // alarms: [master, bastion, dev, worker1, worker2, group]; reorder so [0] is the master's and [1] worker1's own
    w.alarms.splice(
      0,
      w.alarms.length,
      ...w.alarms.filter((a) => [HOSTS.master, WORKERS[0]].includes(a.dimensions.InstanceId!)),
      ...w.alarms.filter((a) => a.dimensions.AutoScalingGroupName),
    );
    arrange(w);
    const hs = await health(w);
    const got = component(hs, id, c);
    expect(got.status).toBe(status);
    expect(got.detail).toMatch(detail);
    expect(hs.find((x) => x.instanceId === id)!.status).toBe(status);
  });

  it('GIVEN SSM does not know one host THEN it fails "not registered", and its role\'s systemctl check fails with the reason SSM gave', async () => {
    w = world();
    healthy(w);
    w.ssm.setPingStatus(HOSTS.master, 'NotRegistered');
    const hs = await health(w);
    expect(component(hs, HOSTS.master, 'ssm')).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^not registered with SSM/) });
    expect(component(hs, HOSTS.master, 'services')).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^could not ask SSM: .*i-master/) });
    expect(component(hs, WORKERS[0]!, 'services').status).toBe('ok');
  });

  it('GIVEN an emulator without DescribeInstanceInformation, DescribeAlarms or SendCommand THEN every component is unknown (never healthy), each saying which API', async () => {
    w = world();
    healthy(w);
    w.ssm.describeInstanceInformation = async () => {
      throw notOffered('DescribeInstanceInformation');
    };
    w.ssm.sendCommand = async () => {
      throw notOffered('SendCommand');
    };
    const ops = await w.ctx().aws('us-west-2').ops();
    ops.cloudwatch.describeAlarms = async () => {
      throw notOffered('DescribeAlarms');
    };
    const hs = await health(w, emulatorSettings());
    expect(hs.every((x) => x.status === 'unknown')).toBe(true);
    expect(hs[0]!.components.map((c) => c.detail)).toEqual([
      expect.stringMatching(/^SSM DescribeInstanceInformation is not available on /),
      expect.stringMatching(/^CloudWatch DescribeAlarms is not available on /),
      expect.stringMatching(/^SSM SendCommand is not available on /),
    ]);
  });

  it('GIVEN DescribeAlarms is denied on AWS THEN the alarms are unknown with the error, the other components still checked', async () => {
    w = world();
    healthy(w);
    (await w.ctx().aws('us-west-2').ops()).cloudwatch.describeAlarms = async () => {
      throw new Error('AccessDenied: cloudwatch:DescribeAlarms');
    };
    const hs = await health(w);
    expect(component(hs, HOSTS.master, 'alarms')).toEqual({
      component: 'alarms',
      status: 'unknown',
      detail: 'DescribeAlarms failed: AccessDenied: cloudwatch:DescribeAlarms',
    });
    expect(component(hs, HOSTS.master, 'services').status).toBe('ok');
  });
});

describe('probeDbFromWorker', () => {
  const NAME = 'reachable from a worker (pg_isready over SSM)';
  it.each([
    ['dpf-pg-exit=0', 'Success', 'ok', 'db.example:5432 accepting connections (from i-worker1)'],
    ['dpf-pg-exit=1', 'Success', 'failed', 'db.example:5432 not reachable from i-worker1 (pg_isready exit 1: rejecting connections)'],
    ['dpf-pg-exit=2', 'Success', 'failed', 'db.example:5432 not reachable from i-worker1 (pg_isready exit 2: no response)'],
    ['dpf-pg-exit=127', 'Success', 'unknown', 'pg_isready is not installed on i-worker1'],
    ['', 'Success', 'unknown', 'SSM returned no output from i-worker1 (an emulator answers with empty output)'],
    ['dpf-pg-exit=0', 'Failed', 'unknown', 'SSM command on i-worker1 ended Failed'],
  ] as const)('GIVEN output %j and status %s THEN %s: %s', async (stdout, status, want, detail) => {
    w = world();
    w.ssm.script(WORKERS[0]!, { stdout, status }, { document: 'AWS-RunShellScript' });
    const h = await stepHarness(w);
    const check = await probeDbFromWorker(h.context(), await h.session.aws.ops(), WORKERS[0], 'db.example', 5432);
    expect(check).toEqual({ name: NAME, status: want, detail });
  });

  it.each([
    [undefined, 'db.example', 'no running worker to test from'],
    [WORKERS[0], undefined, 'the instance has no endpoint yet'],
  ])('GIVEN worker %s and endpoint %s THEN unknown without asking SSM: %s', async (worker, endpoint, detail) => {
    w = world();
    const h = await stepHarness(w);
    expect(await probeDbFromWorker(h.context(), await h.session.aws.ops(), worker, endpoint, 5432)).toEqual({ name: NAME, status: 'unknown', detail });
    expect(w.ssm.sentCommands()).toEqual([]);
  });
});

describe('anyWorker', () => {
  const ops = (describeGroup: () => Promise<unknown>) => ({ autoscaling: { describeGroup } }) as unknown as OpsPorts;
  it.each([
    ['no group', undefined, async () => expect.unreachable(), undefined],
    ['a group that cannot be read', 'g', async () => Promise.reject(new Error('throttled')), undefined],
    [
      'a group with one instance in service',
      'g',
      async () => ({
        instances: [
          { instanceId: 'i-1', lifecycleState: 'Pending' },
          { instanceId: 'i-2', lifecycleState: 'InService' },
        ],
      }),
      'i-2',
    ],
  ])('GIVEN %s THEN the worker to probe from is %s', async (_n, group, describeGroup, want) => {
    expect(await anyWorker(ops(describeGroup), group)).toBe(want);
  });
});

describe('serviceScript', () => {
  it('GIVEN units THEN one line per unit in the form parseServiceStates reads', () => {
    expect(serviceScript(['sshd', 'sssd'])).toEqual([`for s in sshd sssd; do printf 'dpf-svc %s=%s\\n' "$s" "$(systemctl is-active "$s" 2>/dev/null)"; done`]);
  });
});
