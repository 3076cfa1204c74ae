/** Host output parsers: passing and failing output for every probe, and the generic empty/garbled rules. */
import { describe, expect, it } from 'vitest';
import {
  hostFinding,
  parseDatabaseReachable,
  parseDataAccess,
  parseDirectory,
  parseEfsMount,
  parseSections,
  probe,
  probeName,
  shellSafe,
  type AccessProbe,
  type HostOutput,
} from '../../src/checks/parsers.js';
import {
  accessProbes,
  databaseScript,
  dataAccessScript,
  directoryScript,
  efsMountScript,
  hostParts,
  sentinelKey,
  stateSentinelKey,
} from '../../src/checks/hosts.js';
import type { InstanceInfo } from '../../src/aws/ops-ports.js';
import { section } from './helpers.js';

const FS = 'fs-0123abcd';
const host = (output: string, status = 'Success'): HostOutput => ({ instanceId: 'i-0abc', role: 'worker', status, output });
const sections = (...parts: string[]) => parseSections(parts.join('\n'));

describe('parseSections and the generic host rules', () => {
  it('GIVEN marked output WHEN parsed THEN each probe has its lines and exit code; stderr prefixes are ignored', () => {
    const s = parseSections(
      ['noise', section('mount', ['nfs4 127.0.0.1:/'], 0), 'stderr: ::dpf:begin id', 'stderr: id: admin: no such user', 'stderr: ::dpf:end id rc=1'].join('\n'),
    );
    expect(s.get('mount')).toEqual({ name: 'mount', lines: ['nfs4 127.0.0.1:/'], rc: 0 });
    expect(s.get('id')).toEqual({ name: 'id', lines: ['id: admin: no such user'], rc: 1 });
  });

  it('GIVEN a probe cut short (no end marker) THEN its rc is undefined', () => {
    expect(parseSections('::dpf:begin mount\nnfs4 x').get('mount')).toEqual({ name: 'mount', lines: ['nfs4 x'] });
  });

  it.each<[string, HostOutput, RegExp]>([
    ['empty output (the emulator)', host(''), /^the host returned no output$/],
    ['whitespace only', host('  \n '), /no output/],
    ['output without markers', host('bash: syntax error'), /none of dpf's probe markers.*bash: syntax error/],
    ['a failed invocation', { ...host('x'), status: 'Failed', responseCode: 1 }, /did not run there \(Failed, exit 1\)/],
    [
      'an instance SSM never targeted',
      { ...host(''), status: 'NotTargeted', note: 'expected but not targeted by SSM' },
      /NotTargeted: expected but not targeted/,
    ],
  ])('GIVEN %s THEN the finding is unknown, never pass', (_what, h, detail) => {
    const f = hostFinding(h, () => ({ status: 'pass', detail: 'should not be reached' }));
    expect(f.status).toBe('unknown');
    expect(f.detail).toMatch(detail);
  });

  it('GIVEN a probe name or value with shell metacharacters THEN it is refused', () => {
    expect(() => probe('a b', 'true')).toThrow(/one word/);
    expect(() => shellSafe('x; rm -rf /', 'endpoint')).toThrow(/will not put in a shell command/);
    expect(shellSafe('db.example.com', 'endpoint')).toBe('db.example.com');
  });
});

describe('parseEfsMount (findmnt -n -o FSTYPE,SOURCE --mountpoint /shared)', () => {
  it.each<[string, string[], 'pass' | 'fail' | 'unknown', RegExp]>([
    [
      'a TLS mount through the EFS helper (state file names the fs)',
      [section('mount', ['nfs4   127.0.0.1:/'], 0), section('efs-state', [`${FS}.shared.20049`], 0), section('fstab', [], 1)],
      'pass',
      /TLS mount of fs-0123abcd/,
    ],
    [
      'a TLS mount named only by fstab',
      [section('mount', ['nfs4 127.0.0.1:/'], 0), section('efs-state', ['ls: cannot access'], 2), section('fstab', [`${FS}:/ /shared efs _netdev,tls 0 0`], 0)],
      'pass',
      /TLS mount/,
    ],
    ['a plain NFS mount of the EFS DNS name', [section('mount', [`nfs4 ${FS}.efs.us-west-2.amazonaws.com:/`], 0)], 'pass', /nfs4 mount of fs-0123abcd\.efs/],
    ['nothing mounted on /shared', [section('mount', [], 1)], 'fail', /\/shared is not mounted/],
    ['/shared on the root disk (xfs)', [section('mount', ['xfs /dev/nvme0n1p1'], 0)], 'fail', /xfs mount of \/dev\/nvme0n1p1, not EFS/],
    ['another EFS file system', [section('mount', ['nfs4 fs-99999999.efs.us-west-2.amazonaws.com:/'], 0)], 'fail', /another file system than fs-0123abcd/],
    [
      'a TLS mount of another file system',
      [section('mount', ['nfs4 127.0.0.1:/'], 0), section('efs-state', ['fs-99999999.shared.20049'], 0)],
      'fail',
      /mounts fs-99999999, not fs-0123abcd/,
    ],
    ['an NFS server that is not EFS', [section('mount', ['nfs4 10.0.0.5:/export'], 0)], 'fail', /not of EFS/],
    ['no mount probe in the output', [section('fstab', [], 1)], 'unknown', /probe "mount" is missing/],
  ])('GIVEN %s THEN %s', (_what, parts, status, detail) => {
    const f = parseEfsMount(sections(...parts), FS);
    expect(f.status).toBe(status);
    expect(f.detail).toMatch(detail);
  });
});

describe('parseDatabaseReachable (pg_isready -h <endpoint> -p 5432)', () => {
  const EP = 'db.internal';
  it.each<[string, string, 'pass' | 'fail' | 'unknown', RegExp]>([
    ['accepting connections', section('pg', [`${EP}:5432 - accepting connections`], 0), 'pass', /accepting connections/],
    ['rejecting connections', section('pg', [`${EP}:5432 - rejecting connections`], 1), 'fail', /exit 1: the server is rejecting connections/],
    ['no response (security group)', section('pg', [`${EP}:5432 - no response`], 2), 'fail', /exit 2: no response/],
    ['bad parameters', section('pg', ['pg_isready: invalid option'], 3), 'fail', /no attempt/],
    ['the TCP fallback connects', section('tcp', [], 0), 'pass', /TCP connection to db\.internal:5432 accepted/],
    ['the TCP fallback times out', section('tcp', [], 124), 'fail', /timed out/],
    ['the TCP fallback is refused', section('tcp', ['bash: connect: Connection refused'], 1), 'fail', /Connection refused/],
    ['no probe at all', section('other', [], 0), 'unknown', /missing/],
  ])('GIVEN %s THEN %s', (_what, out, status, detail) => {
    const f = parseDatabaseReachable(parseSections(out), EP);
    expect(f.status).toBe(status);
    expect(f.detail).toMatch(detail);
  });
});

describe('parseDirectory (id / getent -s sss passwd / ipactl status)', () => {
  const ID_OK = section('id', ['uid=1234400000(admin) gid=1234400000(admins) groups=1234400000(admins)'], 0);
  const GETENT_OK = section('getent', ['admin:*:1234400000:1234400000:Administrator:/home/admin:/bin/bash'], 0);
  it.each<[string, string[], 'pass' | 'fail' | 'unknown', RegExp]>([
    ['the user resolves through SSSD', [ID_OK, GETENT_OK], 'pass', /admin resolves through SSSD \(uid 1234400000, home \/home\/admin\)/],
    [
      'on the IPA server with every service running',
      [ID_OK, GETENT_OK, section('ipactl', ['Directory Service: RUNNING', 'krb5kdc Service: RUNNING', 'ipa: INFO: The ipactl command was successful'], 0)],
      'pass',
      /every FreeIPA service RUNNING/,
    ],
    [
      'id does not know the user',
      [section('id', ['id: ‘admin’: no such user'], 1), GETENT_OK],
      'fail',
      /id admin does not resolve \(id: ‘admin’: no such user\)/,
    ],
    ['only a local account (SSSD does not know it)', [ID_OK, section('getent', [], 2)], 'fail', /not known to SSSD \(getent -s sss passwd exit 2\)/],
    [
      'an IPA service stopped',
      [ID_OK, GETENT_OK, section('ipactl', ['Directory Service: RUNNING', 'pki-tomcatd Service: STOPPED'], 3)],
      'fail',
      /pki-tomcatd STOPPED/,
    ],
    ['the getent probe missing', [ID_OK], 'unknown', /probe "getent" is missing/],
  ])('GIVEN %s THEN %s', (_what, parts, status, detail) => {
    const f = parseDirectory(sections(...parts), 'admin');
    expect(f.status).toBe(status);
    expect(f.detail).toMatch(detail);
  });
});

describe('parseDataAccess (aws s3api put-object / get-object)', () => {
  const probes: AccessProbe[] = [
    { op: 'put', bucket: 'lake', key: 'raw/_dpf-golive/i-1.txt', expect: 'allow' },
    { op: 'get', bucket: 'lake', key: 'raw/_dpf-golive/i-1.txt', expect: 'allow' },
    { op: 'put', bucket: 'state', key: 'ledger/dev/_dpf-golive-i-1.txt', expect: 'deny' },
  ];
  const ok = (p: AccessProbe) => section(probeName(p), ['{"ETag": "x"}'], 0);
  const denied = (p: AccessProbe) => section(probeName(p), ['An error occurred (AccessDenied) when calling the PutObject operation: Access Denied'], 254);
  it('GIVEN allowed where allowed and AccessDenied where forbidden THEN pass', () => {
    const f = parseDataAccess(sections(ok(probes[0]!), ok(probes[1]!), denied(probes[2]!)), probes);
    expect(f).toMatchObject({ status: 'pass', detail: '2 allowed and 1 denied access(es) as expected' });
  });
  it('GIVEN a write to the forbidden prefix succeeds THEN fail, naming it', () => {
    const f = parseDataAccess(sections(ok(probes[0]!), ok(probes[1]!), ok(probes[2]!)), probes);
    expect(f.status).toBe('fail');
    expect(f.detail).toBe('can write s3://state/ledger/dev/_dpf-golive-i-1.txt (should be denied)');
  });
  it('GIVEN the role is denied its own prefix THEN fail', () => {
    const f = parseDataAccess(
      sections(
        denied(probes[0]!),
        section(probeName(probes[1]!), ['An error occurred (AccessDenied) when calling the GetObject operation'], 254),
        denied(probes[2]!),
      ),
      probes,
    );
    expect(f.status).toBe('fail');
    expect(f.detail).toMatch(/cannot write s3:\/\/lake\/raw\/_dpf-golive\/i-1\.txt \(AccessDenied\); cannot read/);
  });
  it('GIVEN the AWS CLI is missing THEN unknown', () => {
    const f = parseDataAccess(sections(...probes.map((p) => section(probeName(p), ['sh: aws: command not found'], 127))), probes);
    expect(f).toMatchObject({ status: 'unknown' });
    expect(f.detail).toMatch(/the AWS CLI is not installed/);
  });
});

describe('scripts', () => {
  it('GIVEN each host script THEN every probe is wrapped in markers and every value is shell-safe', () => {
    const all = [
      ...efsMountScript(),
      ...databaseScript('db.internal'),
      ...directoryScript(),
      ...dataAccessScript(accessProbes('worker', 'i-1', 'lake', 'state', 'dev'), 'us-west-2'),
    ].join('\n');
    expect(all).toContain('echo \'::dpf:begin mount\'; findmnt -n -o FSTYPE,SOURCE --mountpoint /shared 2>&1; echo "::dpf:end mount rc=$?"');
    expect(all).toContain('pg_isready -h db.internal -p 5432 -t 10');
    expect(all).toContain('getent -s sss passwd admin');
    expect(all).toContain('aws s3api put-object --bucket lake --key raw/_dpf-golive/i-1.txt');
    expect(all).toContain('aws s3api put-object --bucket state --key ledger/dev/_dpf-golive-i-1.txt');
    expect(() => databaseScript('db.internal; reboot')).toThrow();
  });
  it('GIVEN the roles THEN master/dev/worker may use every data-lake prefix, the bastion and the IPA servers none, and no node the ledger or the bundles', () => {
    const expects = (role: string) => accessProbes(role, 'i-1', 'lake', 'state', 'dev').map((p) => `${p.op} ${p.bucket}/${p.key.split('_')[0]} ${p.expect}`);
    const lake = (e: string) => ['raw/', 'processed/', 'curated/', 'archive/'].flatMap((x) => [`put lake/${x} ${e}`, `get lake/${x} ${e}`]);
    const state = ['put state/ledger/dev/ deny', 'get state/ledger/dev/ deny', 'put state/bundles/ deny'];
    for (const role of ['master', 'dev', 'worker']) expect(expects(role)).toEqual([...lake('allow'), ...state]);
    for (const role of ['bastion', 'identity']) expect(expects(role)).toEqual([...lake('deny'), ...state]);
  });

  it('GIVEN the probes THEN every read targets an object dpf placed beforehand (a missing key is AccessDenied to a role without ListBucket, whatever it may read)', () => {
    const probes = accessProbes('bastion', 'i-1', 'lake', 'state', 'dev');
    const reads = probes.filter((p) => p.op === 'get').map((p) => `${p.bucket}/${p.key}`);
    expect(reads).toEqual([...['raw/', 'processed/', 'curated/', 'archive/'].map((x) => `lake/${sentinelKey(x)}`), `state/${stateSentinelKey('dev')}`]);
    // Writes never overwrite a placed object, and every write is removed afterwards (a forbidden one that went through too).
    const writes = probes.filter((p) => p.op === 'put');
    expect(writes.every((w) => !reads.includes(`${w.bucket}/${w.key}`))).toBe(true);
    const script = dataAccessScript(probes, 'us-west-2').join('\n');
    for (const w of writes) expect(script).toContain(`aws s3api delete-object --bucket ${w.bucket} --key ${w.key} `);
  });
});

describe('adversarial host output', () => {
  it('GIVEN an end marker without its begin marker (a forged "rc=0") THEN it is no result: unknown, not pass', () => {
    const out = ['pg_isready: could not connect', '::dpf:end pg rc=0'].join('\n');
    expect(parseSections(out).get('pg')).toBeUndefined();
    expect(hostFinding(host(`${section('other', [], 0)}\n${out}`), (s) => parseDatabaseReachable(s, 'db')).status).toBe('unknown');
  });

  it('GIVEN an end marker naming another probe than the open one THEN neither gets an exit code', () => {
    const s = parseSections(['::dpf:begin mount', 'nfs4 127.0.0.1:/', '::dpf:end fstab rc=0'].join('\n'));
    expect(s.get('mount')!.rc).toBeUndefined();
    expect(s.get('fstab')).toBeUndefined();
  });

  it('GIVEN a probe printed twice (e.g. the script ran twice into one output) THEN unknown, whichever copy would pass', () => {
    const out = [section('pg', ['db:5432 - no response'], 2), section('pg', ['db:5432 - accepting connections'], 0)].join('\n');
    const f = hostFinding(host(out), (s) => parseDatabaseReachable(s, 'db'));
    expect(f).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/pg appear more than once/) });
  });

  it('GIVEN extra lines around and between the probes THEN they are ignored', () => {
    const out = ['Last login: yesterday', section('pg', ['', 'db:5432 - accepting connections', ''], 0), 'motd: patch me'].join('\n');
    expect(hostFinding(host(out), (s) => parseDatabaseReachable(s, 'db'))).toMatchObject({ status: 'pass', detail: 'db:5432 - accepting connections' });
  });

  it("GIVEN /shared on an EFS whose id merely starts with the platform's THEN fail, not pass", () => {
    const f = parseEfsMount(sections(section('mount', [`nfs4 ${FS}ef.efs.us-west-2.amazonaws.com:/`], 0)), FS);
    expect(f).toMatchObject({ status: 'fail', detail: expect.stringMatching(/another file system than fs-0123abcd/) });
  });

  it('GIVEN id cut short (no end marker) THEN unknown: the probe did not finish, which is not "does not resolve"', () => {
    const f = parseDirectory(sections('::dpf:begin id', section('getent', ['admin:*:1:1::/home/admin:/bin/bash'], 0)), 'admin');
    expect(f).toMatchObject({ status: 'unknown', detail: 'id admin did not finish' });
  });

  it('GIVEN a FreeIPA server whose output has no ipactl probe THEN fail: its services were not running-checked', () => {
    const parts = [section('id', ['uid=1(admin) gid=1(admins) groups=1(admins)'], 0), section('getent', ['admin:*:1:1::/home/admin:/bin/bash'], 0)];
    expect(parseDirectory(sections(...parts), 'admin').status).toBe('pass');
    expect(parseDirectory(sections(...parts), 'admin', { ipaServer: true })).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/ipactl is not installed on this FreeIPA server/),
    });
  });

  it('GIVEN only allowed locations probed THEN unknown: "and not the rest" was not verified', () => {
    const allowOnly: AccessProbe[] = [{ op: 'put', bucket: 'lake', key: 'raw/x', expect: 'allow' }];
    const f = parseDataAccess(sections(section(probeName(allowOnly[0]!), ['{}'], 0)), allowOnly);
    expect(f).toMatchObject({ status: 'unknown', detail: expect.stringMatching(/no forbidden location was probed/) });
  });

  it('GIVEN results from some hosts only THEN each expected host without a result is an unknown part', () => {
    const expected = [
      { instanceId: 'i-1', state: 'running', tags: { 'dpf:role': 'worker' } },
      { instanceId: 'i-2', state: 'running', tags: { 'dpf:role': 'worker' } },
    ] as unknown as InstanceInfo[];
    const ok: HostOutput = { instanceId: 'i-1', role: 'worker', status: 'Success', output: section('pg', ['ok'], 0) };
    const { parts, evidence } = hostParts([ok], (_h, s) => parseDatabaseReachable(s, 'db'), expected);
    expect(parts).toEqual([
      { subject: 'i-1 (worker)', status: 'pass', detail: 'ok' },
      { subject: 'i-2 (worker)', status: 'unknown', detail: 'no result for this instance in the SSM command' },
    ]);
    expect(evidence[1]).toMatchObject({ instanceId: 'i-2', invocation: 'missing', verdict: 'unknown' });
  });
});

