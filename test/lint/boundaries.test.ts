/**
 * The architecture's lint rules (eslint.config.js) fail on a violation: each case lints a small
 * file placed (virtually) in a layer of src/ and names the rule that must refuse it, or, for
 * what the layers allow, that nothing is reported. The real tree is linted by `npm run lint`
 * (scripts/test.sh runs it before the tests).
 */
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: ROOT });

async function lint(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return r!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('GIVEN a file that imports upward (a layer above its own)', () => {
  it.each([
    [
      'the foundation importing the session',
      'src/errors.ts',
      "import { openSession } from './session.js';\nexport const x = openSession;\n",
      /"foundation" to elements of type "runtime"/,
    ],
    [
      'the IO protocol importing the engine',
      'src/io/fixture.ts',
      "import type { StepDef } from '../steps/types.js';\nexport type X = StepDef;\n",
      /"io" to elements of type "engine"/,
    ],
    [
      'an AWS adapter importing the engine',
      'src/aws/fixture.ts',
      "import { buildSteps } from '../steps/phases.js';\nexport const x = buildSteps;\n",
      /"aws" to elements of type "engine"/,
    ],
    [
      'an AWS adapter importing the state (the lease port lives in aws/)',
      'src/aws/fixture.ts',
      "import type { Ledger } from '../state/ledger.js';\nexport type X = Ledger;\n",
      /"aws" to elements of type "state"/,
    ],
    [
      'the state importing the engine (StepStatus belongs to io/)',
      'src/state/fixture.ts',
      "import type { StepDef } from '../steps/types.js';\nexport type X = StepDef;\n",
      /"state" to elements of type "engine"/,
    ],
    [
      'ssm importing the engine',
      'src/ssm/fixture.ts',
      "import { runSteps } from '../steps/engine.js';\nexport const x = runSteps;\n",
      /"node" to elements of type "engine"/,
    ],
    [
      'a check importing the engine (golive steps are built in steps/)',
      'src/checks/fixture.ts',
      "import { checkStep } from '../steps/kinds/check.js';\nexport const x = checkStep;\n",
      /"checks" to elements of type "engine"/,
    ],
    [
      'the engine importing the runtime (AwsPorts lives in aws/)',
      'src/steps/fixture.ts',
      "import { openSession } from '../session.js';\nexport const x = openSession;\n",
      /"engine" to elements of type "runtime"/,
    ],
    [
      'the runtime importing a command',
      'src/session.ts',
      "import { runStatus } from './commands/status.js';\nexport const x = runStatus;\n",
      /"runtime" to elements of type "commands"/,
    ],
    [
      'a report importing the preflight (no edge between those features)',
      'src/reports/fixture.ts',
      "import { runPreflight } from '../preflight/index.js';\nexport const x = runPreflight;\n",
      /"reports" to elements of type "preflight"/,
    ],
    [
      'ops importing the status feature',
      'src/ops/fixture.ts',
      "import { gatherStatus } from '../status/facts.js';\nexport const x = gatherStatus;\n",
      /"ops" to elements of type "status"/,
    ],
    [
      'ui calling the session (a value, not a type)',
      'src/ui/fixture.ts',
      "import { openSession } from '../session.js';\nexport const x = openSession;\n",
      /"ui" to elements of type "runtime"/,
    ],
    [
      'ui importing a command',
      'src/ui/fixture.ts',
      "import { runInit } from '../commands/init.js';\nexport const x = runInit;\n",
      /"ui" to elements of type "commands"/,
    ],
    [
      'a command building AWS ports itself',
      'src/commands/fixture.ts',
      "import { sdkPorts } from '../aws/factory.js';\nexport const x = sdkPorts;\n",
      /"commands" to elements of type "aws"/,
    ],
    [
      'a command importing the CLI',
      'src/commands/fixture.ts',
      "import { main } from '../cli.js';\nexport const x = main;\n",
      /"commands" to elements of type "cli"/,
    ],
  ])('WHEN it is %s THEN boundaries/dependencies refuses it', async (_what, file, code, message) => {
    const problems = await lint(file, code);
    expect(problems.join('\n')).toMatch(/^boundaries\/dependencies: /);
    expect(problems.join('\n')).toMatch(message);
  });
});

describe('GIVEN what the layers allow', () => {
  it.each([
    [
      'a command using the engine, the session and ui',
      'src/commands/fixture.ts',
      "import { runSteps } from '../steps/engine.js';\nimport { openSession } from '../session.js';\nimport { renderStatus } from '../ui/status-view.js';\nexport const x = [runSteps, openSession, renderStatus];\n",
    ],
    ['a command naming a port type', 'src/commands/fixture.ts', "import type { Lease } from '../aws/ports.js';\nexport type X = Lease;\n"],
    ['ui drawing a type of a feature', 'src/ui/fixture.ts', "import type { StatusFacts } from '../status/facts.js';\nexport type X = StatusFacts;\n"],
    [
      'preflight running the semantic rules',
      'src/preflight/fixture.ts',
      "import { checkEnvironment } from '../validate/index.js';\nexport const x = checkEnvironment;\n",
    ],
    [
      'the engine using checks, ssm, state and aws',
      'src/steps/fixture.ts',
      "import { GOLIVE_CHECKS } from '../checks/index.js';\nimport { runCommand } from '../ssm/run-command.js';\nimport { Ledger } from '../state/ledger.js';\nimport { notOffered } from '../aws/endpoint.js';\nexport const x = [GOLIVE_CHECKS, runCommand, Ledger, notOffered];\n",
    ],
    ['config asking the partition data', 'src/config/fixture.ts', "import { partitionOf } from '../aws/partitions.js';\nexport const x = partitionOf;\n"],
    ['an adapter using the SDK', 'src/aws/fixture.ts', "import { S3Client } from '@aws-sdk/client-s3';\nexport const x = S3Client;\n"],
    ['ui using chalk', 'src/ui/fixture.ts', "import chalk from 'chalk';\nexport const x = chalk;\n"],
    ['the CLI reading the process', 'src/cli.ts', 'export const x = process.env.DPF_POLL_MS;\n'],
    ['the fast entry reading the process', 'src/fast-entry.ts', 'export const x = process.argv;\n'],
  ])('WHEN it is %s THEN nothing is reported', async (_what, file, code) => {
    expect(await lint(file, code)).toEqual([]);
  });
});

describe('GIVEN `process` or a library outside its folder', () => {
  it.each([
    [
      'process.env in the engine',
      'src/steps/fixture.ts',
      'export const x = process.env.DPF_POLL_MS;\n',
      /^no-restricted-globals: .*Only src\/cli\.ts and src\/fast-entry\.ts read the process/,
    ],
    ['process.pid in the state', 'src/state/fixture.ts', 'export const x = process.pid;\n', /^no-restricted-globals: /],
    ['globalThis.process in ops', 'src/ops/fixture.ts', 'export const x = globalThis.process.env.HOME;\n', /^no-restricted-properties: /],
    [
      'node:process imported in checks',
      'src/checks/fixture.ts',
      "import { env } from 'node:process';\nexport const x = env;\n",
      /^no-restricted-imports: .*node:process/,
    ],
    [
      'chalk in the engine',
      'src/steps/fixture.ts',
      "import chalk from 'chalk';\nexport const x = chalk;\n",
      /^no-restricted-imports: .*Only src\/ui\/ draws on the terminal/,
    ],
    [
      '@inquirer/prompts in a command',
      'src/commands/fixture.ts',
      "import { input } from '@inquirer/prompts';\nexport const x = input;\n",
      /^no-restricted-imports: .*Only src\/ui\//,
    ],
    [
      'log-update in ops',
      'src/ops/fixture.ts',
      "import logUpdate from 'log-update';\nexport const x = logUpdate;\n",
      /^no-restricted-imports: .*Only src\/ui\//,
    ],
    ['listr2 in the CLI', 'src/cli.ts', "import { Listr } from 'listr2';\nexport const x = Listr;\n", /^no-restricted-imports: .*Only src\/ui\//],
    ['chalk in an adapter', 'src/aws/fixture.ts', "import chalk from 'chalk';\nexport const x = chalk;\n", /^no-restricted-imports: .*Only src\/ui\//],
    [
      'the AWS SDK in the engine',
      'src/steps/fixture.ts',
      "import { S3Client } from '@aws-sdk/client-s3';\nexport const x = S3Client;\n",
      /^no-restricted-imports: .*Only src\/aws\/ talks to the AWS SDK/,
    ],
    [
      "the SDK's partition data in config",
      'src/config/fixture.ts',
      "import { partition } from '@aws-sdk/core/client';\nexport const x = partition;\n",
      /^no-restricted-imports: .*Only src\/aws\//,
    ],
    [
      'smithy in ui',
      'src/ui/fixture.ts',
      "import { loadSharedConfigFiles } from '@smithy/core/config';\nexport const x = loadSharedConfigFiles;\n",
      /^no-restricted-imports: .*Only src\/aws\//,
    ],
  ])('WHEN it is %s THEN it is refused', async (_what, file, code, message) => {
    const problems = await lint(file, code);
    expect(problems.length, problems.join('\n')).toBeGreaterThan(0);
    expect(problems[0]).toMatch(message);
  });
});
