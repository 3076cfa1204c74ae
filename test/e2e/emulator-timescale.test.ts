/**
 * The emulator's time-scaled mode (tools/timescale.py, docs/emulator.md), checked through the
 * AWS APIs the way dpf polls: a stack stays CREATE_IN_PROGRESS for its resources' typical
 * create times along the template's longest chain (scaled), with per-resource events in
 * dependency order, refuses updates meanwhile, and completes; an SSM invocation goes
 * Pending → InProgress → Success. Then bin/dpf deploys a phase against it and waits for the
 * stack for real.
 *
 * Not timing-fragile: the scheduled instants are computed by the emulator (so event timestamps
 * are exact), and the only "right after" assertions have seconds of margin; everything else
 * asserts order and eventual states.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  ExecuteChangeSetCommand,
  DescribeStacksCommand,
  DescribeStackEventsCommand,
  DescribeChangeSetCommand,
  DeleteStackCommand,
  CreateStackCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { SSMClient, SendCommandCommand, GetCommandInvocationCommand, ListCommandInvocationsCommand, ListCommandsCommand } from '@aws-sdk/client-ssm';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { startEmulator, dpf, workdir, sdkConfig, ROOT, type Emulator } from './harness.js';

const SCALE = 60;
let em: Emulator;

beforeAll(async () => {
  // 180 AWS seconds of Run Command = 3 s here; 60 (1 s) for the shell document.
  em = await startEmulator({ timeScale: SCALE, ssmSeconds: [180, 'AWS-RunShellScript=60'] });
});
afterAll(async () => {
  await em?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, seen: T[] = [], timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (!seen.length || JSON.stringify(seen.at(-1)) !== JSON.stringify(v)) seen.push(v);
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms; seen ${JSON.stringify(seen)}`);
    await sleep(50);
  }
}
/** Chronological (the API lists newest first). */
const chronological = (events: StackEvent[]) => [...events].reverse();
const timeline = (log: string) =>
  log
    .split('\n')
    .filter((l) => l.startsWith('dpf-timescale '))
    .map((l) => JSON.parse(l.slice('dpf-timescale '.length)) as Record<string, any>);

// KMS key 122 s → alias 62 s (one chain), bucket 30 s and parameter 1 s alone: 184 AWS seconds, 3.07 s at 60×.
const TEMPLATE = {
  Resources: {
    Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Version: '2012-10-17', Statement: [] } } },
    KeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/timescale-test', TargetKeyId: { Ref: 'Key' } } },
    Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'dpf-timescale-test' } },
    Spare: { Type: 'AWS::SSM::Parameter', Properties: { Name: 'dpf-timescale-spare', Type: 'String', Value: 'x' } },
  },
};
const CHAIN_SECONDS = 122 + 62;

