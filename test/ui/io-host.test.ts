/**
 * The IO host asks one question at a time, and turns Ctrl-C inside a prompt into dpf's abort.
 * The prompts module is replaced by a controllable fake (the real prompts run in the pty suite).
 */
import { describe, it, expect, vi, beforeEach } from 'vitest';
import { PassThrough } from 'node:stream';
import { AbortError, NotConfirmedError } from '../../src/errors.js';

interface Pending {
  message: string;
  answer: (v: boolean) => void;
  fail: (e: Error) => void;
}
const asked: Pending[] = [];
vi.mock('../../src/ui/prompts.js', () => ({
  askConfirm: (message: string) => new Promise<boolean>((answer, fail) => asked.push({ message, answer, fail })),
  askText: async () => '',
  askSelect: async () => '',
}));
const { CliIoHost } = await import('../../src/ui/io-host.js');

const settle = () => new Promise((r) => setTimeout(r, 20));

function host(extra: Partial<Parameters<typeof CliIoHost.create>[0]> = {}) {
  const output = Object.assign(new PassThrough(), { columns: 100, rows: 30 });
  return CliIoHost.create({
    json: false,
    yes: false,
    interactive: true,
    color: false,
    verbose: false,
    now: () => new Date(0),
    progress: () => undefined,
    events: () => undefined,
    terminal: { input: new PassThrough(), output: output as never },
    ...extra,
  });
}

describe('CliIoHost questions', () => {
  beforeEach(() => {
    asked.length = 0;
  });

  it('GIVEN two steps asking at once WHEN the first is answered THEN only then is the second asked (never two prompts at a time)', async () => {
    const io = await host();
    const a = io.confirm({ stepId: 'compute.stack', question: 'Create compute?' });
    const b = io.confirm({ stepId: 'storage.stack', question: 'Create storage?' });
    await settle();
    expect(asked.map((q) => q.message)).toEqual(['Create compute?']);
    asked[0]!.answer(true);
    expect(await a).toBe(true);
    await settle();
    expect(asked.map((q) => q.message)).toEqual(['Create compute?', 'Create storage?']);
    asked[1]!.answer(false);
    expect(await b).toBe(false);
    await io.close();
  });

  it('GIVEN a question on screen WHEN Ctrl-C is typed (the prompt rejects with ExitPromptError) THEN the run is interrupted once and the queued question is never asked', async () => {
    const controller = new AbortController();
    let interrupted = 0;
    const io = await host({ signal: controller.signal, onInterrupt: () => ((interrupted += 1), controller.abort()) });
    const a = io.confirm({ question: 'First?' });
    const b = io.confirm({ question: 'Second?' });
    await settle();
    asked[0]!.fail(Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' }));
    await expect(a).rejects.toBeInstanceOf(AbortError);
    await expect(b).rejects.toBeInstanceOf(AbortError);
    expect(interrupted).toBe(1);
    expect(asked.map((q) => q.message)).toEqual(['First?']);
  });

  it.each([
    ['--yes', { yes: true }, true],
    ['no terminal', { interactive: false, terminal: undefined }, NotConfirmedError],
    ['--json', { json: true }, NotConfirmedError],
  ])('GIVEN %s WHEN confirm is asked THEN it answers without prompting', async (_what, extra, expected) => {
    const io = await host(extra as never);
    const p = io.confirm({ question: 'Go?' });
    if (expected === true) expect(await p).toBe(true);
    else await expect(p).rejects.toBeInstanceOf(expected as typeof NotConfirmedError);
    expect(asked).toEqual([]);
  });
});
