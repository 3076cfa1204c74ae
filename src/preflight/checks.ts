/**
 * The account checks of the preflight, one function each. Read-only: every call goes through
 * AccountPreflightPort / the ops ports, and the only call that touches a write API is a
 * RunInstances with DryRun, which creates nothing. A question AWS (or the emulator) cannot
 * answer is "unknown" with the reason — never a pass.
 */
import type { Verdict } from '../io/events.js';
import type { AccountPreflightPort } from '../aws/preflight.js';
import type { OpsPorts } from '../aws/ops-ports.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { errorName } from '../aws/sdk-common.js';
import { NotImplementedByEndpointError } from '../aws/endpoint.js';
import { errorMessage, DpfError } from '../errors.js';
import { IPA_IMAGES } from '../steps/facts.js';
import { missingActions } from '../validate/rules/kms-service-access.js';
import { deploymentNeeds, type Needs } from './needs.js';

export type PreflightStatus = Verdict;

export interface PreflightResult {
  id: string;
  check: string;
  status: PreflightStatus;
  detail: string;
  hint?: string;
  /** A fail of this check stops `dpf deploy` before its first change set (exit 8). */
  blocking: boolean;
}

export type Outcome = Pick<PreflightResult, 'status' | 'detail' | 'hint'>;

export interface AccountContext {
  envName: string;
  env: EnvironmentConfig;
  region: string;
  account: string;
  partition: string;
  /** Phases still to deploy (network, compute, identity, monitoring). */
  pending: Set<string>;
  /** Of those, the ones whose resources do not exist yet (what counts against the quotas); default: pending. */
  toCreate?: Set<string>;
  /** Outputs of the deployment steps (e.g. the network's subnet for the Marketplace dry run). */
  outputs(stepId: string): Record<string, string>;
  preflight: AccountPreflightPort;
  ops: OpsPorts;
  /** IAM actions the operator policy grants (docs/iam), for the permission simulation. */
  operatorActions: string[];
  /** Those dpf calls itself (the rest are CloudFormation's handler permissions). */
  directActions?: ReadonlySet<string>;
  /** The caller's ARN from STS. */
  callerArn: string;
}

const DENIED = /AccessDenied|UnauthorizedOperation|AuthorizationError|NotAuthorized|AccessDeniedException/;

/** A check that could not ask AWS: unknown, with why. */
export function couldNotAsk(err: unknown): Outcome {
  if (err instanceof NotImplementedByEndpointError)
    return { status: 'unknown', detail: `${err.message}: cannot be answered here`, hint: 'Run dpf doctor against the real account before deploying there.' };
  if (DENIED.test(errorName(err)) || DENIED.test(errorMessage(err)))
    return {
      status: 'unknown',
      detail: `not allowed to ask: ${errorMessage(err).split('\n')[0]}`,
      hint: 'Grant the read-only actions of the operator policy (docs/iam/) to run this check.',
    };
  if (err instanceof DpfError) throw err;
  return { status: 'unknown', detail: `could not be answered: ${errorMessage(err).split('\n')[0]}` };
}

export async function check(id: string, title: string, blocking: boolean, f: () => Promise<Outcome | Outcome[]>): Promise<PreflightResult[]> {
  let out: Outcome | Outcome[];
  try {
    out = await f();
  } catch (err) {
    out = couldNotAsk(err);
  }
  return (Array.isArray(out) ? out : [out]).map((o) => ({ id, check: title, blocking, ...o }));
}

// ---------- zones and images ----------

export async function zonesCheck(c: AccountContext): Promise<Outcome> {
  const zones = await c.ops.ec2.describeAvailabilityZones();
  const missing = c.env.availabilityZones.filter((z) => !zones.includes(z));
  if (missing.length)
    return {
      status: 'fail',
      detail: `${missing.join(', ')} not offered in ${c.region} (offered: ${zones.join(', ')})`,
      hint: 'Fix availabilityZones in the config.',
    };
  return { status: 'pass', detail: c.env.availabilityZones.join(', ') };
}

export async function platformImageCheck(c: AccountContext): Promise<Outcome> {
  const p = c.env.compute.imageParameter;
  const ami = p.startsWith('ami-') ? p : await c.ops.ssm.getParameter(p);
  if (!ami)
    return { status: 'fail', detail: `${p} does not resolve in ${c.region}`, hint: 'Set compute.imageParameter to an SSM public parameter or an AMI id.' };
  return { status: 'pass', detail: `${p} → ${ami}` };
}

// ---------- the default EBS key and the Auto Scaling service-linked role ----------

const ASG_KMS_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey', 'kms:CreateGrant'];

/**
 * The worker launch template encrypts its volumes without naming a key, so EBS uses the account's
 * default EBS key. If that is a customer managed key, the Auto Scaling service-linked role must
 * be allowed to use it (key policy or grant), or every worker launch fails.
 */
