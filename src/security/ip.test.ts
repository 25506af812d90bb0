/** IP parsing and CIDR matching for resource policies, pure: every spelling of one address is one address. */
import { describe, expect, it } from "vitest";
import { inRange, parseCidr, parseIp } from "./ip.ts";

const hex = (bytes: Uint8Array | undefined) => (bytes ? [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("") : undefined);
const V4_PREFIX = "00000000000000000000ffff";

describe("parseIp", () => {
  it.each<[string, string]>([
    ["203.0.113.7", V4_PREFIX + "cb007107"],
    ["0.0.0.0", V4_PREFIX + "00000000"],
    ["255.255.255.255", V4_PREFIX + "ffffffff"],
    ["::", "0".repeat(32)],
    ["::1", "0".repeat(31) + "1"],
    ["1::", "0001" + "0".repeat(28)],
    ["2001:db8::8a2e:370:7334", "20010db8000000000000" + "8a2e03707334"],
    ["2001:0db8:0000:0000:0000:8a2e:0370:7334", "20010db8000000000000" + "8a2e03707334"],
    ["2001:DB8::8A2E:370:7334", "20010db8000000000000" + "8a2e03707334"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000"],
    ["::2:3:4:5:6:7:8", "00000002000300040005000600070008"],
    ["::ffff:203.0.113.7", V4_PREFIX + "cb007107"],
    ["0:0:0:0:0:ffff:203.0.113.7", V4_PREFIX + "cb007107"],
    ["::ffff:cb00:7107", V4_PREFIX + "cb007107"],
    ["64:ff9b::192.0.2.33", "0064ff9b0000000000000000c0000221"],
    ["::192.0.2.33", "000000000000000000000000c0000221"],
  ])("%s", (text, want) => {
    expect(hex(parseIp(text))).toBe(want);
  });

  it("reads an IPv4-mapped address as the IPv4 address itself", () => {
    expect(parseIp("::ffff:203.0.113.7")).toEqual(parseIp("203.0.113.7"));
    expect(parseIp("::FFFF:CB00:7107")).toEqual(parseIp("203.0.113.7"));
  });

  it.each([
    "", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1.2.3.256", "256.0.0.0", "1.2.3.-1", "1.2.3.4 ", " 1.2.3.4", "1.2..4",
    "0x7f.0.0.1", "127.1", "2130706433", "1.2.3.4/24", "a.b.c.d", "１.2.3.4",
    ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "g::1", ":1::", "1::2:",
    "fe80::1%eth0", "fe80::1%25eth0", "[::1]", "[2001:db8::1]", "::ffff:1.2.3", "::ffff:1.2.3.256", "::ffff:01.2.3.4",
    "1.2.3.4::", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:1.2.3.4.5",
  ])("refuses %j", (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe("parseCidr and inRange", () => {
  const within = (address: string, cidr: string) => inRange(parseIp(address)!, parseCidr(cidr)!);

  it("matches IPv4 ranges at their edges", () => {
    expect(within("203.0.113.0", "203.0.113.0/24")).toBe(true);
    expect(within("203.0.113.255", "203.0.113.0/24")).toBe(true);
    expect(within("203.0.114.0", "203.0.113.0/24")).toBe(false);
    expect(within("203.0.112.255", "203.0.113.0/24")).toBe(false);
    expect(within("10.1.2.3", "10.0.0.0/9")).toBe(true);
    expect(within("10.128.0.0", "10.0.0.0/9")).toBe(false);
  });

  it("takes /32 and a bare address as one address, /0 as every IPv4 address but no IPv6 one", () => {
    expect(within("198.51.100.7", "198.51.100.7/32")).toBe(true);
    expect(within("198.51.100.8", "198.51.100.7/32")).toBe(false);
    expect(within("198.51.100.7", "198.51.100.7")).toBe(true);
    expect(within("198.51.100.8", "198.51.100.7")).toBe(false);
    expect(within("1.2.3.4", "0.0.0.0/0")).toBe(true);
    expect(within("255.255.255.255", "0.0.0.0/0")).toBe(true);
    expect(within("2001:db8::1", "0.0.0.0/0")).toBe(false);
  });

  it("matches IPv6 ranges, ::/0 matching everything, /128 one address", () => {
    expect(within("2001:db8:abcd::1", "2001:db8::/32")).toBe(true);
    expect(within("2001:db9::1", "2001:db8::/32")).toBe(false);
    expect(within("2001:db8::1", "2001:db8::1/128")).toBe(true);
    expect(within("2001:db8::2", "2001:db8::1/128")).toBe(false);
    expect(within("2001:db8::7", "2001:db8::/125")).toBe(true);
    expect(within("2001:db8::8", "2001:db8::/125")).toBe(false);
    expect(within("::1", "::/0")).toBe(true);
    expect(within("203.0.113.7", "::/0")).toBe(true);
  });

  it("applies an IPv4 range to the IPv4-mapped spelling and a mapped range to the plain spelling", () => {
    expect(within("::ffff:203.0.113.7", "203.0.113.0/24")).toBe(true);
    expect(within("::ffff:cb00:7107", "203.0.113.7/32")).toBe(true);
    expect(within("203.0.113.7", "::ffff:203.0.113.0/120")).toBe(true);
    expect(within("203.0.114.7", "::ffff:203.0.113.0/120")).toBe(false);
  });

  it("compares a range's address under its mask only (host bits set are ignored)", () => {
    expect(within("192.0.2.200", "192.0.2.77/24")).toBe(true);
  });

  it.each([
    "1.2.3.4/33", "1.2.3.4/-1", "1.2.3.4/", "1.2.3.4/08", "1.2.3.4/ 8", "1.2.3.4/8/8", "1.2.3.4/0x8", "::/129", "::/1000",
    "/24", "1.2.3/24", "1.2.3.4 /24", "fe80::%eth0/64", "[::1]/128", "2001:db8::/32 ",
  ])("refuses %j", (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it("keeps the prefix in the 128-bit space (an IPv4 /24 is 96 + 24)", () => {
    expect(parseCidr("203.0.113.0/24")?.prefix).toBe(120);
    expect(parseCidr("203.0.113.0/0")?.prefix).toBe(96);
    expect(parseCidr("2001:db8::/32")?.prefix).toBe(32);
    expect(parseCidr("2001:db8::1")?.prefix).toBe(128);
  });
});
