/**
 * identity.yaml as data: the seed's DeveloperRole, the cross-account trust, FreeIPA
 * (generated secret, two AZs, IMDSv2, encrypted volumes), the private hosted zone and
 * its FreeIPA records (the platform's own names are dns.yaml's), and the iam fallback provider.
 */
import { describe, expect, it } from 'vitest';
import { PSEUDO, asList, inlineStatements, loadTemplate, ofType, render, statementBySid, tagsOf } from './cfn-eval.js';

const tpl = loadTemplate('identity.yaml');

const GIVEN = {
  ProjectName: 'acme',
  EnvName: 'dev',
  VpcId: 'vpc-0123456789abcdef0',
  PrivateSubnet1Id: 'subnet-0aaaaaaaaaaaaaaa1',
  PrivateSubnet2Id: 'subnet-0bbbbbbbbbbbbbbb2',
  IdentitySecurityGroupId: 'sg-0123456789abcdef0',
  IpaImageId: 'ami-0123456789abcdef0',
  DataLakeBucketName: 'acme-dev-datalake',
  StateBucketName: 'acme-dev-dpf-state',
} as const;

const freeipa = render(tpl, { ...GIVEN });
const iam = render(tpl, { ...GIVEN, IdentityProvider: 'iam' });
const crossAccount = render(tpl, {
  ...GIVEN,
  CrossAccountTrustedAccountId: '444455556666',
  CrossAccountExternalId: 'ext-id-42',
});

const ACCOUNT_ROOT = `arn:aws:iam::${PSEUDO['AWS::AccountId']}:root`;

