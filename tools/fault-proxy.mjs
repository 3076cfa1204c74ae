// A loopback HTTP proxy between dpf and the emulator that injects the failures AWS has:
// throttling (refused, not carried out), server errors (500/503, not carried out), connections
// dropped before the request arrives (not carried out), and lost answers (the request IS carried
// out by the emulator, then the connection is dropped before the answer). Errors are answered in each service's own wire format, so the AWS SDK sees
// exactly what it would see from AWS. A seeded generator makes a run repeatable.
//
// It can also stop a process at a precise point: `onForwarded(info)` is called after the
// emulator carried out a request; returning 'drop' drops the answer (the caller kills dpf
// there: "killed right after CreateChangeSet", "after SendCommand", …).
//
// Used by test/e2e/faults.test.ts, test/e2e/crash-points.test.ts, test/e2e/bad-input.test.ts
// and bench/faults.mjs. Not AWS behaviour: a test tool.
import http from 'node:http';

/** mulberry32: a small seeded PRNG (repeatable fault sequences). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The rolls of one request, drawn from the seed and the request's identity — its service, action,
 * stack or playbook step, and how many requests of that identity came before — not from its place
 * among all requests. Concurrent steps interleave their requests differently from run to run;
 * with one shared sequence the faults then fell on other requests each time (one run in a few
 * dozen lost one step's SendCommand three times in a row). Requests of one identity are sequential
 * (a call and its retries), so each gets the same faults every run; only identical reads made at
 * once by concurrent steps (DescribeInstances, GetCommandInvocation) may swap theirs.
 */
