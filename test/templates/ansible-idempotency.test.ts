/**
 * Idempotency of the Ansible bundle, read from the role YAML (Ansible cannot run on a real host
 * here, so a second run's changed=0 is argued task by task): every task that runs a command
 * (command, shell, raw, script) must say when it changes something —
 * - `creates:` / `removes:` (it does not run again once its result exists), or
 * - `changed_when:` an expression over its result (a read, or a CLI that reports "no changes"), or
 * - `changed_when: true` only where it cannot run on a second pass: a handler (it runs only when
 *   a change notified it), or a task (or its block, or every include of its file) guarded by a
 *   `when:` on the state it changes.
 * Modules that manage state declaratively (dnf, file, template, lineinfile, systemd_service, …)
 * are idempotent by contract and are not listed here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const BUNDLE = path.resolve(import.meta.dirname, '..', '..', 'templates', 'ansible');
type Json = any;

const COMMAND_MODULES = [
  'ansible.builtin.command',
  'ansible.builtin.shell',
  'ansible.builtin.raw',
  'ansible.builtin.script',
  'command',
  'shell',
  'raw',
  'script',
];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const full = path.join(dir, e);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

interface Found {
  file: string;
  task: Json;
  handler: boolean;
  /** A `when:` on an enclosing block. */
  guardedByBlock: boolean;
}

function tasksOf(list: Json, file: string, handler: boolean, guarded = false): Found[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((t: Json) => {
    if (!t || typeof t !== 'object') return [];
    const inner = ['block', 'rescue', 'always'].flatMap((k) => tasksOf(t[k], file, handler, guarded || Boolean(t.when)));
    return [{ file, task: t, handler, guardedByBlock: guarded }, ...inner];
  });
}

/** Every task of the bundle: roles' tasks and handlers, and the playbooks' own tasks. */
function allTasks(): Found[] {
  const out: Found[] = [];
  for (const file of walk(path.join(BUNDLE, 'roles')).filter((f) => /\/(tasks|handlers)\/[^/]+\.yml$/.test(f)))
    out.push(...tasksOf(YAML.parse(readFileSync(file, 'utf8')), file, file.includes('/handlers/')));
  for (const file of readdirSync(BUNDLE)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => path.join(BUNDLE, f)))
    for (const play of YAML.parse(readFileSync(file, 'utf8')) ?? [])
      for (const key of ['pre_tasks', 'tasks', 'post_tasks', 'handlers']) out.push(...tasksOf(play[key], file, key === 'handlers'));
  return out;
}

/** Task files every include of which carries a `when:` (their tasks run only when that holds). */
function guardedTaskFiles(tasks: Found[]): Set<string> {
  const sites = new Map<string, boolean[]>();
  for (const { file, task } of tasks)
    for (const key of ['ansible.builtin.include_tasks', 'ansible.builtin.import_tasks']) {
      const target = task[key];
      if (typeof target !== 'string') continue;
      const resolved = path.join(path.dirname(file), target);
      sites.set(resolved, [...(sites.get(resolved) ?? []), Boolean(task.when)]);
    }
  return new Set([...sites].filter(([, whens]) => whens.every(Boolean)).map(([f]) => f));
}

const rel = (f: string) => path.relative(BUNDLE, f);
const moduleOf = (t: Json) => COMMAND_MODULES.find((m) => m in t);

describe('GIVEN every command-running task of the Ansible bundle', () => {
  const tasks = allTasks();
  const guardedFiles = guardedTaskFiles(tasks);
  const commands = tasks.filter((f) => moduleOf(f.task));

  it('WHEN counted THEN there are many (the rule is not vacuous)', () => {
    expect(commands.length).toBeGreaterThan(40);
    expect(existsSync(path.join(BUNDLE, 'roles', 'common', 'tasks', 'main.yml'))).toBe(true);
  });

  it.each(commands.map((c) => [`${rel(c.file)}: ${c.task.name}`, c] as const))('WHEN reading %s THEN a second run reports no change', (_label, c) => {
    const args = c.task[moduleOf(c.task)!];
    const createsOrRemoves = args && typeof args === 'object' && ('creates' in args || 'removes' in args);
    const changedWhen = c.task.changed_when;
    const guarded = c.handler || Boolean(c.task.when) || c.guardedByBlock || guardedFiles.has(c.file);
    const ok =
      createsOrRemoves || changedWhen === false || (typeof changedWhen === 'string' && changedWhen.trim() !== 'true') || (changedWhen === true && guarded);
    expect(ok, 'needs creates/removes, a changed_when expression, or changed_when: true under a when/handler').toBe(true);
  });

  it('WHEN a task says it never changes anything THEN it only reads: no install, add, mod, del or write verbs', () => {
    const writes = /\b(install|add|mod|del|delete|create|put|tag-resource|mkfs|rm|mv|restart|enable)\b/;
    const readOnly = commands.filter((c) => c.task.changed_when === false);
    const suspicious = readOnly.filter((c) => {
      const args = c.task[moduleOf(c.task)!];
      const argv: string[] = Array.isArray(args?.argv) ? args.argv.map(String) : [String(args?.cmd ?? args)];
      // kinit only obtains a ticket; "get-", "describe-", "show", "list", "find", "blkid" read.
      return argv.slice(0, 3).some((a) => writes.test(a)) && !/kinit/.test(argv[0] ?? '');
    });
    expect(suspicious.map((c) => `${rel(c.file)}: ${c.task.name}`)).toEqual([]);
  });
});
