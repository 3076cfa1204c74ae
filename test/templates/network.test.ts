import { describe, expect, it } from 'vitest';
import {
  itFollowsTheTaggingConvention,
  allSecurityGroupRules,
  getAtt,
  idsOfType,
  loadTemplate,
  matchesAllowedPattern,
  networkAclEntries,
  props,
  ref,
  requiredParameters,
  resource,
  resourceTags,
  resourcesOfType,
  ruleCoversPort,
  securityGroupRules,
  usesKey,
  withDefaults,
} from './helpers.js';

const t = loadTemplate('network');

describe('GIVEN the network template parameters', () => {
  it.each([
    ['ProjectName', 'dataplatform'],
    ['EnvName', 'dev'],
    ['VpcCidr', '10.0.0.0/16'],
    ['PublicSubnet1Cidr', '10.0.1.0/24'],
    ['PublicSubnet2Cidr', '10.0.2.0/24'],
    ['PublicSubnet3Cidr', '10.0.3.0/24'],
    ['PrivateSubnet1Cidr', '10.0.11.0/24'],
    ['PrivateSubnet2Cidr', '10.0.12.0/24'],
    ['PrivateSubnet3Cidr', '10.0.13.0/24'],
    ['DatabaseSubnet1Cidr', '10.0.21.0/24'],
    ['DatabaseSubnet2Cidr', '10.0.22.0/24'],
    ['DatabaseSubnet3Cidr', '10.0.23.0/24'],
    ['AdminCidr1', '203.0.113.0/24'],
    ['AdminCidr2', ''],
    ['AdminCidr3', ''],
    ['AdminCidr4', ''],
    ['HighAvailability', 'false'],
    ['FlowLogRetentionDays', 365],
  ])('WHEN reading parameter %s THEN it exists with the seed default %j', (name, expected) => {
    expect(t.Parameters[name], `parameter ${name}`).toBeDefined();
    expect(t.Parameters[name]!.Default).toEqual(expected);
  });

  it.each(['AvailabilityZone1', 'AvailabilityZone2', 'AvailabilityZone3'])('WHEN reading %s THEN it is an AvailabilityZone name with a default', (name) => {
    expect(t.Parameters[name]!.Type).toBe('AWS::EC2::AvailabilityZone::Name');
    expect(t.Parameters[name]!.Default).toBeTruthy();
  });

  it('WHEN listing parameters without a default THEN there are none (dpf passes all, defaults are the seed)', () => {
    expect(requiredParameters(t)).toEqual([]);
  });

  it.each([
    ['0.0.0.0/0', false],
    ['0.0.0.0/1', false],
    ['10.0.0.0/7', false],
    ['203.0.113.0/24', true],
    ['198.51.100.7/32', true],
    ['10.0.0.0/8', true],
  ])('WHEN AdminCidr1 is %s THEN the parameter accepts it: %s', (value, accepted) => {
    expect(matchesAllowedPattern(t.Parameters.AdminCidr1!, value)).toBe(accepted);
    expect(matchesAllowedPattern(t.Parameters.AdminCidr2!, value)).toBe(accepted);
  });

  it('WHEN an optional admin CIDR is empty THEN it is accepted, but AdminCidr1 is never empty', () => {
    for (const n of ['AdminCidr2', 'AdminCidr3', 'AdminCidr4']) expect(matchesAllowedPattern(t.Parameters[n]!, '')).toBe(true);
    expect(matchesAllowedPattern(t.Parameters.AdminCidr1!, '')).toBe(false);
  });

  it.each([
    ['dev', true],
    ['prod', true],
    ['qa-2', true],
    ['Prod', false],
    ['2dev', false],
    ['a-very-long-environment', false],
  ])('WHEN EnvName is %s THEN the parameter accepts it: %s', (value, accepted) => {
    expect(matchesAllowedPattern(t.Parameters.EnvName!, value)).toBe(accepted);
  });

  it('WHEN reading HighAvailability THEN only true and false are allowed', () => {
    expect(t.Parameters.HighAvailability!.AllowedValues).toEqual(['true', 'false']);
    expect(t.Conditions!.IsHighlyAvailable).toEqual({ 'Fn::Equals': [ref('HighAvailability'), 'true'] });
  });
});