describe('identity.yaml parameter and output contract', () => {
  it.each([
    // name, type, default (undefined = required)
    ['ProjectName', 'String', 'dataplatform'],
    ['EnvName', 'String', 'dev'],
    ['VpcId', 'AWS::EC2::VPC::Id', undefined],
    ['PrivateSubnet1Id', 'AWS::EC2::Subnet::Id', undefined],
    ['PrivateSubnet2Id', 'AWS::EC2::Subnet::Id', undefined],
    ['IdentitySecurityGroupId', 'AWS::EC2::SecurityGroup::Id', undefined],
    ['IdentityProvider', 'String', 'freeipa'],
    ['IpaImageId', 'AWS::EC2::Image::Id', undefined],
    ['IpaInstanceType', 'String', 't3.medium'],
    ['IpaVolumeGb', 'Number', '100'],
    ['IpaDomain', 'String', 'dataplatform.internal'],
    ['IpaRealm', 'String', 'DATAPLATFORM.INTERNAL'],
    ['DataLakeBucketName', 'String', undefined],
    ['DevelopmentBucketPrefix', 'String', 'dev/'],
    ['CrossAccountTrustedAccountId', 'String', ''],
    ['CrossAccountExternalId', 'String', ''],
    ['StateBucketName', 'String', undefined],
  ])('GIVEN the template WHEN parameter %s is read THEN it is a %s with default %j', (name, type, def) => {
    const p = tpl.Parameters[name];
    expect(p, name).toBeDefined();
    expect(p.Type).toBe(type);
    expect(p.Default === undefined ? undefined : String(p.Default)).toBe(def);
  });

  it('GIVEN the parameters WHEN compared with the contract THEN there are no others', () => {
    expect(Object.keys(tpl.Parameters).length).toBe(17);
  });

  it('GIVEN IdentityProvider WHEN its allowed values are read THEN they are freeipa and iam', () => {
    expect(tpl.Parameters.IdentityProvider.AllowedValues).toEqual(['freeipa', 'iam']);
  });

  it.each([
    ['dev', true],
    ['prod-eu1', true],
    ['a', true],
    ['abcdefghijklmnop', true],
    ['abcdefghijklmnopq', false],
    ['Dev', false],
    ['1dev', false],
    ['dev_1', false],
    ['', false],
  ])('GIVEN EnvName %j WHEN matched against its pattern THEN valid is %s', (value, ok) => {
    expect(new RegExp(tpl.Parameters.EnvName.AllowedPattern).test(value)).toBe(ok);
  });

  it('GIVEN the longest ProjectName and EnvName WHEN the DeveloperRole name is built THEN it fits the 64-character IAM limit', () => {
    const longestProject = 'a'.repeat(17);
    expect(new RegExp(tpl.Parameters.ProjectName.AllowedPattern).test(longestProject)).toBe(true);
    expect(new RegExp(tpl.Parameters.ProjectName.AllowedPattern).test('a'.repeat(18))).toBe(false);
    const r = render(tpl, { ...GIVEN, ProjectName: longestProject, EnvName: 'e'.repeat(16) });
    for (const [, role] of ofType(r, 'AWS::IAM::Role')) {
      expect(role.Properties.RoleName.length).toBeLessThanOrEqual(64);
    }
  });

  it.each([
    ['12-digit account', 'CrossAccountTrustedAccountId', '123456789012', true],
    ['empty account', 'CrossAccountTrustedAccountId', '', true],
    ['11-digit account', 'CrossAccountTrustedAccountId', '12345678901', false],
    ['prefix with slash', 'DevelopmentBucketPrefix', 'dev/', true],
    ['nested prefix', 'DevelopmentBucketPrefix', 'dev/team-a/', true],
    ['prefix without slash', 'DevelopmentBucketPrefix', 'dev', false],
  ])('GIVEN a %s WHEN %s is validated THEN %j is accepted=%s', (_label, name, value, ok) => {
    expect(new RegExp(tpl.Parameters[name].AllowedPattern).test(value)).toBe(ok);
  });

  it.each([
    ['DeveloperRoleArn', undefined],
    ['DeveloperRoleName', undefined],
    ['CrossAccountRoleArn', 'HasCrossAccount'],
    ['HostedZoneId', undefined],
    ['IpaServerInstanceId', 'IsFreeIpa'],
    ['IpaReplicaInstanceId', 'IsFreeIpa'],
    ['IpaServerPrivateIp', 'IsFreeIpa'],
    ['IpaReplicaPrivateIp', 'IsFreeIpa'],
    ['IpaServerFqdn', 'IsFreeIpa'],
    ['IpaReplicaFqdn', 'IsFreeIpa'],
    ['IpaAdminSecretArn', 'IsFreeIpa'],
    ['OperatorsGroupName', 'IsIamProvider'],
  ])('GIVEN the template WHEN output %s is read THEN it exists with condition %s', (name, condition) => {
    expect(tpl.Outputs[name], name).toBeDefined();
    expect(tpl.Outputs[name].Condition).toBe(condition);
  });

  it('GIVEN every output WHEN it references a conditional resource THEN it carries that condition', () => {
    for (const [name, out] of Object.entries<any>(tpl.Outputs)) {
      const text = JSON.stringify(out.Value);
      for (const [id, res] of Object.entries<any>(tpl.Resources)) {
        if (res.Condition && new RegExp(`"(Ref|Fn::GetAtt)":\\[?"${id}"`).test(text)) {
          expect(out.Condition, `${name} uses ${id}`).toBe(res.Condition);
        }
      }
    }
  });

  it('GIVEN freeipa WHEN outputs are rendered THEN the FQDNs are ipa1/ipa2 under the domain', () => {
    expect(freeipa.outputs.IpaServerFqdn).toBe('ipa1.dataplatform.internal');
    expect(freeipa.outputs.IpaReplicaFqdn).toBe('ipa2.dataplatform.internal');
    expect(freeipa.outputs.IpaServerPrivateIp).toBe('{{IpaServerInstance.PrivateIp}}');
    expect(freeipa.outputs.IpaAdminSecretArn).toBe('{{Ref:IpaAdminSecret}}');
  });
});

