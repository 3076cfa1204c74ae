/**
 * Mermaid diagrams for the reports: the seed's Gantt chart (planned weeks) with the actual
 * start and finish of each phase next to it, and a flowchart of the resources deployed.
 */
import type { ArchitectureModel } from './architecture.js';
import { DAY_MS, isoDay, utcDay, type PhaseTimeline } from './timeline.js';

/** Text Mermaid accepts inside a Gantt task name (no ':', ';' or '#'). */
export function ganttText(s: string): string {
  return s.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Text inside a quoted flowchart label (line breaks are written as <br/> by the caller). */
export function label(s: string): string {
  return s.replace(/"/g, '#quot;');
}

/**
 * One section per phase: the planned window, then the actual bar (from the first step's start
 * to the last step's finish, or to today while it runs). Bars are whole days; a phase that ran
 * within one day shows as that day. Tags: done / active (running) / crit (failed or behind).
 */
export function ganttChart(timeline: PhaseTimeline[], o: { title: string; now: Date }): string {
  // The today marker is on by default ("todayMarker" only takes "off" or a style).
  const lines = ['gantt', `    title ${ganttText(o.title)}`, '    dateFormat YYYY-MM-DD', '    axisFormat %m-%d'];
  for (const p of timeline) {
    lines.push(`    section ${ganttText(p.title)}`);
    lines.push(`    Planned :${p.id}_plan, ${isoDay(p.plannedStart)}, ${isoDay(p.plannedEnd)}`);
    if (!p.actualStart) continue;
    const start = utcDay(p.actualStart);
    const endBase = utcDay(p.actualEnd ?? o.now);
    const end = new Date(Math.max(endBase.getTime() + DAY_MS, start.getTime() + DAY_MS));
    const tags: string[] = [];
    if (p.status === 'done') tags.push('done');
    else if (p.status === 'running' || p.status === 'partial') tags.push('active');
    if (p.status === 'failed' || p.schedule === 'behind') tags.push('crit');
    const what = p.status === 'done' ? 'Actual' : `Actual (${p.status}, ${p.stepsDone}/${p.stepsTotal} steps)`;
    lines.push(`    ${ganttText(what)} :${[...tags, `${p.id}_actual`].join(', ')}, ${isoDay(start)}, ${isoDay(end)}`);
  }
  return lines.join('\n');
}

const join = (...parts: Array<string | undefined | false>) => parts.filter(Boolean).join(' ');

type Shape = 'box' | 'db' | 'circle' | 'flag';
type Tier = 'public' | 'private' | 'database';
/** Writes a flowchart node and remembers its id (an edge is drawn only between two nodes that exist). */
type NodeFn = (id: string, text: string, shape?: Shape) => string;

/** A flowchart of the deployed resources (only those that exist), grouped by network tier. */
export function architectureDiagram(m: ArchitectureModel): string {
  const ids = new Set<string>();
  const node: NodeFn = (id, text, shape = 'box') => {
    ids.add(id);
    const t = `"${label(text)}"`;
    return shape === 'db' ? `${id}[(${t})]` : shape === 'circle' ? `${id}((${t}))` : shape === 'flag' ? `${id}>${t}]` : `${id}[${t}]`;
  };
  const L: string[] = ['flowchart TB', `    ${node('internet', 'Internet', 'circle')}`];
  L.push(...vpcLines(m, node).map((l) => `    ${l}`));
  if (m.dataLake) L.push(`    ${node('datalake', `S3 data lake<br/>${m.dataLake}<br/>raw/ processed/ curated/ archive/`, 'db')}`);
  if (m.stateBucket) L.push(`    ${node('state', `S3 dpf state<br/>${m.stateBucket}`, 'db')}`);
  if (m.alertTopic) L.push(`    ${node('alerts', `SNS alerts<br/>${m.alertTopic.split(':').pop()}`, 'flag')}`);
  L.push(...edgeLines(m, ids));
  return L.join('\n');
}

/** The VPC (a subgraph when its id is known): a subgraph per subnet tier with its nodes, then EFS. */
function vpcLines(m: ArchitectureModel, node: NodeFn): string[] {
  const t = tierNodes(m, node);
  const body = [
    ...tierBlock(m, node, 'public', 'Public', t.public),
    ...tierBlock(m, node, 'private', 'Private', t.private),
    ...tierBlock(m, node, 'database', 'Database', t.database),
    ...t.inVpc,
  ];
  return m.vpc ? subgraph('vpc', join('VPC', m.vpc.id, m.vpc.cidr), body) : body;
}

/** The nodes of each subnet tier (NAT gateways and bastion; hosts and workers; the database), and those in the VPC outside a tier. */
function tierNodes(m: ArchitectureModel, node: NodeFn): Record<Tier | 'inVpc', string[]> {
  const inst = (role: string) => m.instances.find((i) => i.role === role);
  const instText = (title: string, i: { id: string; type?: string; privateIp?: string; state?: string }) =>
    `${title}<br/>${join(i.id, i.type)}${i.state && i.state !== 'running' ? `<br/>${i.state}` : ''}`;
  const pub: string[] = [];
  m.natGateways.forEach((n, k) => pub.push(node(`nat${k + 1}`, `NAT gateway<br/>${n}`)));
  if (inst('bastion')) pub.push(node('bastion', instText('Bastion', inst('bastion')!)));
  const priv: string[] = [];
  if (inst('master')) priv.push(node('master', instText('Master', inst('master')!)));
  if (inst('dev')) priv.push(node('dev', instText('Development', inst('dev')!)));
  if (m.workers) {
    const w = m.workers;
    const size = w.desired !== undefined ? `<br/>${w.inService ?? '?'}/${w.desired} InService (min ${w.min}, max ${w.max})` : '';
    priv.push(node('workers', `Workers Auto Scaling group<br/>${join(w.name, w.type)}${size}`));
  }
  m.ipaServers.forEach((s, k) => priv.push(node(`ipa${k + 1}`, `FreeIPA ${k === 0 ? 'server' : 'replica'}<br/>${join(s.fqdn, s.id)}`)));
  const dbs: string[] = [];
  if (m.database) dbs.push(node('rds', `RDS ${m.database.engine ?? 'PostgreSQL'}<br/>${m.database.id}${m.database.multiAz ? '<br/>Multi-AZ' : ''}`, 'db'));
  const inVpc: string[] = [];
  if (m.fileSystem)
    inVpc.push(
      node(
        'efs',
        `EFS ${m.fileSystem.id}${m.fileSystem.encrypted === undefined ? '' : m.fileSystem.encrypted ? '<br/>encrypted' : '<br/>NOT encrypted'}`,
        'db',
      ),
    );
  return { public: pub, private: priv, database: dbs, inVpc };
}

function subgraph(id: string, title: string, body: string[]): string[] {
  if (!body.length && title.endsWith('subnets')) return [];
  return [`subgraph ${id}["${label(title)}"]`, ...body.map((b) => `    ${b}`), 'end'];
}

/** A tier's subgraph titled with its subnets; a tier with subnets and no resources shows them as a node. */
function tierBlock(m: ArchitectureModel, node: NodeFn, t: Tier, name: string, body: string[]): string[] {
  const st = m.subnets
    .filter((s) => s.tier === t)
    .map((s) => join(s.id, s.cidr, s.az && `(${s.az})`))
    .join('<br/>');
  if (!body.length && !st) return [];
  return subgraph(t, st ? `${name} subnets<br/>${st}` : `${name} subnets`, body.length ? body : [node(`${t}_subnets`, st)]);
}

/** The traffic between the nodes that exist (the connectivity matrix's main flows). */
function edgeLines(m: ArchitectureModel, ids: Set<string>): string[] {
  const edges: Array<[string, string, string?]> = [
    ['internet', 'bastion', 'SSH from admin CIDRs'],
    ['bastion', 'master', 'SSH'],
    ['bastion', 'dev', 'SSH'],
    ['bastion', 'workers', 'SSH'],
    ['master', 'workers', 'Spark'],
    ['master', 'rds', '5432'],
    ['workers', 'rds', '5432'],
    ['dev', 'rds', '5432'],
    ['master', 'efs', 'NFS/TLS'],
    ['workers', 'efs', 'NFS/TLS'],
    ['dev', 'efs', 'NFS/TLS'],
    ['master', 'datalake'],
    ['workers', 'datalake'],
    ['dev', 'datalake'],
    ['ipa1', 'ipa2', 'replication'],
  ];
  for (const client of ['bastion', 'master', 'dev', 'workers']) edges.push([client, 'ipa1', 'LDAP/Kerberos']);
  const nat = m.natGateways.length ? 'nat1' : undefined;
  if (nat) edges.push(['workers', nat, 'egress'], [nat, 'internet']);
  const lines: string[] = [];
  for (const [a, b, t] of edges) if (ids.has(a) && ids.has(b)) lines.push(`    ${a} -->${t ? `|${label(t)}|` : ''} ${b}`);
  if (ids.has('alerts')) lines.push('    alerts -.->|e-mail| internet');
  return lines;
}
