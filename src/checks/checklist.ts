/**
 * The seed's "Implementation Readiness Checklist" (Success Criteria Validation), as data.
 * Lines of "Infrastructure Completeness" are verified by go-live checks (each check names its
 * line: CheckSpec.checklist); the other lines need a person's sign-off, and where dpf holds
 * evidence for them (this report's diagram, the risk register, the ledger's run history) the
 * report points at it.
 */
import type { ChecklistLineId } from './types.js';

export interface ChecklistLine {
  text: string;
  /** Verified by the checks that name this id. */
  checkLine?: ChecklistLineId;
  /** Where dpf has something to show for a manual line. */
  pointer?: 'architecture-diagram' | 'risk-register' | 'run-history' | 'timeline' | 'golive-checks';
  note?: string;
}

export interface ChecklistGroup {
  title: string;
  lines: ChecklistLine[];
}

export interface ChecklistSection {
  title: string;
  groups: ChecklistGroup[];
}

export const READINESS_CHECKLIST: ChecklistSection[] = [
  {
    title: 'Technical Implementation Validation',
    groups: [
      {
        title: 'Infrastructure Completeness',
        lines: [
          { text: 'All AWS components properly configured and integrated', checkLine: 'aws-components' },
          {
            text: 'Terraform modules tested and validated in development environment',
            checkLine: 'iac-validated',
            note: 'dpf deploys CloudFormation stacks where the platform specification says Terraform modules',
          },
          { text: 'Ansible playbooks successfully automate all configuration tasks', checkLine: 'ansible-automation' },
          { text: 'Security controls implemented and validated', checkLine: 'security-controls' },
          { text: 'Monitoring and alerting fully operational', checkLine: 'monitoring-alerting' },
        ],
      },
      {
        title: 'Documentation Completeness',
        lines: [
          { text: 'Step-by-step implementation guide with exact chronological order', pointer: 'run-history' },
          { text: 'Troubleshooting procedures for common issues' },
          { text: 'Architecture diagrams and component interaction documentation', pointer: 'architecture-diagram' },
          { text: 'Operational runbooks for ongoing maintenance' },
          { text: 'User guides for platform access and usage' },
        ],
      },
    ],
  },
  {
    title: 'Leadership Coordination Validation',
    groups: [
      {
        title: 'Team Management Readiness',
        lines: [
          { text: 'Clear role definitions and responsibility assignments' },
          { text: 'Daily coordination framework and communication protocols' },
          { text: 'Technical skill development plan integrated with implementation' },
          { text: 'Risk management procedures with mitigation strategies', pointer: 'risk-register' },
          { text: 'Stakeholder communication framework and reporting templates', note: '`dpf report weekly` writes the weekly executive summary' },
        ],
      },
      {
        title: 'Project Delivery Assurance',
        lines: [
          { text: '8-week timeline with detailed milestones and dependencies', pointer: 'timeline' },
          { text: 'Resource allocation and team coordination strategies' },
          { text: 'Quality assurance procedures and validation checkpoints', pointer: 'golive-checks' },
          { text: 'Change management process for scope or timeline adjustments' },
          { text: 'Success metrics and measurement criteria' },
        ],
      },
    ],
  },
];
