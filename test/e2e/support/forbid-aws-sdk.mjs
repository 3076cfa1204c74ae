// Loaded with `node --import` by test/e2e/cli.test.ts: any attempt to load the AWS SDK fails loudly.
// Allowed: the SDK's shared-config (ini) loader, which init uses to read the AWS CLI's default region
// from ~/.aws/config, and @aws-sdk/core/client for its partition data (src/config/regions.ts checks
// region names offline with it) — neither makes a client, reads credentials or touches the network.
import { register } from 'node:module';
register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === '@smithy/core/config' || specifier === '@aws-sdk/core/client') return next(specifier, context);
  if (specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/')) throw new Error('AWS SDK loaded: ' + specifier);
  return next(specifier, context);
}`),
);
