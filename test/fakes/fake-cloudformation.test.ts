import { describe, expect, it } from 'vitest';
import type { StackEvent } from '../../src/aws/cloudformation.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_FAKE_START, FakeClock } from './fake-clock.js';
import { FakeCloudFormation, NO_CHANGES_REASON, type FakeCloudFormationOptions } from './fake-cloudformation.js';

// ---- helpers ------------------------------------------------------------------------------

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function template(resources: Resources, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...extra, Resources: resources });
}

const TWO_TOPICS: Resources = {
  TopicA: { Type: 'AWS::SNS::Topic' },
  TopicB: { Type: 'AWS::SNS::Topic' },
};

function setup(options: FakeCloudFormationOptions = {}) {
  const clock = new FakeClock();
  const cfn = new FakeCloudFormation({ clock, ...options });
  return { clock, cfn };
}

function changeSet(
  stackName: string,
  templateBody: string,
  changeSetType: 'CREATE' | 'UPDATE',
  changeSetName = 'cs-1',
  parameters: Record<string, string> = {},
) {
  return {
    stackName,
    changeSetName,
    changeSetType,
    templateBody,
    parameters: Object.entries(parameters).map(([key, value]) => ({ key, value })),
    tags: [{ key: 'project', value: 'dpf' }],
    capabilities: [],
  };
}

/** create/update + execute and run everything to the end on an auto-advancing clock. */
async function deploy(
  cfn: FakeCloudFormation,
  clock: FakeClock,
  stackName: string,
  body: string,
  type: 'CREATE' | 'UPDATE',
  name = 'cs-1',
  parameters: Record<string, string> = {},
) {
  clock.autoAdvance();
  await cfn.createChangeSet(changeSet(stackName, body, type, name, parameters));
  await cfn.settle();
  await cfn.executeChangeSet(stackName, name);
  await cfn.settle();
  clock.autoAdvance(false);
}

/** Oldest first, as "logicalId STATUS" — easier to read than the API's newest-first list. */
async function timeline(cfn: FakeCloudFormation, stackNameOrId: string): Promise<string[]> {
  const events = await cfn.describeStackEvents(stackNameOrId);
  return [...events].reverse().map((e) => `${e.logicalId} ${e.status}`);
}

async function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

// ---- FakeClock ----------------------------------------------------------------------------

