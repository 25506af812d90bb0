/**
 * Resource policies, pure: compiled once per bundle, evaluated per request against the client's address (from
 * CF-Connecting-IP only — a client-supplied X-Forwarded-For never reaches this), country and ASN. An explicit
 * deny in any applicable policy wins; every applicable policy that has an allow list must match.
 */
import type { BundlePolicyMatch, BundleResourcePolicy } from "../config/bundle.ts";
import { inRange, parseCidr, parseIp, type CidrRange } from "./ip.ts";

interface CompiledMatch {
  ranges: CidrRange[];
  countries: Set<string>;
  asns: Set<number>;
}

export interface CompiledPolicy {
  allow: CompiledMatch | null;
  deny: CompiledMatch | null;
}

export interface CallerFacts {
  ip: string;
  country: string | undefined;
  asn: number | undefined;
}

const compileMatch = (m: BundlePolicyMatch | null): CompiledMatch | null =>
  m ? { ranges: m.ips.map((ip) => parseCidr(ip)!), countries: new Set(m.countries), asns: new Set(m.asns) } : null;

export function compilePolicy(policy: BundleResourcePolicy): CompiledPolicy {
  return { allow: compileMatch(policy.allow), deny: compileMatch(policy.deny) };
}

function matches(m: CompiledMatch, address: Uint8Array | undefined, facts: CallerFacts): boolean {
  if (address && m.ranges.some((r) => inRange(address, r))) return true;
  if (facts.country !== undefined && m.countries.has(facts.country)) return true;
  return facts.asn !== undefined && m.asns.has(facts.asn);
}

/** `deny`: an explicit deny matched; `not-allowed`: an allow list did not match; `allow` otherwise. */
export function evaluatePolicies(policies: readonly CompiledPolicy[], facts: CallerFacts): "allow" | "deny" | "not-allowed" {
  const address = facts.ip ? parseIp(facts.ip) : undefined;
  // An address-based deny cannot be checked without an address: refuse (no rule matched, so not an explicit
  // deny) rather than let it through.
  if (!address && policies.some((p) => p.deny && p.deny.ranges.length)) return "not-allowed";
  for (const p of policies) if (p.deny && matches(p.deny, address, facts)) return "deny";
  for (const p of policies) if (p.allow && !matches(p.allow, address, facts)) return "not-allowed";
  return "allow";
}
