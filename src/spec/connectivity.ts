/**
 * The platform specification's Network Connectivity Matrix, as data. One list for every
 * place that reasons about flows: the model test that computes, from the rendered
 * templates, which flows security groups, NACLs and routes allow; the go-live reachability
 * check on AWS; the docs. Service port lists (FreeIPA, NFS, Spark, …) extend it in
 * `FLOWS` with their own `source`, so each rule says where it comes from.
 */

/** A place traffic starts or ends, named by its role in the platform. */
export type Endpoint =
  | 'internet' // outside the VPC: for SSH, the operators' admin CIDRs
  | 'bastion'
  | 'master'
  | 'dev'
  | 'worker'
  | 'ipa' // FreeIPA servers (server and replica)
  | 'efs' // EFS mount targets
  | 'rds'
  | 's3'; // the S3 gateway endpoint / regional service

/** Every EC2 node the platform runs (the matrix's "All EC2" / "EC2 Instances"). */
export const EC2_NODES = ['bastion', 'master', 'dev', 'worker', 'ipa'] as const satisfies readonly Endpoint[];
/** The data-processing nodes (the matrix's "EC2 Instances" when it means the compute tier). */
export const COMPUTE_NODES = ['master', 'dev', 'worker'] as const satisfies readonly Endpoint[];

export interface Flow {
  /** Stable id, e.g. `ssh-admin-bastion`; used in reports and check evidence. */
  id: string;
  from: readonly Endpoint[];
  to: Endpoint;
  protocol: 'tcp' | 'udp';
  /** Inclusive port range. */
  ports: readonly [number, number];
  purpose: string;
  /** Where the rule comes from: the specification's matrix, or a service's documented port list. */
  source: string;
}

const MATRIX = 'platform specification, Network Connectivity Matrix';

/** The matrix, row by row (two rows expand to two flows where the specification lists two ports). */
export const SPEC_FLOWS: readonly Flow[] = [
  { id: 'ssh-admin-bastion', from: ['internet'], to: 'bastion', protocol: 'tcp', ports: [22, 22], purpose: 'Administrative access (admin CIDRs only)', source: MATRIX },
  ...(['master', 'dev', 'worker', 'ipa'] as const).map((to): Flow => ({ id: `ssh-bastion-${to}`, from: ['bastion'], to, protocol: 'tcp', ports: [22, 22], purpose: 'System administration', source: MATRIX })),
  { id: 'ldap-nodes-ipa', from: COMPUTE_NODES, to: 'ipa', protocol: 'tcp', ports: [389, 389], purpose: 'Authentication (LDAP)', source: MATRIX },
  { id: 'ldaps-nodes-ipa', from: COMPUTE_NODES, to: 'ipa', protocol: 'tcp', ports: [636, 636], purpose: 'Authentication (LDAPS)', source: MATRIX },
  { id: 'nfs-nodes-efs', from: COMPUTE_NODES, to: 'efs', protocol: 'tcp', ports: [2049, 2049], purpose: 'Shared file access', source: MATRIX },
  { id: 'postgres-nodes-rds', from: COMPUTE_NODES, to: 'rds', protocol: 'tcp', ports: [5432, 5432], purpose: 'Metadata storage', source: MATRIX },
  { id: 'https-nodes-s3', from: COMPUTE_NODES, to: 's3', protocol: 'tcp', ports: [443, 443], purpose: 'Data lake access', source: MATRIX },
  { id: 'jobs-master-workers', from: ['master'], to: 'worker', protocol: 'tcp', ports: [8080, 8090], purpose: 'Job coordination', source: MATRIX },
];
