import { describe, expect, it } from 'vitest';
import { checkGraph, criticalPath, selectSteps, topoOrder, type GraphNode } from '../../src/steps/graph.js';
import { estimateTemplate, STACK_OVERHEAD_SECONDS, TYPICAL_CREATE_SECONDS } from '../../src/steps/eta.js';
import { buildSteps, RUN_NEEDS } from '../../src/steps/phases.js';
import type { StepRecord } from '../../src/state/ledger.js';
import type { PhaseId } from '../../src/steps/types.js';

const node = (id: string, dependsOn: string[] = []): GraphNode => ({ id, phase: id.split('.')[0] as PhaseId, dependsOn });
const record = (id: string, status: StepRecord['status']): StepRecord => ({ id, phase: id.split('.')[0]!, status, outputs: {}, attempts: 1, evidence: {} });

/** bootstrap → network → {compute, storage} */
const DIAMOND = [
  node('storage.stack', ['network.stack']),
  node('compute.stack', ['network.stack']),
  node('network.stack', ['bootstrap.state']),
  node('bootstrap.state'),
];

describe('topoOrder', () => {
  it('GIVEN a diamond in any input order WHEN ordered THEN dependencies come first and ties follow phase order', () => {
    const ids = topoOrder(DIAMOND).map((n) => n.id);
    expect(ids).toEqual(['bootstrap.state', 'network.stack', 'compute.stack', 'storage.stack']);
  });

  it.each([
    ['reversed', [...DIAMOND].reverse()],
    ['rotated', [...DIAMOND.slice(2), ...DIAMOND.slice(0, 2)]],
  ])('GIVEN the same graph %s WHEN ordered THEN the order is the same (deterministic)', (_what, nodes) => {
    expect(topoOrder(nodes).map((n) => n.id)).toEqual(topoOrder(DIAMOND).map((n) => n.id));
  });

  it('GIVEN independent steps of one phase WHEN ordered THEN ties are broken by id', () => {
    expect(topoOrder([node('network.c'), node('network.a'), node('network.b')]).map((n) => n.id)).toEqual(['network.a', 'network.b', 'network.c']);
  });

  it('GIVEN a cycle WHEN ordered THEN it throws naming the steps in it', () => {
    const nodes = [node('bootstrap.state'), node('network.a', ['network.b']), node('network.b', ['network.a'])];
    expect(() => topoOrder(nodes)).toThrow(/cycle among: network\.a, network\.b/);
  });

  it('GIVEN a dependency on an unknown step WHEN checked THEN checkGraph names it', () => {
    expect(() => checkGraph([node('network.stack', ['bootstrap.nope'])])).toThrow('step network.stack depends on unknown step bootstrap.nope');
  });

  it('GIVEN the bundled phases WHEN checked THEN the graph is valid', () => {
    expect(() => checkGraph(buildSteps())).not.toThrow();
  });
});

describe('selectSteps', () => {
  it.each<[string, PhaseId[], Record<string, StepRecord>, string[]]>([
    // compute reads the network's ids and the state bucket's name
    ['compute before network is done', ['compute'], {}, ['network.stack', 'bootstrap.state']],
    [
      'compute when network failed',
      ['compute'],
      { 'bootstrap.state': record('bootstrap.state', 'done'), 'network.stack': record('network.stack', 'failed') },
      ['network.stack'],
    ],
    ['compute and storage before network', ['compute', 'storage'], {}, ['network.stack', 'bootstrap.state', 'network.stack']],
    [
      'compute when the ledger says network and bootstrap are done',
      ['compute'],
      { 'bootstrap.state': record('bootstrap.state', 'done'), 'network.stack': record('network.stack', 'done') },
      [],
    ],
    ['network and compute together, bootstrap done', ['network', 'compute'], { 'bootstrap.state': record('bootstrap.state', 'done') }, []],
    ['every phase', [], {}, []],
  ])('GIVEN %s WHEN selected THEN the missing steps are %j', (_what, phases, ledger, missing) => {
    const sel = selectSteps(buildSteps(), phases, ledger);
    expect(sel.missing.map((m) => m.step)).toEqual(missing);
  });

  it.each<[string, PhaseId[], Record<string, StepRecord>, string[]]>([
    ['network alone on a fresh environment', ['network'], {}, ['bootstrap.state']],
    ['network with bootstrap in the run', ['bootstrap', 'network'], {}, []],
    ['network once bootstrap is done', ['network'], { 'bootstrap.state': record('bootstrap.state', 'done') }, []],
    [
      'storage when bootstrap failed',
      ['storage'],
      { 'bootstrap.state': record('bootstrap.state', 'failed'), 'network.stack': record('network.stack', 'done') },
      ['bootstrap.state'],
    ],
  ])('GIVEN %s WHEN selected for a deploy run THEN the run needs %j first (the state backend, though no step reads it)', (_what, phases, ledger, missing) => {
    const sel = selectSteps(buildSteps(), phases, ledger, RUN_NEEDS);
    expect(sel.missing.filter((m) => m.neededBy === 'this run').map((m) => m.step)).toEqual(missing);
  });

  it('GIVEN a missing dependency WHEN selected THEN it says who needs it and its status', () => {
    const sel = selectSteps(buildSteps(), ['compute'], {
      'bootstrap.state': record('bootstrap.state', 'done'),
      'network.stack': record('network.stack', 'running'),
    });
    expect(sel.missing).toEqual([{ step: 'network.stack', neededBy: 'compute.stack', status: 'running' }]);
    expect(sel.selected.map((s) => s.id)).toEqual(['compute.stack']);
  });

  it('GIVEN no phase WHEN selected THEN every step is selected in dependency order', () => {
    const sel = selectSteps(DIAMOND, undefined, {});
    expect(sel.selected.map((s) => s.id)).toEqual(['bootstrap.state', 'network.stack', 'compute.stack', 'storage.stack']);
  });
});

