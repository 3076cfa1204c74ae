/**
 * A model of the platform's network computed from the rendered templates, for the
 * connectivity test: where each endpoint sits (security groups, subnet, public address) and
 * whether a flow gets through security groups (stateful, egress AND ingress), network ACLs
 * (stateless: the request and the reply on ephemeral ports, only between subnets) and route
 * tables (local, NAT, internet gateway, S3 gateway endpoint).
 *
 * Cross-stack wiring is followed the way dpf wires it: a parameter of the compute, storage or
 * identity template that is named like a network output receives that output (`net:<logical id>`).
 * The templates are rendered with their defaults (the specification's CIDRs).
 */
import { loadTemplate, render, ofType, type Rendered } from './cfn-eval.js';
import type { Endpoint, Flow } from '../../src/spec/connectivity.js';

export interface Placement {
  endpoint: Endpoint;
  /** e.g. "MasterInstance in PrivateSubnet1" */
  label: string;
  /** Security group logical ids (network stack). */
  groups: string[];
  /** Subnet logical id (network stack); undefined outside the VPC. */
  subnet?: string;
  /** A representative address of the endpoint. */
  address: string;
  publicIp: boolean;
}

export interface Verdict {
  allowed: boolean;
  /** One line per placement pair that fails, naming the layer. */
  blocked: string[];
}

/** Outside the VPC: the first admin address (as a source), TEST-NET-2 (as a destination), an S3 address. */
const INTERNET_DESTINATION = '198.51.100.7';
const S3_ADDRESS = '52.92.16.10';
/** Linux's default ephemeral port range (ip_local_port_range), which replies go to. */
export const EPHEMERAL: [number, number] = [32768, 60999];

const ip = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0) >>> 0;
export function inCidr(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  if (n === 0) return true;
  const mask = (~0 << (32 - n)) >>> 0;
  return (ip(address) & mask) === (ip(base!) & mask);
}
const hostIn = (cidr: string, host = 10): string => {
  const n = ip(cidr.split('/')[0]!) + host;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
};
const refId = (v: unknown): string | undefined => {
  if (typeof v !== 'string') return undefined;
  const m = /^\{\{Ref:(\w+)\}\}$/.exec(v) ?? /^net:(\w+)$/.exec(v);
  return m?.[1];
};
const PROTO: Record<string, string> = { '-1': 'all', '6': 'tcp', '17': 'udp', tcp: 'tcp', udp: 'udp', all: 'all' };

interface SgRule {
  direction: 'in' | 'out';
  group: string;
  protocol: string;
  from: number;
  to: number;
  cidr?: string;
  peerGroup?: string;
}
interface NaclEntry {
  acl: string;
  egress: boolean;
  number: number;
  protocol: string;
  from: number;
  to: number;
  cidr: string;
  allow: boolean;
}
interface Route {
  table: string;
  cidr: string;
  target: 'igw' | 'nat' | 'local' | 's3';
}

export class NetworkModel {
  readonly network: Rendered;
  readonly placements: Placement[] = [];
  readonly rules: SgRule[] = [];
  readonly nacl: NaclEntry[] = [];
  readonly routes: Route[] = [];
  readonly subnetCidr: Record<string, string> = {};
  readonly subnetTable: Record<string, string> = {};
  readonly subnetAcl: Record<string, string> = {};
  readonly adminAddress: string;

