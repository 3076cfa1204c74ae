/**
 * Typed evidence: what a step of an operation records, declared once with its id, and read
 * typed (`key.of(ledger, op)`) instead of casting `record.evidence.x` at every reader. The one
 * conversion from the ledger's JSON to a type is here; the step that writes the evidence is the
 * one that declares its type.
 */
import type { Ledger, StepRecord } from '../state/ledger.js';
import { stepOf, type Operation } from './operation.js';

/** A step record whose evidence is this step's (each field may be missing: a run may have died before writing it). */
export type RecordOf<E> = Omit<StepRecord, 'evidence'> & { evidence: Partial<E> };

export interface StepKey<E> {
  id: string;
  /** This operation's record of the step; undefined when it has none (or the record is another operation's). */
  of(ledger: Ledger, op: Pick<Operation, 'id'>): RecordOf<E> | undefined;
  /** The step's record, whichever operation wrote it last (what an earlier destroy recorded). */
  latest(ledger: Ledger): RecordOf<E> | undefined;
}

export function stepKey<E>(id: string): StepKey<E> {
  return { id, of: (ledger, op) => stepOf(ledger, op, id) as RecordOf<E> | undefined, latest: (ledger) => ledger.get(id) as RecordOf<E> | undefined };
}
