import { describe, expect, it } from 'vitest';
import { seedTags } from '../../../src/validate/rules/seed-tags.js';
import { SEED_STACK_TAGS, input, stack } from '../helpers.js';

const ALL =
  "[{ Key: Name, Value: n }, { Key: Environment, Value: dev }, { Key: Purpose, Value: DataPlatformFoundation }, { Key: Role, Value: worker }, { Key: 'dpf:role', Value: worker }]";
const compute = (volumeTags: string, asgTags: string) =>
  `
Resources:
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties: { LaunchTemplateData: { TagSpecifications: [{ ResourceType: instance, Tags: ${ALL} }, { ResourceType: volume, Tags: ${volumeTags} }] } }
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: { MinSize: '1', MaxSize: '2', Tags: ${asgTags} }
`;
const propagated = (tags: string) => tags.replace(/\}/g, ', PropagateAtLaunch: true }');

describe('rule seed-tags', () => {
  it.each([
    [
      'stack tags without Environment and Purpose',
      stack('compute', compute(ALL, propagated(ALL)), { tags: { 'dpf:env': 'dev' } }),
      /stack tags lacks Environment, Purpose/,
    ],
    [
      'volumes launched without Role and Purpose (stack tags do not reach them)',
      stack('compute', compute('[{ Key: Name, Value: n }, { Key: Environment, Value: dev }]', propagated(ALL))),
      /volume tags it launches with lacks Purpose, Role/,
    ],
    [
      'a worker group that does not propagate Role',
      stack('compute', compute(ALL, '[{ Key: Role, Value: worker, PropagateAtLaunch: false }]')),
      /propagates to its instances lacks Name, Environment, Purpose, Role/,
    ],
    [
      'a Role tag that disagrees with dpf:role',
      stack('compute', compute(ALL.replace("Value: worker }, { Key: 'dpf:role'", "Value: master }, { Key: 'dpf:role'"), propagated(ALL))),
      /Role=master but dpf:role=worker/,
    ],
  ])('GIVEN %s WHEN checked THEN it fails', (_what, s, message) => {
    expect(
      seedTags
        .check(input([s]))
        .map((f) => f.message)
        .join('\n'),
    ).toMatch(message);
  });

  it('GIVEN every tag in place WHEN checked THEN it passes', () => {
    expect(seedTags.check(input([stack('compute', compute(ALL, propagated(ALL)), { tags: SEED_STACK_TAGS })]))).toEqual([]);
  });
});
