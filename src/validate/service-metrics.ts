/**
 * Metrics AWS services publish by themselves, with the exact dimension sets each is published
 * under (from the services' CloudWatch metric pages). Only the namespaces dpf alarms on; an alarm
 * on anything else must find its producer among what dpf deploys (the agent, a metric filter).
 */
import type { ProducedMetric } from './agent.js';

interface ServiceNamespace {
  namespace: string;
  metrics: string[];
  dimensionSets: string[][];
  doc: string;
}

const SERVICES: ServiceNamespace[] = [
  {
    namespace: 'AWS/EC2',
    metrics: [
      'CPUUtilization',
      'StatusCheckFailed',
      'StatusCheckFailed_Instance',
      'StatusCheckFailed_System',
      'StatusCheckFailed_AttachedEBS',
      'NetworkIn',
      'NetworkOut',
      'EBSIOBalance%',
      'EBSByteBalance%',
      'CPUCreditBalance',
      'CPUSurplusCreditBalance',
    ],
    dimensionSets: [['InstanceId'], ['AutoScalingGroupName'], ['ImageId'], ['InstanceType'], []],
    doc: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html',
  },
  {
    namespace: 'AWS/RDS',
    metrics: [
      'CPUUtilization',
      'DatabaseConnections',
      'FreeStorageSpace',
      'FreeableMemory',
      'ReadLatency',
      'WriteLatency',
      'ReadIOPS',
      'WriteIOPS',
      'ReplicaLag',
      'DiskQueueDepth',
      'SwapUsage',
      'EBSByteBalance%',
      'EBSIOBalance%',
    ],
    dimensionSets: [['DBInstanceIdentifier'], ['DatabaseClass'], ['EngineName'], []],
    doc: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html',
  },
  {
    namespace: 'AWS/EFS',
    metrics: [
      'MeteredIOBytes',
      'PermittedThroughput',
      'PercentIOLimit',
      'BurstCreditBalance',
      'ClientConnections',
      'TotalIOBytes',
      'DataReadIOBytes',
      'DataWriteIOBytes',
      'MetadataIOBytes',
    ],
    dimensionSets: [['FileSystemId']],
    doc: 'https://docs.aws.amazon.com/efs/latest/ug/efs-metrics.html',
  },
  {
    namespace: 'AWS/Backup',
    metrics: [
      'NumberOfBackupJobsCreated',
      'NumberOfBackupJobsPending',
      'NumberOfBackupJobsRunning',
      'NumberOfBackupJobsAborted',
      'NumberOfBackupJobsCompleted',
      'NumberOfBackupJobsFailed',
      'NumberOfBackupJobsExpired',
      'NumberOfCopyJobsCreated',
      'NumberOfCopyJobsRunning',
      'NumberOfCopyJobsCompleted',
      'NumberOfCopyJobsFailed',
      'NumberOfRestoreJobsPending',
      'NumberOfRestoreJobsRunning',
      'NumberOfRestoreJobsCompleted',
      'NumberOfRestoreJobsFailed',
      'NumberOfRecoveryPointsCompleted',
      'NumberOfRecoveryPointsPartial',
      'NumberOfRecoveryPointsExpired',
      'NumberOfRecoveryPointsDeleting',
      'NumberOfRecoveryPointsCold',
      'NumberOfRecoveryPointsWarm',
    ],
    dimensionSets: [[], ['ResourceType'], ['BackupVaultName'], ['ResourceType', 'BackupVaultName']],
    doc: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html',
  },
  {
    namespace: 'AWS/AutoScaling',
    metrics: [
      'GroupMinSize',
      'GroupMaxSize',
      'GroupDesiredCapacity',
      'GroupInServiceInstances',
      'GroupPendingInstances',
      'GroupStandbyInstances',
      'GroupTerminatingInstances',
      'GroupTotalInstances',
    ],
    dimensionSets: [['AutoScalingGroupName']],
    doc: 'https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html',
  },
];

export const SERVICE_NAMESPACES: ReadonlySet<string> = new Set(SERVICES.map((s) => s.namespace));

export function serviceMetrics(): ProducedMetric[] {
  return SERVICES.flatMap((s) =>
    s.metrics.map((metric) => ({ namespace: s.namespace, metric, dimensionSets: s.dimensionSets, producer: `${s.namespace} (${s.doc})` })),
  );
}
