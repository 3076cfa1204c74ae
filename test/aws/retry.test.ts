/**
 * dpf's retry strategy, on its own and inside real SDK clients talking to a local HTTP server
 * that answers what AWS (or an emulator) would: throttling, lost answers, HTML 500s.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudFormationClient, CreateChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { SSMClient, ListCommandInvocationsCommand } from '@aws-sdk/client-ssm';
import { classifyAwsError, DpfRetryStrategy } from '../../src/aws/retry.js';
import { clientConfig, withoutAmbiguousRetries } from '../../src/aws/clients.js';
import { createSsmPort } from '../../src/aws/sdk-ssm.js';
import { AwsAccessError, AwsThrottledError, ExitCode } from '../../src/errors.js';
import { explainAwsError } from '../../src/aws/explain.js';

type Answer = { status: number; headers?: Record<string, string>; body: string } | 'drop';
let servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  servers = [];
});

/** A server answering each request with the next scripted answer (the last one repeats); records bodies. */
async function stub(answers: Answer[]) {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      const a = answers[Math.min(bodies.length - 1, answers.length - 1)]!;
      if (a === 'drop') return req.socket.destroy();
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, bodies };
}

const FAST = { throttleBaseMs: 1, baseMs: 1, capMs: 5 };
const creds = { accessKeyId: 'a', secretAccessKey: 'b' };
const CS_OK = {
  status: 200,
  headers: { 'content-type': 'text/xml' },
  body: '<CreateChangeSetResponse><CreateChangeSetResult><Id>arn:aws:cloudformation:us-west-2:1:changeSet/cs/1</Id><StackId>arn:aws:cloudformation:us-west-2:1:stack/s/1</StackId></CreateChangeSetResult></CreateChangeSetResponse>',
};
const THROTTLED = {
  status: 400,
  headers: { 'content-type': 'text/xml' },
  body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>',
};
const HTML_500 = { status: 500, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!doctype html><title>500 Internal Server Error</title>' };

describe('GIVEN AWS errors WHEN classified', () => {
  it.each([
    [{ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }, false, 'throttled'],
    [{ name: 'Throttling' }, false, 'throttled'],
    [{ name: 'x', $metadata: { httpStatusCode: 429 } }, false, 'throttled'],
    [{ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }, false, 'throttled'],
    [{ name: 'LimitExceededException' }, false, 'other'],
    [{ name: 'Error', code: 'ECONNRESET', message: 'socket hang up' }, false, 'lost-answer'],
    [{ name: 'Error', code: 'ECONNREFUSED' }, false, 'not-sent'],
    [{ name: 'TimeoutError', message: 'Socket timed out without establishing a connection within 5000 ms' }, false, 'not-sent'],
    [{ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }, false, 'server-error'],
    [{ name: 'SyntaxError', $metadata: { httpStatusCode: 500 }, $response: { headers: { 'content-type': 'text/html' } } }, true, 'not-implemented'],
    [{ name: 'SyntaxError', $metadata: { httpStatusCode: 500 }, $response: { headers: { 'content-type': 'text/html' } } }, false, 'server-error'],
    [{ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } }, false, 'not-implemented'],
    [{ name: 'ValidationError', $metadata: { httpStatusCode: 400 } }, false, 'other'],
  ])('%j (custom endpoint %s) is %s', (err, custom, kind) => {
    expect(classifyAwsError(err, custom)).toBe(kind);
  });
});

describe('GIVEN the strategy', () => {
  const refresh = async (s: DpfRetryStrategy, errors: unknown[]) => {
    let token = await s.acquireInitialRetryToken('');
    let retries = 0;
    for (const error of errors) {
      try {
        token = await s.refreshRetryTokenForRetry(token, { error });
        retries++;
      } catch {
        return retries;
      }
    }
    return retries;
  };
  const many = (e: unknown, n = 30) => Array.from({ length: n }, () => e);

  it('WHEN throttled again and again THEN it retries on the long budget, with jittered back-off under the cap', async () => {
    const s = new DpfRetryStrategy({ random: () => 1 });
    expect(await refresh(s, many({ name: 'Throttling' }))).toBe(12);
    let t = await s.acquireInitialRetryToken('');
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      t = await s.refreshRetryTokenForRetry(t, { error: { name: 'Throttling' } });
      delays.push(t.getRetryDelay());
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 20000, 20000]);
  });

  it('WHEN the endpoint does not implement the call THEN no retry at all', async () => {
    const s = new DpfRetryStrategy({ customEndpoint: true });
    expect(await refresh(s, many({ name: 'SyntaxError', $metadata: { httpStatusCode: 500 }, $response: { headers: { 'content-type': 'text/html' } } }))).toBe(
      0,
    );
  });

  it('WHEN answers are lost THEN idempotent calls retry 4 times and a call without a token not at all; throttling is retried for both', async () => {
    const lost = { name: 'Error', code: 'ECONNRESET' };
    expect(await refresh(new DpfRetryStrategy(), many(lost))).toBe(4);
    const noToken = new DpfRetryStrategy().with({ retryAmbiguous: false });
    expect(await refresh(noToken, many(lost))).toBe(0);
    expect(await refresh(noToken, many({ name: 'ThrottlingException' }))).toBe(12);
  });

  it('WHEN kinds alternate THEN each kind spends its own budget (a throttle does not use up the lost-answer retries)', async () => {
    const s = new DpfRetryStrategy();
    const mixed = [...many({ name: 'Throttling' }, 10), { code: 'ECONNRESET' }, { code: 'ECONNRESET' }, { name: 'Throttling' }];
    expect(await refresh(s, mixed)).toBe(13);
  });
});

