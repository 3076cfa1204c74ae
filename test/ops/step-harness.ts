/**
 * One day-2 step run on its own, at the unit layer: the fake world of ./helpers.ts, a session
 * on its config and ledger, an operation, and a StepContext made by the engine's own
 * makeContext (so `ctx.output`, `ctx.evidence` and `mine` behave as in a run), without the
 * rest of the engine. Earlier steps' records are seeded with `seed`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { openSession, type Session } from '../../src/session.js';
import { makeContext } from '../../src/steps/engine.js';
import { opStep, scopeOf, stampOf, type Operation, type OperationKind } from '../../src/ops/operation.js';
import type { StepContext, StepDef, StepResult } from '../../src/steps/types.js';
import type { StepRecord } from '../../src/state/ledger.js';
import type { Settings } from '../../src/settings.js';
import { world, type World } from './helpers.js';

export interface StepHarness {
  w: World;
  session: Session;
  op: Operation;
  /** A done record of this operation (or of `scope`) with these outputs and evidence. */
  seed(id: string, outputs?: Record<string, string>, evidence?: Record<string, unknown>, more?: Partial<StepRecord>): Promise<void>;
  /** The StepContext a run of `step` gets (its previous record when it is this operation's); an id: a bare step of that id. */
  context(step: StepDef | string): StepContext;
  /** Prepare and run `step` as the engine would. */
  run(step: StepDef): Promise<StepResult>;
  /** This step's record in the ledger (what ctx.evidence wrote). */
  record(id: string): StepRecord | undefined;
  close(): Promise<void>;
}

export async function stepHarness(
  o: { kind?: OperationKind; config?: string; settings?: Partial<Settings>; world?: Parameters<typeof world>[0] } = {},
): Promise<StepHarness> {
  const w = world(o.world);
  if (o.config) {
    writeFileSync(w.config, readFileSync(w.config, 'utf8').replace('  dev: {}', `  dev:\n${o.config.replace(/^/gm, '    ')}`));
  }
  const base = w.ctx();
  const cctx = { ...base, settings: { ...base.settings, ...o.settings } };
  const session = await openSession(cctx, { command: 'test', lock: false });
  const startedAt = w.clock.now();
  const kind = o.kind ?? 'dr-drill';
  const op: Operation = {
    id: `${kind}-${stampOf(startedAt)}`,
    kind,
    key: kind,
    startedAt,
    stamp: stampOf(startedAt),
    params: {},
    resumed: false,
    runId: session.envCtx.runId,
  };
  const h: StepHarness = {
    w,
    session,
    op,
    async seed(id, outputs = {}, evidence = {}, more = {}) {
      await session.ledger.updateStep(id, id.split('.')[0]!, { status: 'done', outputs, evidence, scope: op.id, ...more }, w.clock.now());
    },
    context(s) {
      const step = typeof s === 'string' ? opStep({ id: s, title: s, run: async () => ({ changed: false }) }) : s;
      const prev = session.ledger.get(step.id);
      return makeContext(
        step,
        {
          envCtx: session.envCtx,
          ledger: session.ledger,
          aws: session.aws,
          io: w.io,
          clock: w.clock,
          signal: w.abort.signal,
          settings: cctx.settings,
          scope: scopeOf(op),
        },
        prev?.scope === op.id ? prev : undefined,
      );
    },
    async run(step) {
      const ctx = h.context(step);
      return step.run(ctx, await step.prepare(ctx));
    },
    record: (id) => session.ledger.get(id),
    async close() {
      await session.close();
      w.cleanup();
    },
  };
  return h;
}

/** The warnings a step emitted, as text. */
export const warnings = (w: World) => w.io.ofType('warning').map((e) => e.message);
