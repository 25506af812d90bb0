/**
 * The peers section's Worker: the hand-written Hono gateway (peers/hono-gateway/index.ts), bundled with esbuild
 * as wrangler would bundle it (one ES module, Workers conditions, not minified), and its Miniflare options —
 * the same upstream, the bench's JWT public key, the API key Portico's admin API created, and a Rate Limiting
 * binding generous enough never to refuse (Amazon's account default, 10,000 r/s, as a limit per minute).
 */
import { build } from "esbuild";
import { join } from "node:path";
import type { WorkerOptions } from "miniflare";
import { fixture } from "./fixture.ts";
import { AUDIENCE, ISSUER } from "./jwt.ts";

/** Bundles the peer into `outDir` and returns the script's path. */
export async function buildHonoGateway(here: string, outDir: string): Promise<string> {
  const outfile = join(outDir, "hono-gateway", "index.js");
  await build({
    entryPoints: [join(here, "peers", "hono-gateway", "index.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "warning",
  });
  return outfile;
}

/** Requests per minute per API key: 10,000 r/s, far above what this machine serves, so it admits every request. */
const RATE_LIMIT_PER_MINUTE = 600_000;

/** Miniflare options for the peer; read when it starts, after the full pipeline's setup created the API key. */
export function honoGatewayOptions(script: string, upstream: string): WorkerOptions {
  if (!fixture.apiKey) throw new Error("the Hono gateway starts after the full pipeline's setup has created the API key");
  return {
    modules: true,
    scriptPath: script,
    bindings: {
      UPSTREAM: upstream,
      JWT_PUBLIC_JWK: JSON.stringify(fixture.jwtPublicJwk),
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      API_KEYS: JSON.stringify([fixture.apiKey]),
    },
    ratelimits: { LIMITER: { simple: { limit: RATE_LIMIT_PER_MINUTE, period: 60 } } },
  };
}
