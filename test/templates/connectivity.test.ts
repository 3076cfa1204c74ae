/**
 * The connectivity model test: from the rendered templates (security groups with their
 * egress, network ACLs, route tables, where each instance, mount target and database sits),
 * compute which flows get through, and compare with the platform specification's Network
 * Connectivity Matrix plus the service port lists (src/spec/connectivity.ts):
 * - every listed flow is allowed, for every placement (each worker subnet, each mount target);
 * - every flow the security groups open between two endpoints is listed (nothing extra).
 */
import { describe, expect, it } from 'vitest';
import { FLOWS, SPEC_FLOWS, SERVICE_FLOWS, type Flow } from '../../src/spec/connectivity.js';
import { NetworkModel, uncovered } from './network-model.js';

const model = new NetworkModel();
const ports = (f: Flow) => [...new Set([f.ports[0], f.ports[1]])];

describe('GIVEN the network model built from the rendered templates', () => {
  it('WHEN listing placements THEN every endpoint of the matrix sits somewhere (the test is not vacuous)', () => {
    expect(model.endpoints().sort()).toEqual(['bastion', 'dev', 'efs', 'ipa', 'master', 'rds', 'worker']);
    expect(model.placementsOf('worker', 'source').map((p) => p.subnet)).toEqual(['PrivateSubnet1', 'PrivateSubnet2', 'PrivateSubnet3']);
    expect(model.placementsOf('bastion', 'source')[0]).toMatchObject({ subnet: 'PublicSubnet1', publicIp: true, groups: ['ManagementSecurityGroup'] });
  });

  it.each(FLOWS.flatMap((f) => ports(f).map((port) => [f.id, port, f] as const)))(
    'WHEN flow %s (port %i) is checked THEN it is allowed everywhere',
    (_id, port, f) => {
      for (const from of f.from) {
        const v = model.check({ from, to: f.to, protocol: f.protocol, port });
        expect(v.blocked, `${f.purpose} (${f.source})`).toEqual([]);
      }
    },
  );

  it('WHEN every flow the security groups open is listed THEN nothing is open that no list justifies', () => {
    const extra = model
      .openFlows()
      .flatMap((o) => uncovered(FLOWS, o.from, o.to, o.protocol, o.ports).map(([a, b]) => `${o.from} → ${o.to} ${o.protocol}/${a === b ? a : `${a}-${b}`}`));
    expect(extra).toEqual([]);
  });

  it('WHEN a flow is listed THEN it names its source and a purpose, and ids are unique', () => {
    for (const f of FLOWS) expect(f.source.length > 10 && f.purpose.length > 3, f.id).toBe(true);
    expect(new Set(FLOWS.map((f) => f.id)).size).toBe(FLOWS.length);
    expect(SPEC_FLOWS.length + SERVICE_FLOWS.length).toBe(FLOWS.length);
  });
});

describe('GIVEN the model on known mistakes', () => {
  it.each([
    ['FreeIPA HTTP (80) from the replica to the server: ipa-replica-install conncheck', { from: 'ipa', to: 'ipa', protocol: 'tcp', port: 80 }],
    ['PostgreSQL from the bastion: psql administration', { from: 'bastion', to: 'rds', protocol: 'tcp', port: 5432 }],
    ['Kerberos over UDP from the bastion: the reply must get back into the public subnet', { from: 'bastion', to: 'ipa', protocol: 'udp', port: 88 }],
  ] as const)('WHEN checking %s THEN it is allowed', (_what, flow) => {
    expect(model.check(flow).blocked).toEqual([]);
  });

  it('WHEN checking a flow nothing allows (the database initiating to a worker) THEN it is blocked and the layer is named', () => {
    const v = model.check({ from: 'rds', to: 'worker', protocol: 'tcp', port: 22 });
    expect(v.allowed).toBe(false);
    expect(v.blocked[0]).toMatch(/egress of DatabaseSecurityGroup does not allow it/);
  });

  it('WHEN checking SSH from an address outside the admin CIDRs THEN only the admin address is modelled as the internet source', () => {
    expect(model.placementsOf('internet', 'source')[0]!.address).toBe('203.0.113.10');
  });
});
