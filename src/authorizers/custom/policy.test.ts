/** Lambda authorizer replies: parsing good and malformed replies, IAM resource matching, evaluation. Pure. */
import { describe, expect, it } from "vitest";
import { evaluatePolicy, parsePolicyReply, parseSimpleReply, resourceMatches, type PolicyStatement } from "./policy.ts";

const ARN = "arn:portico:execute-api:edge:portico:petstore/prod/GET/pets";

const reply = (statement: unknown, extra: Record<string, unknown> = {}) => ({
  principalId: "alice",
  policyDocument: { Version: "2012-10-17", Statement: statement },
  ...extra,
});
const allow = (resource: unknown, action: unknown = "execute-api:Invoke") => ({ Effect: "Allow", Action: action, Resource: resource });

describe("parsePolicyReply", () => {
  it("reads principalId, statements, context and usageIdentifierKey", () => {
    const parsed = parsePolicyReply(
      reply([allow(ARN), { Effect: "Deny", Action: ["execute-api:Invoke"], Resource: [ARN, "*"] }], {
        context: { user: "alice", n: 1, ok: false },
        usageIdentifierKey: "key-1",
      }),
    );
    expect(parsed).toEqual({
      principalId: "alice",
      statements: [
        { effect: "Allow", resources: [ARN] },
        { effect: "Deny", resources: [ARN, "*"] },
      ],
      context: { user: "alice", n: 1, ok: false },
      usageIdentifierKey: "key-1",
    });
  });

  it("takes a single Statement object as a one-element list, and a Resource string as a one-element list", () => {
    expect(parsePolicyReply(reply(allow(ARN)))?.statements).toEqual([{ effect: "Allow", resources: [ARN] }]);
  });

  it("defaults context to {} and usageIdentifierKey to null", () => {
    const parsed = parsePolicyReply(reply([allow("*")]));
    expect(parsed?.context).toEqual({});
    expect(parsed?.usageIdentifierKey).toBeNull();
    expect(parsePolicyReply(reply([allow("*")], { context: null, usageIdentifierKey: null }))?.context).toEqual({});
  });

  it("keeps statements for '*', 'execute-api:*' and lists holding execute-api:Invoke; ignores other actions", () => {
    const parsed = parsePolicyReply(
      reply([
        allow("a", "*"),
        allow("b", "execute-api:*"),
        allow("c", ["s3:GetObject", "execute-api:Invoke"]),
        allow("d", "execute-api:ManageConnections"),
        { Effect: "Deny", Action: "s3:*", Resource: "*" },
      ]),
    );
    expect(parsed?.statements.map((s) => s.resources[0])).toEqual(["a", "b", "c"]);
  });

  it("accepts an empty Statement list (every request is then an implicit deny)", () => {
    expect(parsePolicyReply(reply([]))?.statements).toEqual([]);
  });

  it("keeps a context key named __proto__ as a plain own key", () => {
    const parsed = parsePolicyReply(JSON.parse('{"principalId":"p","policyDocument":{"Statement":[]},"context":{"__proto__":"x"}}'));
    expect(Object.getPrototypeOf(parsed!.context)).toBe(Object.prototype);
    expect(Object.keys(parsed!.context)).toEqual(["__proto__"]);
  });

  it.each([
    ["not an object", "Allow"],
    ["null", null],
    ["an array", [reply([allow("*")])]],
    ["no principalId", { policyDocument: { Statement: [allow("*")] } }],
    ["a numeric principalId", reply([allow("*")], { principalId: 42 })],
    ["no policyDocument", { principalId: "p" }],
    ["a string policyDocument", { principalId: "p", policyDocument: "allow" }],
    ["no Statement", { principalId: "p", policyDocument: {} }],
    ["a string Statement", reply("Allow")],
    ["a statement that is not an object", reply([allow("*"), "Deny"])],
    ["Effect in lower case", reply([{ ...allow("*"), Effect: "allow" }])],
    ["Effect in upper case", reply([{ ...allow("*"), Effect: "DENY" }])],
    ["an unknown Effect", reply([{ ...allow("*"), Effect: "Maybe" }])],
    ["no Action", reply([{ Effect: "Allow", Resource: "*" }])],
    ["a numeric Action", reply([allow("*", 1)])],
    ["no Resource", reply([{ Effect: "Allow", Action: "*" }])],
    ["an empty Resource list", reply([allow([])])],
    ["a Resource list holding a number", reply([allow(["*", 3])])],
    ["a NotResource statement", reply([{ Effect: "Deny", Action: "*", NotResource: ARN }])],
    ["a Condition", reply([{ ...allow("*"), Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }])],
    ["a context holding an object", reply([allow("*")], { context: { nested: { a: 1 } } })],
    ["a context holding an array", reply([allow("*")], { context: { list: [1] } })],
    ["a context holding null", reply([allow("*")], { context: { gone: null } })],
    ["a context that is an array", reply([allow("*")], { context: ["a"] })],
    ["a context that is a string", reply([allow("*")], { context: "ctx" })],
    ["a numeric usageIdentifierKey", reply([allow("*")], { usageIdentifierKey: 7 })],
  ])("rejects a reply with %s", (_name, value) => {
    expect(parsePolicyReply(value)).toBeNull();
  });
});

