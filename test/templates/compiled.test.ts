import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compiledTemplate, templateDigest, templateFile, TEMPLATE_NAMES, PACKAGE_ROOT } from '../../src/templates/registry.js';
import { parseCfnTemplate } from '../../src/templates/cfn-yaml.js';

describe('Templates parsed at build time (issue 14: an unchanged rerun parses no YAML)', () => {
  const text = readFileSync(templateFile('network'), 'utf8');

  it('GIVEN an entry made from this very text WHEN read THEN its template is used', () => {
    const template = parseCfnTemplate(text);
    expect(compiledTemplate({ sha256: templateDigest(text), template }, text)).toBe(template);
  });

  it.each([
    ['made from an older text', (t: string) => ({ sha256: templateDigest(`${t}\n# edited`), template: {} })],
    ['without a digest', () => ({ template: {} })],
    ['without a template', (t: string) => ({ sha256: templateDigest(t) })],
    ['not an object', () => 'x'],
  ])('GIVEN an entry %s WHEN read THEN it is not used (the YAML is parsed)', (_what, entry) => {
    expect(compiledTemplate(entry(text), text)).toBeUndefined();
  });

  it.each(TEMPLATE_NAMES.map((n) => [n]))(
    'GIVEN the build (npm run build) WHEN the compiled %s is read THEN it is exactly the parse of the bundled YAML',
    (name) => {
      const yaml = readFileSync(templateFile(name), 'utf8');
      const entry = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'dist', 'templates', 'compiled', `${name}.json`), 'utf8'));
      const compiled = compiledTemplate(entry, yaml);
      expect(compiled, `${name}: rebuild (npm run build) after editing the template`).toBeDefined();
      expect(isDeepStrictEqual(compiled, parseCfnTemplate(yaml))).toBe(true);
    },
  );
});