describe('GIVEN the VPC and its subnets', () => {
  it('WHEN reading the VPC THEN it uses VpcCidr with DNS support and hostnames', () => {
    expect(props(t, 'Vpc')).toMatchObject({ CidrBlock: ref('VpcCidr'), EnableDnsSupport: true, EnableDnsHostnames: true });
  });

  it.each([
    ['PublicSubnet1', 'AvailabilityZone1', 'PublicSubnet1Cidr', 'PublicRouteTable', 'PublicNetworkAcl'],
    ['PublicSubnet2', 'AvailabilityZone2', 'PublicSubnet2Cidr', 'PublicRouteTable', 'PublicNetworkAcl'],
    ['PublicSubnet3', 'AvailabilityZone3', 'PublicSubnet3Cidr', 'PublicRouteTable', 'PublicNetworkAcl'],
    ['PrivateSubnet1', 'AvailabilityZone1', 'PrivateSubnet1Cidr', 'PrivateRouteTable1', 'PrivateNetworkAcl'],
    ['PrivateSubnet2', 'AvailabilityZone2', 'PrivateSubnet2Cidr', 'PrivateRouteTable2', 'PrivateNetworkAcl'],
    ['PrivateSubnet3', 'AvailabilityZone3', 'PrivateSubnet3Cidr', 'PrivateRouteTable3', 'PrivateNetworkAcl'],
    ['DatabaseSubnet1', 'AvailabilityZone1', 'DatabaseSubnet1Cidr', 'DatabaseRouteTable', 'DatabaseNetworkAcl'],
    ['DatabaseSubnet2', 'AvailabilityZone2', 'DatabaseSubnet2Cidr', 'DatabaseRouteTable', 'DatabaseNetworkAcl'],
    ['DatabaseSubnet3', 'AvailabilityZone3', 'DatabaseSubnet3Cidr', 'DatabaseRouteTable', 'DatabaseNetworkAcl'],
  ])('WHEN reading %s THEN it is in %s with %s, routed by %s and filtered by %s', (subnet, az, cidr, routeTable, acl) => {
    expect(props(t, subnet)).toMatchObject({
      VpcId: ref('Vpc'),
      AvailabilityZone: ref(az),
      CidrBlock: ref(cidr),
      MapPublicIpOnLaunch: false,
    });
    const rtAssociations = resourcesOfType(t, 'AWS::EC2::SubnetRouteTableAssociation').filter(([, r]) => r.Properties!.SubnetId.Ref === subnet);
    expect(rtAssociations.map(([, r]) => r.Properties!.RouteTableId)).toEqual([ref(routeTable)]);
    const aclAssociations = resourcesOfType(t, 'AWS::EC2::SubnetNetworkAclAssociation').filter(([, r]) => r.Properties!.SubnetId.Ref === subnet);
    expect(aclAssociations.map(([, r]) => r.Properties!.NetworkAclId)).toEqual([ref(acl)]);
  });

  it('WHEN counting subnets THEN there are exactly nine (three tiers over three AZs)', () => {
    expect(idsOfType(t, 'AWS::EC2::Subnet')).toHaveLength(9);
  });

  it('WHEN searching for Fn::GetAZs or Fn::Cidr THEN neither is used', () => {
    expect(usesKey(t, 'Fn::GetAZs')).toBe(false);
    expect(usesKey(t, 'Fn::Cidr')).toBe(false);
  });
});