export async function ebsDefaultKeyCheck(c: AccountContext): Promise<Outcome> {
  // Whether encryption by default is on does not matter: the launch template asks for encryption.
  const keyId = await c.preflight.ebsDefaultKmsKeyId();
  const key = await c.preflight.describeKey(keyId);
  if (key.manager === 'AWS')
    return { status: 'pass', detail: `the default EBS key is the AWS managed key (${key.arn}): the Auto Scaling service-linked role may use it` };
  if (key.state !== 'Enabled')
    return {
      status: 'fail',
      detail: `the default EBS key ${key.arn} is ${key.state}: encrypted volumes cannot be created`,
      hint: 'Enable the key, or point EBS at another default key (aws ec2 modify-ebs-default-kms-key-id).',
    };
  const slr = `arn:${c.partition}:iam::${c.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
  const policy = await c.preflight.keyPolicy(key.arn);
  const missing = missingActions(policy, { principal: slr, actions: ASG_KMS_ACTIONS, why: 'worker volumes' });
  if (!missing.length)
    return { status: 'pass', detail: `the default EBS key ${key.arn} is customer managed and its key policy lets AWSServiceRoleForAutoScaling use it` };
  const grants = await c.preflight.keyGrants(key.arn);
  const short = (a: string) => a.replace(/^kms:/, '');
  const granted = grants.filter((g) => g.grantee === slr).flatMap((g) => g.operations);
  const stillMissing = missing.filter((a) => !granted.includes(short(a)));
  if (!stillMissing.length)
    return { status: 'pass', detail: `the default EBS key ${key.arn} is customer managed; a grant lets AWSServiceRoleForAutoScaling use it` };
  return {
    status: 'fail',
    detail: `the default EBS key ${key.arn} is customer managed and neither its key policy nor a grant lets ${slr} ${stillMissing.map(short).join(', ')}: every worker launch would fail (Client.InternalError)`,
    hint: `Add the key policy statements of https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html, or: aws kms create-grant --key-id ${key.arn} --grantee-principal ${slr} --operations ${ASG_KMS_ACTIONS.map(short).join(' ')}`,
  };
}

// ---------- the FreeIPA image's Marketplace subscription ----------

export async function resolveIpaImage(c: AccountContext): Promise<{ imageId: string; label: string } | undefined> {
  const configured = c.env.identity.imageId;
  if (configured.startsWith('ami-')) return { imageId: configured, label: 'identity.imageId' };
  for (const candidate of IPA_IMAGES) {
    const [newest] = await c.ops.ec2.findImages([candidate.owner], candidate.name);
    if (newest) return { imageId: newest.imageId, label: `${candidate.label} (${newest.name ?? newest.imageId})` };
  }
  return undefined;
}

export async function marketplaceCheck(c: AccountContext): Promise<Outcome> {
  const image = await resolveIpaImage(c);
  if (!image)
    return {
      status: 'fail',
      detail: `no Rocky, Alma or RHEL 9 image is visible in ${c.region} for the FreeIPA servers`,
      hint: 'Set identity.imageId to a RHEL-family AMI id, or identity.provider: iam.',
    };
  const [detail] = await c.preflight.describeImages([image.imageId]);
  if (!detail)
    return {
      status: 'fail',
      detail: `${image.imageId} (${image.label}) does not exist in ${c.region}`,
      hint: 'Set identity.imageId to an AMI of this region.',
    };
  const codes = detail.productCodes.filter((p) => p.type === 'marketplace');
  if (!codes.length) return { status: 'pass', detail: `${image.imageId} (${image.label}) has no Marketplace product code: no subscription needed` };
  const subnet = c.outputs('network.stack').PrivateSubnet1Id;
  const r = await c.preflight.dryRunLaunch(image.imageId, c.env.identity.instanceType, subnet);
  const product = codes.map((p) => p.id).join(', ');
  if (r.ok)
    return { status: 'pass', detail: `${image.imageId} is a Marketplace image (product ${product}); a dry-run launch was accepted: the account is subscribed` };
  if (r.code === 'OptInRequired')
    return {
      status: 'fail',
      detail: `${image.imageId} is a Marketplace image (product ${product}) and the account is not subscribed: the FreeIPA servers would not launch`,
      hint: `Accept the terms once: ${codes.map((p) => `https://aws.amazon.com/marketplace/pp?sku=${p.id}`).join(' ')} (or set identity.imageId to a community image).`,
    };
  return {
    status: 'unknown',
    detail: `${image.imageId} is a Marketplace image (product ${product}); the dry-run launch could not tell whether the account is subscribed: ${r.code} ${r.message.split('\n')[0]}`,
  };
}

// ---------- instance types offered in the chosen zones ----------

export async function offeringsCheck(c: AccountContext, needs: Needs = deploymentNeeds(c.envName, c.env, c.pending)): Promise<Outcome[]> {
  if (!needs.instances.length) return [{ status: 'pass', detail: 'no instance left to launch (compute and identity are deployed)' }];
  const types = [...new Set(needs.instances.map((i) => i.instanceType))];
  const offered = await c.preflight.instanceTypeOfferings(types, c.env.availabilityZones);
  return needs.instances.map((p): Outcome => {
    const zones = offered[p.instanceType] ?? [];
    const missing = p.zones.filter((z) => !zones.includes(z));
    if (!missing.length) return { status: 'pass', detail: `${p.what}: ${p.instanceType} offered in ${p.zones.join(', ')}` };
    if (p.group && missing.length < p.zones.length)
      return {
        status: 'warn',
        detail: `${p.what}: ${p.instanceType} is not offered in ${missing.join(', ')}; the group launches only in ${p.zones.filter((z) => zones.includes(z)).join(', ')}`,
        hint: 'Pick a type offered in every zone, or other zones.',
      };
    return {
      status: 'fail',
      detail: `${p.what}: ${p.instanceType} is not offered in ${missing.join(', ')}`,
      hint: 'Choose an instance type offered there (aws ec2 describe-instance-type-offerings --location-type availability-zone) or other availabilityZones.',
    };
  });
}

// ---------- CloudTrail ----------

export async function cloudTrailCheck(c: AccountContext): Promise<Outcome> {
  const trails = await c.preflight.describeTrails();
  const covering = trails.filter((t) => t.multiRegion || t.homeRegion === c.region);
  const logging: string[] = [];
  for (const t of covering) {
    const name = t.arn ?? t.name;
    if (!(await c.preflight.trailLogging(name))) continue;
    const sel = await c.preflight.trailSelectors(name);
    if (sel.management === 'All' || sel.management === 'WriteOnly') logging.push(t.name);
  }
  const own = `${c.outputs('monitoring.stack').TrailName ?? ''}`;
  if (c.env.monitoring.cloudTrail === 'existing') {
    if (logging.length)
      return { status: 'pass', detail: `management write events of ${c.region} are recorded by ${logging.join(', ')} (monitoring.cloudTrail: existing)` };
    return {
      status: 'fail',
      detail: `monitoring.cloudTrail is existing, but no logging trail records management write events of ${c.region}: the security-group-change alert would never fire`,
      hint: 'Enable such a trail, or set monitoring.cloudTrail: create.',
    };
  }
  const others = logging.filter((n) => n !== own);
  const inRegion = trails.filter((t) => t.homeRegion === c.region).length;
  if (!own && inRegion >= 5)
    return {
      status: 'fail',
      detail: `${inRegion} trails already live in ${c.region} (the quota is 5): the monitoring stack cannot create its trail`,
      hint: 'Set monitoring.cloudTrail: existing and rely on one of them.',
    };
  if (others.length)
    return {
      status: 'warn',
      detail: `the monitoring stack creates its own trail, and ${others.join(', ')} already records management events: the second copy is charged`,
      hint: 'Set monitoring.cloudTrail: existing to use it instead.',
    };
  return { status: 'pass', detail: own ? `${own} records management events` : 'the monitoring stack creates a multi-region trail for management events' };
}

// ---------- the caller's permissions ----------

/** The IAM principal the simulator takes for an STS caller ARN (an assumed role → its role, with path). */
export async function principalOf(c: Pick<AccountContext, 'preflight'>, callerArn: string): Promise<{ arn?: string; note?: string }> {
  const assumed = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(callerArn);
  if (assumed) return { arn: await c.preflight.roleArn(assumed[3]!) };
  if (/:root$/.test(callerArn)) return { note: 'the root user may do anything; use a role with the operator policy (docs/iam/) instead' };
  if (/^arn:[^:]+:iam::\d{12}:(user|role)\//.test(callerArn)) return { arn: callerArn };
  return { note: `the simulator cannot evaluate ${callerArn} (federated user)` };
}

export async function permissionsCheck(c: AccountContext): Promise<Outcome> {
  const p = await principalOf(c, c.callerArn);
  if (!p.arn) return { status: /root/.test(p.note ?? '') ? 'warn' : 'unknown', detail: p.note ?? 'no principal to simulate' };
  const results = await c.preflight.simulate(p.arn, c.operatorActions);
  const denied = results.filter((r) => r.decision !== 'allowed').map((r) => r.action);
  if (!denied.length) return { status: 'pass', detail: `${p.arn} is allowed all ${results.length} actions dpf uses (IAM policy simulation)` };
  const list = (xs: string[]) => `${xs.slice(0, 12).join(', ')}${xs.length > 12 ? ` and ${xs.length - 12} more` : ''}`;
  const hint = 'Attach the operator policy (docs/iam/dpf-operator-*.json; README "Pointing dpf at a real AWS account").';
  // A denied call dpf makes itself fails for sure; CloudFormation's handler permissions also
  // cover properties the templates do not set, so a denial there may never matter: a warning.
  const direct = c.directActions ? denied.filter((a) => c.directActions!.has(a)) : denied;
  if (direct.length)
    return {
      status: 'fail',
      detail: `${p.arn} is denied ${direct.length} of the calls dpf makes itself: ${list(direct)}${denied.length > direct.length ? ` (and ${denied.length - direct.length} CloudFormation handler permission(s))` : ''}`,
      hint,
    };
  return {
    status: 'warn',
    detail: `${p.arn} is denied ${denied.length} CloudFormation handler permission(s) of the templates' resource types: ${list(denied)} (a stack operation that needs one fails)`,
    hint,
  };
}
