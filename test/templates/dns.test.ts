/**
 * dns.yaml as data: the platform's own names (master, db, efs) in the identity stack's private
 * zone, in a stack of their own so that the identity stack (and the FreeIPA servers in it)
 * needs neither the master nor the database (issue 14: the graph waits only for what it consumes).
 */
import { describe, expect, it } from 'vitest';
import { loadTemplate, ofType, render } from './cfn-eval.js';

const tpl = loadTemplate('dns.yaml');
const identity = loadTemplate('identity.yaml');

const GIVEN = {
  HostedZoneId: 'Z0123456789ABCDEFGHIJ',
  MasterPrivateIp: '10.0.11.10',
  RdsEndpointAddress: 'acme-dev-metadata.abcdefghij.eu-west-1.rds.amazonaws.com',
  EfsFileSystemId: 'fs-0123456789abcdef0',
} as const;

const recordsOf = (r: ReturnType<typeof render>) =>
  Object.fromEntries(ofType(r, 'AWS::Route53::RecordSet').map(([, rec]) => [`${rec.Properties.Type} ${rec.Properties.Name}`, rec.Properties]));

describe('GIVEN dns.yaml', () => {
  it.each([
    ['A master.dataplatform.internal', ['10.0.11.10'], '300'],
    ['CNAME db.dataplatform.internal', [GIVEN.RdsEndpointAddress], '60'],
    ['CNAME efs.dataplatform.internal', ['fs-0123456789abcdef0.efs.eu-west-1.amazonaws.com'], '300'],
  ])('WHEN record %s is read THEN it points at %j in the given zone (TTL %s)', (key, values, ttl) => {
    const rec = recordsOf(render(tpl, { ...GIVEN }))[key];
    expect(rec, key).toBeDefined();
    expect(rec.HostedZoneId).toBe(GIVEN.HostedZoneId);
    expect(rec.ResourceRecords).toEqual(values);
    expect(rec.TTL).toBe(ttl);
  });

  it('WHEN another domain is given THEN the names follow it and the outputs say them', () => {
    const r = render(tpl, { ...GIVEN, Domain: 'corp.example' });
    expect(Object.keys(recordsOf(r)).sort()).toEqual(['A master.corp.example', 'CNAME db.corp.example', 'CNAME efs.corp.example']);
    expect(r.outputs).toMatchObject({ MasterFqdn: 'master.corp.example', DatabaseFqdn: 'db.corp.example', EfsFqdn: 'efs.corp.example' });
  });

  it.each([
    ['MasterPrivateIp', '10.0.11.10', true],
    ['MasterPrivateIp', '10.0.11', false],
    ['EfsFileSystemId', 'fs-0123456789abcdef0', true],
    ['EfsFileSystemId', 'efs-123', false],
    ['RdsEndpointAddress', GIVEN.RdsEndpointAddress, true],
    ['RdsEndpointAddress', 'Not An Endpoint', false],
  ])('WHEN %s is validated THEN %j is accepted=%s', (name, value, ok) => {
    expect(new RegExp(tpl.Parameters[name].AllowedPattern).test(value)).toBe(ok);
  });

  it('WHEN its domain default is compared with the identity stack THEN both name the same zone', () => {
    expect(tpl.Parameters.Domain.Default).toBe(identity.Parameters.IpaDomain.Default);
    expect(tpl.Parameters.HostedZoneId.Type).toBe('AWS::Route53::HostedZone::Id');
    expect(identity.Outputs.HostedZoneId.Value).toEqual({ Ref: 'PrivateHostedZone' });
  });
});

describe('GIVEN identity.yaml without the platform names', () => {
  it('WHEN its parameters are listed THEN none is an output of the compute or storage stack', () => {
    for (const p of ['MasterPrivateIp', 'RdsEndpointAddress', 'EfsFileSystemId']) expect(identity.Parameters[p], p).toBeUndefined();
  });

  it("WHEN rendered THEN its zone holds only the FreeIPA names (master, db and efs are the dns stack's)", () => {
    const r = render(identity, {
      VpcId: 'vpc-0123456789abcdef0',
      PrivateSubnet1Id: 'subnet-0aaaaaaaaaaaaaaa1',
      PrivateSubnet2Id: 'subnet-0bbbbbbbbbbbbbbb2',
      IdentitySecurityGroupId: 'sg-0123456789abcdef0',
      IpaImageId: 'ami-0123456789abcdef0',
      DataLakeBucketName: 'acme-dev-datalake',
      StateBucketName: 'acme-dev-dpf-state',
    });
    const names = Object.keys(recordsOf(r));
    expect(names.length).toBeGreaterThan(5);
    for (const n of names) expect(n).not.toMatch(/ (master|db|efs)\./);
  });
});