describe('combine and awsErrorText', () => {
  it('GIVEN several parts with the same finding THEN the summary groups them, three findings at most', async () => {
    const { combine, awsErrorText } = await import('../../src/checks/common.js');
    const parts = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5', 'i-6'].map((subject) => ({ subject, status: 'unknown' as const, detail: 'the host returned no output' }));
    expect(combine(parts, { passed: '', nothing: '' }).summary).toBe('i-1, i-2, i-3, i-4 and 2 more: the host returned no output');
    const mixed = combine(
      [...parts, { subject: 'a', status: 'pass', detail: 'ok' }, { subject: 'b', status: 'fail', detail: 'x' }, { subject: 'c', status: 'fail', detail: 'y' }],
      { passed: '', nothing: '' },
    );
    expect(mixed).toMatchObject({ status: 'fail', summary: 'b: x; c: y' });
    expect(combine([], { passed: 'p', nothing: 'nothing to inspect' })).toMatchObject({ status: 'unknown', summary: 'nothing to inspect' });
    const html = Object.assign(new Error('@aws-sdk XML parse error: mismatched tags <html> and </title>.\n  Deserialization error: …'), {
      $metadata: { httpStatusCode: 500 },
    });
    expect(awsErrorText(html)).toBe('the endpoint answered HTTP 500 with a page that is not an AWS response (is the action implemented there?)');
    expect(awsErrorText(Object.assign(new Error('Rate exceeded\nmore'), { $metadata: { httpStatusCode: 400 } }))).toBe('Rate exceeded (HTTP 400)');
  });
});
