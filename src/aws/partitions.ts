/**
 * The SDK's partition data (`@aws-sdk/core/client`: no client, no credentials, no network): which
 * partition a region belongs to, its DNS suffix, and whether the SDK lists the region by name.
 * The one place outside the adapters that touches the SDK, so config checks and the semantic
 * rules ask it here instead of importing the SDK themselves.
 */
import { partition } from '@aws-sdk/core/client';

export interface PartitionInfo {
  /** aws, aws-cn, aws-us-gov… */
  name: string;
  dnsSuffix?: string;
  /** Set when the SDK lists the region by name (not only by its pattern). */
  description?: string;
}

export function partitionOf(region: string): PartitionInfo {
  return partition(region) as PartitionInfo;
}
