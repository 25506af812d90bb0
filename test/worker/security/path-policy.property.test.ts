/**
 * Random paths through the whole pipeline (fast-check), against the real echo backend: whatever the spelling, a
 * request never reaches a route or backend path that a policy guards. `/admin…` is denied to every address by a
 * resource policy and `/private…` needs a JWT; both forward into the same backend directory as the open
 * `ANY /{proxy+}`, so a spelling that the gateway routed as open but the backend reads as `admin/…` or
 * `private/…` (decoding escapes, resolving dot segments, as servers do) would show in what the backend received.
 * No input may make the gateway fail (5xx).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { uniqueSegment } from "../integrations/backends.ts";

const u = uniqueSegment();
const backend = (rest: string) => `\${stageVariables.backend}/echo/${u}${rest}`;
const DENY_ALL = { deny: { ips: ["0.0.0.0/0", "::/0"] } };

const definition: ApiDefinition = {
  name: "pathprop",
  stages: { prod: { variables: { backend: backendUrl() } } },
  authorizers: { users: { type: "jwt", issuer: "https://issuer.test/", audience: "p", secret: "PATHPROP_SECRET" } },
  routes: {
    "ANY /admin": { resourcePolicy: DENY_ALL, integration: { type: "http_proxy", uri: backend("/admin") } },
    "ANY /admin/{proxy+}": { resourcePolicy: DENY_ALL, integration: { type: "http_proxy", uri: backend("/admin/{proxy}") } },
    "ANY /private": { authorizer: "users", integration: { type: "http_proxy", uri: backend("/private") } },
    "ANY /private/{proxy+}": { authorizer: "users", integration: { type: "http_proxy", uri: backend("/private/{proxy}") } },
    "GET /public/{id}": { integration: { type: "http_proxy", uri: backend("/public/{id}") } },
    "ANY /{proxy+}": { integration: { type: "http_proxy", uri: backend("/{proxy}") } },
  },
};

/** The path as a lenient backend reads it: escapes decoded (an encoded slash splits), dot segments resolved. */
function backendView(raw: string): string[] {
  const out: string[] = [];
  for (const segment of raw.split("?")[0]!.split("/")) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // kept as sent
    }
    for (const part of decoded.split(/[/\\]/)) {
      if (part === "" || part === ".") continue;
      if (part === "..") out.pop();
      else out.push(part.replace(/;.*$/, ""));
    }
  }
  return out;
}

const piece = fc.oneof(
  fc.constantFrom("admin", "private", "public", "Admin", "%61dmin", "%2561dmin", "adm%69n", "%41DMIN", "priv%61te", "admin;x", "admin%3Bx"),
  fc.constantFrom(".", "..", "%2e", "%2e%2e", "%2E%2E", ".%2e", "%2f", "%2F", "%5c", "\\", ";", "%00", "%0a", "%09", "%25", "%252e%252e", "%C0%AE", "..;"),
  fc.constantFrom("x", "1", "a b", "%20", "é", "%C3%A9", "~", "?q=1", "#frag", "%3F", "%23"),
  fc.string({ maxLength: 4 }),
);
const path = fc.array(fc.tuple(piece, fc.constantFrom("/", "//", "")), { minLength: 1, maxLength: 6 }).map((parts) => parts.map(([p, s]) => p + s).join(""));
const method = fc.constantFrom("GET", "POST", "DELETE");

describe("random paths against guarded routes", () => {
  it("never reach a guarded route or its backend path, and never make the gateway fail", async () => {
    const gw = await gatewayFor(definition, { PATHPROP_SECRET: "s3cret" });
    const guarded = new Set(["admin", "private"]);
    await fc.assert(
      fc.asyncProperty(path, method, async (p, m) => {
        let url: string;
        try {
          url = new URL(`/prod/${p}`, "http://gateway.test").href;
        } catch {
          return; // not a URL any client could send
        }
        const res = await gw.request(new Request(url, { method: m }));
        const text = await res.text();
        expect(res.status, `${m} ${url}: ${text}`).toBeLessThan(500);
        if (res.status !== 200) return;
        const echo = JSON.parse(text) as { rawUrl: string };
        const view = backendView(echo.rawUrl);
        // /echo/<u>/<first>…: what the open routes forwarded must not be a guarded directory to the backend.
        expect(view.slice(0, 2), `${m} ${url} → ${echo.rawUrl}`).toEqual(["echo", u]);
        expect(guarded.has(view[2] ?? ""), `${m} ${url} reached ${echo.rawUrl}`).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
