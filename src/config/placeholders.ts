/** Values that look filled in but reach nobody: documentation ranges and example domains. */
/** Documentation ranges and domains (RFC 5737, RFC 2606): placeholders that reach nobody. */
const PLACEHOLDER_CIDRS = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];
const PLACEHOLDER_DOMAIN = /@(?:[\w-]+\.)*example\.(?:com|org|net)$/i;

/** The placeholders a set of answers still holds, as "what: why" lines (empty when none). */
export function placeholders(o: { adminCidrs?: string[]; alarmEmail?: string }): string[] {
  const out: string[] = [];
  const cidrs = o.adminCidrs ?? ['203.0.113.0/24'];
  for (const c of cidrs.filter((x) => PLACEHOLDER_CIDRS.includes(x.trim())))
    out.push(`network.adminCidrs ${c} is a documentation range (RFC 5737): no real address is in it, so nobody can SSH to the bastion`);
  const email = o.alarmEmail ?? 'platform-alerts@example.com';
  if (PLACEHOLDER_DOMAIN.test(email)) out.push(`monitoring.alarmEmail ${email} is a reserved example domain (RFC 2606): nobody receives the alarms`);
  return out;
}