export function rollsFor(seed) {
  const seen = new Map();
  return (info) => {
    const step = /\bdpf ([a-z]+\.[a-z0-9-]+) run\b/.exec(info.comment ?? '')?.[1];
    const id = `${info.service}|${info.action}|${info.stack ?? step ?? ''}`;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    const draw = rng(fnv1a(`${seed}|${id}|${n}`));
    return [draw(), draw()];
  };
}

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Which AWS service, action and stack a request is for (SigV4 scope, X-Amz-Target, query body). */
export function describeRequest(req, body) {
  const auth = String(req.headers.authorization ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
  const target = req.headers['x-amz-target'];
  let action;
  let params = new URLSearchParams();
  if (target) action = String(target).split('.').pop();
  else if (/x-www-form-urlencoded/.test(String(req.headers['content-type'] ?? ''))) {
    params = new URLSearchParams(body.toString('utf8'));
    action = params.get('Action') ?? undefined;
  }
  if (!action) action = `${req.method} ${String(req.url).split('?')[0]}`;
  let json = {};
  if (target) {
    try {
      json = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      json = {};
    }
  }
  return {
    service,
    action,
    protocol: target ? 'json' : params.has('Action') ? (service === 'ec2' ? 'ec2' : 'query') : service === 's3' ? 'rest-xml' : 'rest-json',
    stack: params.get('StackName') ?? undefined,
    changeSet: params.get('ChangeSetName') ?? undefined,
    comment: typeof json.Comment === 'string' ? json.Comment : undefined,
  };
}

const XML_THROTTLE = (code, msg) =>
  `<ErrorResponse xmlns="https://aws.amazon.com/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${msg}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`;
const EC2_ERROR = (code, msg) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${msg}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>`;

/** The error answer AWS gives for `kind` ('throttle' | 'server') in the request's protocol. */
export function errorAnswer(kind, info) {
  const throttle = kind === 'throttle';
  switch (info.protocol) {
    case 'json':
      return {
        status: throttle ? 400 : 500,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': throttle ? 'ThrottlingException' : 'InternalFailure' },
        body: JSON.stringify({
          __type: throttle ? 'ThrottlingException' : 'InternalFailure',
          message: throttle ? 'Rate exceeded' : 'We encountered an internal error. Please try again.',
        }),
      };
    case 'ec2':
      return {
        status: 503,
        headers: { 'content-type': 'text/xml' },
        body: throttle ? EC2_ERROR('RequestLimitExceeded', 'Request limit exceeded.') : EC2_ERROR('InternalError', 'An internal error has occurred'),
      };
    case 'query':
      return {
        status: throttle ? 400 : 500,
        headers: { 'content-type': 'text/xml' },
        body: throttle
          ? XML_THROTTLE('Throttling', 'Rate exceeded')
          : XML_THROTTLE('InternalFailure', 'An internal error occurred').replace('Sender', 'Receiver'),
      };
    case 'rest-xml':
      return {
        status: 503,
        headers: { 'content-type': 'application/xml' },
        body: throttle
          ? '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'
          : '<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
      };
    default:
      return {
        status: throttle ? 429 : 500,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': throttle ? 'ThrottlingException' : 'InternalFailure' },
        body: JSON.stringify({ message: throttle ? 'Rate exceeded' : 'Internal failure' }),
      };
  }
}

/**
 * Start the proxy. Options: target (the emulator's URL), seed, and the probability of each
 * fault per request: throttle, serverError (both answered without forwarding), dropBefore (the
 * connection dropped, nothing forwarded), lostAnswer (forwarded, then dropped); loseFirst: actions whose first call (per stack or command) loses
 * its answer. `onForwarded(info)` may return 'drop'.
 */
export async function startFaultProxy(o) {
  const rolls = rollsFor(o.seed ?? 1);
  const target = new URL(o.target);
  const stats = { requests: 0, forwarded: 0, throttled: 0, serverErrors: 0, droppedBefore: 0, lostAnswers: 0, dropped: 0 };
  const log = [];
  const seenFirst = new Set();
  let hook = o.onForwarded;
  const faults = { throttle: o.throttle ?? 0, serverError: o.serverError ?? 0, dropBefore: o.dropBefore ?? 0, lostAnswer: o.lostAnswer ?? 0 };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const info = describeRequest(req, body);
      if (String(req.url).startsWith('/moto-api')) return forward(req, body, res, info, false);
      stats.requests++;
      const [roll, lostRoll] = rolls(info);
      if (roll < faults.throttle) {
        stats.throttled++;
        log.push({ ...info, fault: 'throttle' });
        return answer(res, errorAnswer('throttle', info));
      }
      if (roll < faults.throttle + faults.serverError) {
        stats.serverErrors++;
        log.push({ ...info, fault: 'server-error' });
        return answer(res, errorAnswer('server', info));
      }
      if (roll < faults.throttle + faults.serverError + faults.dropBefore) {
        // The connection drops before the request reaches the service: to the SDK this looks
        // exactly like a lost answer, but nothing was carried out.
        stats.droppedBefore++;
        log.push({ ...info, fault: 'dropped-before' });
        return req.socket.destroy();
      }
      // loseFirst: the first call of each listed action (per stack, or per command comment) loses its answer.
      const key = `${info.action}:${info.stack ?? info.comment ?? ''}`;
      const first = (o.loseFirst ?? []).includes(info.action) && !seenFirst.has(key);
      if (first) seenFirst.add(key);
      const lose = lostRoll < faults.lostAnswer || first;
      forward(req, body, res, info, lose);
    });
  });

  function answer(res, a) {
    res.writeHead(a.status, { ...a.headers, 'content-length': Buffer.byteLength(a.body) });
    res.end(a.body);
  }

  function forward(req, body, res, info, lose) {
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: `${target.hostname}:${target.port}` } },
      (upRes) => {
        const parts = [];
        upRes.on('data', (c) => parts.push(c));
        upRes.on('end', () => {
          const text = Buffer.concat(parts);
          stats.forwarded++;
          const entry = { ...info, status: upRes.statusCode };
          const verdict = hook?.({ ...entry, response: text.toString('utf8') });
          if (verdict === 'drop' || lose) {
            if (lose) stats.lostAnswers++;
            else stats.dropped++;
            log.push({ ...entry, fault: lose ? 'lost-answer' : 'dropped' });
            req.socket.destroy();
            return;
          }
          log.push(entry);
          const headers = { ...upRes.headers };
          delete headers['transfer-encoding'];
          headers['content-length'] = String(text.length);
          res.writeHead(upRes.statusCode ?? 502, headers);
          res.end(text);
        });
      },
    );
    up.on('error', () => req.socket.destroy());
    up.end(body);
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    log,
    /** Change the fault rates (e.g. none while setting up). */
    setFaults(f) {
      Object.assign(faults, f);
    },
    onForwarded(fn) {
      hook = fn;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
