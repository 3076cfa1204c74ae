/**
 * Verification of done stack steps, with one listing shared by the run (issue 14): the first
 * verify in a region asks ListStacks once (live statuses only); every other done stack of that
 * run in that region is answered from it. When the region holds more stacks than one page, the
 * listing stops at that page and a stack not on it is asked alone (one DescribeStacks), so a
 * large account costs at most one call more than asking each stack, and a small one a single call.
 *
 * The listing is as old as the run's first verification: verify answers "was this stack still
 * there, complete, when this run started", which is what skipping an unchanged step needs (the
 * run never changes a stack it skips). A listing AWS refuses (an operator policy without
 * cloudformation:ListStacks) falls back to one DescribeStacks per stack.
 */
import type { CloudFormationPort, StackStatus } from '../aws/cloudformation.js';
import type { EnvContext } from './types.js';

interface Listing {
  byName: Map<string, StackStatus>;
  /** Every live stack of the region is in byName (no further page). */
  complete: boolean;
}

export class StackDirectory {
  private listing?: Promise<Listing | undefined>;
  constructor(private readonly cfn: CloudFormationPort) {}

  /** The stack's status; undefined when it does not exist (or only as DELETE_COMPLETE). */
  async status(stackName: string): Promise<StackStatus | undefined> {
    const l = await (this.listing ??= this.list());
    const hit = l?.byName.get(stackName);
    if (hit !== undefined) return hit;
    if (l?.complete) return undefined;
    return (await this.cfn.describeStack(stackName))?.status;
  }

  private async list(): Promise<Listing | undefined> {
    try {
      const page = await this.cfn.listStacks();
      return { byName: new Map(page.stacks.map((s) => [s.stackName, s.status])), complete: !page.nextToken };
    } catch {
      return undefined;
    }
  }
}

/** One directory per run (its EnvContext) and region. */
const directories = new WeakMap<EnvContext, Map<string, StackDirectory>>();

export function stackDirectory(envCtx: EnvContext, region: string, cfn: CloudFormationPort): StackDirectory {
  let byRegion = directories.get(envCtx);
  if (!byRegion) directories.set(envCtx, (byRegion = new Map()));
  let d = byRegion.get(region);
  if (!d) byRegion.set(region, (d = new StackDirectory(cfn)));
  return d;
}
