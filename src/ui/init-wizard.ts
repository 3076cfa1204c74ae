/**
 * The questions of `dpf init` on a terminal. Every answer is checked as it is typed (Enter), by
 * the config loader's own rules (fieldProblems: one set of rules and bounds for the wizard and
 * the file), so a mistake never costs the answers before it; placeholders (documentation
 * ranges, example domains) need a yes.
 */
import type { Prompter } from '../io/host.js';
import { fieldProblems } from '../config/load.js';
import { deriveSubnets, MAX_DERIVABLE_PREFIX } from '../config/subnets.js';
import { placeholders } from '../config/placeholders.js';
import { isProduction } from '../config/production.js';

/** What the operator already gave as flags (asked with these as defaults). */
export interface WizardGiven {
  env: string;
  region?: string;
  /** Three availability zones; default: REGION a, b, c. */
  azs?: string[];
  vpcCidr?: string;
  adminCidrs?: string[];
  alarmEmail?: string;
  identityProvider?: 'freeipa' | 'iam';
  workersMin?: number;
  workersMax?: number;
  workersDesired?: number;
  highAvailability?: boolean;
}

export type WizardAnswers = Required<Omit<WizardGiven, 'env'>>;

/** true, or the first problem the loader finds with this field (given the answers so far). */
function check(field: string, value: unknown, env: Record<string, unknown> = {}): true | string {
  return fieldProblems(field, value, { env })[0] ?? true;
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A typed whole number, or why not (the loader then checks its bounds). */
function whole(v: string): number | string {
  return /^\d+$/.test(v.trim()) ? Number(v) : `"${v}" is not a whole number`;
}

/** Checks run as each answer is typed (Enter): true, or what is wrong with it. */
export const answerChecks = {
  region: (v: string): true | string => check('region', v.trim()),
  zones:
    (region: string) =>
    (v: string): true | string =>
      check('availabilityZones', list(v), { region }),
  /** The loader's VPC rules, with the nine subnets init derives inside it; init needs a /19 or larger to derive them. */
  vpcCidr:
    (env: { region: string; availabilityZones: string[] }) =>
    (v: string): true | string => {
      const d = deriveSubnets(v.trim());
      const problem = check('network.vpcCidr', v.trim(), { ...env, ...('error' in d ? {} : { network: { subnets: d } }) });
      if (problem !== true) return problem;
      return 'error' in d ? d.error : true;
    },
  adminCidrs: (v: string): true | string => check('network.adminCidrs', list(v)),
  email: (v: string): true | string => check('monitoring.alarmEmail', v.trim()),
  workersMin: (v: string): true | string => {
    const n = whole(v);
    return typeof n === 'string' ? n : check('compute.workers.min', n, { compute: { workers: { min: n, desired: n, max: Math.max(n, 1) } } });
  },
  /** The maximum with the minimum already given: the loader's relation (min ≤ desired ≤ max) applies. */
  workersMax:
    (min: number) =>
    (v: string): true | string => {
      const n = whole(v);
      return typeof n === 'string' ? n : check('compute.workers', { min, desired: min, max: n });
    },
};

/** Ask until the answer is not a placeholder, or the operator confirms keeping it. */
async function realValue(q: Prompter, ask: () => Promise<string>, found: (v: string) => string[]): Promise<string> {
  for (;;) {
    const v = await ask();
    const p = found(v);
    if (!p.length) return v;
    if (await q.confirm({ message: `${p.join('; ')}. Keep this placeholder anyway?`, default: false })) return v;
  }
}

/** The wizard: the environment's essentials, one question at a time. */
export async function askEnvironment(q: Prompter, o: WizardGiven, defaultRegion: string): Promise<WizardAnswers> {
  const region = o.region ?? (await q.text({ message: 'AWS region', default: defaultRegion, validate: answerChecks.region })).trim();
  const azs = list(
    await q.text({
      message: 'Three availability zones (comma-separated)',
      default: (o.azs ?? ['a', 'b', 'c'].map((s) => `${region}${s}`)).join(','),
      validate: answerChecks.zones(region),
    }),
  );
  const vpcCidr = (
    await q.text({
      message: `VPC CIDR (the nine subnets are laid out inside it; /16 to /${MAX_DERIVABLE_PREFIX})`,
      default: o.vpcCidr ?? '10.0.0.0/16',
      validate: answerChecks.vpcCidr({ region, availabilityZones: azs }),
    })
  ).trim();
  const admin = await realValue(
    q,
    () =>
      q.text({
        message: 'Admin CIDRs allowed to SSH to the bastion (comma-separated, your corporate ranges)',
        default: (o.adminCidrs ?? ['203.0.113.0/24']).join(','),
        validate: answerChecks.adminCidrs,
      }),
    (v) => placeholders({ adminCidrs: v.split(','), alarmEmail: 'ops@corp.invalid' }),
  );
  const alarmEmail = (
    await realValue(
      q,
      () => q.text({ message: 'E-mail for alarms', default: o.alarmEmail ?? 'platform-alerts@example.com', validate: answerChecks.email }),
      (v) => placeholders({ adminCidrs: ['10.0.0.0/8'], alarmEmail: v.trim() }),
    )
  ).trim();
  const identityProvider = await q.select({
    message: 'Identity provider',
    choices: [
      { name: 'FreeIPA (directory, SSSD, sudo rules) — default', value: 'freeipa' as const },
      { name: 'IAM + SSM Session Manager (no directory)', value: 'iam' as const },
    ],
    default: o.identityProvider ?? 'freeipa',
  });
  const workersMin = Number(await q.text({ message: 'Worker minimum', default: String(o.workersMin ?? 2), validate: answerChecks.workersMin }));
  const workersMax = Number(
    await q.text({ message: 'Worker maximum', default: String(Math.max(o.workersMax ?? 6, workersMin, 1)), validate: answerChecks.workersMax(workersMin) }),
  );
  const highAvailability = await q.confirm({ message: 'One NAT gateway per AZ (high availability)?', default: o.highAvailability ?? isProduction(o.env) });
  return {
    region,
    azs,
    vpcCidr,
    adminCidrs: list(admin),
    alarmEmail,
    identityProvider,
    workersMin,
    workersMax,
    workersDesired: o.workersDesired ?? workersMin,
    highAvailability,
  };
}
