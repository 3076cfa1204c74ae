import { describe, expect, it } from 'vitest';
import {
  itFollowsTheTaggingConvention,
  actionsOf,
  getAtt,
  idsOfType,
  launchedTags,
  loadTemplate,
  props,
  ref,
  requiredParameters,
  resource,
  resourceTags,
  resourcesOf,
  resourcesOfType,
  roleStatements,
  statementsGranting,
  sub,
  tagMap,
  usesKey,
  withDefaults,
} from './helpers.js';

const t = loadTemplate('compute');

const SSM_CORE = sub('arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore');
const CW_AGENT = sub('arn:${AWS::Partition}:iam::aws:policy/CloudWatchAgentServerPolicy');
const DATA_LAKE_BUCKET = sub('arn:${AWS::Partition}:s3:::${DataLakeBucketName}');
const DATA_LAKE_OBJECTS = sub('arn:${AWS::Partition}:s3:::${DataLakeBucketName}/*');

describe('GIVEN the compute template parameters', () => {
  it.each([
    ['ProjectName', 'dataplatform'],
    ['EnvName', 'dev'],
    ['BastionInstanceType', 't3.micro'],
    ['MasterInstanceType', 'm5.large'],
    ['MasterRootVolumeGb', 100],
    ['MasterDataVolumeGb', 500],
    ['DevInstanceType', 't3.medium'],
    ['DevRootVolumeGb', 50],
    ['WorkerInstanceType', 'm5.xlarge'],
    ['WorkerRootVolumeGb', 100],
    ['WorkerDataVolumeGb', 1000],
    ['WorkerMinSize', 2],
    ['WorkerMaxSize', 6],
    ['WorkerDesiredCapacity', 2],
    ['ScaleOutCpuPercent', 70],
    ['ScaleInCpuPercent', 30],
    ['ScaleOutEvaluationMinutes', 5],
  ])('WHEN reading parameter %s THEN it exists with the seed default %j', (name, expected) => {
    expect(t.Parameters[name], `parameter ${name}`).toBeDefined();
    expect(t.Parameters[name]!.Default).toEqual(expected);
  });

  it.each(['DataLakeBucketName', 'StateBucketName'])('WHEN reading parameter %s THEN it exists with a default', (name) => {
    expect(t.Parameters[name]?.Default).toBeTruthy();
  });

  it('WHEN reading ImageId THEN it is a pinned AMI id (dpf resolves the SSM public parameter once)', () => {
    expect(t.Parameters.ImageId!.Type).toBe('AWS::EC2::Image::Id');
    expect(t.Parameters.ImageId!.Default).toBeUndefined();
  });

  it('WHEN listing parameters without a default THEN they are exactly the network stack ids', () => {
    expect(requiredParameters(t)).toEqual(
      [
        'ComputeSecurityGroupId',
        'ImageId',
        'ManagementSecurityGroupId',
        'PrivateSubnet1Id',
        'PrivateSubnet2Id',
        'PrivateSubnet3Id',
        'PublicSubnet1Id',
        'VpcId',
      ].sort(),
    );
  });

  it('WHEN searching for Fn::GetAZs or Fn::Cidr THEN neither is used', () => {
    expect(usesKey(t, 'Fn::GetAZs')).toBe(false);
    expect(usesKey(t, 'Fn::Cidr')).toBe(false);
  });
});

