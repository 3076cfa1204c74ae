import { describe, expect, it } from 'vitest';
import {
  itFollowsTheTaggingConvention,
  getAtt,
  idsOfType,
  loadTemplate,
  props,
  ref,
  requiredParameters,
  resource,
  resourceTags,
  resourcesOfType,
  sub,
  usesKey,
  walk,
  withDefaults,
} from './helpers.js';

const t = loadTemplate('storage');
const DATA_KEY_ARN = getAtt('DataKey', 'Arn');

describe('GIVEN the storage template parameters', () => {
  it.each([
    ['ProjectName', 'dataplatform'],
    ['EnvName', 'dev'],
    ['ArchiveToGlacierDays', 90],
    ['EfsTransitionToIa', 'AFTER_30_DAYS'],
    ['DbInstanceClass', 'db.t3.medium'],
    ['DbEngineVersion', '16'],
    ['DbAllocatedStorageGb', 100],
    ['DbBackupRetentionDays', 7],
    ['DbMultiAz', 'false'],
    ['DeletionProtection', 'false'],
    ['DbName', 'dataplatform'],
    ['DbMasterUsername', 'dpfadmin'],
    ['BackupRetentionDays', 35],
    ['BackupScheduleExpression', 'cron(0 5 * * ? *)'],
    ['BackupCopyDestinationVaultArn', ''],
  ])('WHEN reading parameter %s THEN it exists with the seed default %j', (name, expected) => {
    expect(t.Parameters[name], `parameter ${name}`).toBeDefined();
    expect(t.Parameters[name]!.Default).toEqual(expected);
  });

  it('WHEN reading DataLakeBucketName THEN it exists with a default', () => {
    expect(t.Parameters.DataLakeBucketName?.Default).toBeTruthy();
  });

  it('WHEN reading EfsTransitionToIa THEN it allows the EFS transition values from 7 to 90 days', () => {
    expect(t.Parameters.EfsTransitionToIa!.AllowedValues).toEqual(['AFTER_7_DAYS', 'AFTER_14_DAYS', 'AFTER_30_DAYS', 'AFTER_60_DAYS', 'AFTER_90_DAYS']);
  });

  it('WHEN listing parameters without a default THEN they are exactly the network stack ids', () => {
    expect(requiredParameters(t)).toEqual(
      [
        'DatabaseSecurityGroupId',
        'DatabaseSubnet1Id',
        'DatabaseSubnet2Id',
        'DatabaseSubnet3Id',
        'EfsSecurityGroupId',
        'PrivateSubnet1Id',
        'PrivateSubnet2Id',
        'PrivateSubnet3Id',
        'VpcId',
      ].sort(),
    );
  });

  it('WHEN searching parameters for a password THEN there is none (Secrets Manager holds it)', () => {
    const names = Object.keys(t.Parameters).filter((n) => /password|secret/i.test(n));
    expect(names).toEqual([]);
    expect(Object.values(t.Parameters).some((p) => p.NoEcho !== undefined)).toBe(false);
  });

  it('WHEN searching for Fn::GetAZs or Fn::Cidr THEN neither is used', () => {
    expect(usesKey(t, 'Fn::GetAZs')).toBe(false);
    expect(usesKey(t, 'Fn::Cidr')).toBe(false);
  });
});

describe('GIVEN the data KMS key', () => {
  it('WHEN reading the key THEN rotation is on and it outlives the stack', () => {
    expect(props(t, 'DataKey').EnableKeyRotation).toBe(true);
    expect(resource(t, 'DataKey')).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });

  it('WHEN reading the alias THEN it is alias/<project>-<env>-data', () => {
    expect(props(t, 'DataKeyAlias')).toEqual({ AliasName: sub('alias/${ProjectName}-${EnvName}-data'), TargetKeyId: ref('DataKey') });
  });
});

