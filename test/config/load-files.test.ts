/** The config file as a file: whatever is wrong with it is exit 2 with a bounded message, never a crash. */
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, selectEnv, MAX_CONFIG_BYTES } from '../../src/config/load.js';
import { ConfigInvalidError, DpfError, ExitCode, excerpt, bounded } from '../../src/errors.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dpf-config-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
};
const fail = async (file: string) => (await loadConfig(file).catch((e: unknown) => e)) as DpfError;
const all = (e: DpfError) => [e.message, ...e.details, e.hint ?? ''].join('\n');

describe('GIVEN a config path that is not a readable YAML file', () => {
  it('WHEN it is a directory THEN exit 2 says so and names the file to pass', async () => {
    const dir = path.join(tmp, 'conf.d');
    mkdirSync(dir);
    const e = await fail(dir);
    expect(e).toBeInstanceOf(DpfError);
    expect(e).toMatchObject({ code: 'ConfigNotAFile', exitCode: ExitCode.Usage });
    expect(e.hint).toContain(path.join(dir, 'dpf.config.yaml'));
  });

  it('WHEN it is larger than a config can be THEN exit 2 without reading it', async () => {
    const f = write('huge.yaml', `project: ${'a'.repeat(MAX_CONFIG_BYTES + 10)}\n`);
    const e = await fail(f);
    expect(e).toMatchObject({ code: 'ConfigTooLarge', exitCode: ExitCode.Usage });
    expect(all(e).length).toBeLessThan(1000);
  });

  it('WHEN it is a YAML alias bomb THEN exit 2 names the aliases, no crash', async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    ].join('\n');
    const e = await fail(write('bomb.yaml', `${bomb}\n`));
    expect(e).toBeInstanceOf(ConfigInvalidError);
    expect(e.exitCode).toBe(ExitCode.Usage);
    expect(all(e)).toMatch(/aliases/);
  });

  it('WHEN a value is 1 MB long THEN the message quotes an excerpt with its length, not the value', async () => {
    const f = write('long.yaml', `version: 1\nproject: dataplatform\nenvironments:\n  dev:\n    identity:\n      domain: "${'x'.repeat(900_000)} y"\n`);
    const e = await fail(f);
    expect(e).toBeInstanceOf(ConfigInvalidError);
    expect(all(e)).toMatch(/environments\.dev\.identity\.domain: .*characters/);
    expect(all(e).length).toBeLessThan(2000);
  });

  it('WHEN a key is duplicated THEN exit 2 names the line', async () => {
    const e = await fail(write('dup.yaml', 'version: 1\nproject: a1\nproject: a2\nenvironments: {dev: {}}\n'));
    expect(e).toBeInstanceOf(ConfigInvalidError);
    expect(e.details[0]).toMatch(/^\(yaml\) line 3: /);
  });

  it('WHEN the file is empty THEN exit 2 names the root', async () => {
    const e = await fail(write('empty.yaml', ''));
    expect(e).toBeInstanceOf(ConfigInvalidError);
    expect(e.details.join('\n')).toMatch(/\(root\)/);
  });
});

describe("GIVEN --region overriding the environment's region", () => {
  it("WHEN the config's zones are not in that region THEN selectEnv refuses (exit 2) naming the zones", async () => {
    const loaded = await loadConfig(write('ok.yaml', 'version: 1\nproject: dataplatform\nenvironments:\n  dev: {}\n'));
    const e = (() => {
      try {
        selectEnv(loaded, 'dev', 'us-east-1');
      } catch (err) {
        return err as DpfError;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(ConfigInvalidError);
    expect(e!.details.join('\n')).toMatch(/environments\.dev\.availabilityZones\[0\]: "us-west-2a" is not a zone of region us-east-1.*--region us-east-1/);
    expect(selectEnv(loaded, 'dev', 'us-west-2').name).toBe('dev');
  });
});

describe('GIVEN the message helpers', () => {
  it('WHEN a value is long THEN excerpt cuts it and says how long it was', () => {
    expect(excerpt('abc')).toBe('"abc"');
    expect(excerpt('x'.repeat(1000), 10)).toBe('"xxxxxxxxxx"… (1000 characters)');
    expect(bounded('y'.repeat(400), 300)).toMatch(/… \(100 more characters\)$/);
  });
});
