/**
 * `dpf patch`: security patches in waves, a recovery point first, a health gate after each wave.
 *
 * Waves, in order: bastion; the identity servers one at a time; master and dev; the workers,
 * rolling (SSM MaxConcurrency / MaxErrors from config.ssm). Steps (phase 'operations'):
 *   operations.patch.db-snapshot      CreateDBSnapshot of the platform's database (in parallel with
 *                                     the AMIs), wait until available
 *   operations.patch.recovery-point   CreateImage (NoReboot) of every non-worker host in the
 *                                     selected waves, wait until available
 *   operations.patch.<wave>           patch.yml through dpf's Ansible document (or
 *                                     AWS-RunPatchBaseline), then wait for hosts that reboot
 *   operations.patch.<wave>.gate      SSM online, the host's alarms OK, its role's units active
 *   operations.patch.scan             --dry-run: scan only (Check mode / Operation=Scan)
 * A failed gate halts the run before the next wave and names the host, the reason and the AMI
 * to roll back to. In production the maintenance window is checked again before every wave.
 */
import type { OpsPorts, InstanceInfo } from '../aws/ops-ports.js';
import type { EnvContext, StepContext, StepDef } from '../steps/types.js';
import type { Ledger } from '../state/ledger.js';
import { runCommand, type CommandRun } from '../ssm/run-command.js';
import { buildBundle, ensureBundleUploaded } from '../ansible/bundle.js';
import { ansibleDocumentName, ansibleDocumentParameters } from '../steps/kinds/playbook.js';
import { BlockedError, errorMessage } from '../errors.js';
import { opStep, optionalOutput, unavailableOnEndpoint, waitFor, stepError, endpointName, hostLabel, type Operation } from './operation.js';
import { checkHealth, evaluateGate, roleServices, type Host } from './health.js';
import { rdsSnapshotStep } from './backup.js';
import { windowState, describeWindow, until } from './windows.js';

export const PATCH_STEPS = {
  recoveryPoint: 'operations.patch.recovery-point',
  dbSnapshot: 'operations.patch.db-snapshot',
  scan: 'operations.patch.scan',
  wave: (w: string) => `operations.patch.${w}`,
  gate: (w: string) => `operations.patch.${w}.gate`,
} as const;

export interface Wave {
  name: string;
  role: string;
  /** Instance ids (workers: resolved from the Auto Scaling group when the wave runs). */
  hosts: string[];
  rolling: boolean;
}

/** The platform's hosts by role: compute outputs, identity servers by tag, workers by group. */
export async function discoverHosts(ops: OpsPorts, ledger: Ledger, envCtx: EnvContext): Promise<Host[]> {
  const out: Host[] = [];
  for (const [key, role] of [['BastionInstanceId', 'bastion'], ['MasterInstanceId', 'master'], ['DevInstanceId', 'dev']] as const) {
    const id = optionalOutput(ledger, 'compute.stack', key);
    if (id) out.push({ instanceId: id, role });
  }
  const identity = await ops.ec2.describeInstances({ 'tag:dpf:env': [envCtx.name], 'tag:dpf:role': ['identity'], 'instance-state-name': ['pending', 'running', 'stopping', 'stopped'] });
  for (const i of identity.sort((a, b) => (a.tags.Name ?? a.instanceId).localeCompare(b.tags.Name ?? b.instanceId))) out.push({ instanceId: i.instanceId, role: 'identity' });
  for (const id of await workerIds(ops, ledger)) out.push({ instanceId: id, role: 'worker' });
  return out;
}

export async function workerIds(ops: OpsPorts, ledger: Ledger): Promise<string[]> {
  const group = optionalOutput(ledger, 'compute.stack', 'WorkerAutoScalingGroupName');
  if (!group) return [];
  const g = await ops.autoscaling.describeGroup(group);
  return (g?.instances ?? []).filter((i) => i.lifecycleState === 'InService').map((i) => i.instanceId);
}

