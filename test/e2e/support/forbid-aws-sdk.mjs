// Loaded with `node --import` by test/e2e/cli.test.ts: any attempt to load the AWS SDK fails loudly.
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/')) throw new Error('AWS SDK loaded: ' + specifier);
  return next(specifier, context);
}`));
