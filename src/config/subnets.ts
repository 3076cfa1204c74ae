/**
 * The specification's subnet layout inside a VPC: `dpf init` derives the nine subnets from the
 * VPC it is given (10.0.0.0/16 → the specification's own subnets).
 */
import { parseCidr } from './rules.js';

/** The seed's subnet layout: /24s at these third-octet offsets from the VPC's network address. */
export const SUBNET_OFFSETS = { public: [1, 2, 3], private: [11, 12, 13], database: [21, 22, 23] } as const;
export type SubnetTier = keyof typeof SUBNET_OFFSETS;
export type SubnetLayout = Record<SubnetTier, string[]>;
/** The largest offset (23) must fit: 24 /24s need a /19 or larger. */
export const MAX_DERIVABLE_PREFIX = 19;

/**
 * The nine /24 subnets of the seed's layout inside `vpcCidr` (10.0.0.0/16 → the seed's own
 * subnets). An error when the value cannot be used: not a CIDR (the caller lets validation name
 * it), or a VPC too small for the offsets (prefix > 19).
 */
export function deriveSubnets(vpcCidr: string): SubnetLayout | { error: string; tooSmall: boolean } {
  const c = parseCidr(vpcCidr.trim());
  if (typeof c === 'string') return { error: c, tooSmall: false };
  if (c.bits > MAX_DERIVABLE_PREFIX)
    return {
      tooSmall: true,
      error: `${c.text} is too small for dpf's subnet layout: its /24 subnets sit at third-octet offsets 1-3 (public), 11-13 (private) and 21-23 (database) from the VPC's address, which needs a /${MAX_DERIVABLE_PREFIX} or larger VPC.`,
    };
  const base = c.net.toByteArray().reduce((n, b) => n * 256 + b, 0);
  const at = (offset: number) => {
    const n = base + offset * 256;
    return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')}/24`;
  };
  return {
    public: SUBNET_OFFSETS.public.map(at),
    private: SUBNET_OFFSETS.private.map(at),
    database: SUBNET_OFFSETS.database.map(at),
  };
}