describe('GIVEN the emulator in time-scaled mode (60×)', () => {
  it('WHEN a change set creates a stack THEN it is CREATE_IN_PROGRESS (no update allowed), then complete with per-resource events in dependency order', async () => {
    const cfn = new CloudFormationClient(sdkConfig(em));
    const StackName = 'timescale-create';
    await cfn.send(new CreateChangeSetCommand({ StackName, ChangeSetName: 'c1', ChangeSetType: 'CREATE', TemplateBody: JSON.stringify(TEMPLATE) }));
    await until(
      () => cfn.send(new DescribeChangeSetCommand({ StackName, ChangeSetName: 'c1' })).then((c) => c.Status),
      (s) => s === 'CREATE_COMPLETE',
    );
    await cfn.send(new ExecuteChangeSetCommand({ StackName, ChangeSetName: 'c1' }));

    const during = (await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks![0]!;
    expect(during.StackStatus).toBe('CREATE_IN_PROGRESS');
    await expect(
      cfn.send(new CreateChangeSetCommand({ StackName, ChangeSetName: 'c2', ChangeSetType: 'UPDATE', TemplateBody: JSON.stringify(TEMPLATE) })),
    ).rejects.toThrow(/is in CREATE_IN_PROGRESS state and can not be updated/);

    const statuses: string[] = [];
    const done = await until(
      () => cfn.send(new DescribeStacksCommand({ StackName })).then((r) => r.Stacks![0]!.StackStatus!),
      (s) => !s.endsWith('_IN_PROGRESS'),
      statuses,
    );
    expect(done).toBe('CREATE_COMPLETE');
    expect(statuses).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    const after = (await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks![0]!;

    const events = chronological((await cfn.send(new DescribeStackEventsCommand({ StackName }))).StackEvents ?? []);
    const at = (id: string, status: string, reason?: string) =>
      events.findIndex((e) => e.LogicalResourceId === id && e.ResourceStatus === status && (reason === undefined || e.ResourceStatusReason === reason));
    const key = (e: StackEvent) => `${e.LogicalResourceId} ${e.ResourceStatus}`;
    expect(events.map(key)).toEqual(
      expect.arrayContaining([
        'Key CREATE_IN_PROGRESS',
        'Key CREATE_COMPLETE',
        'KeyAlias CREATE_IN_PROGRESS',
        'KeyAlias CREATE_COMPLETE',
        'Bucket CREATE_COMPLETE',
      ]),
    );
    expect(at(StackName, 'CREATE_IN_PROGRESS', 'User Initiated')).toBeGreaterThan(at(StackName, 'REVIEW_IN_PROGRESS'));
    for (const id of ['Key', 'KeyAlias', 'Bucket', 'Spare']) {
      expect(at(id, 'CREATE_IN_PROGRESS')).toBeGreaterThan(at(StackName, 'CREATE_IN_PROGRESS', 'User Initiated'));
      expect(at(id, 'CREATE_IN_PROGRESS', 'Resource creation Initiated')).toBeGreaterThan(at(id, 'CREATE_IN_PROGRESS'));
      expect(at(id, 'CREATE_COMPLETE')).toBeGreaterThan(at(id, 'CREATE_IN_PROGRESS', 'Resource creation Initiated'));
      expect(at(StackName, 'CREATE_COMPLETE')).toBeGreaterThan(at(id, 'CREATE_COMPLETE'));
    }
    // The alias needs the key (Ref): it starts only once the key is complete.
    expect(at('KeyAlias', 'CREATE_IN_PROGRESS')).toBeGreaterThan(at('Key', 'CREATE_COMPLETE'));
    const times = events.map((e) => e.Timestamp!.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const stackEvent = (status: string) => events[at(StackName, status)]!.Timestamp!.getTime();
    expect(stackEvent('CREATE_COMPLETE') - stackEvent('CREATE_IN_PROGRESS')).toBeCloseTo((CHAIN_SECONDS / SCALE) * 1000, -1);

    const logged = timeline(em.log()).find((r) => r.kind === 'stack' && r.stack === StackName && r.operation === 'CREATE');
    expect(logged).toMatchObject({ awsSeconds: CHAIN_SECONDS, path: ['Key', 'KeyAlias'], resources: 4, scale: SCALE });

    // An update: the modified bucket first, then the cleanup phase deletes the removed parameter.
    const updated = {
      Resources: {
        Key: TEMPLATE.Resources.Key,
        KeyAlias: TEMPLATE.Resources.KeyAlias,
        Bucket: { ...TEMPLATE.Resources.Bucket, Properties: { ...TEMPLATE.Resources.Bucket.Properties, Tags: [{ Key: 'k', Value: 'v' }] } },
      },
    };
    await cfn.send(new CreateChangeSetCommand({ StackName, ChangeSetName: 'u1', ChangeSetType: 'UPDATE', TemplateBody: JSON.stringify(updated) }));
    await until(
      () => cfn.send(new DescribeChangeSetCommand({ StackName, ChangeSetName: 'u1' })).then((c) => c.Status),
      (s) => s === 'CREATE_COMPLETE',
    );
    await cfn.send(new ExecuteChangeSetCommand({ StackName, ChangeSetName: 'u1' }));
    expect(
      await until(
        () => cfn.send(new DescribeStacksCommand({ StackName })).then((r) => r.Stacks![0]!.StackStatus!),
        (s) => !s.endsWith('_IN_PROGRESS'),
      ),
    ).toBe('UPDATE_COMPLETE');
    const all = chronological((await cfn.send(new DescribeStackEventsCommand({ StackName }))).StackEvents ?? []);
    const upd = all.slice(all.findLastIndex((e) => e.LogicalResourceId === StackName && e.ResourceStatus === 'UPDATE_IN_PROGRESS')).map(key);
    expect(upd).toEqual([
      `${StackName} UPDATE_IN_PROGRESS`,
      'Bucket UPDATE_IN_PROGRESS',
      'Bucket UPDATE_COMPLETE',
      `${StackName} UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`,
      'Spare DELETE_IN_PROGRESS',
      'Spare DELETE_COMPLETE',
      `${StackName} UPDATE_COMPLETE`,
    ]);

    // Deleting: resources go in reverse dependency order, then the stack is gone by name.
    await cfn.send(new DeleteStackCommand({ StackName }));
    await until(
      () =>
        cfn.send(new DescribeStacksCommand({ StackName })).then(
          () => 'exists',
          (err: Error) => err.message,
        ),
      (s) => /does not exist/.test(s),
    );
    const gone = (await cfn.send(new DescribeStacksCommand({ StackName: after.StackId }))).Stacks![0]!;
    expect(gone.StackStatus).toBe('DELETE_COMPLETE');
    const del = chronological((await cfn.send(new DescribeStackEventsCommand({ StackName: after.StackId }))).StackEvents ?? []);
    const d = (id: string, status: string) => del.findIndex((e) => e.LogicalResourceId === id && e.ResourceStatus === status);
    expect(d('Key', 'DELETE_IN_PROGRESS')).toBeGreaterThan(d('KeyAlias', 'DELETE_COMPLETE'));
    expect(d(StackName, 'DELETE_COMPLETE')).toBeGreaterThan(d('Key', 'DELETE_COMPLETE'));
  });

  it('WHEN a change set is replayed with its ClientToken and executed twice with its ClientRequestToken THEN one REVIEW_IN_PROGRESS stack, one execution, timed once (the mode wraps the change-set models)', async () => {
    const cfn = new CloudFormationClient(sdkConfig(em));
    const StackName = 'timescale-tokens';
    const create = () =>
      cfn.send(
        new CreateChangeSetCommand({
          StackName,
          ChangeSetName: 'c1',
          ChangeSetType: 'CREATE',
          TemplateBody: JSON.stringify(TEMPLATE),
          ClientToken: 'create-1',
        }),
      );
    const first = await create();
    expect((await create()).Id).toBe(first.Id);
    expect((await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks!.map((x) => x.StackStatus)).toEqual(['REVIEW_IN_PROGRESS']);
    await until(
      () => cfn.send(new DescribeChangeSetCommand({ StackName, ChangeSetName: 'c1' })).then((c) => c.Status),
      (st) => st === 'CREATE_COMPLETE',
    );
    await cfn.send(new ExecuteChangeSetCommand({ StackName, ChangeSetName: 'c1', ClientRequestToken: 'execute-1' }));
    // The replay is answered by the token model before the time-scaled "busy" check: no error, no second execution.
    await cfn.send(new ExecuteChangeSetCommand({ StackName, ChangeSetName: 'c1', ClientRequestToken: 'execute-1' }));
    expect((await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks![0]!.StackStatus).toBe('CREATE_IN_PROGRESS');
    expect(
      await until(
        () => cfn.send(new DescribeStacksCommand({ StackName })).then((r) => r.Stacks![0]!.StackStatus!),
        (st) => !st.endsWith('_IN_PROGRESS'),
      ),
    ).toBe('CREATE_COMPLETE');
    expect(
      timeline(em.log())
        .filter((r) => r.kind === 'stack' && r.stack === StackName)
        .map((r) => r.operation),
    ).toEqual(['CREATE']);
    expect(
      em
        .audit()
        .filter((e) => e.stack === StackName)
        .map((e) => e.op),
    ).toEqual(['CreateStack', 'CreateChangeSet', 'ExecuteChangeSet']);
  });

  it('WHEN CreateStack creates a stack THEN its outputs appear only once it is complete', async () => {
    const cfn = new CloudFormationClient(sdkConfig(em));
    const StackName = 'timescale-outputs';
    const template = { Resources: { Key: TEMPLATE.Resources.Key, Bucket: { Type: 'AWS::S3::Bucket' } }, Outputs: { BucketName: { Value: { Ref: 'Bucket' } } } };
    await cfn.send(new CreateStackCommand({ StackName, TemplateBody: JSON.stringify(template) }));
    const during = (await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks![0]!;
    expect(during.StackStatus).toBe('CREATE_IN_PROGRESS');
    expect(during.Outputs ?? []).toEqual([]);
    await until(
      () => cfn.send(new DescribeStacksCommand({ StackName })).then((r) => r.Stacks![0]!.StackStatus!),
      (st) => st === 'CREATE_COMPLETE',
    );
    const after = (await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks![0]!;
    expect(after.Outputs?.map((o) => o.OutputKey)).toEqual(['BucketName']);
  });

  it('WHEN CreateStack is replayed with its ClientRequestToken THEN the same stack answers, created once; without the token, or with another, AlreadyExists', async () => {
    const cfn = new CloudFormationClient(sdkConfig(em));
    const StackName = 'timescale-create-token';
    const create = (token?: string) =>
      // The key alone: TEMPLATE's bucket name is taken by the tests above.
      cfn.send(
        new CreateStackCommand({
          StackName,
          TemplateBody: JSON.stringify({ Resources: { Key: TEMPLATE.Resources.Key } }),
          ...(token ? { ClientRequestToken: token } : {}),
        }),
      );
    const first = await create('create-1');
    expect((await create('create-1')).StackId).toBe(first.StackId);
    for (const token of [undefined, 'create-2']) await expect(create(token)).rejects.toMatchObject({ name: 'AlreadyExistsException' });
    expect(
      em
        .audit()
        .filter((e) => e.stack === StackName)
        .map((e) => e.op),
    ).toEqual(['CreateStack']);
    expect(
      timeline(em.log())
        .filter((r) => r.kind === 'stack' && r.stack === StackName)
        .map((r) => r.operation),
    ).toEqual(['CREATE']);
  });

  it('WHEN an SSM command is sent THEN its invocation is not finished at first, then Success, through GetCommandInvocation, ListCommandInvocations and ListCommands alike', async () => {
    const cfg = sdkConfig(em);
    const ssm = new SSMClient(cfg);
    const instanceId = (await new EC2Client(cfg).send(new RunInstancesCommand({ ImageId: 'ami-0f9e1d2c3b4a59687', MinCount: 1, MaxCount: 1 }))).Instances![0]!
      .InstanceId!;
    const CommandId = (
      await ssm.send(
        new SendCommandCommand({ DocumentName: 'AWS-ApplyAnsiblePlaybooks', InstanceIds: [instanceId], Parameters: { PlaybookFile: ['site.yml'] } }),
      )
    ).Command!.CommandId!;

    const read = async () => {
      const get = await ssm.send(new GetCommandInvocationCommand({ CommandId, InstanceId: instanceId }));
      const listed = (await ssm.send(new ListCommandInvocationsCommand({ CommandId, Details: true }))).CommandInvocations ?? [];
      const cmd = (await ssm.send(new ListCommandsCommand({ CommandId }))).Commands![0]!;
      return {
        get: get.Status!,
        code: get.ResponseCode,
        listed: listed.map((i) => `${i.InstanceId} ${i.Status} ${i.CommandPlugins?.[0]?.Status}`),
        command: cmd.Status!,
      };
    };
    const first = await read();
    expect(['Pending', 'InProgress']).toContain(first.get);
    expect(first.code).toBe(-1);
    expect(first.listed).toEqual([`${instanceId} ${first.get} ${first.get}`]);
    const seen: Array<Awaited<ReturnType<typeof read>>> = [];
    const last = await until(read, (v) => v.get === 'Success' && v.command === 'Success' && v.listed[0] === `${instanceId} Success Success`, seen);
    expect(last.code).toBe(0);
    const order = ['Pending', 'InProgress', 'Success'];
    const gets = [first, ...seen].map((v) => order.indexOf(v.get));
    expect(gets).toEqual([...gets].sort((a, b) => a - b));
    expect(gets).not.toContain(-1);

    const logged = timeline(em.log()).find((r) => r.kind === 'command' && r.commandId === CommandId);
    expect(logged).toMatchObject({ document: 'AWS-ApplyAnsiblePlaybooks', awsSeconds: 180, instances: [instanceId] });
  });

  it('WHEN dpf deploys the bootstrap phase THEN it shows the stack in progress resource by resource and records it done only after the emulator completed it', async () => {
    const dir = workdir('dpf-e2e-timescale-');
    expect((await dpf(em, ['init', '--env', 'slow', '--defaults', '--yes'], { cwd: dir })).code).toBe(0);
    const r = await dpf(em, ['deploy', '--env', 'slow', '--phase', 'bootstrap', '--yes', '--json'], { cwd: dir, env: { DPF_POLL_MS: '50' } });
    expect(r.code, r.all).toBe(0);
    const ev = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const progress = ev
      .filter((e) => e.type === 'step-progress' && e.stepId === 'bootstrap.state' && e.resource)
      .map((e) => `${e.resource.logicalId} ${e.resource.status}`);
    expect(progress.indexOf('StateKey CREATE_IN_PROGRESS')).toBeGreaterThanOrEqual(0);
    expect(progress.indexOf('StateKey CREATE_COMPLETE')).toBeGreaterThan(progress.indexOf('StateKey CREATE_IN_PROGRESS'));
    expect(progress.at(-1)).toBe('dataplatform-slow-bootstrap CREATE_COMPLETE');
    const op = timeline(em.log()).find((x) => x.kind === 'stack' && x.stack === 'dataplatform-slow-bootstrap' && x.operation === 'CREATE')!;
    expect(op.awsSeconds).toBeGreaterThan(120); // the KMS key alone is 122 s
    const doneAt = Date.parse(ev.find((e) => e.type === 'step-done' && e.stepId === 'bootstrap.state').time) / 1000;
    expect(doneAt).toBeGreaterThanOrEqual(op.end);
  });

  it('WHEN the model is asked offline for the storage template THEN its longest chain runs through the RDS instance (595 s, rain)', async () => {
    const { loadTemplate } = await import(path.join(ROOT, 'dist', 'templates', 'registry.js'));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dpf-timescale-')), 'storage.json');
    writeFileSync(file, loadTemplate('storage').body);
    const chain = JSON.parse(
      execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), [path.join(ROOT, 'tools', 'timescale.py'), 'chain', file], { encoding: 'utf8' }),
    );
    expect(chain.path).toContain('DbInstance');
    expect(chain.seconds).toBeGreaterThanOrEqual(595);
    expect(chain.resources.DbInstance.end - chain.resources.DbInstance.start).toBe(595);
  });
});