describe('GIVEN the gateways and route tables', () => {
  it('WHEN reading the internet gateway THEN it is attached to the VPC', () => {
    expect(props(t, 'InternetGatewayAttachment')).toEqual({ VpcId: ref('Vpc'), InternetGatewayId: ref('InternetGateway') });
  });

  it.each([
    ['NatGateway1', 'NatEip1', 'PublicSubnet1', undefined],
    ['NatGateway2', 'NatEip2', 'PublicSubnet2', 'IsHighlyAvailable'],
    ['NatGateway3', 'NatEip3', 'PublicSubnet3', 'IsHighlyAvailable'],
  ])('WHEN reading %s THEN it uses %s in %s (condition %s)', (nat, eip, subnet, condition) => {
    expect(props(t, nat)).toMatchObject({ AllocationId: getAtt(eip, 'AllocationId'), SubnetId: ref(subnet) });
    expect(resource(t, nat).Condition).toBe(condition);
    expect(resource(t, eip).Condition).toBe(condition);
    expect(props(t, eip).Domain).toBe('vpc');
  });

  it('WHEN reading the public route table THEN its default route goes to the internet gateway', () => {
    expect(props(t, 'PublicDefaultRoute')).toEqual({
      RouteTableId: ref('PublicRouteTable'),
      DestinationCidrBlock: '0.0.0.0/0',
      GatewayId: ref('InternetGateway'),
    });
  });

  it.each([
    ['PrivateDefaultRoute1', 'PrivateRouteTable1', ref('NatGateway1')],
    ['PrivateDefaultRoute2', 'PrivateRouteTable2', { 'Fn::If': ['IsHighlyAvailable', ref('NatGateway2'), ref('NatGateway1')] }],
    ['PrivateDefaultRoute3', 'PrivateRouteTable3', { 'Fn::If': ['IsHighlyAvailable', ref('NatGateway3'), ref('NatGateway1')] }],
  ])('WHEN reading %s THEN %s reaches the internet through its own AZ NAT gateway in HA, else NAT 1', (route, table, nat) => {
    expect(props(t, route)).toEqual({ RouteTableId: ref(table), DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat });
  });

  it('WHEN listing routes THEN the database route table has none (no internet path)', () => {
    const dbRoutes = resourcesOfType(t, 'AWS::EC2::Route').filter(([, r]) => r.Properties!.RouteTableId.Ref === 'DatabaseRouteTable');
    expect(dbRoutes).toEqual([]);
    expect(idsOfType(t, 'AWS::EC2::Route').sort()).toEqual(['PrivateDefaultRoute1', 'PrivateDefaultRoute2', 'PrivateDefaultRoute3', 'PublicDefaultRoute']);
  });

  it('WHEN reading the S3 gateway endpoint THEN it serves the private and database route tables only', () => {
    expect(props(t, 'S3GatewayEndpoint')).toMatchObject({
      VpcId: ref('Vpc'),
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' },
      RouteTableIds: [ref('PrivateRouteTable1'), ref('PrivateRouteTable2'), ref('PrivateRouteTable3'), ref('DatabaseRouteTable')],
    });
  });
});

describe('GIVEN the network ACLs', () => {
  it.each([
    [
      'PublicNetworkAcl',
      [
        'in 100 allow tcp 22 param:AdminCidr1',
        'in 101 allow tcp 22 param:AdminCidr2 if:HasAdminCidr2',
        'in 102 allow tcp 22 param:AdminCidr3 if:HasAdminCidr3',
        'in 103 allow tcp 22 param:AdminCidr4 if:HasAdminCidr4',
        'in 110 allow tcp 443 cidr:0.0.0.0/0',
        'in 120 allow tcp 80 cidr:0.0.0.0/0',
        'in 130 allow tcp 1024-65535 cidr:0.0.0.0/0',
        // UDP replies (Kerberos from the FreeIPA servers), from inside the VPC only
        'in 140 allow udp 1024-65535 param:VpcCidr',
        'out 100 allow all cidr:0.0.0.0/0',
      ],
    ],
    ['PrivateNetworkAcl', ['in 100 allow all param:VpcCidr', 'in 110 allow tcp 1024-65535 cidr:0.0.0.0/0', 'out 100 allow all cidr:0.0.0.0/0']],
    [
      'DatabaseNetworkAcl',
      [
        'in 100 allow tcp 5432 param:PrivateSubnet1Cidr',
        'in 101 allow tcp 5432 param:PrivateSubnet2Cidr',
        'in 102 allow tcp 5432 param:PrivateSubnet3Cidr',
        'in 110 allow tcp 5432 param:PublicSubnet1Cidr',
        'in 111 allow tcp 5432 param:PublicSubnet2Cidr',
        'in 112 allow tcp 5432 param:PublicSubnet3Cidr',
        'in 120 allow tcp 1024-65535 param:VpcCidr',
        'out 100 allow tcp 1024-65535 param:VpcCidr',
      ],
    ],
  ])('WHEN listing the entries of %s THEN they are exactly the tier rules', (acl, expected) => {
    expect(networkAclEntries(t, acl)).toEqual(expected);
  });

  it('WHEN scanning every inbound NACL entry THEN SSH (22) is never allowed from 0.0.0.0/0', () => {
    for (const acl of idsOfType(t, 'AWS::EC2::NetworkAcl')) {
      for (const entry of networkAclEntries(t, acl).filter((e) => e.startsWith('in ') && e.includes('cidr:0.0.0.0/0'))) {
        const rule = entry.replace(/^in \d+ allow /, 'in ');
        expect(ruleCoversPort(`${rule} `, 22), `${acl}: ${entry}`).toBe(false);
      }
    }
  });
});