  constructor(opts: { identityProvider?: 'freeipa' | 'iam' } = {}) {
    this.network = render(loadTemplate('network.yaml'), {});
    const n = this.network;
    const vpcCidr = n.params.VpcCidr!;
    this.adminAddress = hostIn(n.params.AdminCidr1!);
    for (const [id, r] of ofType(n, 'AWS::EC2::Subnet')) this.subnetCidr[id] = r.Properties.CidrBlock;
    for (const [, r] of ofType(n, 'AWS::EC2::SubnetRouteTableAssociation')) this.subnetTable[refId(r.Properties.SubnetId)!] = refId(r.Properties.RouteTableId)!;
    for (const [, r] of ofType(n, 'AWS::EC2::SubnetNetworkAclAssociation')) this.subnetAcl[refId(r.Properties.SubnetId)!] = refId(r.Properties.NetworkAclId)!;
    for (const [id] of ofType(n, 'AWS::EC2::RouteTable')) this.routes.push({ table: id, cidr: vpcCidr, target: 'local' });
    for (const [, r] of ofType(n, 'AWS::EC2::Route')) {
      const p = r.Properties;
      this.routes.push({ table: refId(p.RouteTableId)!, cidr: p.DestinationCidrBlock, target: p.GatewayId ? 'igw' : 'nat' });
    }
    for (const [, r] of ofType(n, 'AWS::EC2::VPCEndpoint')) {
      if (!String(r.Properties.ServiceName).endsWith('.s3')) continue;
      for (const t of r.Properties.RouteTableIds) this.routes.push({ table: refId(t)!, cidr: `${S3_ADDRESS}/32`, target: 's3' });
    }
    for (const [, r] of ofType(n, 'AWS::EC2::NetworkAclEntry')) {
      const p = r.Properties;
      this.nacl.push({
        acl: refId(p.NetworkAclId)!,
        egress: p.Egress === true || p.Egress === 'true',
        number: Number(p.RuleNumber),
        protocol: PROTO[String(p.Protocol)] ?? String(p.Protocol),
        from: p.PortRange?.From ?? 0,
        to: p.PortRange?.To ?? 65535,
        cidr: p.CidrBlock,
        allow: p.RuleAction === 'allow',
      });
    }
    const sgRule = (direction: 'in' | 'out', group: string, x: Record<string, any>): SgRule => {
      const protocol = PROTO[String(x.IpProtocol)] ?? String(x.IpProtocol);
      return {
        direction,
        group,
        protocol,
        from: protocol === 'all' ? 0 : Number(x.FromPort),
        to: protocol === 'all' ? 65535 : Number(x.ToPort),
        cidr: x.CidrIp,
        peerGroup: refId(x.SourceSecurityGroupId ?? x.DestinationSecurityGroupId),
      };
    };
    for (const [id, r] of ofType(n, 'AWS::EC2::SecurityGroup')) {
      for (const x of r.Properties.SecurityGroupIngress ?? []) this.rules.push(sgRule('in', id, x));
      for (const x of r.Properties.SecurityGroupEgress ?? []) this.rules.push(sgRule('out', id, x));
    }
    for (const [, r] of ofType(n, 'AWS::EC2::SecurityGroupIngress')) this.rules.push(sgRule('in', refId(r.Properties.GroupId)!, r.Properties));
    for (const [, r] of ofType(n, 'AWS::EC2::SecurityGroupEgress')) this.rules.push(sgRule('out', refId(r.Properties.GroupId)!, r.Properties));

    this.placeConsumers(opts.identityProvider ?? 'freeipa');
  }

  /** Render a consumer template with the network outputs wired in by name. */
  private consumer(name: string, extra: Record<string, string>): Rendered {
    const tpl = loadTemplate(name);
    const given: Record<string, string> = { ...extra };
    for (const [out, value] of Object.entries(this.network.outputs)) {
      const id = refId(value);
      if (id && out in (tpl.Parameters ?? {})) given[out] = `net:${id}`;
    }
    for (const [p, def] of Object.entries<any>(tpl.Parameters ?? {})) {
      if (p in given || def.Default !== undefined) continue;
      if (def.Type === 'AWS::EC2::Image::Id') given[p] = 'ami-0123456789abcdef0';
      else if (def.Type === 'AWS::EC2::VPC::Id') given[p] = 'net:Vpc';
      else given[p] = `param-${p}`;
    }
    return render(tpl, given);
  }

  private place(endpoint: Endpoint, label: string, groups: unknown[], subnet: unknown, publicIp = false): void {
    const s = refId(subnet);
    if (!s || !this.subnetCidr[s]) throw new Error(`${label}: subnet ${String(subnet)} is not a subnet of the network stack`);
    const gs = groups.map((g) => refId(g));
    if (gs.some((g) => !g)) throw new Error(`${label}: a security group is not from the network stack (${JSON.stringify(groups)})`);
    this.placements.push({ endpoint, label: `${label} in ${s}`, groups: gs as string[], subnet: s, address: hostIn(this.subnetCidr[s]!), publicIp });
  }

  private placeConsumers(identityProvider: 'freeipa' | 'iam'): void {
    const compute = this.consumer('compute.yaml', {});
    for (const [id, r] of ofType(compute, 'AWS::EC2::Instance')) {
      const role = (r.Properties.Tags ?? []).find((t: any) => t.Key === 'dpf:role')?.Value as Endpoint;
      const eni = r.Properties.NetworkInterfaces?.[0];
      if (eni) this.place(role, id, eni.GroupSet, eni.SubnetId, Boolean(eni.AssociatePublicIpAddress));
      else this.place(role, id, r.Properties.SecurityGroupIds, r.Properties.SubnetId);
    }
    for (const [id, r] of ofType(compute, 'AWS::AutoScaling::AutoScalingGroup')) {
      const lt = compute.resources[refId(r.Properties.LaunchTemplate.LaunchTemplateId)!]!;
      for (const s of r.Properties.VPCZoneIdentifier) this.place('worker', id, lt.Properties.LaunchTemplateData.SecurityGroupIds, s);
    }
    const identity = this.consumer('identity.yaml', { IdentityProvider: identityProvider });
    for (const [id, r] of ofType(identity, 'AWS::EC2::Instance')) this.place('ipa', id, r.Properties.SecurityGroupIds, r.Properties.SubnetId);
    const storage = this.consumer('storage.yaml', {});
    for (const [id, r] of ofType(storage, 'AWS::EFS::MountTarget')) this.place('efs', id, r.Properties.SecurityGroups, r.Properties.SubnetId);
    for (const [id, r] of ofType(storage, 'AWS::RDS::DBInstance')) {
      const group = storage.resources[refId(r.Properties.DBSubnetGroupName)!]!;
      for (const s of group.Properties.SubnetIds) this.place('rds', id, r.Properties.VPCSecurityGroups, s);
    }
  }

