/**
 * A test-only Worker standing in for a Lambda authorizer behind a custom authorizer's service binding, on the
 * Lambda adapter's contract (src/wire/lambda/adapter.ts; vitest.config.ts bundles this file with it): the
 * event arrives as the RPC call `invokeLambda(event)`, run by the adapter's `runLambda`.
 *
 * The token decides — TOKEN events' `authorizationToken`, else the first of a 2.0 event's `identitySource`, else
 * the `x-token` header or `token` query parameter of a REQUEST event. Only the part before the first ":" counts,
 * so tests can make each token unique (`allow:<test id>`) and count calls per token:
 *
 *   allow                Allow on every method and path of the stage; context {user, n, ok}; usageIdentifierKey
 *   docs-context         Allow on the stage; context {key: "value", numKey: 1, boolKey: true} (Amazon's docs example)
 *   allow-key            as allow, with usageIdentifierKey = everything after "allow-key:" (an API key value)
 *   deny                 Allow on "*" and Deny on the method ARN (the explicit Deny must win)
 *   other-path           Allow only GET /elsewhere (an implicit deny for anything else)
 *   allow-only-get-pets  Allow only GET /pets on any stage, as an AWS-partition ARN with wildcards
 *   garbage              a reply that is not a policy ({principalId: 42})
 *   not-json             a payload that is not JSON
 *   context-object       an Allow whose context holds an object (Amazon rejects it)
 *   unauthorized         throws Error("Unauthorized"), as a Lambda authorizer does to refuse
 *   unauthorized-string  returns the string "Unauthorized"
 *   throw                throws another error
 *   hang                 answers after 10 s
 *   500                  the RPC call itself fails (not the adapter's error form)
 *   simple-true          {isAuthorized: true, context: {principalId, tier}}
 *   simple-false         {isAuthorized: false}
 *   simple-pets          {isAuthorized: true} only for routes ending in /pets (event.routeKey), else false
 *   tenant-b             Allow only when the event's query parameter `tenant` is "b" (REST: the last value)
 *   big-context          an Allow whose context holds a 900 KB string
 *
 * With the `MODE` binding "docs" it is instead Amazon's documentation sample authorizer (docsHandler).
 *
 * `GET /count?token=…` answers {count}: how often that exact token was asked about (without `token`: every call);
 * `GET /last?token=…` the last event received for it.
 */

import { WorkerEntrypoint } from "cloudflare:workers";
import { runLambda } from "../../src/wire/lambda/adapter.ts";

const HANG_MS = 10_000;
const counts = new Map();
const lastEvents = new Map();
let total = 0;

function tokenOf(event) {
  return event.authorizationToken ?? event.identitySource?.[0] ?? event.headers?.["x-token"] ?? event.queryStringParameters?.token ?? "";
}

function policy(principalId, statements, extra = {}) {
  return { principalId, policyDocument: { Version: "2012-10-17", Statement: statements }, ...extra };
}

function statement(Effect, Resource) {
  return { Action: "execute-api:Invoke", Effect, Resource };
}

async function handler(event) {
  const token = tokenOf(event);
  const arn = event.methodArn ?? event.routeArn;
  // arn:…:<api>/<stage>/<METHOD>/<path> → arn:…:<api>/<stage>/*
  const stageArn = arn.split("/").slice(0, 2).join("/") + "/*";
  switch (token.split(":")[0]) {
    case "allow":
      return policy(`user-${token}`, [statement("Allow", stageArn)], { context: { user: "alice", n: 1, ok: true }, usageIdentifierKey: "key-123" });
    case "docs-context":
      // The context of Amazon's documentation example ($context.authorizer values are stringified).
      return policy("docs-user", [statement("Allow", stageArn)], { context: { key: "value", numKey: 1, boolKey: true } });
    case "allow-key":
      return policy("key-user", [statement("Allow", stageArn)], { usageIdentifierKey: token.slice("allow-key:".length) });
    case "deny":
      return policy("mallory", [statement("Allow", "*"), statement("Deny", arn)]);
    case "other-path":
      return policy("bob", statement("Allow", arn.split("/").slice(0, 2).join("/") + "/GET/elsewhere"));
    case "allow-only-get-pets":
      return policy("carol", [statement("Allow", ["arn:aws:execute-api:*:*:*/*/GET/pets"])]);
    case "garbage":
      return { principalId: 42, policyDocument: "no" };
    case "context-object":
      return policy("dave", [statement("Allow", "*")], { context: { nested: { a: 1 } } });
    case "unauthorized":
      throw new Error("Unauthorized");
    case "unauthorized-string":
      return "Unauthorized";
    case "throw":
      throw new Error("Invalid token");
    case "simple-true":
      return { isAuthorized: true, context: { principalId: "simple-user", tier: "gold" } };
    case "simple-false":
      return { isAuthorized: false };
    case "simple-pets":
      return { isAuthorized: event.routeKey.endsWith("/pets"), context: { principalId: "pets-only" } };
    case "tenant-b":
      return event.queryStringParameters?.tenant === "b" ? policy("tenant-b-user", [statement("Allow", stageArn)]) : policy("nobody", [statement("Deny", stageArn)]);
    case "big-context":
      return policy("big", [statement("Allow", stageArn)], { context: { blob: "x".repeat(900 * 1024) } });
    default:
      throw new Error(`unknown token ${token}`);
  }
}

/**
 * MODE "docs": Amazon's documentation sample authorizer — "allow" → Allow for the method ARN (context
 * {key: "value", numKey: 1, boolKey: true}), "deny" → Deny, "unauthorized" → Error("Unauthorized"), any other token →
 * Error("Error: Invalid token"); a REQUEST event (no token) gets an Allow for another resource only.
 */
function docsHandler(event) {
  const arn = event.methodArn ?? "";
  if (event.type === "REQUEST") return policy("docs-user", [statement("Allow", arn.split("/").slice(0, 2).join("/") + "/GET/elsewhere")]);
  const token = event.authorizationToken ?? "";
  if (token === "allow") return policy("docs-user", [statement("Allow", arn)], { context: { key: "value", numKey: 1, boolKey: true } });
  if (token === "deny") return policy("docs-user", [statement("Deny", arn)]);
  if (token === "unauthorized") throw new Error("Unauthorized");
  throw new Error("Error: Invalid token");
}

export default class Authorizer extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/count") {
      const token = url.searchParams.get("token");
      return Response.json({ count: token === null ? total : (counts.get(token) ?? 0) });
    }
    if (request.method === "GET" && url.pathname === "/last") {
      return Response.json(lastEvents.get(url.searchParams.get("token") ?? "") ?? null);
    }
    return new Response("events arrive over RPC", { status: 404 });
  }

  async invokeLambda(event) {
    if (this.env.MODE === "docs") return runLambda(docsHandler, event, { functionName: "authorizer-docs" });
    const token = tokenOf(event);
    counts.set(token, (counts.get(token) ?? 0) + 1);
    total += 1;
    lastEvents.set(token, event);
    const kind = token.split(":")[0];
    if (kind === "hang") {
      // A pending timer keeps workerd from deciding that the request can never finish.
      await new Promise((resolve) => setTimeout(resolve, HANG_MS));
      return { payload: JSON.stringify(policy("late", [statement("Allow", "*")])) };
    }
    if (kind === "500") throw new Error("boom");
    if (kind === "not-json") return { payload: "<html>not json</html>" };
    return runLambda(handler, event, { functionName: "authorizer" });
  }
}
