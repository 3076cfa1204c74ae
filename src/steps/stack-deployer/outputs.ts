/** A settled stack's outputs, completed where DescribeStacks lacks some. */
import type { StackDescription } from '../../aws/cloudformation.js';
import type { DeployStackDeps, DeployStackRequest } from './types.js';

/**
 * Outputs as DescribeStacks gives them; where the template declares an output that is
 * missing (moto drops every output of a stack made through a change set), an output whose
 * value is a plain Ref is read from the stack's resources or parameters instead.
 */
export async function completeOutputs(
  req: DeployStackRequest,
  deps: DeployStackDeps,
  stack: StackDescription,
): Promise<{ outputs: Record<string, string>; resolved: string[] }> {
  const outputs = { ...stack.outputs };
  const missing = Object.keys(req.templateOutputs).filter((k) => !(k in outputs));
  if (missing.length === 0) return { outputs, resolved: [] };
  const resources = await deps.cfn.listStackResources(req.stackName).catch(() => []);
  const byLogical = new Map(resources.map((r) => [r.logicalId, r]));
  const resolved: string[] = [];
  for (const key of missing) {
    const value = req.templateOutputs[key]!.Value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | string;
    let v: string | undefined;
    if (typeof value === 'string') v = value;
    else if (value && typeof value === 'object' && typeof value.Ref === 'string') v = byLogical.get(value.Ref)?.physicalId ?? req.parameters[value.Ref];
    else if (value && typeof value === 'object' && Array.isArray(value['Fn::GetAtt'])) {
      const [logical, attr] = value['Fn::GetAtt'];
      const r = byLogical.get(logical);
      if (r?.physicalId) v = arnFromPhysicalId(r.resourceType, attr, r.physicalId, stack.stackId);
    }
    if (v !== undefined) {
      outputs[key] = v;
      resolved.push(key);
    }
  }
  if (resolved.length)
    deps.io.notify({
      type: 'warning',
      stepId: req.stepId,
      message: `DescribeStacks returned no value for ${resolved.length} output(s) of ${req.stackName}; read them from the stack's resources instead (${resolved.join(', ')}).`,
    });
  // A conditional output may legitimately be absent (its condition is false): only warn about the others.
  const unresolved = missing.filter((k) => !resolved.includes(k) && !req.templateOutputs[k]!.Condition);
  if (unresolved.length)
    deps.io.notify({
      type: 'warning',
      stepId: req.stepId,
      message: `Output(s) ${unresolved.join(', ')} of ${req.stackName} are missing from DescribeStacks and cannot be read from its resources; steps that need them will say so.`,
    });
  return { outputs, resolved };
}

/** The ARN of a resource whose ARN is a pure function of its physical id (region and account from the stack id). */
export function arnFromPhysicalId(type: string, attr: string, physicalId: string, stackId: string): string | undefined {
  if (attr !== 'Arn') return undefined;
  const [, partition = 'aws', , region = '', account = ''] = stackId.split(':');
  switch (type) {
    case 'AWS::IAM::Role':
      return `arn:${partition}:iam::${account}:role/${physicalId}`;
    case 'AWS::IAM::InstanceProfile':
      return `arn:${partition}:iam::${account}:instance-profile/${physicalId}`;
    case 'AWS::S3::Bucket':
      return `arn:${partition}:s3:::${physicalId}`;
    case 'AWS::KMS::Key':
      return physicalId.startsWith('arn:') ? physicalId : `arn:${partition}:kms:${region}:${account}:key/${physicalId}`;
    case 'AWS::SNS::Topic':
      return physicalId.startsWith('arn:') ? physicalId : undefined;
    default:
      return undefined;
  }
}
