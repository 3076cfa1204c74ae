/**
 * The derived names config/names.ts checks at config time are the names the templates really
 * create: each shape, for a sample project and environment, is a physical name (or a stack
 * name) of the environment rendered offline. A template that renames a resource without
 * names.ts following would otherwise leave its rule checking a name nothing uses.
 */
import { describe, expect, it } from 'vitest';
import { DERIVED_NAMES } from '../../src/config/names.js';
import { validateConfig } from '../../src/config/load.js';
import { renderEnvironment } from '../../src/validate/environment.js';
import { namedResources } from '../../src/validate/physical-names.js';

const ACCOUNT = '123456789012';

describe('GIVEN the derived names of config/names.ts', () => {
  it.each(DERIVED_NAMES.map((s) => [s.what, s] as const))('WHEN the environment is rendered THEN the %s is one of its names', async (_what, shape) => {
    const { config } = validateConfig({ version: 1, project: 'acme', environments: { qa: { accountId: ACCOUNT } } });
    const rendered = await renderEnvironment(config!, 'qa');
    const names = new Set([...namedResources(rendered.stacks).map((n) => n.name), ...rendered.stacks.map((s) => s.stackName)]);
    const ssm = rendered.stacks.flatMap((s) =>
      Object.values(s.rendered.resources)
        .filter((r) => r.Type === 'AWS::SSM::Parameter')
        .map((r) => String(r.Properties?.Name)),
    );
    expect([...names, ...ssm]).toContain(shape.name('acme', 'qa', ACCOUNT));
    // The loader and the semantic rules judge the name by the same entry of spec/aws-names.ts.
    const found = namedResources(rendered.stacks).find((n) => n.name === shape.name('acme', 'qa', ACCOUNT));
    if (found) expect(found.spec).toBe(shape.spec);
  });
});
