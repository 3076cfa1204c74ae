/** --promote: the platform switched to a validated copy (an SSM parameter the nodes read), after a confirmation. */
import type { OpsPorts } from '../../aws/ops-ports.js';
import type { StepContext, StepDef, StepResult } from '../../steps/types.js';
import { NotConfirmedError } from '../../errors.js';
import { opStep, optionalOutput, stepError } from '../operation.js';
import { RESTORE_STEPS } from './keys.js';

/** Point an SSM parameter the nodes read at the copy, after a confirmation; the old value is kept as evidence. */
export async function promoteParameter(ctx: StepContext, ops: OpsPorts, name: string, value: string, what: string): Promise<StepResult> {
  if (!value) throw stepError('PromoteNoValue', `Nothing to promote: ${what} has no value for ${name}.`);
  const previous = await ops.ssm.getParameter(name);
  if (previous === value)
    return {
      changed: false,
      summary: `${name} already points at ${value}`,
      outputs: { Parameter: name, Value: value, Previous: previous ?? '' },
      evidence: { parameter: name, previous, value },
    };
  const q = `Switch environment ${ctx.envCtx.name} to ${what}: set ${name} from ${previous ?? '(unset)'} to ${value}? Nodes pick it up at their next configuration run.`;
  if (!(await ctx.io.confirm({ stepId: ctx.stepId, question: q, defaultAnswer: true }))) throw new NotConfirmedError(q, 'declined');
  await ops.ssm.putParameter(name, value, true);
  ctx.io.notify({
    type: 'info',
    stepId: ctx.stepId,
    message: `${name} = ${value} (was ${previous ?? 'unset'}). To switch back: aws ssm put-parameter --name ${name} --value ${previous ?? '<old value>'} --overwrite`,
  });
  return {
    changed: true,
    summary: `${name} → ${value}`,
    outputs: { Parameter: name, Value: value, Previous: previous ?? '' },
    evidence: { parameter: name, previous, value, switchedAt: ctx.clock.now().toISOString() },
  };
}

/** /<project>/<env>/rds/endpoint := the restored database. */
export function dbPromoteStep(): StepDef {
  return opStep({
    id: RESTORE_STEPS.dbPromote,
    title: 'Switch the platform to the restored database',
    kind: 'gate',
    dependsOn: [RESTORE_STEPS.dbValidate],
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const target = ctx.output(RESTORE_STEPS.db, 'DbInstanceIdentifier');
      const endpoint = ctx.output(RESTORE_STEPS.db, 'Endpoint');
      const name = `/${ctx.envCtx.project}/${ctx.envCtx.name}/rds/endpoint`;
      return promoteParameter(ctx, ops, name, endpoint, `the database ${target}`);
    },
  });
}

/** /<project>/<env>/efs/file-system-id := the restored file system (only with mount targets). */
export function fsPromoteStep(): StepDef {
  return opStep({
    id: RESTORE_STEPS.fsPromote,
    title: 'Switch the platform to the restored file system',
    kind: 'gate',
    dependsOn: [RESTORE_STEPS.fsValidate],
    async run(ctx) {
      const ops = await ctx.aws.ops();
      const fsId = ctx.output(RESTORE_STEPS.fs, 'FileSystemId');
      if (ctx.output(RESTORE_STEPS.fsValidate, 'MountTargets') !== 'yes') {
        const subnets = ['PrivateSubnet1Id', 'PrivateSubnet2Id', 'PrivateSubnet3Id'].map((k) => optionalOutput(ctx.ledger, 'network.stack', k)).filter(Boolean);
        const sg = optionalOutput(ctx.ledger, 'network.stack', 'EfsSecurityGroupId') ?? '<efs security group>';
        throw stepError('PromoteNoMountTargets', `${fsId} has no mount targets: the nodes could not mount it, so dpf will not switch to it.`, {
          hint: `Create one per private subnet, then rerun with --promote:\n${subnets.map((s) => `  aws efs create-mount-target --file-system-id ${fsId} --subnet-id ${s} --security-groups ${sg}`).join('\n')}`,
        });
      }
      return promoteParameter(ctx, ops, `/${ctx.envCtx.project}/${ctx.envCtx.name}/efs/file-system-id`, fsId, `the file system ${fsId}`);
    },
  });
}
