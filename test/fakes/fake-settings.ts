/**
 * Settings for tests (src/settings.ts): what src/cli.ts would have read from the process. A test
 * states the poll interval, endpoint or hold it runs under instead of mutating process.env.
 */
import os from 'node:os';
import type { ProcessInfo, Settings } from '../../src/settings.js';
import { isProcessAlive } from '../../src/fast-entry.js';

/** This test process, as the lock and the state files see it (the real pid and host, cli.ts's liveness probe). */
export const THIS_PROCESS: ProcessInfo = {
  pid: process.pid,
  host: os.hostname(),
  isAlive: isProcessAlive,
};

/** AWS itself, no poll override, no hold, no terminal. */
export function testSettings(o: Partial<Settings> = {}): Settings {
  return { endpoint: { services: {} }, path: [], process: THIS_PROCESS, ...o };
}

/** A custom endpoint (an emulator at `url`). */
export function emulatorSettings(url = 'http://127.0.0.1:5000', o: Partial<Settings> = {}): Settings {
  return testSettings({ endpoint: { url, services: {} }, ...o });
}