  placementsOf(e: Endpoint, as: 'source' | 'destination'): Placement[] {
    if (e === 'internet')
      return [
        {
          endpoint: e,
          label: as === 'source' ? `admin address ${this.adminAddress}` : `internet address ${INTERNET_DESTINATION}`,
          groups: [],
          address: as === 'source' ? this.adminAddress : INTERNET_DESTINATION,
          publicIp: true,
        },
      ];
    if (e === 's3') return [{ endpoint: e, label: `S3 (${S3_ADDRESS})`, groups: [], address: S3_ADDRESS, publicIp: true }];
    return this.placements.filter((p) => p.endpoint === e);
  }

  endpoints(): Endpoint[] {
    return [...new Set(this.placements.map((p) => p.endpoint))];
  }

  // ------------------------------------------------------------ layers

  private sgAllows(dir: 'in' | 'out', self: Placement, peer: Placement, protocol: string, port: number): boolean {
    if (!self.groups.length) return true; // outside the VPC: nothing of ours filters
    return this.rules.some(
      (r) =>
        r.direction === dir &&
        self.groups.includes(r.group) &&
        (r.protocol === 'all' || r.protocol === protocol) &&
        port >= r.from &&
        port <= r.to &&
        (r.peerGroup ? peer.groups.includes(r.peerGroup) : r.cidr !== undefined && inCidr(peer.address, r.cidr)),
    );
  }

  /** NACLs evaluate rules in number order; the first match decides; nothing matching means deny. */
  private naclAllows(acl: string, egress: boolean, protocol: string, ports: [number, number], address: string): boolean {
    const entries = this.nacl.filter((e) => e.acl === acl && e.egress === egress).sort((a, b) => a.number - b.number);
    const probes = new Set<number>([ports[0], ports[1]]);
    for (const e of entries) for (const p of [e.from - 1, e.from, e.to, e.to + 1]) if (p >= ports[0] && p <= ports[1]) probes.add(p);
    return [...probes].every((port) => {
      const hit = entries.find((e) => (e.protocol === 'all' || e.protocol === protocol) && port >= e.from && port <= e.to && inCidr(address, e.cidr));
      return Boolean(hit?.allow);
    });
  }

  private route(src: Placement, dst: Placement): string | undefined {
    const inVpc = (p: Placement) => p.subnet !== undefined;
    if (inVpc(src) && inVpc(dst)) return undefined; // the local route
    const inside = inVpc(src) ? src : dst;
    const outside = inVpc(src) ? dst : src;
    const table = this.subnetTable[inside.subnet!]!;
    const best = this.routes
      .filter((r) => r.table === table && inCidr(outside.address, r.cidr))
      .sort((a, b) => Number(b.cidr.split('/')[1]) - Number(a.cidr.split('/')[1]))[0];
    if (!best) return `no route from ${inside.subnet} (${table}) to ${outside.address}`;
    if (best.target === 'igw' && !inside.publicIp) return `${inside.label} has no public address for the internet gateway route`;
    if (best.target === 'nat' && inside === dst) return `${inside.label} is behind a NAT gateway: not reachable from outside`;
    return undefined;
  }

  /** Does one flow get through for every pair of placements? */
  check(f: { from: Endpoint; to: Endpoint; protocol: 'tcp' | 'udp'; port: number }): Verdict {
    const blocked: string[] = [];
    for (const s of this.placementsOf(f.from, 'source'))
      for (const d of this.placementsOf(f.to, 'destination')) {
        if (s === d) continue; // a node talking to itself
        const why = this.why(s, d, f.protocol, f.port);
        if (why) blocked.push(`${s.label} → ${d.label} ${f.protocol}/${f.port}: ${why}`);
      }
    return { allowed: blocked.length === 0, blocked };
  }

