/** Write report files under reports/<env>/ (or --out) and copy them to the state bucket. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStorePort } from '../aws/ports.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { ProcessInfo } from '../settings.js';

export interface ReportFile {
  name: string;
  body: string;
  contentType: string;
}

export async function writeReportFiles(dir: string, files: ReportFile[], owner: Pick<ProcessInfo, 'pid'>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const f of files) {
    const p = path.join(dir, f.name);
    await writeFileAtomic(p, f.body, owner);
    out.push(p);
  }
  return out;
}

/** s3://<bucket>/reports/<env>/<name> for each file. */
export async function uploadReportFiles(objects: ObjectStorePort, bucket: string, env: string, files: ReportFile[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const key = `reports/${env}/${f.name}`;
    await objects.putText(bucket, key, f.body, f.contentType);
    out.push(`s3://${bucket}/${key}`);
  }
  return out;
}
