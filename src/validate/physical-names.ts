/**
 * The custom physical names dpf's templates set, found by the naming table of spec/aws-names.ts.
 * Shared by the unique-names, name-limits and retain-except-on-create rules.
 */
import type { RenderedResource } from '../templates/render.js';
import type { RenderedStack } from './types.js';
import { holdsPlaceholder } from './offline.js';
import { NAME_SPECS, nameRuleProblem, type NameSpec } from '../spec/aws-names.js';

export interface NamedResource {
  stack: RenderedStack;
  logicalId: string;
  resource: RenderedResource;
  type: string;
  name: string;
  spec: NameSpec;
}

function at(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const k of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

/** Every resource of the stacks that sets a custom physical name dpf knows the limits of. */
export function namedResources(stacks: RenderedStack[]): NamedResource[] {
  const out: NamedResource[] = [];
  for (const stack of stacks)
    for (const [logicalId, resource] of Object.entries(stack.rendered.resources)) {
      const spec = NAME_SPECS[resource.Type];
      if (!spec) continue;
      const name = at(resource.Properties, spec.path);
      if (typeof name === 'string') out.push({ stack, logicalId, resource, type: resource.Type, name, spec });
    }
  return out;
}

/** Where a named resource's name must be unique (type, scope, parent). */
export function uniquenessKey(n: NamedResource): string {
  const scope = n.spec.scope === 'region' ? n.stack.region : n.spec.scope;
  const parent = n.spec.parent ? `${JSON.stringify(at(n.resource.Properties, n.spec.parent))}@${n.stack.stackName}` : '';
  // IAM roles, groups, profiles and policies each have their own namespace; so does every other type.
  return `${n.type}|${scope}|${parent}|${n.spec.caseInsensitive ? n.name.toLowerCase() : n.name}`;
}

/** What is wrong with a name against AWS's limits, or undefined. */
export function nameProblem(n: Pick<NamedResource, 'name' | 'spec'>): string | undefined {
  const { name, spec } = n;
  return holdsPlaceholder(name) ? undefined : nameRuleProblem(name, spec);
}
