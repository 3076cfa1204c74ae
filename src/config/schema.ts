/**
 * The config file's one schema (zod). Defaults are the seed's numbers
 * (../shared/seed/aws-data-platform-foundation.md); `dpf schema` exports it as JSON Schema.
 * Nested objects use `prefault({})` so their own field defaults apply when omitted.
 *
 * One rule: every object is strict (`z.strictObject`), so a mistyped key anywhere is an error
 * instead of a silently ignored setting (test/config/schema-walk.test.ts walks the schema).
 * Numbers carry the bounds AWS (or sense) puts on them; rules.ts checks what needs more than
 * one field or a parser.
 */
import { z } from 'zod';

const instanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must look like an EC2 instance type, e.g. m5.large');
/** gp3 volumes: 1-16,384 GiB; a root volume must hold the image (8 GiB for Amazon Linux 2023). */
const volumeGb = z.number().int().min(1).max(16384);
const rootVolumeGb = z.number().int().min(8).max(16384);
const percent = z.number();
/** Days something is kept: at least one, at most a century. */
const days = (min = 1) => z.number().int().min(min).max(36500);
/** Retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/**
 * Lengths and characters only. The rules each AWS service adds on top — no "--" and no trailing
 * dash (RDS identifiers, CloudTrail names), S3's reserved prefixes, SSM's reserved "aws"/"ssm" —
 * are checked in names.ts against the names dpf derives, so the message names the service and
 * the derived name that breaks its rule; a name is accepted only when both agree
 * (src/validate/environment.ts probes the longest names accepted that way).
 */
export const PROJECT_NAME = /^[a-z][a-z0-9-]{1,16}$/;
export const ENV_NAME = /^[a-z][a-z0-9-]{0,15}$/;
const ENV_NAME_MESSAGE = 'environment names are 1-16 lowercase letters, digits or dashes, starting with a letter';
/** Recovery objectives: positive, at most a year. */
const minutes = z.number().positive().max(525600);

export const networkSchema = z.strictObject({
  vpcCidr: z.string().default('10.0.0.0/16').describe('VPC CIDR block'),
  subnets: z
    .strictObject({
      public: z.array(z.string()).default(['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24']),
      private: z.array(z.string()).default(['10.0.11.0/24', '10.0.12.0/24', '10.0.13.0/24']),
      database: z.array(z.string()).default(['10.0.21.0/24', '10.0.22.0/24', '10.0.23.0/24']),
    })
    .prefault({})
    .describe('One subnet per tier per availability zone, in the order of availabilityZones'),
  adminCidrs: z.array(z.string()).min(1).max(4).default(['203.0.113.0/24']).describe('Corporate ranges allowed to SSH to the bastion (1 to 4)'),
  allowSshFromAnywhere: z
    .boolean()
    .default(false)
    .describe('Must be true to allow admin CIDRs that are, or together add up to, more than a /8 (0.0.0.0/0 included)'),
  flowLogRetentionDays: z.number().int().default(365).describe('A CloudWatch Logs retention value'),
});

export const computeSchema = z.strictObject({
  imageParameter: z
    .string()
    .default('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64')
    .describe('SSM public parameter (or AMI id) for Amazon Linux 2023'),
  bastion: z.strictObject({ instanceType: instanceType.default('t3.micro') }).prefault({}),
  master: z
    .strictObject({ instanceType: instanceType.default('m5.large'), rootVolumeGb: rootVolumeGb.default(100), dataVolumeGb: volumeGb.default(500) })
    .prefault({}),
  dev: z.strictObject({ instanceType: instanceType.default('t3.medium'), rootVolumeGb: rootVolumeGb.default(50) }).prefault({}),
  workers: z
    .strictObject({
      instanceType: instanceType.default('m5.xlarge'),
      rootVolumeGb: rootVolumeGb.default(100),
      dataVolumeGb: volumeGb.default(1000),
      min: z.number().int().min(0).max(1000).default(2),
      desired: z.number().int().min(0).max(1000).default(2),
      max: z.number().int().min(1).max(1000).default(6),
      scaleOutCpuPercent: percent.default(70),
      scaleInCpuPercent: percent.default(30),
      scaleOutMinutes: z.number().int().min(1).max(60).default(5),
    })
    .prefault({}),
});

export const storageSchema = z.strictObject({
  dataLake: z.strictObject({ archiveToGlacierDays: days().default(90) }).prefault({}),
  efs: z.strictObject({ transitionToIaDays: z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90)]).default(30) }).prefault({}),
  rds: z
    .strictObject({
      instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must look like an RDS instance class, e.g. db.t3.medium')
        .default('db.t3.medium'),
      engineVersion: z
        .string()
        .regex(/^\d{1,2}(\.\d{1,2})?$/, 'must be a PostgreSQL version, e.g. 16 or 16.4')
        .default('16'),
      allocatedStorageGb: z.number().int().min(20).max(65536).default(100),
      backupRetentionDays: z.number().int().min(1).max(35).default(7),
      multiAz: z.boolean().optional().describe('Multi-AZ standby. Default: true in production (src/config/production.ts), false elsewhere'),
      deletionProtection: z.boolean().optional().describe('Default: true in production (src/config/production.ts), false elsewhere'),
      databaseName: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be 1-63 lowercase letters, digits or underscores, starting with a letter')
        .default('dataplatform'),
      masterUsername: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,15}$/, 'must be 1-16 lowercase letters, digits or underscores, starting with a letter')
        .default('dpfadmin'),
    })
    .prefault({}),
  backup: z
    .strictObject({
      retentionDays: days().default(35),
      schedule: z.string().default('cron(0 5 * * ? *)').describe('AWS Backup cron(...) expression (six fields, UTC, at most hourly)'),
      copyToVaultArn: z.string().optional().describe('Cross-region copy destination vault ARN'),
    })
    .prefault({}),
});

