import type { OpsPorts } from './ops-ports.js';
export async function createOpsPorts(_cfg: Record<string, unknown>, _wrap: <T extends object>(p: T, what: string) => T): Promise<OpsPorts> {
  return {};
}
