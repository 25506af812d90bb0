/**
 * The SigV4 authorizer: Amazon API Gateway's AWS_IAM authorization for static access keys. The caller signs the
 * request (path with the stage, query, signed headers and body) with AWS Signature Version 4; each configured
 * access key id names the Worker secret holding its secret access key. Verification lives in `verify.ts` (pure);
 * this file is the glue to the request context and the Worker's secrets.
 *
 * Only what the signature covers reaches the backend: request headers outside SignedHeaders are removed from the
 * backend request (anyone on the way could have added them), unless `forwardUnsignedHeaders` is set. Kept: the
 * signature's own headers, the X-Forwarded-* the gateway sets, headers the integration itself configures, and
 * Content-Type and User-Agent, which common signers leave out (aws4fetch never signs them; the body they describe
 * is covered by the payload hash).
 */
import type { BundleSigV4Authorizer } from "../../config/bundle.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { RequestContext, RequestEnv } from "../../pipeline/context.ts";
import type { Authorizer } from "../types.ts";
import { verifySigV4 } from "./verify.ts";

/** The signature's own headers (the backend may check it again) and those the gateway sets itself. */
const ALWAYS_KEPT = new Set([
  "authorization",
  "x-amz-date",
  "x-amz-security-token",
  "x-amz-content-sha256",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-forwarded-host",
  "content-type",
  "user-agent",
]);

/**
 * Builds the authorizer for one `sigv4` spec. Every failure is Amazon's 403 (missing token, incomplete or invalid
 * signature, expired, unknown key); a configured key whose secret is unset is the operator's fault: 500, with the
 * secret's name only in the error's log detail.
 */
export function sigv4Authorizer(spec: BundleSigV4Authorizer): Authorizer {
  return {
    type: "sigv4",
    async authorize(ctx) {
      const result = await verifySigV4({
        method: ctx.request.method,
        url: ctx.url,
        headers: ctx.request.headers,
        // The body is memoised by the context and forwarded unchanged, so hashing it here costs no second read.
        body: ctx.request.body ? await ctx.readBody() : null,
        now: Date.now(),
        service: spec.service,
        region: spec.region,
        secretFor: (accessKeyId) => secretFor(spec, ctx.env, accessKeyId),
        signingKeys: ctx.state.signingKeys,
      });
      if (!result.ok) throw new GatewayError(result.type, { message: result.message, detail: `sigv4: ${result.message}` });
      if (!spec.forwardUnsignedHeaders) dropUnsigned(ctx, new Set(result.signedHeaders));
      return {
        type: "sigv4",
        principalId: result.accessKeyId,
        claims: null,
        scopes: [],
        context: { accessKey: result.accessKeyId },
        usageIdentifierKey: null,
      };
    },
  };
}

/** Removes, from what the backend gets, every client header the signature does not cover. */
function dropUnsigned(ctx: RequestContext, signed: ReadonlySet<string>): void {
  const integration = ctx.route?.spec.integration;
  const configured = integration && "headers" in integration ? Object.keys(integration.headers).map((h) => h.toLowerCase()) : [];
  for (const name of ctx.request.headers.keys())
    if (!signed.has(name) && !ALWAYS_KEPT.has(name) && !configured.includes(name)) ctx.backendHeaders.push([name, null]);
}

function secretFor(spec: BundleSigV4Authorizer, env: RequestEnv, accessKeyId: string): string | undefined {
  // Own properties only: an access key id of "constructor" or "__proto__" must not reach Object.prototype.
  if (!Object.hasOwn(spec.credentials, accessKeyId)) return undefined;
  const name = spec.credentials[accessKeyId]!;
  const secret = env[name];
  if (typeof secret !== "string" || secret === "") {
    throw new GatewayError("AUTHORIZER_CONFIGURATION_ERROR", { detail: `sigv4: secret ${name} for access key ${accessKeyId} is not set` });
  }
  return secret;
}
