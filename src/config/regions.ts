/**
 * AWS regions as the SDK knows them (its partition data, `@aws-sdk/core/client`), so a
 * mistyped region is caught where it is typed — in the config, a flag, or the wizard — and
 * not by the first AWS call. One module for every place that checks a region.
 */
import { partitionOf } from '../aws/partitions.js';

/** The region's partition entry when the SDK lists it by name (not only by pattern), else undefined. */
export function knownRegion(region: string): { partition: string; description: string } | undefined {
  if (typeof region !== 'string' || region.endsWith('-global')) return undefined;
  const p = partitionOf(region);
  return p.description ? { partition: p.name, description: p.description } : undefined;
}

/** `undefined` when the region is known; otherwise a message naming the value and what to do. */
export function regionProblem(region: string): string | undefined {
  if (knownRegion(region)) return undefined;
  const near = closestRegions(region);
  return `"${region}" is not an AWS region${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}; see https://docs.aws.amazon.com/general/latest/gr/rande.html`;
}

const ALL: string[] = (() => {
  // The SDK exports a lookup (`partition`) but not its table: enumerate the region-name space and keep the names it lists.
  const names = new Set<string>();
  const prefixes = ['us', 'eu', 'ap', 'sa', 'ca', 'me', 'af', 'il', 'mx', 'cn', 'us-gov', 'us-iso', 'us-isob', 'us-isof', 'eu-isoe', 'eusc-de'];
  const parts = ['north', 'south', 'east', 'west', 'central', 'northeast', 'northwest', 'southeast', 'southwest'];
  for (const pre of prefixes)
    for (const mid of parts)
      for (let i = 1; i <= 9; i++) {
        const r = `${pre}-${mid}-${i}`;
        if (knownRegion(r)) names.add(r);
      }
  return [...names].sort();
})();

/** Every region name the SDK's partition data lists (for completion and suggestions). */
export function allRegions(): string[] {
  return [...ALL];
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

function closestRegions(region: string): string[] {
  if (typeof region !== 'string' || region.length > 40) return [];
  const scored = ALL.map((r) => ({ r, d: distance(region, r) })).filter((x) => x.d <= 2);
  const best = Math.min(...scored.map((x) => x.d));
  return scored
    .filter((x) => x.d === best)
    .map((x) => x.r)
    .slice(0, 3);
}
