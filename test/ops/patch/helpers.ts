/** The world's hosts as `dpf patch` sees them, and its options (test/ops/helpers.ts's world). */
import { HOSTS, WORKERS } from '../helpers.js';
import { planWaves } from '../../../src/ops/patch/hosts.js';
import type { PatchOptions, Wave } from '../../../src/ops/patch/keys.js';
import type { Host } from '../../../src/ops/health.js';

export const DOC = 'dpf-dataplatform-dev-ApplyAnsiblePlaybooks';
export const RERUN = 'dpf patch --env dev';

export const WORLD_HOSTS: Host[] = [
  { instanceId: HOSTS.bastion, role: 'bastion' },
  { instanceId: HOSTS.master, role: 'master' },
  { instanceId: HOSTS.dev, role: 'dev' },
  ...WORKERS.map((instanceId) => ({ instanceId, role: 'worker' })),
];

export function patchOptions(o: Partial<PatchOptions> = {}): PatchOptions {
  return { method: 'ansible', waves: planWaves(WORLD_HOSTS), hosts: WORLD_HOSTS, acceptUnknownHealth: false, enforceWindow: false, rerun: RERUN, ...o };
}

export function waveOf(o: PatchOptions, name: string): Wave {
  return o.waves.find((w) => w.name === name)!;
}