/** bastion → identity-1, identity-2 … (one at a time) → master-dev → workers; empty waves dropped. */
export function planWaves(hosts: Host[]): Wave[] {
  const of = (role: string) => hosts.filter((h) => h.role === role).map((h) => h.instanceId);
  const waves: Wave[] = [];
  if (of('bastion').length) waves.push({ name: 'bastion', role: 'bastion', hosts: of('bastion'), rolling: false });
  of('identity').forEach((id, i) => waves.push({ name: `identity-${i + 1}`, role: 'identity', hosts: [id], rolling: false }));
  const md = hosts.filter((h) => h.role === 'master' || h.role === 'dev').map((h) => h.instanceId);
  if (md.length) waves.push({ name: 'master-dev', role: 'master-dev', hosts: md, rolling: false });
  waves.push({ name: 'workers', role: 'worker', hosts: of('worker'), rolling: true });
  return waves;
}

export interface PatchOptions {
  method: 'ansible' | 'patch-baseline';
  waves: Wave[];
  hosts: Host[];
  acceptUnknownHealth: boolean;
  /** Production and no emergency: the maintenance window is checked before each wave. */
  enforceWindow: boolean;
  /** How to run this again (hints). */
  rerun: string;
}

const roleOf = (hosts: Host[], id: string) => hosts.find((h) => h.instanceId === id)?.role ?? 'worker';

/** Deploy state that decides which units a role must have running. */
function deployedServices(ledger: Ledger, envCtx: EnvContext) {
  const identityDone = Object.values(ledger.data.steps).some((s) => s.id.startsWith('identity.') && s.status === 'done');
  const monitoringDone = Object.values(ledger.data.steps).some((s) => s.id.startsWith('monitoring.') && s.status === 'done');
  return { identity: identityDone ? envCtx.env.identity.provider : undefined, monitoring: monitoringDone };
}

/** Parameters of the patch document for one wave (apply, or --dry-run scan). */
export async function patchDocument(ctx: StepContext, method: PatchOptions['method'], check: boolean, role: string): Promise<{ documentName: string; parameters: Record<string, string[]> }> {
  if (method === 'patch-baseline')
    return { documentName: 'AWS-RunPatchBaseline', parameters: { Operation: [check ? 'Scan' : 'Install'], RebootOption: [check ? 'NoReboot' : 'RebootIfNeeded'] } };
  const bucket = optionalOutput(ctx.ledger, 'bootstrap.state', 'StateBucketName');
  if (!bucket) throw stepError('PatchNoStateBucket', 'The Ansible bundle lives in the state bucket, and the ledger has none.', { hint: `dpf deploy --env ${ctx.envCtx.name} --phase bootstrap` });
  const up = await ensureBundleUploaded(await ctx.aws.objects(), bucket, buildBundle(), ctx.envCtx.region);
  // dpf's own document: AWS-ApplyAnsiblePlaybooks cannot install Ansible on the Rocky/Alma IPA servers.
  const extraVariables = `SSM=True dpf_env=${ctx.envCtx.name} dpf_project=${ctx.envCtx.project} dpf_region=${ctx.envCtx.region} dpf_role=${role === 'master-dev' ? 'master' : role}`;
  return { documentName: ansibleDocumentName(ctx), parameters: ansibleDocumentParameters({ s3Url: up.s3Url, playbook: 'patch.yml', extraVariables, check, timeoutSeconds: ctx.envCtx.env.ssm.timeoutSeconds }) };
}

/** AWS-RunPatchBaseline's own execution timeout (the document's runtimeConfig; it takes no timeout parameter). */
export const PATCH_BASELINE_EXEC_SECONDS = 7200;
const DELIVERY_SECONDS = 600;

/** Hosts SSM runs at once for a MaxConcurrency of "N" or "P%" over `n` targets (at least 1). */
export function concurrencyOf(maxConcurrency: string, n: number): number {
  const pct = /^(\d+)%$/.exec(maxConcurrency);
  const c = pct ? Math.ceil((Number(pct[1]) * n) / 100) : Number(maxConcurrency);
  return Math.max(1, Number.isFinite(c) ? c : 1);
}

/**
 * SSM's TimeoutSeconds is the DELIVERY timeout: a host that has not STARTED by then is never
 * run (DeliveryTimedOut). Under rate control hosts start in batches, so a later batch starts
 * only after earlier ones ran for up to the execution timeout: the delivery timeout must cover
 * every earlier batch. dpf waits for the last batch to run out as well.
 */
