/** --promote (src/ops/restore/promote.ts): the platform's parameter switched to a validated copy, only after a yes. */
import { afterEach, describe, expect, it } from 'vitest';
import { fails, stepHarness, world, type World } from '../helpers.js';
import { dbPromoteStep, fsPromoteStep } from '../../../src/ops/restore/promote.js';
import { RESTORE_STEPS } from '../../../src/ops/restore/keys.js';
import { ExitCode } from '../../../src/errors.js';

let w: World;
afterEach(() => w?.cleanup());

const PARAM = '/dataplatform/dev/rds/endpoint';
const OLD = 'dataplatform-dev-metadata.fake.rds.amazonaws.com';
const COPY = 'copy-1.fake.rds.amazonaws.com';
const puts = (x: World) => x.ssm.callsOf('putParameter').map((c) => c.input);

/** dbPromoteStep after a restore that recorded `endpoint`, with the parameter at `current`. */
async function promoteDb(x: World, current: string | undefined, endpoint = COPY) {
  if (current) await x.ssm.putParameter(PARAM, current, true);
  x.ssm.calls.length = 0;
  const h = await stepHarness(x);
  await h.done(RESTORE_STEPS.db, { DbInstanceIdentifier: 'copy-1', Endpoint: endpoint });
  return h.run(dbPromoteStep());
}

describe('dbPromoteStep', () => {
  it.each([
    ['the old endpoint', OLD, OLD, OLD],
    ['nothing', undefined, '(unset)', '<old value>'],
  ])('GIVEN the parameter holds %s WHEN promoting and confirmed THEN it points at the copy, and the way back is named', async (_n, current, shown, back) => {
    w = world();
    const r = await promoteDb(w, current);
    expect(w.io.questions.map((q) => q.question)).toEqual([
      `Switch environment dev to the database copy-1: set ${PARAM} from ${shown} to ${COPY}? Nodes pick it up at their next configuration run.`,
    ]);
    expect(await w.ssm.getParameter(PARAM)).toBe(COPY);
    expect(w.io.ofType('info').map((e) => e.message)).toEqual([
      expect.stringContaining(`To switch back: aws ssm put-parameter --name ${PARAM} --value ${back} --overwrite`),
    ]);
    expect(r).toMatchObject({ changed: true, outputs: { Parameter: PARAM, Value: COPY, Previous: current ?? '' }, evidence: { previous: current } });
  });

  it('GIVEN the parameter already points at the copy (a rerun) THEN nothing is asked or written', async () => {
    w = world();
    const r = await promoteDb(w, COPY);
    expect(r).toMatchObject({ changed: false, summary: `${PARAM} already points at ${COPY}` });
    expect(w.io.questions).toEqual([]);
    expect(puts(w)).toEqual([]);
  });

  it.each([
    ['declines', false],
    ['has no terminal and no --yes', 'no-tty' as const],
  ])('GIVEN the operator %s THEN NotConfirmed (exit 6) and the platform still uses the old database', async (_n, answer) => {
    w = world();
    w.io.answer = answer;
    const err = await fails(promoteDb(w, OLD));
    expect(err.exitCode).toBe(ExitCode.NotConfirmed);
    expect(await w.ssm.getParameter(PARAM)).toBe(OLD);
    expect(puts(w)).toEqual([]);
  });

  it('GIVEN the restore recorded no endpoint THEN PromoteNoValue and the parameter is untouched', async () => {
    w = world();
    const err = await fails(promoteDb(w, OLD, ''));
    expect(err.code).toBe('PromoteNoValue');
    expect(err.message).toBe(`Nothing to promote: the database copy-1 has no value for ${PARAM}.`);
    expect(puts(w)).toEqual([]);
  });
});

describe('fsPromoteStep', () => {
  async function promoteFs(x: World, mountTargets: 'yes' | 'no') {
    const h = await stepHarness(x);
    await h.done(RESTORE_STEPS.fs, { FileSystemId: 'fs-copy' });
    await h.done(RESTORE_STEPS.fsValidate, { MountTargets: mountTargets });
    return h.run(fsPromoteStep());
  }

  it('GIVEN the copy has mount targets THEN the file-system parameter points at it', async () => {
    w = world();
    await promoteFs(w, 'yes');
    expect(await w.ssm.getParameter('/dataplatform/dev/efs/file-system-id')).toBe('fs-copy');
  });

  it('GIVEN the copy has no mount target THEN refused before any question, with the commands that create them in the platform subnets', async () => {
    w = world();
    const err = await fails(promoteFs(w, 'no'));
    expect(err.code).toBe('PromoteNoMountTargets');
    expect(err.hint).toBe(
      'Create one per private subnet, then rerun with --promote:\n  aws efs create-mount-target --file-system-id fs-copy --subnet-id subnet-p1 --security-groups sg-efs',
    );
    expect(w.io.questions).toEqual([]);
    expect(puts(w)).toEqual([]);
  });
});
