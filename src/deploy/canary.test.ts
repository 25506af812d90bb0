/** Canary assignment (pure): bucket spread, stickiness, monotonic growth, percent edges and sticky keys. */
import { describe, expect, it } from "vitest";
import { assignCanary, bucketOf, hash32, inCanary, stickyValue } from "./canary.ts";
import type { StickyKey } from "./types.ts";

const req = (headers: Record<string, string> = {}) => new Request("http://gw.test/prod/x", { headers });
const b64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const jwt = (payload: unknown) => `Bearer ${b64url({ alg: "RS256", typ: "JWT" })}.${b64url(payload)}.c2lnbmF0dXJl`;

describe("buckets", () => {
  it("hashes to 32 bits and buckets to 0..9999", () => {
    for (let i = 0; i < 2000; i++) {
      const h = hash32(`k${i}`);
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
      const b = bucketOf(`k${i}`);
      expect(b >= 0 && b < 10_000).toBe(true);
    }
  });

  it("puts 10% of 100,000 distinct identities in a 10% canary, within ±0.5 points", () => {
    let inside = 0;
    for (let i = 0; i < 100_000; i++) if (inCanary(bucketOf(`user-${i}@example.com`), 10)) inside++;
    expect(Math.abs(inside / 100_000 - 0.1)).toBeLessThanOrEqual(0.005);
  });

  it("spreads sequential ids evenly over the buckets (no tenth holds much more than its share)", () => {
    const tenths = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) tenths[Math.floor(bucketOf(String(i)) / 1000)]!++;
    for (const n of tenths) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });

  it("is 100% sticky: the same key always gets the same bucket and the same version", () => {
    const sticky: StickyKey = { kind: "header", name: "x-user" };
    for (let i = 0; i < 1000; i++) {
      const key = `caller-${i}`;
      const first = assignCanary(37.5, sticky, req({ "x-user": key }), "");
      expect(bucketOf(key)).toBe(bucketOf(key));
      for (let round = 0; round < 5; round++) expect(assignCanary(37.5, sticky, req({ "x-user": key }), "")).toBe(first);
    }
  });

  it("is monotonic: a key in the canary at p stays in it at every higher p", () => {
    const percents = [1, 5, 10, 25, 50, 99.99];
    const counts = new Array<number>(percents.length).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const bucket = bucketOf(`mono-${i}`);
      percents.forEach((p, j) => {
        if (!inCanary(bucket, p)) return;
        counts[j]!++;
        for (const higher of percents.slice(j + 1)) expect(inCanary(bucket, higher)).toBe(true);
      });
    }
    // Each step holds strictly more keys than the one before (the loop above was not vacuous).
    for (let j = 1; j < counts.length; j++) expect(counts[j]!).toBeGreaterThan(counts[j - 1]!);
    expect(counts[0]).toBeGreaterThan(0);
  });
});

describe("percent edges", () => {
  it("0% never and 100% always serves the canary, whatever the key", () => {
    const sticky: StickyKey = { kind: "header", name: "x-user" };
    for (let i = 0; i < 500; i++) {
      expect(assignCanary(0, sticky, req({ "x-user": `u${i}` }), "")).toBe(false);
      expect(assignCanary(100, sticky, req({ "x-user": `u${i}` }), "")).toBe(true);
      expect(assignCanary(0, { kind: "none" }, req(), "")).toBe(false);
      expect(assignCanary(100, { kind: "none" }, req(), "")).toBe(true);
    }
    expect(inCanary(9999, 100)).toBe(true);
    expect(inCanary(0, 0)).toBe(false);
  });

  it("takes two-decimal percents exactly: 0.01% is bucket 0 only", () => {
    expect(inCanary(0, 0.01)).toBe(true);
    expect(inCanary(1, 0.01)).toBe(false);
    expect(inCanary(1233, 12.34)).toBe(true);
    expect(inCanary(1234, 12.34)).toBe(false);
    // Binary floating point: 0.29 × 100 is 28.999…, still 29 buckets.
    expect(inCanary(28, 0.29)).toBe(true);
    expect(inCanary(29, 0.29)).toBe(false);
    expect(inCanary(9998, 99.99)).toBe(true);
    expect(inCanary(9999, 99.99)).toBe(false);
  });
});

