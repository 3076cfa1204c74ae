/** The phases as the seed's six-week plan names them: titles, planned windows, business value. Data only. */
import type { DeployPhase } from './types.js';

export interface PhaseInfo {
  id: DeployPhase;
  title: string;
  /** Planned window in the seed's timeline: days from the start of week 1 (inclusive start, exclusive end). */
  plannedStartDay: number;
  plannedEndDay: number;
  /** What leadership gets when it is done (the seed's business-value translation). */
  businessValue: string;
}

export const PHASE_INFO: Record<DeployPhase, PhaseInfo> = {
  bootstrap: {
    id: 'bootstrap',
    title: 'State backend (S3 + DynamoDB)',
    plannedStartDay: 0,
    plannedEndDay: 2,
    businessValue: 'Auditable, resumable deployment state shared by the whole team',
  },
  network: {
    id: 'network',
    title: 'VPC and networking',
    plannedStartDay: 2,
    plannedEndDay: 5,
    businessValue: 'Secure foundation for data processing with enterprise-grade network isolation',
  },
  compute: {
    id: 'compute',
    title: 'EC2 instances and Auto Scaling',
    plannedStartDay: 7,
    plannedEndDay: 10,
    businessValue: 'Dynamic resource scaling that optimizes costs while ensuring performance during peak data processing',
  },
  storage: {
    id: 'storage',
    title: 'S3 data lake, EFS, RDS and backups',
    plannedStartDay: 9,
    plannedEndDay: 12,
    businessValue: 'Durable data lake, shared file system and metadata database with automated backups',
  },
  identity: {
    id: 'identity',
    title: 'Identity (FreeIPA or IAM) and node configuration',
    plannedStartDay: 14,
    plannedEndDay: 21,
    businessValue: 'Centralized user management enabling secure, auditable access to data resources',
  },
  monitoring: {
    id: 'monitoring',
    title: 'Monitoring and alerting',
    plannedStartDay: 23,
    plannedEndDay: 26,
    businessValue: 'Problems are detected and routed to the team before users notice them',
  },
  golive: {
    id: 'golive',
    title: 'Go-live readiness checks',
    plannedStartDay: 35,
    plannedEndDay: 40,
    businessValue: 'Evidence-backed go-live: every readiness check verified on the running platform',
  },
};
