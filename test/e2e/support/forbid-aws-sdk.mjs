// Loaded with `node --import` by test/e2e/cli.test.ts: any attempt to load the AWS SDK fails loudly.
// One module is allowed: the SDK's shared-config (ini) loader, which init uses to read the AWS CLI's
// default region from ~/.aws/config — no client, no credentials, no network.
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === '@smithy/core/config') return next(specifier, context);
  if (specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/')) throw new Error('AWS SDK loaded: ' + specifier);
  return next(specifier, context);
}`));
