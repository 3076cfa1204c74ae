/**
 * CloudFormation YAML → plain JSON object.
 *
 * Templates are authored in YAML with the short-form intrinsic tags (!Ref, !Sub, !GetAtt …)
 * and always sent to CloudFormation as JSON: the long form is unambiguous for every
 * consumer (the emulator parses some short forms wrongly, see AWS-EMULATOR-NOTES.md).
 */
import { parse, type ScalarTag, type CollectionTag } from 'yaml';

const FUNCTIONS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'GetAtt',
  'Length',
  'ToJsonString',
] as const;

function fnName(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

function getAttValue(value: unknown): unknown {
  // !GetAtt Resource.Attribute.With.Dots → ["Resource", "Attribute.With.Dots"]
  if (typeof value === 'string') {
    const i = value.indexOf('.');
    return i < 0 ? [value] : [value.slice(0, i), value.slice(i + 1)];
  }
  return value;
}

function makeTags(): Array<ScalarTag | CollectionTag> {
  const tags: Array<ScalarTag | CollectionTag> = [];
  for (const name of ['Ref', 'Condition', ...FUNCTIONS]) {
    const key = fnName(name);
    const wrap = (v: unknown) => ({ [key]: name === 'GetAtt' ? getAttValue(v) : v });
    tags.push({ tag: `!${name}`, resolve: (str: string) => wrap(str) } as ScalarTag);
    tags.push({ tag: `!${name}`, collection: 'seq', resolve: (seq: any) => wrap(seq.toJSON()) } as unknown as CollectionTag);
    tags.push({ tag: `!${name}`, collection: 'map', resolve: (map: any) => wrap(map.toJSON()) } as unknown as CollectionTag);
  }
  return tags;
}

const CUSTOM_TAGS = makeTags();

/** Parse a CloudFormation template written in YAML (short-form tags allowed) or JSON. */
export function parseCfnTemplate(text: string): Record<string, any> {
  const doc = parse(text, { customTags: CUSTOM_TAGS, maxAliasCount: -1 });
  if (!doc || typeof doc !== 'object') throw new Error('template is not a YAML/JSON object');
  return doc as Record<string, any>;
}
