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
  {
    id: 'ssh-admin-bastion',
    from: ['internet'],
    to: 'bastion',
    protocol: 'tcp',
    ports: [22, 22],
    purpose: 'Administrative access (admin CIDRs only)',
    source: MATRIX,
  },
  ...(['master', 'dev', 'worker', 'ipa'] as const).map((to): Flow => ({
    id: `ssh-bastion-${to}`,
    from: ['bastion'],
    to,
    protocol: 'tcp',
    ports: [22, 22],
    purpose: 'System administration',
    source: MATRIX,
  })),
  { id: 'ldap-nodes-ipa', from: COMPUTE_NODES, to: 'ipa', protocol: 'tcp', ports: [389, 389], purpose: 'Authentication (LDAP)', source: MATRIX },
  { id: 'ldaps-nodes-ipa', from: COMPUTE_NODES, to: 'ipa', protocol: 'tcp', ports: [636, 636], purpose: 'Authentication (LDAPS)', source: MATRIX },
  { id: 'nfs-nodes-efs', from: COMPUTE_NODES, to: 'efs', protocol: 'tcp', ports: [2049, 2049], purpose: 'Shared file access', source: MATRIX },
  { id: 'postgres-nodes-rds', from: COMPUTE_NODES, to: 'rds', protocol: 'tcp', ports: [5432, 5432], purpose: 'Metadata storage', source: MATRIX },
  { id: 'https-nodes-s3', from: COMPUTE_NODES, to: 's3', protocol: 'tcp', ports: [443, 443], purpose: 'Data lake access', source: MATRIX },
  { id: 'jobs-master-workers', from: ['master'], to: 'worker', protocol: 'tcp', ports: [8080, 8090], purpose: 'Job coordination', source: MATRIX },
];

// ---------------------------------------------------------------- service port lists

/** FreeIPA's clients: every node that enrols (the bastion included: users log in there first). */
export const IPA_CLIENTS = ['bastion', 'master', 'dev', 'worker'] as const satisfies readonly Endpoint[];

const FREEIPA =
  'FreeIPA / RHEL IdM "Port requirements for IdM": HTTP/HTTPS 80, 443 TCP; LDAP/LDAPS 389, 636 TCP; Kerberos 88, 464 TCP and UDP ' +
  '(DNS 53 only with the integrated DNS, which dpf does not use: Route 53 serves the zone); ipa-replica-conncheck tests the same ports in both directions';

/** The ports FreeIPA needs, by service (the same list serves clients and replication). */
export const FREEIPA_PORTS: ReadonlyArray<{ name: string; protocol: 'tcp' | 'udp'; port: number; purpose: string }> = [
  { name: 'http', protocol: 'tcp', port: 80, purpose: 'HTTP: CA certificate, OCSP/CRL, ipa-client-install and ipa-replica-install' },
  { name: 'https', protocol: 'tcp', port: 443, purpose: 'HTTPS: IPA API (JSON-RPC), enrolment, web UI' },
  { name: 'ldap', protocol: 'tcp', port: 389, purpose: 'LDAP (SSSD identity lookups, replication)' },
  { name: 'ldaps', protocol: 'tcp', port: 636, purpose: 'LDAPS' },
  { name: 'kerberos-tcp', protocol: 'tcp', port: 88, purpose: 'Kerberos KDC' },
  { name: 'kerberos-udp', protocol: 'udp', port: 88, purpose: 'Kerberos KDC' },
  { name: 'kpasswd-tcp', protocol: 'tcp', port: 464, purpose: 'Kerberos password change' },
  { name: 'kpasswd-udp', protocol: 'udp', port: 464, purpose: 'Kerberos password change' },
];

const ipaFlows = (prefix: string, from: readonly Endpoint[], what: string): Flow[] =>
  FREEIPA_PORTS.map((p) => ({
    id: `${prefix}-${p.name}`,
    from,
    to: 'ipa',
    protocol: p.protocol,
    ports: [p.port, p.port],
    purpose: `${what}: ${p.purpose}`,
    source: FREEIPA,
  }));

const SEED_SG = 'platform specification, Security Group Design';
const SPARK =
  "Apache Spark standalone, ports pinned by the spark_worker role inside the specification's 8080-8090 range (master RPC 8089, master UI 8082, " +
  'worker UI 8081, worker 8085, driver 8086, block manager 8088); Airflow webserver 8080 (job_scheduler); JupyterHub 8084 (jupyterhub)';
const SSM_AGENT = 'AWS Systems Manager: SSM Agent needs outbound HTTPS (443) to the ssm, ssmmessages and ec2messages endpoints';

/**
 * What the services dpf installs need beyond the matrix, each with its documented source.
 * The model test (test/templates/connectivity.test.ts) requires every flow here and in
 * SPEC_FLOWS to be allowed by the rendered templates, and every allowed flow to be listed.
 */
export const SERVICE_FLOWS: readonly Flow[] = [
  ...ipaFlows('ipa-client', IPA_CLIENTS, 'FreeIPA client'),
  ...ipaFlows('ipa-replication', ['ipa'], 'FreeIPA replica install and replication'),
  // (sg-compute's "NFS 2049 from compute nodes" of the specification stays an ingress rule but opens no
  // flow: no compute node sends NFS to another, EFS serves /shared; the model test shows it is closed.)
  {
    id: 'postgres-bastion-rds',
    from: ['bastion'],
    to: 'rds',
    protocol: 'tcp',
    ports: [5432, 5432],
    purpose: 'Database administration (psql through the bastion)',
    source: `${SEED_SG} (sg-database: PostgreSQL 5432 from the management security group)`,
  },
  ...COMPUTE_NODES.map((to): Flow => ({
    id: `spark-compute-${to}`,
    from: COMPUTE_NODES,
    to,
    protocol: 'tcp',
    ports: [8080, 8090],
    purpose: 'Spark driver, master, workers and executors; Airflow and JupyterHub UIs',
    source: SPARK,
  })),
  {
    id: 'https-nodes-internet',
    from: EC2_NODES,
    to: 'internet',
    protocol: 'tcp',
    ports: [443, 443],
    purpose: 'SSM agent, AWS APIs (Secrets Manager, CloudWatch), OS and PyPI packages, pinned downloads',
    source: SSM_AGENT,
  },
  {
    id: 'https-nodes-s3-bundles',
    from: ['bastion', 'ipa'],
    to: 's3',
    protocol: 'tcp',
    ports: [443, 443],
    purpose: 'The Ansible bundle (aws:downloadContent from the state bucket)',
    source: 'dpf configuration channel (SSM document dpf-<project>-<env>-ApplyAnsiblePlaybooks)',
  },
  {
    id: 'http-ipa-mirrors',
    from: ['ipa'],
    to: 'internet',
    protocol: 'tcp',
    ports: [80, 80],
    purpose: 'Rocky/Alma package mirrors (mirror lists include http:// mirrors)',
    source: 'Rocky Linux / AlmaLinux mirror lists (dnf mirrorlist answers with http and https mirrors)',
  },
  {
    id: 'http-bastion-internet',
    from: ['bastion'],
    to: 'internet',
    protocol: 'tcp',
    ports: [80, 80],
    purpose: 'Updates over HTTP',
    source: `${SEED_SG} (sg-management: outbound all traffic to the internet for updates, narrowed to HTTP and HTTPS)`,
  },
];

/** Every flow the platform needs: the specification's matrix and the service port lists. */
export const FLOWS: readonly Flow[] = [...SPEC_FLOWS, ...SERVICE_FLOWS];
