/** The live view's policy, on a fake terminal stream: what is drawn, what is printed once, and in which colour class. */
import { describe, it, expect } from 'vitest';
import { stripVTControlCharacters } from 'node:util';
import ansiEscapes from 'ansi-escapes';
import { TtyRenderer } from '../../src/ui/tty.js';
import { PlainRenderer } from '../../src/ui/renderers.js';
import { runDoneLine, makeChalk } from '../../src/ui/format.js';

function stream(columns = 80) {
  let out = '';
  return { write: (s: string) => ((out += s), true), columns, rows: 30, text: () => stripVTControlCharacters(out), raw: () => out };
}

const start = (r: TtyRenderer, ids: string[]) =>
  r.notify({
    type: 'run-start',
    runId: 'r',
    command: 'deploy',
    env: 'dev',
    steps: ids.map((id) => ({ id, title: `title of ${id}`, phase: id.split('.')[0]! })),
  });

describe('TtyRenderer', () => {
  it('GIVEN the terminal narrowed and its SIGWINCH not yet handled WHEN the next tick draws THEN the reflowed region is erased whole first and lines are cut to the new width (no remnant of the wide region)', async () => {
    let cols = 120;
    const s = { ...stream(120), getWindowSize: (): [number, number] => [cols, 30] };
    const r = new TtyRenderer(s, false, { yes: true, now: () => 0 });
    start(r, ['p.a', 'p.b']);
    r.notify({ type: 'step-start', stepId: 'p.a', title: 't' });
    r.notify({ type: 'step-progress', stepId: 'p.a', message: `CREATE_IN_PROGRESS ${'x'.repeat(80)}` });
    const before = s.raw().length;
    cols = 60; // the pty is 60 wide now; s.columns still says 120 (no 'resize' event yet)
    r.notify({ type: 'step-progress', stepId: 'p.a', message: `CREATE_IN_PROGRESS ${'y'.repeat(80)}` });
    const after = s.raw().slice(before);
    // The step line and the footer (each over 60 characters at 120 columns) now span two rows each: 4 rows + the cursor's.
    // log-update alone would have erased 2 + 1, leaving the top of the wide region on screen.
    expect(after.startsWith(ansiEscapes.eraseLines(5))).toBe(true);
    const drawn = stripVTControlCharacters(after)
      .split('\n')
      .filter((l) => l.trim());
    expect(drawn.length).toBeGreaterThan(0);
    for (const l of drawn) expect(l.length).toBeLessThanOrEqual(60);
    await r.close();
  });

  it('GIVEN 30 pending steps and one running WHEN drawn THEN only the running step has a line, the rest are counted', async () => {
    const s = stream();
    const r = new TtyRenderer(s, false, { yes: true, now: () => 0 });
    start(
      r,
      Array.from({ length: 31 }, (_, i) => `p.s${i}`),
    );
    r.notify({ type: 'step-start', stepId: 'p.s0', title: 't' });
    r.notify({ type: 'step-progress', stepId: 'p.s0', message: 'CREATE_IN_PROGRESS AWS::EC2::VPC Vpc' });
    const text = s.text();
    expect(text).toContain('p.s0');
    expect(text).toContain('CREATE_IN_PROGRESS AWS::EC2::VPC Vpc');
    expect(text).not.toContain('p.s1 ');
    expect(text).toMatch(/1 running · 0 finished · 30 to go/);
    await r.close();
  });

  it.each([
    ['pass', '✔ pass'],
    ['warn', '⚠ warn'],
    ['unknown', '? unknown'],
  ] as const)('GIVEN a check done with verdict %s THEN its line says %s (unknown is never a green tick)', async (verdict, mark) => {
    const s = stream();
    const r = new TtyRenderer(s, true, { yes: true, now: () => 0 });
    start(r, ['golive.x']);
    r.notify({ type: 'step-start', stepId: 'golive.x', title: 't' });
    r.notify({ type: 'step-done', stepId: 'golive.x', changed: false, durationSeconds: 1, summary: `${verdict}: s`, verdict });
    expect(s.text()).toContain(`${mark} golive.x`);
    if (verdict === 'unknown') expect(s.raw()).not.toMatch(/\u001b\[32m\? unknown/);
    await r.close();
  });

  it('GIVEN a declined change set THEN it is shown as declined (not failed) and nothing red', async () => {
    const s = stream();
    const r = new TtyRenderer(s, true, { yes: false, now: () => 0 });
    start(r, ['network.stack']);
    r.notify({ type: 'step-start', stepId: 'network.stack', title: 't' });
    r.notify({ type: 'step-declined', stepId: 'network.stack', message: 'Not confirmed' });
    expect(s.text()).toContain('■ network.stack  declined: nothing was changed');
    expect(s.raw()).not.toContain('\u001b[31m');
    await r.close();
  });

  it('GIVEN a question for a step WHEN it begins THEN the live region is cleared, its change set (with security-widening changes) is printed above it, and other lines wait until the answer', async () => {
    const s = stream(120);
    const r = new TtyRenderer(s, false, { yes: false, now: () => 0 });
    start(r, ['network.stack', 'bootstrap.state']);
    r.notify({ type: 'step-start', stepId: 'network.stack', title: 't' });
    r.notify({ type: 'step-start', stepId: 'bootstrap.state', title: 't' });
    r.notify({
      type: 'changeset',
      stepId: 'network.stack',
      stackName: 'x-network',
      changes: [
        { action: 'Add', logicalId: 'Sg', resourceType: 'AWS::EC2::SecurityGroup' },
        {
          action: 'Modify',
          logicalId: 'Vpc',
          resourceType: 'AWS::EC2::VPC',
          properties: [{ path: 'Properties.Tags', change: 'Modify', before: 'a', after: 'b' }],
        },
      ],
      security: [{ logicalId: 'Sg', resourceType: 'AWS::EC2::SecurityGroup', kind: 'ingress', description: 'new rule: tcp 22 from 0.0.0.0/0' }],
    });
    expect(s.text()).not.toContain('change set for x-network');
    r.beginQuestion('network.stack');
    const atQuestion = s.text();
    // Modifications first (they matter more), each with its property-level changes.
    expect(atQuestion).toMatch(
      /network\.stack: change set for x-network:\n {2}~ Modify Vpc .*\n {6}~ Properties\.Tags: a → b\n {2}\+ Add {4}Sg[\s\S]*1 change\(s\) widen access[\s\S]*ingress Sg \(AWS::EC2::SecurityGroup\): new rule: tcp 22 from 0\.0\.0\.0\/0/,
    );
    r.notify({ type: 'step-done', stepId: 'bootstrap.state', changed: true, durationSeconds: 2 });
    expect(s.text()).toBe(atQuestion);
    r.endQuestion();
    expect(s.text().slice(atQuestion.length)).toMatch(/✔ bootstrap\.state/);
    await r.close();
  });

  it('GIVEN a run with unknown checks WHEN it ends THEN the closing line counts them, is not a green tick, and carries no resume command', () => {
    const c = makeChalk(false);
    const line = runDoneLine(c, {
      type: 'run-done',
      runId: 'r',
      status: 'done',
      durationSeconds: 75,
      counts: { done: 20, skipped: 12 },
      verdicts: { pass: 5, unknown: 12 },
      resume: 'dpf deploy --env dev',
    });
    expect(line).toBe('? done, with unverified checks, in 1m 15s (20 done, 12 skipped, 12 check(s) unknown (not verified))');
    const plain: string[] = [];
    new PlainRenderer(
      (l) => plain.push(l),
      () => new Date(0),
      false,
    ).notify({ type: 'run-done', runId: 'r', status: 'interrupted', durationSeconds: 3, counts: { done: 1, interrupted: 2 }, resume: 'dpf deploy --env dev' });
    expect(plain[0]).toMatch(/■ interrupted in 3s \(1 done, 2 interrupted\)$/);
  });

  it.each<[string, 'template' | undefined, string]>([
    ['a change set', undefined, 'change set for x-network:'],
    ['a new stack made with CreateStack (--yes): the template says what is created', 'template', 'to create in x-network:'],
  ])('GIVEN %s WHEN it is shown THEN the live view and the plain lines say so', async (_what, source, heading) => {
    const ev = {
      type: 'changeset' as const,
      stepId: 'network.stack',
      stackName: 'x-network',
      changes: [{ action: 'Add', logicalId: 'Vpc', resourceType: 'AWS::EC2::VPC' }],
      ...(source ? { source } : {}),
    };
    const s = stream(120);
    const r = new TtyRenderer(s, false, { yes: true, now: () => 0 });
    start(r, ['network.stack']);
    r.notify({ type: 'step-start', stepId: 'network.stack', title: 't' });
    r.notify(ev);
    expect(s.text()).toContain(`network.stack: ${heading}`);
    await r.close();
    const plain: string[] = [];
    new PlainRenderer(
      (l) => plain.push(l),
      () => new Date(0),
      false,
    ).notify(ev);
    expect(plain[0]).toContain(heading);
  });
});