describe('GIVEN the security groups', () => {
  const PRIVATE = ['PrivateSubnet1Cidr', 'PrivateSubnet2Cidr', 'PrivateSubnet3Cidr'];
  const fromPrivate = (proto: string, port: number) => PRIVATE.map((c) => `in ${proto} ${port} param:${c}`);
  const IPA_CLIENT_PORTS = ['tcp 389', 'tcp 636', 'tcp 88', 'udp 88', 'tcp 464', 'udp 464', 'tcp 443'];

  it.each([
    [
      'ManagementSecurityGroup',
      [
        'in tcp 22 param:AdminCidr1',
        'in tcp 22 param:AdminCidr2 if:HasAdminCidr2',
        'in tcp 22 param:AdminCidr3 if:HasAdminCidr3',
        'in tcp 22 param:AdminCidr4 if:HasAdminCidr4',
        ...fromPrivate('tcp', 389),
        ...fromPrivate('tcp', 636),
        'out tcp 443 cidr:0.0.0.0/0',
        'out tcp 80 cidr:0.0.0.0/0',
        'out tcp 22 sg:ComputeSecurityGroup',
        'out tcp 22 sg:IdentitySecurityGroup',
        'out tcp 5432 sg:DatabaseSecurityGroup',
        // the bastion is a FreeIPA client: directory traffic to the identity servers only
        ...IPA_CLIENT_PORTS.map((p) => `out ${p} sg:IdentitySecurityGroup`),
      ],
    ],
    [
      'ComputeSecurityGroup',
      [
        'in tcp 22 sg:ManagementSecurityGroup',
        'in tcp 2049 sg:ComputeSecurityGroup',
        'in tcp 8080-8090 sg:ComputeSecurityGroup',
        'out tcp 443 cidr:0.0.0.0/0',
        'out tcp 2049 sg:EfsSecurityGroup',
        'out tcp 5432 sg:DatabaseSecurityGroup',
        'out tcp 8080-8090 sg:ComputeSecurityGroup',
        'out tcp 389 sg:IdentitySecurityGroup',
        'out tcp 636 sg:IdentitySecurityGroup',
        'out tcp 88 sg:IdentitySecurityGroup',
        'out udp 88 sg:IdentitySecurityGroup',
        'out tcp 464 sg:IdentitySecurityGroup',
        'out udp 464 sg:IdentitySecurityGroup',
        'out tcp 443 sg:IdentitySecurityGroup',
        'out tcp 80 sg:IdentitySecurityGroup',
        'out udp 53 param:VpcCidr',
        'out tcp 53 param:VpcCidr',
      ],
    ],
    ['DatabaseSecurityGroup', ['in tcp 5432 sg:ComputeSecurityGroup', 'in tcp 5432 sg:ManagementSecurityGroup', 'out all cidr:127.0.0.1/32']],
    ['EfsSecurityGroup', ['in tcp 2049 sg:ComputeSecurityGroup', 'out all cidr:127.0.0.1/32']],
    [
      'IdentitySecurityGroup',
      [
        ...fromPrivate('tcp', 389),
        ...fromPrivate('tcp', 636),
        ...fromPrivate('tcp', 88),
        ...fromPrivate('udp', 88),
        ...fromPrivate('tcp', 464),
        ...fromPrivate('udp', 464),
        ...fromPrivate('tcp', 443),
        ...fromPrivate('tcp', 80),
        'out tcp 443 cidr:0.0.0.0/0',
        'out tcp 80 cidr:0.0.0.0/0',
        // replica <-> primary replication (self-referencing)
        'out tcp 389 sg:IdentitySecurityGroup',
        'out tcp 636 sg:IdentitySecurityGroup',
        'out tcp 88 sg:IdentitySecurityGroup',
        'out udp 88 sg:IdentitySecurityGroup',
        'out tcp 464 sg:IdentitySecurityGroup',
        'out udp 464 sg:IdentitySecurityGroup',
        // ...and from the bastion (management group), a FreeIPA client
        ...IPA_CLIENT_PORTS.map((p) => `in ${p} sg:ManagementSecurityGroup`),
        'in tcp 80 sg:ManagementSecurityGroup',
        'in tcp 22 sg:ManagementSecurityGroup',
      ],
    ],
  ])('WHEN listing every rule of %s THEN they are exactly the specified ones', (group, expected) => {
    expect(securityGroupRules(t, group)).toEqual([...expected].sort());
  });

  it('WHEN counting security groups THEN there are exactly the five of the design', () => {
    expect(idsOfType(t, 'AWS::EC2::SecurityGroup').sort()).toEqual([
      'ComputeSecurityGroup',
      'DatabaseSecurityGroup',
      'EfsSecurityGroup',
      'IdentitySecurityGroup',
      'ManagementSecurityGroup',
    ]);
  });

  it('WHEN scanning every ingress rule THEN none is open to 0.0.0.0/0 (so never SSH from anywhere)', () => {
    const open = allSecurityGroupRules(t).filter(({ rule }) => rule.startsWith('in ') && rule.includes('cidr:0.0.0.0/0'));
    expect(open).toEqual([]);
  });

  it('WHEN scanning every ingress rule that covers 22 THEN the source is an admin CIDR or the management group', () => {
    const ssh = allSecurityGroupRules(t).filter(({ rule }) => rule.startsWith('in ') && ruleCoversPort(rule, 22));
    for (const { group, rule } of ssh) {
      expect(rule, `${group}: ${rule}`).toMatch(/ (param:AdminCidr[1-4]|sg:ManagementSecurityGroup)( if:HasAdminCidr[2-4])?$/);
    }
    expect(ssh.length).toBeGreaterThan(0);
  });

  it('WHEN scanning every ingress rule that covers 5432 THEN only compute and management are sources, on the database group', () => {
    const pg = allSecurityGroupRules(t).filter(({ rule }) => rule.startsWith('in ') && ruleCoversPort(rule, 5432));
    expect(pg).toEqual([
      { group: 'DatabaseSecurityGroup', rule: 'in tcp 5432 sg:ComputeSecurityGroup' },
      { group: 'DatabaseSecurityGroup', rule: 'in tcp 5432 sg:ManagementSecurityGroup' },
    ]);
  });

  it('WHEN scanning every ingress rule that covers 2049 THEN only the compute group is a source (never management)', () => {
    const nfs = allSecurityGroupRules(t).filter(({ rule }) => rule.startsWith('in ') && ruleCoversPort(rule, 2049));
    expect(nfs.map((r) => r.rule)).toEqual(['in tcp 2049 sg:ComputeSecurityGroup', 'in tcp 2049 sg:ComputeSecurityGroup']);
    expect(nfs.map((r) => r.group).sort()).toEqual(['ComputeSecurityGroup', 'EfsSecurityGroup']);
  });

  it.each(idsOfType(t, 'AWS::EC2::SecurityGroup'))(
    'WHEN reading %s THEN it declares inline egress (so the default allow-all egress is removed) and every rule has a description',
    (group) => {
      const p = props(t, group);
      expect(p.SecurityGroupEgress?.length).toBeGreaterThan(0);
      for (const rule of [...(p.SecurityGroupIngress ?? []), ...p.SecurityGroupEgress]) expect(rule.Description).toBeTruthy();
      expect(p.GroupDescription).toBeTruthy();
      expect(p.VpcId).toEqual(ref('Vpc'));
    },
  );

  it('WHEN reading the separate rule resources THEN each has a description', () => {
    for (const type of ['AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress']) {
      for (const [id, r] of resourcesOfType(t, type)) expect(r.Properties!.Description, id).toBeTruthy();
    }
  });
});

