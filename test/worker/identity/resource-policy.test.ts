/**
 * Resource policies through the whole pipeline: the API's policy and the route's, on the client address from
 * CF-Connecting-IP (never X-Forwarded-For), country and ASN from `request.cf`. Refusals are Amazon's 403 for an
 * execute-api:Invoke the policy does not allow, "with an explicit deny" when a deny matched; the backend is never
 * called.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DefinitionError } from "../../../src/config/field-errors.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor, type TestGateway } from "../support/gateway.ts";
import { echoTo, expectRefused, expectServed, uid } from "./support.ts";

const api = `policy-${uid()}`;
const path = `${api}-backend`;
const backend = `/echo/${path}`;
let gw: TestGateway;

const definition: ApiDefinition = {
  name: api,
  stages: { prod: {} },
  // API-wide: a denied IPv4 range, a denied IPv6 range, a denied country and ASN.
  resourcePolicy: { deny: { ips: ["198.51.100.0/24", "2001:db8:bad::/48"], countries: ["KP"], asns: [64666] } },
  routes: {
    "GET /pets": { integration: echoTo(path) },
    // Route-level allow list, with one address inside it explicitly denied.
    "GET /internal": {
      integration: echoTo(path),
      resourcePolicy: { allow: { ips: ["10.0.0.0/8", "2001:db8:100::/40"], countries: ["CH"], asns: [13335] }, deny: { ips: ["10.6.6.6"] } },
    },
    // An allow list that an API-wide deny still overrides.
    "GET /partners": { integration: echoTo(path), resourcePolicy: { allow: { ips: ["198.51.100.0/24", "203.0.113.0/24"] } } },
  },
};

beforeAll(async () => {
  gw = await gatewayFor(definition);
});

const arn = (route: string) => `arn:portico:execute-api:edge:portico:${api}/prod/GET${route}`;
const denied = (route: string) => ({
  status: 403,
  body: JSON.stringify({ message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${arn(route)} with an explicit deny` }),
  errorType: "AccessDeniedException",
});
const notAllowed = (route: string) => ({
  status: 403,
  body: JSON.stringify({ message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${arn(route)}` }),
  errorType: "AccessDeniedException",
});

interface Caller {
  ip?: string;
  xff?: string;
  country?: string;
  asn?: number;
}

const from = (route: string, { ip, xff, country, asn }: Caller) => () => {
  const headers = new Headers();
  if (ip !== undefined) headers.set("cf-connecting-ip", ip);
  if (xff !== undefined) headers.set("x-forwarded-for", xff);
  const cf = { ...(country ? { country } : {}), ...(asn ? { asn } : {}) };
  return gw.request(new Request(`http://gateway.test/prod${route}`, { headers, cf } as RequestInit));
};

describe("API-wide deny", () => {
  it("serves an address outside every deny", async () => {
    await expectServed(from("/pets", { ip: "203.0.113.7", country: "DE", asn: 3320 }), backend);
    await expectServed(from("/pets", { ip: "2001:db8:600d::1" }), backend);
  });

  it.each<[string, Caller]>([
    ["an address in the denied IPv4 range", { ip: "198.51.100.23" }],
    ["the first address of the range", { ip: "198.51.100.0" }],
    ["the IPv4-mapped spelling of a denied address", { ip: "::ffff:198.51.100.23" }],
    ["the IPv4-mapped hex spelling", { ip: "::ffff:c633:6417" }],
    ["an address in the denied IPv6 range", { ip: "2001:db8:bad:1::42" }],
    ["an uncompressed IPv6 spelling", { ip: "2001:0db8:0bad:0000:0000:0000:0000:0001" }],
    ["a denied country", { ip: "203.0.113.7", country: "KP" }],
    ["a denied ASN", { ip: "203.0.113.7", asn: 64666 }],
    ["a denied CF-Connecting-IP with an allowed X-Forwarded-For", { ip: "198.51.100.23", xff: "203.0.113.7" }],
  ])("refuses %s with an explicit deny", async (_name, caller) => {
    await expectRefused(from("/pets", caller), backend, denied("/pets"));
  });

  it("ignores X-Forwarded-For: a denied address there does not refuse an allowed client", async () => {
    await expectServed(from("/pets", { ip: "203.0.113.7", xff: "198.51.100.23, 2001:db8:bad::1" }), backend);
  });

  it("wins over a route's allow list that includes the address", async () => {
    await expectServed(from("/partners", { ip: "203.0.113.9" }), backend);
    await expectRefused(from("/partners", { ip: "198.51.100.9" }), backend, denied("/partners"));
  });
});

describe("route-level allow list", () => {
  it.each<[string, Caller]>([
    ["an allowed IPv4 range", { ip: "10.1.2.3" }],
    ["the mapped spelling of an allowed address", { ip: "::ffff:10.1.2.3" }],
    ["an allowed IPv6 range", { ip: "2001:db8:1ff::1" }],
    ["an allowed country", { ip: "192.0.2.1", country: "CH" }],
    ["an allowed ASN", { ip: "192.0.2.1", asn: 13335 }],
  ])("serves %s", async (_name, caller) => {
    await expectServed(from("/internal", caller), backend);
  });

  it.each<[string, Caller]>([
    ["an address outside it", { ip: "192.0.2.1" }],
    ["an IPv6 address just outside the range", { ip: "2001:db8:200::1" }],
    ["another country and ASN", { ip: "192.0.2.1", country: "DE", asn: 3320 }],
    ["no client address at all", {}],
    ["an unparseable client address", { ip: "10.1.2.3.4" }],
    ["an allowed X-Forwarded-For from a CF-Connecting-IP outside", { ip: "192.0.2.1", xff: "10.1.2.3" }],
  ])("refuses %s, without 'explicit deny'", async (_name, caller) => {
    await expectRefused(from("/internal", caller), backend, notAllowed("/internal"));
  });

  it("lets an explicit deny win over the allow list it sits inside", async () => {
    await expectRefused(from("/internal", { ip: "10.6.6.6" }), backend, denied("/internal"));
    await expectRefused(from("/internal", { ip: "::ffff:10.6.6.6" }), backend, denied("/internal"));
    await expectRefused(from("/internal", { ip: "10.6.6.6", country: "CH", asn: 13335 }), backend, denied("/internal"));
    await expectServed(from("/internal", { ip: "10.6.6.7" }), backend);
  });

  it("still applies the API-wide deny on the route (a denied country inside the allowed range)", async () => {
    await expectRefused(from("/internal", { ip: "10.1.2.3", country: "KP" }), backend, denied("/internal"));
  });
});

describe("policies in definitions", () => {
  it.each(["1.2.3.4/33", "01.2.3.4", "1.2.3", "fe80::1%eth0", "[::1]", "1::2::3"])("refuses %j at compile time, naming the field", async (ip) => {
    const bad: ApiDefinition = { ...definition, name: `bad-${uid()}`, resourcePolicy: { deny: { ips: ["192.0.2.0/24", ip] } } };
    const error = await gatewayFor(bad).then(() => undefined, (err: unknown) => err as DefinitionError);
    expect(error).toBeInstanceOf(DefinitionError);
    expect(error!.errors).toEqual([{ path: ["resourcePolicy", "deny", "ips", 1], message: `"${ip}" is not an IP address or CIDR range` }]);
  });
});