export function patchTimeouts(hosts: number, maxConcurrency: string, execSeconds: number): { deliverySeconds: number; waitSeconds: number } {
  const batches = Math.ceil(Math.max(1, hosts) / concurrencyOf(maxConcurrency, Math.max(1, hosts)));
  const deliverySeconds = Math.min(2_592_000, DELIVERY_SECONDS + (batches - 1) * execSeconds);
  return { deliverySeconds, waitSeconds: deliverySeconds + execSeconds + 60 };
}

function execSecondsOf(doc: { documentName: string; parameters: Record<string, string[]> }): number {
  const t = Number(doc.parameters.TimeoutSeconds?.[0]);
  return Number.isFinite(t) && t > 0 ? t : PATCH_BASELINE_EXEC_SECONDS;
}

function sendFor(ctx: StepContext, wave: Wave, ids: string[], doc: { documentName: string; parameters: Record<string, string[]> }, opId: string) {
  const ssm = ctx.envCtx.env.ssm;
  const bucket = optionalOutput(ctx.ledger, 'bootstrap.state', 'StateBucketName');
  const concurrency = wave.rolling ? ssm.maxConcurrency : '1';
  const { deliverySeconds } = patchTimeouts(ids.length, concurrency, execSecondsOf(doc));
  const base = {
    ...doc,
    timeoutSeconds: deliverySeconds,
    comment: `dpf patch ${wave.name} ${opId}`,
    outputS3Bucket: bucket,
    outputS3KeyPrefix: bucket ? `ssm/${ctx.envCtx.name}/patch/${opId}/${wave.name}` : undefined,
    expectedInstanceIds: ids,
  };
  // Workers by tag, rolling under the configured rate control; the named hosts one by one.
  return wave.rolling
    ? { ...base, targets: { 'dpf:env': [ctx.envCtx.name], 'dpf:role': ['worker'] }, maxConcurrency: ssm.maxConcurrency, maxErrors: ssm.maxErrors }
    : { ...base, instanceIds: ids, maxConcurrency: '1', maxErrors: '0' };
}

function pollOpts(ctx: StepContext) {
  return ctx.settings.pollMs ? { pollMs: ctx.settings.pollMs } : {};
}

/** Did the host schedule a reboot? From the playbook's result line ("reboot: yes") or the baseline's output. */
export function rebootScheduled(tail: string[]): boolean | undefined {
  const text = tail.join('\n');
  if (!text.trim()) return undefined;
  if (/reboot: yes|"rebooted": "yes"|Rebooting|initiating reboot/i.test(text)) return true;
  return false;
}

