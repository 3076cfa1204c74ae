/**
 * Every EventBridge rule's events can arrive, and its targets accept them. Events of the form
 * "AWS API Call via CloudTrail" exist only while a CloudTrail trail records the region's
 * management (write) events; without one the security-group alert never fires. An SNS target
 * must let events.amazonaws.com publish (its topic policy), or EventBridge's delivery fails.
 */
import type { Finding, Rule, RenderedStack } from '../types.js';
import { asList, ofType, referencedResource } from '../../templates/render.js';

/** Trails the environment's stacks create that log this region's management write events. */
export function managementTrails(stacks: RenderedStack[], region: string): string[] {
  const out: string[] = [];
  for (const s of stacks)
    for (const [id, t] of ofType(s.rendered, 'AWS::CloudTrail::Trail')) {
      const p = t.Properties;
      if (String(p.IsLogging) !== 'true') continue;
      if (String(p.IsMultiRegionTrail) !== 'true' && s.region !== region) continue;
      const selectors = asList<any>(p.EventSelectors);
      const advanced = asList<any>(p.AdvancedEventSelectors);
      const management =
        selectors.length || advanced.length
          ? selectors.some((e) => String(e.IncludeManagementEvents ?? 'true') === 'true' && e.ReadWriteType !== 'ReadOnly') ||
            advanced.some((a) => asList<any>(a.FieldSelectors).some((f) => f.Field === 'eventCategory' && asList(f.Equals).includes('Management')))
          : true;
      if (management) out.push(`${s.template}/${id}`);
    }
  return out;
}

/** Service principals a topic policy lets publish. */
function topicPublishers(stack: RenderedStack, topicId: string): string[] | undefined {
  const policies = ofType(stack.rendered, 'AWS::SNS::TopicPolicy').filter(([, p]) =>
    asList(p.Properties.Topics).some((t) => referencedResource(t) === topicId),
  );
  if (!policies.length) return undefined;
  return policies.flatMap(([, p]) =>
    asList<any>(p.Properties.PolicyDocument?.Statement)
      .filter((st) => st.Effect === 'Allow' && asList(st.Action).some((a) => /^sns:(Publish|\*)$/i.test(String(a))))
      .flatMap((st) => asList<string>(st.Principal?.Service)),
  );
}

export const eventSources: Rule = {
  id: 'event-sources',
  title: 'EventBridge rules get their events and can deliver them',
  rule: 'Every EventBridge rule on "AWS API Call via CloudTrail" events has a trail logging management write events in its region (one dpf deploys, or monitoring.cloudTrail: existing, which dpf doctor verifies), and every SNS target lets events.amazonaws.com publish.',
  protectsAgainst:
    'a security-group-change alert that can never fire because no trail records the API calls, and notifications dropped because the topic policy refuses EventBridge',
  docs: [
    'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html',
    'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions',
  ],
  check({ env }) {
    const findings: Finding[] = [];
    const trails = managementTrails(env.stacks, env.region);
    const existing = env.config.monitoring.cloudTrail === 'existing';
    for (const s of env.stacks)
      for (const [id, rule] of ofType(s.rendered, 'AWS::Events::Rule')) {
        const subject = `${s.template}/${id}`;
        const pattern = rule.Properties.EventPattern ?? {};
        if (asList(pattern['detail-type']).includes('AWS API Call via CloudTrail')) {
          if (existing)
            findings.push({
              severity: 'warning',
              subject,
              message:
                'relies on an existing CloudTrail trail (monitoring.cloudTrail: existing); dpf doctor checks that one logs management events in this region',
            });
          else if (!trails.length)
            findings.push({
              severity: 'error',
              subject,
              message:
                'matches "AWS API Call via CloudTrail" events, but no stack of this environment creates a trail logging management write events: the rule never fires',
            });
        }
        for (const target of asList<any>(rule.Properties.Targets)) {
          const topicId = referencedResource(target.Arn);
          if (!topicId || s.rendered.resources[topicId]?.Type !== 'AWS::SNS::Topic') continue;
          const publishers = topicPublishers(s, topicId);
          if (publishers && !publishers.includes('events.amazonaws.com'))
            findings.push({
              severity: 'error',
              subject,
              message: `target topic ${topicId} has a policy that does not let events.amazonaws.com publish: deliveries fail`,
            });
        }
      }
    return findings;
  },
};
