/** The drill's cost estimate, checked against recovery.drill.maxCostUsd before anything starts. */
import type { AwsPorts } from '../../aws/ports.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import { type DrillScope } from './keys.js';

/** On-demand USD per hour (us-east-1, single-AZ PostgreSQL), rounded up. Unknown classes are priced high on purpose. */
export const DB_PRICE_PER_HOUR: Record<string, number> = {
  'db.t3.micro': 0.018,
  'db.t3.small': 0.036,
  'db.t3.medium': 0.073,
  'db.t3.large': 0.146,
  'db.t3.xlarge': 0.292,
  'db.t4g.micro': 0.016,
  'db.t4g.small': 0.032,
  'db.t4g.medium': 0.065,
  'db.t4g.large': 0.129,
  'db.m5.large': 0.178,
  'db.m5.xlarge': 0.356,
  'db.m5.2xlarge': 0.712,
  'db.m6g.large': 0.159,
  'db.m6i.large': 0.178,
  'db.r5.large': 0.25,
  'db.r5.xlarge': 0.5,
  'db.r6g.large': 0.225,
};
export const UNKNOWN_DB_PRICE = 1.0;
const GP_STORAGE_GB_MONTH = 0.115;
const NAT_PER_HOUR = 0.045;
const EFS_RESTORE_PER_GB = 0.02;
const CROSS_REGION_PER_GB = 0.02;

export interface CostEstimate {
  usd: number;
  lines: string[];
}

/** What the drill costs at most, running for its whole time cap (instance-hours × prices). */
export function estimateDrillCost(env: EnvironmentConfig, scope: DrillScope, efsBytes = 0): CostEstimate {
  const hours = env.recovery.drill.maxMinutes / 60;
  const rds = env.storage.rds;
  const known = DB_PRICE_PER_HOUR[rds.instanceClass];
  const dbHour = (known ?? UNKNOWN_DB_PRICE) * (rds.multiAz ? 2 : 1);
  const storageHour = (rds.allocatedStorageGb * GP_STORAGE_GB_MONTH) / 730;
  const lines: string[] = [];
  let usd = 0;
  const add = (what: string, v: number) => {
    usd += v;
    lines.push(`${what}: ${v.toFixed(2)} USD`);
  };
  add(
    `drill DB ${rds.instanceClass}${rds.multiAz ? ' Multi-AZ' : ''} × ${hours.toFixed(2)} h${known === undefined ? ' (class not in the price table: priced at 1 USD/h)' : ''}`,
    dbHour * hours,
  );
  add(`drill DB storage ${rds.allocatedStorageGb} GB × ${hours.toFixed(2)} h`, storageHour * hours);
  const gb = efsBytes / 1e9;
  add(`EFS restore ${gb.toFixed(1)} GB`, gb * EFS_RESTORE_PER_GB);
  if (scope === 'full') {
    add(`DR region: DB of the storage stack ${rds.instanceClass} × ${hours.toFixed(2)} h`, dbHour * hours);
    add(`DR region: DB restored from the copied snapshot ${rds.instanceClass} × ${hours.toFixed(2)} h`, (dbHour + storageHour) * hours);
    add(`DR region: snapshot copy ${rds.allocatedStorageGb} GB across regions`, rds.allocatedStorageGb * CROSS_REGION_PER_GB);
    add(`DR region: NAT gateway × ${hours.toFixed(2)} h`, NAT_PER_HOUR * hours);
  }
  return { usd: Math.round(usd * 100) / 100, lines };
}

/** The size of the platform's file system (the drill's cost estimate); 0 when it cannot be read. */
export async function efsSizeBytes(aws: AwsPorts, fileSystemId: string): Promise<number> {
  const fs = await (await aws.ops()).efs.describeFileSystems(fileSystemId).catch(() => []);
  return fs[0]?.sizeBytes ?? 0;
}