/** Pending updates reported by a scan, if the output says. */
export function pendingUpdates(tail: string[]): number | undefined {
  const text = tail.join('\n');
  const a = /(\d+) package\(s\) updated/.exec(text)?.[1];
  if (a !== undefined) return Number(a);
  const b = /Missing(?:Count)?["'\s:=]+(\d+)/i.exec(text)?.[1];
  return b === undefined ? undefined : Number(b);
}

export function buildPatchSteps(op: Operation, o: PatchOptions): StepDef[] {
  const steps: StepDef[] = [];
  const nonWorkers = o.waves.filter((w) => !w.rolling).flatMap((w) => w.hosts);
  const amiOf = (ledger: Ledger, id: string) => ledger.outputs(PATCH_STEPS.recoveryPoint)[id];

  // The database's recovery point: the master's jobs write to it while hosts reboot (the
  // specification: manual snapshots before major changes). In parallel with the AMIs.
  steps.push(
    rdsSnapshotStep(op, {
      id: PATCH_STEPS.dbSnapshot,
      title: 'Recovery point: RDS snapshot',
      label: 'prepatch',
      timeoutMinutes: 120,
      rerun: () => o.rerun,
      requireDatabase: false,
    }),
  );
  if (nonWorkers.length)
    steps.push(
      opStep(op, {
        id: PATCH_STEPS.recoveryPoint,
        title: `Recovery point: AMI of ${nonWorkers.length} host(s) (no reboot)`,
        estimateSeconds: 900,
        input: nonWorkers,
        async run(ctx, mine) {
          const ops = await ctx.aws.ops();
          const images: Record<string, string> = { ...((mine.images as Record<string, string> | undefined) ?? {}) };
          const notes: string[] = [];
          for (const id of nonWorkers) {
            if (images[id]) continue;
            const role = roleOf(o.hosts, id);
            const name = `${ctx.envCtx.project}-${ctx.envCtx.name}-${role}-${id}-prepatch-${op.stamp}`;
            const tags = { 'dpf:env': ctx.envCtx.name, 'dpf:project': ctx.envCtx.project, 'dpf:operation': op.id, 'dpf:role': role, 'dpf:source-instance': id };
            try {
              images[id] = await ops.ec2.createImage(id, name, tags, true);
            } catch (err) {
              if (!unavailableOnEndpoint(ctx, err)) throw err;
              // An emulator without tag specifications on CreateImage: the image matters more than its tags.
              notes.push(`CreateImage with tags is not available on ${endpointName(ctx)}; ${id}'s image was made without tags`);
              images[id] = await ops.ec2.createImage(id, name, {}, true);
            }
            ctx.progress(`${hostLabel({ instanceId: id, role })}: image ${images[id]} requested`);
            await ctx.evidence({ images });
          }
          const ids = Object.values(images);
          const final = await waitFor(ctx, {
            stepId: ctx.stepId,
            what: `${ids.length} image(s)`,
            read: () => ops.ec2.describeImages(ids),
            state: (imgs) => (imgs.some((i) => i.state === 'failed' || i.state === 'error') ? 'failed' : imgs.length === ids.length && imgs.every((i) => i.state === 'available') ? 'done' : 'waiting'),
            describe: (imgs) => imgs.map((i) => `${i.imageId}=${i.state}`).join(', ') || 'not visible yet',
            deadline: new Date(ctx.clock.now().getTime() + 90 * 60000),
            minMs: 10000,
            maxMs: 60000,
            onTimeout: (imgs) => stepError('RecoveryPointTimedOut', `Images still not available after 90 min: ${imgs.map((i) => `${i.imageId}=${i.state}`).join(', ')}.`, { hint: `No host was patched. Rerun to keep waiting: ${o.rerun}` }),
            onFailed: (imgs) => stepError('RecoveryPointFailed', `Image creation failed: ${imgs.filter((i) => i.state !== 'available').map((i) => `${i.imageId}=${i.state}`).join(', ')}.`, { hint: 'No host was patched. Fix the cause and rerun.' }),
          });
          for (const n of notes) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: n });
          return {
            changed: true,
            summary: Object.entries(images).map(([id, ami]) => `${hostLabel({ instanceId: id, role: roleOf(o.hosts, id) })} → ${ami}`).join(', '),
            outputs: images,
            evidence: { images, states: final.map((i) => ({ imageId: i.imageId, state: i.state })), notes },
          };
        },
      }),
    );

  const recoveryPoints = [PATCH_STEPS.dbSnapshot, ...(nonWorkers.length ? [PATCH_STEPS.recoveryPoint] : [])];
  let previous: string[] = recoveryPoints;
  for (const wave of o.waves) {
    const waveId = PATCH_STEPS.wave(wave.name);
    const gateId = PATCH_STEPS.gate(wave.name);
    steps.push(
      opStep(op, {
        id: waveId,
        title: `Patch wave ${wave.name}${wave.rolling ? ' (rolling)' : ''}`,
        kind: 'playbook',
        dependsOn: previous,
        estimateSeconds: 900,
        input: { wave, method: o.method },
        async run(ctx, mine) {
          const ops = await ctx.aws.ops();
          if (o.enforceWindow) {
            const w = windowState(ctx.envCtx.env.patching.maintenanceWindow, ctx.clock.now());
            if (!w.open)
              throw new BlockedError(
                `The maintenance window (${describeWindow(ctx.envCtx.env.patching.maintenanceWindow)}) is closed: wave ${wave.name} was not started.`,
                `Resume in the next window${w.nextOpensAt ? ` (${w.nextOpensAt.toISOString()}, in ${until(ctx.clock.now(), w.nextOpensAt)})` : ''}: ${o.rerun}`,
              );
          }
          const ids = wave.rolling ? await workerIds(ops, ctx.ledger) : wave.hosts;
          if (!ids.length) return { changed: false, summary: `no ${wave.role} host in service`, evidence: { hosts: [] } };
          const doc = await patchDocument(ctx, o.method, false, wave.role);
          const labels = Object.fromEntries(ids.map((id) => [id, roleOf(o.hosts, id)]));
          const sentAt = ctx.clock.now();
          const run: CommandRun = await runCommand(
            ops.ssm,
            { clock: ctx.clock, io: ctx.io, signal: ctx.signal, stepId: ctx.stepId, objects: await ctx.aws.objects(), onSent: (commandId) => ctx.evidence({ commandId, sentAt: sentAt.toISOString(), document: doc.documentName }) },
            sendFor(ctx, wave, ids, doc, op.id),
            { attachTo: mine.commandId as string | undefined, labels, timeoutSeconds: patchTimeouts(ids.length, wave.rolling ? ctx.envCtx.env.ssm.maxConcurrency : '1', execSecondsOf(doc)).waitSeconds, ...pollOpts(ctx) },
          );
          const hosts = run.hosts.map((h) => ({ instanceId: h.instanceId, role: labels[h.instanceId] ?? 'worker', status: h.status, responseCode: h.responseCode, reboot: rebootScheduled(h.tail), tail: h.tail.slice(-5), log: h.outputS3Url, note: h.note }));
          await ctx.evidence({ commandId: run.commandId, document: doc.documentName, hosts });
          if (!run.ok) {
            const bad = run.hosts.filter((h) => h.status !== 'Success');
            throw stepError('PatchFailed', `Wave ${wave.name}: ${run.summary}; the run is halted before the next wave.`, {
              details: bad.map((h) => {
                const ami = amiOf(ctx.ledger, h.instanceId);
                return `${hostLabel({ instanceId: h.instanceId, role: labels[h.instanceId] })}: ${h.status}${h.responseCode !== undefined ? ` (exit ${h.responseCode})` : ''}${h.note ? ` — ${h.note}` : ''}${h.tail.length ? ` — ${h.tail.slice(-2).join(' / ')}` : ''}${ami ? `; recovery point ${ami}` : ''}${h.outputS3Url ? `; log ${h.outputS3Url}` : ''}`;
              }),
              hint: rollbackHint(wave, o.rerun),
            });
          }
          const rebooting = hosts.filter((h) => h.reboot === true).map((h) => h.instanceId);
          const unknownReboot = hosts.filter((h) => h.reboot === undefined).map((h) => h.instanceId);
          let rebootWait = 'none';
          if (rebooting.length) rebootWait = await waitForReboot(ctx, ops, rebooting, sentAt);
          if (unknownReboot.length) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `no playbook output from ${unknownReboot.join(', ')} (empty SSM output): whether they reboot is unknown; the health gate decides` });
          return {
            changed: true,
            summary: `${run.summary}${rebooting.length ? `; ${rebooting.length} rebooted (${rebootWait})` : ''}`,
            outputs: { CommandId: run.commandId, Hosts: ids.join(',') },
            evidence: { commandId: run.commandId, document: doc.documentName, hosts, rebooted: rebooting, rebootWait },
          };
        },
      }),
    );
    steps.push(
      opStep(op, {
        id: gateId,
        title: `Health gate after ${wave.name}`,
        kind: 'check',
        dependsOn: [waveId],
        estimateSeconds: 60,
        input: { accept: o.acceptUnknownHealth },
        async run(ctx) {
          const ops = await ctx.aws.ops();
          const recorded = ctx.ledger.outputs(waveId).Hosts;
          const ids = recorded ? recorded.split(',') : wave.rolling ? await workerIds(ops, ctx.ledger) : wave.hosts;
          const hosts: Host[] = ids.filter(Boolean).map((id) => ({ instanceId: id, role: roleOf(o.hosts, id) }));
          if (!hosts.length) return { changed: false, summary: 'no host to check', evidence: { health: [] } };
          const deployed = deployedServices(ctx.ledger, ctx.envCtx);
          const health = await checkHealth(ctx, ops, {
            hosts,
            services: (role) => roleServices(role, deployed),
            alarmPrefix: `${ctx.envCtx.project}-${ctx.envCtx.name}-`,
            workerGroup: optionalOutput(ctx.ledger, 'compute.stack', 'WorkerAutoScalingGroupName'),
          });
          const verdict = evaluateGate(health, o.acceptUnknownHealth);
          for (const h of health) ctx.progress(`${hostLabel(h)}: ${h.components.map((c) => `${c.component} ${c.status}`).join(', ')}`);
          await ctx.evidence({ health, accepted: verdict.accepted });
          if (!verdict.passed) {
            const unknownOnly = verdict.problems.every((p) => / unknown: /.test(p.reason));
            throw stepError('HealthGateFailed', `Health gate after wave ${wave.name} failed on ${new Set(verdict.problems.map((p) => p.instanceId)).size} host(s); the run is halted before the next wave.`, {
              details: verdict.problems.map((p) => {
                const ami = amiOf(ctx.ledger, p.instanceId);
                return `${hostLabel(p)}: ${p.reason}${ami ? `; roll back to ${ami}` : p.role === 'worker' ? '; roll back: terminate it, the Auto Scaling group replaces it' : ''}`;
              }),
              hint: unknownOnly
                ? `dpf could not tell whether these hosts are healthy and never counts that as healthy. Check them yourself; to accept unknown health explicitly, rerun with --accept-unknown-health (it resumes at this gate): ${o.rerun} --accept-unknown-health`
                : `${rollbackHint(wave, o.rerun)}\nOnce the host is healthy again, rerun to resume at this gate: ${o.rerun}`,
            });
          }
          for (const a of verdict.accepted) ctx.io.notify({ type: 'warning', stepId: ctx.stepId, message: `accepted (--accept-unknown-health): ${hostLabel(a)} ${a.reason}` });
          return {
            changed: false,
            summary: `${health.length} host(s) healthy${verdict.accepted.length ? ` (${verdict.accepted.length} unknown component(s) accepted)` : ''}`,
            outputs: { Passed: 'true', AcceptedUnknown: String(verdict.accepted.length) },
            evidence: { health, accepted: verdict.accepted },
          };
        },
      }),
    );
    previous = [gateId];
  }
  return steps;
}

