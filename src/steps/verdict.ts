/** Reading a check's verdict back from the ledger; light, so `dpf status --offline` does not load the checks. */
import type { CheckVerdict } from '../checks/types.js';

/** The verdict a step left in the ledger (evidence.check), if any. */
export function verdictOf(record: { evidence?: Record<string, unknown> } | undefined): (CheckVerdict & { hint?: string }) | undefined {
  const v = record?.evidence?.check as (CheckVerdict & { hint?: string }) | undefined;
  return v && typeof v === 'object' && typeof v.status === 'string' ? v : undefined;
}
