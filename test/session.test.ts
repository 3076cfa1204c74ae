/**
 * Opening an environment (src/session.ts) on the day-2 fakes (test/ops/helpers.ts): the
 * caller's account against the config's pin, the region the shell would use, the lock held
 * until close and released when the ledger is refused.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { writeFileSync } from 'node:fs';
import { world, type World } from './ops/helpers.js';
import { openSession } from '../src/session.js';
import type { AwsSettings } from '../src/aws/profile.js';
import type { CommandContext } from '../src/context.js';

let w: World;
afterEach(() => w?.cleanup());

const open = (ctx: CommandContext, lock = true) => openSession(ctx, { command: 'test', lock });

describe('openSession', () => {
  it('GIVEN a deployed environment WHEN opened with the lock THEN the caller is on the ledger and a second locked open is refused until close', async () => {
    w = world();
    const s = await open(w.ctx());
    expect(s.ledger.data.facts).toMatchObject({ accountId: '123456789012', region: 'us-west-2' });
    expect(s.envCtx).toMatchObject({ name: 'dev', region: 'us-west-2', accountId: '123456789012', operator: 'arn:aws:iam::123456789012:user/tester' });
    await expect(open(w.ctx())).rejects.toMatchObject({ code: expect.stringMatching(/Lock/) });
    await s.close();
    await (await open(w.ctx())).close();
  });

  it('GIVEN the config pins another account THEN refused naming both accounts, before any lock', async () => {
    w = world();
    writeFileSync(w.config, 'version: 1\nproject: dataplatform\nenvironments:\n  dev: { accountId: "999999999999" }\n');
    await expect(open(w.ctx())).rejects.toThrow(/credentials are for account 123456789012, but environment "dev" is pinned to account 999999999999/);
  });

  it('GIVEN the shell region differs from where the environment lives THEN a warning names both and the config wins', async () => {
    w = world();
    const chain = { profile: 'default', profileNamed: false, region: 'eu-central-1', regionSource: 'AWS_REGION', sso: false } as AwsSettings;
    const s = await open({ ...w.ctx(), awsSettings: async () => chain }, false);
    expect(s.region).toBe('us-west-2');
    await s.close();
    expect(w.io.ofType('warning').map((e) => e.message)).toEqual([
      expect.stringMatching(/^AWS_REGION is eu-central-1, but environment "dev" lives in us-west-2 \(dpf\.config\.yaml\): using us-west-2/),
    ]);
  });

  it('GIVEN a ledger of another account THEN refused, and the lock it took is released', async () => {
    w = world();
    const l = await w.ledger();
    await l.update((d) => {
      d.facts.accountId = '111122223333';
    }, w.clock.now());
    await l.flush();
    await expect(open(w.ctx())).rejects.toThrow(
      /credentials are for account 123456789012, but environment "dev" lives in account 111122223333 \(its ledger says so\)/,
    );
    await l.update((d) => {
      d.facts.accountId = '123456789012';
    }, w.clock.now());
    await l.flush();
    await (await open(w.ctx())).close();
  });
});