function rollbackHint(wave: Wave, rerun: string): string {
  return wave.rolling
    ? 'Roll a bad worker back by terminating it (aws autoscaling terminate-instance-in-auto-scaling-group --instance-id ID --no-should-decrement-desired-capacity): the group replaces it from the launch template.'
    : `Roll a host back to its recovery point: EC2 "Replace root volume" with the AMI named above (aws ec2 create-replace-root-volume-task --instance-id ID --image-id AMI), or launch a replacement from it. Resume afterwards with: ${rerun}`;
}

/** The playbook reboots with `shutdown -r +1`: wait for the hosts to leave and come back to SSM. */
async function waitForReboot(ctx: StepContext, ops: OpsPorts, ids: string[], sentAt: Date): Promise<string> {
  ctx.progress(`${ids.join(', ')} reboot into a new kernel (shutdown +1); waiting for them to come back`);
  await ctx.clock.sleep(75_000, ctx.signal);
  const back = new Date(sentAt.getTime() + 60_000);
  try {
    await waitFor(ctx, {
      stepId: ctx.stepId,
      what: `${ids.length} rebooting host(s)`,
      read: async () => {
        const [info, inst] = await Promise.all([ops.ssm.describeInstanceInformation(ids), ops.ec2.describeInstances({ 'instance-id': ids })]);
        return ids.map((id) => {
          const i = info.find((x) => x.instanceId === id);
          const e = inst.find((x: InstanceInfo) => x.instanceId === id);
          return { id, ec2: e?.state ?? '?', ssm: i?.pingStatus ?? 'absent', fresh: Boolean(i?.lastPing && i.lastPing >= back) };
        });
      },
      state: (xs) => (xs.every((x) => x.ec2 === 'running' && x.ssm === 'Online' && x.fresh) ? 'done' : 'waiting'),
      describe: (xs) => xs.map((x) => `${x.id} ${x.ec2}/${x.ssm}`).join(', '),
      deadline: new Date(ctx.clock.now().getTime() + 15 * 60000),
      minMs: 10000,
      maxMs: 30000,
      onTimeout: (xs) => stepError('PatchRebootTimedOut', `Hosts did not come back within 15 min of their reboot: ${xs.filter((x) => !(x.ec2 === 'running' && x.ssm === 'Online')).map((x) => `${x.id} ${x.ec2}/${x.ssm}`).join(', ')}.`, { hint: 'Look at the instance console output (aws ec2 get-console-output); roll back to the recovery point if it does not boot.' }),
      onFailed: () => stepError('PatchRebootFailed', 'reboot failed'),
    });
    return 'back online';
  } catch (err) {
    if (unavailableOnEndpoint(ctx, err)) return `unknown: SSM DescribeInstanceInformation is not available on ${endpointName(ctx)}`;
    throw err;
  }
}

