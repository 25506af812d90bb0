/**
 * The peer of `npm run bench -- peers`: the gateway a Workers user would write by hand instead of Portico, for the
 * same job as Portico's `POST /orders` route in bench/bench-api.yaml, with Hono's own parts:
 *
 *   JWT        hono/jwt — ES256, the identity provider's public key (a JWK in a var, imported once per isolate),
 *              issuer and audience checked; every request's signature is verified (the middleware keeps no memo)
 *   API key    hono/bearer-auth on `x-api-key` with no prefix — the keys from a secret, compared in constant time
 *   validation hono/validator — the `tenant` query parameter required, the JSON body checked against the same
 *              JSON Schema as Portico's `Order` model, with @cfworker/json-schema (compiled once)
 *   throttle   the Workers Rate Limiting binding, one counter per API key (generous: it admits)
 *   proxy      hono/proxy — the client's method, headers, query and body to the upstream's /hello, with
 *              X-Forwarded-For/-Proto/-Host, hop-by-hop headers dropped both ways
 *
 * Deployed, it would need a wrangler config with `UPSTREAM`, `JWT_PUBLIC_JWK`, `JWT_ISSUER`, `JWT_AUDIENCE` vars,
 * an `API_KEYS` secret (a JSON list) and a `ratelimits` binding `LIMITER`; the bench gives it the same through
 * Miniflare (bench/peers.ts). What it does not do that Portico does is listed in bench/README.md.
 */
import { Validator } from "@cfworker/json-schema";
import { Hono, type MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import { jwt } from "hono/jwt";
import { proxy } from "hono/proxy";
import { validator } from "hono/validator";

/** The Workers Rate Limiting binding (`ratelimits` in the wrangler config). */
interface RateLimit {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

interface Bindings {
  UPSTREAM: string;
  JWT_PUBLIC_JWK: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  /** A JSON list of the API keys that may call. */
  API_KEYS: string;
  LIMITER: RateLimit;
}

/** The same schema as bench-api.yaml's `Order` model. */
const ORDER = new Validator(
  {
    type: "object",
    required: ["item", "quantity"],
    additionalProperties: false,
    properties: {
      item: { type: "string", minLength: 1, maxLength: 64 },
      quantity: { type: "integer", minimum: 1, maximum: 100 },
      note: { type: "string", maxLength: 256 },
    },
  },
  "2020-12",
);

const app = new Hono<{ Bindings: Bindings }>();

// The environment arrives with the first request: the middleware that need it are built then, once per isolate.
let verifyJwt: MiddlewareHandler | undefined;
let checkApiKey: MiddlewareHandler | undefined;

app.use("/orders", async (c, next) => {
  if (!verifyJwt) {
    const key = await crypto.subtle.importKey("jwk", JSON.parse(c.env.JWT_PUBLIC_JWK) as JsonWebKey, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    verifyJwt = jwt({ secret: key, alg: "ES256", verification: { iss: c.env.JWT_ISSUER, aud: c.env.JWT_AUDIENCE } });
  }
  return verifyJwt(c, next);
});

app.use("/orders", (c, next) => {
  checkApiKey ??= bearerAuth({ token: JSON.parse(c.env.API_KEYS) as string[], headerName: "x-api-key", prefix: "" });
  return checkApiKey(c, next);
});

app.post(
  "/orders",
  validator("query", (query, c) => (typeof query.tenant === "string" && query.tenant.trim() ? query : c.json({ message: "Missing required request parameters: [tenant]" }, 400))),
  validator("json", (body, c) => (ORDER.validate(body).valid ? body : c.json({ message: "Invalid request body" }, 400))),
  async (c, next) => {
    const { success } = await c.env.LIMITER.limit({ key: c.req.header("x-api-key")! });
    if (!success) return c.json({ message: "Too Many Requests" }, 429);
    await next();
  },
  async (c) => {
    const url = new URL(c.req.url);
    return proxy(`${c.env.UPSTREAM}/hello${url.search}`, {
      raw: c.req.raw,
      // The validator has read the body; Hono keeps its text.
      body: await c.req.text(),
      headers: {
        ...c.req.header(),
        "x-forwarded-for": c.req.header("cf-connecting-ip") ?? "",
        "x-forwarded-proto": url.protocol.slice(0, -1),
        "x-forwarded-host": url.host,
      },
    });
  },
);

app.onError((err, c) => {
  // The middleware refuse by throwing an HTTPException that carries its response (401 and its WWW-Authenticate).
  if (err instanceof HTTPException) return err.getResponse();
  console.error(err);
  return c.json({ message: "Internal server error" }, 500);
});

export default app;
