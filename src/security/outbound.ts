/**
 * Where the gateway may send a request of its own: backends (`uri`), JWKS endpoints and custom authorizer URLs.
 * Pure: a host is classed from its text (the WHATWG URL parser has already turned `2130706433`, `0177.0.0.1`,
 * `0x7f.1` and `127.1` into `127.0.0.1`), never by resolving a name.
 *
 * - `forbidden`, always refused: cloud metadata addresses and names (169.254.169.254, fd00:ec2::254,
 *   100.100.100.200, metadata.google.internal …), link-local, the unspecified address, multicast and reserved
 *   ranges, and IPv6 forms that embed one of those (IPv4-mapped, NAT64, 6to4);
 * - `loopback` (127.0.0.0/8, ::1, `localhost`, `*.localhost`) and `private` (RFC 1918, CGNAT 100.64.0.0/10,
 *   unique-local fc00::/7, single-label names and `.internal`/`.local`/`.lan`/`.home.arpa`): refused unless the
 *   Worker runs with PORTICO_LOCAL_DEV — on Cloudflare a fetch cannot reach either, so refusing them costs nothing
 *   there and protects a self-hosted workerd;
 * - `public`: everything else.
 *
 * A name that resolves to a private address is not caught here (no DNS lookup on the hot path); on Workers such
 * a fetch fails anyway. docs/security.md has the table.
 */
import { inRange, parseCidr, parseIp, type CidrRange } from "./ip.ts";

export type HostClass = "public" | "loopback" | "private" | "forbidden";

/** The Worker var that allows loopback and private targets, and http:// identity providers: local development only. */
export const LOCAL_DEV_VAR = "PORTICO_LOCAL_DEV";

/** Whether the Worker runs in local development (`PORTICO_LOCAL_DEV = "true"`). */
export function isLocalDev(env: Record<string, unknown>): boolean {
  return env[LOCAL_DEV_VAR] === "true";
}

const ranges = (cls: HostClass, list: string[]): [CidrRange, HostClass][] => list.map((c) => [parseCidr(c)!, cls]);

/** First match wins: the metadata addresses sit inside ranges that are otherwise only private. */
const RANGES: [CidrRange, HostClass][] = [
  ...ranges("forbidden", [
    "100.100.100.200/32", // Alibaba Cloud metadata (inside CGNAT)
    "192.0.0.192/32", // Oracle Cloud metadata
    "fd00:ec2::254/128", // AWS metadata over IPv6 (inside unique-local)
    "0.0.0.0/8", // "this network": 0.0.0.0 reaches the local host on Linux
    "169.254.0.0/16", // link-local: AWS, GCP, Azure and DigitalOcean metadata (169.254.169.254), ECS (169.254.170.2)
    "224.0.0.0/4",
    "240.0.0.0/4", // reserved, and 255.255.255.255
    "::/128",
    "fe80::/10",
    "ff00::/8",
  ]),
  ...ranges("loopback", ["127.0.0.0/8", "::1/128"]),
  ...ranges("private", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "fc00::/7"]),
];

const METADATA_NAMES = new Set(["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal", "metadata.azure.internal"]);
const PRIVATE_SUFFIXES = [".internal", ".local", ".lan", ".home.arpa", ".intranet", ".corp"];
const V4_MAPPED = parseCidr("::ffff:0.0.0.0/96")!;
const NAT64 = parseCidr("64:ff9b::/96")!;
const SIX_TO_FOUR = parseCidr("2002::/16")!;

function classOfAddress(bytes: Uint8Array): HostClass {
  for (const [range, cls] of RANGES) if (inRange(bytes, range)) return cls;
  // IPv6 spellings of an IPv4 address reach that address: judge the address inside.
  let embedded: Uint8Array | undefined;
  if (inRange(bytes, NAT64) || bytes.subarray(0, 12).every((b) => b === 0)) embedded = bytes.subarray(12, 16);
  else if (inRange(bytes, SIX_TO_FOUR)) embedded = bytes.subarray(2, 6);
  if (embedded && !inRange(bytes, V4_MAPPED)) {
    const v4 = new Uint8Array(16);
    v4[10] = v4[11] = 0xff;
    v4.set(embedded, 12);
    return classOfAddress(v4);
  }
  return "public";
}