describe('GIVEN the data-lake bucket', () => {
  const bucket = () => props(t, 'DataLakeBucket');

  it('WHEN reading its name THEN it is the DataLakeBucketName parameter', () => {
    expect(bucket().BucketName).toEqual(ref('DataLakeBucketName'));
  });

  it('WHEN reading its encryption THEN it is SSE-KMS with the data key and a bucket key', () => {
    expect(bucket().BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: DATA_KEY_ARN }, BucketKeyEnabled: true },
    ]);
  });

  it.each([['DataLakeBucket'], ['AccessLogBucket']])('WHEN reading %s THEN public access is fully blocked, ACLs are disabled and versioning is on', (id) => {
    expect(props(t, id).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(props(t, id).OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(props(t, id).VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(resource(t, id)).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });

  it('WHEN reading the lifecycle THEN archive/ moves to Glacier after ArchiveToGlacierDays (90) and old versions expire', () => {
    const rules = bucket().LifecycleConfiguration.Rules as any[];
    const archive = rules.find((r) => r.Prefix === 'archive/');
    expect(archive).toMatchObject({ Status: 'Enabled', Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: ref('ArchiveToGlacierDays') }] });
    expect(withDefaults(t, archive.Transitions[0].TransitionInDays)).toBe(90);
    expect(rules.some((r) => r.Status === 'Enabled' && r.NoncurrentVersionExpiration?.NoncurrentDays > 0)).toBe(true);
  });

  it('WHEN reading its logging THEN server access logs go to the access-log bucket', () => {
    expect(bucket().LoggingConfiguration.DestinationBucketName).toEqual(ref('AccessLogBucket'));
    expect(props(t, 'AccessLogBucket').BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'AES256',
    });
  });

  it.each([
    ['DataLakeBucketPolicy', 'DataLakeBucket'],
    ['AccessLogBucketPolicy', 'AccessLogBucket'],
  ])('WHEN reading %s THEN it denies every request without TLS on %s and its objects', (policy, bucketId) => {
    const p = props(t, policy);
    expect(p.Bucket).toEqual(ref(bucketId));
    const deny = p.PolicyDocument.Statement.find((s: any) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [getAtt(bucketId, 'Arn'), sub(`\${${bucketId}.Arn}/*`)],
    });
  });

  it('WHEN reading the access-log bucket policy THEN only S3 log delivery for the data lake of this account may write', () => {
    const allow = props(t, 'AccessLogBucketPolicy').PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    expect(allow).toHaveLength(1);
    expect(allow[0].Principal).toEqual({ Service: 'logging.s3.amazonaws.com' });
    expect(allow[0].Action).toBe('s3:PutObject');
    expect(allow[0].Condition.StringEquals['aws:SourceAccount']).toEqual(ref('AWS::AccountId'));
  });
});