  private why(s: Placement, d: Placement, protocol: string, port: number): string | undefined {
    if (!this.sgAllows('out', s, d, protocol, port)) return `egress of ${s.groups.join(',')} does not allow it`;
    if (!this.sgAllows('in', d, s, protocol, port)) return `ingress of ${d.groups.join(',')} does not allow it`;
    const r = this.route(s, d);
    if (r) return r;
    if (s.subnet !== d.subnet) {
      const sAcl = s.subnet && this.subnetAcl[s.subnet];
      const dAcl = d.subnet && this.subnetAcl[d.subnet];
      if (sAcl && !this.naclAllows(sAcl, true, protocol, [port, port], d.address)) return `network ACL ${sAcl} (outbound) denies the request`;
      if (dAcl && !this.naclAllows(dAcl, false, protocol, [port, port], s.address)) return `network ACL ${dAcl} (inbound) denies the request`;
      if (dAcl && !this.naclAllows(dAcl, true, protocol, EPHEMERAL, s.address)) return `network ACL ${dAcl} (outbound) denies the reply to ephemeral ports`;
      if (sAcl && !this.naclAllows(sAcl, false, protocol, EPHEMERAL, d.address)) return `network ACL ${sAcl} (inbound) denies the reply on ephemeral ports`;
    }
    return undefined;
  }

  /**
   * Every (source, destination, protocol, port range) the security groups open between two
   * endpoints (egress of the source ∩ ingress of the destination), kept when the routes and
   * ACLs let at least its first port through: what an attacker on one node could reach.
   */
  openFlows(): Array<{ from: Endpoint; to: Endpoint; protocol: 'tcp' | 'udp'; ports: [number, number] }> {
    const out: Array<{ from: Endpoint; to: Endpoint; protocol: 'tcp' | 'udp'; ports: [number, number] }> = [];
    const sources: Endpoint[] = ['internet', ...this.endpoints()];
    const destinations: Endpoint[] = [...this.endpoints(), 's3', 'internet'];
    for (const from of sources)
      for (const to of destinations) {
        if (from === 'internet' && to === 'internet') continue;
        const ranges = new Map<string, [number, number]>();
        for (const s of this.placementsOf(from, 'source'))
          for (const d of this.placementsOf(to, 'destination')) {
            if (s === d) continue;
            for (const protocol of ['tcp', 'udp'] as const)
              for (const [lo, hi] of this.sgWindows(s, d, protocol)) {
                if (this.why(s, d, protocol, lo)) continue;
                const key = `${protocol}:${lo}-${hi}`;
                ranges.set(key, [lo, hi]);
              }
          }
        for (const [key, ports] of ranges) out.push({ from, to, protocol: key.split(':')[0] as 'tcp' | 'udp', ports });
      }
    return out;
  }

  /** Port windows where both the source's egress and the destination's ingress allow `protocol`. */
  private sgWindows(s: Placement, d: Placement, protocol: string): Array<[number, number]> {
    const matching = (dir: 'in' | 'out', self: Placement, peer: Placement) =>
      self.groups.length
        ? this.rules.filter(
            (r) =>
              r.direction === dir &&
              self.groups.includes(r.group) &&
              (r.protocol === 'all' || r.protocol === protocol) &&
              (r.peerGroup ? peer.groups.includes(r.peerGroup) : r.cidr !== undefined && inCidr(peer.address, r.cidr)),
          )
        : [{ from: 0, to: 65535 }];
    const out: Array<[number, number]> = [];
    for (const e of matching('out', s, d))
      for (const i of matching('in', d, s)) {
        const lo = Math.max(e.from, i.from);
        const hi = Math.min(e.to, i.to);
        if (lo <= hi) out.push([lo, hi]);
      }
    return out;
  }
}

/** Is [lo, hi] of this protocol between the two endpoints covered by the listed flows? */
export function uncovered(flows: readonly Flow[], from: Endpoint, to: Endpoint, protocol: 'tcp' | 'udp', [lo, hi]: [number, number]): Array<[number, number]> {
  // S3 is on the internet: a flow to the internet covers S3 too.
  const listed = flows
    .filter((f) => (f.to === to || (f.to === 'internet' && to === 's3')) && f.from.includes(from) && f.protocol === protocol)
    .map((f) => f.ports)
    .sort((a, b) => a[0] - b[0]);
  const gaps: Array<[number, number]> = [];
  let next = lo;
  for (const [a, b] of listed) {
    if (b < next) continue;
    if (a > hi) break;
    if (a > next) gaps.push([next, Math.min(a - 1, hi)]);
    next = Math.max(next, b + 1);
    if (next > hi) break;
  }
  if (next <= hi) gaps.push([next, hi]);
  return gaps;
}
