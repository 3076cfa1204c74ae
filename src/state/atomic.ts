/**
 * Atomic file replacement: write a sibling temp file, fsync, rename over, fsync the directory.
 * Temp files are named `.<file>.<pid>.<random>.tmp`; one left by a process that died is
 * removed by the next run (removeStaleTemps).
 */
import { open, rename, mkdir, unlink, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ProcessInfo } from '../settings.js';

const TEMP = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Write `data` to a new, fsynced temp file next to `file`, named after its `owner` process; returns its path. */
export async function writeTemp(file: string, data: string, owner: Pick<ProcessInfo, 'pid'>): Promise<string> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  // The Web Crypto global loads on first use, so a command that only reads state does not load node:crypto (issue 14).
  const suffix = Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex');
  const tmp = path.join(dir, `.${path.basename(file)}.${owner.pid}.${suffix}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

export async function writeFileAtomic(file: string, data: string, owner: Pick<ProcessInfo, 'pid'>): Promise<void> {
  const dir = path.dirname(file);
  const tmp = await writeTemp(file, data, owner);
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  try {
    const d = await open(dir, 'r');
    await d.sync().catch(() => undefined);
    await d.close();
  } catch {
    /* some filesystems refuse fsync on directories; the rename is still atomic */
  }
}

/** Remove temp files in `dir` left by processes that are gone (a kill between write and rename). Returns their names. */
export async function removeStaleTemps(dir: string, me: Pick<ProcessInfo, 'pid' | 'isAlive'>): Promise<string[]> {
  const removed: string[] = [];
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const m = TEMP.exec(f);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === me.pid || me.isAlive(pid)) continue;
    await unlink(path.join(dir, f))
      .then(() => removed.push(f))
      .catch(() => undefined);
  }
  return removed;
}