export const identitySchema = z.strictObject({
  provider: z.enum(['freeipa', 'iam']).default('freeipa'),
  domain: z
    .string()
    .default('dataplatform.internal')
    .describe('DNS domain of the platform (FreeIPA domain, Route 53 private zone); lowercase, two labels or more'),
  instanceType: instanceType.default('t3.medium'),
  volumeGb: z.number().int().min(20).max(16384).default(100),
  imageId: z.string().default('resolve:rocky-9').describe('AMI of a RHEL-family image (Rocky/Alma 9) for the FreeIPA servers'),
  crossAccount: z
    .strictObject({
      trustedAccountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
      externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 letters, digits or any of _+=,.@:/- (IAM sts:ExternalId)'),
    })
    .optional(),
  passwordPolicy: z
    .strictObject({
      minLength: z.number().int().min(8).max(128).default(12),
      minClasses: z.number().int().min(0).max(5).default(3).describe('Character classes a password must mix (upper, lower, digits, special, other)'),
      maxLifeDays: z.number().int().min(1).max(20000).default(90),
      minLifeHours: z.number().int().min(0).max(20000).default(1),
      historySize: z.number().int().min(0).max(99).default(6),
      maxFailures: z.number().int().min(0).max(99).default(5).describe('Failed logins before the account locks'),
      failureIntervalSeconds: z.number().int().min(1).default(60),
      lockoutSeconds: z.number().int().min(1).default(600),
    })
    .prefault({})
    .describe('FreeIPA global password policy and account lockout (the specification: password policies and account lockout mechanisms)'),
  groups: z
    .array(z.string().regex(/^[a-z][a-z0-9_.-]{0,31}$/, 'a FreeIPA group name'))
    .default(['data-engineers'])
    .describe('FreeIPA groups dpf creates (members may log in to JupyterHub on the dev node)'),
  sudoRules: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'lowercase letters, digits, _ . -'),
        group: z.string().regex(/^[a-z][a-z0-9_.-]{0,31}$/, 'a FreeIPA group name (created when missing)'),
        commands: z
          .array(z.string().regex(/^(ALL|\/[A-Za-z0-9_./-]+( [A-Za-z0-9_./*=@,+-]+)*)$/, 'ALL, or an absolute command path with optional arguments'))
          .min(1)
          .default(['ALL']),
        runAs: z
          .string()
          .regex(/^(ALL|[a-z_][a-z0-9_-]*)$/)
          .default('root'),
      }),
    )
    .default([{ name: 'platform-admins', group: 'admins', commands: ['ALL'], runAs: 'ALL' }])
    .describe('FreeIPA sudo rules, on every enrolled host (the specification: sudo rules management through FreeIPA)'),
});

export const monitoringSchema = z.strictObject({
  alarmEmail: z.email({ error: 'must be an e-mail address' }).default('platform-alerts@example.com'),
  cpuCriticalPercent: percent.default(90),
  cpuCriticalMinutes: z.number().int().min(1).max(60).default(5),
  diskWarningPercent: percent.default(80),
  memoryWarningPercent: percent.default(85),
  rdsMaxConnections: z.number().int().min(1).max(262143).default(100),
  debugLogRetentionDays: z.number().int().default(30),
  auditLogRetentionDays: z.number().int().default(365),
  cloudTrail: z
    .enum(['create', 'existing'])
    .default('create')
    .describe(
      'create: the monitoring stack creates a multi-region trail for the security-group-change alert; existing: the account already has one (dpf doctor checks it logs management events)',
    ),
});

export const recoverySchema = z.strictObject({
  rtoMinutes: z
    .strictObject({
      critical: minutes.default(240),
      nonCritical: minutes.default(1440),
      data: minutes.default(120),
      full: minutes.default(480),
    })
    .prefault({}),
  rpoMinutes: z
    .strictObject({
      database: minutes.default(15),
      fileSystem: minutes.default(1440),
      application: minutes.default(60),
    })
    .prefault({}),
  drRegion: z.string().optional().describe('Region for the full DR drill'),
  drKmsKeyArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/, 'must be a KMS key or alias ARN in recovery.drRegion')
    .optional()
    .describe('KMS key in recovery.drRegion for the cross-region snapshot copy of a full DR drill (default: the DR storage stack key)'),
  drill: z.strictObject({ maxMinutes: z.number().positive().max(2880).default(120), maxCostUsd: z.number().positive().max(100000).default(50) }).prefault({}),
});

export const ssmSchema = z.strictObject({
  // SSM SendCommand's own patterns for MaxConcurrency and MaxErrors.
  maxConcurrency: z
    .string()
    .regex(/^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/, 'must be a number of 1 or more or a percentage of 1% to 100%, e.g. 50% or 2')
    .default('50%'),
  maxErrors: z
    .string()
    .regex(/^([1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%)$/, 'must be a number of 0 or more or a percentage of 0% to 100%, e.g. 0 or 10%')
    .default('1'),
  timeoutSeconds: z.number().int().min(60).max(172800).default(3600),
  onlineTimeoutSeconds: z
    .number()
    .int()
    .min(30)
    .max(7200)
    .default(900)
    .describe('How long a playbook step waits for its instances to be Online in SSM before failing (new instances install and start the agent first)'),
});

export const patchingSchema = z.strictObject({
  method: z.enum(['ansible', 'patch-baseline']).default('ansible'),
  maintenanceWindow: z
    .strictObject({
      days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).default(['sat', 'sun']),
      startUtc: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC)')
        .default('02:00'),
      durationHours: z.number().positive().max(24).default(4),
    })
    .prefault({}),
  requireStagingWithinDays: z.number().int().min(0).max(365).default(7),
  stagingEnv: z.string().regex(ENV_NAME, ENV_NAME_MESSAGE).default('staging'),
});

export const riskSchema = z.strictObject({
  category: z.string().max(200),
  description: z.string().max(2000),
  probability: z.enum(['Low', 'Medium', 'High']),
  impact: z.enum(['Low', 'Medium', 'High']),
  mitigation: z.string().max(2000),
});

export const SEED_RISKS: z.input<typeof riskSchema>[] = [
  {
    category: 'Technical',
    description: 'FreeIPA integration complexity',
    probability: 'Medium',
    impact: 'High',
    mitigation: 'Dedicated testing environment, backup authentication method',
  },
  {
    category: 'Security',
    description: 'IAM policy misconfigurations',
    probability: 'Medium',
    impact: 'High',
    mitigation: 'Automated policy validation, security reviews',
  },
  {
    category: 'Performance',
    description: 'EFS throughput limitations',
    probability: 'Low',
    impact: 'Medium',
    mitigation: 'Performance testing, provisioned throughput option',
  },
  {
    category: 'Timeline',
    description: 'Infrastructure module dependencies',
    probability: 'High',
    impact: 'Medium',
    mitigation: 'Parallel development, modular design',
  },
  { category: 'Resource', description: 'EC2 instance availability', probability: 'Low', impact: 'High', mitigation: 'Multi-AZ deployment, reserved instances' },
];

export const environmentSchema = z.strictObject({
  // Checked against the SDK's partition data in rules.ts (regionProblem).
  region: z.string().default('us-west-2'),
  accountId: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional()
    .describe('If set, dpf refuses to run against any other account'),
  availabilityZones: z.array(z.string()).default(['us-west-2a', 'us-west-2b', 'us-west-2c']),
  highAvailability: z.boolean().optional().describe('One NAT gateway per AZ. Default: true in production (src/config/production.ts), false elsewhere'),
  network: networkSchema.prefault({}),
  compute: computeSchema.prefault({}),
  storage: storageSchema.prefault({}),
  identity: identitySchema.prefault({}),
  monitoring: monitoringSchema.prefault({}),
  recovery: recoverySchema.prefault({}),
  ssm: ssmSchema.prefault({}),
  patching: patchingSchema.prefault({}),
  deploy: z
    .strictObject({
      // Steps at once. 8: the graph's widest set of long steps is six (four configure playbooks, the
      // IPA policy and replica, each on its own hosts); with 4 the fifth waited a whole playbook.
      concurrency: z.number().int().min(1).max(16).default(8),
      newStacks: z
        .enum(['create-stack', 'change-set'])
        .default('create-stack')
        .describe(
          'How a stack dpf has no trace of is made under --yes: create-stack (one CreateStack, no change set to compute) or change-set (CreateChangeSet, then execute it). A person at the prompt always gets a change set.',
        ),
      startDate: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
        .optional()
        .describe('Planned start of week 1 (for the timeline); default: the first deploy'),
    })
    .prefault({}),
  risks: z.array(riskSchema).default(SEED_RISKS as z.infer<typeof riskSchema>[]),
});

export const configSchema = z.strictObject({
  version: z.literal(1).default(1),
  project: z
    .string()
    .regex(
      PROJECT_NAME,
      'must be 2-17 lowercase letters, digits or dashes, starting with a letter (IAM role names derived from it are limited to 64 characters)',
    )
    .default('dataplatform'),
  environments: z
    .record(z.string().regex(ENV_NAME, ENV_NAME_MESSAGE), environmentSchema)
    .refine((r) => Object.keys(r).length > 0, 'at least one environment is required'),
});

export type DpfConfig = z.infer<typeof configSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type EnvironmentInput = z.input<typeof environmentSchema>;

/** The JSON Schema editors use (input shape: fields with defaults are optional). */
export function configJsonSchema(): object {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'dpf configuration',
  };
}