describe("parseSimpleReply", () => {
  it("reads isAuthorized and context", () => {
    expect(parseSimpleReply({ isAuthorized: true, context: { tier: "gold", n: 2 } })).toEqual({ allowed: true, context: { tier: "gold", n: 2 } });
    expect(parseSimpleReply({ isAuthorized: false })).toEqual({ allowed: false, context: {} });
  });

  it.each([
    ["a string isAuthorized", { isAuthorized: "true" }],
    ["no isAuthorized", { context: {} }],
    ["a context holding an object", { isAuthorized: true, context: { a: { b: 1 } } }],
    ["not an object", true],
    ["null", null],
  ])("rejects %s", (_name, value) => {
    expect(parseSimpleReply(value)).toBeNull();
  });
});

describe("resourceMatches", () => {
  it("matches an exact ARN and nothing else", () => {
    expect(resourceMatches(ARN, ARN)).toBe(true);
    expect(resourceMatches(ARN, ARN + "/1")).toBe(false);
    expect(resourceMatches(ARN + "/1", ARN)).toBe(false);
    expect(resourceMatches(ARN.replace("GET", "POST"), ARN)).toBe(false);
  });

  it("lets * match any run of characters, across / and :", () => {
    expect(resourceMatches("*", ARN)).toBe(true);
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/prod/*", ARN)).toBe(true);
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/prod/*", ARN + "/1/photos")).toBe(true);
    expect(resourceMatches("arn:portico:execute-api:*/GET/pets", ARN)).toBe(true);
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/*/GET/*", ARN)).toBe(true);
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/*/POST/*", ARN)).toBe(false);
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/prod/GET/pets*", ARN)).toBe(true);
    expect(resourceMatches("*pets", ARN)).toBe(true);
    expect(resourceMatches("*cats", ARN)).toBe(false);
    expect(resourceMatches("arn:**:petstore/**/pets", ARN)).toBe(true);
  });

  it("lets ? match exactly one character", () => {
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/pro?/GET/pets", ARN)).toBe(true);
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/pro??/GET/pets", ARN)).toBe(false);
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/prod/GET/pet?", ARN)).toBe(true);
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/prod/GET/pets?", ARN)).toBe(false);
    expect(resourceMatches("*/???/pets", ARN)).toBe(true);
    expect(resourceMatches("*/????/pets", ARN)).toBe(false);
  });

  it("treats regular-expression metacharacters in a resource literally", () => {
    const odd = "arn:portico:execute-api:edge:portico:petstore/prod/GET/a(b).c+d[e]{2}|f^$\\g";
    expect(resourceMatches(odd, odd)).toBe(true);
    expect(resourceMatches("arn:portico:execute-api:edge:portico:petstore/prod/GET/a.c", "arn:portico:execute-api:edge:portico:petstore/prod/GET/abc")).toBe(false);
    expect(resourceMatches("*/GET/a+", "x/GET/aaa")).toBe(false);
    expect(resourceMatches("*/GET/(a)", "x/GET/a")).toBe(false);
    expect(resourceMatches("*/GET/(a)", "x/GET/(a)")).toBe(true);
    expect(resourceMatches("*/GET/[ab]", "x/GET/a")).toBe(false);
  });

  it("reads an AWS-partition ARN's partition, region and account as Portico's", () => {
    expect(resourceMatches("arn:aws:execute-api:*:*:*/prod/GET/pets", ARN)).toBe(true);
    expect(resourceMatches("arn:aws:execute-api:us-east-1:123456789012:petstore/prod/GET/pets", ARN)).toBe(true);
    expect(resourceMatches("arn:aws:execute-api:us-east-1:123456789012:petstore/*", ARN)).toBe(true);
    expect(resourceMatches("arn:aws-cn:execute-api:cn-north-1:1:*/*/GET/*", ARN)).toBe(true);
    expect(resourceMatches("arn:aws:execute-api:*", ARN)).toBe(true);
    expect(resourceMatches("arn:aws:execute-api:us-east-1:*", ARN)).toBe(true);
    // The API id, stage, method, path and service are still compared.
    expect(resourceMatches("arn:aws:execute-api:us-east-1:123456789012:a1b2c3/prod/GET/pets", ARN)).toBe(false);
    expect(resourceMatches("arn:aws:execute-api:*:*:*/test/GET/pets", ARN)).toBe(false);
    expect(resourceMatches("arn:aws:execute-api:*:*:*/prod/DELETE/pets", ARN)).toBe(false);
    expect(resourceMatches("arn:aws:lambda:*:*:*/prod/GET/pets", ARN)).toBe(false);
    // Only a real AWS partition is rewritten; another partition must match as written.
    expect(resourceMatches("arn:awsx:execute-api:edge:portico:petstore/prod/GET/pets", ARN)).toBe(false);
    expect(resourceMatches("arn:portico:execute-api:us-east-1:portico:petstore/prod/GET/pets", ARN)).toBe(false);
  });

  it("finishes quickly on an adversarial pattern against a long subject", () => {
    const pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*b";
    const subject = "a".repeat(50_000);
    const started = performance.now();
    expect(resourceMatches(pattern, subject)).toBe(false);
    expect(resourceMatches(pattern, subject + "b")).toBe(true);
    expect(resourceMatches("?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*c", subject)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("evaluatePolicy", () => {
  const s = (effect: "Allow" | "Deny", ...resources: string[]): PolicyStatement => ({ effect, resources });

  it("allows when an Allow statement matches", () => {
    expect(evaluatePolicy([s("Allow", "arn:portico:execute-api:edge:portico:petstore/prod/GET/*")], ARN)).toBe("allow");
    expect(evaluatePolicy([s("Allow", "nope", ARN)], ARN)).toBe("allow");
  });

  it("lets an explicit Deny win over an Allow, in either order", () => {
    expect(evaluatePolicy([s("Allow", "*"), s("Deny", ARN)], ARN)).toBe("deny");
    expect(evaluatePolicy([s("Deny", "*/GET/*"), s("Allow", "*")], ARN)).toBe("deny");
  });

  it("is an implicit deny when nothing matches, or there is nothing", () => {
    expect(evaluatePolicy([s("Allow", "*/POST/pets"), s("Deny", "*/admin")], ARN)).toBe("implicit-deny");
    expect(evaluatePolicy([], ARN)).toBe("implicit-deny");
  });

  it("ignores a Deny that does not match", () => {
    expect(evaluatePolicy([s("Deny", "*/GET/admin"), s("Allow", "*")], ARN)).toBe("allow");
  });
});