/** The class of a URL's `hostname` (lower-case, IPv6 in brackets, as the URL parser leaves it). */
export function classifyHost(hostname: string): HostClass {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  const bytes = host.startsWith("[") ? parseIp(host.slice(1, -1)) : /^[0-9.]+$/.test(host) ? parseIp(host) : undefined;
  if (bytes) return classOfAddress(bytes);
  if (host === "" || METADATA_NAMES.has(host)) return "forbidden";
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  if (!host.includes(".") || PRIVATE_SUFFIXES.some((s) => host.endsWith(s))) return "private";
  return "public";
}

const WHY: Record<Exclude<HostClass, "public">, string> = {
  forbidden: "a cloud metadata, link-local, unspecified or reserved address",
  loopback: "a loopback address",
  private: "a private-network address or name",
};

/** Why a host of this class may not be reached, or null when it may. */
export function classRefusal(cls: HostClass, localDev: boolean): string | null {
  if (cls === "public" || (localDev && cls !== "forbidden")) return null;
  return WHY[cls] + (cls === "forbidden" ? "" : " (allowed only in local development: PORTICO_LOCAL_DEV)");
}

/** Why the gateway may not send a request to `url`, or null. Credentials in the URL are always refused. */
export function outboundRefusal(url: URL, localDev: boolean): string | null {
  if (url.username || url.password) return "carries credentials (user@host)";
  return classRefusal(classifyHost(url.hostname), localDev);
}

/**
 * Compile-time checks of an outbound URL template (`uri`, `jwksUrl`, authorizer `url`): messages for the field,
 * empty when it is fine. `{param}` may not reach the host (a client would choose where the gateway connects), so
 * a path parameter must come after the `/` that starts the path; a host written as a literal is classed now,
 * and must be spelled as the URL parser reads it (no `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`). A host that
 * comes from a stage variable is classed when the URL is rendered (integrations/http/url.ts).
 */
export function checkOutboundTemplate(template: string, options: { localDev: boolean; network: boolean }): string[] {
  const errors: string[] = [];
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(template);
  // Where the path starts: after the literal authority, or after the stage variables that give scheme and host.
  let rest = scheme ? template.slice(scheme[0].length) : template;
  const lead = scheme ? "" : (/^(\$\{stageVariables\.[^}]*\})+/.exec(rest)?.[0] ?? "");
  rest = rest.slice(lead.length);
  const end = rest.search(/[/?#]/);
  const authority = scheme ? (end < 0 ? rest : rest.slice(0, end)) : "";
  const beforePath = lead + (scheme ? authority : end < 0 ? rest : rest.slice(0, end));
  if (/\{[^{}$]+\}/.test(beforePath.replace(/\$\{stageVariables\.[^}]*\}/g, "")))
    errors.push(scheme || !lead
      ? "a path parameter cannot be part of the host: put it after the `/` that starts the path"
      : "a path parameter must follow a `/` after the stage variable that gives the host (`${stageVariables.x}/{proxy}`)");
  if (!scheme || errors.length || authority.includes("${")) return errors;
  if (authority.includes("@")) {
    errors.push("must not carry credentials (user@host): send them in a header");
    return errors;
  }
  let url: URL;
  try {
    url = new URL(`${scheme[0]}${authority}/`);
  } catch {
    errors.push(`"${authority}" is not a valid host`);
    return errors;
  }
  const writtenHost = authority.replace(/:\d*$/, "").toLowerCase();
  if (/^[0-9.]+$/.test(url.hostname) && writtenHost !== url.hostname && !/^\[/.test(writtenHost))
    errors.push(`write the address as four decimal numbers (${url.hostname}), not "${writtenHost}"`);
  if (options.network) {
    const why = classRefusal(classifyHost(url.hostname), options.localDev);
    if (why) errors.push(`${url.hostname} is ${why}`);
  }
  return errors;
}

/**
 * For an identity provider's fixed URL (JWKS, custom authorizer), parsed once: why the gateway may not call it
 * in this Worker (not https outside local development, credentials, a refused address), or null. Bundles are
 * checked when compiled; this holds the rule for a bundle compiled for local development, or before the rule.
 */
export function providerRefusal(url: string): (localDev: boolean) => string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return () => "is not a URL";
  }
  const cls = classifyHost(parsed.hostname);
  const credentials = !!(parsed.username || parsed.password);
  const https = parsed.protocol === "https:";
  if (https && cls === "public" && !credentials) return () => null;
  return (localDev) => {
    if (credentials) return "carries credentials (user@host)";
    if (!https && !(localDev && parsed.protocol === "http:")) return "is not https (http:// is allowed only in local development: PORTICO_LOCAL_DEV)";
    const why = classRefusal(cls, localDev);
    return why ? `points at ${why}` : null;
  };
}