describe('GIVEN the VPC flow logs', () => {
  it('WHEN reading the flow log THEN it captures ALL traffic of the VPC into the log group through its role', () => {
    expect(props(t, 'VpcFlowLog')).toMatchObject({
      ResourceId: ref('Vpc'),
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: ref('FlowLogGroup'),
      DeliverLogsPermissionArn: getAtt('FlowLogRole', 'Arn'),
    });
  });

  it('WHEN reading the log group THEN it is KMS-encrypted with a rotating key and keeps FlowLogRetentionDays (365)', () => {
    expect(props(t, 'FlowLogGroup')).toMatchObject({
      KmsKeyId: getAtt('FlowLogKey', 'Arn'),
      RetentionInDays: ref('FlowLogRetentionDays'),
    });
    expect(withDefaults(t, props(t, 'FlowLogGroup').RetentionInDays)).toBe(365);
    expect(props(t, 'FlowLogKey').EnableKeyRotation).toBe(true);
  });

  it('WHEN reading the key policy THEN CloudWatch Logs may use the key only for the flow log group', () => {
    const logs = props(t, 'FlowLogKey').KeyPolicy.Statement.find((s: any) => s.Principal?.Service);
    expect(logs.Principal.Service).toEqual({ 'Fn::Sub': 'logs.${AWS::Region}.amazonaws.com' });
    expect(withDefaults(t, logs.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn'])).toContain(':log-group:/dataplatform/dev/vpc-flow-logs');
  });

  it('WHEN reading the delivery role THEN only vpc-flow-logs of this account can assume it', () => {
    const trust = props(t, 'FlowLogRole').AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0].Principal).toEqual({ Service: 'vpc-flow-logs.amazonaws.com' });
    expect(trust[0].Condition.StringEquals['aws:SourceAccount']).toEqual(ref('AWS::AccountId'));
  });
});

