/**
 * Follow a rendered value to the resource it names, across the stacks of an environment: a
 * "{{Ref:X}}"/"{{X.Attr}}" of the same stack, or a parameter dpf filled from another step's output
 * ("@output/compute.stack/MasterInstanceId" → that stack's output → its resource).
 */
import { referencedResource, type RenderedResource } from '../templates/render.js';
import { parseOutputPlaceholder } from './offline.js';
import type { RenderedStack } from './types.js';

/** An IAM/ARN-style pattern (`*` any run, `?` one character) as a RegExp over the whole string. */
export function wildcard(pattern: string, flags = ''): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    flags,
  );
}

export interface Located {
  stack: RenderedStack;
  logicalId: string;
  resource: RenderedResource;
}

export function locate(stacks: RenderedStack[], from: RenderedStack, value: unknown, depth = 0): Located | undefined {
  if (depth > 4) return undefined;
  const id = referencedResource(value);
  if (id && from.rendered.resources[id]) return { stack: from, logicalId: id, resource: from.rendered.resources[id]! };
  const out = parseOutputPlaceholder(value);
  if (out) {
    const stack = stacks.find((s) => s.stepId === out[0]);
    if (!stack) return undefined;
    return locate(stacks, stack, stack.rendered.outputs[out[1]], depth + 1);
  }
  return undefined;
}

/** The launch template data an instance or Auto Scaling group launches from (same stack), if any. */
export function launchTemplateData(at: Located): Record<string, any> | undefined {
  const lt = at.resource.Properties.LaunchTemplate?.LaunchTemplateId ?? at.resource.Properties.LaunchTemplate?.LaunchTemplateName;
  const id = referencedResource(lt);
  const res = id ? at.stack.rendered.resources[id] : undefined;
  return res?.Type === 'AWS::EC2::LaunchTemplate' ? res.Properties.LaunchTemplateData : undefined;
}
