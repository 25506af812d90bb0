/** The JSON body pass (json-body.ts): plain values, and random documents from fast-check. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JSON_LIMIT_DEFAULTS } from "../../config/bundle.ts";
import { jsonBodyProblem } from "./json-body.ts";

const limits = { ...JSON_LIMIT_DEFAULTS, maxDepth: 4, maxElements: 10, maxKeyLength: 8 };

describe("jsonBodyProblem", () => {
  it.each([
    ['{"a":1,"a":2}', "[duplicate key \"a\"]"],
    ['{"a":1,"\\u0061":2}', "[duplicate key \"a\"]"],
    ['{"x":{"a":1},"y":[{"b":1,"c":{"b":2,"b":3}}]}', "[duplicate key \"b\"]"],
    ['["\\ud800"]', "[an unpaired surrogate escape]"],
    ['["\\udc00"]', "[an unpaired surrogate escape]"],
    ['["\\ud83d x"]', "[an unpaired surrogate escape]"],
    ['{"\\ud800":1}', "[an unpaired surrogate escape]"],
    ["[[[[[]]]]]", "[nested deeper than 4]"],
    ["[1,2,3,4,5,6,7,8,9,10]", "[more than 10 values]"],
    ['{"abcdefghi":1}', "[a key longer than 8 characters]"],
  ])("refuses %s", (text, problem) => {
    expect(jsonBodyProblem(text, limits)).toBe(problem);
  });

  it.each([
    '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}',
    '["\\ud83d\\ude00", "😀", "\\u00e9", "\\\\ud800"]',
    '{"\\u0061bcdefgh":1}',
    "[[[[]]]]",
    "[1,2,3,4,5,6,7,8,9]",
    ' { "k" : [ true , false , null , -1.5e3 ] } ',
  ])("accepts %s", (text) => {
    expect(jsonBodyProblem(text, limits)).toBeNull();
  });

  const count = (v: unknown): number =>
    Array.isArray(v) ? 1 + v.reduce((n: number, x) => n + count(x), 0) : v && typeof v === "object" ? 1 + Object.values(v).reduce((n: number, x) => n + count(x), 0) : 1;
  const depth = (v: unknown): number =>
    v && typeof v === "object" ? 1 + Math.max(0, ...Object.values(v as object).map(depth)) : 0;

  it("accepts whatever JSON.stringify writes within the limits, and counts values and depth as defined", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 3 }), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const loose = { ...JSON_LIMIT_DEFAULTS, maxKeyLength: 1_000_000, maxElements: 1_000_000, maxDepth: 1000 };
        expect(jsonBodyProblem(text, loose)).toBeNull();
        const tight = { ...loose, maxElements: count(value) - 1 };
        if (tight.maxElements >= 1) expect(jsonBodyProblem(text, tight)).toMatch(/more than/);
        const shallow = { ...loose, maxDepth: depth(value) - 1 };
        if (shallow.maxDepth >= 1) expect(jsonBodyProblem(text, shallow)).toMatch(/nested deeper/);
      }),
    );
  });

  it("finds a duplicate key wherever one is planted", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 }), fc.nat(), (object, pick) => {
        const keys = Object.keys(object);
        const key = keys[pick % keys.length]!;
        const text = JSON.stringify(object).replace(/}$/, () => `,${JSON.stringify(key)}:0}`);
        expect(jsonBodyProblem(text, { ...JSON_LIMIT_DEFAULTS, maxElements: 1_000_000 })).toMatch(/^\[duplicate key/);
      }),
    );
  });
});