describe('FakeClock', () => {
  it('GIVEN sleepers WHEN advancing THEN they wake in deadline order at their deadline', async () => {
    const clock = new FakeClock('2025-01-01T00:00:00Z');
    const woke: string[] = [];
    const start = clock.now().getTime();
    void clock.sleep(300).then(() => woke.push(`c@${clock.now().getTime() - start}`));
    void clock.sleep(100).then(() => woke.push(`a@${clock.now().getTime() - start}`));
    void clock.sleep(200).then(() => woke.push(`b@${clock.now().getTime() - start}`));

    await clock.advance(250);
    expect(woke).toEqual(['a@100', 'b@200']);
    expect(clock.now().getTime() - start).toBe(250);

    await clock.advance(50);
    expect(woke).toEqual(['a@100', 'b@200', 'c@300']);
  });

  it('GIVEN a loop that sleeps repeatedly WHEN advancing once past several periods THEN each iteration runs', async () => {
    const clock = new FakeClock();
    let ticks = 0;
    void (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(1000);
        ticks++;
      }
    })();
    await clock.advance(3500);
    expect(ticks).toBe(3);
  });

  it('GIVEN a sleep with a signal WHEN the signal aborts THEN it rejects with an AbortError and leaves the queue', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(clock.pendingSleeps).toBe(0);
    await expect(clock.sleep(10, ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('GIVEN autoAdvance WHEN code polls with sleep THEN it completes without manual advancing, in fake time', async () => {
    const clock = new FakeClock().autoAdvance();
    const start = clock.now().getTime();
    let polls = 0;
    while (polls < 10) {
      await clock.sleep(5000);
      polls++;
    }
    expect(clock.now().getTime() - start).toBe(50_000);
  });

  it('GIVEN autoAdvance and a file being written WHEN another loop sleeps THEN the clock waits for the write: file I/O takes no fake time', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-clock-'));
    const clock = new FakeClock().autoAdvance();
    let woke = false;
    void clock.sleep(1000).then(() => (woke = true));
    const fh = await open(path.join(dir, 'ledger.json'), 'w');
    for (let i = 0; i < 20; i++) {
      await fh.writeFile('x'.repeat(10_000));
      await fh.sync();
    }
    await fh.close();
    expect(woke).toBe(false);
    expect(clock.now().toISOString()).toBe(DEFAULT_FAKE_START);
    await clock.sleep(1000);
    expect(woke).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});

// ---- create -------------------------------------------------------------------------------

describe('FakeCloudFormation: create', () => {
  it('GIVEN a new stack WHEN a CREATE change set is executed THEN events follow the AWS order and the stack is CREATE_COMPLETE', async () => {
    const { clock, cfn } = setup();
    const start = clock.now().getTime();

    await deploy(cfn, clock, 'net', template(TWO_TOPICS), 'CREATE');

    expect(await timeline(cfn, 'net')).toEqual([
      'net REVIEW_IN_PROGRESS',
      'net CREATE_IN_PROGRESS',
      'TopicA CREATE_IN_PROGRESS',
      'TopicA CREATE_COMPLETE',
      'TopicB CREATE_IN_PROGRESS',
      'TopicB CREATE_COMPLETE',
      'net CREATE_COMPLETE',
    ]);
    const events = await cfn.describeStackEvents('net');
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    // 2 s of change set + 2 × 2 s of resources
    expect(events[0]!.timestamp.getTime() - start).toBe(6000);
    const stack = await cfn.describeStack('net');
    expect(stack).toMatchObject({ status: 'CREATE_COMPLETE', tags: { project: 'dpf' }, driftStatus: 'NOT_CHECKED' });
    expect(stack!.stackId).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\/net\/[0-9a-f-]{36}$/);
    expect((await cfn.listStackResources('net')).map((r) => [r.logicalId, r.status])).toEqual([
      ['TopicA', 'CREATE_COMPLETE'],
      ['TopicB', 'CREATE_COMPLETE'],
    ]);
  });

  it('GIVEN a change set and an execution WHEN the clock is advanced step by step THEN each in-progress state is visible', async () => {
    const { clock, cfn } = setup();
    await cfn.createChangeSet(changeSet('net', template(TWO_TOPICS), 'CREATE'));

    const csStatus = async () => (await cfn.describeChangeSet('net', 'cs-1')).status;
    expect(await csStatus()).toBe('CREATE_PENDING');
    expect((await cfn.describeStack('net'))!.status).toBe('REVIEW_IN_PROGRESS');
    await clock.advance(1000);
    expect(await csStatus()).toBe('CREATE_IN_PROGRESS');
    await clock.advance(1000);
    expect(await csStatus()).toBe('CREATE_COMPLETE');
    expect((await cfn.describeChangeSet('net', 'cs-1')).changes.map((c) => `${c.action} ${c.logicalId}`)).toEqual(['Add TopicA', 'Add TopicB']);

    await cfn.executeChangeSet('net', 'cs-1');
    const status = async () => (await cfn.describeStack('net'))!.status;
    const resources = async () => (await cfn.listStackResources('net')).map((r) => `${r.logicalId} ${r.status}`);
    expect(await status()).toBe('CREATE_IN_PROGRESS');
    expect(await resources()).toEqual(['TopicA CREATE_IN_PROGRESS']);
    await clock.advance(2000);
    expect(await resources()).toEqual(['TopicA CREATE_COMPLETE', 'TopicB CREATE_IN_PROGRESS']);
    expect(await status()).toBe('CREATE_IN_PROGRESS');
    expect((await cfn.describeStack('net'))!.outputs).toEqual({});
    await clock.advance(2000);
    expect(await status()).toBe('CREATE_COMPLETE');
    expect(cfn.pendingOperations).toBe(0);
  });

  it('GIVEN autoAdvance WHEN a poller sleeps 5 s between describeStack calls THEN it sees CREATE_COMPLETE at the first poll after 4 s', async () => {
    const { clock, cfn } = setup();
    clock.autoAdvance();
    await cfn.createChangeSet(changeSet('net', template(TWO_TOPICS), 'CREATE'));
    await cfn.settle();
    await cfn.executeChangeSet('net', 'cs-1');
    const start = clock.now().getTime();

    const seen: string[] = [];
    for (;;) {
      const status = (await cfn.describeStack('net'))!.status;
      seen.push(`${(clock.now().getTime() - start) / 1000}s ${status}`);
      if (!status.endsWith('_IN_PROGRESS')) break;
      await clock.sleep(5000);
    }

    expect(seen).toEqual(['0s CREATE_IN_PROGRESS', '5s CREATE_COMPLETE']);
    expect((await cfn.describeStackEvents('net'))[0]!.timestamp.getTime() - start).toBe(4000);
  });

  it('GIVEN a resource that fails to create WHEN the change set is executed THEN the stack rolls back to ROLLBACK_COMPLETE with the root cause in the events', async () => {
    const { clock, cfn } = setup();
    cfn.failResource('net', 'TopicB', 'Resource handler returned message: "Access Denied"');

    await deploy(cfn, clock, 'net', template({ ...TWO_TOPICS, TopicC: { Type: 'AWS::SNS::Topic' } }), 'CREATE');

    expect(await timeline(cfn, 'net')).toEqual([
      'net REVIEW_IN_PROGRESS',
      'net CREATE_IN_PROGRESS',
      'TopicA CREATE_IN_PROGRESS',
      'TopicA CREATE_COMPLETE',
      'TopicB CREATE_IN_PROGRESS',
      'TopicB CREATE_FAILED',
      'net ROLLBACK_IN_PROGRESS',
      'TopicB DELETE_COMPLETE',
      'TopicA DELETE_IN_PROGRESS',
      'TopicA DELETE_COMPLETE',
      'net ROLLBACK_COMPLETE',
    ]);
    const events = await cfn.describeStackEvents('net');
    const rootCause = events.find((e) => e.status === 'CREATE_FAILED')!;
    expect(rootCause).toMatchObject({ logicalId: 'TopicB', reason: 'Resource handler returned message: "Access Denied"' });
    expect(events.find((e) => e.status === 'ROLLBACK_IN_PROGRESS')!.reason).toBe(
      'The following resource(s) failed to create: [TopicB]. Rollback requested by user.',
    );
    expect(await cfn.listStackResources('net')).toEqual([]);
    expect((await cfn.describeChangeSet('net', 'cs-1')).executionStatus).toBe('EXECUTE_FAILED');
  });

  it('GIVEN concurrency 2 WHEN one resource fails THEN the one still in progress is cancelled', async () => {
    const { clock, cfn } = setup({ concurrency: 2, resourceDurationsMs: { 'AWS::S3::Bucket': 5000 } });
    cfn.failResource('*', 'Topic', 'boom');

    await deploy(cfn, clock, 'data', template({ Bucket: { Type: 'AWS::S3::Bucket' }, Topic: { Type: 'AWS::SNS::Topic' } }), 'CREATE');

    const events = await cfn.describeStackEvents('data');
    const failed = events.filter((e) => e.status === 'CREATE_FAILED').reverse();
    expect(failed.map((e) => [e.logicalId, e.reason])).toEqual([
      ['Topic', 'boom'],
      ['Bucket', 'Resource creation cancelled'],
    ]);
    expect((await cfn.describeStack('data'))!.status).toBe('ROLLBACK_COMPLETE');
  });

  it('GIVEN failRollback on a create WHEN the rollback deletes the resource THEN the stack ends ROLLBACK_FAILED', async () => {
    const { clock, cfn } = setup();
    cfn.failResource('net', 'TopicB', 'boom');
    cfn.failRollback('net', 'TopicA', 'cannot delete');

    await deploy(cfn, clock, 'net', template(TWO_TOPICS), 'CREATE');

    expect(await cfn.describeStack('net')).toMatchObject({
      status: 'ROLLBACK_FAILED',
      statusReason: 'The following resource(s) failed to delete: [TopicA].',
    });
  });
});

// ---- change sets --------------------------------------------------------------------------

describe('FakeCloudFormation: createStack', () => {
  const input = (token?: string) => ({
    stackName: 'net',
    templateBody: template(TWO_TOPICS),
    parameters: [],
    tags: [],
    capabilities: [],
    clientRequestToken: token,
  });

  it('GIVEN a new name WHEN createStack THEN the creation runs at once as a CREATE change set would, with no change set and no REVIEW_IN_PROGRESS', async () => {
    const { clock, cfn } = setup();
    const { stackId } = await cfn.createStack(input('t-1'));
    expect((await cfn.describeStack('net'))!.status).toBe('CREATE_IN_PROGRESS');
    clock.autoAdvance();
    await cfn.settle();
    expect(await timeline(cfn, 'net')).toEqual([
      'net CREATE_IN_PROGRESS',
      'TopicA CREATE_IN_PROGRESS',
      'TopicA CREATE_COMPLETE',
      'TopicB CREATE_IN_PROGRESS',
      'TopicB CREATE_COMPLETE',
      'net CREATE_COMPLETE',
    ]);
    expect((await cfn.describeStack('net'))!.stackId).toBe(stackId);
    expect(await cfn.listChangeSets('net')).toEqual([]);
    expect(cfn.mutatingCalls().map((c) => c.op)).toEqual(['createStack']);
  });

  it.each<[string, string | undefined, string | undefined]>([
    ['its token again (a retry): the same stack, nothing new', 't-1', undefined],
    ['no token', undefined, 'AlreadyExistsException'],
    ['another token', 't-2', 'AlreadyExistsException'],
  ])('GIVEN a stack made by createStack WHEN createStack comes with %s', async (_what, token, error) => {
    const { cfn } = setup();
    const { stackId } = await cfn.createStack(input('t-1'));
    const again = cfn.createStack(input(token));
    if (error) expect((await errorOf(again)).name).toBe(error);
    else expect((await again).stackId).toBe(stackId);
  });

  it('GIVEN a REVIEW_IN_PROGRESS stack (a CREATE change set not executed) WHEN createStack THEN AlreadyExistsException', async () => {
    const { cfn } = setup();
    await cfn.createChangeSet(changeSet('net', template(TWO_TOPICS), 'CREATE'));
    expect((await errorOf(cfn.createStack(input('t-1')))).name).toBe('AlreadyExistsException');
  });
});

describe('FakeCloudFormation: change sets', () => {
  it('GIVEN an unchanged template, parameters and tags WHEN an UPDATE change set is created THEN it FAILS with the no-changes reason', async () => {
    const { clock, cfn } = setup();
    await deploy(cfn, clock, 'net', template(TWO_TOPICS), 'CREATE');

    clock.autoAdvance();
    await cfn.createChangeSet(changeSet('net', template(TWO_TOPICS), 'UPDATE', 'cs-2'));
    await cfn.settle();

    expect(await cfn.describeChangeSet('net', 'cs-2')).toMatchObject({
      status: 'FAILED',
      statusReason: NO_CHANGES_REASON,
      executionStatus: 'UNAVAILABLE',
      changes: [],
    });
    expect("The submitted information didn't contain changes. Submit different information to create a change set.").toBe(NO_CHANGES_REASON);
    expect((await errorOf(cfn.executeChangeSet('net', 'cs-2'))).name).toBe('InvalidChangeSetStatusException');
  });

  it.each([
    ['AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' }, { CidrBlock: '10.1.0.0/16' }, 'True'],
    ['AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16', EnableDnsSupport: true }, { CidrBlock: '10.0.0.0/16', EnableDnsSupport: false }, 'False'],
    ['AWS::EC2::Subnet', { CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }, { CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1b' }, 'True'],
    ['AWS::RDS::DBInstance', { DBName: 'a', Engine: 'postgres' }, { DBName: 'a', Engine: 'mysql' }, 'True'],
    ['AWS::RDS::DBInstance', { DBName: 'a', AllocatedStorage: '20' }, { DBName: 'a', AllocatedStorage: '50' }, 'False'],
    ['AWS::S3::Bucket', { BucketName: 'a' }, { BucketName: 'b' }, 'True'],
    ['AWS::EFS::FileSystem', { PerformanceMode: 'generalPurpose' }, { PerformanceMode: 'maxIO' }, 'True'],
    ['AWS::EC2::Instance', { ImageId: 'ami-1', InstanceType: 't3.small' }, { ImageId: 'ami-2', InstanceType: 't3.small' }, 'True'],
    ['AWS::EC2::Instance', { ImageId: 'ami-1', InstanceType: 't3.small' }, { ImageId: 'ami-1', InstanceType: 't3.large' }, 'False'],
    ['AWS::SNS::Topic', { DisplayName: 'a' }, { DisplayName: 'b' }, 'False'],
  ])('GIVEN a %s WHEN %j becomes %j THEN the Modify has Replacement %s', async (type, before, after, replacement) => {
    const { clock, cfn } = setup();
    await deploy(cfn, clock, 's', template({ Res: { Type: type, Properties: before } }), 'CREATE');

    clock.autoAdvance();
    await cfn.createChangeSet(changeSet('s', template({ Res: { Type: type, Properties: after } }), 'UPDATE', 'cs-2'));
    await cfn.settle();

    const { changes } = await cfn.describeChangeSet('s', 'cs-2');
    expect(changes).toEqual([{ action: 'Modify', logicalId: 'Res', resourceType: type, replacement, physicalId: expect.any(String) }]);
  });

  it('GIVEN a template that adds, removes and changes a parameter WHEN diffed THEN Add, Remove and Modify are listed', async () => {
    const { clock, cfn } = setup();
    const v1 = template(
      { Old: { Type: 'AWS::SNS::Topic' }, Named: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { Ref: 'Name' } } } },
      { Parameters: { Name: { Type: 'String' } } },
    );
    const v2 = template(
      { New: { Type: 'AWS::SNS::Topic' }, Named: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { Ref: 'Name' } } } },
      { Parameters: { Name: { Type: 'String' } } },
    );
    await deploy(cfn, clock, 's', v1, 'CREATE', 'cs-1', { Name: 'one' });

    clock.autoAdvance();
    await cfn.createChangeSet(changeSet('s', v2, 'UPDATE', 'cs-2', { Name: 'two' }));
    await cfn.settle();

    const { changes } = await cfn.describeChangeSet('s', 'cs-2');
    expect(changes.map((c) => `${c.action} ${c.logicalId} ${c.replacement ?? '-'}`)).toEqual(['Add New -', 'Modify Named False', 'Remove Old -']);
  });

  it.each([
    [
      'CREATE on an existing stack',
      'AlreadyExistsException',
      (cfn: FakeCloudFormation) => cfn.createChangeSet(changeSet('net', template(TWO_TOPICS), 'CREATE', 'again')),
      /Stack \[net\] already exists/,
    ],
    [
      'UPDATE on a missing stack',
      'ValidationError',
      (cfn: FakeCloudFormation) => cfn.createChangeSet(changeSet('nope', template(TWO_TOPICS), 'UPDATE')),
      /^Stack \[nope\] does not exist$/,
    ],
    [
      'a change set name already used',
      'AlreadyExistsException',
      (cfn: FakeCloudFormation) => cfn.createChangeSet(changeSet('net', template({ X: { Type: 'AWS::SNS::Topic' } }), 'UPDATE', 'cs-1')),
      /ChangeSet \[cs-1\] already exists/,
    ],
    [
      'a parameter the template does not declare',
      'ValidationError',
      (cfn: FakeCloudFormation) => cfn.createChangeSet(changeSet('p', template(TWO_TOPICS), 'CREATE', 'c', { Extra: 'x' })),
      /Parameters: \[Extra\] do not exist in the template/,
    ],
    [
      'a required parameter not given',
      'ValidationError',
      (cfn: FakeCloudFormation) => cfn.createChangeSet(changeSet('p', template(TWO_TOPICS, { Parameters: { Env: { Type: 'String' } } }), 'CREATE')),
      /Parameters: \[Env\] must have values/,
    ],
    [
      'a named IAM role without CAPABILITY_NAMED_IAM',
      'InsufficientCapabilitiesException',
      (cfn: FakeCloudFormation) => cfn.createChangeSet(changeSet('p', template({ R: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'r' } } }), 'CREATE')),
      /Requires capabilities : \[CAPABILITY_NAMED_IAM\]/,
    ],
    [
      'an unparsable template',
      'ValidationError',
      (cfn: FakeCloudFormation) => cfn.createChangeSet(changeSet('p', '{ "Resources": [', 'CREATE')),
      /^Template format error/,
    ],
    [
      'describing an unknown change set',
      'ChangeSetNotFoundException',
      (cfn: FakeCloudFormation) => cfn.describeChangeSet('net', 'zzz'),
      /ChangeSet \[zzz\] does not exist/,
    ],
    ['events of an unknown stack', 'ValidationError', (cfn: FakeCloudFormation) => cfn.describeStackEvents('nope'), /Stack \[nope\] does not exist/],
    ['resources of an unknown stack', 'ValidationError', (cfn: FakeCloudFormation) => cfn.listStackResources('nope'), /does not exist/],
  ])('GIVEN a CREATE_COMPLETE stack "net" WHEN %s THEN it throws %s', async (_case, name, call, message) => {
    const { clock, cfn } = setup();
    await deploy(cfn, clock, 'net', template(TWO_TOPICS), 'CREATE');

    const err = await errorOf(call(cfn));

    expect(err.name).toBe(name);
    expect(err.message).toMatch(message);
  });

  it('GIVEN an unknown stack WHEN described THEN it is undefined and nothing mutating was recorded', async () => {
    const { cfn } = setup();
    expect(await cfn.describeStack('nope')).toBeUndefined();
    expect(cfn.calls.map((c) => c.op)).toEqual(['describeStack']);
    expect(cfn.mutatingCalls()).toEqual([]);
  });
});