describe("sticky keys", () => {
  it("ip: the client IP, none when unknown", () => {
    expect(stickyValue({ kind: "ip" }, req(), "203.0.113.7")).toBe("203.0.113.7");
    expect(stickyValue({ kind: "ip" }, req({ "x-forwarded-for": "198.51.100.1" }), "")).toBeUndefined();
  });

  it("apiKey: the x-api-key header", () => {
    expect(stickyValue({ kind: "apiKey" }, req({ "x-api-key": "key-123" }), "1.2.3.4")).toBe("key-123");
    expect(stickyValue({ kind: "apiKey" }, req({ authorization: "Bearer key-123" }), "1.2.3.4")).toBeUndefined();
  });

  it("header:NAME: that header's value, case-insensitively named", () => {
    expect(stickyValue({ kind: "header", name: "X-User" }, req({ "x-user": "alice" }), "")).toBe("alice");
    expect(stickyValue({ kind: "header", name: "x-user" }, req({ "x-other": "alice" }), "")).toBeUndefined();
    expect(stickyValue({ kind: "header" }, req({ "x-user": "alice" }), "")).toBeUndefined();
  });

  it("cookie:NAME: that cookie's value among others", () => {
    const cookies = req({ cookie: "theme=dark; session=abc123 ;other=1" });
    expect(stickyValue({ kind: "cookie", name: "session" }, cookies, "")).toBe("abc123");
    expect(stickyValue({ kind: "cookie", name: "other" }, cookies, "")).toBe("1");
    expect(stickyValue({ kind: "cookie", name: "sess" }, cookies, "")).toBeUndefined();
    expect(stickyValue({ kind: "cookie", name: "session" }, req(), "")).toBeUndefined();
    expect(stickyValue({ kind: "cookie", name: "session" }, req({ cookie: "session=" }), "")).toBeUndefined();
  });

  it("sub: the subject of an unverified bearer JWT", () => {
    expect(stickyValue({ kind: "sub" }, req({ authorization: jwt({ sub: "user-42", iss: "x" }) }), "")).toBe("user-42");
    // base64url payloads use - and _ where base64 has + and /.
    const odd = "subject??>>~~";
    expect(b64url({ sub: odd })).toMatch(/[-_]/);
    expect(stickyValue({ kind: "sub" }, req({ authorization: jwt({ sub: odd }) }), "")).toBe(odd);
  });

  it("sub: garbage tokens have no subject", () => {
    const garbage = [
      "Bearer not-a-jwt",
      "Bearer a.b",
      "Bearer aaa.!!!.ccc",
      `Bearer aaa.${btoa("not json")}.ccc`,
      `Bearer aaa.${b64url({ sub: 42 })}.ccc`,
      `Bearer aaa.${b64url({ name: "no sub" })}.ccc`,
      `Bearer aaa.${b64url("just a string")}.ccc`,
      `Basic ${btoa("user:pass")}`,
    ];
    for (const authorization of garbage) expect(stickyValue({ kind: "sub" }, req({ authorization }), "")).toBeUndefined();
    expect(stickyValue({ kind: "sub" }, req(), "")).toBeUndefined();
  });

  it("the same sub in different tokens gets the same version", () => {
    const a = req({ authorization: jwt({ sub: "same", iat: 1 }) });
    const b = req({ authorization: jwt({ sub: "same", iat: 2, extra: true }) });
    for (const p of [3, 30, 70]) expect(assignCanary(p, { kind: "sub" }, a, "")).toBe(assignCanary(p, { kind: "sub" }, b, ""));
  });

  it("none (or a missing sticky value): random per request, both versions over many calls at 50%", () => {
    for (const [sticky, request] of [
      [{ kind: "none" }, req({ "x-user": "fixed" })],
      [{ kind: "header", name: "x-user" }, req()],
    ] as const) {
      let canary = 0;
      for (let i = 0; i < 400; i++) if (assignCanary(50, sticky, request, "9.9.9.9")) canary++;
      expect(canary).toBeGreaterThan(120);
      expect(canary).toBeLessThan(280);
    }
  });
});
