/** The fault proxy's rolls (tools/fault-proxy.mjs): the same faults for the same requests, however concurrent steps interleave. */
import { describe, it, expect } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { rollsFor } from '../../tools/fault-proxy.mjs';

const send = (step: string, marker: string) => ({ service: 'ssm', action: 'SendCommand', comment: `dpf-m-${marker} dpf ${step} run x.yml` });
const create = (stack: string) => ({ service: 'cloudformation', action: 'CreateStack', stack });

describe('GIVEN one seed', () => {
  it('WHEN two steps interleave their requests differently THEN each request of each step gets the same rolls', () => {
    const a = rollsFor(2203);
    const b = rollsFor(2203);
    const inA = [a(send('identity.ipa-server', '1')), a(create('dp-x-network')), a(send('identity.ipa-server', '2')), a(create('dp-x-storage'))];
    const inB = [b(create('dp-x-storage')), b(send('identity.ipa-server', '7')), b(create('dp-x-network')), b(send('identity.ipa-server', '8'))];
    // The SendCommand marker differs per run; the step, and how many sends came before, decide.
    expect(inB[1]).toEqual(inA[0]);
    expect(inB[3]).toEqual(inA[2]);
    expect(inB[2]).toEqual(inA[1]);
    expect(inB[0]).toEqual(inA[3]);
  });

  it('WHEN one request is repeated (a retry) THEN the repeat rolls anew, and another seed rolls otherwise', () => {
    const r = rollsFor(1);
    const first = r(create('dp-x-network'));
    const retry = r(create('dp-x-network'));
    expect(retry).not.toEqual(first);
    expect(rollsFor(2)(create('dp-x-network'))).not.toEqual(first);
    for (const v of [...first, ...retry]) expect(v >= 0 && v < 1).toBe(true);
  });
});