describe('GIVEN the EFS file system', () => {
  const fs = () => props(t, 'SharedFileSystem');

  it('WHEN reading it THEN it is encrypted with the data key, General Purpose, elastic throughput', () => {
    expect(fs()).toMatchObject({
      Encrypted: true,
      KmsKeyId: DATA_KEY_ARN,
      PerformanceMode: 'generalPurpose',
      ThroughputMode: 'elastic',
    });
  });

  it('WHEN reading its lifecycle THEN files go to IA after EfsTransitionToIa (30 days) and come back on first access', () => {
    expect(fs().LifecyclePolicies).toEqual([{ TransitionToIA: ref('EfsTransitionToIa') }, { TransitionToPrimaryStorageClass: 'AFTER_1_ACCESS' }]);
    expect(withDefaults(t, fs().LifecyclePolicies[0].TransitionToIA)).toBe('AFTER_30_DAYS');
  });

  it('WHEN reading its backup policy THEN automatic backups are off (our AWS Backup plan is the one source)', () => {
    expect(fs().BackupPolicy).toEqual({ Status: 'DISABLED' });
  });

  it('WHEN reading its file system policy THEN clients without TLS are denied', () => {
    const deny = fs().FileSystemPolicy.Statement.find((s: any) => s.Effect === 'Deny');
    expect(deny).toMatchObject({ Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    // Every allow is through a mount target (reachable only from the compute security group);
    // root access is granted there on purpose: mkhomedir creates users' homes on /shared as root.
    const allows = fs().FileSystemPolicy.Statement.filter((s: any) => s.Effect === 'Allow');
    for (const a of allows) expect(a.Condition).toEqual({ Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' } });
    expect(allows.flatMap((s: any) => s.Action)).toContain('elasticfilesystem:ClientRootAccess');
  });

  it('WHEN listing mount targets THEN there is exactly one per private subnet, each with the efs group', () => {
    const targets = resourcesOfType(t, 'AWS::EFS::MountTarget').map(([, r]) => r.Properties!);
    expect(targets.map((p) => p.SubnetId)).toEqual([ref('PrivateSubnet1Id'), ref('PrivateSubnet2Id'), ref('PrivateSubnet3Id')]);
    for (const p of targets) {
      expect(p.FileSystemId).toEqual(ref('SharedFileSystem'));
      expect(p.SecurityGroups).toEqual([ref('EfsSecurityGroupId')]);
    }
  });

  it('WHEN reading the access point THEN it roots clients at /shared, created 0755', () => {
    expect(props(t, 'SharedAccessPoint')).toMatchObject({
      FileSystemId: ref('SharedFileSystem'),
      RootDirectory: { Path: '/shared', CreationInfo: { Permissions: '0755' } },
    });
    const p = props(t, 'SharedAccessPoint');
    // No forced POSIX identity: directory users keep their own uid/gid (homes on /shared/home).
    expect(p.PosixUser).toBeUndefined();
    expect(p.RootDirectory.CreationInfo).toMatchObject({ OwnerUid: '0', OwnerGid: '0' });
  });
});

describe('GIVEN the RDS PostgreSQL instance', () => {
  const db = () => props(t, 'DbInstance');

  it.each([
    ['Engine', 'postgres'],
    ['EngineVersion', ref('DbEngineVersion')],
    ['DBInstanceClass', ref('DbInstanceClass')],
    ['AllocatedStorage', ref('DbAllocatedStorageGb')],
    ['Port', '5432'],
    ['StorageType', 'gp3'],
    ['StorageEncrypted', true],
    ['KmsKeyId', DATA_KEY_ARN],
    ['PubliclyAccessible', false],
    ['VPCSecurityGroups', [ref('DatabaseSecurityGroupId')]],
    ['DBSubnetGroupName', ref('DbSubnetGroup')],
    ['DBParameterGroupName', ref('DbParameterGroup')],
    ['BackupRetentionPeriod', ref('DbBackupRetentionDays')],
    ['MultiAZ', ref('DbMultiAz')],
    ['DeletionProtection', ref('DeletionProtection')],
    ['ManageMasterUserPassword', true],
    ['MasterUsername', ref('DbMasterUsername')],
    ['DBName', ref('DbName')],
    ['EnableIAMDatabaseAuthentication', true],
    ['CopyTagsToSnapshot', true],
    ['AutoMinorVersionUpgrade', true],
  ])('WHEN reading %s THEN it is %j', (property, expected) => {
    expect(db()[property]).toEqual(expected);
  });

  it('WHEN resolving defaults THEN backups are kept 7 days on 100 GB of PostgreSQL 16', () => {
    expect(withDefaults(t, db().BackupRetentionPeriod)).toBe(7);
    expect(withDefaults(t, db().AllocatedStorage)).toBe(100);
    expect(withDefaults(t, db().EngineVersion)).toBe('16');
  });

  it('WHEN reading log exports THEN the postgresql log goes to CloudWatch Logs', () => {
    expect(db().EnableCloudwatchLogsExports).toContain('postgresql');
  });

  it('WHEN reading its deletion behaviour THEN deletion and replacement take a final snapshot', () => {
    expect(resource(t, 'DbInstance')).toMatchObject({ DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
  });

  it('WHEN searching the whole template THEN no MasterUserPassword appears anywhere', () => {
    // (ManageMasterUserPassword is the opposite: RDS generates and keeps the password.)
    expect([...walk(t)].filter(({ key }) => key === 'MasterUserPassword')).toEqual([]);
  });

  it('WHEN reading the subnet group THEN it spans the three database subnets', () => {
    expect(props(t, 'DbSubnetGroup').SubnetIds).toEqual([ref('DatabaseSubnet1Id'), ref('DatabaseSubnet2Id'), ref('DatabaseSubnet3Id')]);
  });

  it('WHEN reading the parameter group THEN it is postgres16 by default, forces TLS and logs connections', () => {
    const pg = props(t, 'DbParameterGroup');
    expect(withDefaults(t, pg.Family)).toBe('postgres16');
    expect(pg.Parameters).toMatchObject({ 'rds.force_ssl': '1', log_connections: '1' });
  });
});

describe('GIVEN AWS Backup', () => {
  const rule = () => props(t, 'BackupPlan').BackupPlan.BackupPlanRule[0];

  it('WHEN reading the vault THEN it is encrypted with the data key and retained', () => {
    expect(props(t, 'BackupVault').EncryptionKeyArn).toEqual(DATA_KEY_ARN);
    expect(resource(t, 'BackupVault')).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });

  it('WHEN reading the plan THEN one daily rule at BackupScheduleExpression keeps recovery points 35 days', () => {
    expect(props(t, 'BackupPlan').BackupPlan.BackupPlanRule).toHaveLength(1);
    expect(rule()).toMatchObject({
      TargetBackupVault: ref('BackupVault'),
      ScheduleExpression: ref('BackupScheduleExpression'),
      Lifecycle: { DeleteAfterDays: ref('BackupRetentionDays') },
    });
    expect(withDefaults(t, rule().Lifecycle.DeleteAfterDays)).toBe(35);
    expect(withDefaults(t, rule().ScheduleExpression)).toBe('cron(0 5 * * ? *)');
  });

  it('WHEN reading the copy action THEN it exists only when a destination vault is given', () => {
    expect(t.Conditions!.HasBackupCopy).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [ref('BackupCopyDestinationVaultArn'), ''] }] });
    const [condition, whenSet, whenUnset] = rule().CopyActions['Fn::If'];
    expect(condition).toBe('HasBackupCopy');
    expect(whenSet).toEqual([{ DestinationBackupVaultArn: ref('BackupCopyDestinationVaultArn'), Lifecycle: { DeleteAfterDays: ref('BackupRetentionDays') } }]);
    expect(whenUnset).toEqual(ref('AWS::NoValue'));
  });

  it('WHEN reading the selections THEN EFS and RDS are selected by ARN, and the volumes of the stateful nodes by tag, with the backup role', () => {
    expect(props(t, 'BackupSelection')).toMatchObject({
      BackupPlanId: ref('BackupPlan'),
      BackupSelection: {
        IamRoleArn: getAtt('BackupRole', 'Arn'),
        Resources: [getAtt('SharedFileSystem', 'Arn'), sub('arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:${DbInstance}')],
      },
    });
    expect(props(t, 'VolumeBackupSelection')).toMatchObject({
      BackupPlanId: ref('BackupPlan'),
      BackupSelection: {
        IamRoleArn: getAtt('BackupRole', 'Arn'),
        Resources: [sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:volume/*')],
        Conditions: {
          StringEquals: [
            { ConditionKey: 'aws:ResourceTag/dpf:env', ConditionValue: ref('EnvName') },
            { ConditionKey: 'aws:ResourceTag/dpf:project', ConditionValue: ref('ProjectName') },
            { ConditionKey: 'aws:ResourceTag/dpf:backup', ConditionValue: 'daily' },
          ],
        },
      },
    });
  });

  it('WHEN reading the backup role THEN AWS Backup assumes it with the backup and restore managed policies', () => {
    const role = props(t, 'BackupRole');
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'backup.amazonaws.com' });
    expect(role.ManagedPolicyArns).toEqual([
      sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup'),
      sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores'),
    ]);
  });
});

describe('GIVEN the SSM parameters the nodes read', () => {
  it.each([
    ['/${ProjectName}/${EnvName}/efs/file-system-id', ref('SharedFileSystem')],
    ['/${ProjectName}/${EnvName}/efs/access-point-id', ref('SharedAccessPoint')],
    ['/${ProjectName}/${EnvName}/rds/endpoint', getAtt('DbInstance', 'Endpoint.Address')],
    ['/${ProjectName}/${EnvName}/rds/secret-arn', getAtt('DbInstance', 'MasterUserSecret.SecretArn')],
    ['/${ProjectName}/${EnvName}/datalake/bucket', ref('DataLakeBucket')],
  ])('WHEN looking for %s THEN a String parameter holds %j', (name, value) => {
    const found = resourcesOfType(t, 'AWS::SSM::Parameter').filter(([, r]) => JSON.stringify(r.Properties!.Name) === JSON.stringify(sub(name)));
    expect(found).toHaveLength(1);
    expect(found[0]![1].Properties).toMatchObject({ Type: 'String', Value: value });
  });

  it('WHEN listing SSM parameters THEN none is a SecureString or holds a secret value', () => {
    for (const [id, r] of resourcesOfType(t, 'AWS::SSM::Parameter')) expect(r.Properties!.Type, id).toBe('String');
  });
});

describe('GIVEN the tagging convention', () => {
  itFollowsTheTaggingConvention(t);
});

describe('GIVEN the storage outputs', () => {
  it.each([
    ['DataLakeBucketName', ref('DataLakeBucket')],
    ['DataLakeBucketArn', getAtt('DataLakeBucket', 'Arn')],
    ['AccessLogBucketName', ref('AccessLogBucket')],
    ['DataKmsKeyArn', DATA_KEY_ARN],
    ['DataKmsKeyId', ref('DataKey')],
    ['EfsFileSystemId', ref('SharedFileSystem')],
    ['EfsAccessPointId', ref('SharedAccessPoint')],
    ['DbInstanceIdentifier', ref('DbInstance')],
    ['DbEndpointAddress', getAtt('DbInstance', 'Endpoint.Address')],
    ['DbSecretArn', getAtt('DbInstance', 'MasterUserSecret.SecretArn')],
    ['DbSubnetGroupName', ref('DbSubnetGroup')],
    ['DbParameterGroupName', ref('DbParameterGroup')],
    ['BackupVaultName', ref('BackupVault')],
    ['BackupPlanId', ref('BackupPlan')],
    ['BackupSelectionId', ref('BackupSelection')],
    ['BackupRoleArn', getAtt('BackupRole', 'Arn')],
  ])('WHEN reading output %s THEN it is %j', (output, value) => {
    expect(t.Outputs[output]?.Value).toEqual(value);
  });

  it('WHEN counting data resources THEN there is one bucket pair, one file system and one DB instance', () => {
    expect(idsOfType(t, 'AWS::S3::Bucket').sort()).toEqual(['AccessLogBucket', 'DataLakeBucket']);
    expect(idsOfType(t, 'AWS::EFS::FileSystem')).toEqual(['SharedFileSystem']);
    expect(idsOfType(t, 'AWS::RDS::DBInstance')).toEqual(['DbInstance']);
  });
});