describe('DataEngineering-DeveloperRole (seed)', () => {
  const role = freeipa.resources.DeveloperRole;
  const statements = inlineStatements(role);

  it('GIVEN project acme / env dev WHEN the role is rendered THEN it is named acme-dev-DataEngineering-DeveloperRole', () => {
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.RoleName).toBe('acme-dev-DataEngineering-DeveloperRole');
    expect(role.Condition).toBeUndefined();
  });

  it('GIVEN the trust policy WHEN read THEN only this account may assume it, and only with MFA', () => {
    const trust = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: ACCOUNT_ROOT },
      Action: 'sts:AssumeRole',
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    });
  });

  it.each([
    // Sid, actions, resources (rendered), condition
    ['DevelopmentDataRead', ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging'], ['arn:aws:s3:::acme-dev-datalake/dev/*'], undefined],
    ['DevelopmentDataList', ['s3:ListBucket'], ['arn:aws:s3:::acme-dev-datalake'], { StringLike: { 's3:prefix': ['dev/', 'dev/*'] } }],
    ['DevelopmentBucketLocation', ['s3:GetBucketLocation'], ['arn:aws:s3:::acme-dev-datalake'], undefined],
    [
      'DevelopmentDataDecryptViaS3',
      ['kms:Decrypt'],
      ['arn:aws:kms:eu-west-1:111122223333:key/*'],
      {
        StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': ['arn:aws:s3:::acme-dev-datalake', 'arn:aws:s3:::acme-dev-datalake/dev/*'] },
      },
    ],
    ['Ec2Describe', ['ec2:Describe*'], ['*'], undefined],
    ['ServiceAccountRoleList', ['iam:ListRoles'], ['*'], undefined],
    [
      'ServiceAccountRoles',
      ['iam:GetRole', 'iam:PassRole'],
      ['arn:aws:iam::111122223333:role/service-accounts/*', 'arn:aws:iam::111122223333:role/acme-dev-svc-*'],
      undefined,
    ],
    [
      'ServiceAccountAccessKeys',
      ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:ListAccessKeys'],
      ['arn:aws:iam::111122223333:user/acme-dev-svc-*'],
      undefined,
    ],
    ['CloudFormationRead', ['cloudformation:Describe*', 'cloudformation:List*', 'cloudformation:Get*'], ['*'], undefined],
  ])('GIVEN the developer policy WHEN statement %s is read THEN it allows %j on %j', (sid, actions, resources, condition) => {
    const s = statementBySid(statements, sid);
    expect(s.Effect).toBe('Allow');
    expect(asList(s.Action).sort()).toEqual([...actions].sort());
    expect(asList(s.Resource).sort()).toEqual([...resources].sort());
    expect(s.Condition).toEqual(condition);
  });

  it('GIVEN the developer policy WHEN compared with the table THEN it has no other statements', () => {
    expect(statements.map((s) => s.Sid).sort()).toEqual([
      'CloudFormationRead',
      'DevelopmentBucketLocation',
      'DevelopmentDataDecryptViaS3',
      'DevelopmentDataList',
      'DevelopmentDataRead',
      'Ec2Describe',
      'ServiceAccountAccessKeys',
      'ServiceAccountRoleList',
      'ServiceAccountRoles',
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it.each([
    ['no S3 writes', /^s3:(Put|Delete|Create|Restore|Replicate)/],
    ['no wildcard services', /^[a-z0-9-]+:\*$|^\*$/],
    ['no IAM user/role/policy management', /^iam:(Create|Delete|Put|Attach|Detach|Update)(User|Role|Policy|Group)/],
  ])('GIVEN every developer statement WHEN actions are checked THEN there are %s', (_label, forbidden) => {
    const all = statements.flatMap((s) => asList<string>(s.Action));
    expect(all.filter((a) => forbidden.test(a))).toEqual([]);
  });

  it('GIVEN a statement on Resource * WHEN its actions are checked THEN they are read-only', () => {
    const readOnly = /^(ec2:Describe\*|iam:ListRoles|cloudformation:(Describe|List|Get)\*)$/;
    for (const s of statements.filter((st) => asList(st.Resource).includes('*'))) {
      for (const a of asList<string>(s.Action)) expect(a, s.Sid).toMatch(readOnly);
    }
  });
});

describe('cross-account role (seed: External ID, MFA, time-limited tokens)', () => {
  it.each([
    ['no trusted account', freeipa, false],
    ['a trusted account', crossAccount, true],
  ])('GIVEN %s WHEN rendered THEN the cross-account role exists=%s', (_label, r, exists) => {
    expect(r.conditions.HasCrossAccount).toBe(exists);
    expect('CrossAccountRole' in r.resources).toBe(exists);
    expect('CrossAccountRoleArn' in r.outputs).toBe(exists);
  });

  it('GIVEN a trusted account WHEN the trust policy is read THEN it requires the External ID and MFA', () => {
    const role = crossAccount.resources.CrossAccountRole;
    const trust = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toEqual({
      Sid: 'TrustedAccountWithExternalIdAndMfa',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::444455556666:root' },
      Action: 'sts:AssumeRole',
      Condition: {
        StringEquals: { 'sts:ExternalId': 'ext-id-42' },
        Bool: { 'aws:MultiFactorAuthPresent': 'true' },
      },
    });
  });

  it('GIVEN the cross-account role WHEN sessions are configured THEN tokens last at most one hour', () => {
    expect(crossAccount.resources.CrossAccountRole.Properties.MaxSessionDuration).toBeLessThanOrEqual(3600);
  });

  it('GIVEN the cross-account role WHEN its permissions are read THEN it is view-only (no data reads)', () => {
    const role = crossAccount.resources.CrossAccountRole;
    expect(role.Properties.ManagedPolicyArns).toEqual(['arn:aws:iam::aws:policy/job-function/ViewOnlyAccess']);
    const actions = inlineStatements(role).flatMap((s) => asList<string>(s.Action));
    expect(actions.filter((a) => /^(s3:GetObject|secretsmanager:GetSecretValue|logs:GetLogEvents|.*:\*)$/.test(a))).toEqual([]);
    expect(actions.every((a) => /:(Describe|Get|List)/.test(a))).toBe(true);
  });

  it('GIVEN the External ID WHEN declared THEN it is NoEcho and required by a rule when an account is trusted', () => {
    expect(tpl.Parameters.CrossAccountExternalId.NoEcho).toBe(true);
    const rule = tpl.Rules.ExternalIdRequiredForCrossAccount;
    expect(rule.RuleCondition).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'CrossAccountTrustedAccountId' }, ''] }] });
    expect(rule.Assertions[0].Assert).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'CrossAccountExternalId' }, ''] }] });
  });
});

describe('FreeIPA admin password', () => {
  it('GIVEN the parameters WHEN searched for passwords THEN none exists (the only NoEcho is the External ID)', () => {
    const names = Object.keys(tpl.Parameters);
    expect(names.filter((n) => /pass|secret|pwd/i.test(n))).toEqual([]);
    expect(names.filter((n) => tpl.Parameters[n].NoEcho)).toEqual(['CrossAccountExternalId']);
  });

  it.each(['IpaAdminSecret', 'IpaDirectoryManagerSecret'])(
    'GIVEN freeipa WHEN %s is read THEN Secrets Manager generates it, encrypted with the rotating identity key',
    (id) => {
      const secret = freeipa.resources[id];
      expect(secret.Type).toBe('AWS::SecretsManager::Secret');
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'password' });
      expect(secret.Properties.GenerateSecretString.PasswordLength).toBeGreaterThanOrEqual(24);
      expect(secret.Properties.KmsKeyId).toBe('{{Ref:IdentityKmsKey}}');
      expect(freeipa.resources.IdentityKmsKey.Properties.EnableKeyRotation).toBe(true);
    },
  );

  it('GIVEN the admin secret WHEN named THEN it lives under <project>/<env>/freeipa/', () => {
    expect(freeipa.resources.IpaAdminSecret.Properties.Name).toBe('acme/dev/freeipa/admin');
  });

  it('GIVEN the IPA instance role WHEN it reads secrets THEN only the two IPA secrets, decrypting only through Secrets Manager', () => {
    const st = inlineStatements(freeipa.resources.IpaInstanceRole);
    expect(statementBySid(st, 'ReadIpaSecrets')).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: ['{{Ref:IpaAdminSecret}}', '{{Ref:IpaDirectoryManagerSecret}}'],
    });
    expect(statementBySid(st, 'DecryptIpaSecrets')).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: '{{IdentityKmsKey.Arn}}',
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    });
  });

  it('GIVEN the IPA instance role WHEN it manages host keytabs THEN it writes and deletes only under the keytab prefix, and its two unscoped actions only read', () => {
    const st = inlineStatements(freeipa.resources.IpaInstanceRole);
    expect(statementBySid(st, 'PublishHostKeytabs')).toMatchObject({
      Action: expect.arrayContaining([
        'secretsmanager:CreateSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:TagResource',
        'secretsmanager:DeleteSecret',
      ]),
      Resource: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme/dev/freeipa/host-keytab/*',
    });
    // Enrolment by instance id (launched workers) and removal by instance id (terminated ones).
    expect(statementBySid(st, 'ResolveInstanceAddresses')).toMatchObject({ Action: 'ec2:DescribeInstances', Resource: '*' });
    expect(statementBySid(st, 'FindHostKeytabsByTag')).toMatchObject({ Action: 'secretsmanager:ListSecrets', Resource: '*' });
    expect(st.filter((x: any) => x.Resource === '*').flatMap((x: any) => asList(x.Action))).toEqual(['secretsmanager:ListSecrets', 'ec2:DescribeInstances']);
  });

  it('GIVEN the launch template WHEN its user data is read THEN it holds no password', () => {
    const userData: string = freeipa.resources.IpaLaunchTemplate.Properties.LaunchTemplateData.UserData;
    expect(userData).toMatch(/^#!\/bin\/bash/);
    expect(userData).not.toMatch(/passw/i);
  });
});

describe('FreeIPA servers', () => {
  const lt = freeipa.resources.IpaLaunchTemplate.Properties.LaunchTemplateData;

  it.each([
    ['IpaServerInstance', GIVEN.PrivateSubnet1Id, 'server', 'ipa1.dataplatform.internal'],
    ['IpaReplicaInstance', GIVEN.PrivateSubnet2Id, 'replica', 'ipa2.dataplatform.internal'],
  ])('GIVEN freeipa WHEN %s is read THEN it runs in %s from the launch template with the identity SG', (id, subnet, ipaRole, fqdn) => {
    const inst = freeipa.resources[id];
    expect(inst.Type).toBe('AWS::EC2::Instance');
    expect(inst.Condition).toBe('IsFreeIpa');
    expect(inst.Properties.SubnetId).toBe(subnet);
    expect(inst.Properties.SecurityGroupIds).toEqual([GIVEN.IdentitySecurityGroupId]);
    expect(inst.Properties.LaunchTemplate).toEqual({
      LaunchTemplateId: '{{Ref:IpaLaunchTemplate}}',
      Version: '{{IpaLaunchTemplate.LatestVersionNumber}}',
    });
    expect(tagsOf(inst)).toMatchObject({ 'dpf:role': 'identity', 'dpf:ipa-role': ipaRole, 'dpf:fqdn': fqdn });
  });

  it('GIVEN the two IPA instances WHEN their subnets are compared THEN they differ (two AZs)', () => {
    expect(freeipa.resources.IpaServerInstance.Properties.SubnetId).not.toBe(freeipa.resources.IpaReplicaInstance.Properties.SubnetId);
    expect(ofType(freeipa, 'AWS::EC2::Instance')).toHaveLength(2);
  });

  it('GIVEN the launch template WHEN metadata options are read THEN IMDSv2 is required', () => {
    expect(lt.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 });
  });

  it('GIVEN the launch template WHEN the root volume is read THEN it is an encrypted gp3 of IpaVolumeGb with the identity key', () => {
    expect(lt.BlockDeviceMappings).toHaveLength(1);
    expect(lt.BlockDeviceMappings[0].Ebs).toEqual({
      VolumeType: 'gp3',
      VolumeSize: '100',
      Encrypted: true,
      KmsKeyId: '{{IdentityKmsKey.Arn}}',
      DeleteOnTermination: true,
    });
    const bigger = render(tpl, { ...GIVEN, IpaVolumeGb: 250 });
    expect(bigger.resources.IpaLaunchTemplate.Properties.LaunchTemplateData.BlockDeviceMappings[0].Ebs.VolumeSize).toBe('250');
  });

  it('GIVEN the launch template WHEN image, type and profile are read THEN they come from the parameters and the IPA profile', () => {
    expect(lt.ImageId).toBe(GIVEN.IpaImageId);
    expect(lt.InstanceType).toBe('t3.medium');
    expect(lt.IamInstanceProfile).toEqual({ Arn: '{{IpaInstanceProfile.Arn}}' });
    expect(lt.Monitoring).toEqual({ Enabled: true });
  });

  it.each([
    ['ReadAnsibleBundles', 's3:GetObject', 'arn:aws:s3:::acme-dev-dpf-state/bundles/*'],
    ['WriteSsmOutput', 's3:PutObject', 'arn:aws:s3:::acme-dev-dpf-state/ssm-output/*'],
  ])('GIVEN the IPA instance role WHEN %s is read THEN it allows %s on %s only', (sid, action, resource) => {
    const s = statementBySid(inlineStatements(freeipa.resources.IpaInstanceRole), sid);
    expect(s).toMatchObject({ Effect: 'Allow', Action: action, Resource: resource });
  });

  it('GIVEN the IPA instance role WHEN managed policies are read THEN SSM core and the CloudWatch agent are attached', () => {
    const role = freeipa.resources.IpaInstanceRole;
    expect(role.Properties.ManagedPolicyArns).toEqual([
      'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
      'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
    ]);
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'ec2.amazonaws.com' });
  });
});

describe('Route 53 private hosted zone', () => {
  it.each([
    ['freeipa', freeipa],
    ['iam', iam],
  ])('GIVEN provider %s WHEN the zone is read THEN it is dataplatform.internal attached to VpcId', (_p, r) => {
    const zone = r.resources.PrivateHostedZone;
    expect(zone.Type).toBe('AWS::Route53::HostedZone');
    expect(zone.Condition).toBeUndefined();
    expect(zone.Properties.Name).toBe('dataplatform.internal');
    expect(zone.Properties.VPCs).toEqual([{ VPCId: GIVEN.VpcId, VPCRegion: PSEUDO['AWS::Region'] }]);
    expect(r.outputs.HostedZoneId).toBe('{{Ref:PrivateHostedZone}}');
  });

  const recordsByName = (r: typeof freeipa) =>
    Object.fromEntries(ofType(r, 'AWS::Route53::RecordSet').map(([id, rec]) => [`${rec.Properties.Type} ${rec.Properties.Name}`, { id, ...rec }]));
  const both = (port: number) => [`0 100 ${port} ipa1.dataplatform.internal.`, `0 100 ${port} ipa2.dataplatform.internal.`];

  it.each([
    // type + name, values, only with freeipa
    ['A ipa1.dataplatform.internal', ['{{IpaServerInstance.PrivateIp}}'], true],
    ['A ipa2.dataplatform.internal', ['{{IpaReplicaInstance.PrivateIp}}'], true],
    ['A ipa-ca.dataplatform.internal', ['{{IpaServerInstance.PrivateIp}}', '{{IpaReplicaInstance.PrivateIp}}'], true],
    ['SRV _ldap._tcp.dataplatform.internal', both(389), true],
    ['SRV _kerberos._tcp.dataplatform.internal', both(88), true],
    ['SRV _kerberos._udp.dataplatform.internal', both(88), true],
    ['SRV _kerberos-master._tcp.dataplatform.internal', both(88), true],
    ['SRV _kerberos-master._udp.dataplatform.internal', both(88), true],
    ['SRV _kpasswd._tcp.dataplatform.internal', both(464), true],
    ['SRV _kpasswd._udp.dataplatform.internal', both(464), true],
    ['TXT _kerberos.dataplatform.internal', ['"DATAPLATFORM.INTERNAL"'], true],
  ])('GIVEN the zone WHEN record %s is read THEN it points at %j (FreeIPA only: %s)', (key, values, ipaOnly) => {
    const rec = recordsByName(freeipa)[key];
    expect(rec, key).toBeDefined();
    expect(rec.Properties.HostedZoneId).toBe('{{Ref:PrivateHostedZone}}');
    expect(rec.Properties.ResourceRecords).toEqual(values);
    expect(Number(rec.Properties.TTL)).toBeGreaterThan(0);
    expect(key in recordsByName(iam)).toBe(!ipaOnly);
  });

  it('GIVEN another domain and realm WHEN rendered THEN names, SRV targets and the realm follow them', () => {
    const r = render(tpl, { ...GIVEN, IpaDomain: 'corp.example', IpaRealm: 'CORP.EXAMPLE' });
    const recs = recordsByName(r);
    expect(r.resources.PrivateHostedZone.Properties.Name).toBe('corp.example');
    expect(recs['SRV _ldap._tcp.corp.example'].Properties.ResourceRecords).toContain('0 100 389 ipa1.corp.example.');
    expect(recs['TXT _kerberos.corp.example'].Properties.ResourceRecords).toEqual(['"CORP.EXAMPLE"']);
  });
});

describe('identity providers', () => {
  it.each([
    ['freeipa', freeipa, { IsFreeIpa: true, IsIamProvider: false }, 2, 2, false],
    ['iam', iam, { IsFreeIpa: false, IsIamProvider: true }, 0, 0, true],
  ])('GIVEN provider %s WHEN rendered THEN conditions %j, %i instances, %i secrets, operators group=%s', (_p, r, conditions, instances, secrets, group) => {
    expect(r.conditions).toMatchObject(conditions);
    expect(ofType(r, 'AWS::EC2::Instance')).toHaveLength(instances);
    expect(ofType(r, 'AWS::SecretsManager::Secret')).toHaveLength(secrets);
    expect(ofType(r, 'AWS::EC2::LaunchTemplate')).toHaveLength(instances ? 1 : 0);
    expect('OperatorsGroup' in r.resources).toBe(group);
    expect('OperatorsGroupName' in r.outputs).toBe(group);
    expect('IpaServerInstanceId' in r.outputs).toBe(!group);
  });

  it('GIVEN the template WHEN every FreeIPA resource is listed THEN each carries Condition IsFreeIpa', () => {
    const ipaTypes = ['AWS::EC2::Instance', 'AWS::EC2::LaunchTemplate', 'AWS::SecretsManager::Secret', 'AWS::IAM::InstanceProfile'];
    for (const [id, res] of Object.entries<any>(tpl.Resources)) {
      if (ipaTypes.includes(res.Type) || /^Ipa/.test(id)) expect(res.Condition, id).toBe('IsFreeIpa');
    }
    expect(tpl.Resources.OperatorsGroup.Condition).toBe('IsIamProvider');
    expect(tpl.Conditions.IsIamProvider).toEqual({ 'Fn::Equals': [{ Ref: 'IdentityProvider' }, 'iam'] });
  });

  it('GIVEN iam WHEN the operators group is read THEN it is named <project>-<env>-platform-operators', () => {
    expect(iam.resources.OperatorsGroup.Properties.GroupName).toBe('acme-dev-platform-operators');
  });

  it.each([
    [
      'StartSessionOnPlatformInstances',
      'ssm:StartSession',
      'arn:aws:ec2:eu-west-1:111122223333:instance/*',
      {
        StringEquals: { 'ssm:resourceTag/dpf:env': 'dev', 'ssm:resourceTag/dpf:project': 'acme' },
        Bool: { 'aws:MultiFactorAuthPresent': 'true' },
      },
    ],
    [
      'StartSessionDocuments',
      'ssm:StartSession',
      ['arn:aws:ssm:eu-west-1:111122223333:document/SSM-SessionManagerRunShell', 'arn:aws:ssm:eu-west-1::document/AWS-StartSSHSession'],
      { BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } },
    ],
    ['OwnSessions', ['ssm:TerminateSession', 'ssm:ResumeSession'], 'arn:aws:ssm:eu-west-1:111122223333:session/${aws:username}-*', undefined],
  ])('GIVEN iam WHEN operator statement %s is read THEN it allows %j on %j', (sid, action, resource, condition) => {
    const s = statementBySid(inlineStatements(iam.resources.OperatorsGroup), sid);
    expect(s.Effect).toBe('Allow');
    expect(s.Action).toEqual(action);
    expect(s.Resource).toEqual(resource);
    expect(s.Condition).toEqual(condition);
  });
});

describe('tags', () => {
  const TAGGABLE = [
    'AWS::IAM::Role',
    'AWS::KMS::Key',
    'AWS::SecretsManager::Secret',
    'AWS::EC2::Instance',
    'AWS::EC2::LaunchTemplate',
    'AWS::Route53::HostedZone',
  ];
  const UNTAGGABLE = ['AWS::IAM::Group', 'AWS::IAM::InstanceProfile', 'AWS::KMS::Alias', 'AWS::Route53::RecordSet'];

  it('GIVEN the template WHEN resource types are listed THEN each is known as taggable or not', () => {
    for (const [id, res] of Object.entries<any>(tpl.Resources)) {
      expect([...TAGGABLE, ...UNTAGGABLE], id).toContain(res.Type);
    }
  });

  it.each([
    ['freeipa', freeipa],
    ['iam', iam],
    ['cross-account', crossAccount],
  ])('GIVEN provider %s WHEN taggable resources are read THEN each has dpf:env and dpf:project', (_l, r) => {
    for (const [id, res] of Object.entries(r.resources)) {
      if (!TAGGABLE.includes(res.Type)) continue;
      expect(tagsOf(res), id).toMatchObject({ 'dpf:env': 'dev', 'dpf:project': 'acme' });
    }
  });

  it('GIVEN freeipa WHEN instances and their volumes are tagged THEN dpf:role is identity', () => {
    for (const [id, inst] of ofType(freeipa, 'AWS::EC2::Instance')) {
      expect(tagsOf(inst)['dpf:role'], id).toBe('identity');
    }
    const volumeTags = freeipa.resources.IpaLaunchTemplate.Properties.LaunchTemplateData.TagSpecifications.find((s: any) => s.ResourceType === 'volume').Tags;
    expect(Object.fromEntries(volumeTags.map((t: any) => [t.Key, t.Value]))).toEqual({
      'dpf:env': 'dev',
      'dpf:project': 'acme',
      'dpf:role': 'identity',
      'dpf:backup': 'daily',
      Name: 'acme-dev-freeipa',
      Environment: 'dev',
      Purpose: 'DataPlatformFoundation',
      Role: 'identity',
    });
  });
});
