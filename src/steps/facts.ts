/**
 * Read-only lookups that steps need beyond the ledger's outputs: values an emulator (or an
 * older stack) did not return as outputs, and facts that live only in the running platform
 * (instance IPs). Each says clearly what is missing and what to do.
 */
import type { StepContext } from './types.js';
import { StepFailedError } from '../errors.js';

/** Secrets Manager accepts a secret's name wherever it accepts its ARN; names carry no ':' (SSM ExtraVariables forbid it). */
export function secretNameFromArn(arnOrName: string): string {
  const m = /^arn:aws[a-z-]*:secretsmanager:[^:]*:\d*:secret:(.+)$/.exec(arnOrName);
  if (!m) return arnOrName;
  // ARNs end in a random 6-character suffix: "-AbC123".
  return m[1]!.replace(/-[A-Za-z0-9]{6}$/, '');
}

export function optionalOutput(ctx: StepContext, stepId: string, key: string): string | undefined {
  return ctx.ledger.outputs(stepId)[key];
}

export async function instancePrivateIp(ctx: StepContext, instanceId: string): Promise<string> {
  const [i] = await (await ctx.aws.ops()).ec2.describeInstances({ 'instance-id': [instanceId] });
  if (!i?.privateIp)
    throw new StepFailedError(ctx.stepId, `Instance ${instanceId} has no private IP (is it running?).`, { hint: 'Check the compute stack: dpf status' });
  return i.privateIp;
}

/** The RDS endpoint: the storage stack's output, or DescribeDBInstances when the output is missing. */
export async function rdsEndpoint(ctx: StepContext): Promise<string> {
  const out = optionalOutput(ctx, 'storage.stack', 'DbEndpointAddress');
  if (out) return out;
  const id = ctx.output('storage.stack', 'DbInstanceIdentifier');
  const db = await (await ctx.aws.ops()).rds.describeInstance(id);
  if (!db?.endpoint) throw new StepFailedError(ctx.stepId, `RDS instance ${id} has no endpoint yet (status ${db?.status ?? 'not found'}).`);
  return db.endpoint;
}

/** The RDS-managed secret's name, from the storage stack (output or the SSM parameter the stack writes). */
export async function rdsSecretName(ctx: StepContext): Promise<string> {
  const out = optionalOutput(ctx, 'storage.stack', 'DbSecretArn');
  if (out) return secretNameFromArn(out);
  const p = await (await ctx.aws.ops()).ssm.getParameter(`/${ctx.envCtx.project}/${ctx.envCtx.name}/rds/secret-arn`);
  if (!p) throw new StepFailedError(ctx.stepId, 'The storage stack published no RDS secret ARN (output DbSecretArn or SSM parameter …/rds/secret-arn).');
  return secretNameFromArn(p);
}

/** The backup vault's name: the stack's output, else the name the template gives it. */
export function backupVaultName(ctx: StepContext): string {
  return optionalOutput(ctx, 'storage.stack', 'BackupVaultName') ?? `${ctx.envCtx.project}-${ctx.envCtx.name}-vault`;
}

/**
 * The DR vault's ARN: the dr-vault stack's output, else the ARN its fixed name gives (an emulator
 * that skips AWS::Backup::BackupVault returns no output; on AWS the output is there).
 */
export function drVaultArn(ctx: StepContext, drRegion: string): string {
  const out = optionalOutput(ctx, 'storage.dr-vault', 'VaultArn');
  if (out) return out;
  // (No SDK import here: `dpf status --offline` loads the phases and must not load the AWS SDK.)
  const p = drRegion.startsWith('cn-') ? 'aws-cn' : drRegion.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${p}:backup:${drRegion}:${ctx.envCtx.accountId}:backup-vault:${ctx.envCtx.project}-${ctx.envCtx.name}-dr-vault`;
}

/** Public images of RHEL-family distributions, in order of preference, for `identity.imageId: resolve:rocky-9`. */
export const IPA_IMAGES: Array<{ owner: string; name: string; label: string }> = [
  { owner: '792107900819', name: 'Rocky-9-EC2-Base-9.*x86_64', label: 'Rocky Linux 9' },
  { owner: '764336703387', name: 'AlmaLinux OS 9.*x86_64', label: 'AlmaLinux 9' },
  { owner: '309956199498', name: 'RHEL-9.*_HVM-*-x86_64-*', label: 'RHEL 9' },
];

export async function ipaImageId(ctx: StepContext): Promise<string> {
  const configured = ctx.envCtx.env.identity.imageId;
  if (configured.startsWith('ami-')) return configured;
  const ec2 = (await ctx.aws.ops()).ec2;
  for (const c of IPA_IMAGES) {
    const [newest] = await ec2.findImages([c.owner], c.name);
    if (newest) {
      ctx.progress(`FreeIPA servers: ${c.label} image ${newest.imageId} (${newest.name})`);
      return newest.imageId;
    }
  }
  throw new StepFailedError(ctx.stepId, `No Rocky, Alma or RHEL 9 image is visible in ${ctx.envCtx.region} for the FreeIPA servers.`, {
    hint: `Set identity.imageId to a RHEL-family AMI id (Rocky/Alma Linux 9) in the config, or identity.provider: iam.`,
  });
}

/** The AL2023 image the compute stack uses (any valid image satisfies the identity template when no IPA server is made). */
export async function platformImageId(ctx: StepContext): Promise<string> {
  const p = ctx.envCtx.env.compute.imageParameter;
  if (p.startsWith('ami-')) return p;
  const v = await (await ctx.aws.ops()).ssm.getParameter(p);
  if (!v)
    throw new StepFailedError(ctx.stepId, `The image parameter ${p} does not resolve in ${ctx.envCtx.region}.`, {
      hint: 'Set compute.imageParameter to an SSM public parameter or an AMI id.',
    });
  return v;
}

/** FreeIPA host names: AWS's default private DNS label in the IPA domain. */
export function nodeFqdn(privateIp: string, domain: string): string {
  return `ip-${privateIp.replace(/\./g, '-')}.${domain}`;
}

/**
 * The Amazon Linux AMI the compute stack uses, pinned in the ledger the first time it is
 * resolved from compute.imageParameter: a newer public AMI must not replace the master on an
 * unrelated update. `dpf deploy --refresh-ami` forgets the pin.
 */
export async function pinnedPlatformImageId(ctx: StepContext): Promise<string> {
  const p = ctx.envCtx.env.compute.imageParameter;
  if (p.startsWith('ami-')) return p;
  const key = `ami:${p}`;
  const pinned = ctx.ledger.data.facts[key];
  if (pinned) return pinned;
  const ami = await platformImageId(ctx);
  await ctx.ledger.update((d) => {
    d.facts[key] = ami;
  }, ctx.clock.now());
  ctx.progress(`pinned ${p} → ${ami} (dpf deploy --refresh-ami moves to a newer one)`);
  return ami;
}
