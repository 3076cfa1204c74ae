import { describe, it, expect } from 'vitest';
import { planWaves } from '../../../src/ops/patch/hosts.js';
import { rebootScheduled, pendingUpdates } from '../../../src/ops/patch/document.js';
import { evaluateGate, parseServiceStates, roleServices, type HostHealth } from '../../../src/ops/health.js';

describe('planWaves', () => {
  it('GIVEN every role THEN bastion, each identity server alone, master+dev, then the workers rolling', () => {
    const waves = planWaves([
      { instanceId: 'i-w1', role: 'worker' },
      { instanceId: 'i-m', role: 'master' },
      { instanceId: 'i-ipa1', role: 'identity' },
      { instanceId: 'i-b', role: 'bastion' },
      { instanceId: 'i-ipa2', role: 'identity' },
      { instanceId: 'i-d', role: 'dev' },
    ]);
    expect(waves.map((w) => [w.name, w.hosts, w.rolling])).toEqual([
      ['bastion', ['i-b'], false],
      ['identity-1', ['i-ipa1'], false],
      ['identity-2', ['i-ipa2'], false],
      ['master-dev', ['i-m', 'i-d'], false],
      ['workers', ['i-w1'], true],
    ]);
  });
});

describe('output parsing', () => {
  it.each([
    [['ok: 1 package(s) updated; reboot: yes'], true],
    [['ok: 0 package(s) updated; reboot: no'], false],
    [[], undefined],
  ])('rebootScheduled(%j) = %s', (tail, want) => expect(rebootScheduled(tail)).toBe(want));
  it.each([
    [['msg: 7 package(s) updated'], 7],
    [['"MissingCount": 3'], 3],
    [[''], undefined],
  ])('pendingUpdates(%j) = %s', (tail, want) => expect(pendingUpdates(tail)).toBe(want));
  it('parseServiceStates reads one unit per line', () => {
    expect(parseServiceStates('dpf-svc sshd=active\nnoise\ndpf-svc sssd=\ndpf-svc ipa=failed')).toEqual({ sshd: 'active', sssd: 'unknown', ipa: 'failed' });
  });
  it('roleServices follows what is deployed', () => {
    expect(roleServices('master', {})).toEqual(['amazon-ssm-agent', 'sshd', 'chronyd']);
    expect(roleServices('master', { identity: 'freeipa', monitoring: true })).toContain('amazon-cloudwatch-agent');
    expect(roleServices('identity', { identity: 'freeipa' })).toContain('ipa');
  });
});

describe('evaluateGate', () => {
  const h = (status: 'ok' | 'failed' | 'unknown'): HostHealth => ({
    instanceId: 'i-1',
    role: 'master',
    status,
    components: [{ component: 'ssm', status, detail: 'd' }],
  });
  it.each([
    ['ok', false, true],
    ['unknown', false, false],
    ['unknown', true, true],
    ['failed', true, false],
  ] as const)('GIVEN %s health, accept unknown %s THEN passed %s', (status, accept, passed) => {
    const v = evaluateGate([h(status)], accept);
    expect(v.passed).toBe(passed);
    if (status === 'unknown' && accept) expect(v.accepted).toHaveLength(1);
  });
});
