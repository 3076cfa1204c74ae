/** The Gantt chart (planned weeks and actual dates) and the architecture diagram (nodes from the deployed outputs). */
import { describe, expect, it } from 'vitest';
import { ganttChart, architectureDiagram } from '../../src/reports/mermaid.js';
import { buildTimeline } from '../../src/reports/timeline.js';
import { architectureFromLedger, enrichLive } from '../../src/reports/architecture.js';
import { FakePlatform } from '../fakes/fake-platform.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { STEPS, START, day, ledgerAt } from './fixtures.js';

const start = new Date(`${START}T00:00:00.000Z`);

describe('ganttChart', () => {
  const l = ledgerAt({ done: { 'bootstrap.state': [0, 1], 'network.stack': [2, 2], 'compute.stack': [7, 8] }, running: { 'storage.stack': 9 } });
  const g = ganttChart(buildTimeline(l, STEPS, start, day(10, 15)), { title: 'AWS Data Platform Foundation: dev', now: day(10, 15) });
  const lines = g.split('\n').map((x) => x.trim());

  it('GIVEN the timeline THEN it is a Mermaid gantt with dates, one section per phase', () => {
    expect(lines.slice(0, 3)).toEqual(['gantt', 'title AWS Data Platform Foundation dev', 'dateFormat YYYY-MM-DD']);
    // Only documented directives ("todayMarker" takes "off" or a style, never "on").
    for (const l of lines.slice(1).filter((x) => !x.startsWith('section ') && !x.includes(' :'))) expect(l).toMatch(/^(title|dateFormat|axisFormat) /);
    // Every task line: name (no ':', ';' or '#'), then tags among done/active/crit, a one-word id, two ISO dates.
    for (const l of lines.filter((x) => x.includes(' :')))
      expect(l).toMatch(/^[^:;#]+ :((done|active|crit), )*[a-z]+_(plan|actual), \d{4}-\d\d-\d\d, \d{4}-\d\d-\d\d$/);
    expect(lines.filter((x) => x.startsWith('section '))).toEqual([
      'section State backend (S3 + DynamoDB)',
      'section VPC and networking',
      'section EC2 instances and Auto Scaling',
      'section S3 data lake, EFS, RDS and backups',
      'section Identity (FreeIPA or IAM) and node configuration',
      'section Monitoring and alerting',
      'section Go-live readiness checks',
    ]);
  });
  it("GIVEN the seed's plan THEN planned bars are the PHASE_INFO days from week 1", () => {
    expect(lines).toContain('Planned :bootstrap_plan, 2025-07-01, 2025-07-03');
    expect(lines).toContain('Planned :network_plan, 2025-07-03, 2025-07-06');
    expect(lines).toContain('Planned :golive_plan, 2025-08-05, 2025-08-10');
  });
  it('GIVEN what happened THEN actual bars run from the first start to the last finish (whole days), tagged done/active', () => {
    expect(lines).toContain('Actual :done, bootstrap_actual, 2025-07-01, 2025-07-03');
    expect(lines).toContain('Actual :done, network_actual, 2025-07-03, 2025-07-04');
    expect(lines).toContain('Actual :done, compute_actual, 2025-07-08, 2025-07-10');
    expect(lines).toContain('Actual (running, 0/1 steps) :active, storage_actual, 2025-07-10, 2025-07-12');
    expect(lines.some((x) => x.includes('identity_actual'))).toBe(false);
  });
  it('GIVEN a failed phase THEN its bar is crit', () => {
    const f = ganttChart(buildTimeline(ledgerAt({ failed: { 'bootstrap.state': 0 } }), STEPS, start, day(1)), { title: 't', now: day(1) });
    expect(f).toContain('Actual (failed, 0/1 steps) :crit, bootstrap_actual, 2025-07-01, 2025-07-03'); // until today
  });
});

describe('architectureDiagram', () => {
  it('GIVEN every resource deployed THEN every node id is one word and every label is quoted', () => {
    const l = ledgerAt({
      done: {
        'bootstrap.state': [0, 0],
        'network.stack': [1, 1],
        'compute.stack': [2, 2],
        'storage.stack': [2, 2],
        'identity.stack': [3, 3],
        'monitoring.stack': [4, 4],
      },
    });
    const body = architectureDiagram(architectureFromLedger(l))
      .split('\n')
      .slice(1)
      .map((x) => x.trim());
    for (const line of body) {
      if (line === 'end') continue;
      if (line.startsWith('subgraph ')) expect(line).toMatch(/^subgraph [a-z][a-z0-9_]*\["[^"]*"\]$/);
      else if (/--|-\.->/.test(line)) expect(line).toMatch(/^[a-z][a-z0-9_]* (-->|-\.->)(\|[^|"]+\|)? [a-z][a-z0-9_]*$/);
      else expect(line).toMatch(/^[a-z][a-z0-9_]*(\["[^"]*"\]|\[\("[^"]*"\)\]|\(\("[^"]*"\)\)|>"[^"]*"\])$/);
    }
  });

  it('GIVEN the deployed outputs THEN each resource is a node in its tier, with the flows between them', () => {
    const l = ledgerAt({
      done: {
        'bootstrap.state': [0, 0],
        'network.stack': [1, 1],
        'compute.stack': [2, 2],
        'storage.stack': [2, 2],
        'identity.stack': [3, 3],
        'monitoring.stack': [4, 4],
      },
    });
    const d = architectureDiagram(architectureFromLedger(l));
    expect(d.split('\n')[0]).toBe('flowchart TB');
    for (const node of [
      'subgraph vpc["VPC vpc-0aaa"]',
      'subgraph public["Public subnets<br/>subnet-pub1<br/>subnet-pub2"]',
      'nat1["NAT gateway<br/>nat-0aaa"]',
      'bastion["Bastion<br/>i-0bastion"]',
      'master["Master<br/>i-0master"]',
      'dev["Development<br/>i-0dev"]',
      'workers["Workers Auto Scaling group<br/>dp-dev-workers"]',
      'ipa1["FreeIPA server<br/>ipa1.dataplatform.internal i-0ipa1"]',
      'ipa2["FreeIPA replica<br/>ipa2.dataplatform.internal i-0ipa2"]',
      'rds[("RDS PostgreSQL<br/>dp-dev-metadata")]',
      'efs[("EFS fs-0123abcd")]',
      'datalake[("S3 data lake<br/>dp-dev-datalake',
      'state[("S3 dpf state<br/>dp-dev-state")]',
      'alerts>"SNS alerts<br/>dp-dev-alerts"]',
    ])
      expect(d).toContain(node);
    for (const edge of [
      'internet -->|SSH from admin CIDRs| bastion',
      'workers -->|5432| rds',
      'workers -->|NFS/TLS| efs',
      'master --> datalake',
      'ipa1 -->|replication| ipa2',
      'workers -->|LDAP/Kerberos| ipa1',
    ])
      expect(d).toContain(edge);
  });
  it('GIVEN only the network deployed THEN no compute or storage node is drawn', () => {
    const d = architectureDiagram(architectureFromLedger(ledgerAt({ done: { 'bootstrap.state': [0, 0], 'network.stack': [1, 1] } })));
    expect(d).toContain('subgraph vpc["VPC vpc-0aaa"]');
    for (const absent of ['bastion', 'workers', 'rds[', 'efs[', 'datalake', 'ipa1']) expect(d).not.toContain(absent);
    expect(d).not.toMatch(/-->.*bastion/);
  });
  it('GIVEN live describe calls THEN CIDRs, types and group sizes are added; a failing call is a note', async () => {
    const clock = new FakeClock();
    const p = new FakePlatform({ clock });
    p.vpcs.push({ vpcId: 'vpc-0aaa', cidr: '10.0.0.0/16', tags: {} });
    p.subnets.push({ subnetId: 'subnet-pub1', vpcId: 'vpc-0aaa', cidr: '10.0.1.0/24', availabilityZone: 'us-west-2a', tags: {} });
    p.addInstance({ instanceId: 'i-0master', role: 'master', instanceType: 'm5.large' }).addInstance({
      instanceId: 'i-0w1',
      role: 'worker',
      instanceType: 'm5.xlarge',
    });
    p.groups.push({
      name: 'dp-dev-workers',
      min: 2,
      max: 6,
      desired: 2,
      tags: {},
      subnetIds: [],
      instances: [{ instanceId: 'i-0w1', lifecycleState: 'InService', healthStatus: 'Healthy' }],
    });
    p.failOn('rds.describeInstance', new Error('throttled'));
    const l = ledgerAt({ done: { 'network.stack': [1, 1], 'compute.stack': [2, 2], 'storage.stack': [2, 2] } });
    const m = await enrichLive(architectureFromLedger(l), p.ports(), 'dev');
    const d = architectureDiagram(m);
    expect(d).toContain('subgraph vpc["VPC vpc-0aaa 10.0.0.0/16"]');
    expect(d).toContain('subnet-pub1 10.0.1.0/24 (us-west-2a)');
    expect(d).toContain('master["Master<br/>i-0master m5.large"]');
    expect(d).toContain('workers["Workers Auto Scaling group<br/>dp-dev-workers m5.xlarge<br/>1/2 InService (min 2, max 6)"]');
    expect(m.notes).toEqual(['database: throttled']);
    expect(m.source).toBe('ledger+live');
  });
});

describe("flattenOuterSubgraphs (the HTML report's SVG layout)", () => {
  it('GIVEN a VPC subgraph around tier subgraphs THEN the VPC wrapper is dropped and the tiers, nodes and edges are kept', async () => {
    const { flattenOuterSubgraphs } = await import('../../src/reports/svg.js');
    const src = [
      'flowchart TB',
      '    a(("A"))',
      '    subgraph vpc["VPC"]',
      '    subgraph pub["Public"]',
      '        b["B"]',
      '    end',
      '    c[("C")]',
      '    end',
      '    a --> b',
    ].join('\n');
    expect(flattenOuterSubgraphs(src).split('\n')).toEqual([
      'flowchart TB',
      '    a(("A"))',
      '    subgraph pub["Public"]',
      '        b["B"]',
      '    end',
      '    c[("C")]',
      '    a --> b',
    ]);
  });
});
