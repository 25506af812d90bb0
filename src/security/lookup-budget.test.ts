/** The unseen-key lookup budget with plain values: per client, per isolate, IPv6 /64 as one client. */
import { describe, expect, it } from "vitest";
import { clientOf, LookupBudget } from "./lookup-budget.ts";

const T0 = 1_700_000_000_000;

describe("clientOf", () => {
  it("is the IPv4 address (in either spelling), an IPv6 /64, or one shared client for an unreadable address", () => {
    expect(clientOf("203.0.113.7")).toBe("203.0.113.7");
    expect(clientOf("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(clientOf("2001:db8:0:1::1")).toBe(clientOf("2001:db8:0:1:ffff:ffff:ffff:ffff"));
    expect(clientOf("2001:db8:0:1::1")).not.toBe(clientOf("2001:db8:0:2::1"));
    expect(clientOf("")).toBe("?");
    expect(clientOf("not an ip")).toBe("?");
  });
});

describe("LookupBudget", () => {
  it("gives each client its own burst and rate, and refuses with the wait until the next token", () => {
    const budget = new LookupBudget({ rate: 5, burst: 3 }, { rate: 1000, burst: 1000 });
    expect([0, 1, 2].map(() => budget.spend("203.0.113.1", T0))).toEqual([0, 0, 0]);
    expect(budget.spend("203.0.113.1", T0)).toBe(200);
    expect(budget.spend("203.0.113.2", T0)).toBe(0);
    expect(budget.spend("203.0.113.1", T0 + 200)).toBe(0);
  });

  it("caps the isolate as a whole, whatever the number of clients, without spending a client's token on a refusal", () => {
    const budget = new LookupBudget({ rate: 5, burst: 3 }, { rate: 10, burst: 4 });
    expect([1, 2, 3, 4].map((n) => budget.spend(`198.51.100.${n}`, T0))).toEqual([0, 0, 0, 0]);
    expect(budget.spend("198.51.100.9", T0)).toBe(100);
    expect([0, 1, 2].map(() => budget.spend("198.51.100.9", T0 + 300))).toEqual([0, 0, 0]);
  });
});
