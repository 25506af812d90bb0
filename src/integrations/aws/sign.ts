/**
 * SigV4 for AWS integrations, with aws4fetch (a maintained signer that runs in workerd on WebCrypto). Credentials
 * are Worker secrets read by name at request time: the bundle holds only the names. A missing or empty secret is a
 * configuration error (500) and nothing is sent. The signing keys aws4fetch derives (one per secret, day, region and
 * service) are kept per integration, a few at most.
 */
import { AwsV4Signer } from "aws4fetch";
import type { BundleAwsIntegration } from "../../config/bundle-integrations.ts";
import type { RequestEnv } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";

export interface Unsigned {
  method: string;
  url: string;
  headers: Headers;
  body: string | Uint8Array | null;
}

export interface Signer {
  sign(env: RequestEnv, request: Unsigned, service: string, region: string): Promise<{ url: string; headers: Headers }>;
}

const KEY_CACHE_MAX = 8;

export function awsSigner(credentials: BundleAwsIntegration["credentials"]): Signer {
  const cache = new Map<string, ArrayBuffer>();
  return {
    async sign(env, request, service, region) {
      const accessKeyId = secret(env, credentials.accessKeyId);
      const secretAccessKey = secret(env, credentials.secretAccessKey);
      const sessionToken = credentials.sessionToken === null ? undefined : secret(env, credentials.sessionToken);
      if (cache.size > KEY_CACHE_MAX) cache.clear();
      // S3 signs the payload's hash in X-Amz-Content-Sha256 (aws4fetch would send UNSIGNED-PAYLOAD): the body is in
      // hand, so S3 can check it arrived whole, as with every other service.
      if (service === "s3") request.headers.set("x-amz-content-sha256", await sha256Hex(request.body));
      const signer = new AwsV4Signer({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body ?? undefined,
        accessKeyId,
        secretAccessKey,
        ...(sessionToken ? { sessionToken } : {}),
        service,
        region,
        cache,
      });
      const signed = await signer.sign();
      return { url: signed.url.toString(), headers: signed.headers };
    },
  };
}

function secret(env: RequestEnv, name: string): string {
  const value = env[name];
  if (typeof value !== "string" || value === "") throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `the Worker has no secret ${name} (AWS credentials)` });
  return value;
}

async function sha256Hex(body: string | Uint8Array | null): Promise<string> {
  const bytes = body === null ? new Uint8Array() : typeof body === "string" ? new TextEncoder().encode(body) : body;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
