/**
 * Parsers of what the hosts print for the host checks (AWS-RunShellScript over SSM). Pure and
 * unit-tested on passing and failing output.
 *
 * Output convention: every probe is wrapped in markers, so one command's output can hold
 * several probes and a missing or garbled probe is recognised as such:
 *   ::dpf:begin <name>
 *   …whatever the probe printed (stderr merged)…
 *   ::dpf:end <name> rc=<exit code>
 * A host that returned no output at all (the emulator does that for every command) gives
 * "unknown: the host returned no output", never pass.
 */
import type { CheckStatus } from './types.js';

export const BEGIN = '::dpf:begin';
export const END = '::dpf:end';

export interface Section {
  name: string;
  lines: string[];
  /** Exit code of the probe; undefined when its end marker is missing (cut short). */
  rc?: number;
  /** The probe's begin marker appears more than once: its result cannot be trusted. */
  repeated?: boolean;
}

export interface HostFinding {
  status: CheckStatus;
  detail: string;
  facts?: Record<string, unknown>;
}

/** What one host returned, as the host checks see it. */
export interface HostOutput {
  instanceId: string;
  role: string;
  /** SSM invocation status (Success, Failed, TimedOut, NotTargeted, …). */
  status: string;
  responseCode?: number;
  output: string;
  note?: string;
}

/**
 * Probe names are single words (no spaces), so they can be matched back. An end marker only
 * closes the probe that is open (a stray "::dpf:end x rc=0" without its begin marker is not a
 * result); a probe whose begin marker appears twice is flagged `repeated`.
 */
export function parseSections(output: string): Map<string, Section> {
  const out = new Map<string, Section>();
  let current: Section | undefined;
  for (const raw of output.replace(/\r\n/g, '\n').split('\n')) {
    const line = raw.replace(/^stderr: /, '');
    const begin = line.startsWith(`${BEGIN} `) ? line.slice(BEGIN.length + 1).trim() : undefined;
    if (begin) {
      const seen = out.get(begin);
      if (seen) {
        seen.repeated = true;
        current = undefined;
        continue;
      }
      current = { name: begin, lines: [] };
      out.set(begin, current);
      continue;
    }
    const end = new RegExp(`^${END} (\\S+) rc=(-?\\d+)\\s*$`).exec(line);
    if (end) {
      if (current && current.name === end[1] && !current.repeated) current.rc = Number(end[2]);
      current = undefined;
      continue;
    }
    if (current && line.trim() !== '') current.lines.push(line);
  }
  return out;
}

/** The shell line that runs one probe between markers (the probe's stderr is merged). */
export function probe(name: string, command: string): string {
  if (!/^[A-Za-z0-9_.:/@+=-]+$/.test(name)) throw new Error(`probe name ${name} must be one word`);
  return `echo '${BEGIN} ${name}'; ${command} 2>&1; echo "${END} ${name} rc=$?"`;
}

/** A value spliced into a probe: only characters that need no quoting in sh. */
export function shellSafe(value: string, what: string): string {
  if (!/^[A-Za-z0-9_.:/@+=,-]+$/.test(value)) throw new Error(`${what} "${value}" contains characters dpf will not put in a shell command`);
  return value;
}

/**
 * The generic part of every host verdict: the invocation must have succeeded and printed
 * something with our markers; then the probe-specific parser decides.
 */
export function hostFinding(host: HostOutput, parse: (sections: Map<string, Section>) => HostFinding): HostFinding {
  if (host.status !== 'Success')
    return {
      status: 'unknown',
      detail: `the command did not run there (${host.status}${host.responseCode !== undefined && host.responseCode >= 0 ? `, exit ${host.responseCode}` : ''}${host.note ? `: ${host.note}` : ''})`,
    };
  if (host.output.trim() === '') return { status: 'unknown', detail: 'the host returned no output' };
  const sections = parseSections(host.output);
  if (!sections.size)
    return { status: 'unknown', detail: `the host's output has none of dpf's probe markers (first line: ${host.output.trim().split('\n')[0]!.slice(0, 120)})` };
  const repeated = [...sections.values()].filter((x) => x.repeated).map((x) => x.name);
  if (repeated.length) return { status: 'unknown', detail: `probe(s) ${repeated.join(', ')} appear more than once in the host's output, so it cannot be read` };
  return parse(sections);
}

const missing = (name: string): HostFinding => ({ status: 'unknown', detail: `probe "${name}" is missing from the host's output` });
const first = (s: Section) => s.lines[0]?.trim() ?? '';

// ---------- /shared is an EFS mount ----------

/**
 * findmnt -n -o FSTYPE,SOURCE --mountpoint /shared. EFS through the mount helper with TLS shows
 * source 127.0.0.1:/ (a local stunnel); the helper's state files (/var/run/efs/fs-<id>.<path>.<port>)
 * and the fstab line then tell which file system it is.
 */