// ---- update -------------------------------------------------------------------------------

describe('FakeCloudFormation: update', () => {
  const V1 = template({
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
    Old: { Type: 'AWS::SNS::Topic' },
  });
  const V2 = template({
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.1.0.0/16' } },
    New: { Type: 'AWS::SNS::Topic' },
  });

  it('GIVEN a replacement, an add and a remove WHEN executed THEN cleanup deletes the old VPC and the removed topic before UPDATE_COMPLETE', async () => {
    const { clock, cfn } = setup();
    await deploy(cfn, clock, 'net', V1, 'CREATE');
    const oldVpc = (await cfn.listStackResources('net')).find((r) => r.logicalId === 'Vpc')!.physicalId;
    const seen = (await cfn.describeStackEvents('net')).length;

    await cfn.createChangeSet(changeSet('net', V2, 'UPDATE', 'cs-2'));
    await clock.advance(2000);
    await cfn.executeChangeSet('net', 'cs-2');
    await clock.advance(4000); // Vpc update + New create
    expect((await cfn.describeStack('net'))!.status).toBe('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    await clock.advance(1000 + 4000); // cleanup pause + 2 deletions
    expect((await cfn.describeStack('net'))!.status).toBe('UPDATE_COMPLETE');

    const events = (await cfn.describeStackEvents('net')).slice(0, -seen).reverse();
    expect(events.map((e) => `${e.logicalId} ${e.status}`)).toEqual([
      'net UPDATE_IN_PROGRESS',
      'Vpc UPDATE_IN_PROGRESS',
      'Vpc UPDATE_COMPLETE',
      'New CREATE_IN_PROGRESS',
      'New CREATE_COMPLETE',
      'net UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'Vpc DELETE_IN_PROGRESS',
      'Vpc DELETE_COMPLETE',
      'Old DELETE_IN_PROGRESS',
      'Old DELETE_COMPLETE',
      'net UPDATE_COMPLETE',
    ]);
    expect(events.find((e) => e.logicalId === 'Vpc' && e.status === 'DELETE_COMPLETE')!.physicalId).toBe(oldVpc);
    const resources = await cfn.listStackResources('net');
    expect(resources.map((r) => r.logicalId)).toEqual(['Vpc', 'New']);
    expect(resources[0]!.physicalId).not.toBe(oldVpc);
    expect((await cfn.describeStack('net'))!.lastUpdated).toBeInstanceOf(Date);
  });

  it('GIVEN a resource that fails to update WHEN executed THEN the stack reaches UPDATE_ROLLBACK_COMPLETE with the previous template and parameters', async () => {
    const { clock, cfn } = setup();
    const t = (cidr: string) =>
      template(
        { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: { Ref: 'Cidr' } } }, Topic: { Type: 'AWS::SNS::Topic' } },
        { Parameters: { Cidr: { Type: 'String', Default: cidr } }, Outputs: { VpcId: { Value: { Ref: 'Vpc' } } } },
      );
    await deploy(cfn, clock, 'net', t('10.0.0.0/16'), 'CREATE');
    const before = await cfn.describeStack('net');
    cfn.failResource('net', 'Vpc', 'CIDR overlaps', { onUpdate: true });

    await deploy(cfn, clock, 'net', t('10.9.0.0/16'), 'UPDATE', 'cs-2');

    const after = await cfn.describeStack('net');
    expect(after).toMatchObject({ status: 'UPDATE_ROLLBACK_COMPLETE', parameters: before!.parameters, outputs: before!.outputs });
    const events = await cfn.describeStackEvents('net');
    expect(events.find((e) => e.status === 'UPDATE_FAILED')).toMatchObject({ logicalId: 'Vpc', reason: 'CIDR overlaps' });
    expect(events.find((e) => e.status === 'UPDATE_ROLLBACK_IN_PROGRESS')!.reason).toBe('The following resource(s) failed to update: [Vpc].');
    expect(
      events
        .slice(0, 4)
        .reverse()
        .map((e) => `${e.logicalId} ${e.status}`),
    ).toEqual(['Vpc UPDATE_IN_PROGRESS', 'Vpc UPDATE_COMPLETE', 'net UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'net UPDATE_ROLLBACK_COMPLETE']);
    expect(cfn.inspect('net')!.template).toEqual(JSON.parse(t('10.0.0.0/16')));
  });

  it('GIVEN an added resource that fails during an update WHEN rolled back THEN the added resources are deleted', async () => {
    const { clock, cfn } = setup();
    await deploy(cfn, clock, 's', template({ A: { Type: 'AWS::SNS::Topic' } }), 'CREATE');
    cfn.failResource('s', 'C', 'quota', { onCreate: true });

    await deploy(
      cfn,
      clock,
      's',
      template({ A: { Type: 'AWS::SNS::Topic' }, B: { Type: 'AWS::SNS::Topic' }, C: { Type: 'AWS::SNS::Topic' } }),
      'UPDATE',
      'cs-2',
    );

    expect((await cfn.describeStack('s'))!.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect((await cfn.listStackResources('s')).map((r) => r.logicalId)).toEqual(['A']);
    expect((await cfn.describeStackEvents('s')).find((e) => e.status === 'UPDATE_ROLLBACK_IN_PROGRESS')!.reason).toBe(
      'The following resource(s) failed to create: [C].',
    );
  });

  it('GIVEN failRollback WHEN an update fails THEN UPDATE_ROLLBACK_FAILED, and continueUpdateRollback finishes the rollback', async () => {
    const { clock, cfn } = setup();
    const t = (name: string) => template({ Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: name } } });
    await deploy(cfn, clock, 'app', t('one'), 'CREATE');
    cfn.failResource('app', 'Topic', 'bad display name', { onUpdate: true, times: 1 });
    cfn.failRollback('app', undefined, 'rollback handler failed');

    await deploy(cfn, clock, 'app', t('two'), 'UPDATE', 'cs-2');

    expect(await cfn.describeStack('app')).toMatchObject({
      status: 'UPDATE_ROLLBACK_FAILED',
      statusReason: 'The following resource(s) failed to update: [Topic].',
    });
    expect((await cfn.describeStackEvents('app'))[1]).toMatchObject({ logicalId: 'Topic', status: 'UPDATE_FAILED', reason: 'rollback handler failed' });
    expect((await errorOf(cfn.createChangeSet(changeSet('app', t('three'), 'UPDATE', 'cs-3')))).name).toBe('ValidationError');

    clock.autoAdvance();
    await cfn.continueUpdateRollback('app');
    expect((await cfn.describeStack('app'))!.status).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    await cfn.settle();

    expect((await cfn.describeStack('app'))!.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(cfn.inspect('app')!.resources[0]).toMatchObject({ status: 'UPDATE_COMPLETE', properties: { DisplayName: 'one' } });
  });

  it.each(['CREATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'ROLLBACK_COMPLETE'])(
    'GIVEN a stack in %s WHEN continueUpdateRollback is called THEN it throws ValidationError',
    async (status) => {
      const { cfn } = setup();
      cfn.seedStack({ stackName: 's', templateBody: template(TWO_TOPICS), status });
      const err = await errorOf(cfn.continueUpdateRollback('s'));
      expect(err.name).toBe('ValidationError');
      expect(err.message).toContain(status);
    },
  );
});

// ---- delete -------------------------------------------------------------------------------

describe('FakeCloudFormation: delete', () => {
  it('GIVEN a stack WHEN deleted THEN resources go one by one, then it is gone and the name is free', async () => {
    const { clock, cfn } = setup();
    await deploy(cfn, clock, 'net', template(TWO_TOPICS), 'CREATE');
    const { stackId } = (await cfn.describeStack('net'))!;

    await cfn.deleteStack('net');
    expect((await cfn.describeStack('net'))!.status).toBe('DELETE_IN_PROGRESS');
    await clock.advance(2000);
    expect((await cfn.listStackResources('net')).map((r) => `${r.logicalId} ${r.status}`)).toEqual(['TopicA DELETE_IN_PROGRESS']);
    await clock.advance(2000);

    expect(await cfn.describeStack('net')).toBeUndefined();
    expect((await errorOf(cfn.describeStackEvents('net'))).name).toBe('ValidationError');
    expect((await timeline(cfn, stackId)).slice(-6)).toEqual([
      'net DELETE_IN_PROGRESS',
      'TopicB DELETE_IN_PROGRESS',
      'TopicB DELETE_COMPLETE',
      'TopicA DELETE_IN_PROGRESS',
      'TopicA DELETE_COMPLETE',
      'net DELETE_COMPLETE',
    ]);
    await deploy(cfn, clock, 'net', template(TWO_TOPICS), 'CREATE', 'cs-again');
    expect((await cfn.describeStack('net'))!.stackId).not.toBe(stackId);
  });

  it('GIVEN a resource that cannot be deleted WHEN deleted THEN DELETE_FAILED, and a retry retaining it completes', async () => {
    const { clock, cfn } = setup();
    await deploy(cfn, clock, 'data', template(TWO_TOPICS), 'CREATE');
    cfn.failDelete('data', 'TopicA', 'Topic has subscriptions');
    clock.autoAdvance();

    await cfn.deleteStack('data');
    await cfn.settle();
    expect(await cfn.describeStack('data')).toMatchObject({
      status: 'DELETE_FAILED',
      statusReason: 'The following resource(s) failed to delete: [TopicA].',
    });
    expect((await cfn.describeStackEvents('data')).find((e) => e.status === 'DELETE_FAILED' && e.logicalId !== 'data')).toMatchObject({
      logicalId: 'TopicA',
      reason: 'Topic has subscriptions',
    });
    expect(await cfn.listStackResources('data')).toEqual([
      { logicalId: 'TopicA', physicalId: expect.any(String), resourceType: 'AWS::SNS::Topic', status: 'DELETE_FAILED' },
    ]);

    await cfn.deleteStack('data', ['TopicA']);
    await cfn.settle();
    expect(await cfn.describeStack('data')).toBeUndefined();
    expect(cfn.mutatingCalls().map((c) => c.op)).toEqual(['createChangeSet', 'executeChangeSet', 'deleteStack', 'deleteStack']);
  });

  it('GIVEN a healthy stack WHEN deleted with retainResources THEN ValidationError (AWS only allows it from DELETE_FAILED)', async () => {
    const { cfn } = setup();
    cfn.seedStack({ stackName: 's', templateBody: template(TWO_TOPICS) });
    expect((await errorOf(cfn.deleteStack('s', ['TopicA']))).name).toBe('ValidationError');
  });

  it('GIVEN an unknown stack WHEN deleted THEN it is a silent no-op, still recorded', async () => {
    const { cfn } = setup();
    await cfn.deleteStack('ghost');
    expect(cfn.mutatingCalls()).toEqual([{ op: 'deleteStack', input: { stackName: 'ghost', retainResources: [] }, at: expect.any(Date) }]);
  });
});

// ---- outputs & drift ----------------------------------------------------------------------

describe('FakeCloudFormation: outputs', () => {
  const OUTPUTS = {
    Plain: { Value: 'hello' },
    VpcRef: { Value: { Ref: 'Vpc' } },
    ParamRef: { Value: { Ref: 'Env' } },
    StackName: { Value: { Ref: 'AWS::StackName' } },
    Attr: { Value: { 'Fn::GetAtt': ['Bucket', 'Arn'] } },
    AttrDotted: { Value: { 'Fn::GetAtt': 'Bucket.DomainName' } },
    Sub: { Value: { 'Fn::Sub': '${Env}-${Bucket}-${AWS::Region}' } },
    Join: { Value: { 'Fn::Join': [',', [{ Ref: 'Env' }, 'x']] } },
    Other: { Value: { 'Fn::Select': [0, ['a', 'b']] } },
  };

  it.each([
    ['Plain', () => 'hello'],
    ['VpcRef', (ids: Record<string, string>) => ids.Vpc!],
    ['ParamRef', () => 'prod'],
    ['StackName', () => 'net'],
    ['Attr', (ids: Record<string, string>) => `${ids.Bucket}.Arn`],
    ['AttrDotted', (ids: Record<string, string>) => `${ids.Bucket}.DomainName`],
    ['Sub', (ids: Record<string, string>) => `prod-${ids.Bucket}-us-east-1`],
    ['Join', () => 'prod,x'],
    ['Other', () => JSON.stringify({ 'Fn::Select': [0, ['a', 'b']] })],
  ])('GIVEN output %s WHEN the stack completes THEN describeStack resolves it', async (key, expected) => {
    const { clock, cfn } = setup();
    const body = template(
      { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } }, Bucket: { Type: 'AWS::S3::Bucket' } },
      { Parameters: { Env: { Type: 'String' } }, Outputs: OUTPUTS },
    );

    await deploy(cfn, clock, 'net', body, 'CREATE', 'cs-1', { Env: 'prod' });

    const ids = Object.fromEntries((await cfn.listStackResources('net')).map((r) => [r.logicalId, r.physicalId!]));
    expect(ids.Vpc).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect((await cfn.describeStack('net'))!.outputs[key]).toBe(expected(ids));
  });
});

describe('FakeCloudFormation: drift', () => {
  it.each([
    [undefined, 'IN_SYNC'],
    ['DRIFTED' as const, 'DRIFTED'],
  ])('GIVEN setDrift(%s) WHEN drift is detected THEN DETECTION_COMPLETE with %s', async (drift, expected) => {
    const { cfn } = setup();
    cfn.seedStack({ stackName: 's', templateBody: template(TWO_TOPICS) });
    if (drift) cfn.setDrift('s', drift);

    const id = await cfn.detectStackDrift('s');

    expect(await cfn.describeStackDriftDetectionStatus(id)).toEqual({ status: 'DETECTION_COMPLETE', driftStatus: expected });
    expect((await cfn.describeStack('s'))!.driftStatus).toBe(expected);
    expect(cfn.mutatingCalls()).toEqual([]);
  });
});

// Keep the StackEvent import honest: the fake's events satisfy the port type.
const _typecheck: (e: StackEvent) => string = (e) => e.eventId;
void _typecheck;
