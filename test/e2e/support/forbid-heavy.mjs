// Loaded with `node --import` by test/e2e/cli.test.ts for `dpf status --offline` with a warm config
// cache (issue 14, start-up): none of what the offline view does not need may load — the AWS SDK
// (not even its shared-config or partition modules), the YAML parser, the schema library, the
// semantic rules' cron parser, the live view and prompts.
import { register } from 'node:module';
register(
  'data:text/javascript,' +
    encodeURIComponent(`
const HEAVY = [/^@aws-sdk\\//, /^@smithy\\//, /^yaml$/, /^zod/, /^cron-validate$/, /^log-update$/, /^@inquirer\\//, /^listr2$/];
export async function resolve(specifier, context, next) {
  if (HEAVY.some((h) => h.test(specifier))) throw new Error('heavy module loaded: ' + specifier);
  return next(specifier, context);
}`),
);