describe('criticalPath', () => {
  const seconds: Record<string, number> = { 'bootstrap.state': 10, 'network.stack': 20, 'compute.stack': 30, 'storage.stack': 50 };

  it('GIVEN a diamond WHEN the critical path is computed THEN it takes the longer branch and reports the sequential sum', () => {
    const cp = criticalPath(DIAMOND, (id) => seconds[id]!);
    expect(cp).toEqual({ totalSeconds: 80, path: ['bootstrap.state', 'network.stack', 'storage.stack'], sequentialSeconds: 110 });
  });

  it('GIVEN the other branch is longer WHEN computed THEN the path follows it', () => {
    const cp = criticalPath(DIAMOND, (id) => (id === 'compute.stack' ? 100 : seconds[id]!));
    expect(cp.path).toEqual(['bootstrap.state', 'network.stack', 'compute.stack']);
    expect(cp.totalSeconds).toBe(130);
  });

  it('GIVEN dependencies outside the nodes WHEN computed THEN they are ignored', () => {
    const cp = criticalPath([node('compute.stack', ['network.stack'])], () => 7);
    expect(cp).toEqual({ totalSeconds: 7, path: ['compute.stack'], sequentialSeconds: 7 });
  });

  it('GIVEN no nodes WHEN computed THEN everything is zero', () => {
    expect(criticalPath([], () => 1)).toEqual({ totalSeconds: 0, path: [], sequentialSeconds: 0 });
  });
});

describe('estimateTemplate', () => {
  const template = {
    Resources: {
      Logs: { Type: 'AWS::S3::Bucket' },
      DbSubnets: { Type: 'AWS::RDS::DBSubnetGroup', Properties: { SubnetIds: ['subnet-1'] } },
      DbSecret: { Type: 'AWS::SecretsManager::Secret' },
      Db: {
        Type: 'AWS::RDS::DBInstance',
        Properties: { DBSubnetGroupName: { Ref: 'DbSubnets' }, MasterUserPassword: { 'Fn::Sub': '{{resolve:secretsmanager:${DbSecret}}}' } },
      },
      DbAlarmTopic: { Type: 'AWS::SNS::Topic', DependsOn: 'Db' },
    },
  };

  it('GIVEN an RDS chain and an S3 bucket WHEN estimated THEN the RDS chain is the critical path', () => {
    const eta = estimateTemplate(template);
    const rds = TYPICAL_CREATE_SECONDS['AWS::RDS::DBInstance']!;
    const subnetGroup = TYPICAL_CREATE_SECONDS['AWS::RDS::DBSubnetGroup']!;
    const secret = TYPICAL_CREATE_SECONDS['AWS::SecretsManager::Secret']!;
    expect(eta.resourceCount).toBe(5);
    expect(eta.path).toEqual([secret > subnetGroup ? 'DbSecret' : 'DbSubnets', 'Db', 'DbAlarmTopic']);
    expect(eta.totalSeconds).toBe(Math.max(secret, subnetGroup) + rds + 3 + STACK_OVERHEAD_SECONDS);
    expect(eta.totalSeconds).toBeGreaterThan(TYPICAL_CREATE_SECONDS['AWS::S3::Bucket']! + STACK_OVERHEAD_SECONDS);
  });

  it('GIVEN only independent resources WHEN estimated THEN the slowest one sets the time', () => {
    const eta = estimateTemplate({ Resources: { A: { Type: 'AWS::S3::Bucket' }, B: { Type: 'AWS::EC2::VPC' } } });
    expect(eta).toEqual({ totalSeconds: 30 + STACK_OVERHEAD_SECONDS, path: ['A'], resourceCount: 2 });
  });

  it('GIVEN GetAtt in both forms WHEN estimated THEN both count as dependencies', () => {
    const eta = estimateTemplate({
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC' },
        Nat: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: { 'Fn::GetAtt': ['Vpc', 'DefaultNetworkAcl'] } } },
        Route: { Type: 'AWS::EC2::Route', Properties: { NatGatewayId: { 'Fn::GetAtt': 'Nat.Id' } } },
      },
    });
    expect(eta.path).toEqual(['Vpc', 'Nat', 'Route']);
  });

  it('GIVEN a cycle WHEN estimated THEN it still terminates', () => {
    const eta = estimateTemplate({ Resources: { A: { Type: 'AWS::S3::Bucket', DependsOn: 'B' }, B: { Type: 'AWS::S3::Bucket', DependsOn: 'A' } } });
    expect(eta.resourceCount).toBe(2);
    expect(eta.totalSeconds).toBeGreaterThan(STACK_OVERHEAD_SECONDS);
  });

  it('GIVEN an empty template WHEN estimated THEN only the overhead is left', () => {
    expect(estimateTemplate({})).toEqual({ totalSeconds: STACK_OVERHEAD_SECONDS, path: [], resourceCount: 0 });
  });
});