export function parseEfsMount(sections: Map<string, Section>, fileSystemId: string, mountPoint = '/shared'): HostFinding {
  const m = sections.get('mount');
  if (!m) return missing('mount');
  if (m.rc === undefined) return { status: 'unknown', detail: 'findmnt did not finish' };
  if (m.rc !== 0 || !m.lines.length) return { status: 'fail', detail: `${mountPoint} is not mounted${first(m) ? ` (${first(m)})` : ''}` };
  const [fstype = '', source = ''] = first(m).split(/\s+/);
  const facts = { fstype, source };
  if (!/^nfs4/.test(fstype)) return { status: 'fail', detail: `${mountPoint} is a ${fstype} mount of ${source}, not EFS (nfs4)`, facts };
  // The id as a whole token (fs-0123abcd must not match fs-0123abcdef…).
  if (new RegExp(`(^|[^0-9a-z-])${fileSystemId.replace(/[^0-9a-z-]/gi, '')}([^0-9a-z-]|$)`).test(source))
    return { status: 'pass', detail: `nfs4 mount of ${source}`, facts };
  const stateIds = (sections.get('efs-state')?.lines ?? []).map((l) => /^(fs-[0-9a-f]+)\./.exec(l.trim())?.[1]).filter((x): x is string => Boolean(x));
  const fstabIds = (sections.get('fstab')?.lines ?? []).map((l) => /^(fs-[0-9a-f]+)(?::\S*)?\s/.exec(l.trim())?.[1]).filter((x): x is string => Boolean(x));
  if (/\.efs\./.test(source)) return { status: 'fail', detail: `${mountPoint} mounts ${source}, another file system than ${fileSystemId}`, facts };
  if (/^127\.0\.0\.1:/.test(source)) {
    if (stateIds.includes(fileSystemId) || fstabIds.includes(fileSystemId))
      return {
        status: 'pass',
        detail: `nfs4 TLS mount of ${fileSystemId} through the EFS mount helper`,
        facts: { ...facts, helperState: stateIds, fstab: fstabIds },
      };
    const other = [...stateIds, ...fstabIds].find((id) => id !== fileSystemId);
    if (other) return { status: 'fail', detail: `${mountPoint} mounts ${other}, not ${fileSystemId}`, facts };
    return { status: 'fail', detail: `nfs4 mount through 127.0.0.1, but neither the EFS helper state nor fstab names ${fileSystemId}`, facts };
  }
  return { status: 'fail', detail: `${mountPoint} is an nfs4 mount of ${source}, not of EFS ${fileSystemId}`, facts };
}

// ---------- RDS accepts connections ----------

const PG_ISREADY: Record<number, string> = {
  1: 'the server is rejecting connections',
  2: 'no response from the server',
  3: 'no attempt was made (bad parameters)',
};

/** pg_isready -h <endpoint> -p 5432 (or, without the PostgreSQL client, a bash /dev/tcp connect). */
export function parseDatabaseReachable(sections: Map<string, Section>, endpoint: string): HostFinding {
  const pg = sections.get('pg');
  if (pg) {
    if (pg.rc === undefined) return { status: 'unknown', detail: 'pg_isready did not finish' };
    if (pg.rc === 0) return { status: 'pass', detail: first(pg) || `${endpoint}:5432 - accepting connections` };
    if (pg.rc === 127) return { status: 'unknown', detail: 'pg_isready is not installed' };
    return { status: 'fail', detail: `pg_isready exit ${pg.rc}: ${PG_ISREADY[pg.rc] ?? 'unexpected exit code'}${first(pg) ? ` (${first(pg)})` : ''}` };
  }
  const tcp = sections.get('tcp');
  if (tcp) {
    if (tcp.rc === undefined) return { status: 'unknown', detail: 'the TCP probe did not finish' };
    if (tcp.rc === 0)
      return { status: 'pass', detail: `TCP connection to ${endpoint}:5432 accepted (pg_isready is not installed, so only the port was tried)` };
    if (tcp.rc === 124) return { status: 'fail', detail: `TCP connection to ${endpoint}:5432 timed out` };
    if (tcp.rc === 127) return { status: 'unknown', detail: 'neither pg_isready nor bash/timeout is available to probe the port' };
    return { status: 'fail', detail: `TCP connection to ${endpoint}:5432 failed${first(tcp) ? `: ${first(tcp)}` : ''}` };
  }
  return missing('pg');
}

// ---------- FreeIPA directory ----------

/**
 * `id <user>` and `getent -s sss passwd <user>` (SSSD only, so a local account does not count);
 * on the IPA servers also `ipactl status` (every service RUNNING).
 */
