/**
 * Test helper: load a bundled CloudFormation template and render it (src/templates/render.ts)
 * for a given set of parameter values with fixed pseudo parameters, so tests can assert on the
 * values AWS would see.
 */
import { readFileSync } from 'node:fs';
import { parseCfnTemplate } from '../../src/templates/cfn-yaml.js';
import { render as renderWith, type Rendered, type Template } from '../../src/templates/render.js';

export { parameterValues, ofType, asList, type Rendered, type Template } from '../../src/templates/render.js';

export const PSEUDO = {
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '111122223333',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'dpf-test-stack',
} as const;

export function loadTemplate(name: string): Template {
  const url = new URL(`../../templates/cloudformation/${name}`, import.meta.url);
  return parseCfnTemplate(readFileSync(url, 'utf8'));
}

export function render(tpl: Template, given: Record<string, string | number>): Rendered {
  return renderWith(tpl, given, PSEUDO);
}

/** Statements of an inline policy (by name) or of the only inline policy. */
export function inlineStatements(resource: { Properties: Record<string, any> }, policyName?: string): any[] {
  const policies: any[] = resource.Properties.Policies ?? [];
  const chosen = policyName ? policies.filter((p) => p.PolicyName === policyName) : policies;
  return chosen.flatMap((p) => p.PolicyDocument.Statement);
}

export function statementBySid(statements: any[], sid: string): any {
  const found = statements.filter((s) => s.Sid === sid);
  if (found.length !== 1) throw new Error(`expected one statement ${sid}, found ${found.length}`);
  return found[0];
}

/** Tag list of a resource as a map, whatever the property is called. */
export function tagsOf(resource: { Type: string; Properties: Record<string, any> }): Record<string, string> {
  const p = resource.Properties;
  const list: any[] = p.Tags ?? p.HostedZoneTags ?? (p.TagSpecifications ?? []).flatMap((s: any) => s.Tags ?? []);
  return Object.fromEntries(list.map((t) => [t.Key, t.Value]));
}