describe('GIVEN real SDK clients configured by clientConfig', () => {
  it('WHEN CreateChangeSet loses its first answer THEN the SDK sends it again with the same ClientToken', async () => {
    const srv = await stub(['drop', CS_OK]);
    const client = new CloudFormationClient({ ...(await clientConfig({ region: 'us-west-2', retry: FAST })), endpoint: srv.endpoint, credentials: creds });
    const r = await client.send(
      new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'cs', ChangeSetType: 'CREATE', TemplateBody: '{}', ClientToken: 'dpf-create-abc' }),
    );
    expect(r.Id).toContain('changeSet/cs');
    expect(srv.bodies).toHaveLength(2);
    expect(srv.bodies.map((b) => new URLSearchParams(b).get('ClientToken'))).toEqual(['dpf-create-abc', 'dpf-create-abc']);
  });

  it('WHEN throttled three times THEN the fourth attempt succeeds', async () => {
    const srv = await stub([THROTTLED, THROTTLED, THROTTLED, CS_OK]);
    const client = new CloudFormationClient({ ...(await clientConfig({ region: 'us-west-2', retry: FAST })), endpoint: srv.endpoint, credentials: creds });
    await client.send(new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'cs', TemplateBody: '{}' }));
    expect(srv.bodies).toHaveLength(4);
  });

  it('WHEN throttled past the budget THEN the error explains it as throttling: exit 7, rerun later', async () => {
    const srv = await stub([THROTTLED]);
    const client = new CloudFormationClient({
      ...(await clientConfig({ region: 'us-west-2', retry: { ...FAST, throttleRetries: 2 } })),
      endpoint: srv.endpoint,
      credentials: creds,
    });
    const err = await client.send(new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'cs', TemplateBody: '{}' })).catch((e: unknown) => e);
    expect(srv.bodies).toHaveLength(3);
    const explained = explainAwsError(err, 'creating a change set') as AwsThrottledError;
    expect(explained).toBeInstanceOf(AwsThrottledError);
    expect(explained.exitCode).toBe(ExitCode.AwsAccess);
    expect(explained.message).toMatch(/AWS throttled dpf's requests while creating a change set \(Throttling, 3 attempts/);
    expect(explained.hint).toMatch(/Rerun the same command in a few minutes/);
  });

  it('WHEN an emulator answers an HTML 500 for an action it lacks THEN one request only', async () => {
    const srv = await stub([HTML_500]);
    const client = new SSMClient({
      ...(await clientConfig({ region: 'us-west-2', retry: { ...FAST, customEndpoint: true } })),
      endpoint: srv.endpoint,
      credentials: creds,
    });
    const err = await client.send(new ListCommandInvocationsCommand({ CommandId: 'x' })).catch((e: unknown) => e);
    expect(srv.bodies).toHaveLength(1);
    expect(classifyAwsError(err, true)).toBe('not-implemented');
  });

  it('WHEN SendCommand loses its answer THEN the SDK does not send it again (the caller looks it up first)', async () => {
    const srv = await stub(['drop', { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{"Command":{"CommandId":"c-2"}}' }]);
    const ssm = createSsmPort({ ...(await clientConfig({ region: 'us-west-2', retry: FAST })), endpoint: srv.endpoint, credentials: creds });
    const err = await ssm
      .sendCommand({ documentName: 'AWS-RunShellScript', parameters: {}, instanceIds: ['i-1'], maxConcurrency: '1', maxErrors: '0', timeoutSeconds: 60 })
      .catch((e: unknown) => e);
    expect(srv.bodies).toHaveLength(1);
    const explained = explainAwsError(err, 'sending a command') as AwsAccessError;
    expect(explained.message).toMatch(/connection to AWS was lost while sending a command.*may or may not have been carried out/);
    expect(withoutAmbiguousRetries({}).retryStrategy).toBeInstanceOf(DpfRetryStrategy);
  });
});
