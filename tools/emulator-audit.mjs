// Duplicate writes, counted from the emulator's audit log (tools/moto_server.py writes one JSON
// line per write it really carried out when DPF_EMULATOR_AUDIT names a file). A deploy of an
// environment from scratch — however often it was killed, throttled or lost answers — must
// create each stack once, create one change set per stack and execute it once, and send each
// playbook step's command once. Anything beyond is a duplicate.
import { readFileSync, existsSync } from 'node:fs';

export function readAudit(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/**
 * Duplicates among the audit entries of one environment: stacks named `<project>-<env>-…`, and
 * commands whose targets are that environment's nodes. Returns the counts and what was doubled.
 */
export function countDuplicates(entries, { project = 'dataplatform', env }) {
  const prefix = `${project}-${env}-`;
  const mine = (e) => (e.stack && e.stack.startsWith(prefix) ? e.stack : undefined);
  const per = (op, key) => {
    const m = new Map();
    for (const e of entries) if (e.op === op && key(e)) m.set(key(e), (m.get(key(e)) ?? 0) + 1);
    return m;
  };
  const what = [];
  const over = (m, label) => {
    let n = 0;
    for (const [k, v] of m)
      if (v > 1) {
        n += v - 1;
        what.push(`${label} ${k} x${v}`);
      }
    return n;
  };
  // A stack created again while one of that name is alive is a second, same-name stack.
  const alive = new Map();
  let stacks = 0;
  for (const e of entries) {
    if (!mine(e)) continue;
    if (e.op === 'CreateStack') {
      if (alive.get(e.stack)) {
        stacks++;
        what.push(`second stack ${e.stack}`);
      }
      alive.set(e.stack, true);
    }
    if (e.op === 'DeleteStack') alive.set(e.stack, false);
  }
  const created = per('CreateChangeSet', mine);
  const changeSets = over(created, 'change sets created for');
  const executions = over(per('ExecuteChangeSet', mine), 'change sets executed for');
  // Playbook steps: `dpf-m-<marker> dpf <step> run <playbook>`: one command per step; and one per marker.
  const ours = (e) => e.env === env;
  const commands = per('SendCommand', (e) => (ours(e) ? /\bdpf ([a-z]+\.[a-z0-9-]+) run \S+/.exec(e.comment ?? '')?.[1] : undefined));
  const sent = over(commands, 'commands sent for');
  const markers = over(
    per('SendCommand', (e) => (ours(e) ? /^(dpf-m-[0-9a-f]+)/.exec(e.comment ?? '')?.[1] : undefined)),
    'commands sharing marker',
  );
  return {
    stacks,
    changeSets,
    executions,
    commands: sent + markers,
    total: stacks + changeSets + executions + sent + markers,
    what,
    counted: { stacks: alive.size, changeSets: [...created.values()].reduce((a, b) => a + b, 0), commands: [...commands.values()].reduce((a, b) => a + b, 0) },
  };
}