export function parseDirectory(sections: Map<string, Section>, user: string, o: { ipaServer?: boolean } = {}): HostFinding {
  const id = sections.get('id');
  const ge = sections.get('getent');
  if (!id) return missing('id');
  if (!ge) return missing('getent');
  if (id.rc === undefined) return { status: 'unknown', detail: `id ${user} did not finish` };
  if (ge.rc === undefined) return { status: 'unknown', detail: `getent -s sss passwd ${user} did not finish` };
  const facts: Record<string, unknown> = {};
  const idm = /^uid=(\d+)\(([^)]+)\)\s+gid=(\d+)\(([^)]*)\)/.exec(first(id));
  if (id.rc !== 0 || !idm || idm[2] !== user) return { status: 'fail', detail: `id ${user} does not resolve${first(id) ? ` (${first(id)})` : ''}` };
  facts.uid = Number(idm[1]);
  facts.group = idm[4];
  const entry = ge.lines.find((l) => l.startsWith(`${user}:`));
  if (ge.rc !== 0 || !entry) return { status: 'fail', detail: `${user} is not known to SSSD (getent -s sss passwd exit ${ge.rc ?? '?'})`, facts };
  const f = entry.split(':');
  facts.home = f[5];
  facts.shell = f[6];
  const ipa = sections.get('ipactl');
  // On a FreeIPA server the services must be looked at: no ipactl there means no IPA server.
  if (!ipa && o.ipaServer) return { status: 'fail', detail: 'ipactl is not installed on this FreeIPA server: the IPA services could not be checked', facts };
  if (ipa) {
    if (ipa.rc === undefined) return { status: 'unknown', detail: 'ipactl status did not finish', facts };
    const services = ipa.lines
      .map((l) => /^(.+?) Service: (\w+)/.exec(l.trim()))
      .filter((x): x is RegExpExecArray => Boolean(x))
      .map((x) => ({ name: x[1]!, state: x[2]! }));
    facts.ipaServices = services;
    const down = services.filter((s) => s.state !== 'RUNNING');
    if (ipa.rc !== 0 || down.length || !services.length)
      return {
        status: 'fail',
        detail: `FreeIPA services not all running: ${down.map((s) => `${s.name} ${s.state}`).join(', ') || `ipactl status exit ${ipa.rc ?? '?'}`}`,
        facts,
      };
  }
  return {
    status: 'pass',
    detail: `${user} resolves through SSSD (uid ${facts.uid}, home ${facts.home})${ipa ? '; every FreeIPA service RUNNING' : ''}`,
    facts,
  };
}

// ---------- data lake access ----------

export interface AccessProbe {
  op: 'put' | 'get';
  bucket: string;
  key: string;
  expect: 'allow' | 'deny';
}

export function probeName(p: Pick<AccessProbe, 'op' | 'bucket' | 'key'>): string {
  return `${p.op}:${p.bucket}/${p.key}`;
}

const DENIED = /AccessDenied|Access Denied|\(403\)|Forbidden/;

/** What each `aws s3api put-object/get-object` did: allowed (exit 0), denied (AccessDenied) or an error. */
export function observeAccess(s: Section | undefined): { observed: 'allow' | 'deny' | 'error'; detail: string } {
  if (!s) return { observed: 'error', detail: 'probe missing from the output' };
  if (s.rc === undefined) return { observed: 'error', detail: 'probe did not finish' };
  if (s.rc === 0) return { observed: 'allow', detail: 'succeeded' };
  const text = s.lines.join(' ');
  if (DENIED.test(text)) return { observed: 'deny', detail: 'AccessDenied' };
  if (s.rc === 127) return { observed: 'error', detail: 'the AWS CLI is not installed' };
  return { observed: 'error', detail: `exit ${s.rc}: ${first(s).slice(0, 160)}` };
}

/**
 * Every probe as expected: allowed where the role may, AccessDenied where it may not. A role
 * probed only where it is allowed proves nothing about "not the rest": without a forbidden
 * probe the finding is unknown, never pass.
 */
export function parseDataAccess(sections: Map<string, Section>, probes: AccessProbe[]): HostFinding {
  const results = probes.map((p) => ({ ...p, ...observeAccess(sections.get(probeName(p))) }));
  const facts = { probes: results.map((r) => ({ probe: probeName(r), expect: r.expect, observed: r.observed, detail: r.detail })) };
  const wrong = results.filter((r) => r.observed !== 'error' && r.observed !== r.expect);
  if (wrong.length)
    return {
      status: 'fail',
      detail: wrong
        .map((r) =>
          r.expect === 'deny'
            ? `can ${r.op === 'put' ? 'write' : 'read'} s3://${r.bucket}/${r.key} (should be denied)`
            : `cannot ${r.op === 'put' ? 'write' : 'read'} s3://${r.bucket}/${r.key} (${r.detail})`,
        )
        .join('; '),
      facts,
    };
  const errors = results.filter((r) => r.observed === 'error');
  if (errors.length)
    return {
      status: 'unknown',
      detail: errors
        .map((r) => `${probeName(r)}: ${r.detail}`)
        .slice(0, 3)
        .join('; '),
      facts,
    };
  if (!results.some((r) => r.expect === 'deny'))
    return { status: 'unknown', detail: 'no forbidden location was probed, so "and not the rest" is unverified', facts };
  return {
    status: 'pass',
    detail: `${results.filter((r) => r.expect === 'allow').length} allowed and ${results.filter((r) => r.expect === 'deny').length} denied access(es) as expected`,
    facts,
  };
}
