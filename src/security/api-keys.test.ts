/** API key values and constant-time comparison, pure. */
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../config/bundle.ts";
import { generateKeyValue, hashKey, keyHint, KEY_PATTERN, wellFormedKey } from "./api-keys.ts";
import { constantTimeEqual } from "./constant-time.ts";

describe("API key values", () => {
  it("generates well-formed, distinct values with a correct check", async () => {
    const values = await Promise.all(Array.from({ length: 50 }, () => generateKeyValue()));
    expect(new Set(values).size).toBe(50);
    for (const value of values) {
      expect(value).toMatch(KEY_PATTERN);
      expect(await wellFormedKey(value)).toBe(true);
    }
  });

  it("refuses values with a wrong check, a wrong shape, or joined duplicates", async () => {
    const value = await generateKeyValue();
    const flipped = value.slice(0, -1) + (value.endsWith("a") ? "b" : "a");
    const body = value.slice(4, 38);
    for (const bad of [
      flipped,
      value.slice(0, 10) + (value[10] === "A" ? "B" : "A") + value.slice(11), // body changed, check kept
      `${value}, ${value}`,
      `${value},${value}`,
      ` ${value}`,
      `${value}\n`,
      value.toUpperCase(),
      `ptk_${body}`,
      `ptx_${body}${(await sha256Hex(body)).slice(0, 6)}`,
      "",
    ])
      expect(await wellFormedKey(bad), JSON.stringify(bad)).toBe(false);
  });

  it("hashes with SHA-256 and hints without revealing the value", async () => {
    const value = await generateKeyValue();
    expect(await hashKey(value)).toBe(await sha256Hex(value));
    const hint = keyHint(value);
    expect(hint).toBe(`${value.slice(0, 8)}…${value.slice(-4)}`);
    // The hint holds 4 of the 34 random characters: nothing near enough to guess the rest.
    expect(hint.length).toBeLessThan(16);
  });
});

describe("constantTimeEqual", () => {
  it.each<[string, string, boolean]>([
    ["secret", "secret", true],
    ["secret", "secreT", false],
    ["secret", "secret ", false],
    ["secret", "secretsecret", false], // a repetition must not compare equal through the index wrap-around
    ["ab", "abab", false],
    ["", "", false], // an empty configured secret never matches
    ["", "x", false],
    ["ü", "ü", true],
    ["ü", "u", false],
  ])("%j vs %j → %s", (a, b, want) => {
    expect(constantTimeEqual(a, b)).toBe(want);
    expect(constantTimeEqual(b, a)).toBe(want);
  });
});