describe('GIVEN the IAM roles', () => {
  it.each([
    ['MasterRole', '${ProjectName}-${EnvName}-DataEngineering-MasterRole', 'MasterInstanceProfile'],
    ['WorkerRole', '${ProjectName}-${EnvName}-DataEngineering-WorkerRole', 'WorkerInstanceProfile'],
    ['BastionRole', '${ProjectName}-${EnvName}-BastionRole', 'BastionInstanceProfile'],
  ])('WHEN reading %s THEN it is named %s, trusts EC2 only, has SSM + CloudWatch agent and an instance profile', (role, name, profile) => {
    const p = props(t, role);
    expect(p.RoleName).toEqual(sub(name));
    expect(p.AssumeRolePolicyDocument.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: sub('ec2.${AWS::URLSuffix}') }, Action: 'sts:AssumeRole' }]);
    expect(p.ManagedPolicyArns).toEqual(expect.arrayContaining([SSM_CORE, CW_AGENT, ref('NodeCommonPolicy')]));
    expect(props(t, profile).Roles).toEqual([ref(role)]);
  });

  it.each([['MasterRole'], ['WorkerRole'], ['BastionRole']])(
    'WHEN reading the dpf channel statements of %s THEN it reads bundles/ and writes ssm-output/ of the state bucket only',
    (role) => {
      const get = statementsGranting(t, role, 's3:GetObject').flatMap(resourcesOf);
      expect(get).toContainEqual(sub('arn:${AWS::Partition}:s3:::${StateBucketName}/bundles/*'));
      const put = statementsGranting(t, role, 's3:PutObject').flatMap(resourcesOf);
      expect(put).toContainEqual(sub('arn:${AWS::Partition}:s3:::${StateBucketName}/ssm-output/*'));
      for (const r of [...get, ...put]) {
        const text = JSON.stringify(r);
        if (text.includes('StateBucketName')) expect(text).toMatch(/\/(bundles|ssm-output)\/\*/);
      }
    },
  );

  it('WHEN reading the master statements THEN it has the seed statement on the data lake (Get/Put/Delete/List)', () => {
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      expect(statementsGranting(t, 'MasterRole', action).flatMap(resourcesOf)).toContainEqual(DATA_LAKE_OBJECTS);
    }
    expect(statementsGranting(t, 'MasterRole', 's3:ListBucket').flatMap(resourcesOf)).toContainEqual(DATA_LAKE_BUCKET);
  });

  it('WHEN reading the master statements THEN RDS access uses the real actions (rds:DescribeDBInstances, rds-db:connect)', () => {
    expect(statementsGranting(t, 'MasterRole', 'rds:DescribeDBInstances')).toHaveLength(1);
    const connect = statementsGranting(t, 'MasterRole', 'rds-db:connect');
    expect(connect).toHaveLength(1);
    expect(resourcesOf(connect[0])).toEqual([sub('arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:*/*')]);
    expect(JSON.stringify(t).includes('rds:Connect'), "the seed's rds:Connect is not an IAM action").toBe(false);
  });

  const HOST_KEYTABS = sub('arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${ProjectName}/${EnvName}/freeipa/host-keytab/*');

  it('WHEN reading the master statements THEN it reads only the RDS-managed secret of its own database, and host keytabs', () => {
    const secrets = statementsGranting(t, 'MasterRole', 'secretsmanager:GetSecretValue');
    expect(secrets).toHaveLength(2);
    const rds = secrets.find((x: any) => JSON.stringify(x).includes('rds!db-'));
    expect(resourcesOf(rds)).toEqual([sub('arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:rds!db-*')]);
    // RDS tags its managed secret with the instance it belongs to, not with the instance's tags.
    expect(rds.Condition).toEqual({
      StringLike: {
        'secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn': sub(
          'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:${ProjectName}-${EnvName}-metadata*',
        ),
      },
    });
    // Worker and bastion read nothing but the FreeIPA host keytabs (AL2023 enrolment).
    for (const role of ['WorkerRole', 'BastionRole'])
      expect(statementsGranting(t, role, 'secretsmanager:GetSecretValue').flatMap(resourcesOf)).toEqual([HOST_KEYTABS]);
  });

  it('WHEN reading the worker statements THEN it reads and writes the data lake', () => {
    for (const action of ['s3:GetObject', 's3:PutObject']) {
      expect(statementsGranting(t, 'WorkerRole', action).flatMap(resourcesOf)).toContainEqual(DATA_LAKE_OBJECTS);
    }
    expect(statementsGranting(t, 'WorkerRole', 's3:ListBucket').flatMap(resourcesOf)).toContainEqual(DATA_LAKE_BUCKET);
  });

  it.each([['WorkerRole'], ['MasterRole']])('WHEN reading %s THEN EFS mount/write is scoped to file systems tagged with its env', (role) => {
    const efs = statementsGranting(t, role, 'elasticfilesystem:ClientMount');
    expect(efs).toHaveLength(1);
    expect(actionsOf(efs[0])).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
    expect(efs[0].Condition.StringEquals['aws:ResourceTag/dpf:env']).toEqual(ref('EnvName'));
  });

  it('WHEN reading the worker statements THEN it writes CloudWatch Logs of the platform', () => {
    const logs = statementsGranting(t, 'WorkerRole', 'logs:PutLogEvents');
    expect(logs).toHaveLength(1);
    expect(actionsOf(logs[0])).toContain('logs:CreateLogStream');
  });

  it.each([['WorkerRole'], ['MasterRole']])('WHEN reading %s THEN it reads SSM parameters under /<project>/<env>/ only', (role) => {
    for (const action of ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath']) {
      const s = statementsGranting(t, role, action);
      expect(s, action).toHaveLength(1);
      expect(resourcesOf(s[0])).toContainEqual(sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${ProjectName}/${EnvName}/*'));
    }
  });

  it('WHEN reading the bastion role THEN it has no data access at all', () => {
    const statements = roleStatements(t, 'BastionRole').filter(
      (x: any) => !resourcesOf(x).some((r: unknown) => JSON.stringify(r) === JSON.stringify(HOST_KEYTABS)),
    );
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => /^(rds|rds-db|secretsmanager|elasticfilesystem|ssm):/.test(a))).toEqual([]);
    expect(JSON.stringify(roleStatements(t, 'BastionRole')).includes('DataLakeBucketName')).toBe(false);
  });

  it('WHEN scanning every Allow statement of every role THEN no action or resource is a bare "*"', () => {
    for (const role of idsOfType(t, 'AWS::IAM::Role')) {
      for (const s of roleStatements(t, role).filter((x) => x.Effect === 'Allow')) {
        expect(
          actionsOf(s).some((a) => a === '*' || a.endsWith(':*')),
          `${role} ${s.Sid}`,
        ).toBe(false);
        expect(resourcesOf(s), `${role} ${s.Sid}`).not.toContain('*');
      }
    }
  });
});

describe('GIVEN the launch templates', () => {
  it.each(idsOfType(t, 'AWS::EC2::LaunchTemplate'))('WHEN reading %s THEN IMDSv2 is required and every EBS volume is encrypted gp3', (lt) => {
    const data = props(t, lt).LaunchTemplateData;
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled' });
    expect(data.BlockDeviceMappings.length).toBeGreaterThan(0);
    for (const bdm of data.BlockDeviceMappings) {
      expect(bdm.Ebs, `${lt} ${bdm.DeviceName}`).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });
    }
    expect(data.ImageId).toEqual(ref('ImageId'));
    expect(data.Monitoring).toEqual({ Enabled: true });
  });

  it.each([
    ['BastionLaunchTemplate', 'BastionInstanceType', 'BastionInstanceProfile', 'bastion', [['/dev/xvda', 20]]],
    [
      'MasterLaunchTemplate',
      'MasterInstanceType',
      'MasterInstanceProfile',
      'master',
      [
        ['/dev/xvda', ref('MasterRootVolumeGb')],
        ['/dev/sdf', ref('MasterDataVolumeGb')],
      ],
    ],
    ['DevLaunchTemplate', 'DevInstanceType', 'WorkerInstanceProfile', 'dev', [['/dev/xvda', ref('DevRootVolumeGb')]]],
    [
      'WorkerLaunchTemplate',
      'WorkerInstanceType',
      'WorkerInstanceProfile',
      'worker',
      [
        ['/dev/xvda', ref('WorkerRootVolumeGb')],
        ['/dev/sdf', ref('WorkerDataVolumeGb')],
      ],
    ],
  ])('WHEN reading %s THEN it uses %s, %s, tags dpf:role=%s and has the seed volumes', (lt, type, profile, role, volumes) => {
    const data = props(t, lt).LaunchTemplateData;
    expect(data.InstanceType).toEqual(ref(type));
    expect(data.IamInstanceProfile).toEqual({ Arn: getAtt(profile, 'Arn') });
    expect(data.BlockDeviceMappings.map((b: any) => [b.DeviceName, b.Ebs.VolumeSize])).toEqual(volumes);
    for (const kind of ['instance', 'volume']) {
      expect(launchedTags(resource(t, lt), kind)).toMatchObject({
        'dpf:env': ref('EnvName'),
        'dpf:project': ref('ProjectName'),
        'dpf:role': role,
      });
    }
  });

  it('WHEN resolving the volume sizes with defaults THEN master is 100+500 GB, dev 50 GB, worker 100+1000 GB', () => {
    const sizes = (lt: string) => props(t, lt).LaunchTemplateData.BlockDeviceMappings.map((b: any) => withDefaults(t, b.Ebs.VolumeSize));
    expect(sizes('MasterLaunchTemplate')).toEqual([100, 500]);
    expect(sizes('DevLaunchTemplate')).toEqual([50]);
    expect(sizes('WorkerLaunchTemplate')).toEqual([100, 1000]);
  });

  it('WHEN reading the master data volume THEN it survives the instance (DeleteOnTermination false)', () => {
    const data = props(t, 'MasterLaunchTemplate').LaunchTemplateData.BlockDeviceMappings[1];
    expect(data.Ebs.DeleteOnTermination).toBe(false);
  });

  it('WHEN reading the worker launch template THEN it puts workers in the compute security group', () => {
    expect(props(t, 'WorkerLaunchTemplate').LaunchTemplateData.SecurityGroupIds).toEqual([ref('ComputeSecurityGroupId')]);
  });
});

describe('GIVEN the instances', () => {
  it.each([
    ['BastionInstance', 'BastionLaunchTemplate', 'bastion'],
    ['MasterInstance', 'MasterLaunchTemplate', 'master'],
    ['DevInstance', 'DevLaunchTemplate', 'dev'],
  ])('WHEN reading %s THEN it launches from %s (IMDSv2) and is tagged dpf:role=%s', (instance, lt, role) => {
    const p = props(t, instance);
    expect(p.LaunchTemplate).toEqual({ LaunchTemplateId: ref(lt), Version: getAtt(lt, 'LatestVersionNumber') });
    expect(props(t, lt).LaunchTemplateData.MetadataOptions.HttpTokens).toBe('required');
    expect(tagMap(p.Tags)).toMatchObject({ 'dpf:env': ref('EnvName'), 'dpf:project': ref('ProjectName'), 'dpf:role': role });
    expect(tagMap(p.Tags).Name).toEqual(sub(`\${ProjectName}-\${EnvName}-${role}`));
  });

  it('WHEN listing instances THEN there are exactly bastion, master and dev', () => {
    expect(idsOfType(t, 'AWS::EC2::Instance').sort()).toEqual(['BastionInstance', 'DevInstance', 'MasterInstance']);
  });

  it('WHEN reading the bastion THEN it is in public subnet 1 with the management group and a public IP', () => {
    expect(props(t, 'BastionInstance').NetworkInterfaces).toEqual([
      {
        DeviceIndex: '0',
        SubnetId: ref('PublicSubnet1Id'),
        GroupSet: [ref('ManagementSecurityGroupId')],
        AssociatePublicIpAddress: true,
        DeleteOnTermination: true,
      },
    ]);
  });

  it.each([
    ['MasterInstance', 'PrivateSubnet1Id'],
    ['DevInstance', 'PrivateSubnet2Id'],
  ])('WHEN reading %s THEN it is in %s with the compute group and no public IP', (instance, subnet) => {
    const p = props(t, instance);
    expect(p.SubnetId).toEqual(ref(subnet));
    expect(p.SecurityGroupIds).toEqual([ref('ComputeSecurityGroupId')]);
    expect(p.NetworkInterfaces).toBeUndefined();
    expect(JSON.stringify(p)).not.toContain('AssociatePublicIpAddress');
  });
});

describe('GIVEN the worker Auto Scaling group', () => {
  const asg = () => props(t, 'WorkerAutoScalingGroup');

  it('WHEN reading its size THEN min/max/desired come from the parameters (2/6/2)', () => {
    expect(asg()).toMatchObject({
      MinSize: ref('WorkerMinSize'),
      MaxSize: ref('WorkerMaxSize'),
      DesiredCapacity: ref('WorkerDesiredCapacity'),
    });
    expect([asg().MinSize, asg().MaxSize, asg().DesiredCapacity].map((v) => withDefaults(t, v))).toEqual([2, 6, 2]);
  });

  it('WHEN reading its placement THEN it spans the three private subnets with the worker launch template', () => {
    expect(asg().VPCZoneIdentifier).toEqual([ref('PrivateSubnet1Id'), ref('PrivateSubnet2Id'), ref('PrivateSubnet3Id')]);
    expect(asg().LaunchTemplate).toEqual({
      LaunchTemplateId: ref('WorkerLaunchTemplate'),
      Version: getAtt('WorkerLaunchTemplate', 'LatestVersionNumber'),
    });
  });

  it('WHEN reading its health check THEN it is EC2 with a 300 s grace period', () => {
    expect(asg()).toMatchObject({ HealthCheckType: 'EC2', HealthCheckGracePeriod: 300 });
  });

  it('WHEN reading its tags THEN dpf:env, dpf:project and dpf:role=worker propagate at launch', () => {
    const tags = asg().Tags as Array<{ Key: string; Value: unknown; PropagateAtLaunch: boolean }>;
    expect(tags.every((tag) => tag.PropagateAtLaunch === true)).toBe(true);
    expect(tagMap(tags)).toMatchObject({ 'dpf:env': ref('EnvName'), 'dpf:project': ref('ProjectName'), 'dpf:role': 'worker' });
  });

  it('WHEN reading the scale-out alarm THEN CPU above 70 % for 5 minutes adds one worker', () => {
    const alarm = props(t, 'WorkerCpuHighAlarm');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: ref('WorkerAutoScalingGroup') }],
      Statistic: 'Average',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: ref('ScaleOutCpuPercent'),
      AlarmActions: [ref('WorkerScaleOutPolicy')],
    });
    expect(withDefaults(t, alarm.Threshold)).toBe(70);
    const minutes = (alarm.Period * Number(withDefaults(t, alarm.EvaluationPeriods))) / 60;
    expect(minutes).toBe(5);
    expect(withDefaults(t, alarm.DatapointsToAlarm)).toBe(withDefaults(t, alarm.EvaluationPeriods));
    const policy = props(t, 'WorkerScaleOutPolicy');
    expect(policy).toMatchObject({ AutoScalingGroupName: ref('WorkerAutoScalingGroup'), PolicyType: 'StepScaling' });
    expect(policy.StepAdjustments).toEqual([{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }]);
  });

  it('WHEN reading the scale-in alarm THEN CPU below 30 % removes one worker', () => {
    const alarm = props(t, 'WorkerCpuLowAlarm');
    expect(alarm).toMatchObject({
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: ref('WorkerAutoScalingGroup') }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: ref('ScaleInCpuPercent'),
      AlarmActions: [ref('WorkerScaleInPolicy')],
    });
    expect(withDefaults(t, alarm.Threshold)).toBe(30);
    expect(props(t, 'WorkerScaleInPolicy').StepAdjustments).toEqual([{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }]);
  });
});

describe('GIVEN the tagging convention', () => {
  itFollowsTheTaggingConvention(t);

  it.each(resourcesOfType(t, 'AWS::EC2::Instance').map(([id]) => id))('WHEN reading %s THEN it also carries dpf:role', (id) => {
    expect(resourceTags(resource(t, id))['dpf:role']).toMatch(/^(bastion|master|dev|worker)$/);
  });
});

describe('GIVEN the compute outputs', () => {
  it.each([
    ['BastionInstanceId', ref('BastionInstance')],
    ['MasterInstanceId', ref('MasterInstance')],
    ['DevInstanceId', ref('DevInstance')],
    ['WorkerAutoScalingGroupName', ref('WorkerAutoScalingGroup')],
    ['WorkerLaunchTemplateId', ref('WorkerLaunchTemplate')],
    ['MasterRoleName', ref('MasterRole')],
    ['WorkerRoleName', ref('WorkerRole')],
    ['MasterRoleArn', getAtt('MasterRole', 'Arn')],
    ['WorkerRoleArn', getAtt('WorkerRole', 'Arn')],
    ['MasterInstanceProfileName', ref('MasterInstanceProfile')],
    ['WorkerInstanceProfileName', ref('WorkerInstanceProfile')],
    ['ScaleOutPolicyArn', ref('WorkerScaleOutPolicy')],
    ['AnsibleDocumentName', ref('AnsibleDocument')],
  ])('WHEN reading output %s THEN it is %j', (output, value) => {
    expect(t.Outputs[output]?.Value).toEqual(value);
  });
});
