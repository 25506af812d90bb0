/**
 * CORS, as HTTP APIs do it when a CORS configuration is set: the gateway answers preflight requests itself
 * (204, whatever routes exist, the backend never called) and adds the CORS headers to every response to an
 * allowed origin, gateway errors included (routing errors too: this stage runs before match-route), so
 * browsers can read errors.
 */
import type { BundleCors } from "../../config/bundle.ts";
import type { StepFactory } from "../../pipeline/step.ts";

export function isPreflight(request: Request): boolean {
  return request.method === "OPTIONS" && request.headers.has("origin") && request.headers.has("access-control-request-method");
}

function allowedOrigin(config: BundleCors, origin: string | null): string | undefined {
  if (origin === null) return undefined;
  const lower = origin.toLowerCase();
  if (config.allowOrigins.some((o) => o.toLowerCase() === lower)) return origin;
  // "*" never echoes the origin: with credentials that would allow every site (the compiler refuses the pair).
  if (config.allowOrigins.includes("*") && !config.allowCredentials) return "*";
  return undefined;
}

export const cors: StepFactory = () =>
  async function cors(ctx, next) {
    const config = ctx.bundle!.bundle.cors;
    if (!config) return next();
    const origin = allowedOrigin(config, ctx.request.headers.get("origin"));
    const common: [string, string][] = [["vary", "Origin"]];
    if (origin) {
      common.push(["access-control-allow-origin", origin]);
      if (config.allowCredentials) common.push(["access-control-allow-credentials", "true"]);
    }

    if (isPreflight(ctx.request)) {
      const headers = new Headers(common);
      const method = ctx.request.headers.get("access-control-request-method")!.toUpperCase();
      if (origin && (config.allowMethods.includes("*") || config.allowMethods.includes(method))) {
        headers.set("access-control-allow-methods", config.allowMethods.includes("*") ? method : config.allowMethods.join(","));
        const asked = ctx.request.headers.get("access-control-request-headers");
        const allowHeaders = config.allowHeaders.includes("*") ? asked : config.allowHeaders.join(",");
        if (allowHeaders) headers.set("access-control-allow-headers", allowHeaders);
        if (config.maxAge !== null) headers.set("access-control-max-age", String(config.maxAge));
      }
      return new Response(null, { status: 204, headers });
    }

    if (origin && config.exposeHeaders.length) common.push(["access-control-expose-headers", config.exposeHeaders.join(",")]);
    ctx.responseHeaders.push(...common);
    return next();
  };
