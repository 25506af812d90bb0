/**
 * SigV4 verification for the local AWS-compatible test server, written from AWS's specification ("Create a
 * canonical request", "Create a string to sign", "Calculate the signature") on Node's crypto — deliberately not
 * aws4fetch, which signs on the gateway's side: a signer bug must not be mirrored by the verifier.
 *
 * - Canonical URI: S3 encodes each path segment once (the decoded segment, URI-encoded); every other service
 *   encodes the path as sent once more (double encoding), with slash runs collapsed.
 * - Canonical query: every pair decoded and URI-encoded again, sorted by name then value; X-Amz-Signature left out.
 * - Canonical headers: the signed ones, lower-cased, values trimmed with inner whitespace runs collapsed.
 * - Payload: X-Amz-Content-Sha256 when sent (S3 requires it; `UNSIGNED-PAYLOAD` only for S3), which must then be the
 *   body's real hash; otherwise the body's hash.
 * - The date within five minutes of the server's clock; the credential scope's date equal to X-Amz-Date's day.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface Verified {
  ok: true;
  accessKeyId: string;
  region: string;
  service: string;
  signedHeaders: string[];
}
export interface Refused {
  ok: false;
  /** AWS's error code: MissingAuthenticationToken, IncompleteSignature, InvalidClientTokenId, SignatureDoesNotMatch, RequestExpired … */
  code: string;
  message: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query exactly as received. */
  rawUrl: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const SKEW_MS = 5 * 60_000;
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

export function verifySigV4(req: SignedRequest, secretFor: (accessKeyId: string) => string | undefined, now = Date.now()): Verified | Refused {
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(",") : v;
  };
  const authorization = header("authorization");
  if (!authorization) return { ok: false, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token" };
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!m) return { ok: false, code: "IncompleteSignature", message: "Authorization header is not a SigV4 header" };
  const [, credential, signedList, signature] = m;
  const [accessKeyId, day, region, service, terminator, ...extra] = credential!.split("/");
  if (extra.length || terminator !== "aws4_request" || !accessKeyId || !day || !region || !service) return { ok: false, code: "IncompleteSignature", message: "Credential is malformed" };
  const date = header("x-amz-date");
  if (!date || !/^\d{8}T\d{6}Z$/.test(date)) return { ok: false, code: "IncompleteSignature", message: "X-Amz-Date is missing or malformed" };
  if (date.slice(0, 8) !== day) return { ok: false, code: "SignatureDoesNotMatch", message: "Credential scope date differs from X-Amz-Date" };
  const at = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15));
  if (Math.abs(now - at) > SKEW_MS) return { ok: false, code: "RequestExpired", message: "Signature expired or not yet valid" };
  const signedHeaders = signedList!.split(";");
  if (!signedHeaders.includes("host") || !signedHeaders.includes("x-amz-date")) return { ok: false, code: "SignatureDoesNotMatch", message: "host and x-amz-date must be signed" };
  const secret = secretFor(accessKeyId);
  if (!secret) return { ok: false, code: "InvalidClientTokenId", message: "The security token included in the request is invalid." };

  const bodyHash = sha256(req.body);
  const declared = header("x-amz-content-sha256");
  if (service === "s3" && !declared) return { ok: false, code: "InvalidRequest", message: "Missing required header for this request: x-amz-content-sha256" };
  if (declared && declared !== bodyHash && !(declared === "UNSIGNED-PAYLOAD" && service === "s3"))
    return { ok: false, code: "XAmzContentSHA256Mismatch", message: "The provided 'x-amz-content-sha256' header does not match what was computed." };

  const q = req.rawUrl.indexOf("?");
  const rawPath = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const rawQuery = q < 0 ? "" : req.rawUrl.slice(q + 1);
  const canonicalUri =
    service === "s3"
      ? rawPath.split("/").map((seg) => rfc3986(decodeURIComponent(seg))).join("/")
      : rawPath.replace(/\/+/g, "/").split("/").map((seg) => rfc3986(seg)).join("/");
  const canonicalQuery = [...new URLSearchParams(rawQuery)]
    .filter(([name]) => name !== "X-Amz-Signature")
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${(header(name) ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const canonical = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedList, declared ?? bodyHash].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", date, scope, sha256(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), "aws4_request");
  const expected = hmac(key, stringToSign).toString("hex");
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature!)))
    return { ok: false, code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method." };
  return { ok: true, accessKeyId, region, service, signedHeaders };
}