// ---------- dry run ----------

export function buildScanSteps(op: Operation, o: Omit<PatchOptions, 'acceptUnknownHealth' | 'enforceWindow'>): StepDef[] {
  return [
    opStep(op, {
      id: PATCH_STEPS.scan,
      title: `Scan for pending updates (${o.method === 'ansible' ? 'patch.yml in Check mode' : 'AWS-RunPatchBaseline Operation=Scan'})`,
      kind: 'playbook',
      estimateSeconds: 300,
      input: { waves: o.waves.map((w) => w.name), method: o.method },
      async run(ctx) {
        const ops = await ctx.aws.ops();
        const rows: Array<{ wave: string; instanceId: string; role: string; status: string; pending: number | null; tail: string[] }> = [];
        for (const wave of o.waves) {
          const ids = wave.rolling ? await workerIds(ops, ctx.ledger) : wave.hosts;
          if (!ids.length) continue;
          const doc = await patchDocument(ctx, o.method, true, wave.role);
          const labels = Object.fromEntries(ids.map((id) => [id, roleOf(o.hosts, id)]));
          let run: CommandRun;
          try {
            run = await runCommand(ops.ssm, { clock: ctx.clock, io: ctx.io, signal: ctx.signal, stepId: ctx.stepId, objects: await ctx.aws.objects() }, sendFor(ctx, wave, ids, doc, op.id), { labels, timeoutSeconds: patchTimeouts(ids.length, wave.rolling ? ctx.envCtx.env.ssm.maxConcurrency : '1', execSecondsOf(doc)).waitSeconds, ...pollOpts(ctx) });
          } catch (err) {
            throw stepError('PatchScanFailed', `Scan of wave ${wave.name} could not be sent: ${errorMessage(err)}`);
          }
          for (const h of run.hosts) {
            const pending = pendingUpdates(h.tail);
            rows.push({ wave: wave.name, instanceId: h.instanceId, role: labels[h.instanceId] ?? 'worker', status: h.status, pending: pending ?? null, tail: h.tail.slice(-3) });
            ctx.progress(`${wave.name} ${hostLabel({ instanceId: h.instanceId, role: labels[h.instanceId] })}: ${h.status}, pending updates: ${pending ?? 'unknown (no output)'}`);
          }
        }
        const failed = rows.filter((r) => r.status !== 'Success');
        if (failed.length) throw stepError('PatchScanFailed', `The scan failed on ${failed.length} host(s): ${failed.map((r) => `${r.instanceId} ${r.status}`).join(', ')}.`);
        const known = rows.filter((r) => r.pending !== null);
        return {
          changed: false,
          summary: `${rows.length} host(s) scanned; ${known.length ? `${known.reduce((a, r) => a + (r.pending ?? 0), 0)} pending update(s) on ${known.length} host(s) that reported` : 'no host reported a count'}`,
          outputs: { Hosts: String(rows.length) },
          evidence: { rows },
        };
      },
    }),
  ];
}