describe('GIVEN the tagging convention', () => {
  itFollowsTheTaggingConvention(t);
});

describe('GIVEN the network outputs', () => {
  const plainRefs: Array<[string, string]> = [
    ['VpcId', 'Vpc'],
    ['PublicSubnet1Id', 'PublicSubnet1'],
    ['PublicSubnet2Id', 'PublicSubnet2'],
    ['PublicSubnet3Id', 'PublicSubnet3'],
    ['PrivateSubnet1Id', 'PrivateSubnet1'],
    ['PrivateSubnet2Id', 'PrivateSubnet2'],
    ['PrivateSubnet3Id', 'PrivateSubnet3'],
    ['DatabaseSubnet1Id', 'DatabaseSubnet1'],
    ['DatabaseSubnet2Id', 'DatabaseSubnet2'],
    ['DatabaseSubnet3Id', 'DatabaseSubnet3'],
    ['ManagementSecurityGroupId', 'ManagementSecurityGroup'],
    ['ComputeSecurityGroupId', 'ComputeSecurityGroup'],
    ['DatabaseSecurityGroupId', 'DatabaseSecurityGroup'],
    ['EfsSecurityGroupId', 'EfsSecurityGroup'],
    ['IdentitySecurityGroupId', 'IdentitySecurityGroup'],
    ['NatGateway1Id', 'NatGateway1'],
    ['PublicRouteTableId', 'PublicRouteTable'],
    ['PrivateRouteTable1Id', 'PrivateRouteTable1'],
    ['PrivateRouteTable2Id', 'PrivateRouteTable2'],
    ['PrivateRouteTable3Id', 'PrivateRouteTable3'],
    ['DatabaseRouteTableId', 'DatabaseRouteTable'],
    ['FlowLogGroupName', 'FlowLogGroup'],
    ['S3EndpointId', 'S3GatewayEndpoint'],
  ];

  it.each(plainRefs)('WHEN reading output %s THEN it is a plain Ref to %s', (output, logicalId) => {
    expect(t.Outputs[output]?.Value).toEqual(ref(logicalId));
  });

  it('WHEN listing outputs THEN there are exactly the contract outputs', () => {
    expect(Object.keys(t.Outputs).sort()).toEqual(plainRefs.map(([o]) => o).sort());
  });
});
