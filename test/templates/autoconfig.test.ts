/**
 * autoconfig.yaml as data: the State Manager association that configures every worker the
 * Auto Scaling group launches, and (FreeIPA) the EventBridge rules that have the first IPA
 * server mint a launched worker's keytab and remove a terminated one's.
 */
import { describe, expect, it } from 'vitest';
import { loadTemplate, render, ofType } from './cfn-eval.js';
import { loadTemplate as loadRaw, itFollowsTheTaggingConvention } from './helpers.js';
import { renderExtraVariables } from '../../src/steps/kinds/playbook.js';

const tpl = loadTemplate('autoconfig.yaml');
const BUNDLE = `https://s3.eu-west-1.amazonaws.com/acme-dev-dpf-state/bundles/${'a'.repeat(64)}.zip`;
const GIVEN = {
  ProjectName: 'acme',
  EnvName: 'dev',
  DocumentName: 'dpf-acme-dev-ApplyAnsiblePlaybooks',
  BundleUrl: BUNDLE,
  WorkerExtraVariables: renderExtraVariables('t', { dpf_env: 'dev', dpf_role: 'worker', data_volume_device: '/dev/sdf', ipa_keytab_wait: 'true' }),
  EnrolExtraVariables: renderExtraVariables('t', { dpf_env: 'dev', dpf_role: 'identity' }),
  WorkerAutoScalingGroupName: 'acme-dev-workers',
  StateBucketName: 'acme-dev-dpf-state',
};
const freeipa = render(tpl, GIVEN);
const iam = render(tpl, { ...GIVEN, IdentityProvider: 'iam', EnrolExtraVariables: '' });

describe('GIVEN the worker association', () => {
  const a = freeipa.resources.WorkerAssociation!.Properties;

  it("WHEN read THEN it targets this environment's workers with dpf's document and worker-launch.yml from the bundle", () => {
    expect(a.Name).toBe('dpf-acme-dev-ApplyAnsiblePlaybooks');
    expect(a.AssociationName).toBe('acme-dev-worker-launch');
    expect(a.Targets).toEqual([
      { Key: 'tag:dpf:env', Values: ['dev'] },
      { Key: 'tag:dpf:role', Values: ['worker'] },
    ]);
    expect(a.Parameters).toEqual({
      SourceType: ['S3'],
      SourceInfo: [JSON.stringify({ path: BUNDLE })],
      PlaybookFile: ['worker-launch.yml'],
      ExtraVariables: ['data_volume_device=/dev/sdf dpf_env=dev dpf_role=worker ipa_keytab_wait=true'],
      Check: ['False'],
      Verbose: ['-v'],
      TimeoutSeconds: ['3600'],
    });
  });

  it('WHEN read THEN it has no schedule (it applies at creation and to every new matching instance) and writes its output to the state bucket', () => {
    expect(a.ScheduleExpression).toBeUndefined();
    expect(a.ApplyOnlyAtCronInterval).toBe(false);
    expect(a.OutputLocation).toEqual({
      S3Location: { OutputS3BucketName: 'acme-dev-dpf-state', OutputS3KeyPrefix: 'ssm-output/dev/association/worker-launch' },
    });
    expect([a.MaxConcurrency, a.MaxErrors]).toEqual(['50%', '1']);
  });

  it('WHEN the identity provider is iam THEN the association stays and no enrolment rule or role is made', () => {
    expect(Object.keys(iam.resources).sort()).toEqual(['WorkerAssociation']);
  });
});

describe('GIVEN the FreeIPA enrolment rules', () => {
  const rules = ofType(freeipa, 'AWS::Events::Rule');

  it.each([
    ['EnrolOnLaunchRule', 'EC2 Instance Launch Successful', 'ipa_enrol_instances=<instance>'],
    ['UnenrolOnTerminateRule', 'EC2 Instance Terminate Successful', 'ipa_unenrol_instances=<instance>'],
  ])("WHEN reading %s THEN the group's %s event sends freeipa-enrol.yml to the first IPA server with the instance id", (id, detailType, variable) => {
    const r = freeipa.resources[id]!.Properties;
    expect(r.EventPattern).toEqual({ source: ['aws.autoscaling'], 'detail-type': [detailType], detail: { AutoScalingGroupName: ['acme-dev-workers'] } });
    const [t] = r.Targets;
    expect(t.Arn).toBe('arn:aws:ssm:eu-west-1:111122223333:document/dpf-acme-dev-ApplyAnsiblePlaybooks');
    expect(t.RunCommandParameters.RunCommandTargets).toEqual([
      { Key: 'tag:dpf:env', Values: ['dev'] },
      { Key: 'tag:dpf:ipa-role', Values: ['server'] },
    ]);
    expect(t.InputTransformer.InputPathsMap).toEqual({ instance: '$.detail.EC2InstanceId' });
    // The template is JSON once the placeholder is filled in.
    const input = JSON.parse(t.InputTransformer.InputTemplate.replace('<instance>', 'i-0abc'));
    expect(input.PlaybookFile).toEqual(['freeipa-enrol.yml']);
    expect(input.ExtraVariables[0]).toBe(`dpf_env=dev dpf_role=identity ${variable.replace('<instance>', 'i-0abc')}`);
    expect(JSON.parse(input.SourceInfo[0])).toEqual({ path: BUNDLE });
    expect(rules).toHaveLength(2);
  });

  it("WHEN reading the role EventBridge uses THEN it may send only this document, only to this environment's first IPA server", () => {
    const role = freeipa.resources.EnrolRole!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'events.amazonaws.com' });
    const st = role.Policies[0].PolicyDocument.Statement;
    expect(st.map((s: any) => s.Action)).toEqual(['ssm:SendCommand', 'ssm:SendCommand']);
    expect(st[0].Resource).toBe('arn:aws:ssm:eu-west-1:111122223333:document/dpf-acme-dev-ApplyAnsiblePlaybooks');
    expect(st[1].Condition).toEqual({ StringEquals: { 'ssm:resourceTag/dpf:env': 'dev', 'ssm:resourceTag/dpf:ipa-role': 'server' } });
  });
});

describe('GIVEN the tagging convention', () => {
  itFollowsTheTaggingConvention(loadRaw('autoconfig'));
});
