/** The ops ports load one service at a time (src/aws/sdk-ops.ts). */
import { describe, it, expect } from 'vitest';
import { lazyPort } from '../../src/aws/sdk-ops.js';

interface Port {
  describe(id: string): Promise<string>;
}

describe('lazyPort', () => {
  it('GIVEN a lazy port THEN nothing is loaded until its first call, and then once', async () => {
    let loads = 0;
    const port = lazyPort<Port>(async () => (loads++, { describe: async (id: string) => `fs ${id}` }));
    expect(loads).toBe(0);
    expect(await port.describe('fs-1')).toBe('fs fs-1');
    expect(await port.describe('fs-2')).toBe('fs fs-2');
    expect(loads).toBe(1);
  });

  it('GIVEN a load that fails THEN the call fails with its error and the next call tries again', async () => {
    let loads = 0;
    const port = lazyPort<Port>(async () => {
      if (++loads === 1) throw new Error('module not found');
      return { describe: async () => 'ok' };
    });
    await expect(port.describe('x')).rejects.toThrow('module not found');
    expect(await port.describe('x')).toBe('ok');
  });

  it('GIVEN an awaited port THEN it is not taken for a promise', async () => {
    const port = lazyPort<Port>(async () => ({ describe: async () => 'ok' }));
    expect(await Promise.resolve(port)).toBe(port);
  });

  it('GIVEN a method the adapter lacks THEN the call says so', async () => {
    const port = lazyPort<Port>(async () => ({}) as Port);
    await expect(port.describe('x')).rejects.toThrow('The port has no method describe.');
  });
});
