/**
 * Resources carry the specification's tags next to dpf's own: Environment and Purpose on
 * everything (the stack tags, which CloudFormation propagates to what it creates), Name on the
 * network and the nodes, Role on the nodes. The specification's Ansible inventory selects hosts
 * by tag:Purpose and groups them by Role and Environment. CloudFormation does not propagate stack
 * tags to what a launch template or an Auto Scaling group launches, so those carry them
 * explicitly.
 */
import type { Finding, Rule } from '../types.js';
import { asList, ofType } from '../../templates/render.js';
import { SEED_PURPOSE } from '../../steps/kinds/stack.js';

const tagMap = (list: unknown): Record<string, string> => Object.fromEntries(asList<any>(list).map((t) => [t.Key, String(t.Value)]));

export const seedTags: Rule = {
  id: 'seed-tags',
  title: "Resources carry the specification's tags (Name, Environment, Purpose, Role)",
  rule: 'Every stack carries Environment and Purpose; the VPC, subnets and nodes carry Name; nodes carry Role; what launch templates and the worker group launch carries all four themselves.',
  protectsAgainst:
    "the specification's inventory (filters tag:Purpose, groups by Role and Environment) finding no host, and untagged volumes in cost and backup reports",
  docs: [
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-tags.html',
    'https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html',
    'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html',
  ],
  check({ env }) {
    const findings: Finding[] = [];
    const need = (subject: string, tags: Record<string, string>, keys: string[], where: string) => {
      const missing = keys.filter((k) => !tags[k]);
      if (missing.length) findings.push({ severity: 'error', subject, message: `${where} lacks ${missing.join(', ')}` });
      if (tags.Environment && tags.Environment !== env.envName)
        findings.push({ severity: 'error', subject, message: `${where} has Environment=${tags.Environment}, not ${env.envName}` });
      if (tags.Purpose && tags.Purpose !== SEED_PURPOSE)
        findings.push({ severity: 'error', subject, message: `${where} has Purpose=${tags.Purpose}, not ${SEED_PURPOSE}` });
      if (tags.Role && tags['dpf:role'] && tags.Role !== tags['dpf:role'])
        findings.push({ severity: 'error', subject, message: `${where} has Role=${tags.Role} but dpf:role=${tags['dpf:role']}` });
    };
    for (const s of env.stacks) {
      need(`${s.template} (stack)`, s.tags, ['Environment', 'Purpose'], 'the stack tags');
      for (const [id, r] of [...ofType(s.rendered, 'AWS::EC2::VPC'), ...ofType(s.rendered, 'AWS::EC2::Subnet')])
        need(`${s.template}/${id}`, tagMap(r.Properties.Tags), ['Name'], id);
      for (const [id, r] of ofType(s.rendered, 'AWS::EC2::Instance')) need(`${s.template}/${id}`, tagMap(r.Properties.Tags), ['Name', 'Role'], id);
      for (const [id, r] of ofType(s.rendered, 'AWS::EC2::LaunchTemplate'))
        for (const kind of ['instance', 'volume']) {
          const spec = asList<any>(r.Properties.LaunchTemplateData?.TagSpecifications).find((t) => t.ResourceType === kind);
          // Instances started by an AWS::EC2::Instance resource get that resource's tags (checked above);
          // volumes get only the launch template's.
          if (kind === 'instance' && !spec) continue;
          need(`${s.template}/${id}`, tagMap(spec?.Tags), ['Name', 'Environment', 'Purpose', 'Role'], `the ${kind} tags it launches with`);
        }
      for (const [id, r] of ofType(s.rendered, 'AWS::AutoScaling::AutoScalingGroup')) {
        const propagated = Object.fromEntries(
          asList<any>(r.Properties.Tags)
            .filter((t) => String(t.PropagateAtLaunch) === 'true')
            .map((t) => [t.Key, String(t.Value)]),
        );
        need(`${s.template}/${id}`, propagated, ['Name', 'Environment', 'Purpose', 'Role'], 'the tags it propagates to its instances');
      }
    }
    return findings;
  },
};
